//! A small blocking client for the admin API (`crates/store/ADMIN_API.md`).

use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use sawt_store::{FileStatus, Manifest, UploadSpec, UploadStatus};
use serde::de::DeserializeOwned;
use serde::Deserialize;

pub struct AdminClient {
    /// `<app>/admin/models`
    base: String,
    token: String,
    agent: ureq::Agent,
    retries: u32,
    backoff: Duration,
}

/// A non-2xx answer, decoded from the OpenAI error envelope when possible.
#[derive(Debug)]
pub struct HttpError {
    pub status: u16,
    pub code: Option<String>,
    pub message: String,
}

impl std::fmt::Display for HttpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.code {
            Some(c) => write!(f, "HTTP {} {c}: {}", self.status, self.message),
            None => write!(f, "HTTP {}: {}", self.status, self.message),
        }
    }
}

impl std::error::Error for HttpError {}

#[derive(Deserialize)]
struct Envelope {
    error: EnvelopeBody,
}

#[derive(Deserialize)]
struct EnvelopeBody {
    message: String,
    code: Option<String>,
}

/// Answer to begin.
#[derive(Debug, Deserialize)]
pub struct BeginAnswer {
    pub status: String,
    pub upload: Option<UploadStatus>,
    pub manifest: Option<Manifest>,
}

#[derive(Debug, Deserialize)]
pub struct CommitAnswer {
    pub manifest: Manifest,
    pub keys_deleted: usize,
    pub cleanup_error: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct ModelEntry {
    pub name: String,
    pub current: Option<Manifest>,
    pub error: Option<String>,
    pub keys: usize,
    pub uploads: Vec<String>,
}

#[derive(Debug, Deserialize)]
pub struct ModelList {
    pub keys_total: usize,
    pub key_budget: usize,
    pub data: Vec<ModelEntry>,
}

enum Body<'a> {
    None,
    Json(Vec<u8>),
    Bytes(&'a [u8]),
}

impl AdminClient {
    /// `app_url` is the app's base URL (`https://x.example`); a trailing `/admin` is fine.
    pub fn new(app_url: &str, token: &str) -> Result<Self> {
        let app = app_url.trim_end_matches('/');
        let app = app.strip_suffix("/admin").unwrap_or(app);
        if !(app.starts_with("http://") || app.starts_with("https://")) {
            bail!("--url must start with http:// or https://, got {app_url:?}");
        }
        if token.is_empty() {
            bail!("an admin token is required: --token or SAWT_ADMIN_TOKEN");
        }
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(120)))
            .build()
            .into();
        Ok(Self {
            base: format!("{app}/admin/models"),
            token: token.to_string(),
            agent,
            retries: 4,
            backoff: Duration::from_millis(500),
        })
    }

    /// Attempts after the first for transient failures (transport errors, 502/503/504).
    pub fn with_retries(mut self, retries: u32, backoff: Duration) -> Self {
        self.retries = retries;
        self.backoff = backoff;
        self
    }

    fn request<T: DeserializeOwned>(&self, method: &str, path: &str, body: Body<'_>) -> Result<T> {
        let url = format!("{}{path}", self.base);
        let mut attempt = 0;
        loop {
            match self.once(method, &url, &body) {
                Ok(v) => {
                    return serde_json::from_slice(&v)
                        .with_context(|| format!("unexpected answer from {method} {url}"))
                }
                Err(e) => {
                    let transient = match e.downcast_ref::<HttpError>() {
                        Some(h) => matches!(h.status, 502..=504),
                        None => true,
                    };
                    if !transient || attempt >= self.retries {
                        return Err(e.context(format!("{method} {url}")));
                    }
                    std::thread::sleep(self.backoff * 2u32.saturating_pow(attempt));
                    attempt += 1;
                }
            }
        }
    }

    fn once(&self, method: &str, url: &str, body: &Body<'_>) -> Result<Vec<u8>> {
        let auth = format!("Bearer {}", self.token);
        let result = match (method, body) {
            ("GET", _) => self.agent.get(url).header("authorization", &auth).call(),
            ("DELETE", _) => self.agent.delete(url).header("authorization", &auth).call(),
            ("POST", Body::None) => self
                .agent
                .post(url)
                .header("authorization", &auth)
                .send_empty(),
            ("POST", Body::Json(b)) => self
                .agent
                .post(url)
                .header("authorization", &auth)
                .header("content-type", "application/json")
                .send(&b[..]),
            ("PUT", Body::Bytes(b)) => self
                .agent
                .put(url)
                .header("authorization", &auth)
                .header("content-type", "application/octet-stream")
                .send(*b),
            _ => bail!("unsupported request {method}"),
        };
        let mut resp = result.map_err(|e| anyhow!("request failed: {e}"))?;
        let status = resp.status().as_u16();
        let bytes = resp
            .body_mut()
            .read_to_vec()
            .map_err(|e| anyhow!("reading the answer failed: {e}"))?;
        if (200..300).contains(&status) {
            return Ok(bytes);
        }
        let err = match serde_json::from_slice::<Envelope>(&bytes) {
            Ok(env) => HttpError {
                status,
                code: env.error.code,
                message: env.error.message,
            },
            Err(_) => HttpError {
                status,
                code: None,
                message: String::from_utf8_lossy(&bytes).chars().take(300).collect(),
            },
        };
        Err(err.into())
    }

    pub fn list(&self) -> Result<ModelList> {
        self.request("GET", "", Body::None)
    }

    pub fn begin(&self, model: &str, spec: &UploadSpec) -> Result<BeginAnswer> {
        self.request(
            "POST",
            &format!("/{model}/uploads"),
            Body::Json(serde_json::to_vec(spec)?),
        )
    }

    pub fn status(&self, model: &str, id: &str) -> Result<UploadStatus> {
        self.request("GET", &format!("/{model}/uploads/{id}"), Body::None)
    }

    pub fn put_part(
        &self,
        model: &str,
        id: &str,
        file: &str,
        offset: u64,
        data: &[u8],
    ) -> Result<FileStatus> {
        self.request(
            "PUT",
            &format!("/{model}/uploads/{id}/files/{file}?offset={offset}"),
            Body::Bytes(data),
        )
    }

    pub fn commit(&self, model: &str, id: &str) -> Result<CommitAnswer> {
        self.request("POST", &format!("/{model}/uploads/{id}/commit"), Body::None)
    }

    pub fn delete(&self, model: &str) -> Result<serde_json::Value> {
        self.request("DELETE", &format!("/{model}"), Body::None)
    }
}
