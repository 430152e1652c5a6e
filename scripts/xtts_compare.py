"""Compare sawt's XTTS (usually with its quantized GPT) with coqui-tts's f32 model on a real checkpoint.

    python scripts/xtts_compare.py CHECKPOINT_DIR SAWT_MODEL_DIR CLIP.wav \
        [--probe target/release/xtts-probe] [--text "…"]… [--out-dir compare-out]

CHECKPOINT_DIR is the coqui XTTS v2 checkpoint (e.g. XTTS-v2 or EGTTS-V0.1), SAWT_MODEL_DIR what
scripts/xtts_export.py wrote from it (any --gpt-format), CLIP.wav the voice to clone. Random
weights say little about quantization on real Arabic, so this is the check a user with the real
weights runs (scripts/requirements-xtts.txt; build the probe with
`cargo build --release -p xtts-wasm`). Per sentence, both sides decode greedily with the
checkpoint's repetition penalty; printed and written to OUT_DIR/report.json:

  tokens      whether sawt's text tokens equal coqui's (text preparation + tokenizer)
  teacher     sawt's GPT fed coqui's codes: the share of positions where its greedy choice is
              coqui's code, and the first that differs (free-running codes part at the first
              difference and then say nothing more; this keeps measuring after it)
  prefix      free-running: how many leading codes agree, over coqui's length
  length      sawt's code count over coqui's
  mel_db      mean |difference| in dB of the two waveforms' 80-band log-mel spectra over a DTW
              alignment (0 for the same audio); run it once on an f32 export (--gpt-format f32)
              for the baseline of the port itself, then on the q8 / q4 export

Both waveforms are written beside the report for listening (OUT_DIR/NN-coqui.wav, NN-sawt.wav).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import wave

import numpy as np

SCRIPTS = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(SCRIPTS)

# Egyptian sentences as the service sends them (one sentence each, under Arabic's 166-character
# limit, so neither side splits them).
DEFAULT_TEXTS = [
    "أهلا بيك، أنا صوت، المساعد الصوتي بتاعك.",
    "النهارده الجو حلو قوي، تحب نخرج نتمشى على النيل؟",
    "ممكن تقولي الساعة كام دلوقتي لو سمحت؟",
    "الطلب هيوصلك خلال نص ساعة إن شاء الله.",
]

MEL_RATE = 24000
MEL_FFT = 1024
MEL_HOP = 256
MEL_BANDS = 80


# --- metrics (numpy only: scripts/tests/test_xtts_compare.py runs them without torch) ---


def code_agreement(got, want):
    """Leading codes that agree, and the share of agreeing positions over `want`'s length."""
    prefix = 0
    for a, b in zip(got, want):
        if a != b:
            break
        prefix += 1
    same = sum(1 for a, b in zip(got, want) if a == b)
    return prefix, same / max(len(want), 1)


def mel_filters(rate=MEL_RATE, n_fft=MEL_FFT, bands=MEL_BANDS):
    """HTK-scale triangular filters over the one-sided spectrum, [bands, n_fft // 2 + 1]."""
    hz = np.linspace(0.0, rate / 2, n_fft // 2 + 1)
    mel = lambda f: 2595.0 * np.log10(1.0 + f / 700.0)  # noqa: E731
    edges = 700.0 * (10.0 ** (np.linspace(0.0, mel(rate / 2), bands + 2) / 2595.0) - 1.0)
    fb = np.zeros((bands, hz.size))
    for m in range(bands):
        lo, mid, hi = edges[m], edges[m + 1], edges[m + 2]
        up = (hz - lo) / (mid - lo)
        down = (hi - hz) / (hi - mid)
        fb[m] = np.maximum(0.0, np.minimum(up, down))
    return fb


def log_mel_db(samples, rate=MEL_RATE):
    """80-band log-mel power in dB, [frames, bands] (Hann window, centred frames)."""
    x = np.asarray(samples, dtype=np.float64)
    if rate != MEL_RATE:
        raise ValueError(f"expected {MEL_RATE} Hz audio, got {rate}")
    pad = MEL_FFT // 2
    x = np.pad(x, (pad, pad))
    if x.size < MEL_FFT:
        x = np.pad(x, (0, MEL_FFT - x.size))
    n = 1 + (x.size - MEL_FFT) // MEL_HOP
    idx = np.arange(MEL_FFT)[None, :] + MEL_HOP * np.arange(n)[:, None]
    window = np.hanning(MEL_FFT + 1)[:-1]
    power = np.abs(np.fft.rfft(x[idx] * window, axis=1)) ** 2
    return 10.0 * np.log10(np.maximum(power @ mel_filters().T, 1e-10))


def dtw_distance(a, b):
    """Mean frame distance (mean |Δ| over bands) along the cheapest monotonic alignment."""
    cost = np.abs(a[:, None, :] - b[None, :, :]).mean(axis=2)
    n, m = cost.shape
    acc = np.full((n + 1, m + 1), np.inf)
    steps = np.zeros((n + 1, m + 1), dtype=np.int64)
    acc[0, 0] = 0.0
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            options = (acc[i - 1, j - 1], acc[i - 1, j], acc[i, j - 1])
            k = int(np.argmin(options))
            prev = ((i - 1, j - 1), (i - 1, j), (i, j - 1))[k]
            acc[i, j] = cost[i - 1, j - 1] + options[k]
            steps[i, j] = steps[prev] + 1
    return float(acc[n, m] / steps[n, m])


def mel_distance(got, want, rate=MEL_RATE):
    return dtw_distance(log_mel_db(got, rate), log_mel_db(want, rate))


def read_wav(path):
    """Mono float samples and the rate of a 16-bit PCM WAV (what the probe writes)."""
    with wave.open(path, "rb") as w:
        if w.getsampwidth() != 2:
            raise ValueError(f"{path}: expected 16-bit PCM")
        data = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float64) / 32768.0
        return data.reshape(-1, w.getnchannels()).mean(axis=1), w.getframerate()


def write_wav(path, samples, rate):
    pcm = (np.clip(np.asarray(samples, dtype=np.float64), -1.0, 1.0) * 32767.0).round().astype("<i2")
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())


def run_probe(probe, model_dir, clip, text, out_wav, codes, lang="ar"):
    """sawt's side: `xtts-probe synth`, teacher-forced on `codes`; its JSON line and waveform."""
    cmd = [probe, "synth", model_dir, clip, text, out_wav, "--lang", lang]
    if codes:
        cmd += ["--codes", ",".join(str(c) for c in codes)]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{probe} synth failed ({done.returncode}): {done.stderr.strip()}")
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    if not lines:
        raise RuntimeError(f"{probe} synth printed nothing")
    result = json.loads(lines[-1])
    samples, rate = read_wav(out_wav)
    return result, samples, rate


def compare_one(coqui, sawt, sawt_samples):
    """The report line of one sentence from coqui's record and the probe's result."""
    prefix, _ = code_agreement(sawt["codes"], coqui["codes"])
    teacher = sawt.get("teacher_forced") or {}
    return {
        "text": coqui["text"],
        "tokens_equal": sawt["text_tokens"] == coqui["tokens"],
        "coqui_codes": len(coqui["codes"]),
        "sawt_codes": len(sawt["codes"]),
        "teacher_agreement": teacher.get("agreement"),
        "teacher_first_mismatch": teacher.get("first_mismatch"),
        "prefix": prefix,
        "prefix_share": prefix / max(len(coqui["codes"]), 1),
        "length_ratio": len(sawt["codes"]) / max(len(coqui["codes"]), 1),
        "mel_db": mel_distance(sawt_samples, coqui["wav"]),
        "gpt_format": sawt.get("gpt_format"),
    }


def summary(lines):
    keys = ["teacher_agreement", "prefix_share", "length_ratio", "mel_db"]
    out = {"sentences": len(lines), "tokens_equal": all(x["tokens_equal"] for x in lines)}
    for k in keys:
        vals = [x[k] for x in lines if x[k] is not None]
        out[k] = float(np.mean(vals)) if vals else None
    return out


# --- coqui's side (torch, coqui-tts: scripts/requirements-xtts.txt) ---


def load_coqui(checkpoint_dir):
    import torch

    sys.path.insert(0, SCRIPTS)
    import xtts_export

    torch.set_num_threads(1)
    return xtts_export.load_checkpoint(checkpoint_dir)


def coqui_runs(model, clip, texts, lang):
    """Coqui's greedy `Xtts.inference` per sentence: its text tokens, codes and waveform."""
    import torch

    config = model.config
    record = {"tokens": [], "codes": []}
    encode, generate = model.tokenizer.encode, model.gpt.generate

    def encode_hook(txt, lang):
        ids = encode(txt, lang)
        record["tokens"].append(list(ids))
        return ids

    def generate_hook(*args, **kwargs):
        out = generate(*args, **kwargs)
        record["codes"].append(out[0].tolist())
        return out

    model.tokenizer.encode, model.gpt.generate = encode_hook, generate_hook
    with torch.inference_mode():
        cond, spk = model.get_conditioning_latents(
            audio_path=clip,
            gpt_cond_len=config.gpt_cond_len,
            gpt_cond_chunk_len=config.gpt_cond_chunk_len,
            max_ref_length=config.max_ref_len,
            sound_norm_refs=config.sound_norm_refs,
        )
        runs = []
        for text in texts:
            out = model.inference(
                text,
                lang,
                cond,
                spk,
                do_sample=False,
                temperature=config.temperature,
                length_penalty=config.length_penalty,
                repetition_penalty=config.repetition_penalty,
                top_k=config.top_k,
                top_p=config.top_p,
            )
            runs.append(
                {
                    "text": text,
                    "tokens": record["tokens"][-1],
                    "codes": record["codes"][-1],
                    "wav": np.asarray(out["wav"], dtype=np.float64).reshape(-1),
                }
            )
    return runs, config.model_args.output_sample_rate


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("checkpoint_dir")
    parser.add_argument("model_dir", help="the sawt model folder xtts_export.py wrote")
    parser.add_argument("clip", help="the voice to clone (WAV, 3-30 s)")
    parser.add_argument("--probe", default=os.path.join(ROOT, "target", "release", "xtts-probe"))
    parser.add_argument("--text", action="append", help="a sentence (repeatable; default: four Egyptian ones)")
    parser.add_argument("--lang", default="ar")
    parser.add_argument("--out-dir", default="xtts-compare")
    args = parser.parse_args()
    if not os.access(args.probe, os.X_OK):
        sys.exit(f"{args.probe} not found: cargo build --release -p xtts-wasm")
    os.makedirs(args.out_dir, exist_ok=True)
    texts = args.text or DEFAULT_TEXTS
    runs, rate = coqui_runs(load_coqui(args.checkpoint_dir), args.clip, texts, args.lang)
    if rate != MEL_RATE:
        sys.exit(f"the checkpoint outputs {rate} Hz; this script compares at {MEL_RATE} Hz")
    lines = []
    for i, run in enumerate(runs):
        write_wav(os.path.join(args.out_dir, f"{i:02d}-coqui.wav"), run["wav"], rate)
        out_wav = os.path.join(args.out_dir, f"{i:02d}-sawt.wav")
        sawt, samples, got_rate = run_probe(
            args.probe, args.model_dir, args.clip, run["text"], out_wav, run["codes"], args.lang
        )
        if got_rate != rate:
            sys.exit(f"sawt wrote {got_rate} Hz, coqui {rate} Hz")
        line = compare_one(run, sawt, samples)
        lines.append(line)
        print(
            f"{i:2d} tokens {'=' if line['tokens_equal'] else '≠'}  teacher {line['teacher_agreement']:.3f}"
            f" (first ≠ {line['teacher_first_mismatch']})  prefix {line['prefix']}/{line['coqui_codes']}"
            f"  length ×{line['length_ratio']:.2f}  mel {line['mel_db']:.2f} dB  {run['text']}"
        )
    report = {"checkpoint": args.checkpoint_dir, "model": args.model_dir, "lines": lines, "summary": summary(lines)}
    with open(os.path.join(args.out_dir, "report.json"), "w", encoding="utf-8") as f:
        json.dump(report, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(json.dumps(report["summary"]))


if __name__ == "__main__":
    main()
