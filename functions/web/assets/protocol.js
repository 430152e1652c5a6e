// What the page reads from the API, pure functions (Node tests them too): Server-Sent Events
// of a streamed chat completion, the answer cut into sentences for speech, and OpenAI's
// error envelope turned into an Arabic explanation plus the server's own words.

/**
 * Incremental SSE parser: push text as it arrives (split anywhere), get back complete events
 * `{event, data}`. Comment lines (`: ...`) are ignored; an event ends at a blank line.
 */
export class SseParser {
  constructor() {
    this.buffer = '';
    this.event = '';
    this.data = [];
  }

  push(text) {
    this.buffer += text;
    const events = [];
    let nl;
    while ((nl = this.buffer.indexOf('\n')) >= 0) {
      let line = this.buffer.slice(0, nl);
      this.buffer = this.buffer.slice(nl + 1);
      if (line.endsWith('\r')) line = line.slice(0, -1);
      if (line === '') {
        if (this.data.length) events.push({ event: this.event || 'message', data: this.data.join('\n') });
        this.event = '';
        this.data = [];
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'data') this.data.push(value);
      else if (field === 'event') this.event = value;
    }
    return events;
  }

  /** At the end of the stream: an event that lacked its blank line. */
  finish() {
    const events = this.push('\n\n');
    this.buffer = '';
    return events;
  }
}

/**
 * Where speech may cut the answer: after `.` `!` `?` `؟` `،` `؛` `…` followed by white space
 * (so 3.5 or example.com stay whole), and at every line break. A piece with no letter or
 * digit (a lone emoji, "!!") is spoken with the piece before it.
 */
const END = /[.!?؟،؛…]+(?=\s)|\n+/g;
const WORDY = /[\p{L}\p{N}]/u;

export class SentenceSplitter {
  constructor() {
    this.pending = '';
    this.carry = '';
  }

  /** Adds streamed text; returns the sentences it completed. */
  push(text) {
    this.pending += text;
    const out = [];
    let cut = 0;
    END.lastIndex = 0;
    let m;
    while ((m = END.exec(this.pending))) {
      const end = m.index + m[0].length;
      this.emit(this.pending.slice(cut, end), out);
      cut = end;
    }
    this.pending = this.pending.slice(cut);
    return out;
  }

  /** At the end of the answer: what is left. */
  flush() {
    const out = [];
    this.emit(this.pending, out);
    this.pending = '';
    if (this.carry) out.push(this.carry);
    this.carry = '';
    return out;
  }

  emit(piece, out) {
    const own = piece.trim();
    if (!own) return;
    if (!WORDY.test(own)) {
      // Nothing to say on its own: keep it with its neighbours.
      if (out.length) out[out.length - 1] += own;
      else this.carry = this.carry ? `${this.carry} ${own}` : own;
      return;
    }
    out.push(this.carry ? `${this.carry} ${own}` : own);
    this.carry = '';
  }
}

/** Text for speech: markdown marks and link targets removed, spaces collapsed. */
export function speakable(sentence) {
  return sentence
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/https?:\/\/\S+/g, '')
    .replace(/[*_#`>~|]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * An error answer as the page shows it: OpenAI's envelope
 * `{"error":{"message","type","param","code"}}` when the body is one, else the status alone.
 * `command` is the `sawt ...` command a 503 `model_not_loaded` message names.
 */
export function parseApiError(status, bodyText, retryAfter) {
  let error = {};
  try {
    const parsed = JSON.parse(bodyText);
    if (parsed && typeof parsed.error === 'object' && parsed.error) error = parsed.error;
    else if (parsed && typeof parsed.error === 'string') error = { message: parsed.error };
  } catch {
    // Not JSON (a proxy's HTML page): the status tells what we know.
  }
  const message = typeof error.message === 'string' ? error.message : '';
  const code = error.code === undefined || error.code === null ? null : String(error.code);
  const found = /`(sawt [^`]+)`/.exec(message) || /(sawt models push [^\n]+?)(?:\s*\(|$)/.exec(message);
  return {
    status,
    type: typeof error.type === 'string' ? error.type : null,
    code,
    param: typeof error.param === 'string' ? error.param : null,
    message,
    retryAfter: retryAfter && /^\d+$/.test(retryAfter.trim()) ? Number(retryAfter.trim()) : null,
    command: found ? found[1].trim() : null,
  };
}

const arabicDigits = new Intl.NumberFormat('ar-EG');

/** What went wrong, in Egyptian Arabic, from the status and code (the server's text is shown beside it). */
export function explain(error) {
  const { status, code } = error;
  if (error.network) return 'مش قادر أوصل للسيرفر. اتأكد إنه شغال وإن النت تمام، وجرّب تاني.';
  if (code === 'model_not_loaded') return 'الموديل لسه مش متحمّل على السيرفر. حمّله مرة واحدة بالأمر ده:';
  if (code === 'upstream_not_configured') return 'الشات مش متظبط على السيرفر: مفيش مفتاح OpenRouter.';
  if (code === 'voice_cloning_disabled') return 'عمل أصوات جديدة مقفول على السيرفر ده.';
  if (code === 'stream_interrupted') return 'الرد اتقطع قبل ما يخلص.';
  switch (status) {
    case 400:
      return 'الطلب فيه حاجة غلط.';
    case 401:
      return 'السيرفر محتاج مفتاح API صحيح. حطّه في الإعدادات.';
    case 402:
      return 'الرصيد خلص عند مزوّد الموديل.';
    case 403:
      return 'السيرفر مش سامح بالطلب ده.';
    case 404:
      return 'الحاجة دي مش موجودة على السيرفر.';
    case 408:
    case 504:
      return 'مزوّد الموديل اتأخر في الرد. جرّب تاني.';
    case 413:
      return 'التسجيل أو الطلب أكبر من المسموح.';
    case 415:
      return 'نوع الملف ده مش مدعوم. ابعت ملف WAV.';
    case 429:
      return error.retryAfter
        ? `فيه طلبات كتير دلوقتي. استنى ${arabicDigits.format(error.retryAfter)} ثانية وجرّب تاني.`
        : 'فيه طلبات كتير دلوقتي. استنى شوية وجرّب تاني.';
    case 502:
      return 'مزوّد الموديل رجّع خطأ.';
    case 503:
      return 'الخدمة مش متاحة دلوقتي. جرّب كمان شوية.';
    default:
      return status >= 500 ? 'حصلت مشكلة في السيرفر.' : 'حصلت مشكلة.';
  }
}

/** The microphone's failure (a getUserMedia DOMException name) explained. */
export function explainMicrophone(name) {
  switch (name) {
    case 'NotAllowedError':
    case 'PermissionDeniedError':
    case 'SecurityError':
      return 'المتصفح مش سامح للصفحة تستخدم الميكروفون. اسمح بالميكروفون من علامة القفل جنب العنوان وجرّب تاني، أو اكتب رسالتك بدل الكلام.';
    case 'NotFoundError':
    case 'OverconstrainedError':
      return 'مفيش ميكروفون متوصل بالجهاز. وصّل واحد أو اكتب رسالتك.';
    case 'NotReadableError':
    case 'AbortError':
      return 'الميكروفون مشغول في برنامج تاني أو مش شغال. اقفل البرنامج التاني وجرّب تاني.';
    case 'RecorderUnavailable':
      return 'المتصفح ده مقدرش يشغّل مسجّل الصوت بتاع الصفحة. جرّب متصفح أحدث (كروم، فايرفوكس، سفاري) أو اكتب رسالتك.';
    case 'InsecureContext':
      return 'المتصفح بيدي الميكروفون للصفحات اللي على HTTPS أو localhost بس. افتح الصفحة من http://localhost أو من عنوان HTTPS.';
    default:
      return 'الميكروفون مش شغال. جرّب تاني أو اكتب رسالتك.';
  }
}
