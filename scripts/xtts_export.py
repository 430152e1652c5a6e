"""Export a coqui XTTS v2 checkpoint to the model layout sawt loads.

    python scripts/xtts_export.py CHECKPOINT_DIR OUT_DIR

CHECKPOINT_DIR is a coqui XTTS v2 checkpoint folder (model.pth, config.json, vocab.json and,
if the checkpoint has one, speakers_xtts.pth), e.g. coqui's XTTS-v2 or the Egyptian fine-tune
EGTTS-V0.1. OUT_DIR receives (then `sawt models push xtts OUT_DIR` stores it):

    config.json              the checkpoint's own config (sampling settings, GPT sizes, languages)
    vocab.json               the checkpoint's own tokenizer
    gpt.safetensors          GPT-2 blocks, embeddings, final norm, mel head and mel_stats, under
                             coqui's own state-dict names (run by sawt's Rust GPT); the blocks'
                             linear weights quantized (--gpt-format, xtts_quantize.py)
    conditioning.onnx        cloning mel [1, 80, T] -> conditioning latents [1, 32, width]
    speaker_encoder.onnx     16 kHz audio [1, N] -> speaker embedding [1, 512] (L2-normalised)
    hifigan.onnx             upsampled latents [1, width, T'] + speaker [1, 512, 1] -> 24 kHz audio
    speakers.safetensors     only if the checkpoint has speakers_xtts.pth: NAME.gpt_cond_latent
                             and NAME.speaker_embedding for each built-in studio voice

Graph notes (measured with tract, see DESIGN): opset 17, TorchScript exporter (dynamo=False);
the speaker encoder's STFT becomes a Conv1d over a windowed DFT basis (complex STFT does not
export); the two linear interpolations in front of HiFi-GAN (x4, then x24000/22050) stay out
of the graph (a Resize on a symbolic length cannot be typed by tract) and sawt does them in
Rust; value_info is stripped (a dim-name clash breaks tract).
"""

import argparse
import math
import os
import shutil

import onnx
import torch
import torch.nn.functional as F
from safetensors.torch import save_file

OPSET = 17

# The GPT tensors sawt's Rust GPT reads (coqui state-dict names, `Xtts.gpt.*`).
GPT_PREFIXES = (
    "gpt.gpt.h.",
    "gpt.gpt.ln_f.",
    "gpt.text_embedding.",
    "gpt.text_pos_embedding.",
    "gpt.mel_embedding.",
    "gpt.mel_pos_embedding.",
    "gpt.final_norm.",
    "gpt.mel_head.",
)


class DftMelSpectrogram(torch.nn.Module):
    """torchaudio.transforms.MelSpectrogram with the STFT as a Conv1d over a windowed DFT basis.

    Same arithmetic as torch.stft(center=True, pad_mode="reflect", onesided) with the module's
    window zero-padded to n_fft in the middle, |X|^power, then the module's own mel filter bank.
    """

    def __init__(self, mel: torch.nn.Module):
        super().__init__()
        spec = mel.spectrogram
        self.n_fft = spec.n_fft
        self.hop = spec.hop_length
        self.power = spec.power
        window = spec.window.double()
        left = (self.n_fft - window.numel()) // 2
        window = F.pad(window, (left, self.n_fft - window.numel() - left))
        n = torch.arange(self.n_fft, dtype=torch.float64)
        k = torch.arange(self.n_fft // 2 + 1, dtype=torch.float64)
        angle = 2 * math.pi * k[:, None] * n[None, :] / self.n_fft
        basis = torch.cat([torch.cos(angle) * window, -torch.sin(angle) * window], dim=0)
        self.register_buffer("basis", basis.float().unsqueeze(1))
        self.register_buffer("fb", mel.mel_scale.fb.clone())
        self.bins = self.n_fft // 2 + 1

    def forward(self, x):  # x: [B, N]
        x = F.pad(x.unsqueeze(1), (self.n_fft // 2, self.n_fft // 2), mode="reflect")
        y = F.conv1d(x, self.basis, stride=self.hop)  # [B, 2*bins, frames]
        re, im = y[:, : self.bins], y[:, self.bins :]
        power = re * re + im * im
        if self.power != 2.0:
            power = power.pow(self.power / 2.0)
        return torch.matmul(power.transpose(1, 2), self.fb).transpose(1, 2)


class SpeakerEncoderGraph(torch.nn.Module):
    """`HifiDecoder.speaker_encoder.forward(audio_16k, l2_norm=True)` with the exportable spectrogram."""

    def __init__(self, encoder):
        super().__init__()
        self.encoder = encoder
        self.pre = encoder.torch_spec[0]
        self.mel = DftMelSpectrogram(encoder.torch_spec[1])

    def forward(self, audio):
        enc = self.encoder
        x = self.mel(self.pre(audio))
        if enc.log_input:
            x = (x + 1e-6).log()
        x = enc.instancenorm(x).unsqueeze(1)
        x = enc.bn1(enc.relu(enc.conv1(x)))
        x = enc.layer4(enc.layer3(enc.layer2(enc.layer1(x))))
        x = x.reshape(x.size()[0], -1, x.size()[-1])
        w = enc.attention(x)
        if enc.encoder_type == "SAP":
            x = torch.sum(x * w, dim=2)
        else:
            mu = torch.sum(x * w, dim=2)
            sg = torch.sqrt((torch.sum((x**2) * w, dim=2) - mu**2).clamp(min=1e-5))
            x = torch.cat((mu, sg), 1)
        x = enc.fc(x.view(x.size()[0], -1))
        return F.normalize(x, p=2, dim=1)


class ConditioningGraph(torch.nn.Module):
    """`GPT.get_style_emb(mel)` transposed as `Xtts.get_gpt_cond_latents` returns it: [B, 32, width]."""

    def __init__(self, gpt):
        super().__init__()
        self.gpt = gpt

    def forward(self, mel):
        return self.gpt.get_style_emb(mel).transpose(1, 2)


class HifiganGraph(torch.nn.Module):
    """`HifiDecoder.waveform_decoder(z, g)`: the generator after the two interpolations."""

    def __init__(self, decoder):
        super().__init__()
        self.generator = decoder.waveform_decoder

    def forward(self, z, g):
        return self.generator(z, g=g)


def strip_value_info(path):
    model = onnx.load(path)
    del model.graph.value_info[:]
    onnx.save(model, path)


def export_graph(module, args, path, input_names, output_names, dynamic_axes):
    torch.onnx.export(
        module,
        args,
        path,
        opset_version=OPSET,
        input_names=input_names,
        output_names=output_names,
        dynamic_axes=dynamic_axes,
        dynamo=False,
    )
    strip_value_info(path)
    # The graph as onnxruntime runs it must be the module: a silent export error would
    # otherwise only show up as a parity failure far downstream.
    import onnxruntime

    session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    got = session.run(None, {n: a.numpy() for n, a in zip(input_names, args)})[0]
    want = module(*args)
    check_close(os.path.basename(path), torch.from_numpy(got), want, 1e-4 * max(1.0, want.abs().max().item()))


def check_close(name, got, want, tol):
    err = (got - want).abs().max().item()
    if err > tol:
        raise SystemExit(f"{name}: exportable form differs from coqui's by {err:.3g} (> {tol:g})")


@torch.inference_mode()
def export_model(model, config_path, vocab_path, out_dir, speakers_path=None, gpt_format="f32"):
    """Write the sawt layout for a loaded coqui `Xtts` in eval mode (weight norm removed);
    `gpt_format` "q8" or "q4" stores the GPT's linear weights quantized (xtts_quantize.py)."""
    os.makedirs(out_dir, exist_ok=True)
    shutil.copyfile(config_path, os.path.join(out_dir, "config.json"))
    shutil.copyfile(vocab_path, os.path.join(out_dir, "vocab.json"))

    state = model.state_dict()
    tensors = {k: v.contiguous().float() for k, v in state.items() if k.startswith(GPT_PREFIXES)}
    # GPT-2's own attention-mask buffers (`attn.bias`, `attn.masked_bias`) are not weights.
    tensors = {k: v for k, v in tensors.items() if not k.endswith((".attn.bias", ".attn.masked_bias"))}
    tensors["mel_stats"] = model.mel_stats.contiguous().float()
    if gpt_format == "f32":
        save_file(tensors, os.path.join(out_dir, "gpt.safetensors"))
    else:
        from safetensors.numpy import save_file as save_numpy
        from xtts_quantize import quantize

        quantized = quantize({k: v.numpy() for k, v in tensors.items()}, gpt_format)
        save_numpy(quantized, os.path.join(out_dir, "gpt.safetensors"), metadata={"sawt_gpt_format": gpt_format})

    width = model.args.gpt_n_model_channels
    d_vector = model.args.d_vector_dim

    cond = ConditioningGraph(model.gpt).eval()
    mel = torch.randn(1, 80, 345)
    export_graph(
        cond, (mel,), os.path.join(out_dir, "conditioning.onnx"), ["mel"], ["latents"], {"mel": {2: "frames"}}
    )

    spk = SpeakerEncoderGraph(model.hifigan_decoder.speaker_encoder).eval()
    audio = torch.randn(1, 16000 * 3) * 0.1
    check_close(
        "speaker encoder",
        spk(audio),
        model.hifigan_decoder.speaker_encoder.forward(audio.clone(), l2_norm=True),
        1e-5,
    )
    export_graph(
        spk,
        (audio,),
        os.path.join(out_dir, "speaker_encoder.onnx"),
        ["audio"],
        ["embedding"],
        {"audio": {1: "samples"}},
    )

    voc = HifiganGraph(model.hifigan_decoder).eval()
    z = torch.randn(1, width, 40)
    g = torch.randn(1, d_vector, 1)
    export_graph(
        voc,
        (z, g),
        os.path.join(out_dir, "hifigan.onnx"),
        ["z", "g"],
        ["wav"],
        {"z": {2: "frames"}, "wav": {2: "samples"}},
    )

    if speakers_path and os.path.exists(speakers_path):
        speakers = torch.load(speakers_path, map_location="cpu", weights_only=True)
        flat = {}
        for name, voice in speakers.items():
            flat[f"{name}.gpt_cond_latent"] = voice["gpt_cond_latent"].contiguous().float()
            flat[f"{name}.speaker_embedding"] = voice["speaker_embedding"].contiguous().float()
        save_file(flat, os.path.join(out_dir, "speakers.safetensors"))


def load_checkpoint(checkpoint_dir):
    from TTS.tts.configs.xtts_config import XttsConfig
    from TTS.tts.models.xtts import Xtts

    config = XttsConfig()
    config.load_json(os.path.join(checkpoint_dir, "config.json"))
    model = Xtts.init_from_config(config)
    model.load_checkpoint(config, checkpoint_dir=checkpoint_dir, eval=True, use_deepspeed=False)
    return model


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("checkpoint_dir")
    parser.add_argument("out_dir")
    parser.add_argument(
        "--gpt-format",
        choices=["f32", "q8", "q4"],
        default="q8",
        help="how the GPT's linear weights are stored (default q8: see the README's XTTS table)",
    )
    args = parser.parse_args()
    torch.set_num_threads(1)
    model = load_checkpoint(args.checkpoint_dir)
    export_model(
        model,
        os.path.join(args.checkpoint_dir, "config.json"),
        os.path.join(args.checkpoint_dir, "vocab.json"),
        args.out_dir,
        os.path.join(args.checkpoint_dir, "speakers_xtts.pth"),
        gpt_format=args.gpt_format,
    )
    print(f"wrote {args.out_dir}")


if __name__ == "__main__":
    main()
