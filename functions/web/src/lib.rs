//! Spin component for `/` and `/web/...`: the voice-chat page. Every asset is compiled into
//! the component (`include_bytes!`), so the page needs no files, CDN or network of its own;
//! the answers are built by [`site::respond`], a function of (request head, settings).

mod site;

use sawt_spin::{serve_buffered, Handled};
use spin_sdk::http::{IncomingRequest, ResponseOutparam};
use spin_sdk::http_component;

#[http_component]
async fn serve(req: IncomingRequest, out: ResponseOutparam) {
    serve_buffered(
        "web",
        req,
        out,
        // GET and HEAD only; no body is read (limit 0).
        |head, _| site::admit(head).map(|()| 0),
        |head, _, env| Handled::from(site::respond(head, &site::Settings::from_env(env))),
    )
    .await
}
