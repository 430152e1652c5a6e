//! `GET /v1/models`: the chat model(s) this function forwards to, plus the speech models
//! the app serves, in the OpenAI list shape.

use sawt_api::{Env, Response};
use serde::Serialize;

use crate::config::{vars, AllowList, ChatConfig};

/// Speech-to-text id that OpenAI clients send by default; the transcribe function accepts it.
pub const WHISPER_ALIAS: &str = "whisper-1";

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct Model {
    pub id: String,
    pub object: &'static str,
    pub created: u64,
    pub owned_by: &'static str,
}

#[derive(Debug, Serialize)]
struct ModelList {
    object: &'static str,
    data: Vec<Model>,
}

fn model(id: impl Into<String>, owned_by: &'static str) -> Model {
    Model {
        id: id.into(),
        object: "model",
        // Unknown for proxied models; 0 keeps the field's type an integer as clients expect.
        created: 0,
        owned_by,
    }
}

/// The model list for this configuration.
pub fn list(config: &ChatConfig, env: &dyn Env) -> Vec<Model> {
    let mut data = vec![model(&config.model, "openrouter")];
    if let AllowList::Only(allowed) = &config.allowed_models {
        for m in allowed {
            if data.iter().all(|d| &d.id != m) {
                data.push(model(m, "openrouter"));
            }
        }
    }
    data.push(model(WHISPER_ALIAS, "sawt"));
    data.push(model(
        format!("whisper-{}", env.get_or(vars::WHISPER_MODEL, "tiny")),
        "sawt",
    ));
    if let Some(tts) = env.get(vars::TTS_MODEL) {
        data.push(model(tts, "sawt"));
    }
    data
}

pub fn response(config: &ChatConfig, env: &dyn Env) -> Response {
    Response::json(
        200,
        &ModelList {
            object: "list",
            data: list(config, env),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use sawt_api::MapEnv;

    #[test]
    fn lists_chat_and_speech_models() {
        let env = MapEnv::new().with("openrouter_allowed_models", "a/b, google/gemma-2-27b-it");
        let config = ChatConfig::from_env(&env).unwrap();
        let r = response(&config, &env);
        assert_eq!(r.status, 200);
        let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(v["object"], "list");
        let ids: Vec<&str> = v["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["id"].as_str().unwrap())
            .collect();
        assert_eq!(
            ids,
            ["google/gemma-2-27b-it", "a/b", "whisper-1", "whisper-tiny"]
        );
        assert_eq!(
            v["data"][0],
            serde_json::json!({"id":"google/gemma-2-27b-it","object":"model","created":0,"owned_by":"openrouter"})
        );

        let env = MapEnv::new()
            .with("whisper_model", "base")
            .with("tts_model", "xtts-v2");
        let ids: Vec<String> = list(&ChatConfig::from_env(&env).unwrap(), &env)
            .into_iter()
            .map(|m| m.id)
            .collect();
        assert_eq!(
            ids,
            [
                "google/gemma-2-27b-it",
                "whisper-1",
                "whisper-base",
                "xtts-v2"
            ]
        );
    }
}
