//! The command line: `pitlane [up]`, `pitlane bench …`.

use clap::{Parser, Subcommand};

use crate::bench::BenchCommand;

#[derive(Debug, Parser)]
#[command(
    name = "pitlane",
    version,
    about = "Pitlane: event-sourced CQRS for an EV service operator"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Start the whole platform on the embedded default (the default command).
    Up,
    /// Run a benchmark; each ends with `RESULT <name> <value> <unit>` lines.
    #[command(subcommand)]
    Bench(BenchCommand),
}

impl Cli {
    pub async fn run(self) -> anyhow::Result<()> {
        match self.command.unwrap_or(Command::Up) {
            Command::Up => {
                println!(
                    "pitlane: the platform is not assembled yet — the kernel (es-core), the \
                     embedded event store and the wire contracts are in place; the command, \
                     query and BFF services arrive with their issues.\n\
                     Try `pitlane bench append --writers 64 --events 200000`."
                );
                Ok(())
            }
            Command::Bench(bench) => bench.run().await,
        }
    }
}
