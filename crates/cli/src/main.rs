//! `sawt`: the command line. One module per subcommand under `commands/`.

use clap::{Parser, Subcommand};
use sawt_cli::commands;

#[derive(Parser)]
#[command(
    name = "sawt",
    version,
    about = "sawt (صوت): Egyptian-Arabic voice assistant tools"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Manage the models in a deployed app's key-value store.
    Models(commands::models::ModelsArgs),
    /// Add, list and delete the voices of a deployed app (speech synthesis).
    Voices(commands::voices::VoicesArgs),
    // `Bench(commands::bench::BenchArgs)` and `Transcribe(...)` plug in here.
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Models(args) => commands::models::run(args),
        Command::Voices(args) => commands::voices::run(args),
    }
}
