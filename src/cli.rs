//! The command line: `pitlane [up]`, `pitlane command`, `pitlane bench …`.

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
    action: Option<Action>,
}

#[derive(Debug, Subcommand)]
enum Action {
    /// Start the whole platform on the embedded default (the default command).
    Up,
    /// Run the command service alone (configured by PITLANE_* environment variables).
    Command,
    /// Run the query service alone (configured by PITLANE_* environment variables).
    Query,
    /// Run a benchmark; each ends with `RESULT <name> <value> <unit>` lines.
    #[command(subcommand)]
    Bench(BenchCommand),
}

impl Cli {
    pub async fn run(self) -> anyhow::Result<()> {
        match self.action.unwrap_or(Action::Up) {
            Action::Up => {
                println!(
                    "pitlane: the platform is not assembled yet — the command service runs \
                     (`pitlane command`), the query service and the BFF arrive with their \
                     issues.\nTry `pitlane command`, or \
                     `pitlane bench commands --connections 64 --duration 10`."
                );
                Ok(())
            }
            Action::Command => run_command_service().await,
            Action::Query => run_query_service().await,
            Action::Bench(bench) => bench.run().await,
        }
    }
}

async fn run_query_service() -> anyhow::Result<()> {
    crate::telemetry::init();
    let config = query::config::Config::from_env()?;
    let app = query::startup::build(config).await?;
    println!("query service (gRPC) on {}", app.local_addr());
    app.run_until_stopped(shutdown_signal()).await
}

async fn run_command_service() -> anyhow::Result<()> {
    crate::telemetry::init();
    let config = command::config::Config::from_env()?;
    let app = command::startup::build(config).await?;
    println!("command service (gRPC) on {}", app.local_addr());
    app.run_until_stopped(shutdown_signal()).await
}

/// Resolves on Ctrl-C or SIGTERM (what `docker stop` sends).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
