"""Make sawt's Whisper test fixtures from the reference implementation (openai-whisper).

    python -m venv .venv && .venv/bin/pip install -r scripts/requirements.txt
    sudo apt-get install espeak-ng sox ffmpeg
    .venv/bin/python scripts/make_fixtures.py                 # tests/fixtures/whisper (committed)
    .venv/bin/python scripts/make_fixtures.py --bench         # models/bench/ (gitignored)

Fixture mode builds a random-weight Whisper with the real architecture and vocabulary (51,865
tokens) but reduced width and depth, sets a few of its weights by hand (shape_whisper: peaked
logits, windows that end, a no-speech probability that is high on silence only), exports it with
whisper_export.py (f32 and dynamic int8), makes WAV fixtures (espeak-ng Arabic speech, quiet
speech, silence, noise, a 70 s clip; several sample rates, channel counts and sample formats)
and saves the reference outputs of openai-whisper itself, from its own audio path
(`whisper.load_audio`, i.e. ffmpeg): log-mel, encoder output, first-step logits and full
`transcribe()` results (language "ar"; transcribe and translate, with and without timestamps,
at temperature 0; and with the default temperature fallback schedule), with every window's
fallback and no-speech decisions, SRT/VTT from whisper's own writers for the golden cases, and
`zlib.compress` lengths. Seeds are tried until no greedy decision is within TIE_GAP of a tie
and no decision statistic is near its threshold (`--seed`, `--seed-tries`); ffmpeg, espeak-ng
and sox are needed only to regenerate (the outputs are committed).

Bench mode writes a real-size (tiny: 4+4 layers, d=384) random-weight model, f32 and int8, for
the benchmarks; nothing there is committed.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import torch

import whisper
from whisper.audio import N_FRAMES, N_SAMPLES, log_mel_spectrogram, pad_or_trim
from whisper.model import ModelDimensions, MultiHeadAttention, Whisper
from whisper.tokenizer import get_tokenizer

from whisper_export import export, quantize_int8

ROOT = Path(__file__).resolve().parent.parent
SEED = 20261124

# Reduced width/depth for committed fixtures; everything else as in the real models.
SMALL_DIMS = ModelDimensions(
    n_mels=80, n_audio_ctx=1500, n_audio_state=16, n_audio_head=2, n_audio_layer=2,
    n_vocab=51865, n_text_ctx=448, n_text_state=16, n_text_head=2, n_text_layer=2,
)
# openai-whisper "tiny" dimensions (whisper/__init__.py _MODELS checkpoint "tiny").
TINY_DIMS = ModelDimensions(
    n_mels=80, n_audio_ctx=1500, n_audio_state=384, n_audio_head=6, n_audio_layer=4,
    n_vocab=51865, n_text_ctx=448, n_text_state=384, n_text_head=6, n_text_layer=4,
)

# The bench sizes (openai-whisper's checkpoints "base" and "small", whisper/__init__.py _MODELS),
# for the README's what-fits-where table.
BENCH_DIMS = {
    "tiny": TINY_DIMS,
    "base": ModelDimensions(
        n_mels=80, n_audio_ctx=1500, n_audio_state=512, n_audio_head=8, n_audio_layer=6,
        n_vocab=51865, n_text_ctx=448, n_text_state=512, n_text_head=8, n_text_layer=6,
    ),
    "small": ModelDimensions(
        n_mels=80, n_audio_ctx=1500, n_audio_state=768, n_audio_head=12, n_audio_layer=12,
        n_vocab=51865, n_text_ctx=448, n_text_state=768, n_text_head=12, n_text_layer=12,
    ),
}

SPEECH_AR = "مرحبا، أنا صوت. الجو حلو النهارده."
LONG_AR = [
    "أهلا وسهلا بيكم في صوت، المساعد الصوتي المصري.",
    "ممكن تسألني عن أي حاجة وأنا هرد عليك بالعامية.",
    "الساعة دلوقتي تلاتة العصر والمواصلات زحمة.",
    "شكرا جزيلا ومع السلامة.",
]


def random_whisper(dims: ModelDimensions, seed: int) -> Whisper:
    """Whisper with every weight random. Whisper's own init leaves many weights zero (biases,
    positional embedding of the decoder is torch.empty); zeros make outputs degenerate."""
    torch.manual_seed(seed)
    model = Whisper(dims)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("token_embedding.weight"):
                p.normal_(0.0, 1.0)
            elif "ln" in name and name.endswith("weight"):
                p.normal_(1.0, 0.1)
            elif name.endswith("bias"):
                p.normal_(0.0, 0.1)
            elif name.endswith("positional_embedding"):
                p.normal_(0.0, 0.5)
            else:
                fan_in = p.shape[1] * (p.shape[2] if p.dim() == 3 else 1)
                p.normal_(0.0, gain(name) / np.sqrt(fan_in))
    return model.eval()


def gain(name: str) -> float:
    """Weight scales chosen so a random model is not degenerate: sharp attention (otherwise
    cross-attention averages 1,500 frames and the output ignores the audio), and a strong MLP
    (otherwise greedy decoding repeats one token). Tuned by looking at transcripts of speech,
    silence and noise: different, of varied length, with several segments and an EOT."""
    if ".query." in name or ".key." in name:
        return 4.0
    if ".value." in name or ".out." in name:
        return 3.0
    if ".mlp." in name:
        return 2.0
    return 1.0


def shape_whisper(model: Whisper, tok) -> Whisper:
    """Sets a few weights of the random model by hand so that openai-whisper decodes the fixtures
    as it decodes real speech: confidently (speech keeps temperature 0), ending with EOT, a
    no-speech probability that is high on silence only, and a margin at every greedy decision
    and threshold. The graph is Whisper's own; only values change:
    - encoder channel 0 is a silence detector: conv1 fires where the mean log-mel is below
      SILENCE_LEVEL (the dithered silence fixture, very quiet speech), and no block writes to it;
    - decoder cross-attention head 0 looks for such frames and writes decoder channel 0, which
      only <|nospeech|> and a few graded "silence" tokens read: silence gives a high no-speech
      probability and an unlikely, repetitive decode (the reference skips it);
    - decoder channel 1 is a ramp over positions that only EOT reads, so windows end;
    - a strong positional embedding keeps greedy decoding from looping on one token, and the
      final LayerNorm's scale makes the logits peaked (avg log-prob well above -1)."""
    enc, dec = model.encoder, model.decoder
    with torch.no_grad():
        n_mels = enc.conv1.weight.shape[1]
        enc.conv1.weight[0].zero_()
        enc.conv1.weight[0, :, 1] = -400.0 / n_mels
        enc.conv1.bias[0] = 400.0 * SILENCE_LEVEL
        enc.conv2.weight[0].zero_()
        enc.conv2.weight[0, 0, 1] = 1.0
        enc.conv2.bias[0] = 0.0
        enc.conv2.weight[1:, 0, :] = 0.0
        for b in enc.blocks:
            for lin in (b.attn.out, b.mlp[2]):
                lin.weight[0].zero_()
                lin.bias[0] = 0.0
        enc.ln_post.weight[0], enc.ln_post.bias[0] = 1.0, 0.0
        for b in dec.blocks:
            ca = b.cross_attn
            ca.key.weight[0].zero_()
            ca.key.weight[0, 0] = 6.0
            ca.query.weight[0].zero_()
            ca.query.bias[0] = 6.0
            ca.value.weight[0].zero_()
            ca.value.weight[0, 0], ca.value.bias[0] = 1.0, -0.4
            ca.out.weight[:, 0] = 0.0
            ca.out.weight[0].zero_()
            ca.out.weight[0, 0], ca.out.bias[0] = 50.0, 0.0
            for lin in (b.attn.out, b.mlp[2]):
                lin.weight[0:2].zero_()
                lin.bias[0:2] = 0.0
        pos = dec.positional_embedding
        pos[:, 2:] *= 8.0
        pos[:, 0] = 0.0
        pos[:, 1] = torch.relu(torch.arange(pos.shape[0], dtype=torch.float32) - 40.0)
        emb = dec.token_embedding.weight
        emb[:, 0:2] = 0.0
        emb[:, 2:] -= emb[:, 2:].mean(dim=1, keepdim=True)
        emb[tok.eot, 1] = 3.0
        emb[tok.no_speech, 0] = 3.0
        for i in range(12):
            emb[301 + i, 2:] = 0.0
            emb[301 + i, 0] = 2.4 - 0.02 * i
        for j in range(51):
            emb[tok.timestamp_begin + j, 0] = 1.5 - 0.02 * j
        dec.ln.weight.fill_(4.0)
        dec.ln.bias.zero_()
    return model


SILENCE_LEVEL = -0.9  # mean normalised log-mel; espeak speech at full volume stays above -0.8


def sh(*cmd: str) -> None:
    if cmd[0] == "sox":  # repeatable dither: the same fixtures on every run
        cmd = ("sox", "-R", *cmd[1:])
    subprocess.run(cmd, check=True)


def reference_audio(path: Path) -> np.ndarray:
    """The reference's own audio path: ffmpeg decodes, downmixes and resamples to 16 kHz s16."""
    return whisper.load_audio(str(path))


def wav_frames(path: Path) -> int:
    return int(subprocess.run(["soxi", "-s", str(path)], check=True, capture_output=True,
                              text=True).stdout.strip())


def make_audio(out: Path, tmp: Path) -> dict[str, dict]:
    """WAV fixtures. Returns name -> {rate, channels}."""
    out.mkdir(parents=True, exist_ok=True)
    tmp.mkdir(parents=True, exist_ok=True)
    sh("espeak-ng", "-v", "ar", "-s", "150", "-w", str(tmp / "speech.wav"), SPEECH_AR)
    parts = []
    for i, line in enumerate(LONG_AR):
        p = tmp / f"long{i}.wav"
        sh("espeak-ng", "-v", "ar", "-s", "140", "-w", str(p), line)
        parts.append(str(p))
    # 70 s: the four sentences with pauses, repeated, cut to exactly 70 s.
    padded = []
    for i, p in enumerate(parts):
        q = tmp / f"long{i}_pad.wav"
        sh("sox", p, "-r", "16000", "-c", "1", "-b", "16", str(q), "pad", "0", "1.5")
        padded.append(str(q))
    sh("sox", *(padded * 4), str(tmp / "long_raw.wav"))
    sh("sox", str(tmp / "long_raw.wav"), str(out / "long70_16k_s16_mono.wav"), "trim", "0", "70", "pad", "0", "70", "trim", "0", "70")

    spec = {}

    def conv(src: Path, name: str, rate: int, ch: int, enc: list[str], *effects: str):
        sh("sox", str(src), "-r", str(rate), "-c", str(ch), *enc, str(out / name), *effects)
        spec[name] = {"rate": rate, "channels": ch}

    s16 = ["-b", "16", "-e", "signed-integer"]
    s24 = ["-b", "24", "-e", "signed-integer"]
    f32 = ["-b", "32", "-e", "floating-point"]
    s32 = ["-b", "32", "-e", "signed-integer"]
    u8 = ["-b", "8", "-e", "unsigned-integer"]
    sp = tmp / "speech.wav"
    conv(sp, "speech_16k_s16_mono.wav", 16000, 1, s16)
    conv(sp, "speech_16k_s16_stereo.wav", 16000, 2, s16)
    conv(sp, "speech_16k_s24_mono.wav", 16000, 1, s24)
    conv(sp, "speech_16k_f32_mono.wav", 16000, 1, f32)
    conv(sp, "speech_16k_s32_stereo.wav", 16000, 2, s32)
    # Quiet speech: partly below the model's silence level, so the reference falls back.
    conv(sp, "quiet_16k_s16_mono.wav", 16000, 1, s16, "vol", "0.4")
    # Other rates: a 1.5 s excerpt keeps the committed fixtures small. Band-limited to the
    # telephone band (3.4 kHz), as 8 kHz audio is: ffmpeg's resampler and ours differ only
    # in their transition bands (near the lower Nyquist frequency), where this has no energy.
    short = tmp / "speech_short.wav"
    sh("sox", str(sp), str(short), "trim", "0", "1.5", "sinc", "-3400")
    conv(short, "speech_8k_s16_mono.wav", 8000, 1, s16)
    # 8-bit at 16 kHz: u8 quantisation noise is broadband, and the two resamplers image it
    # differently above 4 kHz, so 8-bit input is compared without resampling.
    conv(short, "speech_16k_u8_mono.wav", 16000, 1, u8)
    conv(short, "speech_22k_s16_mono.wav", 22050, 1, s16)
    conv(short, "speech_44k_s16_stereo.wav", 44100, 2, s16)
    conv(short, "speech_48k_f32_stereo.wav", 48000, 2, f32)
    sh("sox", "-n", "-r", "16000", "-c", "1", "-b", "16", str(out / "silence_16k_s16_mono.wav"), "trim", "0", "3")
    spec["silence_16k_s16_mono.wav"] = {"rate": 16000, "channels": 1}
    sh("sox", "-n", "-r", "16000", "-c", "1", "-b", "16", str(out / "noise_16k_s16_mono.wav"),
       "synth", "3", "whitenoise", "vol", "0.3")
    spec["noise_16k_s16_mono.wav"] = {"rate": 16000, "channels": 1}
    spec["long70_16k_s16_mono.wav"] = {"rate": 16000, "channels": 1}
    # A sine for the resampler test (frequency must survive resampling).
    sh("sox", "-n", "-r", "44100", "-c", "1", "-b", "16", str(out / "sine440_44k_s16_mono.wav"),
       "synth", "1", "sine", "440", "vol", "0.5")
    spec["sine440_44k_s16_mono.wav"] = {"rate": 44100, "channels": 1}
    return spec


def save_f32(path: Path, arr) -> list[int]:
    a = np.ascontiguousarray(np.asarray(arr, dtype="<f4"))
    path.write_bytes(a.tobytes())
    return list(a.shape)


def segment_json(s: dict) -> dict:
    return {k: (float(v) if isinstance(v, (float, np.floating)) else v) for k, v in s.items()}


TIE_GAP = 1e-3
# A decision statistic this close to its threshold could land on the other side in our float
# arithmetic; seeds with one are refused like near ties (compression ratio: relative).
THRESHOLD_MARGIN = {"compression_ratio": 0.02, "avg_logprob": 0.01, "no_speech_prob": 0.01}
THRESHOLDS = {"compression_ratio": 2.4, "avg_logprob": -1.0, "no_speech_prob": 0.6}


class Recorder:
    """Hooks openai-whisper while transcribe() runs and records, per window, every decoding
    attempt (temperature, compression ratio, avg log-prob, no-speech prob), and how close every
    greedy decision at temperature 0 is to a tie: the gap between the two best logits, and
    between the timestamp rule's two sides. Float reassociation (PyTorch vs tract, x86 vs wasm
    SIMD) moves logits by ~1e-5, so a seed with a gap below TIE_GAP is refused."""

    def __init__(self):
        import inspect

        import whisper.decoding as D
        import whisper.model as WM

        self.D, self.WM = D, WM
        self.min_gap, self.ties, self.attempts, self.temperature = float("inf"), [], [], 0.0

        def where():
            seek = k = None
            for fr in inspect.stack():
                loc = fr.frame.f_locals
                if fr.function == "_main_loop":
                    k = int(loc["tokens"].shape[1] - loc["self"].sample_begin)
                if fr.function == "transcribe" and "seek" in loc:
                    seek = int(loc["seek"])
            return seek, k

        def note(gap):
            if watch.temperature != 0.0:
                return
            watch.min_gap = min(watch.min_gap, gap)
            if gap < TIE_GAP:
                watch.ties.append([*where(), gap])

        self._update, self._rules, self._decode = D.GreedyDecoder.update, D.ApplyTimestampRules.apply, WM.Whisper.decode
        watch = self

        def update(dec, tokens, logits, sum_logprobs):
            top = logits[0].float().topk(2).values
            note(float(top[0] - top[1]))
            return watch._update(dec, tokens, logits, sum_logprobs)

        def rules(f, logits, tokens):
            watch._rules(f, logits, tokens)
            lp = torch.log_softmax(logits.float(), dim=-1)[0]
            tb = f.tokenizer.timestamp_begin
            ts, text = lp[tb:].logsumexp(-1), lp[:tb].max()
            if torch.isfinite(ts) and torch.isfinite(text):
                note(float((ts - text).abs()))

        def decode(model, mel, options):
            watch.temperature = options.temperature
            r = watch._decode(model, mel, options)
            seek, _ = where()
            watch.attempts.append({
                "seek": seek, "temperature": float(options.temperature),
                "compression_ratio": float(r.compression_ratio), "avg_logprob": float(r.avg_logprob),
                "no_speech_prob": float(r.no_speech_prob),
            })
            return r

        D.GreedyDecoder.update, D.ApplyTimestampRules.apply, WM.Whisper.decode = update, rules, decode

    def start(self):
        self.ties, self.attempts = [], []

    def windows(self, segments: list[dict]) -> list[dict]:
        """Attempts grouped by window; a window with no segment was skipped as no speech."""
        kept = {s["seek"] for s in segments}
        out = []
        for a in self.attempts:
            if not out or out[-1]["seek"] != a["seek"]:
                out.append({"seek": a["seek"], "attempts": [], "skipped": a["seek"] not in kept})
            out[-1]["attempts"].append({k: v for k, v in a.items() if k != "seek"})
        return out

    def close(self):
        self.D.GreedyDecoder.update, self.D.ApplyTimestampRules.apply = self._update, self._rules
        self.WM.Whisper.decode = self._decode


def threshold_margin(windows: list[dict]) -> float:
    """The smallest distance of a temperature-0 statistic from its threshold, as a multiple of
    the margin it must keep (< 1: too close)."""
    worst = float("inf")
    for w in windows:
        a = w["attempts"][0]
        for k, thr in THRESHOLDS.items():
            d = abs(a[k] - thr) / (abs(thr) if k == "compression_ratio" else 1.0)
            worst = min(worst, d / THRESHOLD_MARGIN[k])
    return worst


def formats(result: dict) -> dict:
    """SRT and WebVTT as openai-whisper's own writers (whisper/utils.py) write them."""
    import io

    from whisper.utils import WriteSRT, WriteVTT

    out = {}
    for key, writer in (("srt", WriteSRT), ("vtt", WriteVTT)):
        f = io.StringIO()
        writer(".").write_result(result, f)
        out[key] = f.getvalue()
    return out


# Cases: (audio, task, timestamps, schedule). "greedy" = temperature 0 only; "default" =
# transcribe()'s default temperature fallback schedule and thresholds (what a request without
# `temperature` gets). Formats (srt, vtt) are saved for the golden end-to-end cases.
GOLDEN = {("speech_16k_s16_mono.wav", "transcribe", True, "default"),
          ("speech_16k_s16_mono.wav", "transcribe", True, "greedy"),
          ("long70_16k_s16_mono.wav", "transcribe", True, "greedy")}


def case_list(spec: dict[str, dict]) -> list[tuple]:
    cases = []
    for name in sorted(n for n in spec if not n.startswith("sine")):
        full = spec[name]["rate"] == 16000
        for task in ("transcribe", "translate"):
            for ts in (True, False):
                if full or (task == "transcribe" and ts):
                    cases.append((name, task, ts, "greedy"))
    # The default-schedule cases first: they decide whether a seed is usable at all.
    default = [(name, "transcribe", True, "default") for name in (
        "speech_16k_s16_mono.wav", "silence_16k_s16_mono.wav", "quiet_16k_s16_mono.wav",
        "noise_16k_s16_mono.wav", "long70_16k_s16_mono.wav")]
    return default + cases


def run_case(model: Whisper, audio_dir: Path, case: tuple, rec: Recorder) -> tuple[dict, list, float]:
    name, task, ts, schedule = case
    rec.start()
    res = model.transcribe(
        reference_audio(audio_dir / name), language="ar", task=task,
        temperature=0.0 if schedule == "greedy" else (0.0, 0.2, 0.4, 0.6, 0.8, 1.0),
        fp16=False, without_timestamps=not ts, condition_on_previous_text=True, verbose=None,
    )
    windows = rec.windows(res["segments"])
    out = {
        "audio": name, "task": task, "timestamps": ts, "schedule": schedule,
        "language": res["language"], "text": res["text"],
        "segments": [segment_json(s) for s in res["segments"]],
        "windows": windows,
        # True when every window kept temperature 0: the whole result is deterministic.
        "deterministic": all(w["attempts"][-1]["temperature"] == 0.0 for w in windows),
    }
    if case in GOLDEN:
        out.update(formats(res))
        # OpenAI's API serves the text stripped (openai-whisper's starts with a space).
        out["api_text"] = res["text"].strip()
    return out, list(rec.ties), threshold_margin(windows)


N_DEFAULT_CASES = 5


def acceptable(cases: list[dict]) -> str | None:
    """Why a seed's fixtures do not test what they must, or None."""
    by = {(c["audio"], c["schedule"]): c for c in cases if c["task"] == "transcribe" and c["timestamps"]}
    if not by[("speech_16k_s16_mono.wav", "default")]["deterministic"]:
        return "speech falls back"
    sil = by[("silence_16k_s16_mono.wav", "default")]["windows"]
    if not all(w["skipped"] and len(w["attempts"]) == 1 for w in sil):
        return "silence is not skipped at temperature 0"
    fallback = [w for c in cases if c["schedule"] == "default" for w in c["windows"]
                if len(w["attempts"]) > 1]
    if not fallback:
        return "no window falls back"
    return None


def fixtures(out: Path, seed_tries: int = 1, first_seed: int = SEED) -> None:
    if out.exists():
        shutil.rmtree(out)
    MultiHeadAttention.use_sdpa = False
    audio_dir = out / "audio"
    spec = make_audio(audio_dir, out / "_tmp")
    shutil.rmtree(out / "_tmp")
    tok = get_tokenizer(True, num_languages=99, language="ar", task="transcribe")
    cases = case_list(spec)
    for seed in range(first_seed, first_seed + seed_tries):
        model = shape_whisper(random_whisper(SMALL_DIMS, seed), tok)
        rec = Recorder()
        results, margin, why = [], float("inf"), None
        for i, case in enumerate(cases):
            r, _, m = run_case(model, audio_dir, case, rec)
            results.append(r)
            margin = min(margin, m)
            if i == N_DEFAULT_CASES - 1:
                why = acceptable(results)
            if why or rec.min_gap < TIE_GAP or margin < 1.0:
                break
        rec.close()
        print(f"seed {seed}: {len(results)} of {len(cases)} cases, closest greedy decision "
              f"{rec.min_gap:.2e}, threshold margin {margin:.2f}, {why or 'fixtures as required'}",
              flush=True)
        if len(results) == len(cases) and why is None and rec.min_gap >= TIE_GAP and margin >= 1.0:
            break
    else:
        raise SystemExit(f"no seed in {seed_tries} tries gives tie-free fixtures; try more")

    export(model, out / "model")
    quantize_int8(out / "model", out / "model-int8")
    MultiHeadAttention.use_sdpa = False
    ref_dir = out / "reference"
    ref_dir.mkdir(parents=True)
    index = {"seed": seed, "min_decision_gap": rec.min_gap, "tie_gap": TIE_GAP,
             "thresholds": THRESHOLDS, "audio": {}, "arrays": {}, "transcripts": results}

    for name, meta in sorted(spec.items()):
        index["audio"][name] = {**meta, "samples": wav_frames(audio_dir / name)}
        if name.startswith("sine"):
            continue
        samples = reference_audio(audio_dir / name)
        stem = name.removesuffix(".wav")
        if not name.startswith("long"):  # the 70 s mel alone would be 2 MB
            mel = log_mel_spectrogram(torch.from_numpy(samples))
            index["arrays"][f"{stem}.mel"] = save_f32(ref_dir / f"{stem}.mel.f32", mel.numpy())
        if name in ("speech_16k_s16_mono.wav", "noise_16k_s16_mono.wav"):
            padded = log_mel_spectrogram(torch.from_numpy(samples), padding=N_SAMPLES)
            seg = pad_or_trim(padded[:, : min(N_FRAMES, padded.shape[-1] - N_FRAMES)], N_FRAMES)
            with torch.no_grad():
                feats = model.encoder(seg[None])
            index["arrays"][f"{stem}.encoder"] = save_f32(ref_dir / f"{stem}.encoder.f32", feats[0].numpy())
            if name.startswith("speech"):
                for task in ("transcribe", "translate"):
                    for ts in (True, False):
                        tk = get_tokenizer(True, num_languages=model.num_languages, language="ar", task=task)
                        seq = list(tk.sot_sequence) + ([] if ts else [tk.no_timestamps])
                        with torch.no_grad():
                            logits = model.decoder(torch.tensor([seq]), feats)[0, -1]
                        key = f"{stem}.logits.{task}.{'ts' if ts else 'nots'}"
                        index["arrays"][key] = save_f32(ref_dir / f"{key}.f32", logits.numpy())
    (ref_dir / "index.json").write_text(json.dumps(index, ensure_ascii=False, indent=1) + "\n")
    tokenizer_cases(ref_dir)
    zlib_cases(ref_dir)


TOKENIZER_TEXTS = [
    "مرحبا، أنا صوت.",
    " النهارده الجو حلو قوي في القاهرة!",
    "أَهْلًا وَسَهْلًا",  # harakat are marks (\\p{M}), not letters
    "Hello world, it's 3:45pm — we'll see. 2026  spaces   here\n\nnew\tline",
    "ازيك؟ 123٤٥٦ emoji 🎙️ and URL https://example.com/a?b=c",
    "  leading and trailing  ",
]


def tokenizer_cases(out: Path) -> None:
    """Reference BPE encodings (tiktoken, through whisper's tokenizer) for prompt encoding."""
    tok = get_tokenizer(True, num_languages=99, language="ar", task="transcribe")
    cases = [{"text": t, "tokens": tok.encode(t)} for t in TOKENIZER_TEXTS]
    cases.append({"text": " " + "سياق سابق".strip(), "tokens": tok.encode(" سياق سابق")})
    (out / "tokenizer.json").write_text(json.dumps(cases, ensure_ascii=False, indent=1) + "\n")


def zlib_cases(out: Path) -> None:
    """Reference lengths of `zlib.compress` (what whisper's compression_ratio divides by), for
    the port in crates/whisper/src/zlib_len.rs: every window text of the reference, and texts
    that reach the other block kinds (stored, static, several blocks, long matches)."""
    import random
    import zlib

    index = json.loads((out / "index.json").read_text())
    texts = sorted({s["text"] for c in index["transcripts"] for s in c["segments"]})
    rng = random.Random(7)
    texts += ["a", "ab", "abc", "us" * 150, " isle" + "us" * 120, "x" * 1000, "صوت " * 300,
              "".join(rng.choice("abcdefgh ") for _ in range(40000)),
              "".join(chr(rng.randrange(32, 127)) for _ in range(30000)),
              "".join(chr(rng.randrange(0x600, 0x6ff)) for _ in range(9000)),
              " ".join(rng.choice(["مرحبا", "صوت", "القاهرة", "hello", "world"]) for _ in range(3000))]
    cases = [{"text": t, "compressed": len(zlib.compress(t.encode("utf-8")))} for t in texts]
    (out / "zlib.json").write_text(json.dumps({"zlib": zlib.ZLIB_RUNTIME_VERSION, "cases": cases},
                                              ensure_ascii=False) + "\n")


def bench(out: Path, size: str = "tiny") -> None:
    model = random_whisper(BENCH_DIMS[size], SEED)
    name = f"whisper-{size}-random"
    export(model, out / name)
    quantize_int8(out / name, out / f"{name}-int8")


def models_only(out: Path) -> None:
    """Re-exports model/ and model-int8/ from the seed that index.json records (after a change
    of the export layout): the same random weights, so reference/ and audio/ stay valid."""
    index = json.loads((out / "reference" / "index.json").read_text())
    MultiHeadAttention.use_sdpa = False
    tok = get_tokenizer(True, num_languages=99, language="ar", task="transcribe")
    model = shape_whisper(random_whisper(SMALL_DIMS, index["seed"]), tok)
    for sub in ("model", "model-int8"):
        shutil.rmtree(out / sub, ignore_errors=True)
    export(model, out / "model")
    quantize_int8(out / "model", out / "model-int8")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bench", action="store_true", help="write the real-size random model instead")
    ap.add_argument("--size", choices=sorted(BENCH_DIMS), default="tiny", help="with --bench")
    ap.add_argument("--out", type=Path)
    ap.add_argument("--tokenizer-only", action="store_true", help="rewrite reference/tokenizer.json")
    ap.add_argument("--zlib-only", action="store_true", help="rewrite reference/zlib.json")
    ap.add_argument("--models-only", action="store_true",
                    help="re-export model/ and model-int8/ from the recorded seed")
    ap.add_argument("--seed-tries", type=int, default=1, help="look for a seed without near ties")
    ap.add_argument("--seed", type=int, default=SEED, help="first seed to try")
    a = ap.parse_args()
    if a.tokenizer_only:
        tokenizer_cases((a.out or ROOT / "tests" / "fixtures" / "whisper") / "reference")
    elif a.zlib_only:
        zlib_cases((a.out or ROOT / "tests" / "fixtures" / "whisper") / "reference")
    elif a.models_only:
        models_only(a.out or ROOT / "tests" / "fixtures" / "whisper")
    elif a.bench:
        bench(a.out or ROOT / "models" / "bench", a.size)
    else:
        torch.set_num_threads(1)  # one thread: the reference's float sums are reproducible
        fixtures(a.out or ROOT / "tests" / "fixtures" / "whisper", a.seed_tries, a.seed)


if __name__ == "__main__":
    main()
