//! Moving requests and responses between Spin's wasi-http types and the cores' types.

use futures::StreamExt;
use sawt_api::{ApiError, RequestHead, Response};
use spin_sdk::http::{Fields, IncomingRequest, OutgoingResponse, ResponseOutparam};

/// Method, path with query, and the headers whose values are UTF-8 (others are dropped: no
/// core reads a binary header).
pub fn head(req: &IncomingRequest) -> RequestHead {
    let headers = req
        .headers()
        .entries()
        .into_iter()
        .filter_map(|(k, v)| Some((k, String::from_utf8(v).ok()?)))
        .collect();
    RequestHead {
        method: req.method().to_string(),
        path: req.path_with_query().unwrap_or_else(|| "/".into()),
        headers,
    }
}

/// Reads at most `limit + 1` bytes: one byte past the limit is enough for the core to answer
/// 413, and the rest of an oversized body is never read. A broken stream is a 400.
pub async fn read_body(req: IncomingRequest, limit: usize) -> Result<Vec<u8>, ApiError> {
    let cap = limit.saturating_add(1);
    let mut stream = req.into_body_stream();
    let mut body = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk
            .map_err(|_| ApiError::bad_request("the request body could not be read completely"))?;
        let room = cap.saturating_sub(body.len());
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if body.len() >= cap {
            break;
        }
    }
    Ok(body)
}

/// The status line and headers of `response` as Spin's outgoing response.
pub fn outgoing_head(response: &Response) -> Option<OutgoingResponse> {
    let headers: Vec<(String, Vec<u8>)> = response
        .headers
        .iter()
        .map(|(k, v)| (k.clone(), v.clone().into_bytes()))
        .collect();
    let fields = Fields::from_list(&headers).ok()?;
    let outgoing = OutgoingResponse::new(fields);
    outgoing.set_status_code(response.status).ok()?;
    Some(outgoing)
}

/// Sends a finished response. A head Spin refuses (a header value the core should never
/// produce) becomes a bare 500 rather than a trap.
pub async fn send(out: ResponseOutparam, response: Response) {
    let outgoing = match outgoing_head(&response) {
        Some(o) => o,
        None => match outgoing_head(&ApiError::internal().to_response()) {
            Some(o) => o,
            None => return,
        },
    };
    if let Err(e) = out.set_with_body(outgoing, response.body).await {
        crate::log_line(&format!("could not write the response: {e:?}"));
    }
}

/// Sends the head now and returns the body sink, for answers streamed as they are produced.
pub fn start_stream(
    out: ResponseOutparam,
    head: &Response,
) -> Option<impl futures::Sink<Vec<u8>> + Unpin> {
    let outgoing = outgoing_head(head)?;
    let sink = outgoing.take_body();
    out.set(outgoing);
    Some(sink)
}
