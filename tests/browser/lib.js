// Helpers of the browser test: the processes it starts (mock OpenRouter, spin-harness, the
// `sawt` CLI), Chromium's path, and the audio checks (WAV parsing, cross-correlation).

import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

/** The mock OpenRouter's canned answer (tests/mock-openrouter `ANSWER`). */
export const MOCK_ANSWER = 'أهلاً بيك! أنا صوت، مساعدك المصري. تحب أساعدك في إيه النهارده؟';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** A binary scripts/check built: <NAME>_BIN, else $CARGO_TARGET_DIR/debug/<name>; missing fails. */
export function binary(name) {
  const override = process.env[`${name.toUpperCase().replaceAll('-', '_')}_BIN`];
  const target = process.env.CARGO_TARGET_DIR || path.join(REPO, 'target');
  const file = override || path.join(target, 'debug', name);
  if (!fs.existsSync(file)) {
    throw new Error(`missing ${file}: build it first (scripts/check's native build step, or cargo build -p ...)`);
  }
  return file;
}

/** Debian's Chromium (CHROMIUM overrides); never a Playwright download. */
export function chromiumPath() {
  if (process.env.CHROMIUM) return process.env.CHROMIUM;
  for (const name of ['chromium', 'chromium-browser']) {
    try {
      return execFileSync('which', [name], { encoding: 'utf8' }).trim();
    } catch {
      // try the next name
    }
  }
  throw new Error('Chromium not found: apt-get install chromium (or set CHROMIUM=/path/to/chromium)');
}

/**
 * Starts `cmd` and resolves when a stdout line starts with `prefix`, to
 * `{proc, rest, output}`; the rest of that line is usually the URL it serves. Rejects if the
 * process exits first or after `timeoutMs`.
 */
export function start(cmd, args, prefix, { env = process.env, timeoutMs = 180_000 } = {}) {
  return new Promise((resolve, reject) => {
    const proc = spawn(cmd, args, { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const output = [];
    let done = false;
    const fail = (why) => {
      if (done) return;
      done = true;
      proc.kill('SIGKILL');
      reject(new Error(`${path.basename(cmd)} ${why}:\n${output.slice(-40).join('\n')}`));
    };
    const timer = setTimeout(() => fail(`did not print "${prefix}" within ${timeoutMs / 1000} s`), timeoutMs);
    const keep = (line) => {
      output.push(line);
      if (output.length > 2000) output.shift();
    };
    readline.createInterface({ input: proc.stderr }).on('line', keep);
    readline.createInterface({ input: proc.stdout }).on('line', (line) => {
      keep(line);
      if (!done && line.startsWith(prefix)) {
        done = true;
        clearTimeout(timer);
        resolve({ proc, rest: line.slice(prefix.length).trim(), output });
      }
    });
    proc.on('error', (e) => fail(`could not start: ${e.message}`));
    proc.on('exit', (code, signal) => fail(`exited (${signal || code})`));
  });
}

export function stop(...procs) {
  for (const p of procs) if (p && p.exitCode === null) p.kill('SIGKILL');
}

/** `sawt models push DIR --name NAME --url ORIGIN` with the admin token; throws with its output. */
export function pushModel(origin, token, dir, name) {
  try {
    return execFileSync(
      binary('sawt'),
      ['models', 'push', dir, '--name', name, '--url', origin, '--retries', '0'],
      { cwd: REPO, env: { PATH: '/usr/bin:/bin', SAWT_ADMIN_TOKEN: token }, encoding: 'utf8', stdio: 'pipe' },
    );
  } catch (e) {
    throw new Error(`sawt models push ${dir} --name ${name} failed:\n${e.stdout}\n${e.stderr}`);
  }
}

/** A PCM WAV's format and its samples as floats (16-bit only: what the page sends). */
export function parseWav(bytes) {
  const buf = Buffer.from(bytes);
  if (buf.toString('ascii', 0, 4) !== 'RIFF' || buf.toString('ascii', 8, 12) !== 'WAVE') {
    throw new Error('not a RIFF/WAVE file');
  }
  let at = 12;
  let fmt = null;
  while (at + 8 <= buf.length) {
    const id = buf.toString('ascii', at, at + 4);
    const size = buf.readUInt32LE(at + 4);
    const body = at + 8;
    if (id === 'fmt ') {
      fmt = {
        format: buf.readUInt16LE(body),
        channels: buf.readUInt16LE(body + 2),
        rate: buf.readUInt32LE(body + 4),
        byteRate: buf.readUInt32LE(body + 8),
        blockAlign: buf.readUInt16LE(body + 12),
        bits: buf.readUInt16LE(body + 14),
      };
    } else if (id === 'data') {
      if (!fmt) throw new Error('data before fmt');
      const end = Math.min(buf.length, body + size);
      const samples = new Float32Array(Math.floor((end - body) / 2 / fmt.channels));
      if (fmt.format === 1 && fmt.bits === 16) {
        for (let i = 0; i < samples.length; i++) {
          let s = 0;
          for (let c = 0; c < fmt.channels; c++) s += buf.readInt16LE(body + 2 * (i * fmt.channels + c));
          samples[i] = s / fmt.channels / 32768;
        }
      }
      return { ...fmt, dataBytes: size, samples, bytes: buf.subarray(0, end) };
    }
    at = body + size + (size % 2);
  }
  throw new Error('no data chunk');
}

/** In-place radix-2 FFT of (re, im), length a power of two. */
function fft(re, im, inverse = false) {
  const n = re.length;
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      [re[i], re[j]] = [re[j], re[i]];
      [im[i], im[j]] = [im[j], im[i]];
    }
  }
  for (let len = 2; len <= n; len <<= 1) {
    const ang = ((inverse ? 2 : -2) * Math.PI) / len;
    const wr = Math.cos(ang);
    const wi = Math.sin(ang);
    for (let i = 0; i < n; i += len) {
      let cr = 1;
      let ci = 0;
      for (let k = 0; k < len / 2; k++) {
        const a = i + k;
        const b = a + len / 2;
        const tr = re[b] * cr - im[b] * ci;
        const ti = re[b] * ci + im[b] * cr;
        re[b] = re[a] - tr;
        im[b] = im[a] - ti;
        re[a] += tr;
        im[a] += ti;
        const ncr = cr * wr - ci * wi;
        ci = cr * wi + ci * wr;
        cr = ncr;
      }
    }
  }
  if (inverse) for (let i = 0; i < n; i++) (re[i] /= n), (im[i] /= n);
}

/**
 * How well `recording` matches some stretch of `clip` played in a loop (what Chromium's fake
 * microphone does): the largest normalised cross-correlation over every start offset, and
 * that offset. 1 means the same waveform; a wrong sample rate or a resampler fault gives ~0.
 */
export function loopCorrelation(recording, clip) {
  const n = recording.length;
  const period = clip.length;
  const copies = Math.ceil(n / period) + 2;
  const tiled = new Float64Array(period * copies);
  for (let c = 0; c < copies; c++) tiled.set(clip, c * period);
  let size = 1;
  while (size < tiled.length + n) size <<= 1;
  const ar = new Float64Array(size);
  const ai = new Float64Array(size);
  const br = new Float64Array(size);
  const bi = new Float64Array(size);
  ar.set(tiled);
  br.set(recording);
  fft(ar, ai);
  fft(br, bi);
  // corr[l] = sum_i tiled[l + i] * recording[i]  =  IFFT(A · conj(B))
  for (let k = 0; k < size; k++) {
    const r = ar[k] * br[k] + ai[k] * bi[k];
    const i = ai[k] * br[k] - ar[k] * bi[k];
    ar[k] = r;
    ai[k] = i;
  }
  fft(ar, ai, true);
  const prefix = new Float64Array(tiled.length + 1);
  for (let i = 0; i < tiled.length; i++) prefix[i + 1] = prefix[i] + tiled[i] * tiled[i];
  let energy = 0;
  for (let i = 0; i < n; i++) energy += recording[i] * recording[i];
  let best = { correlation: -1, offset: 0 };
  for (let l = 0; l < period; l++) {
    const window = prefix[l + n] - prefix[l];
    if (window <= 0 || energy <= 0) continue;
    const c = ar[l] / Math.sqrt(window * energy);
    if (c > best.correlation) best = { correlation: c, offset: l };
  }
  return best;
}
