//! Outbound HTTP with timeouts, for components that call an upstream (chat → OpenRouter).
//!
//! `spin_sdk::http::send` cannot set timeouts, so requests go through wasi-http's
//! `outgoing-handler` directly with connect / first-byte / between-bytes timeouts, and the
//! host's error codes are classified as [`TransportError`]s the cores turn into statuses.

use std::future::Future;
use std::task::Poll;
use std::time::Duration;

use futures::{SinkExt, Stream, StreamExt};
use sawt_api::http::{split_url, TransportError};
use spin_sdk::http::{Fields, IncomingResponse, Method, OutgoingRequest, Scheme};
use spin_sdk::wit::wasi::http0_2_0::outgoing_handler;
use spin_sdk::wit::wasi::http0_2_0::types::{http_error_code, ErrorCode, RequestOptions};

use crate::log_line;

/// A POST to send upstream. `headers` may hold keys: they are never logged.
pub struct Outbound<'a> {
    pub url: &'a str,
    pub headers: &'a [(String, String)],
    pub body: Vec<u8>,
    /// Applied to connect, first byte and between bytes.
    pub timeout: Duration,
}

/// The response body as it arrives; a read error is classified (a body timeout is a
/// timeout). Call it once per response: a body can be taken only once.
pub fn body_chunks(
    response: &IncomingResponse,
) -> impl Stream<Item = Result<Vec<u8>, TransportError>> + Unpin + '_ {
    response.take_body_stream().map(|chunk| {
        chunk.map_err(|e| {
            http_error_code(&e)
                .as_ref()
                .map_or(TransportError::Other, error_kind)
        })
    })
}

fn error_kind(code: &ErrorCode) -> TransportError {
    match code {
        ErrorCode::ConnectionTimeout
        | ErrorCode::ConnectionReadTimeout
        | ErrorCode::ConnectionWriteTimeout
        | ErrorCode::HttpResponseTimeout
        | ErrorCode::DnsTimeout => TransportError::Timeout,
        ErrorCode::DnsError(_)
        | ErrorCode::DestinationNotFound
        | ErrorCode::DestinationUnavailable
        | ErrorCode::DestinationIpProhibited
        | ErrorCode::DestinationIpUnroutable
        | ErrorCode::ConnectionRefused
        | ErrorCode::ConnectionTerminated
        | ErrorCode::TlsProtocolError
        | ErrorCode::TlsCertificateError
        | ErrorCode::TlsAlertReceived(_) => TransportError::Connect,
        ErrorCode::HttpResponseBodySize(_) => TransportError::TooLarge,
        _ => TransportError::Other,
    }
}

/// Sends `req` as a POST and waits for the response head.
pub async fn post(req: Outbound<'_>) -> Result<IncomingResponse, TransportError> {
    let parts = split_url(req.url).ok_or(TransportError::Other)?;
    let headers: Vec<(String, Vec<u8>)> = req
        .headers
        .iter()
        .map(|(k, v)| (k.clone(), v.clone().into_bytes()))
        .collect();
    let fields = Fields::from_list(&headers).map_err(|_| TransportError::Other)?;
    let request = OutgoingRequest::new(fields);
    request
        .set_method(&Method::Post)
        .map_err(|_| TransportError::Other)?;
    request
        .set_scheme(Some(&if parts.https {
            Scheme::Https
        } else {
            Scheme::Http
        }))
        .map_err(|_| TransportError::Other)?;
    request
        .set_authority(Some(parts.authority))
        .map_err(|_| TransportError::Other)?;
    request
        .set_path_with_query(Some(parts.path_and_query))
        .map_err(|_| TransportError::Other)?;

    let options = RequestOptions::new();
    let timeout = Some(req.timeout.as_nanos().min(u64::MAX as u128) as u64);
    // A host that does not support an option keeps its own default; that is fine.
    let _ = options.set_connect_timeout(timeout);
    let _ = options.set_first_byte_timeout(timeout);
    let _ = options.set_between_bytes_timeout(timeout);

    let mut body = request.take_body();
    let pending = outgoing_handler::handle(request, Some(options)).map_err(|e| {
        log_line(&format!("outbound request refused by host: {e:?}"));
        error_kind(&e)
    })?;
    body.send(req.body)
        .await
        .map_err(|_| TransportError::Connect)?;
    drop(body);
    await_response(pending).await.map_err(|e| {
        // ErrorCode carries no request data, so it is safe to log.
        log_line(&format!("outbound request failed: {e:?}"));
        error_kind(&e)
    })
}

fn await_response(
    pending: spin_sdk::wit::wasi::http0_2_0::types::FutureIncomingResponse,
) -> impl Future<Output = Result<IncomingResponse, ErrorCode>> {
    let mut token: Option<spin_executor::CancelOnDropToken> = None;
    futures::future::poll_fn(move |cx| match pending.get() {
        Some(Ok(result)) => Poll::Ready(result),
        // Already taken: cannot happen for a future we own; report it as an internal error.
        Some(Err(())) => Poll::Ready(Err(ErrorCode::InternalError(None))),
        None => {
            // Keep the registration alive until the next poll (dropping it cancels it).
            drop(token.replace(spin_executor::CancelOnDropToken::from(
                spin_executor::push_waker_and_get_token(pending.subscribe(), cx.waker().clone()),
            )));
            Poll::Pending
        }
    })
}
