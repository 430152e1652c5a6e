//! A test-only Spin component that exercises every host interface the harness provides.
//!
//! It is deployed under several component ids in `spin.toml` (same wasm, different
//! permissions), so one build tests both "declared" and "undeclared" access. Every answer is
//! plain text that names the exact host result (`Ok(..)` / the Spin error variant) so the
//! harness tests can assert Spin's semantics, not just a status code.

use spin_sdk::http::{IntoResponse, Method, Request, Response};
use spin_sdk::http_component;
use spin_sdk::key_value::Store;

#[http_component]
async fn handle(req: Request) -> anyhow::Result<impl IntoResponse> {
    let header = |name: &str| {
        req.header(name)
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_owned()
    };
    // The router passes the part after a `/...` wildcard in `spin-path-info`; dispatching on it
    // keeps the guest independent of where spin.toml mounts it.
    let path_info = header("spin-path-info");
    let mut parts = path_info.trim_start_matches('/').splitn(3, '/');
    let (head, arg, rest) = (
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
    );
    let arg = percent_decode(arg);

    Ok(match (req.method(), head) {
        (Method::Get, "") => text(
            200,
            format!(
                "component-route={} matched-route={} path-info={} full-url={} base-path={} raw-component-route={} path-match-id={}",
                header("spin-component-route"),
                header("spin-matched-route"),
                path_info,
                header("spin-full-url"),
                header("spin-base-path"),
                header("spin-raw-component-route"),
                header("spin-path-match-id"),
            ),
        ),
        (Method::Get, "var") => match spin_sdk::variables::get(&arg) {
            Ok(value) => text(200, value),
            Err(e) => text(404, format!("{e:?}")),
        },
        (Method::Get, "env") => match std::env::var(&arg) {
            Ok(value) => text(200, value),
            Err(e) => text(404, format!("{e:?}")),
        },
        (Method::Get, "kv-open") => match Store::open(&arg) {
            Ok(_) => text(200, "Ok"),
            Err(e) => text(403, format!("{e:?}")),
        },
        (Method::Get, "kv") => match Store::open_default().and_then(|s| s.get(&arg)) {
            Ok(Some(value)) => Response::new(200, value),
            Ok(None) => text(404, "None"),
            Err(e) => text(500, format!("{e:?}")),
        },
        (Method::Put, "kv") => {
            match Store::open_default().and_then(|s| s.set(&arg, req.body())) {
                Ok(()) => text(200, format!("Ok({})", req.body().len())),
                Err(e) => text(500, format!("{e:?}")),
            }
        }
        // PUT /kv-fill/<n>/<bytes>: writes keys fill-0..n of the given size (key-count limit).
        (Method::Put, "kv-fill") => {
            let n: usize = arg.parse().unwrap_or(0);
            let size: usize = rest.parse().unwrap_or(0);
            let store = Store::open_default()?;
            let mut answer = text(200, format!("Ok({n})"));
            for i in 0..n {
                if let Err(e) = store.set(&format!("fill-{i}"), &vec![b'x'; size]) {
                    answer = text(500, format!("key {i}: {e:?}"));
                    break;
                }
            }
            answer
        }
        (Method::Get, "kv-keys") => match Store::open_default().and_then(|s| s.get_keys()) {
            Ok(mut keys) => {
                keys.sort();
                text(200, keys.join(","))
            }
            Err(e) => text(500, format!("{e:?}")),
        },
        (Method::Delete, "kv") => match Store::open_default().and_then(|s| s.delete(&arg)) {
            Ok(()) => text(200, "Ok"),
            Err(e) => text(500, format!("{e:?}")),
        },
        // GET /fetch/<percent-encoded url>: outbound GET, answers the upstream status and body.
        (Method::Get, "fetch") => {
            let outbound = Request::new(Method::Get, arg.as_str());
            match spin_sdk::http::send::<_, Response>(outbound).await {
                Ok(resp) => text(
                    200,
                    format!(
                        "upstream {} {}",
                        resp.status(),
                        String::from_utf8_lossy(resp.body())
                    ),
                ),
                Err(e) => text(502, format!("{e:?}")),
            }
        }
        // GET /alloc/<MiB>: touch that much memory, for the harness's memory accounting.
        (Method::Get, "alloc") => {
            let mib: usize = arg.parse().unwrap_or(0);
            let block = vec![1u8; mib << 20];
            text(200, format!("allocated {}", block.iter().map(|&b| b as usize).sum::<usize>()))
        }
        // PUT /kv-open-many/<n>: holds n open handles at once; answers the first failure.
        (Method::Put, "kv-open-many") => {
            let n: usize = arg.parse().unwrap_or(0);
            let mut open = Vec::with_capacity(n);
            let mut answer = text(200, format!("Ok({n})"));
            for i in 0..n {
                match Store::open_default() {
                    Ok(store) => open.push(store),
                    Err(e) => {
                        answer = text(500, format!("open {i}: {e:?}"));
                        break;
                    }
                }
            }
            answer
        }
        (Method::Get, "trap") => panic!("probe asked to trap"),
        // GET /spin: never answers, busy in wasm code (the harness's epoch deadline).
        (Method::Get, "spin") => spin_forever(),
        // GET /sleep/<ms>: blocks in a host call, then answers (the harness's timer deadline).
        (Method::Get, "sleep") => {
            let ms: u64 = arg.parse().unwrap_or(0);
            std::thread::sleep(std::time::Duration::from_millis(ms));
            text(200, format!("slept {ms}"))
        }
        (Method::Post, "echo") => Response::new(200, req.body().to_vec()),
        // PUT /len: the body length; spin-sdk's `Request` has read it all into guest memory.
        (Method::Put, "len") => text(200, req.body().len().to_string()),
        _ => text(404, format!("no probe for {} {path_info}", req.method())),
    })
}

fn spin_forever() -> ! {
    let mut n = 0u64;
    loop {
        // black_box keeps the loop from being optimised into something that ends.
        n = std::hint::black_box(n.wrapping_add(1));
    }
}

fn text(status: u16, body: impl Into<String>) -> Response {
    Response::builder()
        .status(status)
        .header("content-type", "text/plain; charset=utf-8")
        .body(body.into())
        .build()
}

/// Minimal %XX decoding so a full URL can travel in one path segment.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
