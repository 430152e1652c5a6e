//! The synthesize component end to end, as Spin runs it: the root `spin.toml`, the built
//! `sawt_synthesize_fn.wasm` (and the admin component, through which `sawt models push`
//! loads the fixture XTTS model). Build first:
//! `cargo build --target wasm32-wasip1 --release -p sawt-synthesize-fn -p sawt-admin-fn`.
//!
//! Checked: a voice cloned through the API speaks coqui-tts's own waveform for a reference
//! case; every answer's bytes equal the native handler's (`sawt_synthesize::handle` with the
//! variables the component sees, over a copy of the app's store); the audio leaves the
//! component in several HTTP chunks (streamed, not buffered); the voices round trip; bad
//! input gets the envelope, never a trap.

mod common;

use std::io::{Read, Write};
use std::path::PathBuf;

use base64::Engine;
use bytes::Bytes;
use common::error_of;
use sawt_api::multipart::{encode, Field};
use sawt_api::MapEnv;
use sawt_store::{Kv, MemKv};
use serde_json::{json, Value};
use spin_harness::{Harness, HarnessOptions, HarnessResponse};

const ADMIN_TOKEN: &str = "harness-admin-token";
const MODEL: &str = "xtts-v2";

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn fixtures() -> PathBuf {
    repo().join("tests/fixtures/xtts")
}

fn read(rel: &str) -> Vec<u8> {
    std::fs::read(fixtures().join(rel)).unwrap_or_else(|e| panic!("fixture {rel}: {e}"))
}

/// Greedy decoding and coqui's own text path, so answers compare with coqui's references.
fn app(extra: &[(&str, &str)]) -> Harness {
    let mut options = HarnessOptions::new()
        .without_env()
        .variable("admin_token", ADMIN_TOKEN)
        .variable("tts_sampling", "greedy")
        .variable("tts_normalizer", "xtts");
    for (k, v) in extra {
        options = options.variable(*k, *v);
    }
    Harness::from_manifest(repo().join("spin.toml"), options).unwrap_or_else(|e| panic!("{e}"))
}

/// `sawt models push tests/fixtures/xtts/model --name xtts-v2` through the admin component.
async fn push_model(app: &Harness) -> std::net::SocketAddr {
    let addr = app.serve("127.0.0.1:0").await.unwrap();
    let report =
        common::push_through_admin(addr, fixtures().join("model"), MODEL, ADMIN_TOKEN).await;
    assert!(report.uploaded);
    addr
}

async fn call(app: &Harness, method: &str, path: &str, ct: &str, body: Vec<u8>) -> HarnessResponse {
    let request = http::Request::builder()
        .method(method)
        .uri(path)
        .header("host", "localhost")
        .header("content-type", ct)
        .header("content-length", body.len())
        .body(Bytes::from(body))
        .unwrap();
    app.handle(request)
        .await
        .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
}

fn clip_form(name: &str, clip: &[u8]) -> (String, Vec<u8>) {
    encode(
        &[
            Field::Text("name", name),
            Field::File("file", "clip.wav", "audio/wav", clip),
        ],
        "5d1e2f3a4b5c6d7e8f90a1b2c3d4e5f6",
    )
}

/// The native answer: the same core with the variables the component sees, over a copy of
/// the app's store.
fn native(app: &Harness, method: &str, path: &str, ct: &str, body: &[u8]) -> sawt_api::Recorder {
    let mut env = MapEnv::new();
    for (k, v) in app.component_variables("synthesize").unwrap() {
        env = env.with(&k, &v);
    }
    let kv = MemKv::new();
    let store = app.kv("default").unwrap();
    for key in store.keys() {
        kv.set(&key, &store.get(&key).unwrap()).unwrap();
    }
    let headers = vec![
        ("content-type".to_owned(), ct.to_owned()),
        ("content-length".to_owned(), body.len().to_string()),
    ];
    let mut out = sawt_api::Recorder::default();
    sawt_synthesize::handle(
        &sawt_synthesize::Request {
            method,
            path,
            headers: &headers,
            body,
        },
        &env,
        &kv,
        &mut out,
    );
    out
}

/// The 16-bit samples an answer carries, by its content type (SSE: the deltas' audio, asked
/// as pcm), and for SSE the final event.
fn samples_of(content_type: &str, body: &[u8]) -> (Vec<i16>, Option<Value>) {
    let pcm = |b: &[u8]| -> Vec<i16> {
        b.chunks_exact(2)
            .map(|x| i16::from_le_bytes([x[0], x[1]]))
            .collect()
    };
    match content_type {
        "audio/wav" => (pcm(&body[44..]), None),
        "audio/pcm" => (pcm(body), None),
        "audio/flac" => {
            let mut r = claxon::FlacReader::new(std::io::Cursor::new(body)).unwrap();
            (r.samples().map(|s| s.unwrap() as i16).collect(), None)
        }
        "text/event-stream" => {
            let text = std::str::from_utf8(body).unwrap();
            let events: Vec<Value> = text
                .split("\n\n")
                .filter(|e| !e.is_empty())
                .map(|e| serde_json::from_str(e.strip_prefix("data: ").unwrap()).unwrap())
                .collect();
            let (done, deltas) = events.split_last().unwrap();
            let mut audio = Vec::new();
            for d in deltas {
                audio.extend(
                    base64::engine::general_purpose::STANDARD
                        .decode(d["audio"].as_str().unwrap())
                        .unwrap(),
                );
            }
            (pcm(&audio), Some(done.clone()))
        }
        other => panic!("unexpected content type {other}"),
    }
}

/// The component's answer to a speech request against the native one: the same status,
/// content type, length, codes (SSE usage) and header bytes, and samples within one step of
/// 16 bits (tract's native and wasm kernels round differently, ~1e-7, which can tip a sample's
/// rounding); how many samples differ is printed.
async fn speech_same_as_native(app: &Harness, body: Value) -> HarnessResponse {
    let bytes = serde_json::to_vec(&body).unwrap();
    let wasm = call(
        app,
        "POST",
        "/v1/audio/speech",
        "application/json",
        bytes.clone(),
    )
    .await;
    let app2 = app.clone();
    let expected = tokio::task::spawn_blocking(move || {
        native(
            &app2,
            "POST",
            "/v1/audio/speech",
            "application/json",
            &bytes,
        )
    })
    .await
    .unwrap();
    assert_eq!(wasm.status.as_u16(), expected.status, "{}", wasm.text());
    let ct = expected.header("content-type").unwrap().to_owned();
    assert_eq!(wasm.header("content-type"), Some(ct.as_str()));
    if ct == "audio/wav" {
        assert_eq!(wasm.body[..44], expected.body[..44], "{body}: WAV header");
    }
    let (got, got_done) = samples_of(&ct, &wasm.body);
    let (want, want_done) = samples_of(&ct, &expected.body);
    assert_eq!(got.len(), want.len(), "{body}: sample count");
    assert_eq!(
        got_done, want_done,
        "{body}: the done event (usage: the same codes)"
    );
    let mut differ = 0;
    for (i, (a, b)) in got.iter().zip(&want).enumerate() {
        assert!(
            (i32::from(*a) - i32::from(*b)).abs() <= 1,
            "{body}: first mismatch at sample {i}: wasm {a} vs native {b}"
        );
        differ += usize::from(a != b);
    }
    eprintln!(
        "{body}: {differ} of {} samples differ by one step from native",
        got.len()
    );
    wasm
}

/// A raw HTTP/1.1 POST over loopback; the number of chunks of the chunked body and the body.
fn chunked_post(addr: std::net::SocketAddr, path: &str, body: &[u8]) -> (usize, Vec<u8>) {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(
        s,
        "POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .unwrap();
    s.write_all(body).unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&raw[..split]).to_lowercase();
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert!(head.contains("transfer-encoding: chunked"), "{head}");
    let (mut rest, mut chunks, mut out) = (&raw[split + 4..], 0, Vec::new());
    loop {
        let eol = rest.windows(2).position(|w| w == b"\r\n").unwrap();
        let size =
            usize::from_str_radix(std::str::from_utf8(&rest[..eol]).unwrap().trim(), 16).unwrap();
        if size == 0 {
            break;
        }
        out.extend_from_slice(&rest[eol + 2..eol + 2 + size]);
        chunks += 1;
        rest = &rest[eol + 4 + size..];
    }
    (chunks, out)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cloned_voice_speaks_coquis_waveform_streamed_and_as_native() {
    let app = app(&[]);
    let addr = push_model(&app).await;
    let fx = sawt_xtts::parity::Fixture::load(&fixtures()).unwrap();
    let case = &fx.meta.cases[0];
    let voice = fx
        .meta
        .voices
        .iter()
        .find(|v| v.name == case.voice)
        .unwrap();
    let (ct, form) = clip_form(&voice.name, &read(&voice.file));
    let made = call(&app, "POST", "/v1/audio/voices", &ct, form).await;
    common::report("create voice", "synthesize", &made);
    assert_eq!(made.status.as_u16(), 201, "{}", made.text());
    let id = serde_json::from_slice::<Value>(&made.body).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let body = json!({"model": "tts-1", "input": case.text, "voice": id});
    let wav = speech_same_as_native(&app, body.clone()).await;
    common::report("speech wav", "synthesize", &wav);
    let samples: Vec<f32> = wav.body[44..]
        .chunks_exact(2)
        .map(|b| f32::from(i16::from_le_bytes([b[0], b[1]])) / 32767.0)
        .collect();
    let want = fx.tensor("case0.wav").unwrap();
    sawt_xtts::parity::compare("wasm speech vs coqui", &samples, &want, 1e-4)
        .unwrap_or_else(|e| panic!("{e}"));
    for extra in [
        json!({"response_format": "pcm"}),
        json!({"response_format": "flac"}),
        json!({"stream_format": "sse", "response_format": "pcm"}),
    ] {
        let mut b = body.clone();
        for (k, v) in extra.as_object().unwrap() {
            b[k] = v.clone();
        }
        speech_same_as_native(&app, b).await;
    }
    // Over a real connection the audio arrives in several chunks: written as produced.
    let bytes = serde_json::to_vec(&body).unwrap();
    let (chunks, streamed) =
        tokio::task::spawn_blocking(move || chunked_post(addr, "/v1/audio/speech", &bytes))
            .await
            .unwrap();
    assert!(chunks >= 3, "{chunks} chunks");
    assert_eq!(streamed, wav.body.to_vec());
    app.assert_clean();
}

#[tokio::test(flavor = "multi_thread")]
async fn voices_round_trip_and_bad_input_under_wasm() {
    let app = app(&[]);
    push_model(&app).await;
    let list = |r: &HarnessResponse| serde_json::from_slice::<Value>(&r.body).unwrap();
    let (ct, form) = clip_form("نور", &read("audio/nour.wav"));
    let made = call(&app, "POST", "/v1/audio/voices", &ct, form).await;
    assert_eq!(made.status.as_u16(), 201, "{}", made.text());
    let id = list(&made)["id"].as_str().unwrap().to_owned();
    let listed = app.get("/v1/audio/voices").await.unwrap();
    assert_eq!(list(&listed)["data"][0]["name"], "نور");
    assert_eq!(list(&listed)["default_voice"], id.as_str());
    let ok = call(
        &app,
        "POST",
        "/v1/audio/speech",
        "application/json",
        serde_json::to_vec(&json!({"model": "tts-1", "input": "مرحبا.", "voice": "alloy"}))
            .unwrap(),
    )
    .await;
    assert_eq!(ok.status.as_u16(), 200);

    let speech = |body: Value| serde_json::to_vec(&body).unwrap();
    let cases: Vec<(&str, &str, String, Vec<u8>, u16)> = vec![
        (
            "POST",
            "/v1/audio/speech",
            "application/json".into(),
            speech(json!({"model": "tts-1", "input": ""})),
            400,
        ),
        (
            "POST",
            "/v1/audio/speech",
            "application/json".into(),
            speech(json!({"model": "tts-1", "input": "ب".repeat(5000)})),
            400,
        ),
        (
            "POST",
            "/v1/audio/speech",
            "application/json".into(),
            speech(json!({"model": "tts-1", "input": "x", "voice": "nobody"})),
            404,
        ),
        (
            "POST",
            "/v1/audio/speech",
            "application/json".into(),
            speech(json!({"model": "tts-1", "input": "x", "response_format": "aac"})),
            400,
        ),
        (
            "POST",
            "/v1/audio/speech",
            "application/json".into(),
            speech(json!({"model": "tts-1", "input": "x", "speed": 10})),
            400,
        ),
        (
            "POST",
            "/v1/audio/voices",
            clip_form("t", b"just text").0,
            clip_form("t", b"just text").1,
            415,
        ),
        (
            "GET",
            "/v1/audio/voices/voice_0000000000000000",
            String::new(),
            Vec::new(),
            404,
        ),
    ];
    for (method, path, ct, body, status) in cases {
        let r = call(&app, method, path, &ct, body).await;
        assert_eq!(r.status.as_u16(), status, "{method} {path}: {}", r.text());
        error_of(&r);
    }
    let del = call(
        &app,
        "DELETE",
        &format!("/v1/audio/voices/{id}"),
        "",
        Vec::new(),
    )
    .await;
    assert_eq!(list(&del)["deleted"], true);
    let gone = call(
        &app,
        "DELETE",
        &format!("/v1/audio/voices/{id}"),
        "",
        Vec::new(),
    )
    .await;
    assert_eq!(gone.status.as_u16(), 404);
    app.assert_clean();

    // Cloning off: refused from the head, before the clip is read.
    let off = self::app(&[("enable_voice_cloning", "false")]);
    let (ct, form) = clip_form("x", &read("audio/nour.wav"));
    let r = call(&off, "POST", "/v1/audio/voices", &ct, form).await;
    assert_eq!(error_of(&r)["code"], "voice_cloning_disabled");
    // No model pushed: 503 with the command that loads it.
    let r = call(
        &off,
        "POST",
        "/v1/audio/speech",
        "application/json",
        serde_json::to_vec(&json!({"model": "tts-1", "input": "x"})).unwrap(),
    )
    .await;
    assert_eq!(r.status.as_u16(), 503);
    assert!(error_of(&r)["message"]
        .as_str()
        .unwrap()
        .contains("sawt models push"));
    off.assert_clean();
}
