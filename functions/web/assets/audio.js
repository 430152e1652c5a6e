// Audio helpers of the page, pure functions (no DOM, no Web Audio), so Node tests them too:
// the recording is resampled here to 16 kHz and written as a 16-bit mono PCM WAV, the one
// format the transcribe component needs no conversion for.

/** The rate Whisper's front end works at; the transcribe component resamples anything else. */
export const WHISPER_RATE = 16000;

/** Zero crossings of the low-pass sinc on each side of a sample (at the lower rate). */
const ZERO_CROSSINGS = 16;
/** Pass band as a share of the lower Nyquist: keeps 7.76 kHz of 8 kHz at 16 kHz. */
const ROLLOFF = 0.97;
/** Kernel table steps per input sample (linear interpolation between them). */
const TABLE_STEPS = 256;

function blackman(x) {
  // x in [-1, 1] → window value; 0 outside.
  if (x <= -1 || x >= 1) return 0;
  const a = Math.PI * (x + 1);
  return 0.42 - 0.5 * Math.cos(a) + 0.08 * Math.cos(2 * a);
}

const kernels = new Map();

/** Windowed-sinc kernel for a cutoff (share of the input Nyquist), tabulated once. */
function kernel(cutoff) {
  let k = kernels.get(cutoff);
  if (k) return k;
  const half = Math.ceil(ZERO_CROSSINGS / cutoff);
  const table = new Float64Array(half * TABLE_STEPS + 2);
  for (let i = 0; i < table.length; i++) {
    const x = i / TABLE_STEPS;
    const y = cutoff * x;
    const sinc = y === 0 ? 1 : Math.sin(Math.PI * y) / (Math.PI * y);
    table[i] = cutoff * sinc * blackman(x / half);
  }
  k = { half, table };
  kernels.set(cutoff, k);
  return k;
}

/**
 * Band-limited resampling of mono samples from `fromRate` to `toRate` (windowed sinc, Blackman
 * window, 16 zero crossings, pass band 97 % of the lower Nyquist). The output has
 * round(n · toRate / fromRate) samples; output sample j sits at input time j · fromRate / toRate.
 */
export function resample(input, fromRate, toRate) {
  if (!(fromRate > 0) || !(toRate > 0)) throw new RangeError('sample rates must be positive');
  if (fromRate === toRate) return Float32Array.from(input);
  const step = fromRate / toRate;
  const cutoff = Math.min(1, toRate / fromRate) * ROLLOFF;
  const { half, table } = kernel(cutoff);
  const n = input.length;
  const out = new Float32Array(Math.round(n / step));
  for (let j = 0; j < out.length; j++) {
    const t = j * step;
    const first = Math.max(0, Math.floor(t) - half + 1);
    const last = Math.min(n - 1, Math.floor(t) + half);
    let acc = 0;
    for (let k = first; k <= last; k++) {
      const pos = Math.abs(t - k) * TABLE_STEPS;
      const i = Math.floor(pos);
      const frac = pos - i;
      acc += input[k] * (table[i] + (table[i + 1] - table[i]) * frac);
    }
    out[j] = acc;
  }
  return out;
}

/** 16-bit PCM, mono, little-endian: a 44-byte RIFF header and the samples (clipped to ±1). */
export function encodeWav(samples, rate) {
  const dataBytes = samples.length * 2;
  const buffer = new ArrayBuffer(44 + dataBytes);
  const v = new DataView(buffer);
  const ascii = (offset, s) => {
    for (let i = 0; i < s.length; i++) v.setUint8(offset + i, s.charCodeAt(i));
  };
  ascii(0, 'RIFF');
  v.setUint32(4, 36 + dataBytes, true);
  ascii(8, 'WAVE');
  ascii(12, 'fmt ');
  v.setUint32(16, 16, true); // fmt chunk size
  v.setUint16(20, 1, true); // PCM
  v.setUint16(22, 1, true); // mono
  v.setUint32(24, rate, true);
  v.setUint32(28, rate * 2, true); // byte rate
  v.setUint16(32, 2, true); // block align
  v.setUint16(34, 16, true); // bits per sample
  ascii(36, 'data');
  v.setUint32(40, dataBytes, true);
  for (let i = 0; i < samples.length; i++) {
    const s = Math.max(-1, Math.min(1, samples[i]));
    v.setInt16(44 + 2 * i, Math.round(s < 0 ? s * 32768 : s * 32767), true);
  }
  return buffer;
}

/** Root mean square of a block (0 for an empty one). */
export function rms(samples) {
  if (!samples.length) return 0;
  let sum = 0;
  for (let i = 0; i < samples.length; i++) sum += samples[i] * samples[i];
  return Math.sqrt(sum / samples.length);
}

/** A level for a meter: dBFS mapped from [-60, 0] to [0, 1]. */
export function meterLevel(samples) {
  const db = 20 * Math.log10(rms(samples) || 1e-9);
  return Math.max(0, Math.min(1, (db + 60) / 60));
}

/** Joins recorded blocks into one array of at most `limit` samples. */
export function concat(blocks, limit = Infinity) {
  let total = 0;
  for (const b of blocks) total += b.length;
  const out = new Float32Array(Math.min(total, limit));
  let at = 0;
  for (const b of blocks) {
    if (at >= out.length) break;
    const take = Math.min(b.length, out.length - at);
    out.set(take === b.length ? b : b.subarray(0, take), at);
    at += take;
  }
  return out;
}

/**
 * A streamed WAV (sizes unknown when its header was sent: 0xFFFFFFFF, or 0) with its RIFF and
 * data sizes set to what actually arrived, so every decoder reads it to the end. Other bytes
 * are returned as they are.
 */
export function fixStreamedWav(bytes) {
  const v = new DataView(bytes);
  const tag = (at) => String.fromCharCode(v.getUint8(at), v.getUint8(at + 1), v.getUint8(at + 2), v.getUint8(at + 3));
  if (bytes.byteLength < 12 || tag(0) !== 'RIFF' || tag(8) !== 'WAVE') return bytes;
  v.setUint32(4, bytes.byteLength - 8, true);
  let at = 12;
  while (at + 8 <= bytes.byteLength) {
    const size = v.getUint32(at + 4, true);
    if (tag(at) === 'data') {
      const room = bytes.byteLength - at - 8;
      if (size > room || size === 0) v.setUint32(at + 4, room - (room % 2), true);
      break;
    }
    at += 8 + size + (size % 2);
  }
  return bytes;
}
