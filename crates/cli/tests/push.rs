//! `sawt models push` end to end against the real admin handler on 127.0.0.1.

use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

use sawt_admin::handle_with;
use sawt_api::RequestHead;
use sawt_cli::commands::models::{push, PushArgs, Remote};
use sawt_store::{load_model, MemKv, StoreConfig, StoreError};

const TOKEN: &str = "push-test-token";

struct Server {
    url: String,
    kv: Arc<MemKv>,
    puts: Arc<AtomicUsize>,
    server: Arc<tiny_http::Server>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.server.unblock();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Hosts `sawt_admin::handle` over a `MemKv`, as the Spin component does over the host store.
fn serve(cfg: StoreConfig) -> Server {
    let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").unwrap());
    let port = server.server_addr().to_ip().unwrap().port();
    let kv = Arc::new(MemKv::new());
    let puts = Arc::new(AtomicUsize::new(0));
    let (s, k, p) = (server.clone(), kv.clone(), puts.clone());
    let thread = std::thread::spawn(move || {
        for mut req in s.incoming_requests() {
            let method = req.method().as_str().to_string();
            if method == "PUT" {
                p.fetch_add(1, Ordering::SeqCst);
            }
            let url = req.url().to_string();
            let headers: Vec<(String, String)> = req
                .headers()
                .iter()
                .map(|h| {
                    (
                        h.field.as_str().as_str().to_string(),
                        h.value.as_str().to_string(),
                    )
                })
                .collect();
            let mut body = Vec::new();
            let _ = req.as_reader().read_to_end(&mut body);
            let head = RequestHead::new(&method, &url, headers);
            let r = handle_with(&cfg, &head, &body, &*k, Some(TOKEN)).response;
            let mut response = tiny_http::Response::from_data(r.body).with_status_code(r.status);
            for (name, value) in &r.headers {
                if let Ok(h) = tiny_http::Header::from_bytes(name.as_bytes(), value.as_bytes()) {
                    response = response.with_header(h);
                }
            }
            let _ = req.respond(response);
        }
    });
    Server {
        url: format!("http://127.0.0.1:{port}"),
        kv,
        puts,
        server,
        thread: Some(thread),
    }
}

fn bytes(n: usize, seed: u32) -> Vec<u8> {
    (0..n as u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8 ^ seed as u8)
        .collect()
}

/// A model directory like the exporter's output.
fn model_dir(root: &Path, name: &str) -> Vec<(String, Vec<u8>)> {
    let dir = root.join(name);
    std::fs::create_dir_all(&dir).unwrap();
    let files = vec![
        ("encoder.onnx".to_string(), bytes(3_456_789, 1)),
        ("decoder.onnx".to_string(), bytes(5_000_000, 2)),
        ("tokenizer.tiktoken".to_string(), bytes(816_730, 3)),
        ("embedding.safetensors".to_string(), bytes(1_234_567, 4)),
        (
            "config.json".to_string(),
            br#"{"format":"sawt-whisper-onnx/2","tokenizer":"tokenizer.tiktoken","token_embedding":"embedding.safetensors","n_mels":80}"#
                .to_vec(),
        ),
    ];
    for (n, d) in &files {
        std::fs::write(dir.join(n), d).unwrap();
    }
    // Hidden files are not part of the model.
    std::fs::write(dir.join(".DS_Store"), b"x").unwrap();
    files
}

fn sawt(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_sawt"))
        .args(args)
        .env("SAWT_ADMIN_TOKEN", TOKEN)
        .output()
        .unwrap()
}

#[test]
fn push_publishes_a_directory_that_loads_back_byte_for_byte() {
    let srv = serve(StoreConfig::default());
    let tmp = tempfile::tempdir().unwrap();
    let files = model_dir(tmp.path(), "whisper-tiny");
    let dir = tmp.path().join("whisper-tiny");

    let out = sawt(&["models", "push", dir.to_str().unwrap(), "--url", &srv.url]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("pushed whisper-tiny version"), "{stderr}");
    // 4 + 5 + 1 + 2 + 1 = 13 chunks, manifest, pointer.
    assert_eq!(srv.kv.len(), 15);
    // One part of at most 4,000,000 bytes for each file.
    assert_eq!(srv.puts.load(Ordering::SeqCst), 6);

    let loaded = load_model(&*srv.kv, "whisper-tiny").unwrap();
    assert_eq!(loaded.files.len(), files.len());
    for (name, data) in &files {
        assert_eq!(&loaded.files[name], data, "{name}");
    }

    let out = sawt(&["models", "ls", "--url", &srv.url]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    let row = stdout
        .lines()
        .find(|l| l.starts_with("whisper-tiny "))
        .unwrap_or("");
    let cols: Vec<&str> = row.split_whitespace().collect();
    let bytes: usize = files.iter().map(|(_, d)| d.len()).sum();
    assert_eq!(
        cols,
        [
            "whisper-tiny",
            &loaded.manifest.version,
            "5",
            &bytes.to_string(),
            "15"
        ],
        "{stdout}"
    );
    assert!(stdout.contains("keys used: 15 of 1000 budget"), "{stdout}");

    // Pushing the same content again sends nothing.
    let out = sawt(&[
        "models",
        "push",
        dir.to_str().unwrap(),
        "--url",
        &srv.url,
        "--name",
        "whisper-tiny",
    ]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("already at version"));
    assert_eq!(srv.puts.load(Ordering::SeqCst), 6);

    let out = sawt(&["models", "rm", "whisper-tiny", "--url", &srv.url]);
    assert!(out.status.success());
    assert!(srv.kv.is_empty());
}

#[test]
fn an_interrupted_push_is_not_served_and_resumes() {
    let srv = serve(StoreConfig {
        max_part_size: 2_000_000,
        ..StoreConfig::default()
    });
    let tmp = tempfile::tempdir().unwrap();
    let files = model_dir(tmp.path(), "m");
    let total: u64 = files.iter().map(|(_, d)| d.len() as u64).sum();
    let args = PushArgs {
        dir: tmp.path().join("m"),
        name: None,
        metadata: None,
        remote: Remote {
            url: srv.url.clone(),
            token: TOKEN.into(),
            retries: 0,
        },
    };
    // The store dies after 5 chunk writes (+ the declaration).
    srv.kv.fail_sets_after(6);
    let err = push(&args).unwrap_err();
    assert!(format!("{err:#}").contains("503"), "{err:#}");
    assert!(matches!(
        load_model(&*srv.kv, "m"),
        Err(StoreError::NotFound { .. })
    ));

    srv.kv.clear_faults();
    let report = push(&args).unwrap();
    assert!(report.uploaded);
    assert!(
        report.bytes_sent < total,
        "resumed: sent {} of {total}",
        report.bytes_sent
    );
    assert!(report.bytes_sent >= total - 5_000_000);
    let loaded = load_model(&*srv.kv, "m").unwrap();
    assert_eq!(loaded.manifest.version, report.version);
    for (name, data) in &files {
        assert_eq!(&loaded.files[name], data, "{name}");
    }
}

#[test]
fn a_wrong_token_fails_with_401_and_writes_nothing() {
    let srv = serve(StoreConfig::default());
    let tmp = tempfile::tempdir().unwrap();
    model_dir(tmp.path(), "m");
    let dir = tmp.path().join("m");
    let out = sawt(&[
        "models",
        "push",
        dir.to_str().unwrap(),
        "--url",
        &srv.url,
        "--token",
        "nope",
    ]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("HTTP 401 invalid_admin_token"), "{stderr}");
    assert!(!stderr.contains(TOKEN));
    assert!(srv.kv.is_empty());
}

#[test]
fn the_fixture_whisper_model_round_trips() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/whisper/model");
    // A missing fixture is a failure, never a skip.
    assert!(
        dir.join("config.json").is_file(),
        "{} is missing: regenerate it with scripts/make_fixtures.py",
        dir.display()
    );
    let srv = serve(StoreConfig::default());
    let report = push(&PushArgs {
        dir: dir.clone(),
        name: Some("whisper-fixture".into()),
        metadata: None,
        remote: Remote {
            url: srv.url.clone(),
            token: TOKEN.into(),
            retries: 0,
        },
    })
    .unwrap();
    let loaded = load_model(&*srv.kv, "whisper-fixture").unwrap();
    assert_eq!(loaded.manifest.version, report.version);
    let mut names = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        assert_eq!(loaded.files[&name], std::fs::read(&path).unwrap(), "{name}");
        names.push(name);
    }
    assert_eq!(loaded.files.len(), names.len());
    // One key per started MB of each file, plus the manifest and the pointer.
    let chunks: usize = loaded
        .manifest
        .files
        .iter()
        .map(|f| f.chunks as usize)
        .sum();
    assert_eq!(srv.kv.len(), chunks + 2);
}
