//! The one Spin adapter every sawt component is built on. A component's `lib.rs` reads the
//! request head, asks its core to admit it, reads the body under the core's limit, calls the
//! core and sends the response; everything Spin-specific lives here.
//!
//! ```ignore
//! #[http_component]
//! async fn handle(req: IncomingRequest, out: ResponseOutparam) {
//!     sawt_spin::serve_buffered("admin", req, out, |head, env| admit(head, env), |head, body, env| …).await
//! }
//! ```

mod env;
mod http;
mod kv;
mod log;
pub mod outbound;
mod output;

use std::time::Instant;

use sawt_api::{ApiError, RequestHead, Response};
use spin_sdk::http::{IncomingRequest, ResponseOutparam};

pub use env::SpinEnv;
pub use http::{head, outgoing_head, read_body, send, start_stream};
pub use kv::{open_default, SpinKv};
pub use log::log_line;
pub use output::SpinOutput;

/// What a buffered handler answered, and what the log line adds after the status (timings, a
/// server-side cause). Never headers, bodies or transcripts.
pub struct Handled {
    pub response: Response,
    pub log: String,
}

impl From<Response> for Handled {
    fn from(response: Response) -> Self {
        Self {
            response,
            log: String::new(),
        }
    }
}

/// Serves a request whose answer is built whole: `admit` decides from the head alone (route,
/// method, credentials) and returns the body limit; only then is the body read, at most one
/// byte past that limit, and given to `handle`. One log line per request:
/// `component: METHOD /route -> status in N ms…`.
pub async fn serve_buffered<A, H>(
    component: &str,
    req: IncomingRequest,
    out: ResponseOutparam,
    admit: A,
    handle: H,
) where
    A: FnOnce(&RequestHead, &SpinEnv) -> Result<usize, ApiError>,
    H: FnOnce(&RequestHead, &[u8], &SpinEnv) -> Handled,
{
    serve_streamed(component, req, out, admit, |head, body, env, output| {
        let handled = handle(head, body, env);
        sawt_api::Output::respond(output, handled.response);
        handled.log
    })
    .await
}

/// Serves a request whose answer the core writes to an [`Output`](sawt_api::Output), whole or
/// streamed as it is produced: `admit` decides from the head alone and returns the body limit;
/// only then is the body read (at most one byte past the limit) and given to `handle`, which
/// returns what the log line adds after the status. One log line per request.
pub async fn serve_streamed<A, H>(
    component: &str,
    req: IncomingRequest,
    out: ResponseOutparam,
    admit: A,
    handle: H,
) where
    A: FnOnce(&RequestHead, &SpinEnv) -> Result<usize, ApiError>,
    H: FnOnce(&RequestHead, &[u8], &SpinEnv, &mut SpinOutput) -> String,
{
    use sawt_api::Output;
    let started = Instant::now();
    let env = SpinEnv::default();
    let head = head(&req);
    let mut output = SpinOutput::new(out);
    let log = match admit(&head, &env) {
        Err(e) => {
            output.respond(e.to_response());
            String::new()
        }
        Ok(limit) => match read_body(req, limit).await {
            Err(e) => {
                output.respond(e.to_response());
                String::new()
            }
            Ok(body) => handle(&head, &body, &env, &mut output),
        },
    };
    output.finish();
    log_line(&format!(
        "{component}: {} {} -> {} in {} ms{log}",
        head.method,
        head.route(),
        output.status,
        started.elapsed().as_millis(),
    ));
}
