//! `xtts-probe synth`: one sentence through the whole core — text preparation, cloning from a
//! WAV clip, greedy codes, the streamed vocoder — for scripts/xtts_compare.py, which runs the
//! same sentence through coqui-tts on a real checkpoint and compares the two.
//!
//! With `--codes` (coqui's greedy codes, comma-separated) the GPT is also teacher-forced on
//! them: its greedy choice at each of coqui's positions, which measures the quantized GPT
//! where free-running codes, once they part, say nothing more.

use std::path::Path;

use sawt_xtts::generate::{greedy_choices, teacher_forced, Decoding};
use sawt_xtts::vocoder::{VocoderStream, DEFAULT_CONTEXT};
use sawt_xtts::Xtts;
use serde_json::json;

pub struct SynthArgs<'a> {
    pub model: &'a Path,
    pub clip: &'a Path,
    pub text: &'a str,
    pub out: &'a Path,
    pub lang: &'a str,
    pub coqui_codes: Option<Vec<u32>>,
}

/// Parses `<model-dir> <clip.wav> <text> <out.wav> [--lang L] [--codes 1,2,3]`.
pub fn parse(args: &[String]) -> Result<SynthArgs<'_>, String> {
    let [model, clip, text, out, rest @ ..] = args else {
        return Err("synth needs <model-dir> <clip.wav> <text> <out.wav>".into());
    };
    let mut parsed = SynthArgs {
        model: Path::new(model),
        clip: Path::new(clip),
        text,
        out: Path::new(out),
        lang: "ar",
        coqui_codes: None,
    };
    let mut it = rest.iter();
    while let Some(flag) = it.next() {
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--lang" => parsed.lang = value,
            "--codes" => {
                let codes = value
                    .split(',')
                    .filter(|s| !s.trim().is_empty())
                    .map(|s| s.trim().parse::<u32>())
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| format!("--codes: {e}"))?;
                parsed.coqui_codes = Some(codes);
            }
            _ => return Err(format!("unknown option {flag}")),
        }
    }
    Ok(parsed)
}

pub fn synth(model: &Xtts, a: &SynthArgs) -> Result<(), String> {
    let err = |e: sawt_xtts::XttsError| e.to_string();
    let clip = std::fs::read(a.clip).map_err(|e| format!("{}: {e}", a.clip.display()))?;
    let audio = sawt_audio::decode_wav(&clip, None).map_err(|e| e.to_string())?;
    let voice = model
        .clone_voice(&audio.samples, audio.sample_rate)
        .map_err(err)?;
    // One sentence, unsplit: what coqui's `Xtts.inference` takes.
    let sentences = model.sentences(a.text, a.lang, false).map_err(err)?;
    let [sentence] = sentences.as_slice() else {
        return Err(format!(
            "the text gave {} sentences; pass one sentence",
            sentences.len()
        ));
    };
    let options = model.code_options(Decoding::Greedy);
    let out = model
        .codes(&voice, &sentence.tokens, &options)
        .map_err(err)?;
    let vocoder = model.vocoder();
    let mut stream = VocoderStream::new(&vocoder, &voice.speaker_embedding, DEFAULT_CONTEXT);
    // Coqui's streaming chunk: 20 codes.
    let mut samples = Vec::new();
    for part in out.latents.chunks(20 * model.gpt.width()) {
        samples.extend(stream.push(part).map_err(err)?);
    }
    samples.extend(stream.finish().map_err(err)?);
    let wav = sawt_audio::encode_wav_pcm16(&samples, model.output_rate());
    std::fs::write(a.out, wav).map_err(|e| format!("{}: {e}", a.out.display()))?;

    let teacher = match &a.coqui_codes {
        Some(codes) if !codes.is_empty() => {
            let outs = teacher_forced(
                &mut model.gpt.session(),
                &voice.cond_latents,
                &sentence.tokens,
                codes,
            )
            .map_err(err)?;
            let choices = greedy_choices(&outs, codes, &options);
            let agree = choices.iter().zip(codes).filter(|(a, b)| a == b).count();
            json!({"choices": choices, "agreement": agree as f64 / codes.len() as f64,
                   "first_mismatch": choices.iter().zip(codes).position(|(a, b)| a != b)})
        }
        _ => serde_json::Value::Null,
    };
    println!(
        "{}",
        json!({"gpt_format": model.gpt.format().name(), "text_tokens": sentence.tokens,
               "codes": out.codes, "stopped": out.stopped, "samples": samples.len(),
               "rate": model.output_rate(), "teacher_forced": teacher})
    );
    Ok(())
}
