//! `pitlane`: the one command that runs the platform, its services and its benchmarks.

mod bench;
mod cli;

use clap::Parser;

/// mimalloc instead of the system allocator: gRPC and JSON allocate many short-lived
/// buffers across threads, where glibc's malloc spends a tenth of the CPU
/// (measured with `bench commands`).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> anyhow::Result<()> {
    let cli = cli::Cli::parse();
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(cli.run())
}
