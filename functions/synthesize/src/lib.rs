//! Spin component for `POST /v1/audio/speech` and `/v1/audio/voices`: a thin adapter over
//! `sawt-synthesize` on the shared `sawt-spin` adapter. Speech is written to the client as it
//! is synthesised.

use sawt_spin::{open_default, serve_streamed};
use sawt_synthesize::{admit, handle, Request};
use spin_sdk::http::{IncomingRequest, ResponseOutparam};
use spin_sdk::http_component;

#[http_component]
async fn serve(req: IncomingRequest, out: ResponseOutparam) {
    serve_streamed(
        "synthesize",
        req,
        out,
        |head, env| admit(head, env),
        |head, body, env, output| {
            let request = Request {
                method: &head.method,
                path: &head.path,
                headers: &head.headers,
                body,
            };
            let outcome = handle(&request, env, &*open_default(), output);
            let t = outcome.timings;
            format!(
                " (kv read {} ms for {} bytes, model build {} ms, first audio {}, {} text tokens, \
                 {} codes, {:.2} s of audio){}",
                t.kv_read.as_millis(),
                t.model_bytes,
                t.model_build.as_millis(),
                t.first_audio
                    .map_or("-".into(), |d| format!("{} ms", d.as_millis())),
                t.text_tokens,
                t.codes,
                t.audio_seconds,
                outcome.detail.map(|d| format!(": {d}")).unwrap_or_default(),
            )
        },
    )
    .await
}
