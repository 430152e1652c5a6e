//! The `sawt` command line as a library, so integration tests drive the same code.

pub mod admin_client;
pub mod commands;
