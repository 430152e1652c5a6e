// sawt's voice-chat page. One turn: microphone → 16 kHz WAV (audio.js) →
// /v1/audio/transcriptions → /v1/chat/completions (streamed) → each finished sentence to
// /v1/audio/speech while the rest streams → played in order. Everything is asked of the app
// that serves this page; nothing is fetched from anywhere else.
//
// For tests and the curious, the page exposes its state on <body>: data-state (loading, idle,
// recording, transcribing, thinking, speaking), data-audio (idle | playing), data-played (answers
// played to their end), and window.sawt.timings (performance.now() marks of every turn).

import { WHISPER_RATE, concat, encodeWav, fixStreamedWav, meterLevel, resample } from './audio.js';
import {
  SentenceSplitter,
  SseParser,
  explain,
  explainMicrophone,
  parseApiError,
  speakable,
} from './protocol.js';

const HISTORY_KEY = 'sawt.history.v1';
const VOICE_KEY = 'sawt.voice';
const SPEECH_KEY = 'sawt.speech';
const API_KEY_KEY = 'sawt.apiKey';
/** Messages sent with each chat request: the newest ones (the server allows 200). */
const CONTEXT_MESSAGES = 40;
/** A press longer than this is press-and-hold (release stops); shorter is a tap (tap again to stop). */
const HOLD_MS = 350;
/** Shorter recordings are dropped as accidental taps. */
const MIN_RECORDING_S = 0.3;
/** Reference clips for a new voice: what the synthesize component accepts. */
const CLONE_MIN_S = 3;
const CLONE_MAX_S = 30;
/** Rate of a recorded reference clip: XTTS conditions on 22.05 kHz audio. */
const CLONE_RATE = 22050;

const $ = (id) => document.getElementById(id);
const ui = {
  body: document.body,
  messages: $('messages'),
  empty: $('empty'),
  conversation: $('conversation'),
  notices: $('notices'),
  status: $('status'),
  meter: $('meter'),
  meterLevel: $('meter-level'),
  remaining: $('remaining'),
  mic: $('mic-button'),
  stop: $('stop-button'),
  textForm: $('text-form'),
  textInput: $('text-input'),
  settingsButton: $('settings-button'),
  settings: $('settings'),
  clear: $('clear-button'),
  voiceSelect: $('voice-select'),
  speechToggle: $('speech-toggle'),
  apiKey: $('api-key'),
  serverInfo: $('server-info'),
  cloneForm: $('clone-form'),
  cloneName: $('clone-name'),
  cloneFile: $('clone-file'),
  cloneRecord: $('clone-record'),
  cloneStatus: $('clone-status'),
  clonePreview: $('clone-preview'),
};

const digits = new Intl.NumberFormat('ar-EG', { maximumFractionDigits: 1 });

const saved = {
  get(key, fallback) {
    try {
      const v = localStorage.getItem(key);
      return v === null ? fallback : JSON.parse(v);
    } catch {
      return fallback;
    }
  },
  set(key, value) {
    try {
      localStorage.setItem(key, JSON.stringify(value));
    } catch {
      // Private mode or a full store: the page still works, it just forgets.
    }
  },
};

const app = {
  state: 'loading',
  config: { max_audio_length: 120, whisper_language: 'ar' },
  chatModel: null,
  speech: {
    available: false,
    enabled: saved.get(SPEECH_KEY, true),
    voice: saved.get(VOICE_KEY, null),
    cloning: false,
  },
  history: loadHistory(),
  turn: null,
  recorder: null,
  audioContext: null,
  workletReady: null,
  played: 0,
  nextTurnId: 1,
};

window.sawt = { timings: [] };

function loadHistory() {
  const h = saved.get(HISTORY_KEY, []);
  return Array.isArray(h)
    ? h.filter((m) => m && (m.role === 'user' || m.role === 'assistant') && typeof m.content === 'string')
    : [];
}

// ---------------------------------------------------------------- state and messages

const STATUS = {
  loading: 'بيحمّل…',
  idle: 'جاهز',
  recording: 'بسمعك…',
  transcribing: 'بكتب اللي قلته…',
  thinking: 'بفكّر…',
  speaking: 'بتكلّم…',
};

function setState(state) {
  app.state = state;
  ui.body.dataset.state = state;
  ui.status.textContent = STATUS[state];
  const recording = state === 'recording';
  ui.meter.hidden = !recording;
  ui.remaining.hidden = !recording;
  ui.mic.setAttribute('aria-pressed', String(recording));
  ui.mic.setAttribute('aria-label', recording ? 'وقّف التسجيل' : 'دوس واتكلم');
  ui.stop.hidden = !['transcribing', 'thinking', 'speaking'].includes(state);
}

function setAudio(playing) {
  ui.body.dataset.audio = playing ? 'playing' : 'idle';
}

function addBubble(role, text) {
  ui.empty.hidden = true;
  const li = document.createElement('li');
  li.className = `msg ${role}`;
  const span = document.createElement('span');
  span.className = 'text';
  span.dir = 'auto';
  span.textContent = text;
  li.append(span);
  ui.messages.append(li);
  scrollDown();
  return {
    li,
    set(t) {
      span.textContent = t;
      scrollDown();
    },
    note(t) {
      let meta = li.querySelector('.meta');
      if (!meta) {
        meta = document.createElement('span');
        meta.className = 'meta';
        li.append(meta);
      }
      meta.textContent = t;
    },
  };
}

function scrollDown() {
  ui.conversation.scrollTop = ui.conversation.scrollHeight;
}

function renderHistory() {
  ui.messages.replaceChildren();
  for (const m of app.history) addBubble(m.role, m.content);
  ui.empty.hidden = app.history.length > 0;
}

function remember(role, content) {
  app.history.push({ role, content });
  saved.set(HISTORY_KEY, app.history);
}

/** An informational notice (`kind` info) or an error; returns its element. */
function notice(text, { kind = 'info', server = null, command = null, data = {} } = {}) {
  const box = document.createElement('div');
  box.className = `notice ${kind}`;
  box.setAttribute('role', kind === 'error' ? 'alert' : 'status');
  for (const [k, v] of Object.entries(data)) if (v !== null && v !== undefined) box.dataset[k] = v;
  const p = document.createElement('p');
  p.textContent = text;
  box.append(p);
  if (command) {
    const pre = document.createElement('pre');
    const code = document.createElement('code');
    code.dir = 'ltr';
    code.textContent = command;
    pre.append(code);
    box.append(pre);
  }
  if (server) {
    const s = document.createElement('p');
    s.className = 'server';
    s.append('رسالة السيرفر: ');
    const bdi = document.createElement('bdi');
    bdi.dir = 'ltr';
    bdi.className = 'server-message';
    bdi.textContent = server;
    s.append(bdi);
    box.append(s);
  }
  const close = document.createElement('button');
  close.type = 'button';
  close.className = 'close';
  close.setAttribute('aria-label', 'اقفل');
  close.textContent = '×';
  close.addEventListener('click', () => box.remove());
  box.append(close);
  ui.notices.append(box);
  // Keep the last few only.
  while (ui.notices.children.length > 4) ui.notices.firstElementChild.remove();
  return box;
}

const STAGE = {
  transcribe: 'مقدرتش أكتب اللي قلته.',
  chat: 'مقدرتش أجيب رد.',
  speech: 'مقدرتش أقرا الرد بصوت.',
  voices: 'مقدرتش أجيب الأصوات.',
  clone: 'مقدرتش أعمل الصوت الجديد.',
  models: 'مقدرتش أعرف الموديلات اللي على السيرفر.',
};

function showError(stage, e) {
  const err = e instanceof ApiFailure ? e.error : { status: 0, network: true, message: String(e?.message || e) };
  return notice(`${STAGE[stage]} ${explain(err)}`, {
    kind: 'error',
    server: err.message || null,
    command: err.command,
    data: { stage, status: String(err.status || ''), code: err.code },
  });
}

function microphoneError(e) {
  const box = notice(explainMicrophone(e.name), { kind: 'error', data: { stage: 'microphone', code: e.name } });
  if (e.name !== 'InsecureContext' && e.message) {
    const detail = document.createElement('p');
    detail.className = 'server';
    detail.dir = 'ltr';
    detail.textContent = `${e.name}: ${e.message}`;
    box.insertBefore(detail, box.querySelector('.close'));
  }
}

// ---------------------------------------------------------------- API

class ApiFailure extends Error {
  constructor(error) {
    super(error.message || `HTTP ${error.status}`);
    this.error = error;
  }
}

/** fetch() on this origin with the saved client key; a non-2xx answer throws ApiFailure. */
async function api(path, { method = 'GET', json, body, signal } = {}) {
  const headers = {};
  const key = ui.apiKey.value.trim();
  if (key) headers.Authorization = `Bearer ${key}`;
  if (json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(json);
  }
  let res;
  try {
    res = await fetch(path, { method, headers, body, signal });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiFailure({ status: 0, network: true, message: String(e.message || e), code: null });
  }
  if (!res.ok) {
    const text = await res.text().catch(() => '');
    throw new ApiFailure(parseApiError(res.status, text, res.headers.get('retry-after')));
  }
  return res;
}

const aborted = (e) => e?.name === 'AbortError';

// ---------------------------------------------------------------- settings from the server

async function loadServerSettings() {
  const [config, models, voices] = await Promise.allSettled([
    fetch('/web/config.json').then((r) => (r.ok ? r.json() : Promise.reject(new Error(`HTTP ${r.status}`)))),
    api('/v1/models').then((r) => r.json()),
    api('/v1/audio/voices').then((r) => r.json()),
  ]);
  if (config.status === 'fulfilled') app.config = { ...app.config, ...config.value };
  const info = [];
  if (models.status === 'fulfilled') {
    const list = Array.isArray(models.value?.data) ? models.value.data : [];
    const chat = list.find((m) => m.owned_by === 'openrouter');
    app.chatModel = chat ? chat.id : null;
    const ids = list.map((m) => m.id);
    info.push(`الموديلات: ${ids.join('، ')}`);
  } else {
    showError('models', models.reason);
  }
  info.push(`أطول تسجيل: ${digits.format(app.config.max_audio_length)} ثانية`);
  ui.serverInfo.textContent = info.join(' · ');

  if (voices.status === 'fulfilled') {
    setVoices(voices.value);
  } else {
    app.speech.available = false;
    ui.voiceSelect.replaceChildren(new Option('مفيش أصوات', ''));
    ui.voiceSelect.disabled = true;
    ui.speechToggle.disabled = true;
    const err = voices.reason instanceof ApiFailure ? voices.reason.error : null;
    if (err && err.status === 404) {
      notice('السيرفر ده مفيهوش تحويل الكلام لصوت لسه، فالردود هتبقى مكتوبة بس.', {
        data: { code: 'speech_unavailable' },
      });
    } else {
      showError('voices', voices.reason);
    }
  }
}

function setVoices(list) {
  const voices = Array.isArray(list?.data) ? list.data : [];
  app.speech.available = true;
  app.speech.cloning = list?.cloning_enabled === true;
  ui.cloneForm.hidden = !app.speech.cloning;
  ui.speechToggle.disabled = false;
  const options = [];
  if (!voices.length || !list.default_voice) options.push(new Option('صوت السيرفر الافتراضي', ''));
  for (const v of voices) {
    const label = v.id === list.default_voice ? `${v.name || v.id} (الافتراضي)` : v.name || v.id;
    options.push(new Option(label, v.id));
  }
  ui.voiceSelect.replaceChildren(...options);
  ui.voiceSelect.disabled = false;
  const ids = voices.map((v) => v.id);
  const pick = ids.includes(app.speech.voice) ? app.speech.voice : list.default_voice || '';
  ui.voiceSelect.value = pick;
  app.speech.voice = ui.voiceSelect.value || null;
  app.speech.list = list;
  // With no voice at all the server can only answer 400 no_voice: speak once there is one.
  app.speech.hasVoice = voices.length > 0 || Boolean(list?.default_voice);
  ui.notices.querySelector('[data-code="no_voice"]')?.remove();
  if (!app.speech.hasVoice) {
    notice(
      app.speech.cloning
        ? 'مفيش صوت على السيرفر أقرا بيه الردود لسه، فالردود هتبقى مكتوبة. اعمل صوت جديد من الإعدادات.'
        : 'مفيش صوت على السيرفر أقرا بيه الردود، فالردود هتبقى مكتوبة بس.',
      { data: { code: 'no_voice' } },
    );
  }
}

// ---------------------------------------------------------------- audio context

/** One AudioContext for recording and playback, created and resumed on a user gesture. */
function audioContext() {
  if (!app.audioContext) {
    const Ctx = window.AudioContext || window.webkitAudioContext;
    app.audioContext = new Ctx({ latencyHint: 'interactive' });
  }
  if (app.audioContext.state === 'suspended') app.audioContext.resume().catch(() => {});
  return app.audioContext;
}

// ---------------------------------------------------------------- recorder

class Recorder {
  /** Opens the microphone; throws the getUserMedia error. */
  static async open(maxSeconds, onLevel, onLimit) {
    if (!navigator.mediaDevices?.getUserMedia || !window.isSecureContext) {
      throw Object.assign(new Error('insecure context'), { name: 'InsecureContext' });
    }
    const ctx = audioContext();
    const stream = await navigator.mediaDevices.getUserMedia({
      audio: {
        channelCount: 1,
        // Whisper wants the voice as it is: no gain riding, gating or echo filtering.
        echoCancellation: false,
        noiseSuppression: false,
        autoGainControl: false,
      },
    });
    try {
      if (!app.workletReady) app.workletReady = ctx.audioWorklet.addModule('/web/recorder-worklet.js');
      await app.workletReady;
    } catch (e) {
      app.workletReady = null;
      stream.getTracks().forEach((t) => t.stop());
      throw Object.assign(new Error(e.message), { name: 'RecorderUnavailable' });
    }
    return new Recorder(ctx, stream, maxSeconds, onLevel, onLimit);
  }

  constructor(ctx, stream, maxSeconds, onLevel, onLimit) {
    this.ctx = ctx;
    this.rate = ctx.sampleRate;
    this.stream = stream;
    this.blocks = [];
    this.length = 0;
    this.limit = Math.floor(maxSeconds * this.rate);
    this.stopped = false;
    this.source = ctx.createMediaStreamSource(stream);
    this.node = new AudioWorkletNode(ctx, 'sawt-recorder', { numberOfOutputs: 1, outputChannelCount: [1] });
    // The worklet must be pulled by the graph: through a muted gain into the speakers.
    this.mute = ctx.createGain();
    this.mute.gain.value = 0;
    this.node.port.onmessage = (e) => {
      if (e.data instanceof Float32Array) this.take(e.data);
      else if (e.data?.flushed && this.onFlushed) this.onFlushed();
    };
    this.source.connect(this.node).connect(this.mute).connect(ctx.destination);
    this.onLevel = onLevel;
    this.onLimit = onLimit;
  }

  get seconds() {
    return this.length / this.rate;
  }

  take(block) {
    if (this.stopped) return;
    this.blocks.push(block);
    this.length += block.length;
    this.onLevel(meterLevel(block), this.seconds);
    if (this.length >= this.limit) this.onLimit();
  }

  /** Stops the microphone; resolves to the samples (mono, at `rate`), at most the limit. */
  async stop() {
    if (!this.stopped) {
      await new Promise((resolve) => {
        this.onFlushed = resolve;
        this.node.port.postMessage('flush');
        setTimeout(resolve, 200);
      });
    }
    this.stopped = true;
    this.stream.getTracks().forEach((t) => t.stop());
    this.source.disconnect();
    this.node.disconnect();
    this.mute.disconnect();
    this.node.port.onmessage = null;
    return concat(this.blocks, this.limit);
  }
}

// ---------------------------------------------------------------- the mic button

const press = { at: 0, tap: false };

async function startRecording() {
  interrupt();
  setState('recording');
  ui.remaining.textContent = '';
  ui.meterLevel.style.width = '0';
  const max = app.config.max_audio_length;
  let recorder;
  try {
    recorder = await Recorder.open(
      max,
      (level, seconds) => {
        ui.meterLevel.style.width = `${Math.round(level * 100)}%`;
        ui.remaining.textContent = `فاضل ${digits.format(Math.max(0, Math.ceil(max - seconds)))} ثانية`;
      },
      () => stopRecording(),
    );
  } catch (e) {
    setState('idle');
    microphoneError(e);
    return;
  }
  app.recorder = recorder;
  if (press.released) stopRecording(); // released while the microphone was opening
}

async function stopRecording() {
  const recorder = app.recorder;
  if (!recorder) return;
  app.recorder = null;
  const samples = await recorder.stop();
  const recordEnd = performance.now();
  if (samples.length < MIN_RECORDING_S * recorder.rate) {
    setState('idle');
    notice('التسجيل كان قصير قوي. دوس على الميكروفون وانت بتتكلم.', { data: { code: 'too_short' } });
    return;
  }
  const wav = encodeWav(resample(samples, recorder.rate, WHISPER_RATE), WHISPER_RATE);
  runTurn({ wav, recordEnd, seconds: samples.length / recorder.rate });
}

ui.mic.addEventListener('pointerdown', (e) => {
  if (e.button !== 0) return;
  e.preventDefault();
  audioContext(); // inside the gesture, so playback is allowed later
  if (app.state === 'recording') {
    press.released = true; // a second tap; stops as soon as the microphone is open
    stopRecording();
    return;
  }
  press.at = performance.now();
  press.released = false;
  ui.mic.setPointerCapture?.(e.pointerId);
  startRecording();
});

ui.mic.addEventListener('pointerup', () => {
  if (app.state !== 'recording') return;
  if (performance.now() - press.at >= HOLD_MS) {
    press.released = true;
    stopRecording();
  }
  // A short press is a tap: recording goes on until the next press.
});

ui.mic.addEventListener('keydown', (e) => {
  if (e.key !== 'Enter' && e.key !== ' ') return;
  e.preventDefault();
  if (e.repeat) return;
  audioContext();
  if (app.state === 'recording') stopRecording();
  else {
    press.released = false;
    startRecording();
  }
});

ui.mic.addEventListener('contextmenu', (e) => e.preventDefault());

// ---------------------------------------------------------------- a turn

class Turn {
  constructor(recordEnd) {
    this.id = app.nextTurnId++;
    this.abort = new AbortController();
    this.signal = this.abort.signal;
    this.timings = { turn: this.id, recordEnd: recordEnd ?? null };
    window.sawt.timings.push(this.timings);
    this.sentences = [];
    this.synthesizing = false;
    this.buffers = [];
    this.source = null;
    this.streamDone = false;
    this.speechFailed = false;
    this.speechRequests = 0;
  }

  mark(name) {
    if (this.timings[name] === undefined) this.timings[name] = performance.now();
  }

  get current() {
    return app.turn === this;
  }

  cancel() {
    this.abort.abort();
    this.sentences = [];
    this.buffers = [];
    if (this.source) {
      this.source.onended = null;
      try {
        this.source.stop();
      } catch {
        // Already stopped.
      }
      this.source = null;
    }
    setAudio(false);
  }
}

/** Stops whatever the current turn does: requests aborted, playback stopped. */
function interrupt() {
  if (app.turn) {
    app.turn.cancel();
    app.turn = null;
  }
  if (app.state !== 'recording' && app.state !== 'loading') setState('idle');
}

async function runTurn({ wav, text, recordEnd }) {
  interrupt();
  const turn = new Turn(recordEnd);
  app.turn = turn;
  let stage = 'transcribe';
  try {
    let said = text;
    if (wav) {
      setState('transcribing');
      const form = new FormData();
      form.append('file', new Blob([wav], { type: 'audio/wav' }), 'recording.wav');
      form.append('model', 'whisper-1');
      form.append('language', app.config.whisper_language);
      form.append('response_format', 'json');
      const res = await api('/v1/audio/transcriptions', { method: 'POST', body: form, signal: turn.signal });
      said = String((await res.json()).text || '').trim();
      if (!turn.current) return;
      if (!said) {
        notice('مسمعتش كلام في التسجيل. قرّب من الميكروفون وجرّب تاني.', { data: { code: 'no_speech' } });
        finish(turn);
        return;
      }
    }
    addBubble('user', said);
    remember('user', said);
    turn.mark('transcript');
    stage = 'chat';
    await reply(turn);
  } catch (e) {
    if (aborted(e) || !turn.current) return;
    showError(stage, e);
  } finally {
    if (turn.current) {
      turn.streamDone = true;
      maybeFinish(turn);
    }
  }
}

async function reply(turn) {
  setState('thinking');
  const bubble = addBubble('assistant', '');
  bubble.li.classList.add('streaming');
  const body = {
    messages: app.history.slice(-CONTEXT_MESSAGES).map(({ role, content }) => ({ role, content })),
    stream: true,
  };
  if (app.chatModel) body.model = app.chatModel;
  let text = '';
  let finished = false;
  const splitter = new SentenceSplitter();
  try {
    const res = await api('/v1/chat/completions', { method: 'POST', json: body, signal: turn.signal });
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    const sse = new SseParser();
    for (;;) {
      const { value, done } = await reader.read();
      const events = done ? sse.push(decoder.decode()).concat(sse.finish()) : sse.push(decoder.decode(value, { stream: true }));
      for (const ev of events) {
        if (ev.data === '[DONE]') {
          finished = true;
          continue;
        }
        let chunk;
        try {
          chunk = JSON.parse(ev.data);
        } catch {
          continue;
        }
        if (chunk.error || ev.event === 'error') {
          // An error after the 200 head: the provider failed mid-answer (a bad gateway).
          throw new ApiFailure(parseApiError(502, JSON.stringify({ error: chunk.error || {} }), null));
        }
        const delta = chunk.choices?.[0]?.delta?.content;
        if (typeof delta === 'string' && delta) {
          turn.mark('firstToken');
          text += delta;
          bubble.set(text);
          for (const sentence of splitter.push(delta)) speak(turn, sentence);
        }
      }
      if (done) break;
    }
    if (!finished) {
      throw new ApiFailure({ status: 200, code: 'stream_interrupted', message: 'the stream ended without [DONE]' });
    }
    for (const sentence of splitter.flush()) speak(turn, sentence);
  } catch (e) {
    if (text) {
      bubble.li.classList.add('cut');
      bubble.note(aborted(e) ? 'وقّفته' : 'الرد اتقطع');
    }
    throw e;
  } finally {
    bubble.li.classList.remove('streaming');
    if (text) remember('assistant', text);
    else bubble.li.remove();
  }
}

// ---------------------------------------------------------------- speech

function speechOn() {
  return app.speech.available && app.speech.hasVoice && app.speech.enabled;
}

function speak(turn, sentence) {
  if (!speechOn() || turn.speechFailed || !turn.current) return;
  const input = speakable(sentence);
  if (!input) return;
  turn.sentences.push(input);
  synthesizeNext(turn);
}

/** One /v1/audio/speech request at a time (an XTTS request can take a GiB of memory); the
 * next sentence is synthesized while the previous one plays. */
async function synthesizeNext(turn) {
  if (turn.synthesizing || !turn.sentences.length || !turn.current) return;
  const input = turn.sentences.shift();
  turn.synthesizing = true;
  try {
    const body = { model: 'tts-1', input, response_format: 'wav' };
    if (app.speech.voice) body.voice = app.speech.voice;
    turn.speechRequests++;
    const res = await api('/v1/audio/speech', { method: 'POST', json: body, signal: turn.signal });
    const bytes = fixStreamedWav(await res.arrayBuffer());
    if (!turn.current) return;
    const buffer = await audioContext().decodeAudioData(bytes);
    if (!turn.current) return;
    turn.buffers.push(buffer);
    playNext(turn);
  } catch (e) {
    if (aborted(e) || !turn.current) return;
    turn.speechFailed = true;
    turn.sentences = [];
    showError('speech', e);
    if (e instanceof ApiFailure && e.error.status === 404 && !e.error.code?.startsWith('voice')) {
      app.speech.available = false;
    }
  } finally {
    turn.synthesizing = false;
    if (turn.current) {
      synthesizeNext(turn);
      maybeFinish(turn);
    }
  }
}

async function playNext(turn) {
  if (turn.source || !turn.buffers.length || !turn.current) return;
  const ctx = audioContext();
  if (ctx.state !== 'running') {
    await Promise.race([ctx.resume(), new Promise((r) => setTimeout(r, 1000))]).catch(() => {});
    if (!turn.current || turn.source) return;
    if (ctx.state !== 'running') {
      turn.buffers = [];
      turn.speechFailed = true;
      notice('المتصفح منع تشغيل الصوت. دوس على أي زرار في الصفحة وجرّب تاني.', { kind: 'error', data: { code: 'autoplay_blocked' } });
      maybeFinish(turn);
      return;
    }
  }
  const source = ctx.createBufferSource();
  source.buffer = turn.buffers.shift();
  source.connect(ctx.destination);
  source.onended = () => {
    if (turn.source !== source) return;
    turn.source = null;
    app.played++;
    ui.body.dataset.played = String(app.played);
    if (!turn.buffers.length) setAudio(false);
    playNext(turn);
    maybeFinish(turn);
  };
  turn.source = source;
  source.start();
  turn.mark('firstAudio');
  setAudio(true);
  if (app.state !== 'recording') setState('speaking');
}

function maybeFinish(turn) {
  if (!turn.current || !turn.streamDone) return;
  if (turn.synthesizing || turn.sentences.length || turn.buffers.length || turn.source) return;
  finish(turn);
}

function finish(turn) {
  if (!turn.current) return;
  app.turn = null;
  setAudio(false);
  if (app.state !== 'recording') setState('idle');
}

// ---------------------------------------------------------------- other controls

ui.textForm.addEventListener('submit', (e) => {
  e.preventDefault();
  const text = ui.textInput.value.trim();
  if (!text) return;
  audioContext();
  ui.textInput.value = '';
  runTurn({ text });
});

ui.stop.addEventListener('click', () => interrupt());

document.addEventListener('keydown', (e) => {
  if (e.key === 'Escape') {
    if (app.state === 'recording') stopRecording();
    else interrupt();
  }
});

ui.clear.addEventListener('click', () => {
  interrupt();
  app.history = [];
  saved.set(HISTORY_KEY, app.history);
  renderHistory();
  ui.notices.replaceChildren();
});

ui.settingsButton.addEventListener('click', () => {
  const open = ui.settings.hidden;
  ui.settings.hidden = !open;
  ui.settingsButton.setAttribute('aria-expanded', String(open));
});

ui.voiceSelect.addEventListener('change', () => {
  app.speech.voice = ui.voiceSelect.value || null;
  saved.set(VOICE_KEY, app.speech.voice);
});

ui.speechToggle.addEventListener('change', () => {
  app.speech.enabled = ui.speechToggle.checked;
  saved.set(SPEECH_KEY, app.speech.enabled);
  if (!app.speech.enabled && app.turn) {
    app.turn.sentences = [];
    app.turn.buffers = [];
  }
});

ui.apiKey.addEventListener('change', () => {
  saved.set(API_KEY_KEY, ui.apiKey.value.trim());
  loadServerSettings();
});

// ---------------------------------------------------------------- a new voice

const clone = { recorder: null, wav: null };

ui.cloneRecord.addEventListener('click', async () => {
  audioContext();
  if (clone.recorder) {
    const recorder = clone.recorder;
    clone.recorder = null;
    ui.cloneRecord.setAttribute('aria-pressed', 'false');
    ui.cloneRecord.textContent = 'سجّل بصوتك';
    const samples = await recorder.stop();
    const seconds = samples.length / recorder.rate;
    if (seconds < CLONE_MIN_S) {
      ui.cloneStatus.textContent = `التسجيل ${digits.format(seconds)} ثانية بس؛ محتاجين ${digits.format(CLONE_MIN_S)} ثواني على الأقل.`;
      return;
    }
    clone.wav = encodeWav(resample(samples, recorder.rate, CLONE_RATE), CLONE_RATE);
    ui.cloneFile.value = '';
    ui.clonePreview.src = URL.createObjectURL(new Blob([clone.wav], { type: 'audio/wav' }));
    ui.clonePreview.hidden = false;
    ui.cloneStatus.textContent = `اتسجّل ${digits.format(seconds)} ثانية.`;
    return;
  }
  try {
    clone.recorder = await Recorder.open(
      CLONE_MAX_S,
      (level, seconds) => {
        ui.cloneStatus.textContent = `بسجّل… ${digits.format(Math.floor(seconds))} / ${digits.format(CLONE_MAX_S)}`;
      },
      () => ui.cloneRecord.click(),
    );
    ui.cloneRecord.setAttribute('aria-pressed', 'true');
    ui.cloneRecord.textContent = 'وقّف التسجيل';
  } catch (e) {
    microphoneError(e);
  }
});

ui.cloneFile.addEventListener('change', () => {
  if (ui.cloneFile.files.length) {
    clone.wav = null;
    ui.clonePreview.src = URL.createObjectURL(ui.cloneFile.files[0]);
    ui.clonePreview.hidden = false;
    ui.cloneStatus.textContent = '';
  }
});

ui.cloneForm.addEventListener('submit', async (e) => {
  e.preventDefault();
  const name = ui.cloneName.value.trim();
  const file = ui.cloneFile.files[0] || (clone.wav && new File([clone.wav], 'voice.wav', { type: 'audio/wav' }));
  if (!name || !file) {
    ui.cloneStatus.textContent = 'محتاجين اسم وتسجيل (أو ملف WAV).';
    return;
  }
  const form = new FormData();
  form.append('file', file, file.name || 'voice.wav');
  form.append('name', name);
  ui.cloneStatus.textContent = 'بعمل الصوت…';
  try {
    const res = await api('/v1/audio/voices', { method: 'POST', body: form });
    const voice = await res.json();
    ui.cloneStatus.textContent = `الصوت «${voice.name || name}» جاهز.`;
    app.speech.voice = voice.id;
    saved.set(VOICE_KEY, voice.id);
    const list = app.speech.list || { data: [], default_voice: null, cloning_enabled: true };
    setVoices({ ...list, data: [...(list.data || []).filter((v) => v.id !== voice.id), voice] });
    ui.voiceSelect.value = voice.id;
    app.speech.voice = voice.id;
    ui.cloneName.value = '';
    ui.cloneFile.value = '';
    clone.wav = null;
  } catch (err) {
    ui.cloneStatus.textContent = '';
    showError('clone', err);
  }
});

// ---------------------------------------------------------------- start

ui.apiKey.value = saved.get(API_KEY_KEY, '');
ui.speechToggle.checked = app.speech.enabled;
renderHistory();
loadServerSettings().finally(() => {
  if (app.state === 'loading') setState('idle');
});
