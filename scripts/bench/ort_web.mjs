// Peer engine for sawt's Whisper benchmark: onnxruntime-web's wasm backend in Node, one thread.
//
//   (cd scripts/bench && npm ci)          # once: onnxruntime-web, pinned in package.json
//   node scripts/bench/ort_web.mjs MODEL_DIR MEL_FILE [TOKENS=64]
//
// Node >= 20. `import 'onnxruntime-web'` resolves, under Node, to dist/ort.node.min.mjs, whose
// only backend is the wasm one (SIMD; the package ships no non-SIMD build) and which runs one
// thread in Node (the package README: "Node.js only support single-threaded wasm EP");
// env.wasm.numThreads = 1 says so explicitly. Its Emscripten glue reads
// dist/ort-wasm-simd-threaded.wasm with fs.readFileSync; this driver resolves that file through
// the package's exports, compiles it once on its own (wasm_compile_ms), and checks that the file
// onnxruntime-web actually reads is the same one (else it fails: the package changed its loader).
//
// Same measurement as ort_native.py (see its docstring), printed as one JSON line:
//   load_ms          read encoder/decoder/logits graph bytes, create the three sessions from
//                    memory (the first one also instantiates onnxruntime's wasm module), read
//                    token_embedding.safetensors (dequantized to f32 rows if q8)
//   encoder_cold_ms, encoder_ms, step_ms, step_median_ms, full_ms   as in ort_native.py
//   peak_mib / baseline_mib   process.resourceUsage().maxRSS at the end / at the start, before
//                    onnxruntime-web is imported
//   wasm_file, wasm_bytes, wasm_compile_ms   the .wasm onnxruntime-web loaded, its size, and the
//                    time of WebAssembly.compile on its bytes (before any session exists)
//
// ../peer/<model>/logits.onnx (the tied-embedding projection, see logits_graph.py) is built first, if
// missing or stale, by running logits_graph.py in a child process with the Python of env
// BENCH_PYTHON (default: the repo's .venv-whisper/bin/python), so its memory is not counted here.
// Errors: one line on stderr, exit status 1.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

// Read before onnxruntime-web is imported: Node alone.
const BASELINE_KIB = process.resourceUsage().maxRSS;

const HERE = path.dirname(fileURLToPath(import.meta.url));
const FORMAT = 'sawt-whisper-onnx/2';
const Q8_BLOCK = 32; // sawt's q8 layout: one f32 scale per 32 consecutive weights of a row
const ENCODER_OUTPUTS = ['audio_features', 'cross_k', 'cross_v'];
const DECODER_INPUTS = ['x', 'position', 'self_k', 'self_v', 'cross_k', 'cross_v', 'mask'];
const DECODER_OUTPUTS = ['hidden', 'new_k', 'new_v'];

class BenchError extends Error {}

function readFile(p, what) {
  if (!fs.existsSync(p) || !fs.statSync(p).isFile()) throw new BenchError(`${p}: missing${what ? ` (${what})` : ''}`);
  return fs.readFileSync(p);
}

function loadConfig(modelDir) {
  const p = path.join(modelDir, 'config.json');
  let cfg;
  try {
    cfg = JSON.parse(readFile(p, `is ${modelDir} a sawt model directory?`).toString('utf8'));
  } catch (e) {
    if (e instanceof BenchError) throw e;
    throw new BenchError(`${p}: not valid JSON: ${e.message}`);
  }
  if (cfg.format !== FORMAT) throw new BenchError(`${p}: format is ${JSON.stringify(cfg.format)}, this driver reads "${FORMAT}"`);
  for (const key of ['dims', 'token_embedding', 'special_tokens', 'languages']) {
    if (!(key in cfg)) throw new BenchError(`${p}: no "${key}" entry`);
  }
  return cfg;
}

// A Float32Array over bytes that may not start on a 4-byte boundary (copied only if they don't).
function f32View(buf, byteOffset, byteLength) {
  const abs = buf.byteOffset + byteOffset;
  if (abs % 4 === 0) return new Float32Array(buf.buffer, abs, byteLength / 4);
  return new Float32Array(new Uint8Array(buf.buffer, abs, byteLength).slice().buffer);
}

// safetensors: u64 LE header length N, N bytes of JSON {name: {dtype, shape, data_offsets}}
// (offsets relative to the end of the header), then the raw data.
function readSafetensors(p) {
  const buf = readFile(p, 'config.json names it as the token embedding');
  if (buf.length < 8) throw new BenchError(`${p}: too short to be a safetensors file`);
  const n = Number(buf.readBigUInt64LE(0));
  if (8 + n > buf.length) throw new BenchError(`${p}: header length ${n} runs past the end of the file`);
  let header;
  try {
    header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8'));
  } catch (e) {
    throw new BenchError(`${p}: bad JSON header: ${e.message}`);
  }
  const size = { F32: 4, I8: 1 };
  const out = {};
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    if (!(info.dtype in size)) throw new BenchError(`${p}: tensor "${name}" has dtype ${info.dtype}, not F32/I8`);
    const [begin, end] = info.data_offsets;
    const count = info.shape.reduce((a, b) => a * b, 1);
    if (end - begin !== count * size[info.dtype] || 8 + n + end > buf.length) {
      throw new BenchError(`${p}: tensor "${name}" offsets ${begin}..${end} do not fit shape [${info.shape}]`);
    }
    const off = 8 + n + begin;
    const data = info.dtype === 'F32' ? f32View(buf, off, end - begin) : new Int8Array(buf.buffer, buf.byteOffset + off, count);
    out[name] = { shape: info.shape, data };
  }
  return out;
}

// The token embedding as f32 rows [n_vocab * d], dequantized when stored as q8.
function loadEmbedding(modelDir, cfg) {
  const p = path.join(modelDir, cfg.token_embedding);
  const { n_vocab: nVocab, n_text_state: d } = cfg.dims;
  const t = readSafetensors(p);
  const same = (shape, want) => shape.length === want.length && shape.every((s, i) => s === want[i]);
  if (t.weight) {
    if (!same(t.weight.shape, [nVocab, d])) throw new BenchError(`${p}: weight is [${t.weight.shape}], config.json says [${nVocab}, ${d}]`);
    return { emb: t.weight.data, kind: 'f32' };
  }
  const q = t['weight.q8'];
  const scale = t['weight.scale'];
  if (!q || !scale) throw new BenchError(`${p}: holds [${Object.keys(t)}], expected "weight" or "weight.q8" + "weight.scale"`);
  if (d % Q8_BLOCK || !same(q.shape, [nVocab, d]) || !same(scale.shape, [nVocab, d / Q8_BLOCK])) {
    throw new BenchError(`${p}: weight.q8 [${q.shape}] / weight.scale [${scale.shape}] do not fit [${nVocab}, ${d}] with one scale per ${Q8_BLOCK} weights`);
  }
  const emb = new Float32Array(nVocab * d);
  const qd = q.data;
  const sd = scale.data;
  for (let i = 0; i < emb.length; i++) emb[i] = qd[i] * sd[(i / Q8_BLOCK) | 0];
  return { emb, kind: 'q8' };
}

function ensureLogitsGraph(modelDir) {
  const python = process.env.BENCH_PYTHON || path.resolve(HERE, '../../.venv-whisper/bin/python');
  const r = spawnSync(python, [path.join(HERE, 'logits_graph.py'), modelDir], { encoding: 'utf8' });
  if (r.error) throw new BenchError(`cannot run ${python} (set BENCH_PYTHON): ${r.error.message}`);
  if (r.status !== 0) throw new BenchError(r.stderr.trim() || `logits_graph.py exited with ${r.status}`);
  return r.stdout.trim();
}

function checkIo(name, sess, inputs, outputs) {
  const okIn = sess.inputNames.length === inputs.length && inputs.every((n) => sess.inputNames.includes(n));
  const okOut = outputs.every((n) => sess.outputNames.includes(n));
  if (!okIn || !okOut) {
    throw new BenchError(`${name}: inputs [${sess.inputNames}] / outputs [${sess.outputNames}]; expected inputs [${inputs}] and outputs [${outputs}]`);
  }
}

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
const r3 = (x) => Math.round(x * 1e3) / 1e3;
const r1 = (x) => Math.round(x * 10) / 10;

async function run(modelDir, melFile, tokens) {
  const logitsPath = ensureLogitsGraph(modelDir);
  const cfg = loadConfig(modelDir);
  const { n_mels: nMels, n_audio_ctx: nAudioCtx, n_text_state: d, n_text_layer: nLayer, n_text_ctx: nCtx, n_vocab: nVocab } = cfg.dims;
  const nFrames = 2 * nAudioCtx; // Whisper's stride-2 conv stem halves the mel frames
  if (tokens > nCtx) throw new BenchError(`TOKENS=${tokens} exceeds the decoder cache (n_text_ctx=${nCtx})`);
  const st = cfg.special_tokens;
  const ar = cfg.languages.indexOf('ar');
  const prompt = [st.sot, st.first_language + ar, st.transcribe, st.no_timestamps];
  if (ar < 0 || prompt.some((t) => !Number.isInteger(t))) {
    throw new BenchError('config.json: cannot form the prompt (sot, ar, transcribe, no_timestamps, first_language + languages.index("ar"))');
  }
  const feed = Array.from({ length: tokens }, (_, i) => (i < prompt.length ? prompt[i] : 1000 + 7 * i));
  if (Math.max(...feed) >= nVocab) throw new BenchError(`token ${Math.max(...feed)} is outside n_vocab=${nVocab}`);

  const melBytes = readFile(melFile);
  if (melBytes.length !== nMels * nFrames * 4) {
    throw new BenchError(`${melFile}: ${melBytes.length} bytes, expected ${nMels} x ${nFrames} f32 = ${nMels * nFrames * 4}`);
  }
  // Copy so the buffer is aligned and ours, and read it as little-endian whatever the host.
  const melData = new Float32Array(nMels * nFrames);
  for (let i = 0; i < melData.length; i++) melData[i] = melBytes.readFloatLE(i * 4);

  // The .wasm onnxruntime-web's Node build loads, resolved through the package's exports.
  const require = createRequire(import.meta.url);
  const wasmPath = require.resolve('onnxruntime-web/ort-wasm-simd-threaded.wasm');
  const wasmBytes = fs.readFileSync(wasmPath);
  let t0 = performance.now();
  await WebAssembly.compile(wasmBytes);
  const wasmCompileMs = performance.now() - t0;

  const ort = await import('onnxruntime-web');
  ort.env.wasm.numThreads = 1;
  ort.env.logLevel = 'error';
  const opts = {
    executionProviders: ['wasm'],
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
  };

  // Record every .wasm the Emscripten glue reads (it calls require('fs').readFileSync).
  const wasmRead = [];
  const realRead = fs.readFileSync;
  fs.readFileSync = function (p, ...rest) {
    const s = p instanceof URL ? fileURLToPath(p) : String(p);
    if (s.endsWith('.wasm')) wasmRead.push(path.resolve(s));
    return realRead.call(this, p, ...rest);
  };

  t0 = performance.now();
  const load = (p) => ort.InferenceSession.create(new Uint8Array(readFile(p)), opts);
  const enc = await load(path.join(modelDir, 'encoder.onnx'));
  const dec = await load(path.join(modelDir, 'decoder.onnx'));
  const lgt = await load(logitsPath);
  const { emb, kind } = loadEmbedding(modelDir, cfg);
  const loadMs = performance.now() - t0;
  fs.readFileSync = realRead;

  if (wasmRead.length !== 1 || wasmRead[0] !== path.resolve(wasmPath)) {
    throw new BenchError(`onnxruntime-web read [${wasmRead}], this driver compiled ${wasmPath}: update the driver to the package's loader`);
  }
  checkIo('encoder.onnx', enc, ['mel'], ENCODER_OUTPUTS);
  checkIo('decoder.onnx', dec, DECODER_INPUTS, DECODER_OUTPUTS);
  checkIo(logitsPath, lgt, ['hidden'], ['logits']);

  const mel = new ort.Tensor('float32', melData, [1, nMels, nFrames]);
  t0 = performance.now();
  await enc.run({ mel });
  const encoderColdMs = performance.now() - t0;

  t0 = performance.now();
  const encOut = await enc.run({ mel });
  const encoderMs = performance.now() - t0;

  const cacheDims = [nLayer, 1, nCtx, d];
  const selfK = new Float32Array(nLayer * nCtx * d);
  const selfV = new Float32Array(nLayer * nCtx * d);
  // Additive mask over [cache slots..., current token]: cache slots open as they fill.
  const mask = new Float32Array(nCtx + 1).fill(-Infinity);
  mask[nCtx] = 0;
  const position = new BigInt64Array(1);
  const x = new Float32Array(d);
  // Tensors wrap these arrays without copying, so updating the arrays updates the next feed.
  const feeds = {
    x: new ort.Tensor('float32', x, [1, 1, d]),
    position: new ort.Tensor('int64', position, [1]),
    self_k: new ort.Tensor('float32', selfK, cacheDims),
    self_v: new ort.Tensor('float32', selfV, cacheDims),
    cross_k: encOut.cross_k,
    cross_v: encOut.cross_v,
    mask: new ort.Tensor('float32', mask, [1, nCtx + 1]),
  };
  const steps = [];
  for (let pos = 0; pos < feed.length; pos++) {
    const t = performance.now();
    x.set(emb.subarray(feed[pos] * d, (feed[pos] + 1) * d));
    position[0] = BigInt(pos);
    const out = await dec.run(feeds);
    const nk = out.new_k.data;
    const nv = out.new_v.data;
    for (let l = 0; l < nLayer; l++) {
      selfK.set(nk.subarray(l * d, (l + 1) * d), (l * nCtx + pos) * d);
      selfV.set(nv.subarray(l * d, (l + 1) * d), (l * nCtx + pos) * d);
    }
    mask[pos] = 0;
    const { logits } = await lgt.run({ hidden: out.hidden });
    // Computed as a real decoder would; the forced token is used instead.
    const ld = logits.data;
    let best = 0;
    for (let i = 1; i < ld.length; i++) if (ld[i] > ld[best]) best = i;
    steps.push(performance.now() - t);
  }

  const peakKib = process.resourceUsage().maxRSS;
  return {
    engine: 'onnxruntime-web',
    version: ort.env.versions.web,
    model: path.basename(path.resolve(modelDir)),
    tokens,
    load_ms: r3(loadMs),
    encoder_cold_ms: r3(encoderColdMs),
    encoder_ms: r3(encoderMs),
    step_ms: r3(mean(steps)),
    step_median_ms: r3(median(steps)),
    full_ms: r3(encoderMs + steps.reduce((a, b) => a + b, 0)),
    peak_mib: r1(peakKib / 1024),
    baseline_mib: r1(BASELINE_KIB / 1024),
    peak_kind: 'process RSS (includes Node)',
    threads: 1,
    embedding: kind,
    logits_graph: kind === 'q8' ? 'int8 MatMul (quantize_dynamic)' : 'f32 MatMul',
    wasm_file: path.basename(wasmPath),
    wasm_bytes: wasmBytes.length,
    wasm_compile_ms: r3(wasmCompileMs),
    node: process.versions.node,
  };
}

async function main(argv) {
  if (argv.length < 2 || argv.length > 3) {
    process.stderr.write('usage: node ort_web.mjs MODEL_DIR MEL_FILE [TOKENS=64]\n');
    return 2;
  }
  try {
    const major = Number(process.versions.node.split('.')[0]);
    if (major < 20) throw new BenchError(`Node ${process.versions.node}: this driver needs Node >= 20`);
    const tokens = argv.length === 3 ? Number(argv[2]) : 64;
    if (!Number.isInteger(tokens) || tokens < 1) throw new BenchError(`TOKENS must be a positive integer, got ${JSON.stringify(argv[2])}`);
    const result = await run(argv[0], argv[1], tokens);
    process.stdout.write(JSON.stringify(result) + '\n');
    return 0;
  } catch (e) {
    // onnxruntime-web's own failures (bad graph, unsupported op) land here too: one clear line.
    const msg = e instanceof BenchError ? e.message : `${e?.name ?? 'Error'}: ${e?.message ?? e}`;
    process.stderr.write(`ort_web: error: ${msg}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
