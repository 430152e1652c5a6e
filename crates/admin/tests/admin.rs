//! The admin route as a pure function: auth, the upload protocol, errors.

use sawt_api::{RequestHead, Response};
use sawt_store::*;
use serde_json::{json, Value};

const TOKEN: &str = "s3cret-admin";

fn auth() -> Vec<(String, String)> {
    vec![("Authorization".into(), format!("Bearer {TOKEN}"))]
}

fn head(method: &str, path: &str, headers: &[(String, String)]) -> RequestHead {
    RequestHead::new(method, path, headers.to_vec())
}

fn handle_admin(
    method: &str,
    path: &str,
    headers: &[(String, String)],
    body: &[u8],
    kv: &dyn Kv,
    token: Option<&str>,
) -> Response {
    let cfg = StoreConfig::default();
    handle_admin_with(&cfg, method, path, headers, body, kv, token)
}

fn handle_admin_with(
    cfg: &StoreConfig,
    method: &str,
    path: &str,
    headers: &[(String, String)],
    body: &[u8],
    kv: &dyn Kv,
    token: Option<&str>,
) -> Response {
    sawt_admin::handle_with(cfg, &head(method, path, headers), body, kv, token).response
}

trait Text {
    fn text(&self) -> String;
}

impl Text for Response {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

fn call(kv: &MemKv, method: &str, path: &str, body: &[u8]) -> Response {
    handle_admin(method, path, &auth(), body, kv, Some(TOKEN))
}

fn json_of(r: &Response) -> Value {
    assert_eq!(r.header("content-type"), Some("application/json"));
    serde_json::from_slice(&r.body).unwrap_or_else(|e| panic!("{e}: {}", r.text()))
}

/// Asserts the OpenAI envelope and returns its `code`.
fn error_code(r: &Response, status: u16) -> String {
    assert_eq!(r.status, status, "{}", r.text());
    let v = json_of(r);
    let e = v["error"].as_object().unwrap_or_else(|| panic!("{v}"));
    let mut fields: Vec<_> = e.keys().cloned().collect();
    fields.sort();
    assert_eq!(fields, ["code", "message", "param", "type"]);
    assert!(!e["message"].as_str().unwrap().is_empty());
    e["code"].as_str().unwrap().to_string()
}

fn data(n: usize, seed: u8) -> Vec<u8> {
    (0..n).map(|i| (i % 251) as u8 ^ seed).collect()
}

fn begin_body(files: &[(&str, &[u8])]) -> Vec<u8> {
    serde_json::to_vec(&UploadSpec::from_files(files)).unwrap()
}

#[test]
fn uploads_are_disabled_without_a_configured_token() {
    let kv = MemKv::new();
    for token in [None, Some("")] {
        let r = handle_admin("GET", "/admin/models", &auth(), b"", &kv, token);
        assert_eq!(error_code(&r, 503), "admin_disabled");
    }
}

#[test]
fn a_missing_or_wrong_token_gets_the_same_401() {
    let kv = MemKv::new();
    let cases: Vec<Vec<(String, String)>> = vec![
        vec![],
        vec![("authorization".into(), "Bearer wrong".into())],
        vec![("authorization".into(), format!("Basic {TOKEN}"))],
        vec![("authorization".into(), format!("Bearer {TOKEN}x"))],
        vec![("authorization".into(), "Bearer ".into())],
    ];
    let mut bodies = Vec::new();
    for h in cases {
        // Even for unknown routes: unauthenticated callers learn nothing.
        for path in ["/admin/models", "/admin/nope"] {
            let r = handle_admin("GET", path, &h, b"", &kv, Some(TOKEN));
            assert_eq!(error_code(&r, 401), "invalid_admin_token");
            assert_eq!(
                r.header("www-authenticate"),
                Some("Bearer realm=\"sawt-admin\"")
            );
            assert!(!r.text().contains(TOKEN));
            bodies.push(r.body);
        }
    }
    bodies.dedup();
    assert_eq!(bodies.len(), 1);
    let lower = vec![("AUTHORIZATION".into(), format!("bearer {TOKEN}"))];
    assert_eq!(
        handle_admin("GET", "/admin/models", &lower, b"", &kv, Some(TOKEN)).status,
        200
    );
}

#[test]
fn begin_parts_commit_then_the_model_loads() {
    let kv = MemKv::new();
    let enc = data(2_345_678, 1);
    let cfg_json = br#"{"n_mels":80}"#.to_vec();
    let files: Vec<(&str, &[u8])> = vec![("encoder.onnx", &enc), ("config.json", &cfg_json)];

    let r = call(
        &kv,
        "POST",
        "/admin/models/whisper-tiny/uploads",
        &begin_body(&files),
    );
    assert_eq!(r.status, 201, "{}", r.text());
    let v = json_of(&r);
    assert_eq!(v["status"], "staging");
    let up = &v["upload"];
    let id = up["id"].as_str().unwrap().to_string();
    assert_eq!(up["chunk_size"], 1_000_000);
    assert_eq!(up["part_size"], 4_000_000);
    assert_eq!(up["max_part_size"], 4 * 1024 * 1024);
    assert_eq!(up["files"][0]["received"], 0);

    // Nothing is served before commit.
    let r = call(&kv, "GET", "/admin/models/whisper-tiny", b"");
    assert_eq!(json_of(&r)["current"], Value::Null);
    assert!(matches!(
        load_model(&kv, "whisper-tiny"),
        Err(StoreError::NotFound { .. })
    ));

    let base = format!("/admin/models/whisper-tiny/uploads/{id}");
    let r = call(
        &kv,
        "PUT",
        &format!("{base}/files/encoder.onnx?offset=0"),
        &enc[..2_000_000],
    );
    assert_eq!(json_of(&r)["received"], 2_000_000);
    let r = call(&kv, "POST", &format!("{base}/commit"), b"");
    assert_eq!(error_code(&r, 409), "upload_incomplete");
    let r = call(
        &kv,
        "PUT",
        &format!("{base}/files/encoder.onnx?offset=2000000"),
        &enc[2_000_000..],
    );
    assert_eq!(json_of(&r)["complete"], true);
    let r = call(
        &kv,
        "PUT",
        &format!("{base}/files/config.json?offset=0"),
        &cfg_json,
    );
    assert_eq!(r.status, 200);
    let r = call(&kv, "GET", &base, b"");
    let st = json_of(&r);
    assert!(st["files"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["complete"] == true));

    let r = call(&kv, "POST", &format!("{base}/commit"), b"");
    let v = json_of(&r);
    assert_eq!(r.status, 200, "{v}");
    assert_eq!(v["status"], "committed");
    assert_eq!(v["manifest"]["version"], id.as_str());
    assert_eq!(v["manifest"]["files"][0]["chunks"], 3);

    let loaded = load_model(&kv, "whisper-tiny").unwrap();
    assert_eq!(loaded.files["encoder.onnx"], enc);
    assert_eq!(loaded.files["config.json"], cfg_json);

    let v = json_of(&call(&kv, "GET", "/admin/models", b""));
    assert_eq!(v["object"], "list");
    assert_eq!(v["keys_total"], 6);
    assert_eq!(v["key_budget"], 1000);
    assert_eq!(v["data"][0]["name"], "whisper-tiny");
    assert_eq!(v["data"][0]["current"]["files"][1]["name"], "config.json");

    // Same content again: nothing to send.
    let r = call(
        &kv,
        "POST",
        "/admin/models/whisper-tiny/uploads",
        &begin_body(&files),
    );
    assert_eq!(r.status, 200);
    assert_eq!(json_of(&r)["status"], "current");

    let v = json_of(&call(
        &kv,
        "GET",
        "/admin/models/whisper-tiny?verify=true",
        b"",
    ));
    assert_eq!(v["verified"], true);
    assert!(kv.flip_byte(&format!("m/whisper-tiny/{id}/0/1"), 99));
    let r = call(&kv, "GET", "/admin/models/whisper-tiny?verify=1", b"");
    assert_eq!(error_code(&r, 500), "model_corrupt");

    let r = call(&kv, "DELETE", "/admin/models/whisper-tiny", b"");
    let v = json_of(&r);
    assert_eq!(
        (v["deleted"].clone(), v["keys_deleted"].clone()),
        (json!(true), json!(6))
    );
    assert!(kv.is_empty());
    let r = call(&kv, "DELETE", "/admin/models/whisper-tiny", b"");
    assert_eq!(error_code(&r, 404), "model_not_found");
}

#[test]
fn protocol_errors_have_the_right_status() {
    let kv = MemKv::new();
    let f = data(1_500_000, 2);
    let r = call(
        &kv,
        "POST",
        "/admin/models/m/uploads",
        &begin_body(&[("f.bin", &f)]),
    );
    let id = json_of(&r)["upload"]["id"].as_str().unwrap().to_string();
    let part = |q: &str, body: &[u8]| {
        call(
            &kv,
            "PUT",
            &format!("/admin/models/m/uploads/{id}/files/f.bin{q}"),
            body,
        )
    };
    assert_eq!(error_code(&part("", &f[..10]), 400), "missing_offset");
    assert_eq!(
        error_code(&part("?offset=-1", &f[..10]), 400),
        "invalid_offset"
    );
    assert_eq!(error_code(&part("?offset=0", &f[..10]), 400), "bad_part");
    assert_eq!(
        error_code(&part("?offset=1000000", &f[1_000_000..]), 409),
        "offset_mismatch"
    );
    let big = vec![0u8; 4 * 1024 * 1024 + 1];
    assert_eq!(error_code(&part("?offset=0", &big), 413), "part_too_large");
    let r = call(
        &kv,
        "PUT",
        &format!("/admin/models/m/uploads/{id}/files/g.bin?offset=0"),
        b"x",
    );
    assert_eq!(error_code(&r, 404), "file_not_found");
    let r = call(
        &kv,
        "PUT",
        "/admin/models/m/uploads/0123456789ab/files/f.bin?offset=0",
        b"x",
    );
    assert_eq!(error_code(&r, 404), "upload_not_found");

    assert_eq!(
        error_code(&call(&kv, "POST", "/admin/models/m/uploads", b"{"), 400),
        "invalid_json"
    );
    let bad = call(&kv, "POST", "/admin/models/Bad%20Name/uploads", b"{}");
    assert_eq!(error_code(&bad, 400), "invalid_value");
    assert_eq!(
        error_code(&call(&kv, "GET", "/admin/elsewhere", b""), 404),
        "not_found"
    );
    let r = call(&kv, "PATCH", "/admin/models", b"");
    assert_eq!(error_code(&r, 405), "method_not_allowed");
    assert_eq!(r.header("allow"), Some("GET"));

    // Wrong digest declared: 422, the file must be sent again.
    let mut spec = UploadSpec::from_files(&[("g.bin", b"hello")]);
    spec.files[0].sha256 = sha256_hex(b"bye");
    let r = call(
        &kv,
        "POST",
        "/admin/models/n/uploads",
        &serde_json::to_vec(&spec).unwrap(),
    );
    let id = json_of(&r)["upload"]["id"].as_str().unwrap().to_string();
    let r = call(
        &kv,
        "PUT",
        &format!("/admin/models/n/uploads/{id}/files/g.bin?offset=0"),
        b"hello",
    );
    assert_eq!(error_code(&r, 422), "digest_mismatch");

    // Abort.
    let r = call(&kv, "DELETE", &format!("/admin/models/n/uploads/{id}"), b"");
    assert_eq!(json_of(&r)["status"], "aborted");
    assert!(kv
        .list_keys()
        .unwrap()
        .iter()
        .all(|k| !k.starts_with("m/n/")));
}

#[test]
fn the_key_budget_answers_507_with_numbers() {
    let kv = MemKv::new();
    let cfg = StoreConfig {
        key_budget: 5,
        ..StoreConfig::default()
    };
    let f = data(3_000_000, 3);
    let r = handle_admin_with(
        &cfg,
        "POST",
        "/admin/models/m/uploads",
        &auth(),
        &begin_body(&[("f.bin", &f)]),
        &kv,
        Some(TOKEN),
    );
    assert_eq!(error_code(&r, 507), "key_budget_exceeded");
    let msg = json_of(&r)["error"]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        msg.contains("needs 7 more keys but only 5 of the 5-key budget"),
        "{msg}"
    );
}

#[test]
fn hostile_requests_never_panic() {
    let kv = MemKv::new();
    let methods = ["GET", "POST", "PUT", "DELETE", "", "get", "\u{0}"];
    let paths = [
        "",
        "/",
        "/admin",
        "/admin/",
        "/admin/models/",
        "/admin//models",
        "/admin/models/a/b/c/d/e/f/g",
        "/admin/models/m/uploads/%00/files/x?offset=",
        "/admin/models/m/uploads/ab/commit?x",
        "/admin/models/\u{fe0f}/uploads",
        "/admin/models/m/uploads/0123456789ab/files/..?offset=99999999999999999999",
        "/admin/models/m/uploads/0123456789ab/files/a?offset=18446744073709551615",
        "/admin/models/m?verify=true&&&=",
        "?",
        "/admin/models?offset=1=2",
    ];
    let bodies: [&[u8]; 5] = [
        b"",
        b"\xff\xfe",
        br#"{"files":[{"name":"a","size":18446744073709551615,"sha256":"0000000000000000000000000000000000000000000000000000000000000000"}]}"#,
        br#"{"files":"nope"}"#,
        br#"{"files":[{"name":"a","size":18446744073709551615,"sha256":"0000000000000000000000000000000000000000000000000000000000000000"},{"name":"b","size":18446744073709551615,"sha256":"0000000000000000000000000000000000000000000000000000000000000000"}]}"#,
    ];
    for m in methods {
        for p in paths {
            for b in bodies {
                let r = call(&kv, m, p, b);
                assert!((200..600).contains(&r.status));
                if r.status >= 400 {
                    error_code(&r, r.status);
                }
            }
        }
    }
}

#[test]
fn admission_comes_from_the_head_before_any_body() {
    let cfg = StoreConfig::default();
    let put = |headers: Vec<(String, String)>| {
        head(
            "PUT",
            "/admin/models/m/uploads/0123456789ab/files/f?offset=0",
            &headers,
        )
    };
    let huge = ("content-length".to_string(), "209715200".to_string());
    // No token: 401 whatever the body would be.
    let e = sawt_admin::admit(&put(vec![huge.clone()]), Some(TOKEN), &cfg).unwrap_err();
    assert_eq!(
        (e.status, e.code.as_deref()),
        (401, Some("invalid_admin_token"))
    );
    // With the token, a declared part over the limit is 413 before it is read.
    let mut h = auth();
    h.push(huge);
    let e = sawt_admin::admit(&put(h), Some(TOKEN), &cfg).unwrap_err();
    assert_eq!((e.status, e.code.as_deref()), (413, Some("part_too_large")));
    // Admitted: parts may be max_part_size, everything else a JSON declaration.
    assert_eq!(
        sawt_admin::admit(&put(auth()), Some(TOKEN), &cfg),
        Ok(cfg.max_part_size)
    );
    assert_eq!(
        sawt_admin::admit(
            &head("POST", "/admin/models/m/uploads", &auth()),
            Some(TOKEN),
            &cfg
        ),
        Ok(sawt_admin::MAX_JSON_BODY)
    );
}

/// A store that cannot be reached answers the shared mapping's 503 without the host's text,
/// and a failed verification names no key (the key goes to the log detail).
#[test]
fn store_errors_say_nothing_internal() {
    let down = FailingKv(KvError::Other("redis://user:pw@10.0.0.1 refused".into()));
    let o = sawt_admin::handle(
        &head("GET", "/admin/models", &auth()),
        b"",
        &down,
        Some(TOKEN),
    );
    assert_eq!(error_code(&o.response, 503), "kv_unavailable");
    assert!(!o.response.text().contains("redis"));
    assert!(o.detail.unwrap_or_default().contains("refused"));

    let kv = MemKv::new();
    let f = data(1_500_000, 4);
    publish(
        &kv,
        "m",
        &[("f.bin", &f[..])],
        Default::default(),
        &StoreConfig::default(),
    )
    .unwrap();
    let key = kv
        .list_keys()
        .unwrap()
        .into_iter()
        .find(|k| k.ends_with("/0/1"))
        .unwrap();
    assert!(kv.flip_byte(&key, 7));
    let o = sawt_admin::handle(
        &head("GET", "/admin/models/m?verify=true", &auth()),
        b"",
        &kv,
        Some(TOKEN),
    );
    assert_eq!(error_code(&o.response, 500), "model_corrupt");
    assert!(!o.response.text().contains(&key), "{}", o.response.text());
    assert!(o.detail.unwrap_or_default().contains(&key));
}
