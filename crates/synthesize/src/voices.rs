//! Voices: what synthesis needs of a speaker (the GPT conditioning latents and the speaker
//! embedding), computed once from a clip and kept in the key-value store, so a speech request
//! reads ~130 KB instead of processing a reference clip.
//!
//! Built-in voices come from the model's `speakers.safetensors` (XTTS v2 ships named studio
//! speakers; `NAME.gpt_cond_latent`, `NAME.speaker_embedding`). Cloned voices are two keys
//! each: `vd/<model>/<id>` (the tensors) written first, then `vm/<model>/<id>` (name, time,
//! the cloning graphs' digest) which publishes it; deleting removes the second first. A voice
//! is therefore listed only once whole, and an interrupted write is never served.

use base64::Engine;
use sawt_store::{Kv, KvError};
use sawt_xtts::weights::Weights;
use sawt_xtts::Voice;
use serde::{Deserialize, Serialize};

/// Cloned voice ids: `voice_` and 16 hex digits (OpenAI's custom voice ids look alike).
pub const ID_PREFIX: &str = "voice_";
/// Cloned voices per model (each is two keys; Fermyon Cloud allows 1,024 keys per store).
pub const MAX_VOICES: usize = 100;
pub const MAX_NAME_CHARS: usize = 64;
/// The built-in voices' file in the model's layout.
pub const SPEAKERS_FILE: &str = "speakers.safetensors";

fn meta_key(model: &str, id: &str) -> String {
    format!("vm/{model}/{id}")
}

fn data_key(model: &str, id: &str) -> String {
    format!("vd/{model}/{id}")
}

/// A voice as the API lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoiceInfo {
    pub id: String,
    pub name: String,
    /// From the model's speakers file (cannot be deleted through the API).
    pub builtin: bool,
    /// Unix seconds; 0 for built-in voices.
    pub created_at: u64,
}

/// The published half of a cloned voice.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Meta {
    name: String,
    created_at: u64,
    /// sha256 of the cloning graphs it was made with (see [`cloner_digest`]).
    cloner: String,
}

#[derive(Serialize, Deserialize)]
struct Data {
    /// Base64 of little-endian f32.
    cond_latents: String,
    speaker_embedding: String,
}

fn b64(v: &[f32]) -> String {
    let bytes: Vec<u8> = v.iter().flat_map(|f| f.to_le_bytes()).collect();
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn unb64(s: &str) -> Option<Vec<f32>> {
    let bytes = base64::engine::general_purpose::STANDARD.decode(s).ok()?;
    if bytes.len() % 4 != 0 {
        return None;
    }
    Some(
        bytes
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect(),
    )
}

/// What a stored voice depends on: the digests of the two cloning graphs (a voice made with
/// other graphs would steer the GPT wrongly; quantizing the GPT does not change them).
pub fn cloner_digest(conditioning_sha256: &str, speaker_encoder_sha256: &str) -> String {
    sawt_store::sha256_hex(format!("{conditioning_sha256}:{speaker_encoder_sha256}").as_bytes())
}

/// A new voice's id: from the model, the name and the clip, so sending the same clip and name
/// twice names the same voice.
pub fn new_id(model: &str, name: &str, clip: &[u8]) -> String {
    let mut data = Vec::with_capacity(model.len() + name.len() + clip.len() + 2);
    data.extend_from_slice(model.as_bytes());
    data.push(0);
    data.extend_from_slice(name.as_bytes());
    data.push(0);
    data.extend_from_slice(clip);
    format!("{ID_PREFIX}{}", &sawt_store::sha256_hex(&data)[..16])
}

/// A voice name as given, checked: 1–64 characters, no control characters.
pub fn check_name(name: &str) -> Result<String, String> {
    let name = name.trim();
    let n = name.chars().count();
    if n == 0 || n > MAX_NAME_CHARS {
        return Err(format!("a voice name has 1 to {MAX_NAME_CHARS} characters"));
    }
    if name.chars().any(char::is_control) {
        return Err("a voice name has no control characters".into());
    }
    if name.starts_with(ID_PREFIX) {
        return Err(format!("a voice name must not start with `{ID_PREFIX}`"));
    }
    Ok(name.to_owned())
}

/// The cloned voices of `model`, oldest first.
pub fn list_cloned(kv: &dyn Kv, model: &str) -> Result<Vec<VoiceInfo>, KvError> {
    let prefix = meta_key(model, "");
    let mut out = Vec::new();
    for key in kv.list_keys()? {
        let Some(id) = key.strip_prefix(&prefix) else {
            continue;
        };
        // A meta value that does not parse is skipped: listing must not fail for one bad key.
        if let Some(meta) = kv
            .get(&key)?
            .and_then(|v| serde_json::from_slice::<Meta>(&v).ok())
        {
            out.push(VoiceInfo {
                id: id.to_owned(),
                name: meta.name,
                builtin: false,
                created_at: meta.created_at,
            });
        }
    }
    out.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
    Ok(out)
}

/// A stored voice, or why it cannot be used.
#[derive(Debug)]
pub enum Stored {
    Found(VoiceInfo, Voice),
    /// Listed but its tensors are missing or unreadable.
    Damaged,
    /// Made with other cloning graphs than the model's.
    Outdated(VoiceInfo),
    Absent,
}

/// The cloned voice `id` of `model`; `cloner`: the current model's [`cloner_digest`].
pub fn load_cloned(kv: &dyn Kv, model: &str, id: &str, cloner: &str) -> Result<Stored, KvError> {
    let Some(meta) = kv.get(&meta_key(model, id))? else {
        return Ok(Stored::Absent);
    };
    let Ok(meta) = serde_json::from_slice::<Meta>(&meta) else {
        return Ok(Stored::Damaged);
    };
    let info = VoiceInfo {
        id: id.to_owned(),
        name: meta.name,
        builtin: false,
        created_at: meta.created_at,
    };
    if meta.cloner != cloner {
        return Ok(Stored::Outdated(info));
    }
    let data = kv
        .get(&data_key(model, id))?
        .and_then(|v| serde_json::from_slice::<Data>(&v).ok())
        .and_then(|d| {
            Some(Voice {
                cond_latents: unb64(&d.cond_latents)?,
                speaker_embedding: unb64(&d.speaker_embedding)?,
            })
        });
    Ok(match data {
        Some(voice) => Stored::Found(info, voice),
        None => Stored::Damaged,
    })
}

/// Stores a cloned voice: its tensors first, then the key that lists it.
pub fn save(
    kv: &dyn Kv,
    model: &str,
    info: &VoiceInfo,
    voice: &Voice,
    cloner: &str,
) -> Result<(), KvError> {
    let data = serde_json::to_vec(&Data {
        cond_latents: b64(&voice.cond_latents),
        speaker_embedding: b64(&voice.speaker_embedding),
    })
    .map_err(|e| KvError::Other(e.to_string()))?;
    let meta = serde_json::to_vec(&Meta {
        name: info.name.clone(),
        created_at: info.created_at,
        cloner: cloner.to_owned(),
    })
    .map_err(|e| KvError::Other(e.to_string()))?;
    kv.set(&data_key(model, &info.id), &data)?;
    if let Err(e) = kv.set(&meta_key(model, &info.id), &meta) {
        // Unlisted tensors are never read; remove them if the store lets us.
        let _ = kv.delete(&data_key(model, &info.id));
        return Err(e);
    }
    Ok(())
}

/// Deletes a cloned voice; `false` if there was none.
pub fn delete(kv: &dyn Kv, model: &str, id: &str) -> Result<bool, KvError> {
    let meta = meta_key(model, id);
    let existed = kv.exists(&meta)?;
    kv.delete(&meta)?;
    kv.delete(&data_key(model, id))?;
    Ok(existed)
}

/// The built-in voices of a model's speakers file, sorted by name.
pub fn builtin(speakers: &[u8]) -> Result<Vec<(String, Voice)>, String> {
    let weights = Weights::from_bytes(speakers.to_vec()).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    for name in weights.names() {
        let Some(speaker) = name.strip_suffix(".gpt_cond_latent") else {
            continue;
        };
        let cond = weights.get_any(name).map_err(|e| e.to_string())?.0.to_vec();
        let emb = weights
            .get_any(&format!("{speaker}.speaker_embedding"))
            .map_err(|e| e.to_string())?
            .0
            .to_vec();
        out.push((
            speaker.to_owned(),
            Voice {
                cond_latents: cond,
                speaker_embedding: emb,
            },
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sawt_store::MemKv;

    fn voice(x: f32) -> Voice {
        Voice {
            cond_latents: vec![x, -x, 0.5],
            speaker_embedding: vec![x; 2],
        }
    }

    fn info(id: &str, name: &str, t: u64) -> VoiceInfo {
        VoiceInfo {
            id: id.into(),
            name: name.into(),
            builtin: false,
            created_at: t,
        }
    }

    #[test]
    fn save_list_load_delete() {
        let kv = MemKv::new();
        save(&kv, "m", &info("voice_b", "بسمة", 2), &voice(1.5), "c1").unwrap();
        save(&kv, "m", &info("voice_a", "amira", 1), &voice(0.25), "c1").unwrap();
        save(&kv, "other", &info("voice_c", "x", 0), &voice(0.0), "c1").unwrap();
        let listed = list_cloned(&kv, "m").unwrap();
        assert_eq!(
            listed,
            [info("voice_a", "amira", 1), info("voice_b", "بسمة", 2)]
        );
        match load_cloned(&kv, "m", "voice_b", "c1").unwrap() {
            Stored::Found(i, v) => {
                assert_eq!(i.name, "بسمة");
                assert_eq!(v, voice(1.5));
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            load_cloned(&kv, "m", "voice_b", "c2").unwrap(),
            Stored::Outdated(_)
        ));
        assert!(matches!(
            load_cloned(&kv, "m", "voice_zz", "c1").unwrap(),
            Stored::Absent
        ));
        assert!(delete(&kv, "m", "voice_b").unwrap());
        assert!(!delete(&kv, "m", "voice_b").unwrap());
        assert_eq!(list_cloned(&kv, "m").unwrap().len(), 1);
        assert_eq!(kv.len(), 4, "the other model's voice and voice_a remain");
    }

    #[test]
    fn a_failed_publish_leaves_nothing_listed_or_stored() {
        let kv = MemKv::new();
        kv.fail_sets_after(1);
        assert!(save(&kv, "m", &info("voice_a", "a", 1), &voice(1.0), "c").is_err());
        kv.clear_faults();
        assert!(list_cloned(&kv, "m").unwrap().is_empty());
        assert!(kv.is_empty(), "the tensors written first were removed");
    }

    #[test]
    fn damaged_tensors_are_reported() {
        let kv = MemKv::new();
        save(&kv, "m", &info("voice_a", "a", 1), &voice(1.0), "c").unwrap();
        kv.put_raw("vd/m/voice_a", b"{\"cond_latents\":\"!!\"}".to_vec());
        assert!(matches!(
            load_cloned(&kv, "m", "voice_a", "c").unwrap(),
            Stored::Damaged
        ));
    }

    #[test]
    fn names_and_ids() {
        assert_eq!(check_name("  أميرة ").unwrap(), "أميرة");
        assert!(check_name("").is_err());
        assert!(check_name("a\nb").is_err());
        assert!(check_name(&"x".repeat(65)).is_err());
        assert!(check_name("voice_1").is_err());
        let id = new_id("m", "a", b"clip");
        assert_eq!(id, new_id("m", "a", b"clip"));
        assert_ne!(id, new_id("m", "b", b"clip"));
        assert!(id.starts_with(ID_PREFIX) && id.len() == ID_PREFIX.len() + 16);
    }
}
