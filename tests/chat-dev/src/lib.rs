//! The chat function served natively over HTTP/1.1 on 127.0.0.1, with the same core
//! (`sawt_chat::plan` + `Forward` + `SseFilter`) the Spin component uses. It exists because
//! the Spin CLI cannot be installed here: the Python `openai` test and the benchmark talk
//! to it. Upstream must be `http://` (tests point it at mock-openrouter).

use std::io::{ErrorKind, Read};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use mock_openrouter::http1;
use sawt_api::{Env, Response};
use sawt_chat::{plan, read_limit, Forward, HttpRequest, Plan, TransportError, UpstreamReply};

/// Serves forever on `listener`, one thread per connection.
pub fn serve(listener: TcpListener, env: Arc<dyn Env + Send + Sync>) {
    for conn in listener.incoming() {
        let Ok(conn) = conn else { continue };
        let env = env.clone();
        std::thread::spawn(move || handle_connection(conn, &*env));
    }
}

/// Starts [`serve`] on 127.0.0.1:`port` (0 = random) in a background thread.
pub fn spawn(port: u16, env: Arc<dyn Env + Send + Sync>) -> std::io::Result<SocketAddr> {
    let listener = TcpListener::bind(("127.0.0.1", port))?;
    let addr = listener.local_addr()?;
    std::thread::spawn(move || serve(listener, env));
    Ok(addr)
}

/// Whether to print a line per request (off for the benchmark).
fn quiet() -> bool {
    std::env::var_os("SAWT_CHAT_DEV_QUIET").is_some()
}

pub fn handle_connection(conn: TcpStream, env: &dyn Env) {
    let started = Instant::now();
    let _ = conn.set_nodelay(true);
    let req = match http1::read_request(&conn, read_limit(env) as u64) {
        Ok(r) => r,
        Err(_) => {
            let e = sawt_api::ApiError::bad_request("malformed HTTP request");
            let _ = write(&conn, &e.to_response());
            return;
        }
    };
    let request = HttpRequest {
        method: &req.method,
        path: &req.path,
        authorization: req.header("authorization"),
        body: &req.body,
    };
    let outcome = match plan(&request, env) {
        Plan::Respond(response) => {
            let _ = write(&conn, &response);
            response.status.to_string()
        }
        Plan::Forward(forward) => proxy(&conn, &forward),
    };
    if !quiet() {
        // Never log headers or bodies: they hold keys and user text.
        eprintln!(
            "chat-dev: {} {} -> {outcome} in {} ms",
            req.method,
            req.path.split('?').next().unwrap_or(""),
            started.elapsed().as_millis()
        );
    }
}

fn write(mut conn: &TcpStream, r: &Response) -> std::io::Result<()> {
    http1::write_response(&mut conn, r.status, &r.headers, &r.body)
}

fn transport_kind(e: &std::io::Error) -> TransportError {
    match e.kind() {
        ErrorKind::TimedOut | ErrorKind::WouldBlock => TransportError::Timeout,
        ErrorKind::ConnectionRefused | ErrorKind::NotFound | ErrorKind::AddrNotAvailable => {
            TransportError::Connect
        }
        _ => TransportError::Other,
    }
}

fn proxy(mut conn: &TcpStream, forward: &Forward) -> String {
    let up = &forward.upstream;
    let timeout = Duration::from_secs(forward.timeout_secs);
    let mut upstream = match http1::send(up.method, &up.url, &up.headers, &up.body, timeout) {
        Ok(r) => r,
        Err(e) => {
            let kind = transport_kind(&e);
            let _ = write(conn, &forward.transport_error(kind));
            return format!("{kind:?} {}", forward.describe());
        }
    };
    let status = upstream.status;
    match forward.on_head(status, upstream.header("content-type")) {
        UpstreamReply::Stream(head, mut filter) => {
            if http1::write_head(&mut conn, head.status, &head.headers, None).is_err() {
                return "client gone".into();
            }
            let mut buf = vec![0u8; 16 * 1024];
            loop {
                let out = match upstream.body.read(&mut buf) {
                    Ok(0) => {
                        let tail = filter.finish();
                        let _ = http1::write_chunk(&mut conn, &tail);
                        break;
                    }
                    Ok(n) => filter.feed(&buf[..n]),
                    Err(e) => {
                        let tail = forward.stream_failure(&mut filter, transport_kind(&e));
                        let _ = http1::write_chunk(&mut conn, &tail);
                        break;
                    }
                };
                if http1::write_chunk(&mut conn, &out).is_err() {
                    return "200 stream (client gone)".into();
                }
            }
            let _ = http1::end_chunks(&mut conn);
            format!(
                "200 stream done={} error={} {}",
                filter.saw_done(),
                filter.saw_error(),
                forward.describe()
            )
        }
        UpstreamReply::Buffer => {
            let retry_after = upstream.header("retry-after").map(str::to_owned);
            let mut body = Vec::new();
            let limit = forward.max_response_bytes as u64 + 1;
            let response = match (&mut upstream.body).take(limit).read_to_end(&mut body) {
                Ok(_) if body.len() as u64 >= limit => {
                    forward.transport_error(TransportError::TooLarge)
                }
                Ok(_) => forward.on_buffered(status, retry_after.as_deref(), &body),
                Err(e) => forward.transport_error(transport_kind(&e)),
            };
            let _ = write(conn, &response);
            format!(
                "{} (upstream {status}) {}",
                response.status,
                forward.describe()
            )
        }
    }
}
