"""Reference outputs of torchaudio 2.8.0 for sawt-audio's XTTS front-end (crates/audio/src/
sinc_resample.rs, spectrogram.rs), written to tests/fixtures/audio/torchaudio/.

    /work/xvenv/bin/python scripts/audio_reference.py      # pins: scripts/requirements-xtts.txt

What XTTS v2 does to a reference voice (coqui-tts v0.27.2, TTS/tts/models/xtts.py: `load_audio`,
`get_speaker_embedding`, `get_gpt_cond_latents`, `wav_to_mel_cloning`) is called here through
torchaudio itself:
- resample.json: `torchaudio.functional.resample` (defaults: sinc_interp_hann, width 6, rolloff
  0.99) from every common WAV rate into 22050 and 16000 Hz, plus a few tiny inputs;
- mel.json: `torchaudio.transforms.MelSpectrogram` with the parameters of
  `get_gpt_cond_latents` (n_fft 2048, hop 256, win 1024, slaney norm, htk scale) and a second,
  generic configuration, then `torch.log(torch.clamp(mel, min=1e-5))`; lengths that are and
  are not a multiple of the hop, the shortest accepted one, and too-short ones (torch's error
  is recorded); the window and the filter bank themselves;
- chain.json: the `load_audio` chain on a 16-bit stereo 44.1 kHz WAV (torchaudio.load, mean
  of the channels, resample to 22050, clip), then the cloning mel and the 16 kHz resample of
  `get_speaker_embedding`; and torchaudio.load's mono output for WAVs of other sample formats.

Input signals are not stored: they come from `signal()`, integer-only arithmetic that the Rust
test repeats bit for bit (xorshift32 noise, a leaky-integrated "brown" noise and a 150 Hz
sawtooth, with a silent and a near-silent tenth so the log-mel clamp and quiet bands are
exercised). Arrays are little-endian float32, base64 encoded. Deterministic: same output on
every run with the pinned packages.
"""

from __future__ import annotations

import base64
import json
import math
import struct
from pathlib import Path

import numpy as np
import torch
import torchaudio
import torchaudio.functional as F
from torchaudio.functional.functional import _get_sinc_resample_kernel

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests/fixtures/audio/torchaudio"


def signal(n: int, seed: int, rate: int, gain: int = 1) -> list[int]:
    """Deterministic int16 test signal; the Rust test has the same function (`signal`)."""
    s = seed & 0xFFFFFFFF or 1
    brown = 0
    period = max(2, rate // 150)
    out = []
    for i in range(n):
        s ^= (s << 13) & 0xFFFFFFFF
        s ^= s >> 17
        s ^= (s << 5) & 0xFFFFFFFF
        white = (s >> 16) - 32768
        brown += (white >> 4) - (brown >> 6)
        saw = (i % period) * 12000 // period - 6000
        tenth = i * 10 // n
        if tenth == 0:
            v = 0
        elif tenth == 1:
            v = white >> 12
        else:
            v = gain * ((brown >> 1) + (white >> 3) + saw)
        out.append(max(-32768, min(32767, v)))
    return out


def as_f32(ints: list[int]) -> torch.Tensor:
    return torch.tensor(ints, dtype=torch.float32) / 32768.0


def b64(t: torch.Tensor) -> str:
    a = t.detach().to(torch.float32).contiguous().numpy().astype("<f4")
    return base64.b64encode(a.tobytes()).decode("ascii")


def versions() -> dict:
    return {"torch": torch.__version__, "torchaudio": torchaudio.__version__}


def write(name: str, obj: dict) -> None:
    path = OUT / name
    path.write_text(json.dumps(obj, indent=1, sort_keys=True) + "\n")
    print(f"{path.relative_to(ROOT)}: {path.stat().st_size} bytes")


# ---------------------------------------------------------------- resample

RATES = [8000, 11025, 16000, 22050, 24000, 32000, 44100, 48000, 96000]
TARGETS = [22050, 16000]


def resample_cases() -> dict:
    cases = []
    for orig in RATES:
        # 50 ms covers every polyphase phase at least twice for all these pairs (most: 640).
        n = orig // 20
        seed = 1000 + orig
        x = as_f32(signal(n, seed, orig))
        for new in TARGETS:
            y = F.resample(x[None], orig, new)[0]
            g = math.gcd(orig, new)
            width = None
            if orig != new:
                _, width = _get_sinc_resample_kernel(orig, new, g, dtype=torch.float32)
            cases.append({"orig": orig, "new": new, "seed": seed, "len": n, "width": width,
                          "out_len": y.numel(), "output": b64(y)})
    # Inputs shorter than the kernel, and empty.
    for orig, new, n in [(48000, 22050, 3), (8000, 22050, 1), (22050, 16000, 0), (44100, 16000, 17)]:
        # signal()'s silent first tenth would make these all zero: use a full-scale ramp instead.
        x = as_f32([((v * 7919) % 65536) - 32768 for v in range(1, n + 1)])
        case = {"orig": orig, "new": new, "seed": None, "len": n, "ramp": True,
                "width": _get_sinc_resample_kernel(orig, new, math.gcd(orig, new),
                                                   dtype=torch.float32)[1]}
        try:
            y = F.resample(x[None], orig, new)[0]
        except RuntimeError as e:
            # torch 2.8 cannot reshape an empty batch: resample refuses empty input.
            case["error"] = str(e).splitlines()[0]
        else:
            case.update(out_len=y.numel(), output=b64(y))
        cases.append(case)
    return {"versions": versions(), "cases": cases,
            "call": "torchaudio.functional.resample(x[None], orig, new)[0], x = signal(len, seed, orig) / 32768"}


# ---------------------------------------------------------------- mel

# get_gpt_cond_latents (gpt_use_perceiver_resampler, i.e. XTTS v2) -> wav_to_mel_cloning.
XTTS = dict(n_fft=2048, hop_length=256, win_length=1024, power=2, normalized=False,
            sample_rate=22050, f_min=0, f_max=8000, n_mels=80, norm="slaney", mel_scale="htk")
# Not used by XTTS v2: exercises the other branches of the generic struct.
GENERIC = dict(n_fft=1024, hop_length=300, win_length=700, power=1, normalized=True,
               sample_rate=16000, f_min=60, f_max=None, n_mels=40, norm=None, mel_scale="slaney")


def mel_transform(cfg: dict) -> torchaudio.transforms.MelSpectrogram:
    return torchaudio.transforms.MelSpectrogram(**cfg)


def fbank_bands(fb: torch.Tensor) -> list[dict]:
    # fb is (n_freqs, n_mels); store each mel's non-zero run (they are contiguous triangles).
    bands = []
    for m in range(fb.shape[1]):
        col = fb[:, m]
        nz = torch.nonzero(col).flatten()
        first, last = (int(nz[0]), int(nz[-1]) + 1) if nz.numel() else (0, 0)
        assert torch.count_nonzero(col[first:last]) == last - first
        bands.append({"first": first, "values": b64(col[first:last])})
    return bands


def mel_cases() -> dict:
    configs = {}
    for name, cfg in [("xtts", XTTS), ("generic", GENERIC)]:
        t = mel_transform(cfg)
        configs[name] = {"params": cfg, "window": b64(t.spectrogram.window),
                         "n_freqs": int(t.mel_scale.fb.shape[0]),
                         "fbank": fbank_bands(t.mel_scale.fb)}
    cases = []
    for name, cfg, n in [("xtts", XTTS, 26 * 256), ("xtts", XTTS, 6615), ("xtts", XTTS, 1025),
                         ("xtts", XTTS, 1024), ("xtts", XTTS, 0),
                         ("generic", GENERIC, 4000), ("generic", GENERIC, 513)]:
        seed = 500 + n
        x = as_f32(signal(n, seed, cfg["sample_rate"]))
        case = {"config": name, "seed": seed, "len": n}
        try:
            mel = mel_transform(cfg)(x[None])[0]
        except RuntimeError as e:
            case["error"] = str(e).splitlines()[0]
        else:
            case["n_frames"] = int(mel.shape[1])
            case["mel"] = b64(mel)
            case["log_mel"] = b64(torch.log(torch.clamp(mel, min=1e-5)))
        cases.append(case)
    return {"versions": versions(), "configs": configs, "cases": cases,
            "call": "MelSpectrogram(**params)(x[None])[0]; log_mel = torch.log(torch.clamp(mel, min=1e-5))"}


# ---------------------------------------------------------------- WAV chain

def wav_bytes(frames: list[list], rate: int, fmt: str) -> bytes:
    """A canonical 44-byte-header WAV; `fmt` is u8, s16, s24, s32 or f32."""
    ch = len(frames[0])
    bits = {"u8": 8, "s16": 16, "s24": 24, "s32": 32, "f32": 32}[fmt]
    data = bytearray()
    for fr in frames:
        for v in fr:
            if fmt == "u8":
                data += struct.pack("<B", v + 128)
            elif fmt == "s16":
                data += struct.pack("<h", v)
            elif fmt == "s24":
                data += struct.pack("<i", v)[:3]
            elif fmt == "s32":
                data += struct.pack("<i", v)
            else:
                data += struct.pack("<f", v)
    block = ch * bits // 8
    tag = 3 if fmt == "f32" else 1
    head = b"RIFF" + struct.pack("<I", 36 + len(data)) + b"WAVE"
    head += b"fmt " + struct.pack("<IHHIIHH", 16, tag, ch, rate, rate * block, block, bits)
    head += b"data" + struct.pack("<I", len(data))
    return head + bytes(data)


def load_audio_like(path: Path, sampling_rate: int) -> tuple[torch.Tensor, torch.Tensor, int]:
    """xtts.py `load_audio` at v0.27.2, step for step; also returns the mono input."""
    audio, lsr = torchaudio.load(str(path))
    if audio.size(0) != 1:
        audio = torch.mean(audio, dim=0, keepdim=True)
    mono = audio.clone()
    if lsr != sampling_rate:
        audio = torchaudio.functional.resample(audio, lsr, sampling_rate)
    audio.clip_(-1, 1)
    return audio, mono, lsr


def chain_cases() -> dict:
    rate, n = 44100, 5292  # 0.12 s
    left = signal(n, 4401, rate, gain=3)
    right = signal(n, 4402, rate, gain=3)
    wav = "chain_44k1_s16_stereo.wav"
    (OUT / wav).write_bytes(wav_bytes([[a, b] for a, b in zip(left, right)], rate, "s16"))
    audio, mono, lsr = load_audio_like(OUT / wav, 22050)
    assert lsr == rate
    mel = mel_transform(XTTS)(audio)[0]
    audio_16k = torchaudio.functional.resample(audio, 22050, 16000)[0]
    chain = {"wav": wav, "sample_rate": lsr, "mono": b64(mono[0]), "audio_22050": b64(audio[0]),
             "clipped": int((audio.abs() == 1).sum()), "n_frames": int(mel.shape[1]),
             "mel": b64(mel), "log_mel": b64(torch.log(torch.clamp(mel, min=1e-5))),
             "audio_16000": b64(audio_16k)}
    # torchaudio.load's scaling and channel mean for the other sample formats decode_wav reads.
    formats = []
    for fmt, ch, full in [("u8", 1, 127), ("s24", 2, 8388607), ("s32", 1, 2147483647),
                          ("f32", 2, None), ("s16", 3, 32767), ("s16", 1, 32767)]:
        k = 300
        chans = [signal(k, 60 + c, 16000, gain=2) for c in range(ch)]
        if full is None:
            frames = [[v / 32768.0 for v in fr] for fr in zip(*chans)]
        else:
            # Spread int16 values over the full width (and keep the extreme codes in).
            frames = [[max(-full - 1, min(full, (v * (full + 1)) // 32768 + (v & 1))) for v in fr]
                      for fr in zip(*chans)]
            frames[0] = [full] * ch
            frames[1] = [-full - 1] * ch
        name = f"load_{fmt}_{ch}ch.wav"
        (OUT / name).write_bytes(wav_bytes(frames, 16000, fmt))
        audio, lsr = torchaudio.load(str(OUT / name))
        if audio.size(0) != 1:
            audio = torch.mean(audio, dim=0, keepdim=True)
        formats.append({"wav": name, "format": fmt, "channels": ch, "sample_rate": lsr,
                        "mono": b64(audio[0])})
    backend = next(iter(torchaudio._backend.utils.get_available_backends()))
    return {"versions": versions(), "backend": backend, "chain": chain, "formats": formats}


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(1)
    write("resample.json", resample_cases())
    write("mel.json", mel_cases())
    write("chain.json", chain_cases())


if __name__ == "__main__":
    main()
