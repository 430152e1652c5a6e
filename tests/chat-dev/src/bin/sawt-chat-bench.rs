//! `sawt-chat-bench [N]`: added latency of the chat proxy (native dev server, same core as
//! the Spin component) over calling the mock OpenRouter directly, p50/p99, for a
//! non-streaming completion and a streamed one (awkwardly split into ~90 chunks).
//! Both paths open a fresh connection per request, as the proxy does upstream.

use std::io::Read;
use std::sync::Arc;
use std::time::{Duration, Instant};

use mock_openrouter::http1;
use sawt_api::MapEnv;

fn run_once(url: &str, headers: &[(String, String)], body: &[u8]) -> Duration {
    let started = Instant::now();
    let mut r = match http1::send("POST", url, headers, body, Duration::from_secs(10)) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("request failed: {e}");
            std::process::exit(1);
        }
    };
    let mut sink = Vec::new();
    if r.body.read_to_end(&mut sink).is_err() || r.status != 200 {
        eprintln!("bad answer: {}", r.status);
        std::process::exit(1);
    }
    started.elapsed()
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1000);
    std::env::set_var("SAWT_CHAT_DEV_QUIET", "1");
    let (_, mock) = mock_openrouter::start();
    mock.set_chunk_delay(Duration::ZERO);
    let env = MapEnv::new()
        .with("openrouter_api_key", "sk-or-v1-bench")
        .with("openrouter_base_url", &mock.base_url());
    let chat = match sawt_chat_dev::spawn(0, Arc::new(env)) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("cannot start the dev server: {e}");
            std::process::exit(1);
        }
    };
    let direct_url = format!("{}/chat/completions", mock.base_url());
    let proxy_url = format!("http://{chat}/v1/chat/completions");
    let auth = vec![(
        "authorization".to_owned(),
        "Bearer sk-or-v1-bench".to_owned(),
    )];

    println!(
        "chat proxy latency, {n} requests per row (mock upstream on 127.0.0.1, fresh connections)"
    );
    println!(
        "{:<14} {:>12} {:>12} {:>12} {:>12} {:>14} {:>14}",
        "mode", "direct p50", "direct p99", "proxy p50", "proxy p99", "added p50", "added p99"
    );
    for stream in [false, true] {
        let body = format!(
            r#"{{"model":"google/gemma-2-27b-it","messages":[{{"role":"user","content":"ازيك يا صوت؟"}}],"stream":{stream}}}"#
        );
        // Direct requests carry the same persona-sized body the proxy sends upstream.
        let direct_body = format!(
            r#"{{"model":"google/gemma-2-27b-it","messages":[{{"role":"system","content":"{}"}},{{"role":"user","content":"ازيك يا صوت؟"}}],"stream":{stream}}}"#,
            "x".repeat(1200)
        );
        for _ in 0..50 {
            run_once(&direct_url, &auth, direct_body.as_bytes());
            run_once(&proxy_url, &[], body.as_bytes());
        }
        let mut direct = Vec::with_capacity(n);
        let mut proxied = Vec::with_capacity(n);
        // Interleaved so drift hits both equally.
        for _ in 0..n {
            direct.push(run_once(&direct_url, &auth, direct_body.as_bytes()));
            proxied.push(run_once(&proxy_url, &[], body.as_bytes()));
        }
        direct.sort();
        proxied.sort();
        let (d50, d99, p50, p99) = (
            pct(&direct, 0.5),
            pct(&direct, 0.99),
            pct(&proxied, 0.5),
            pct(&proxied, 0.99),
        );
        println!(
            "{:<14} {:>9.0} µs {:>9.0} µs {:>9.0} µs {:>9.0} µs {:>11.0} µs {:>11.0} µs",
            if stream { "stream" } else { "non-stream" },
            us(d50),
            us(d99),
            us(p50),
            us(p99),
            us(p50) - us(d50),
            us(p99) - us(d99)
        );
    }
    mock.shutdown();
}
