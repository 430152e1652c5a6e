//! Which files of a folder make up a model, read from the model's own `config.json`.
//!
//! A push sends exactly the files of the model's layout and refuses a folder that holds
//! anything else: an export written next to its checkpoint (`tiny.pt`, hundreds of MB) must
//! not end up in the key-value store, and a folder missing a file must not be published as a
//! model that cannot load.

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::{bail, Context, Result};

/// `config.json` `format` of scripts/whisper_export.py (crates/whisper/src/config.rs).
const WHISPER_FORMAT: &str = "sawt-whisper-onnx/";
const WHISPER_CURRENT: &str = "sawt-whisper-onnx/2";
/// The files of scripts/xtts_export.py's layout (crates/xtts/src/model.rs), whose
/// `config.json` is coqui's own (`"model": "xtts"`); the built-in voices file is optional.
const XTTS_FILES: [&str; 6] = [
    "config.json",
    "vocab.json",
    "gpt.safetensors",
    "conditioning.onnx",
    "speaker_encoder.onnx",
    "hifigan.onnx",
];
const XTTS_SPEAKERS: &str = "speakers.safetensors";

/// The names of the files to push, sorted; an error that says what to fix otherwise.
pub fn model_files(dir: &Path) -> Result<Vec<String>> {
    let config_path = dir.join("config.json");
    let bytes = std::fs::read(&config_path).with_context(|| {
        format!(
            "{} has no config.json: push a folder written by scripts/whisper_export.py --out \
             or scripts/xtts_export.py",
            dir.display()
        )
    })?;
    // coqui's config.json (XTTS) is Python's JSON, with `Infinity`.
    let config: serde_json::Value =
        serde_json::from_str(&sawt_api::python_json(&String::from_utf8_lossy(&bytes)))
            .with_context(|| format!("{} is not JSON", config_path.display()))?;
    let format = config["format"].as_str().unwrap_or("");
    let wanted: BTreeSet<String> = if format.starts_with(WHISPER_FORMAT) {
        let named = |field: &str| {
            config[field]
                .as_str()
                .filter(|t| !t.is_empty() && !t.contains('/'))
                .with_context(|| format!("{} names no {field} file", config_path.display()))
        };
        if format != WHISPER_CURRENT {
            bail!(
                "{}: format {format:?}; this sawt reads {WHISPER_CURRENT:?}: export the \
                 checkpoint again with scripts/whisper_export.py",
                config_path.display()
            );
        }
        let (tokenizer, embedding) = (named("tokenizer")?, named("token_embedding")?);
        [
            "config.json",
            "encoder.onnx",
            "decoder.onnx",
            tokenizer,
            embedding,
        ]
        .into_iter()
        .map(str::to_owned)
        .collect()
    } else if config["model"].as_str() == Some("xtts") {
        let mut files: BTreeSet<String> = XTTS_FILES.iter().map(|f| f.to_string()).collect();
        if dir.join(XTTS_SPEAKERS).is_file() {
            files.insert(XTTS_SPEAKERS.to_owned());
        }
        files
    } else {
        bail!(
            "{}: unknown model format {format:?}; sawt pushes its own exports \
             (scripts/whisper_export.py writes format {WHISPER_CURRENT:?}, \
             scripts/xtts_export.py coqui's XTTS config)",
            config_path.display()
        );
    };

    let mut present = BTreeSet::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        present.insert(name);
    }
    let missing: Vec<&String> = wanted.difference(&present).collect();
    if !missing.is_empty() {
        bail!(
            "{} is missing {} of the model's files; export it again",
            dir.display(),
            join(&missing)
        );
    }
    let extra: Vec<&String> = present.difference(&wanted).collect();
    if !extra.is_empty() {
        bail!(
            "{} holds {}, which {} not part of the model ({}); export to a folder of its own \
             (e.g. --out models/local/whisper-tiny/export) and push that",
            dir.display(),
            join(&extra),
            if extra.len() == 1 { "is" } else { "are" },
            join(&wanted.iter().collect::<Vec<_>>())
        );
    }
    Ok(wanted.into_iter().collect())
}

fn join(names: &[&String]) -> String {
    names
        .iter()
        .map(|n| n.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder(files: &[(&str, &str)]) -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        for (name, body) in files {
            std::fs::write(d.path().join(name), body).unwrap();
        }
        d
    }

    const CONFIG: &str = r#"{"format":"sawt-whisper-onnx/2","tokenizer":"multilingual.tiktoken","token_embedding":"token_embedding.safetensors"}"#;

    #[test]
    fn the_whisper_layout_is_read_from_config_json() {
        let d = folder(&[
            ("config.json", CONFIG),
            ("encoder.onnx", "e"),
            ("decoder.onnx", "d"),
            ("multilingual.tiktoken", "t"),
            ("token_embedding.safetensors", "w"),
            (".DS_Store", "x"),
        ]);
        assert_eq!(
            model_files(d.path()).unwrap(),
            [
                "config.json",
                "decoder.onnx",
                "encoder.onnx",
                "multilingual.tiktoken",
                "token_embedding.safetensors"
            ]
        );
        // A version-1 export is refused with the way out.
        std::fs::write(
            d.path().join("config.json"),
            CONFIG.replace("onnx/2", "onnx/1"),
        )
        .unwrap();
        let e = model_files(d.path()).unwrap_err().to_string();
        assert!(e.contains("export the checkpoint again"), "{e}");
    }

    #[test]
    fn a_checkpoint_beside_the_export_is_refused() {
        let d = folder(&[
            ("config.json", CONFIG),
            ("encoder.onnx", "e"),
            ("decoder.onnx", "d"),
            ("multilingual.tiktoken", "t"),
            ("token_embedding.safetensors", "w"),
            ("tiny.pt", "weights"),
        ]);
        let e = model_files(d.path()).unwrap_err().to_string();
        assert!(
            e.contains("holds tiny.pt, which is not part of the model"),
            "{e}"
        );
        assert!(e.contains("export to a folder of its own"), "{e}");
    }

    #[test]
    fn missing_files_and_foreign_folders_are_refused() {
        let d = folder(&[("config.json", CONFIG), ("encoder.onnx", "e")]);
        let e = model_files(d.path()).unwrap_err().to_string();
        assert!(
            e.contains("missing decoder.onnx, multilingual.tiktoken, token_embedding.safetensors"),
            "{e}"
        );
        let d = folder(&[("tiny.pt", "weights")]);
        let e = model_files(d.path()).unwrap_err().to_string();
        assert!(e.contains("has no config.json"), "{e}");
        let d = folder(&[("config.json", r#"{"model_type":"xtts"}"#)]);
        let e = model_files(d.path()).unwrap_err().to_string();
        assert!(e.contains("unknown model format"), "{e}");
    }

    #[test]
    fn the_xtts_layout_takes_its_speakers_file_when_there_is_one() {
        let xtts = r#"{"model":"xtts","max_audio_len":Infinity,"model_args":{}}"#;
        let mut files = vec![("config.json", xtts)];
        files.extend(XTTS_FILES[1..].iter().map(|f| (*f, "x")));
        let d = folder(&files);
        let mut want: Vec<&str> = XTTS_FILES.to_vec();
        want.sort();
        assert_eq!(model_files(d.path()).unwrap(), want);
        std::fs::write(d.path().join(XTTS_SPEAKERS), "s").unwrap();
        want.push(XTTS_SPEAKERS);
        want.sort();
        assert_eq!(model_files(d.path()).unwrap(), want);
        std::fs::write(d.path().join("model.pth"), "ckpt").unwrap();
        let e = model_files(d.path()).unwrap_err().to_string();
        assert!(e.contains("holds model.pth"), "{e}");
        std::fs::remove_file(d.path().join("hifigan.onnx")).unwrap();
        std::fs::remove_file(d.path().join("model.pth")).unwrap();
        let e = model_files(d.path()).unwrap_err().to_string();
        assert!(e.contains("missing hifigan.onnx"), "{e}");
    }
}
