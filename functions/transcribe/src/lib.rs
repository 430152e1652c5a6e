//! Spin component for `POST /v1/audio/transcriptions` and `POST /v1/audio/translations`: a
//! thin adapter over `sawt-transcribe` on the shared `sawt-spin` adapter.

use sawt_spin::{open_default, serve_buffered, Handled};
use sawt_transcribe::{admit, handle, Request};
use spin_sdk::http::{IncomingRequest, ResponseOutparam};
use spin_sdk::http_component;

#[http_component]
async fn serve(req: IncomingRequest, out: ResponseOutparam) {
    serve_buffered(
        "transcribe",
        req,
        out,
        |head, env| admit(head, env),
        |head, body, env| {
            let request = Request {
                method: &head.method,
                path: &head.path,
                headers: &head.headers,
                body,
            };
            let outcome = handle(&request, env, &*open_default());
            let t = outcome.timings;
            Handled {
                response: outcome.response,
                log: format!(
                " (audio {} ms, kv read {} ms for {} bytes, model build {} ms, inference {} ms){}",
                t.audio.as_millis(),
                t.kv_read.as_millis(),
                t.model_bytes,
                t.model_build.as_millis(),
                t.inference.as_millis(),
                outcome.detail.map(|d| format!(": {d}")).unwrap_or_default(),
            ),
            }
        },
    )
    .await
}
