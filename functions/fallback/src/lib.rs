//! Spin component on `/...`: every path no other component claims answers 404 in the OpenAI
//! envelope (Spin's own answer is an empty 404 body, which SDKs cannot parse). No body is
//! read.

use sawt_api::unknown_route;
use sawt_spin::serve_buffered;
use spin_sdk::http::{IncomingRequest, ResponseOutparam};
use spin_sdk::http_component;

#[http_component]
async fn serve(req: IncomingRequest, out: ResponseOutparam) {
    serve_buffered(
        "fallback",
        req,
        out,
        |head, _| Err(unknown_route(&head.method, head.route())),
        |_, _, _| unreachable_answer(),
    )
    .await
}

/// `admit` never admits, so this is not called; answering 500 keeps it total anyway.
fn unreachable_answer() -> sawt_spin::Handled {
    sawt_api::ApiError::internal().to_response().into()
}
