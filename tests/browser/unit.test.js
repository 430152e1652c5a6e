// The page's pure modules (functions/web/assets/audio.js and protocol.js), imported as the
// browser imports them: the resampler and WAV encoder, the SSE parser, the sentence splitter
// and the error envelope. Fast; no browser, no server.

import assert from 'node:assert/strict';
import test from 'node:test';

import { concat, encodeWav, fixStreamedWav, resample, rms } from '../../functions/web/assets/audio.js';
import {
  SentenceSplitter,
  SseParser,
  explain,
  parseApiError,
  speakable,
} from '../../functions/web/assets/protocol.js';
import { MOCK_ANSWER } from './lib.js';


function sine(freq, rate, seconds, amplitude = 0.5) {
  const out = new Float32Array(Math.round(rate * seconds));
  for (let i = 0; i < out.length; i++) out[i] = amplitude * Math.sin((2 * Math.PI * freq * i) / rate);
  return out;
}

/** Amplitude of `freq` in `x` (a single-bin DFT), ignoring `skip` samples at each edge. */
function toneAmplitude(x, freq, rate, skip = 200) {
  let re = 0;
  let im = 0;
  const n = x.length - 2 * skip;
  for (let i = skip; i < x.length - skip; i++) {
    re += x[i] * Math.cos((2 * Math.PI * freq * i) / rate);
    im -= x[i] * Math.sin((2 * Math.PI * freq * i) / rate);
  }
  return (2 * Math.hypot(re, im)) / n;
}

test('encodeWav writes a 16 kHz mono 16-bit PCM header and clipped samples', () => {
  const wav = new DataView(encodeWav(Float32Array.from([0, 0.5, -0.5, 1, -1, 2, -2]), 16000));
  const text = (at, n) => String.fromCharCode(...new Uint8Array(wav.buffer, at, n));
  assert.equal(text(0, 4), 'RIFF');
  assert.equal(wav.getUint32(4, true), 36 + 14);
  assert.equal(text(8, 8), 'WAVEfmt ');
  assert.deepEqual(
    [wav.getUint32(16, true), wav.getUint16(20, true), wav.getUint16(22, true)],
    [16, 1, 1],
  );
  assert.deepEqual(
    [wav.getUint32(24, true), wav.getUint32(28, true), wav.getUint16(32, true), wav.getUint16(34, true)],
    [16000, 32000, 2, 16],
  );
  assert.equal(text(36, 4), 'data');
  assert.equal(wav.getUint32(40, true), 14);
  const samples = [0, 1, 2, 3, 4, 5, 6].map((i) => wav.getInt16(44 + 2 * i, true));
  assert.deepEqual(samples, [0, 16384, -16384, 32767, -32768, 32767, -32768]);
});

test('resample keeps a 440 Hz tone and its level from 48 kHz and 44.1 kHz to 16 kHz', () => {
  for (const rate of [48000, 44100, 22050]) {
    const out = resample(sine(440, rate, 1), rate, 16000);
    assert.equal(out.length, 16000, `${rate}`);
    const amp = toneAmplitude(out, 440, 16000);
    assert.ok(Math.abs(amp - 0.5) < 0.005, `${rate}: amplitude ${amp}`);
    // Nothing at a wrong frequency (a wrong rate would move the tone).
    assert.ok(toneAmplitude(out, 440 * (rate / 16000), 16000) < 0.01, `${rate}: tone moved`);
    // Sample-exact phase: output j is input time j/16000.
    let worst = 0;
    for (let j = 200; j < out.length - 200; j++) {
      worst = Math.max(worst, Math.abs(out[j] - 0.5 * Math.sin((2 * Math.PI * 440 * j) / 16000)));
    }
    assert.ok(worst < 0.005, `${rate}: worst sample error ${worst}`);
  }
});

test('resample removes what 16 kHz cannot hold instead of folding it back', () => {
  // 11 kHz at 48 kHz would alias to 5 kHz at 16 kHz without the low-pass.
  const out = resample(sine(11000, 48000, 0.5), 48000, 16000);
  assert.ok(rms(out.subarray(200, -200)) < 0.5 * 0.7071 * 0.01, `leak ${rms(out)}`);
  // 7 kHz (inside 97 % of 8 kHz) passes.
  const kept = resample(sine(7000, 48000, 0.5), 48000, 16000);
  assert.ok(Math.abs(toneAmplitude(kept, 7000, 16000) - 0.5) < 0.02);
});

test('resample to the same rate copies; upsampling keeps the tone', () => {
  const x = sine(300, 16000, 0.1);
  assert.deepEqual(resample(x, 16000, 16000), x);
  const up = resample(sine(300, 16000, 1), 16000, 22050);
  assert.equal(up.length, 22050);
  assert.ok(Math.abs(toneAmplitude(up, 300, 22050) - 0.5) < 0.005);
});

test('fixStreamedWav sets unknown streamed sizes to what arrived and leaves whole files alone', () => {
  const whole = encodeWav(Float32Array.from([0.1, -0.2, 0.3]), 24000);
  const copy = whole.slice(0);
  assert.deepEqual(new Uint8Array(fixStreamedWav(copy)), new Uint8Array(whole));
  for (const unknown of [0xffffffff, 0]) {
    const streamed = whole.slice(0);
    const v = new DataView(streamed);
    v.setUint32(4, unknown, true);
    v.setUint32(40, unknown, true);
    fixStreamedWav(streamed);
    assert.deepEqual([v.getUint32(4, true), v.getUint32(40, true)], [36 + 6, 6]);
  }
  const notWav = new TextEncoder().encode('{"error":{}}').buffer;
  assert.equal(fixStreamedWav(notWav), notWav);
});

test('concat joins blocks up to a limit', () => {
  const blocks = [Float32Array.from([1, 2]), Float32Array.from([3, 4, 5])];
  assert.deepEqual(Array.from(concat(blocks)), [1, 2, 3, 4, 5]);
  assert.deepEqual(Array.from(concat(blocks, 3)), [1, 2, 3]);
});

test('SseParser reads events split anywhere, skips comments, keeps event names', () => {
  const stream =
    ': OPENROUTER PROCESSING\n\n' +
    'data: {"choices":[{"delta":{"content":"أهلاً "}}]}\r\n\r\n' +
    'event: error\ndata: {"error":{"message":"boom"}}\n\n' +
    'data: [DONE]\n\n';
  for (const size of [1, 2, 3, 7, 1000]) {
    const p = new SseParser();
    const events = [];
    for (let i = 0; i < stream.length; i += size) events.push(...p.push(stream.slice(i, i + size)));
    events.push(...p.finish());
    assert.deepEqual(
      events,
      [
        { event: 'message', data: '{"choices":[{"delta":{"content":"أهلاً "}}]}' },
        { event: 'error', data: '{"error":{"message":"boom"}}' },
        { event: 'message', data: '[DONE]' },
      ],
      `chunks of ${size}`,
    );
  }
  // A last event without its blank line still counts at the end.
  const p = new SseParser();
  assert.deepEqual(p.push('data: x'), []);
  assert.deepEqual(p.finish(), [{ event: 'message', data: 'x' }]);
});

test('SentenceSplitter cuts the streamed mock answer into four sentences as they complete', () => {
  const s = new SentenceSplitter();
  const done = [];
  for (const word of MOCK_ANSWER.split(/(?<= )/)) done.push(s.push(word));
  // Each sentence is complete once the word after its mark starts (the space is in the word).
  assert.deepEqual(done.flat(), ['أهلاً بيك!', 'أنا صوت،', 'مساعدك المصري.']);
  assert.deepEqual(s.flush(), ['تحب أساعدك في إيه النهارده؟']);
});

test('SentenceSplitter keeps decimals and dotted names, cuts at line breaks, merges bare marks', () => {
  const s = new SentenceSplitter();
  assert.deepEqual(s.push('السعر 3.5 جنيه من example.com'), []);
  assert.deepEqual(s.push(' بس.\nوبعدين'), ['السعر 3.5 جنيه من example.com بس.']);
  assert.deepEqual(s.push(' كده\n'), ['وبعدين كده']);
  assert.deepEqual(s.push('!! '), []);
  assert.deepEqual(s.push('تمام؟ '), ['!! تمام؟']);
  assert.deepEqual(s.push('… '), []);
  assert.deepEqual(s.flush(), ['…']);
});

test('speakable drops markdown and links', () => {
  assert.equal(speakable('**مهم**: شوف [الموقع](https://x.y) أو https://a.b/c'), 'مهم : شوف الموقع أو');
});

test('parseApiError reads the envelope and finds the push command', () => {
  const body = JSON.stringify({
    error: {
      message:
        'the model `whisper-tiny` is not loaded: this app\'s key-value store has no `whisper-tiny` yet. Upload it once with `sawt models push models/local/whisper-tiny/export --name whisper-tiny --url <app-url> --token <admin_token>` (see the README, "Models")',
      type: 'service_unavailable',
      param: null,
      code: 'model_not_loaded',
    },
  });
  const e = parseApiError(503, body, null);
  assert.equal(e.code, 'model_not_loaded');
  assert.equal(
    e.command,
    'sawt models push models/local/whisper-tiny/export --name whisper-tiny --url <app-url> --token <admin_token>',
  );
  assert.match(explain(e), /الموديل لسه مش متحمّل/);

  const rate = parseApiError(429, '{"error":{"message":"upstream: Rate limit exceeded","type":"rate_limit_error","param":null,"code":"rate_limited"}}', '7');
  assert.equal(rate.retryAfter, 7);
  assert.equal(rate.message, 'upstream: Rate limit exceeded');
  assert.match(explain(rate), /طلبات كتير/);
  assert.match(explain(rate), /٧/);

  const html = parseApiError(502, '<html>bad gateway</html>', 'soon');
  assert.deepEqual([html.message, html.code, html.retryAfter, html.command], ['', null, null, null]);
  assert.equal(explain({ status: 0, network: true }), 'مش قادر أوصل للسيرفر. اتأكد إنه شغال وإن النت تمام، وجرّب تاني.');
});
