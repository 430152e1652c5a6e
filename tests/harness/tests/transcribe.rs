//! The transcribe and admin components end to end, as Spin runs them: the root `spin.toml`,
//! the built `sawt_transcribe_fn.wasm` and `sawt_admin_fn.wasm`, one key-value store.
//! Build first: `cargo build --target wasm32-wasip1 --release -p sawt-transcribe-fn -p sawt-admin-fn`.
//!
//! The fixture model goes in the way an operator's does: `sawt models push` (the CLI's own
//! code) over HTTP to the admin component. The expected bytes are never written here: they are
//! what the native handler (`sawt_transcribe::handle`, the same core the component wraps)
//! answers for the same request, with the variables the component sees and a copy of the very
//! store the admin component wrote. Every test ends with `assert_clean`: no trap, no
//! outbound request.

mod common;

use common::error_of;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::OnceLock;

use bytes::Bytes;
use sawt_api::MapEnv;
use sawt_cli::commands::models::PushReport;
use sawt_store::{Kv, MemKv};
use serde_json::Value;
use spin_harness::{Harness, HarnessOptions, HarnessResponse};

const ADMIN_TOKEN: &str = "harness-admin-token";
/// The store name for the default `whisper_model = "tiny"`.
const MODEL: &str = "whisper-tiny";
const SPEECH: &str = "speech_16k_s16_mono.wav";
const TRANSCRIPTIONS: &str = "/v1/audio/transcriptions";
const TRANSLATIONS: &str = "/v1/audio/translations";

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn fixtures() -> PathBuf {
    repo().join("tests/fixtures/whisper")
}

fn audio(name: &str) -> Vec<u8> {
    std::fs::read(fixtures().join("audio").join(name)).unwrap()
}

/// The app as `spin up --variable admin_token=... [--variable k=v]...` would run it. The chat
/// component's required key gets a dummy: these tests never call chat.
fn app(extra: &[(&str, &str)]) -> Harness {
    let mut options = HarnessOptions::new()
        .without_env()
        .variable("openrouter_api_key", "unused-in-these-tests")
        .variable("admin_token", ADMIN_TOKEN);
    for (k, v) in extra {
        options = options.variable(*k, *v);
    }
    Harness::from_manifest(repo().join("spin.toml"), options).unwrap_or_else(|e| panic!("{e}"))
}

/// `sawt models push tests/fixtures/whisper/model --name whisper-tiny` against the app's
/// loopback listener, through the admin component.
async fn push_fixture_model(app: &Harness) -> PushReport {
    let addr = app.serve("127.0.0.1:0").await.unwrap();
    common::push_through_admin(addr, fixtures().join("model"), MODEL, ADMIN_TOKEN).await
}

use sawt_api::multipart::Field;

/// A multipart form as the openai SDK's transport (httpx) encodes it.
fn form(fields: &[Field]) -> (String, Vec<u8>) {
    sawt_api::multipart::encode(fields, "9f1c2e3d4b5a69788796a5b4c3d2e1f0")
}

/// An audio request: `file` plus `model=whisper-1` plus `fields`.
fn audio_form(wav: &[u8], fields: &[(&str, &str)]) -> (String, Vec<u8>) {
    let mut all = vec![
        Field::File("file", "audio.wav", "audio/wav", wav),
        Field::Text("model", "whisper-1"),
    ];
    all.extend(fields.iter().map(|(k, v)| Field::Text(k, v)));
    form(&all)
}

/// `GET path` on the admin routes with `Authorization: Bearer token`.
async fn admin_get(app: &Harness, path: &str, token: &str) -> HarnessResponse {
    let request = http::Request::get(path)
        .header("host", "localhost")
        .header("authorization", format!("Bearer {token}"))
        .body(Bytes::new())
        .unwrap();
    app.handle(request)
        .await
        .unwrap_or_else(|e| panic!("GET {path}: {e}"))
}

struct Sent {
    content_type: String,
    body: Vec<u8>,
    authorization: Option<String>,
}

async fn send(app: &Harness, path: &str, sent: &Sent) -> HarnessResponse {
    let mut request = http::Request::post(path)
        .header("host", "localhost")
        .header("content-type", &sent.content_type)
        .header("content-length", sent.body.len());
    if let Some(auth) = &sent.authorization {
        request = request.header("authorization", auth);
    }
    let request = request.body(Bytes::from(sent.body.clone())).unwrap();
    app.handle(request)
        .await
        .unwrap_or_else(|e| panic!("POST {path}: {e}"))
}

/// The native path: the same core with the variables the component sees, over a copy of
/// the app's store (the bytes the admin component wrote).
fn native(app: &Harness, path: &str, sent: &Sent) -> sawt_api::Response {
    let mut env = MapEnv::new();
    for (k, v) in app.component_variables("transcribe").unwrap() {
        env = env.with(&k, &v);
    }
    let kv = MemKv::new();
    if let Some(store) = app.kv("default") {
        for key in store.keys() {
            kv.set(&key, &store.get(&key).unwrap()).unwrap();
        }
    }
    let mut headers = vec![
        ("content-type".to_owned(), sent.content_type.clone()),
        ("content-length".to_owned(), sent.body.len().to_string()),
    ];
    if let Some(auth) = &sent.authorization {
        headers.push(("authorization".to_owned(), auth.clone()));
    }
    sawt_transcribe::handle(
        &sawt_transcribe::Request {
            method: "POST",
            path,
            headers: &headers,
            body: &sent.body,
        },
        &env,
        &kv,
    )
    .response
}

/// The wasm answer must equal the native one: status, content type and every byte.
async fn assert_same_as_native(app: &Harness, path: &str, sent: Sent) -> HarnessResponse {
    let wasm = send(app, path, &sent).await;
    let app2 = app.clone();
    let path2 = path.to_owned();
    let expected = tokio::task::spawn_blocking(move || native(&app2, &path2, &sent))
        .await
        .unwrap();
    assert_eq!(wasm.status.as_u16(), expected.status, "{}", wasm.text());
    let content_type = expected
        .headers
        .iter()
        .find(|(k, _)| k == "content-type")
        .map(|(_, v)| v.as_str());
    assert_eq!(wasm.header("content-type"), content_type);
    let is_json = content_type.is_some_and(|c| c.starts_with("application/json"));
    if is_json && wasm.status == 200 {
        let a: Value = serde_json::from_slice(&wasm.body).unwrap();
        let b: Value = serde_json::from_slice(&expected.body).unwrap();
        if let Some(at) = first_json_difference("$", &a, &b) {
            panic!("{path}: the wasm answer differs from the native one at {at}");
        }
    } else if wasm.body.as_ref() != expected.body.as_slice() {
        let (a, b) = (wasm.body.as_ref(), expected.body.as_slice());
        let at = a
            .iter()
            .zip(b)
            .position(|(x, y)| x != y)
            .unwrap_or(a.len().min(b.len()));
        let window = |s: &[u8]| {
            String::from_utf8_lossy(&s[at.saturating_sub(60).min(s.len())..(at + 60).min(s.len())])
                .into_owned()
        };
        panic!(
            "{path}: the wasm body differs from the native one at byte {at} (lengths {} and {})\n  wasm: {:?}\nnative: {:?}",
            a.len(),
            b.len(),
            window(a),
            window(b)
        );
    }
    wasm
}

/// Scores computed from the logits: native and wasm kernels sum in different orders, so these
/// agree to ~1e-6, not bit for bit. Everything else (text, tokens, times, the temperature a
/// window was accepted at) must be identical.
const SCORES: [&str; 3] = ["avg_logprob", "compression_ratio", "no_speech_prob"];

/// The JSON path of the first difference between `a` (wasm) and `b` (native), with both values.
fn first_json_difference(at: &str, a: &Value, b: &Value) -> Option<String> {
    let differ = || Some(format!("{at}: wasm {a} vs native {b}"));
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            if x.keys().ne(y.keys()) {
                return differ();
            }
            x.iter().find_map(|(k, v)| {
                let here = format!("{at}.{k}");
                match (SCORES.contains(&k.as_str()), v.as_f64(), y[k].as_f64()) {
                    (true, Some(p), Some(q)) => ((p - q).abs() > 1e-4 * q.abs().max(1.0))
                        .then(|| format!("{here}: wasm {p} vs native {q}")),
                    _ => first_json_difference(&here, v, &y[k]),
                }
            })
        }
        (Value::Array(x), Value::Array(y)) => {
            if x.len() != y.len() {
                return differ();
            }
            x.iter()
                .zip(y)
                .enumerate()
                .find_map(|(i, (v, w))| first_json_difference(&format!("{at}[{i}]"), v, w))
        }
        _ => (a != b).then(differ).flatten(),
    }
}

fn sent(body: (String, Vec<u8>)) -> Sent {
    Sent {
        content_type: body.0,
        body: body.1,
        authorization: None,
    }
}

/// The model pushed once per process; every test that needs it gets its own app (own store)
/// seeded with a copy of what the admin component wrote, so tests stay independent.
fn pushed_store() -> &'static BTreeMap<String, Vec<u8>> {
    static STORE: OnceLock<BTreeMap<String, Vec<u8>>> = OnceLock::new();
    STORE.get_or_init(|| {
        // Its own thread and runtime: the callers are already inside a test's runtime.
        std::thread::spawn(|| {
            let rt = tokio::runtime::Runtime::new().unwrap();
            rt.block_on(async {
                let app = app(&[]);
                let report = push_fixture_model(&app).await;
                assert!(report.uploaded);
                app.assert_clean();
                let store = app.kv("default").unwrap();
                store
                    .keys()
                    .into_iter()
                    .map(|k| {
                        let v = store.get(&k).unwrap();
                        (k, v)
                    })
                    .collect()
            })
        })
        .join()
        .expect("pushing the fixture model failed")
    })
}

fn app_with_model(extra: &[(&str, &str)]) -> Harness {
    let stored = pushed_store();
    let app = app(extra);
    let store = app.kv("default").unwrap();
    for (k, v) in stored {
        store.set(k, v).unwrap();
    }
    app
}

#[tokio::test(flavor = "multi_thread")]
async fn pushed_model_is_listed_and_verified_by_the_admin_component() {
    let app = app(&[]);
    let report = push_fixture_model(&app).await;
    assert!(report.uploaded);
    assert_eq!(report.model, MODEL);
    let files: u64 = std::fs::read_dir(fixtures().join("model"))
        .unwrap()
        .map(|e| e.unwrap().metadata().unwrap().len())
        .sum();
    assert_eq!(report.bytes_sent, files);

    let r = admin_get(
        &app,
        &format!("/admin/models/{MODEL}?verify=true"),
        ADMIN_TOKEN,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let v: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(v["verified"], true);
    assert_eq!(v["current"]["version"], report.version.as_str());

    // Pushing the same content again sends nothing.
    let again = push_fixture_model(&app).await;
    assert!(!again.uploaded);
    assert_eq!(again.bytes_sent, 0);
    app.assert_clean();
    assert!(app.outbound_attempts().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn every_response_format_matches_the_native_core() {
    let app = app_with_model(&[]);
    let wav = audio(SPEECH);
    for format in ["json", "text", "srt", "vtt", "verbose_json"] {
        let r = assert_same_as_native(
            &app,
            TRANSCRIPTIONS,
            sent(audio_form(&wav, &[("response_format", format)])),
        )
        .await;
        assert_eq!(r.status, 200, "{format}: {}", r.text());
        assert!(!r.body.is_empty(), "{format}: empty body");
        common::report(&format!("transcribe {format}"), "transcribe", &r);
        // A fresh instance per request: each one reads and builds the model again.
        assert!(r.output.contains("kv read"), "{}", r.output);
        if format == "verbose_json" {
            let v: Value = serde_json::from_slice(&r.body).unwrap();
            assert_eq!(v["task"], "transcribe");
            assert_eq!(v["language"], "arabic");
            assert!(v["segments"].as_array().is_some_and(|s| !s.is_empty()));
        }
    }
    app.assert_clean();
    assert!(app.outbound_attempts().is_empty());
}

/// Golden end to end through the wasm component: the reference's own transcript (openai-whisper,
/// saved in the fixture index) for a request without `temperature` and with `temperature=0`,
/// in every response format (sawt_whisper::parity::check_api_answer).
#[tokio::test(flavor = "multi_thread")]
async fn golden_transcripts_equal_openai_whisper() {
    let index: Value =
        serde_json::from_slice(&std::fs::read(fixtures().join("reference/index.json")).unwrap())
            .unwrap();
    let cases = sawt_whisper::parity::golden_cases(&index).unwrap_or_else(|e| panic!("{e}"));
    let app = app_with_model(&[]);
    for case in &cases {
        let label = sawt_whisper::parity::case_label(case);
        let wav = audio(case["audio"].as_str().unwrap());
        for format in sawt_whisper::parity::GOLDEN_FORMATS {
            let mut fields = vec![("response_format", format)];
            if case["schedule"] == "greedy" {
                fields.push(("temperature", "0"));
            }
            let r = send(&app, TRANSCRIPTIONS, &sent(audio_form(&wav, &fields))).await;
            assert_eq!(r.status, 200, "{label} {format}: {}", r.text());
            sawt_whisper::parity::check_api_answer(case, format, &r.body)
                .unwrap_or_else(|e| panic!("{e}"));
        }
        eprintln!("{label}: every format equals openai-whisper's in wasm");
    }
    app.assert_clean();
}

#[tokio::test(flavor = "multi_thread")]
async fn translation_and_resampled_stereo_match_the_native_core() {
    let app = app_with_model(&[]);
    let r = assert_same_as_native(
        &app,
        TRANSLATIONS,
        sent(audio_form(
            &audio(SPEECH),
            &[("response_format", "verbose_json")],
        )),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let v: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(v["task"], "translate");
    common::report("translate verbose_json", "transcribe", &r);

    // 44.1 kHz stereo with a prompt: downmix, resampling and BPE run in wasm too.
    let r = assert_same_as_native(
        &app,
        TRANSCRIPTIONS,
        sent(audio_form(
            &audio("speech_44k_s16_stereo.wav"),
            &[
                ("response_format", "json"),
                ("language", "ar"),
                // The prompt's BPE encoding runs in wasm too.
                ("prompt", "صوت، مساعد من القاهرة"),
            ],
        )),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    common::report("transcribe 44.1 kHz stereo", "transcribe", &r);
    app.assert_clean();
}

#[tokio::test(flavor = "multi_thread")]
async fn no_model_is_503_naming_the_push_command() {
    let app = app(&[]);
    let r = send(&app, TRANSCRIPTIONS, &sent(audio_form(&audio(SPEECH), &[]))).await;
    assert_eq!(r.status, 503, "{}", r.text());
    let e = error_of(&r);
    let message = e["message"].as_str().unwrap();
    assert!(message.contains("sawt models push"), "{message}");
    assert!(message.contains(MODEL), "{message}");
    common::report("no model", "transcribe", &r);
    app.assert_clean();
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_tokens_are_401() {
    // Admin: wrong token, and the admin API off when no token is configured.
    let app = app(&[("api_keys", "sk-client-1,sk-client-2")]);
    let r = admin_get(&app, "/admin/models", "not-the-admin-token").await;
    assert_eq!(r.status, 401, "{}", r.text());
    assert_eq!(error_of(&r)["code"], "invalid_admin_token");
    assert!(!r.text().contains(ADMIN_TOKEN));

    // Client keys on transcribe: missing and wrong are 401 before anything is parsed; a
    // right key gets through to the (empty) store.
    let wav = audio(SPEECH);
    for auth in [None, Some("Bearer sk-wrong"), Some("sk-client-1")] {
        let mut s = sent(audio_form(&wav, &[]));
        s.authorization = auth.map(str::to_owned);
        let r = send(&app, TRANSCRIPTIONS, &s).await;
        assert_eq!(r.status, 401, "{auth:?}: {}", r.text());
        error_of(&r);
        assert!(!r.text().contains("sk-client-1"));
    }
    let mut s = sent(audio_form(&wav, &[]));
    s.authorization = Some("Bearer sk-client-2".into());
    let r = send(&app, TRANSCRIPTIONS, &s).await;
    assert_eq!(r.status, 503, "{}", r.text());
    app.assert_clean();

    let disabled = Harness::from_manifest(
        repo().join("spin.toml"),
        HarnessOptions::new()
            .without_env()
            .variable("openrouter_api_key", "unused-in-these-tests"),
    )
    .unwrap();
    let r = admin_get(&disabled, "/admin/models", ADMIN_TOKEN).await;
    assert_eq!(r.status, 503, "{}", r.text());
    assert_eq!(error_of(&r)["code"], "admin_disabled");
    disabled.assert_clean();
}

#[tokio::test(flavor = "multi_thread")]
async fn oversized_requests_are_413() {
    let app = app_with_model(&[
        ("transcribe_max_body_bytes", "200000"),
        ("max_audio_length", "10"),
    ]);
    // A body over the byte limit (the 70 s clip is 2.2 MB): refused before parsing.
    let long = audio("long70_16k_s16_mono.wav");
    let r = send(&app, TRANSCRIPTIONS, &sent(audio_form(&long, &[]))).await;
    assert_eq!(r.status, 413, "{}", r.text());
    assert!(error_of(&r)["message"]
        .as_str()
        .unwrap()
        .contains("200000 byte limit"));

    // Under the byte limit but longer than max_audio_length: 8 kHz keeps 12 s small.
    let mut samples = Vec::new();
    let clip = sawt_audio::decode_wav(&audio("speech_8k_s16_mono.wav"), None).unwrap();
    while samples.len() < 12 * 8000 {
        samples.extend_from_slice(&clip.samples);
    }
    let wav = sawt_audio::encode_wav_pcm16(&samples, 8000);
    assert!(wav.len() < 200_000);
    let r = send(&app, TRANSCRIPTIONS, &sent(audio_form(&wav, &[]))).await;
    assert_eq!(r.status, 413, "{}", r.text());
    let e = error_of(&r);
    assert!(e["message"].as_str().unwrap().contains("10"), "{e}");
    app.assert_clean();
}

#[tokio::test(flavor = "multi_thread")]
async fn corrupt_audio_and_bad_forms_are_4xx_without_a_trap() {
    let app = app_with_model(&[]);
    let wav = audio(SPEECH);
    let truncated = &wav[..60];
    let mut garbage = b"RIFF\x24\x00\x00\x00WAVEfmt ".to_vec();
    garbage.extend_from_slice(&[0xff; 64]);
    let cases: Vec<(&str, Sent, u16)> = vec![
        ("truncated WAV", sent(audio_form(truncated, &[])), 400),
        ("corrupt fmt chunk", sent(audio_form(&garbage, &[])), 400),
        (
            "not audio",
            sent(audio_form(b"%PDF-1.7 this is not audio at all", &[])),
            415,
        ),
        (
            "no file field",
            sent(form(&[Field::Text("model", "whisper-1")])),
            400,
        ),
        (
            "unknown response_format",
            sent(audio_form(&wav, &[("response_format", "mp3")])),
            400,
        ),
        (
            "not multipart",
            Sent {
                content_type: "application/json".into(),
                body: br#"{"model":"whisper-1"}"#.to_vec(),
                authorization: None,
            },
            415,
        ),
    ];
    for (what, s, status) in cases {
        let r = assert_same_as_native(&app, TRANSCRIPTIONS, s).await;
        assert_eq!(r.status, status, "{what}: {}", r.text());
        error_of(&r);
    }
    app.assert_clean();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_corrupted_stored_chunk_is_500_and_names_no_key() {
    let app = app_with_model(&[]);
    let store = app.kv("default").unwrap();
    // Flip one byte in the first chunk of some file of the live version.
    let key = store
        .keys()
        .into_iter()
        .filter(|k| k.starts_with(&format!("m/{MODEL}/")) && k.ends_with("/0"))
        .min()
        .expect("a chunk key");
    let mut bytes = store.get(&key).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x55;
    store.set(&key, &bytes).unwrap();

    let r = send(&app, TRANSCRIPTIONS, &sent(audio_form(&audio(SPEECH), &[]))).await;
    assert_eq!(r.status, 500, "{}", r.text());
    let e = error_of(&r);
    assert!(
        !r.text().contains(&key),
        "the answer names a store key: {e}"
    );
    // The component's log has the cause for the operator.
    assert!(
        r.output.contains(&key) || r.output.contains("corrupt"),
        "{}",
        r.output
    );
    app.assert_clean();
}
