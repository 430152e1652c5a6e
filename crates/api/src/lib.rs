//! OpenAI-compatible API pieces shared by the sawt functions.
//!
//! Everything here is runtime-neutral: handlers are functions of (request, [`Env`]) that
//! return a [`Response`], so they are tested natively and wrapped by thin Spin adapters.

pub mod auth;
pub mod env;
pub mod error;
pub mod http;
pub mod multipart;
pub mod output;
mod pyjson;
#[cfg(feature = "store")]
pub mod store_errors;

pub use auth::{check_client_key, constant_time_eq};
pub use env::{Env, MapEnv};
pub use error::{ApiError, ErrorBody, ErrorEnvelope, ErrorType, Response};
pub use http::{header, percent_decode, Request, RequestHead};
pub use output::{Output, Recorder};
pub use pyjson::python_json;

/// [`ApiError::unknown_route`], for catch-all handlers.
pub fn unknown_route(method: &str, route: &str) -> ApiError {
    ApiError::unknown_route(method, route)
}
#[cfg(feature = "store")]
pub use store_errors::model_load_error;
