//! Spin component for `/admin/...`: the Spin key-value store "default" as a [`Kv`], the
//! secret variable `admin_token`, and `sawt_store::admin::handle_admin` for everything else.

use sawt_spin_kv::{SpinKv, Unavailable};
use sawt_store::admin::handle_admin;
use spin_sdk::http::{IntoResponse, Request, Response};
use spin_sdk::http_component;
use spin_sdk::key_value::Store;

#[http_component]
fn handle(req: Request) -> anyhow::Result<impl IntoResponse> {
    let method = req.method().to_string();
    let path = req.path_and_query().unwrap_or("/").to_string();
    let headers: Vec<(String, String)> = req
        .headers()
        .filter_map(|(name, value)| Some((name.to_string(), value.as_str()?.to_string())))
        .collect();
    // An unset or empty variable disables uploads (503), see ADMIN_API.md.
    let token = spin_sdk::variables::get("admin_token").ok();
    let response = match Store::open_default() {
        Ok(store) => handle_admin(
            &method,
            &path,
            &headers,
            req.body(),
            &SpinKv(store),
            token.as_deref(),
        ),
        Err(e) => handle_admin(
            &method,
            &path,
            &headers,
            req.body(),
            &Unavailable(e.to_string()),
            token.as_deref(),
        ),
    };
    // Log the route and status only: never headers (the token) or bodies.
    eprintln!(
        "admin: {method} {} -> {}",
        path.split('?').next().unwrap_or(""),
        response.status
    );
    let mut builder = Response::builder();
    builder
        .status(response.status)
        .header("content-type", response.content_type);
    for (k, v) in &response.headers {
        builder.header(k.as_str(), v.as_str());
    }
    Ok(builder.body(response.body).build())
}
