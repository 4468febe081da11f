//! Benchmarks. Each prints human-readable progress on stderr and ends with
//! `RESULT <name> <value> <unit>` lines on stdout, the format CI and the team read.

mod append;
mod audit;
mod commands;
mod lag;
mod load;
mod rebuild;
mod relay;
mod rest;
pub mod workload;

use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Durable appends to a fresh embedded store: concurrent writers on distinct streams.
    Append {
        /// Concurrent writers, each on its own stream.
        #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u64).range(1..=10_000))]
        writers: u64,
        /// Events in total, one event per append.
        #[arg(long, default_value_t = 200_000, value_parser = clap::value_parser!(u64).range(1..))]
        events: u64,
    },
    /// Commands per second over gRPC from concurrent clients, durable.
    Commands {
        /// Concurrent clients, each with its own connection.
        #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u64).range(1..=1_000))]
        connections: u64,
        /// Seconds to run.
        #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3_600))]
        duration: u64,
    },
    /// Time from a command's reply until the read models reflect it, at a fixed rate.
    Lag {
        /// Commands per second.
        #[arg(long, default_value_t = 1_000, value_parser = clap::value_parser!(u64).range(1..=100_000))]
        rate: u64,
        /// Seconds to run.
        #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3_600))]
        duration: u64,
        /// The production shape on real servers (MONGO_URL, KAFKA_BROKERS): MongoDB
        /// store, relay, Kafka, Kafka-fed projections. Prints `e2e_lag_p99`.
        #[arg(long)]
        servers: bool,
    },
    /// Publishing a backlog to Kafka with the relay (needs KAFKA_BROKERS).
    Relay {
        /// Events in the backlog (approximately: whole units of work).
        #[arg(long, default_value_t = 100_000, value_parser = clap::value_parser!(u64).range(25..))]
        events: u64,
        /// Tail a fresh database on MONGO_URL instead of a SQLite file.
        #[arg(long)]
        mongo: bool,
    },
    /// Rebuilding every read model from scratch from a realistic log.
    Rebuild {
        /// Events in the log (approximately: whole units of work).
        #[arg(long, default_value_t = 1_000_000, value_parser = clap::value_parser!(u64).range(25..))]
        events: u64,
    },
    /// REST commands and reads through the BFF of the embedded platform.
    Rest {
        /// Concurrent clients, each with its own keep-alive connection.
        #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u64).range(1..=1_000))]
        connections: u64,
        /// Seconds of commands, then as many seconds of reads.
        #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3_600))]
        duration: u64,
    },
    /// Verifying every hash chain and exporting `$all` of a realistic log.
    Audit {
        /// Events in the log (approximately: whole units of work).
        #[arg(long, default_value_t = 1_000_000, value_parser = clap::value_parser!(u64).range(25..))]
        events: u64,
    },
    /// Loading one aggregate of a long stream vs a short one, snapshots on.
    Load {
        /// Events in the long stream.
        #[arg(long, default_value_t = 100_000, value_parser = clap::value_parser!(u64).range(100..))]
        events: u64,
    },
}

impl BenchCommand {
    pub async fn run(self) -> anyhow::Result<()> {
        // Every service records metrics as deployed; logs cost a line per request and
        // are measured when asked for (`RUST_LOG=info PITLANE_LOG_FORMAT=json … 2> log`).
        if std::env::var_os("RUST_LOG").is_some() {
            crate::telemetry::init()?;
        } else {
            es_core::telemetry::install_metrics(None).map_err(anyhow::Error::msg)?;
        }
        match self {
            BenchCommand::Append { writers, events } => append::run(writers, events).await,
            BenchCommand::Audit { events } => audit::run_bench(events).await,
            BenchCommand::Load { events } => load::run(events).await,
            BenchCommand::Lag {
                rate,
                duration,
                servers,
            } => lag::run_bench(rate, duration, servers).await,
            BenchCommand::Relay { events, mongo } => relay::run_bench(events, mongo).await,
            BenchCommand::Rebuild { events } => rebuild::run_bench(events).await,
            BenchCommand::Commands {
                connections,
                duration,
            } => commands::run(connections, duration).await,
            BenchCommand::Rest {
                connections,
                duration,
            } => rest::run(connections, duration).await,
        }
    }
}

/// The one output line benchmarks are judged by.
fn result(name: &str, value: f64, unit: &str) {
    println!("RESULT {name} {value:.1} {unit}");
}
