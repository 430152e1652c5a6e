//! The harness against a real Spin component: `tests/harness-guest`, built for wasm32-wasip1
//! with spin-sdk 5 and deployed twice by `tests/harness-guest/spin.toml` ("probe" with
//! grants, "bare" with none). Build it first:
//! `cargo build --target wasm32-wasip1 --release -p harness-guest`.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use spin_harness::{Harness, HarnessError, HarnessOptions, HarnessResponse, KvLimits, RepeatBody};

fn manifest() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../harness-guest/spin.toml")
}

fn options() -> HarnessOptions {
    HarnessOptions::new()
        .without_env()
        .variable("api_token", "t0ken-s3cret")
}

fn harness(options: HarnessOptions) -> Harness {
    Harness::from_manifest(manifest(), options).unwrap_or_else(|e| panic!("{e}"))
}

async fn get_text(h: &Harness, path: &str) -> (u16, String) {
    let r = h
        .get(path)
        .await
        .unwrap_or_else(|e| panic!("GET {path}: {e}"));
    (r.status.as_u16(), r.text())
}

/// The `field=value` item of the guest's echo line.
fn field<'a>(echo: &'a str, name: &str) -> &'a str {
    echo.split(' ')
        .find_map(|kv| kv.strip_prefix(name).and_then(|r| r.strip_prefix('=')))
        .unwrap_or_else(|| panic!("no {name} in {echo:?}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn routes_follow_spin_toml() {
    let h = harness(options());

    let (status, echo) = get_text(&h, "/probe/?q=1").await;
    assert_eq!(status, 200);
    assert_eq!(field(&echo, "component-route"), "/probe");
    assert_eq!(field(&echo, "matched-route"), "/probe/...");
    assert_eq!(field(&echo, "path-info"), "/");
    assert_eq!(field(&echo, "full-url"), "http://localhost/probe/?q=1");
    assert_eq!(field(&echo, "base-path"), "/");

    // The exact route beats the wildcard that also covers it, and goes to the other component.
    let (_, echo) = get_text(&h, "/probe/exact").await;
    assert_eq!(field(&echo, "component-route"), "/probe/exact");
    assert_eq!(field(&echo, "path-info"), "");
    let (status, body) = get_text(&h, "/probe/exactly").await;
    assert_eq!((status, body.as_str()), (404, "no probe for GET /exactly"));

    let (_, echo) = get_text(&h, "/users/42/").await;
    assert_eq!(field(&echo, "component-route"), "/users/:id");
    assert_eq!(field(&echo, "matched-route"), "/users/:id/...");
    assert_eq!(field(&echo, "raw-component-route"), "/users/:id/...");
    assert_eq!(field(&echo, "path-match-id"), "42");

    // No route: Spin's empty 404 without running anything.
    let r = h.get("/nowhere").await.unwrap();
    assert_eq!(r.status, 404);
    assert!(r.body.is_empty());
    assert!(r.metrics.is_none());
    let r = h.get("/.well-known/spin/health").await.unwrap();
    assert_eq!((r.status.as_u16(), r.text().as_str()), (200, "OK"));

    let mut routes = h.routes();
    routes.sort();
    let expected = [
        ("/bare/...", "bare"),
        ("/probe/...", "probe"),
        ("/probe/exact", "bare"),
        ("/users/:id/...", "bare"),
    ]
    .map(|(r, c)| (r.to_owned(), c.to_owned()));
    assert_eq!(routes, expected);
    h.assert_clean();
}

#[tokio::test(flavor = "multi_thread")]
async fn variables_resolve_like_spin() {
    let h = harness(options());
    assert_eq!(
        get_text(&h, "/probe/var/greeting").await,
        (200, "hello, world".into())
    );
    assert_eq!(
        get_text(&h, "/probe/var/token").await,
        (200, "t0ken-s3cret".into())
    );
    assert_eq!(
        get_text(&h, "/probe/var/literal").await,
        (200, "plain value".into())
    );
    // Application variables are reachable only through the component's own mapping.
    assert_eq!(
        get_text(&h, "/probe/var/api_token").await,
        (
            404,
            r#"Error::Undefined("no variable for \"probe\".\"api_token\"")"#.into()
        )
    );
    assert_eq!(
        get_text(&h, "/bare/var/greeting").await,
        (
            404,
            r#"Error::Undefined("no variable for \"bare\".\"greeting\"")"#.into()
        )
    );
    let (status, body) = get_text(&h, "/probe/var/Greeting").await;
    assert_eq!(status, 404);
    assert!(body.starts_with("Error::InvalidName("), "{body}");

    // Overrides (spin up --variable) win over defaults.
    let h = harness(options().variable("greeting", "ahlan"));
    assert_eq!(
        get_text(&h, "/probe/var/greeting").await,
        (200, "ahlan, world".into())
    );

    // A required variable without a value stops the app from starting, as in Spin.
    let err = Harness::from_manifest(manifest(), HarnessOptions::new().without_env())
        .err()
        .expect("api_token is required");
    assert!(
        matches!(&err, HarnessError::Variables { message } if message.contains("SPIN_VARIABLE_API_TOKEN")),
        "{err}"
    );
    let err = Harness::from_manifest(manifest(), options().variable("undeclared", "x"))
        .err()
        .expect("overrides must be declared");
    assert!(err.to_string().contains("\"undeclared\""), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn component_environment_is_passed() {
    let h = harness(options());
    assert_eq!(
        get_text(&h, "/probe/env/PROBE_ENV").await,
        (200, "from-manifest".into())
    );
    assert_eq!(
        get_text(&h, "/bare/env/PROBE_ENV").await,
        (404, "NotPresent".into())
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn key_value_store_is_shared_granted_and_limited() {
    let h = harness(options());
    let put = |path: &'static str, body: Vec<u8>| {
        let h = h.clone();
        async move {
            let r = h
                .send("PUT", path, "application/octet-stream", body)
                .await
                .unwrap();
            (r.status.as_u16(), r.text())
        }
    };
    assert_eq!(
        put("/probe/kv/model", b"weights".to_vec()).await,
        (200, "Ok(7)".into())
    );
    // A later request is a fresh instance, yet sees the value: one store per app.
    assert_eq!(
        get_text(&h, "/probe/kv/model").await,
        (200, "weights".into())
    );
    assert_eq!(h.kv("default").unwrap().get("model").unwrap(), b"weights");
    assert_eq!(get_text(&h, "/probe/kv/absent").await, (404, "None".into()));

    assert_eq!(
        put("/probe/kv/chunk", vec![7; 1_000_000]).await,
        (200, "Ok(1000000)".into())
    );
    // A full store is `other(..)` naming the limit, as Spin's own size limit answers; the
    // text is sawt_store::MemKv's, the store the native tests use.
    assert_eq!(
        put("/probe/kv/chunk", vec![7; 1_000_001]).await,
        (
            500,
            r#"Error::Other("value for key chunk is 1000001 bytes, over the store's 1000000-byte limit")"#.into()
        )
    );
    let long_key = format!("/probe/kv/{}", "k".repeat(256));
    let r = h
        .send("PUT", &long_key, "application/octet-stream", b"x".to_vec())
        .await
        .unwrap();
    assert_eq!(
        (r.status.as_u16(), r.text()),
        (
            500,
            r#"Error::Other("key of 256 bytes is over the store's 255-byte limit")"#.into()
        )
    );
    assert_eq!(
        get_text(&h, "/probe/kv-keys/").await,
        (200, "chunk,model".into())
    );

    // Only granted labels open; "default" is the only store that exists.
    assert_eq!(
        get_text(&h, "/bare/kv/model").await,
        (500, "Error::AccessDenied".into())
    );
    assert_eq!(
        get_text(&h, "/probe/kv-open/default").await,
        (200, "Ok".into())
    );
    assert_eq!(
        get_text(&h, "/probe/kv-open/models").await,
        (403, "Error::AccessDenied".into())
    );

    // Fermyon Cloud's 1,024 keys per store.
    let h = harness(options());
    let r = h
        .send("PUT", "/probe/kv-fill/1024/1", "text/plain", "")
        .await
        .unwrap();
    assert_eq!(r.text(), "Ok(1024)");
    let r = h
        .send("PUT", "/probe/kv/one-more", "text/plain", "x")
        .await
        .unwrap();
    assert_eq!(
        (r.status.as_u16(), r.text()),
        (
            500,
            r#"Error::Other("the key-value store is full (1024 keys)")"#.into()
        )
    );
    assert_eq!(h.kv("default").unwrap().keys().len(), 1_024);

    // `store-table-full` is Spin's answer to too many open handles in one instance, not to a
    // full store: 256 at once open, the next does not.
    let r = h
        .send("PUT", "/probe/kv-open-many/256", "text/plain", "")
        .await
        .unwrap();
    assert_eq!((r.status.as_u16(), r.text()), (200, "Ok(256)".into()));
    let r = h
        .send("PUT", "/probe/kv-open-many/257", "text/plain", "")
        .await
        .unwrap();
    assert_eq!(
        (r.status.as_u16(), r.text()),
        (500, "open 256: Error::StoreTableFull".into())
    );

    // `spin up` itself has no limits; the harness can run that way too.
    let unlimited = harness(options().kv_limits(KvLimits::UNLIMITED));
    let r = unlimited
        .send(
            "PUT",
            "/probe/kv/big",
            "application/octet-stream",
            vec![1; 1_048_577],
        )
        .await
        .unwrap();
    assert_eq!(r.text(), "Ok(1048577)");
    unlimited.assert_clean();
}

/// A one-shot HTTP upstream on 127.0.0.1 that counts the connections it accepts.
fn upstream() -> (u16, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            counter.fetch_add(1, Ordering::SeqCst);
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            let _ = stream.write_all(
                b"HTTP/1.1 200 OK\r\ncontent-length: 8\r\nconnection: close\r\n\r\nupstream",
            );
        }
    });
    (port, hits)
}

fn encode(url: &str) -> String {
    url.replace('%', "%25")
        .replace(':', "%3A")
        .replace('/', "%2F")
}

#[tokio::test(flavor = "multi_thread")]
async fn outbound_only_to_declared_hosts() {
    let (port, hits) = upstream();
    let h = harness(options());
    let allowed = format!("http://127.0.0.1:{port}/hello");

    let (status, body) = get_text(&h, &format!("/probe/fetch/{}", encode(&allowed))).await;
    assert_eq!((status, body.as_str()), (200, "upstream 200 upstream"));
    assert_eq!(hits.load(Ordering::SeqCst), 1);

    // Same server, but under a name the component did not declare.
    let undeclared = format!("http://localhost:{port}/hello");
    let (status, body) = get_text(&h, &format!("/probe/fetch/{}", encode(&undeclared))).await;
    assert_eq!(
        (status, body.as_str()),
        (502, "Http(ErrorCode::HttpRequestDenied)")
    );
    // And a component that declared nothing at all.
    let (status, body) = get_text(&h, &format!("/bare/fetch/{}", encode(&allowed))).await;
    assert_eq!(
        (status, body.as_str()),
        (502, "Http(ErrorCode::HttpRequestDenied)")
    );
    assert_eq!(
        hits.load(Ordering::SeqCst),
        1,
        "a denied request reached the server"
    );

    let attempts = h.outbound_attempts();
    assert_eq!(attempts.len(), 3);
    assert!(attempts[0].allowed && attempts[0].url == allowed);
    let denied: Vec<_> = h
        .denied_outbound()
        .into_iter()
        .map(|a| (a.component, a.url))
        .collect();
    assert_eq!(
        denied,
        [
            ("probe".to_owned(), undeclared.clone()),
            ("bare".to_owned(), allowed.clone())
        ]
    );

    // The allow-list template follows the variable: now only `localhost` is declared.
    let h = harness(options().variable("upstream_host", "localhost"));
    let (status, _) = get_text(&h, &format!("/probe/fetch/{}", encode(&allowed))).await;
    assert_eq!(status, 502);
    let (status, body) = get_text(&h, &format!("/probe/fetch/{}", encode(&undeclared))).await;
    assert_eq!((status, body.as_str()), (200, "upstream 200 upstream"));
    assert_eq!(hits.load(Ordering::SeqCst), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn traps_are_errors_not_responses() {
    let h = harness(options());
    match h.get("/probe/trap").await {
        Err(HarnessError::Trap {
            component, output, ..
        }) => {
            assert_eq!(component, "probe");
            assert!(output.contains("probe asked to trap"), "{output}");
        }
        other => panic!("expected a trap, got {other:?}"),
    }
    let traps = h.traps();
    assert_eq!(traps.len(), 1);
    assert_eq!(traps[0].status, 500);
    // The next request is a fresh instance and works.
    assert_eq!(get_text(&h, "/probe/var/literal").await.0, 200);
    assert_eq!(h.traps().len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn memory_is_measured_and_can_be_capped() {
    let h = harness(options());
    let r = h.get("/probe/alloc/16").await.unwrap();
    assert_eq!(r.text(), format!("allocated {}", 16 << 20));
    let peak = r.metrics.unwrap().peak_memory_bytes;
    assert!(peak >= 16 << 20, "peak {peak}");
    // A request that allocates little reports its small (initial) memory, not 0.
    let r = h.get("/probe/var/literal").await.unwrap();
    let small = r.metrics.unwrap().peak_memory_bytes;
    assert!(small > 0 && small < 4 << 20, "peak {small}");

    // A body streamed from the test reaches the guest whole, and a guest that buffers it
    // (spin-sdk's `Request` does) shows it in its peak memory.
    let body_len: usize = 48 << 20;
    let request = http::Request::put("/probe/len")
        .header("host", "localhost")
        .header("content-length", body_len)
        .body(RepeatBody::new(b'x', body_len as u64))
        .unwrap();
    let r = h.handle_streaming(request).await.unwrap();
    assert_eq!(r.text(), body_len.to_string());
    let peak = r.metrics.unwrap().peak_memory_bytes;
    assert!(peak >= body_len, "peak {peak}");

    let h = harness(options().memory_limit(8 << 20));
    assert!(matches!(
        h.get("/probe/alloc/16").await,
        Err(HarnessError::Trap { .. })
    ));
}

/// A guest that outlives its deadline pins a runtime worker, and dropping that runtime would
/// then hang; so the scenario runs on its own thread and runtime, and this test fails if it
/// has not finished in time instead of hanging the suite.
#[test]
fn a_guest_past_its_deadline_fails_the_request() {
    let (done, finished) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            rt.block_on(missed_deadlines())
        }));
        let _ = done.send(outcome);
    });
    match finished.recv_timeout(Duration::from_secs(90)) {
        Ok(Ok(())) => {}
        Ok(Err(panic)) => std::panic::resume_unwind(panic),
        Err(_) => panic!("the deadline scenario was still running after 90 s"),
    }
}

async fn missed_deadlines() {
    assert_eq!(
        HarnessOptions::new().request_deadline,
        Duration::from_secs(300)
    );
    let h = harness(options().request_deadline(Duration::from_secs(1)));
    let expect_deadline = |result: Result<HarnessResponse, HarnessError>| match result {
        Err(HarnessError::Trap {
            component, message, ..
        }) => {
            assert_eq!(component, "probe");
            assert!(
                message.starts_with("request deadline of 1s exceeded"),
                "{message}"
            );
        }
        other => panic!("expected a missed deadline, got {other:?}"),
    };
    // Busy in wasm code (stopped by epoch interruption) and parked in a host call (stopped by
    // the timer): both end at the deadline, not when the guest would.
    for path in ["/probe/spin", "/probe/sleep/30000"] {
        let started = std::time::Instant::now();
        // Bounded here too, so a harness that lost its deadline fails instead of hanging.
        let result = tokio::time::timeout(Duration::from_secs(20), h.get(path))
            .await
            .unwrap_or_else(|_| panic!("{path} still running after 20 s"));
        expect_deadline(result);
        let took = started.elapsed();
        assert!(
            took >= Duration::from_secs(1) && took < Duration::from_secs(10),
            "{path} took {took:?}"
        );
    }
    let traps = h.traps();
    assert_eq!(traps.len(), 2);
    assert!(traps.iter().all(|m| m.status == 500), "{traps:#?}");
    // A request inside the deadline is untouched.
    assert_eq!(
        get_text(&h, "/probe/sleep/10").await,
        (200, "slept 10".into())
    );

    // On the wire it is Spin's empty 500.
    let addr = h.serve("127.0.0.1:0").await.unwrap();
    let (status, body) = tokio::task::spawn_blocking(move || {
        http_over_tcp(
            addr,
            &format!("GET /probe/spin HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\n\r\n"),
        )
    })
    .await
    .unwrap();
    assert_eq!((status, body.as_str()), (500, ""));
    assert_eq!(h.traps().len(), 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn fresh_instance_per_request_with_cold_start_measured() {
    let h = harness(options());
    for _ in 0..20 {
        assert_eq!(get_text(&h, "/probe/var/literal").await.0, 200);
    }
    let metrics = h.metrics();
    assert_eq!(metrics.len(), 20);
    let mut cold: Vec<Duration> = metrics.iter().map(|m| m.instantiate).collect();
    cold.sort();
    assert!(cold[0] > Duration::ZERO);
    eprintln!(
        "harness-guest: per-request instantiate median {:?}, max {:?}, request total median {:?}; compile {:?}",
        cold[cold.len() / 2],
        cold[cold.len() - 1],
        {
            let mut t: Vec<_> = metrics.iter().map(|m| m.total).collect();
            t.sort();
            t[t.len() / 2]
        },
        h.compile_times()
    );
}

/// Minimal HTTP/1.1 exchange over a real socket, as a browser or SDK would do it.
fn http_over_tcp(addr: std::net::SocketAddr, request: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut raw = String::new();
    stream.read_to_string(&mut raw).unwrap();
    let status = raw[9..12].parse().unwrap();
    let body = raw
        .split_once("\r\n\r\n")
        .map(|(_, b)| b)
        .unwrap_or("")
        .to_owned();
    (status, body)
}

#[tokio::test(flavor = "multi_thread")]
async fn serves_on_a_loopback_listener() {
    let h = harness(options());
    let addr = h.serve("127.0.0.1:0").await.unwrap();
    assert!(addr.ip().is_loopback() && addr.port() != 0);

    let request =
        |path: &str| format!("GET {path} HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\n\r\n");
    let (status, body) = tokio::task::spawn_blocking({
        let r = request("/probe/var/greeting");
        move || http_over_tcp(addr, &r)
    })
    .await
    .unwrap();
    assert_eq!(status, 200);
    assert!(body.contains("hello, world"), "{body:?}");

    let (status, echo) = tokio::task::spawn_blocking({
        let r = request("/probe/");
        move || http_over_tcp(addr, &r)
    })
    .await
    .unwrap();
    assert_eq!(status, 200);
    assert!(
        echo.contains(&format!("full-url=http://{addr}/probe/")),
        "{echo}"
    );

    // A trap on the wire is Spin's empty 500, and the harness still records it.
    let (status, _) = tokio::task::spawn_blocking({
        let r = request("/probe/trap");
        move || http_over_tcp(addr, &r)
    })
    .await
    .unwrap();
    assert_eq!(status, 500);
    assert_eq!(h.traps().len(), 1);
}

#[test]
fn a_missing_wasm_names_its_build_command() {
    let err = Harness::from_manifest(manifest(), options().target_dir("/nonexistent-target"))
        .err()
        .expect("no wasm there");
    let message = err.to_string();
    assert!(
        message.contains("cargo build --target wasm32-wasip1 --release -p harness-guest"),
        "{message}"
    );
    assert!(message.contains("/nonexistent-target/wasm32-wasip1/release/harness_guest.wasm"));
}
