//! One module per `sawt` subcommand: each has an `Args` (clap) and a `run`.

pub mod layout;
pub mod models;
pub mod voices;
