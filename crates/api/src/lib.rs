//! OpenAI-compatible API pieces shared by the sawt functions.
//!
//! Everything here is runtime-neutral: handlers are functions of (request, [`Env`]) that
//! return a [`Response`], so they are tested natively and wrapped by thin Spin adapters.

pub mod audio_formats;
pub mod auth;
pub mod env;
pub mod error;
pub mod multipart;

pub use auth::check_client_key;
pub use env::{Env, MapEnv};
pub use error::{ApiError, ErrorBody, ErrorEnvelope, ErrorType, Response};
