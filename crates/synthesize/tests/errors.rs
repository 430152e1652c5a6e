//! Voices round trip and every bad input of speech and voices: the documented status and the
//! OpenAI envelope, never a trap, nothing half-stored.

mod common;

use common::*;
use sawt_api::MapEnv;
use serde_json::json;

fn say(input: &str) -> serde_json::Value {
    json!({"model": "tts-1", "input": input})
}

#[test]
fn voices_round_trip_create_use_list_get_delete() {
    let kv = store();
    let env = env();
    let listed = |env: &MapEnv| {
        let (_, r) = request("GET", "/v1/audio/voices", "", b"", env, &kv);
        assert_eq!(r.status, 200);
        json(&r)
    };
    let empty = listed(&env);
    assert_eq!(empty["data"], json!([]));
    assert_eq!(empty["default_voice"], serde_json::Value::Null);
    assert_eq!(empty["cloning_enabled"], true);
    assert_eq!(empty["model_loaded"], true);
    // No voice yet: speech says how to make one.
    let e = error(&speech(&say("مرحبا."), &env, &kv), 400);
    assert_eq!(e["code"], "no_voice");

    let clip = read("audio/amira.wav");
    let made = create_voice("أميرة", &clip, &env, &kv);
    assert_eq!(made.status, 201, "{}", String::from_utf8_lossy(&made.body));
    let v = json(&made);
    let id = v["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("voice_"));
    assert_eq!(
        (
            v["object"].as_str(),
            v["name"].as_str(),
            v["builtin"].as_bool()
        ),
        (Some("audio.voice"), Some("أميرة"), Some(false))
    );
    let list = listed(&env);
    assert_eq!(list["data"][0]["id"], id.as_str());
    assert_eq!(list["default_voice"], id.as_str());
    let (_, got) = request("GET", &format!("/v1/audio/voices/{id}"), "", b"", &env, &kv);
    assert_eq!(json(&got)["name"], "أميرة");

    // The same name again is a conflict; the voice speaks by name or id.
    assert_eq!(
        error(&create_voice("أميرة", &clip, &env, &kv), 409)["code"],
        "voice_exists"
    );
    let mut body = say("مرحبا بيك.");
    body["voice"] = json!("أميرة");
    assert_eq!(speech(&body, &env, &kv).status, 200);

    let (_, del) = request(
        "DELETE",
        &format!("/v1/audio/voices/{id}"),
        "",
        b"",
        &env,
        &kv,
    );
    assert_eq!(
        json(&del),
        json!({"object": "audio.voice.deleted", "id": id, "deleted": true})
    );
    let (_, again) = request(
        "DELETE",
        &format!("/v1/audio/voices/{id}"),
        "",
        b"",
        &env,
        &kv,
    );
    assert_eq!(error(&again, 404)["code"], "voice_not_found");
    body["voice"] = json!(id);
    assert_eq!(error(&speech(&body, &env, &kv), 404)["param"], "voice");
    assert_eq!(listed(&env)["data"], json!([]));
    // Only the model's keys are left: nothing of the voice remains.
    assert!(kv_keys(&kv).iter().all(|k| k.starts_with("m/")));
}

fn kv_keys(kv: &sawt_store::MemKv) -> Vec<String> {
    use sawt_store::Kv;
    kv.list_keys().unwrap()
}

#[test]
fn built_in_voices_come_from_the_speakers_file() {
    // A speakers file as scripts/xtts_export.py writes it, made of coqui's fixture voices.
    let fx = reference();
    let mut tensors = Vec::new();
    for name in ["amira", "karim"] {
        let v = fx.voice(name).unwrap();
        tensors.push((
            format!("Studio {name}.gpt_cond_latent"),
            v.cond_latents,
            vec![32usize, 64],
        ));
        tensors.push((
            format!("Studio {name}.speaker_embedding"),
            v.speaker_embedding,
            vec![512usize, 1],
        ));
    }
    let speakers = safetensors(&tensors);
    let kv = store_with(&[("speakers.safetensors", speakers)]);
    let env = env();
    let (_, r) = request("GET", "/v1/audio/voices", "", b"", &env, &kv);
    let list = json(&r);
    assert_eq!(list["data"].as_array().unwrap().len(), 2);
    assert_eq!(
        list["data"][0],
        json!({"object": "audio.voice", "id": "Studio amira", "name": "Studio amira", "type": "audio_sample", "builtin": true, "created_at": 0})
    );
    assert_eq!(list["default_voice"], "Studio amira");
    // coqui's voice for amira speaks case 0 exactly as coqui did.
    let case = &fx.meta.cases[0];
    let r = speech(
        &json!({"model": "tts-1", "input": case.text, "response_format": "pcm"}),
        &env,
        &kv,
    );
    assert_eq!(r.status, 200);
    compare_wave(
        "built-in amira",
        &i16s(&r.body),
        &fx.tensor("case0.wav").unwrap(),
        1e-4,
    );
    // Ids travel percent-encoded in the path.
    let (_, got) = request("GET", "/v1/audio/voices/Studio%20karim", "", b"", &env, &kv);
    assert_eq!(json(&got)["id"], "Studio karim");
    let (_, del) = request(
        "DELETE",
        "/v1/audio/voices/Studio%20amira",
        "",
        b"",
        &env,
        &kv,
    );
    assert_eq!(error(&del, 400)["code"], "builtin_voice");
}

/// A minimal safetensors file of F32 tensors.
fn safetensors(tensors: &[(String, Vec<f32>, Vec<usize>)]) -> Vec<u8> {
    let mut header = serde_json::Map::new();
    let mut data = Vec::new();
    for (name, values, shape) in tensors {
        let start = data.len();
        data.extend(values.iter().flat_map(|v| v.to_le_bytes()));
        header.insert(
            name.clone(),
            json!({"dtype": "F32", "shape": shape, "data_offsets": [start, data.len()]}),
        );
    }
    let mut h = serde_json::to_vec(&header).unwrap();
    while !h.len().is_multiple_of(8) {
        h.push(b' ');
    }
    let mut out = (h.len() as u64).to_le_bytes().to_vec();
    out.extend(h);
    out.extend(data);
    out
}

#[test]
fn bad_speech_requests() {
    let kv = store();
    let env = env();
    cloned_voices(&env, &kv);
    let long = "ب".repeat(5000);
    let cases = [
        (json!({"model": "tts-1", "input": ""}), 400, "input"),
        (say(&long), 400, "input"),
        (
            json!({"model": "tts-1", "input": "x", "voice": "nobody"}),
            404,
            "voice",
        ),
        (
            json!({"model": "tts-1", "input": "x", "response_format": "aac"}),
            400,
            "response_format",
        ),
        (
            json!({"model": "tts-1", "input": "x", "speed": 0}),
            400,
            "speed",
        ),
        (
            json!({"model": "tts-1", "input": "x", "speed": 10}),
            400,
            "speed",
        ),
        (json!({"model": "whisper-1", "input": "x"}), 404, "model"),
        (json!({"model": "tts-1", "input": "..."}), 400, "input"),
    ];
    for (body, status, param) in cases {
        let e = error(&speech(&body, &env, &kv), status);
        assert_eq!(e["param"], param, "{body}: {e}");
    }
    let (_, r) = request(
        "POST",
        "/v1/audio/speech",
        "application/json",
        b"{nope",
        &env,
        &kv,
    );
    error(&r, 400);
    let (_, r) = request("GET", "/v1/audio/speech", "", b"", &env, &kv);
    error(&r, 405);
    let (_, r) = request("POST", "/v1/audio/speak", "", b"", &env, &kv);
    error(&r, 404);
}

#[test]
fn bad_clips_say_what_to_send() {
    let kv = store();
    let env = env();
    let clip = read("audio/amira.wav");
    let audio = sawt_audio::decode_wav(&clip, None).unwrap();
    let two_s = sawt_audio::encode_wav_pcm16(
        &audio.samples[..2 * audio.sample_rate as usize],
        audio.sample_rate,
    );
    let silent = sawt_audio::encode_wav_pcm16(&vec![0.0; 5 * 16_000], 16_000);
    let long = sawt_audio::encode_wav_pcm16(&vec![0.1; 31 * 16_000], 16_000);
    let cases: [(&[u8], u16, &str); 5] = [
        (b"hello, this is text", 415, "unsupported_audio_format"),
        (b"ID3\x04\x00mp3 data", 415, "unsupported_audio_format"),
        (&two_s, 400, "clip_too_short"),
        (&silent, 400, "clip_silent"),
        (&long, 413, "clip_too_long"),
    ];
    for (bytes, status, code) in cases {
        let e = error(&create_voice("x", bytes, &env, &kv), status);
        assert_eq!(
            (e["code"].as_str(), e["param"].as_str()),
            (Some(code), Some("file")),
            "{e}"
        );
        assert!(e["message"].as_str().unwrap().contains("3 to 30 s"), "{e}");
    }
    let e = error(&create_voice("", &clip, &env, &kv), 400);
    assert_eq!(e["param"], "name");
    assert!(
        kv_keys(&kv).iter().all(|k| k.starts_with("m/")),
        "nothing stored"
    );
}

#[test]
fn cloning_switch_keys_and_the_admin_token() {
    let kv = store();
    let clip = read("audio/amira.wav");
    let off = env()
        .with("enable_voice_cloning", "false")
        .with("admin_token", "adm-secret")
        .with("api_keys", "k1");
    let post = |auth: &str| {
        let (ct, body) = sawt_api::multipart::encode(
            &[
                sawt_api::multipart::Field::Text("name", "a"),
                sawt_api::multipart::Field::File("file", "a.wav", "audio/wav", &clip),
            ],
            "0123456789abcdef0123456789abcdef",
        );
        let headers = vec![
            ("content-type".to_string(), ct),
            ("authorization".to_string(), auth.to_string()),
        ];
        let mut out = sawt_synthesize::Recorder::default();
        sawt_synthesize::handle(
            &sawt_synthesize::Request {
                method: "POST",
                path: "/v1/audio/voices",
                headers: &headers,
                body: &body,
            },
            &off,
            &kv,
            &mut out,
        );
        out
    };
    assert_eq!(
        error(&post("Bearer k9"), 401)["type"],
        "authentication_error"
    );
    let e = error(&post("Bearer k1"), 403);
    assert_eq!(e["code"], "voice_cloning_disabled");
    // The operator adds voices with the admin token even when clients may not.
    assert_eq!(post("Bearer adm-secret").status, 201);
    // Admission is decided from the head: a refused upload is never read.
    let head = sawt_api::RequestHead::new(
        "POST",
        "/v1/audio/voices",
        vec![("authorization".into(), "Bearer k1".into())],
    );
    assert_eq!(sawt_synthesize::admit(&head, &off).unwrap_err().status, 403);
    let big = sawt_api::RequestHead::new(
        "POST",
        "/v1/audio/speech",
        vec![("content-length".into(), "2000000".into())],
    );
    assert_eq!(
        sawt_synthesize::admit(&big, &env()).unwrap_err().status,
        413
    );
}

#[test]
fn a_missing_or_damaged_model_is_a_clear_error() {
    let env = env();
    let empty = sawt_store::MemKv::new();
    let e = error(&speech(&say("مرحبا."), &env, &empty), 503);
    assert_eq!(e["code"], "model_not_loaded");
    assert!(
        e["message"].as_str().unwrap().contains("sawt models push"),
        "{e}"
    );
    let (_, r) = request("GET", "/v1/audio/voices", "", b"", &env, &empty);
    assert_eq!(json(&r)["model_loaded"], false);

    let kv = store();
    cloned_voices(&env, &kv);
    let gpt_chunk = kv_keys(&kv)
        .into_iter()
        // Files are published sorted: gpt.safetensors is the third (index 2).
        .find(|k| k.starts_with("m/xtts-v2/") && k.ends_with("/2/0"))
        .unwrap();
    assert!(kv.flip_byte(&gpt_chunk, 10));
    let r = speech(&say("مرحبا."), &env, &kv);
    let e = error(&r, 500);
    assert!(e["code"] == "model_corrupt", "{e}");
    assert!(
        !e["message"].as_str().unwrap().contains("m/xtts-v2"),
        "no store keys in answers: {e}"
    );
}

/// An output whose client leaves after `left` writes.
struct Leaving {
    inner: sawt_synthesize::Recorder,
    left: usize,
}

impl sawt_api::Output for Leaving {
    fn respond(&mut self, r: sawt_api::Response) {
        self.inner.respond(r);
    }
    fn start(&mut self, head: sawt_api::Response) -> bool {
        self.inner.start(head)
    }
    fn write(&mut self, bytes: &[u8]) -> bool {
        if self.left == 0 {
            return false;
        }
        self.left -= 1;
        self.inner.write(bytes)
    }
}

#[test]
fn a_client_that_leaves_midway_stops_the_synthesis_without_a_trap() {
    let kv = store();
    let env = env();
    cloned_voices(&env, &kv);
    // Three sentences; the client leaves after the header and the first audio piece.
    let body = serde_json::to_vec(&say(
        "مرحبا بيك في صوت. الجو حلو قوي. هل تريد أن تسمع شيئا؟",
    ))
    .unwrap();
    let headers = vec![("content-type".to_string(), "application/json".to_string())];
    let mut out = Leaving {
        inner: sawt_synthesize::Recorder::default(),
        left: 2,
    };
    let outcome = sawt_synthesize::handle(
        &sawt_synthesize::Request {
            method: "POST",
            path: "/v1/audio/speech",
            headers: &headers,
            body: &body,
        },
        &env,
        &kv,
        &mut out,
    );
    assert_eq!(out.inner.status, 200);
    assert_eq!(
        out.inner.pieces.len(),
        2,
        "nothing written after the client left"
    );
    assert!(
        outcome
            .detail
            .as_deref()
            .is_some_and(|d| d.contains("went away")),
        "{:?}",
        outcome.detail
    );
    // The GPT loop ended inside the first sentence: no sentence was finished.
    assert_eq!(outcome.timings.codes, 0);
    assert!(outcome.timings.first_audio.is_some());
}
