//! Spin component for `/admin/...`: a thin adapter over `sawt-admin` on the shared
//! `sawt-spin` adapter. The token is checked from the headers before any body byte is read.

use sawt_admin::{admit, handle_with, ADMIN_TOKEN_VAR};
use sawt_api::Env;
use sawt_spin::{open_default, serve_buffered, Handled};
use sawt_store::StoreConfig;
use spin_sdk::http::{IncomingRequest, ResponseOutparam};
use spin_sdk::http_component;

#[http_component]
async fn serve(req: IncomingRequest, out: ResponseOutparam) {
    let cfg = StoreConfig::default();
    serve_buffered(
        "admin",
        req,
        out,
        // An unset or empty token disables uploads (503), see ADMIN_API.md.
        |head, env| admit(head, env.var(ADMIN_TOKEN_VAR).as_deref(), &cfg),
        |head, body, env| {
            let token = env.var(ADMIN_TOKEN_VAR);
            let o = handle_with(&cfg, head, body, &*open_default(), token.as_deref());
            Handled {
                response: o.response,
                log: o.detail.map(|d| format!(": {d}")).unwrap_or_default(),
            }
        },
    )
    .await
}
