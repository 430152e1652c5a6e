// The voice-chat page end to end in a real browser: Debian's Chromium (headless, driven by
// playwright-core) against the app as `spin up` runs it (the built .wasm files under
// `spin-harness`), with the mock OpenRouter behind chat, the fixture Whisper model pushed with
// `sawt models push`, and — when spin.toml has the synthesize component — the fixture XTTS
// model. Chromium's fake microphone plays a fixture speech clip in a loop.
//
// Needs: target/debug/{spin-harness,mock-openrouter,sawt} and the release .wasm files
// (scripts/check builds both), Chromium (apt-get install chromium), `npm ci` here.
// Screenshots go to $SAWT_SCREENSHOT_DIR (default tests/browser/artifacts; the README's come
// from SAWT_SCREENSHOT_DIR=docs/screenshots).

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { chromium } from 'playwright-core';

import {
  MOCK_ANSWER,
  REPO,
  binary,
  chromiumPath,
  loopCorrelation,
  parseWav,
  pushModel,
  start,
  stop,
} from './lib.js';

const ADMIN = 'browser-admin-token';
const SPEECH_CLIP = path.join(REPO, 'tests/fixtures/whisper/audio/speech_16k_s16_mono.wav');
const WHISPER_MODEL = path.join(REPO, 'tests/fixtures/whisper/model');
const XTTS_MODEL = path.join(REPO, 'tests/fixtures/xtts/model');
const CLONE_CLIP = path.join(REPO, 'tests/fixtures/xtts/audio/amira.wav');
const SENTENCES = ['أهلاً بيك!', 'أنا صوت،', 'مساعدك المصري.', 'تحب أساعدك في إيه النهارده؟'];
const HOLD_MS = 5000;
const MAX_AUDIO_LENGTH = '45';
const SHOTS = path.resolve(REPO, process.env.SAWT_SCREENSHOT_DIR || 'tests/browser/artifacts');

const env = {};

before(async () => {
  const executablePath = chromiumPath();
  if (!/^\[component\.synthesize\]/m.test(fs.readFileSync(path.join(REPO, 'spin.toml'), 'utf8'))) {
    throw new Error('spin.toml has no [component.synthesize]: the browser test exercises real speech');
  }
  for (const name of ['spin-harness', 'mock-openrouter', 'sawt']) binary(name);
  const mock = await start(binary('mock-openrouter'), ['--port', '0'], 'listening on ');
  env.mock = mock.proc;
  const [origin, apiPath] = mock.rest.split('/api/');
  const variables = {
    openrouter_api_key: 'sk-or-browser-test',
    openrouter_origin: origin,
    openrouter_api_path: `/api/${apiPath}`,
    openrouter_timeout_secs: '5',
    admin_token: ADMIN,
    max_audio_length: MAX_AUDIO_LENGTH,
    tts_model: 'xtts-v2',
    enable_voice_cloning: 'true',
  };
  const args = ['up', '--listen', '127.0.0.1:0'];
  for (const [k, v] of Object.entries(variables)) args.push('--variable', `${k}=${v}`);
  // Only the variables given here: a developer's SPIN_VARIABLE_* must not leak in.
  const harnessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SPIN_VARIABLE_')));
  const harness = await start(binary('spin-harness'), args, 'Serving ', { env: harnessEnv });
  env.harness = harness.proc;
  env.harnessOutput = harness.output;
  env.origin = harness.rest.replace(/\/$/, '');

  env.profile = fs.mkdtempSync(path.join(os.tmpdir(), 'sawt-chromium-'));
  env.context = await chromium.launchPersistentContext(env.profile, {
    executablePath,
    headless: true,
    viewport: { width: 1280, height: 800 },
    locale: 'ar-EG',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream',
      `--use-file-for-fake-audio-capture=${SPEECH_CLIP}`,
    ],
  });
  fs.mkdirSync(SHOTS, { recursive: true });
  console.log(`app ${env.origin}`);
});

after(async () => {
  await env.context?.close().catch(() => {});
  stop(env.harness, env.mock);
  if (env.profile) fs.rmSync(env.profile, { recursive: true, force: true });
});

/** Opens the page and records, in the page, every state and audio change with its time. */
async function openPage({ width = 1280, height = 800, init } = {}) {
  const page = await env.context.newPage();
  await page.setViewportSize({ width, height });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  // Failed requests are asserted where they are expected; anything else logged as an error is a fault.
  page.on('console', (m) => m.type() === 'error' && !m.text().startsWith('Failed to load resource') && errors.push(m.text()));
  page.errors = errors;
  if (init) await page.addInitScript(init);
  await page.addInitScript(() => {
    window.__log = [];
    new MutationObserver((records) => {
      for (const r of records) {
        window.__log.push({ t: performance.now(), attr: r.attributeName, value: document.body.getAttribute(r.attributeName) });
      }
    }).observe(document, { subtree: true, attributes: true, attributeFilter: ['data-state', 'data-audio', 'data-played'] });
  });
  await page.goto(`${env.origin}/`);
  await page.waitForFunction(() => document.body.dataset.state === 'idle');
  return page;
}

/** Waits until the current turn is over (idle, nothing playing). */
async function idle(page, timeout = 240_000) {
  await page.waitForFunction(() => document.body.dataset.state === 'idle' && document.body.dataset.audio === 'idle', null, { timeout });
}

/** Records requests to `path` with their Node-side times. */
function watch(page, urlPath) {
  const seen = [];
  page.on('request', (r) => {
    // The body is read now: Chromium forgets large bodies once the request is done.
    if (new URL(r.url()).pathname === urlPath) seen.push({ request: r, body: r.postDataBuffer(), at: performance.now() });
  });
  page.on('requestfinished', (r) => {
    const s = seen.find((x) => x.request === r);
    if (s) s.finished = performance.now();
  });
  return seen;
}

async function holdMic(page, ms) {
  const box = await page.locator('#mic-button').boundingBox();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.down();
  await page.waitForTimeout(ms);
  await page.mouse.up();
}

async function sendText(page, text) {
  await page.fill('#text-input', text);
  await page.press('#text-input', 'Enter');
}

async function transcribeDirectly(wavBytes) {
  const form = new FormData();
  form.append('file', new Blob([wavBytes], { type: 'audio/wav' }), 'same.wav');
  form.append('model', 'whisper-1');
  form.append('language', 'ar');
  form.append('response_format', 'json');
  const r = await fetch(`${env.origin}/v1/audio/transcriptions`, { method: 'POST', body: form });
  assert.equal(r.status, 200, await r.clone().text());
  return (await r.json()).text.trim();
}

const lastAssistant = (page) => page.locator('.msg.assistant .text').last();

test('the web component serves the page, its assets and settings with types, caching and OpenAI errors', async () => {
  const page = await fetch(`${env.origin}/`);
  assert.equal(page.status, 200);
  assert.equal(page.headers.get('content-type'), 'text/html; charset=utf-8');
  assert.equal(page.headers.get('cache-control'), 'no-cache');
  assert.match(page.headers.get('content-security-policy'), /default-src 'none'.*connect-src 'self'/);
  const html = await page.text();
  assert.match(html, /<html lang="ar" dir="rtl">/);
  assert.match(html, /name="viewport"/);
  assert.doesNotMatch(html, /https?:\/\/(?!localhost)/, 'the page loads nothing from elsewhere');

  const etag = page.headers.get('etag');
  assert.match(etag, /^"[0-9a-f]{16}"$/);
  const again = await fetch(`${env.origin}/`, { headers: { 'if-none-match': etag } });
  assert.equal(again.status, 304);
  assert.equal((await again.arrayBuffer()).byteLength, 0);
  const head = await fetch(`${env.origin}/`, { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(head.headers.get('etag'), etag);

  const types = {
    '/web/app.js': 'text/javascript; charset=utf-8',
    '/web/audio.js': 'text/javascript; charset=utf-8',
    '/web/protocol.js': 'text/javascript; charset=utf-8',
    '/web/recorder-worklet.js': 'text/javascript; charset=utf-8',
    '/web/style.css': 'text/css; charset=utf-8',
    '/web/icon.svg': 'image/svg+xml',
    '/web/config.json': 'application/json',
  };
  for (const [p, type] of Object.entries(types)) {
    const r = await fetch(env.origin + p);
    assert.equal(r.status, 200, p);
    assert.equal(r.headers.get('content-type'), type, p);
    assert.equal(r.headers.get('x-content-type-options'), 'nosniff', p);
    const served = Buffer.from(await r.arrayBuffer());
    if (p !== '/web/config.json') {
      assert.deepEqual(served, fs.readFileSync(path.join(REPO, 'functions/web/assets', path.basename(p))), `${p} is the file`);
    }
  }
  const config = await (await fetch(`${env.origin}/web/config.json`)).json();
  assert.deepEqual(config, { max_audio_length: Number(MAX_AUDIO_LENGTH), whisper_language: 'ar' });

  const missing = await fetch(`${env.origin}/web/nothing.js`);
  assert.equal(missing.status, 404);
  assert.deepEqual(await missing.json(), {
    error: { message: 'Invalid URL (GET /web/nothing.js)', type: 'invalid_request_error', param: null, code: 'unknown_url' },
  });
  const post = await fetch(`${env.origin}/`, { method: 'POST', body: 'x' });
  assert.equal(post.status, 405);
  assert.equal(post.headers.get('allow'), 'GET, HEAD');
  assert.equal((await post.json()).error.code, 'method_not_allowed');
});

test('before the Whisper model is pushed, a voice turn shows the command that loads it', async () => {
  const page = await openPage();
  assert.equal(await page.getAttribute('html', 'dir'), 'rtl');
  assert.equal(await page.getAttribute('html', 'lang'), 'ar');
  await holdMic(page, 1200);
  const box = page.locator('.notice.error[data-code="model_not_loaded"]');
  await box.waitFor({ timeout: 120_000 });
  assert.equal(await box.getAttribute('data-stage'), 'transcribe');
  assert.equal(await box.getAttribute('data-status'), '503');
  assert.match(await box.locator('p').first().textContent(), /مقدرتش أكتب اللي قلته\. الموديل لسه مش متحمّل/);
  assert.match(await box.locator('pre code').textContent(), /^sawt models push \S+ --name whisper-tiny /);
  assert.match(await box.locator('.server-message').textContent(), /the model `whisper-tiny` is not loaded/);
  await idle(page);
  assert.equal(await page.locator('.msg').count(), 0, 'no message without a transcript');
  // No XTTS model: no voice to speak with (replies stay text), and making one names the command.
  await page.locator('.notice[data-code="no_voice"]').waitFor();
  await page.click('#settings-button');
  await page.fill('#clone-name', 'أميرة');
  await page.setInputFiles('#clone-file', CLONE_CLIP);
  await page.click('#clone-submit');
  const clone = page.locator('.notice.error[data-stage="clone"][data-code="model_not_loaded"]');
  await clone.waitFor({ timeout: 120_000 });
  assert.match(await clone.locator('pre code').textContent(), /^sawt models push \S+ --name xtts-v2 /);
  await page.click('#settings-button');
  assert.deepEqual(page.errors, []);
  await page.click('#clear-button');
  await page.close();
});

test('after the pushes, a new voice from a reference clip is made in the page and chosen', async () => {
  pushModel(env.origin, ADMIN, WHISPER_MODEL, 'whisper-tiny');
  pushModel(env.origin, ADMIN, XTTS_MODEL, 'xtts-v2');
  const page = await openPage();
  env.page = page;
  await page.click('#settings-button');
  await page.locator('#clone-form').waitFor();
  await page.fill('#clone-name', 'أميرة');
  await page.setInputFiles('#clone-file', CLONE_CLIP);
  const created = page.waitForResponse((r) => new URL(r.url()).pathname === '/v1/audio/voices' && r.request().method() === 'POST');
  await page.click('#clone-submit');
  const response = await created;
  assert.equal(response.status(), 201, await response.text());
  const voice = await response.json();
  assert.equal(voice.name, 'أميرة');
  await page.waitForFunction((id) => document.getElementById('voice-select').value === id, voice.id);
  assert.equal(await page.locator('.notice[data-code="no_voice"]').count(), 0);
  const listed = await (await fetch(`${env.origin}/v1/audio/voices`)).json();
  const options = await page.locator('#voice-select option').evaluateAll((os) => os.map((o) => o.value));
  for (const v of listed.data) assert.ok(options.includes(v.id), `${v.id} in the picker`);
  await page.click('#settings-button');
  env.voice = voice.id;
  assert.deepEqual(page.errors, []);
});

test('a voice turn: transcript, streamed reply, speech per sentence while it streams, playback', async () => {
  const page = env.page;
  const models = await (await fetch(`${env.origin}/v1/models`)).json();
  const transcriptions = watch(page, '/v1/audio/transcriptions');
  // Chromium hands a large multipart body to the DevTools protocol only for intercepted requests.
  const uploads = [];
  await page.route('**/v1/audio/transcriptions', async (route) => {
    uploads.push(route.request().postDataBuffer());
    await route.continue();
  });
  const chats = watch(page, '/v1/chat/completions');
  const speeches = watch(page, '/v1/audio/speech');
  // Every change of the reply bubble's text, with its time.
  await page.evaluate(() => {
    window.__reply = [];
    new MutationObserver(() => {
      const last = document.querySelector('.msg.assistant:last-of-type .text');
      if (last) window.__reply.push({ t: performance.now(), length: last.textContent.length });
    }).observe(document.getElementById('messages'), { subtree: true, childList: true, characterData: true });
  });

  await holdMic(page, HOLD_MS);
  await page.locator('.msg.user').first().waitFor({ timeout: 120_000 });
  await idle(page);
  assert.deepEqual(page.errors, []);

  // What the page uploaded: a 16 kHz mono 16-bit WAV of the clip the fake microphone played.
  assert.equal(transcriptions.length, 1);
  assert.equal(uploads.length, 1);
  const body = uploads[0];
  const text = body.toString('latin1');
  for (const [name, value] of [['model', 'whisper-1'], ['language', 'ar'], ['response_format', 'json']]) {
    assert.match(text, new RegExp(`name="${name}"\\r\\n\\r\\n${value}\\r\\n`), name);
  }
  const wav = parseWav(body.subarray(body.indexOf('RIFF')));
  assert.deepEqual([wav.format, wav.channels, wav.bits, wav.rate, wav.byteRate], [1, 1, 16, 16000, 32000]);
  const seconds = wav.samples.length / wav.rate;
  assert.ok(seconds > (HOLD_MS - 1500) / 1000 && seconds <= HOLD_MS / 1000 + 0.1, `recorded ${seconds} s of a ${HOLD_MS} ms hold`);
  const clip = parseWav(fs.readFileSync(SPEECH_CLIP));
  const match = loopCorrelation(wav.samples, clip.samples);
  console.log(`recording: ${seconds.toFixed(2)} s, correlation with the fixture clip ${match.correlation.toFixed(4)} at offset ${match.offset}`);
  assert.ok(match.correlation > 0.9, `the recording is not the clip at 16 kHz (correlation ${match.correlation})`);

  // The transcript shown is what the API answers for that same upload.
  const shown = (await page.locator('.msg.user .text').first().textContent()).trim();
  assert.ok(shown.length > 0);
  assert.equal(shown, await transcribeDirectly(wav.bytes));

  // The chat request: the conversation so far, streamed, the server's chat model.
  assert.equal(chats.length, 1);
  const chat = JSON.parse(chats[0].body);
  assert.equal(chat.stream, true);
  assert.equal(chat.model, models.data.find((m) => m.owned_by === 'openrouter').id);
  assert.deepEqual(chat.messages, [{ role: 'user', content: shown }]);

  // The reply appeared in steps as it streamed, and whole.
  assert.equal(await lastAssistant(page).textContent(), MOCK_ANSWER);
  const steps = await page.evaluate(() => window.__reply.map((r) => r.length));
  const distinct = [...new Set(steps)].filter((n) => n > 0);
  assert.ok(distinct.length >= 3, `reply rendered in ${distinct.length} steps: ${steps}`);
  assert.deepEqual(distinct, [...distinct].sort((a, b) => a - b), 'the reply only grows');

  const timings = (await page.evaluate(() => window.sawt.timings)).at(-1);
  const ms = (name) => (timings[name] === undefined ? 'n/a' : `${Math.round(timings[name] - timings.recordEnd)} ms`);
  console.log(
    `timings after the end of recording: transcript shown ${ms('transcript')}, first reply token ${ms('firstToken')}, first audio playing ${ms('firstAudio')}`,
  );
  assert.ok(timings.transcript > timings.recordEnd && timings.firstToken > timings.transcript);

  const log = await page.evaluate(() => window.__log);
  // One speech request per sentence, in order, the first before the reply finished streaming.
  assert.deepEqual(speeches.map((s) => JSON.parse(s.body).input), SENTENCES);
  for (const s of speeches) {
    const b = JSON.parse(s.body);
    assert.equal(b.model, 'tts-1');
    assert.equal(b.response_format, 'wav');
    assert.equal(b.voice, env.voice);
    const r = await s.request.response();
    assert.equal(r.status(), 200);
  }
  assert.ok(speeches[0].at < chats[0].finished, 'the first sentence went to speech while the reply still streamed');
  assert.ok(timings.firstAudio > timings.firstToken);
  assert.ok(log.some((e) => e.attr === 'data-audio' && e.value === 'playing'), 'audio played');
  assert.ok(log.some((e) => e.attr === 'data-state' && e.value === 'speaking'));
  assert.equal(await page.getAttribute('body', 'data-played'), String(SENTENCES.length), 'every sentence played to its end');
  const states = log.filter((e) => e.attr === 'data-state').map((e) => e.value);
  for (const s of ['recording', 'transcribing', 'thinking', 'idle']) assert.ok(states.includes(s), `${s} in ${states}`);
});

test('a typed message gets the same streamed (and spoken) reply', async () => {
  const page = env.page;
  const speeches = watch(page, '/v1/audio/speech');
  await sendText(page, 'إزيك يا صوت؟ قولّي حاجة حلوة عن القاهرة');
  await page.waitForFunction(() => document.body.dataset.state !== 'idle');
  await idle(page);
  assert.equal(await lastAssistant(page).textContent(), MOCK_ANSWER);
  assert.deepEqual(speeches.map((s) => JSON.parse(s.body).input), SENTENCES);
  assert.deepEqual(page.errors, []);
});

test('microphone permission denied is explained', async () => {
  const page = await openPage({
    init: () => {
      navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException('Permission denied', 'NotAllowedError'));
    },
  });
  await page.click('#mic-button');
  const box = page.locator('.notice.error[data-stage="microphone"]');
  await box.waitFor();
  assert.equal(await box.getAttribute('data-code'), 'NotAllowedError');
  assert.match(await box.textContent(), /المتصفح مش سامح للصفحة تستخدم الميكروفون/);
  assert.equal(await page.getAttribute('body', 'data-state'), 'idle');
  await page.close();
});

test('the conversation survives a reload (localStorage) and looks right at desktop and phone width', async () => {
  const desktop = env.page;
  await desktop.locator('.notice').evaluateAll((ns) => ns.forEach((n) => n.remove()));
  const count = await desktop.locator('.msg').count();
  assert.ok(count >= 4, `${count} messages`);
  await desktop.screenshot({ path: path.join(SHOTS, 'web-desktop.png') });

  const phone = await openPage({ width: 390, height: 844 });
  assert.equal(await phone.locator('.msg').count(), count, 'history restored from localStorage');
  assert.deepEqual(
    await phone.locator('.msg .text').allTextContents(),
    await desktop.locator('.msg .text').allTextContents(),
  );
  await phone.locator('.notice').evaluateAll((ns) => ns.forEach((n) => n.remove()));
  // Readable on a phone: nothing wider than the screen, the mic button big enough to hit.
  assert.ok(await phone.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth));
  const mic = await phone.locator('#mic-button').boundingBox();
  assert.ok(mic.width >= 48 && mic.height >= 48);
  await phone.screenshot({ path: path.join(SHOTS, 'web-phone.png') });
  console.log(`screenshots: ${path.relative(REPO, SHOTS)}/web-desktop.png, web-phone.png`);

  assert.deepEqual(phone.errors, []);
  await phone.close();
});

test('a tap starts recording, the remaining seconds count down, and it stops by itself at max_audio_length', async () => {
  const page = await env.context.newPage();
  await page.route('**/web/config.json', (route) => route.fulfill({ json: { max_audio_length: 1.5, whisper_language: 'ar' } }));
  const uploads = [];
  await page.route('**/v1/audio/transcriptions', async (route) => {
    uploads.push(route.request().postDataBuffer());
    await route.continue();
  });
  await page.goto(`${env.origin}/`);
  await page.waitForFunction(() => document.body.dataset.state === 'idle');
  await page.click('#mic-button'); // a tap: recording goes on after the release
  await page.waitForFunction(() => /فاضل/.test(document.getElementById('remaining').textContent));
  assert.equal(await page.getAttribute('#mic-button', 'aria-pressed'), 'true');
  await page.waitForFunction(() => document.body.dataset.state !== 'recording', null, { timeout: 10_000 });
  await idle(page);
  assert.equal(uploads.length, 1);
  const wav = parseWav(uploads[0].subarray(uploads[0].indexOf('RIFF')));
  assert.equal(wav.samples.length, 1.5 * 16000, 'cut at exactly max_audio_length');
  await page.close();
});

test('stop interrupts a spoken reply: playback ends, no further speech is fetched', async () => {
  const page = env.page;
  const speeches = watch(page, '/v1/audio/speech');
  const played = Number(await page.getAttribute('body', 'data-played'));
  await sendText(page, 'احكيلي حكاية طويلة');
  await page.waitForFunction(() => document.body.dataset.audio === 'playing', null, { timeout: 120_000 });
  await page.click('#stop-button');
  const stoppedAt = performance.now();
  assert.equal(await page.getAttribute('body', 'data-audio'), 'idle');
  assert.equal(await page.getAttribute('body', 'data-state'), 'idle');
  assert.ok(await page.locator('#stop-button').isHidden());
  await page.waitForTimeout(2000);
  assert.equal(speeches.filter((s) => s.at > stoppedAt).length, 0, 'no speech request after stop');
  assert.ok(speeches.length < SENTENCES.length || speeches.every((s) => s.finished), 'requests were ended');
  // The stopped sentence does not count as played, nor do the ones after it.
  assert.ok(Number(await page.getAttribute('body', 'data-played')) < played + SENTENCES.length);
  assert.equal(await page.getAttribute('body', 'data-audio'), 'idle');
  assert.deepEqual(page.errors, []);
});

test('without speech on the server (voices 404, as before the synthesize component) replies are text, with a notice', async () => {
  const page = await env.context.newPage();
  // What the fallback component answers for a path no component serves.
  await page.route('**/v1/audio/voices', (route) =>
    route.fulfill({
      status: 404,
      json: { error: { message: 'Invalid URL (GET /v1/audio/voices)', type: 'invalid_request_error', param: null, code: 'unknown_url' } },
    }),
  );
  await page.goto(`${env.origin}/`);
  await page.waitForFunction(() => document.body.dataset.state === 'idle');
  await page.locator('.notice[data-code="speech_unavailable"]').waitFor();
  assert.ok(await page.locator('#voice-select').isDisabled());
  const speeches = watch(page, '/v1/audio/speech');
  const before = await page.locator('.msg').count();
  await sendText(page, 'من غير صوت');
  await page.waitForFunction((n) => document.querySelectorAll('.msg').length === n + 2 && document.body.dataset.state === 'idle', before);
  assert.equal(await lastAssistant(page).textContent(), MOCK_ANSWER);
  assert.equal(speeches.length, 0);
  assert.equal(await page.getAttribute('body', 'data-played'), '0');
  await page.close();
});

test('API errors are shown in Arabic with the server message (mock 429); clear empties the page and the history', async () => {
  const page = env.page;
  await sendText(page, 'اختبار [mock:error-429]');
  const box = page.locator('.notice.error[data-status="429"]');
  await box.waitFor({ timeout: 60_000 });
  assert.equal(await box.getAttribute('data-stage'), 'chat');
  assert.match(await box.locator('p').first().textContent(), /مقدرتش أجيب رد\. فيه طلبات كتير دلوقتي\. استنى ٧ ثانية/);
  // The server's own message, as the API answers it.
  const direct = await fetch(`${env.origin}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ messages: [{ role: 'user', content: 'x [mock:error-429]' }] }),
  });
  assert.equal(direct.status, 429);
  assert.equal(await box.locator('.server-message').textContent(), (await direct.json()).error.message);
  await idle(page);
  // Last: the marker stays in the history, so every later request would get 429 too.
  await page.click('#clear-button');
  assert.equal(await page.locator('.msg').count(), 0);
  assert.equal(await page.locator('.notice').count(), 0);
  assert.equal(await page.evaluate(() => localStorage.getItem('sawt.history.v1')), '[]');
  assert.deepEqual(page.errors, []);
  await page.close();
});
