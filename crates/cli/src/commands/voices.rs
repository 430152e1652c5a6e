//! `sawt voices add|ls|rm`: the voices of a deployed app, through its `/v1/audio/voices` API.
//! With the admin token a voice is added even where clients may not clone
//! (`enable_voice_cloning = false`): how an operator gives a model without built-in speakers
//! its voices.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use clap::{Args, Subcommand};
use sawt_api::multipart::{encode, Field};
use serde_json::Value;

#[derive(Args, Debug)]
pub struct VoicesArgs {
    #[command(subcommand)]
    pub command: VoicesCommand,
}

#[derive(Subcommand, Debug)]
pub enum VoicesCommand {
    /// Clone a voice from a WAV clip (3-30 s of one speaker) and store it under NAME.
    Add {
        name: String,
        clip: PathBuf,
        #[command(flatten)]
        remote: VoiceRemote,
    },
    /// List the app's voices (built-in and cloned).
    Ls(VoiceRemote),
    /// Delete a cloned voice by its id.
    Rm {
        id: String,
        #[command(flatten)]
        remote: VoiceRemote,
    },
}

#[derive(Args, Debug, Clone)]
pub struct VoiceRemote {
    /// Base URL of the deployed app, e.g. http://127.0.0.1:3000
    #[arg(long)]
    pub url: String,
    /// The app's admin_token (or a client key from api_keys).
    #[arg(
        long,
        env = "SAWT_ADMIN_TOKEN",
        hide_env_values = true,
        default_value = ""
    )]
    pub token: String,
}

pub fn run(args: VoicesArgs) -> Result<()> {
    match args.command {
        VoicesCommand::Add { name, clip, remote } => {
            let v = add(&remote, &name, &clip)?;
            println!(
                "added {} ({})",
                v["name"].as_str().unwrap_or(""),
                v["id"].as_str().unwrap_or("")
            );
        }
        VoicesCommand::Ls(remote) => {
            let v = call(&remote, "GET", "", None)?;
            for voice in v["data"].as_array().into_iter().flatten() {
                println!(
                    "{}\t{}\t{}",
                    voice["id"].as_str().unwrap_or(""),
                    voice["name"].as_str().unwrap_or(""),
                    if voice["builtin"] == true {
                        "built-in"
                    } else {
                        "cloned"
                    }
                );
            }
        }
        VoicesCommand::Rm { id, remote } => {
            call(
                &remote,
                "DELETE",
                &format!("/{}", percent_encode(&id)),
                None,
            )?;
            println!("deleted {id}");
        }
    }
    Ok(())
}

/// Uploads `clip` as the voice `name`; the API's answer (the voice object).
pub fn add(remote: &VoiceRemote, name: &str, clip: &std::path::Path) -> Result<Value> {
    let bytes = std::fs::read(clip).with_context(|| format!("reading {}", clip.display()))?;
    let filename = clip
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("clip.wav");
    let form = encode(
        &[
            Field::Text("name", name),
            Field::File("file", filename, "audio/wav", &bytes),
        ],
        "sawt-voice-4c2b0c8d1f7e4b2a9d3e6f1a",
    );
    call(remote, "POST", "", Some(form))
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn call(
    remote: &VoiceRemote,
    method: &str,
    path: &str,
    form: Option<(String, Vec<u8>)>,
) -> Result<Value> {
    let base = remote.url.trim_end_matches('/');
    if !(base.starts_with("http://") || base.starts_with("https://")) {
        bail!(
            "--url must start with http:// or https://, got {:?}",
            remote.url
        );
    }
    let url = format!("{base}/v1/audio/voices{path}");
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(600)))
        .build()
        .into();
    let auth = format!("Bearer {}", remote.token);
    let result = match (method, form) {
        ("POST", Some((ct, body))) => agent
            .post(&url)
            .header("authorization", &auth)
            .header("content-type", &ct)
            .send(&body[..]),
        ("DELETE", _) => agent.delete(&url).header("authorization", &auth).call(),
        _ => agent.get(&url).header("authorization", &auth).call(),
    };
    let mut resp = result.map_err(|e| anyhow!("{method} {url}: {e}"))?;
    let status = resp.status().as_u16();
    let bytes = resp
        .body_mut()
        .read_to_vec()
        .map_err(|e| anyhow!("{method} {url}: reading the answer: {e}"))?;
    let v: Value = serde_json::from_slice(&bytes)
        .with_context(|| format!("{method} {url}: answer {status} is not JSON"))?;
    if !(200..300).contains(&status) {
        bail!(
            "{method} {url}: {status} {}",
            v["error"]["message"].as_str().unwrap_or("(no message)")
        );
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn add_sends_the_clip_and_name_as_a_form_with_the_token() {
        let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
        let addr = server.server_addr().to_ip().unwrap();
        let handle = std::thread::spawn(move || {
            let mut req = server.recv().unwrap();
            let mut body = Vec::new();
            req.as_reader().read_to_end(&mut body).unwrap();
            let header = |n: &'static str| {
                req.headers()
                    .iter()
                    .find(|h| h.field.equiv(n))
                    .map(|h| h.value.to_string())
                    .unwrap_or_default()
            };
            let (url, auth, ct) = (
                req.url().to_owned(),
                header("authorization"),
                header("content-type"),
            );
            let form = sawt_api::multipart::parse(&ct, &body, &Default::default()).unwrap();
            let seen = (
                url,
                auth,
                form.text("name").unwrap().to_owned(),
                form.part("file").unwrap().data.to_vec(),
            );
            req.respond(tiny_http::Response::from_string(
                r#"{"object":"audio.voice","id":"voice_1","name":"أميرة","builtin":false,"created_at":1}"#,
            ).with_status_code(201))
            .unwrap();
            seen
        });
        let dir = tempfile::tempdir().unwrap();
        let clip = dir.path().join("a.wav");
        std::fs::write(&clip, b"RIFF-clip-bytes").unwrap();
        let remote = VoiceRemote {
            url: format!("http://{addr}/"),
            token: "adm".into(),
        };
        let v = add(&remote, "أميرة", &clip).unwrap();
        assert_eq!(v["id"], "voice_1");
        let (url, auth, name, data) = handle.join().unwrap();
        assert_eq!(url, "/v1/audio/voices");
        assert_eq!(auth, "Bearer adm");
        assert_eq!(name, "أميرة");
        assert_eq!(data, b"RIFF-clip-bytes");
        assert_eq!(percent_encode("Studio amira"), "Studio%20amira");
    }
}
