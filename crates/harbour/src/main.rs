//! The `harbour` binary: one program for the server and its maintenance commands.

mod cli;
mod commands;
mod config;
mod people;

use clap::Parser;
use std::process::ExitCode;

/// mimalloc rather than the system allocator: a request allocates and frees many small strings
/// and maps across worker threads, and glibc's malloc spent a fifth of the server's time on them.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match commands::run(cli).await {
        Ok(code) => code,
        Err(e) => {
            // The message names what was wrong; never the values of secrets.
            eprintln!("harbour: {e:#}");
            ExitCode::from(2)
        }
    }
}
