//! `pitlane`: the one command that runs the platform, its services and its benchmarks.

use clap::Parser;
use pitlane::cli;

/// mimalloc instead of the system allocator: gRPC and JSON allocate many short-lived
/// buffers across threads, where glibc's malloc spends a tenth of the CPU
/// (measured with `bench commands`).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    let cli = cli::Cli::parse();
    let outcome = tokio::runtime::Runtime::new()
        .map_err(anyhow::Error::from)
        .and_then(|runtime| {
            runtime.block_on(async {
                let outcome = cli.run().await;
                // Inside the runtime: the trace exporter sends over tonic.
                let _ = tokio::task::spawn_blocking(pitlane::telemetry::flush).await;
                outcome
            })
        });
    match outcome {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            // One line with the whole cause chain: what an operator needs to act on.
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
