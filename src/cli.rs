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
    #[command(after_help = up_help())]
    Up(UpArgs),
    /// Run the command service alone, configured by the environment variables below.
    #[command(after_help = command::config::help())]
    Command,
    /// Run the query service alone, configured by the environment variables below.
    #[command(after_help = query::config::help())]
    Query,
    /// Run the BFF (REST API) alone, configured by the environment variables below.
    #[command(after_help = bff::config::help())]
    Bff,
    /// Audit the log: history, state as of, diff, trace, verify, export, rebuild (of a
    /// running platform, or of a store file with --store).
    #[command(subcommand)]
    Audit(crate::audit::AuditCommand),
    /// Operate a running platform: dead letters (list, show, redrive, discard).
    #[command(subcommand)]
    Ops(crate::ops::OpsCommand),
    /// Print a bearer token of the embedded default's development issuer, e.g.
    /// `curl -H "Authorization: Bearer $(pitlane token --role planner)" …`.
    Token(crate::token::TokenArgs),
    /// Run a benchmark; each ends with `RESULT <name> <value> <unit>` lines.
    #[command(subcommand)]
    Bench(BenchCommand),
}

#[derive(Debug, clap::Args)]
struct UpArgs {
    /// Where the event store and the read models live.
    #[arg(long, env = "PITLANE_DATA", default_value = "data")]
    data: std::path::PathBuf,
    /// The command service's gRPC address.
    #[arg(long, env = "PITLANE_COMMAND_ADDR", default_value = "127.0.0.1:50051", value_parser = socket_address("PITLANE_COMMAND_ADDR"))]
    command_addr: std::net::SocketAddr,
    /// The query service's gRPC address.
    #[arg(long, env = "PITLANE_QUERY_ADDR", default_value = "127.0.0.1:50052", value_parser = socket_address("PITLANE_QUERY_ADDR"))]
    query_addr: std::net::SocketAddr,
    /// The REST API's (BFF) address.
    #[arg(long, env = "PITLANE_BFF_ADDR", default_value = "127.0.0.1:8080", value_parser = socket_address("PITLANE_BFF_ADDR"))]
    rest_addr: std::net::SocketAddr,
    /// Load a small realistic data set (into an empty store only).
    #[arg(long)]
    demo: bool,
}

/// The variables `pitlane up` reads besides its flags: the BFF's settings and the
/// projections' answer to a diverged log; the services' addresses and stores follow
/// the flags.
fn up_help() -> String {
    let set_by_flags = [
        bff::config::BFF_ADDR,
        bff::config::COMMAND_URL,
        bff::config::QUERY_URL,
        bff::config::DATA,
    ];
    let bff: Vec<_> = bff::config::VARIABLES
        .iter()
        .filter(|variable| !set_by_flags.contains(variable))
        .copied()
        .collect();
    es_core::env::help(&[
        ("BFF (REST API)", &bff),
        ("Projections", &[query::config::ON_DIVERGED]),
        ("Identity", identity::config::VARIABLES),
        ("Logs and metrics", es_core::telemetry::VARIABLES),
    ])
}

impl Cli {
    pub async fn run(self) -> anyhow::Result<()> {
        let action = match self.action {
            Some(action) => action,
            // `pitlane` alone is `pitlane up` with its defaults (and environment).
            None => Action::Up(UpArgs::try_parse_defaults()?),
        };
        match action {
            Action::Up(args) => run_platform(args).await,
            Action::Command => run_command_service().await,
            Action::Query => run_query_service().await,
            Action::Bff => run_bff().await,
            Action::Bench(bench) => bench.run().await,
            Action::Audit(audit) => audit.run().await,
            Action::Ops(ops) => ops.run().await,
            Action::Token(token) => token.run(),
        }
    }
}

impl UpArgs {
    fn try_parse_defaults() -> anyhow::Result<Self> {
        #[derive(Parser)]
        struct Defaults {
            #[command(flatten)]
            up: UpArgs,
        }
        // A bad variable is said once, as clap says it for `pitlane up`.
        Ok(Defaults::try_parse_from(["pitlane"])
            .unwrap_or_else(|error| error.exit())
            .up)
    }
}

/// A socket address, or an error naming the variable that can also set it (clap names
/// only the flag).
fn socket_address(
    variable: &'static str,
) -> impl Fn(&str) -> Result<std::net::SocketAddr, String> + Clone + Send + Sync + 'static {
    move |raw| {
        raw.parse().map_err(|_| {
            format!("`{raw}` is not a socket address like 127.0.0.1:8080 (the flag, or {variable})")
        })
    }
}

async fn run_platform(args: UpArgs) -> anyhow::Result<()> {
    let stop = shutdown_signal();
    crate::telemetry::init()?;
    // The BFF's other settings (rate limit, CORS, timeouts…) come from the environment.
    // Every service trusts the data directory's development issuer, unless AUTH_ISSUER
    // names another.
    let bff = bff::Config {
        listen: args.rest_addr,
        auth: identity::AuthSettings::from_env(&args.data)?,
        ..bff::Config::from_env()?
    };
    let platform = crate::platform::Platform::start(crate::platform::PlatformConfig {
        data: args.data.clone(),
        command_addr: args.command_addr,
        query_addr: args.query_addr,
        bff,
        on_diverged: query::config::OnDiverged::from_lookup(|name| std::env::var(name).ok())?,
        projections: query::startup::all_projections,
    })
    .await?;
    if args.demo {
        let commands = crate::platform::load_demo(&platform).await?;
        println!("demo data: {commands} commands accepted");
    }
    println!(
        "Pitlane is up (embedded default, data in {}):",
        args.data.display()
    );
    println!("  web app                 {}", platform.app_url);
    println!(
        "  REST API (BFF)          http://{}/api/v1",
        platform.rest_addr
    );
    println!(
        "  Swagger UI              http://{}/docs",
        platform.rest_addr
    );
    println!(
        "  OpenAPI document        http://{}/api/openapi.json",
        platform.rest_addr
    );
    println!("  command service (gRPC)  http://{}", platform.command_addr);
    println!("  query service (gRPC)    http://{}", platform.query_addr);
    println!(
        "Every call needs a bearer token of this platform's issuer ({}/issuer.key):",
        args.data.display()
    );
    println!(
        "  curl -H \"Authorization: Bearer $(pitlane token --role planner --data {})\" http://{}/api/v1/customers",
        args.data.display(),
        platform.rest_addr
    );
    println!(
        "  both gRPC services serve health and reflection: grpcurl -plaintext -H \"authorization: Bearer $(pitlane token --role auditor --data {})\" {} list",
        args.data.display(),
        platform.query_addr
    );
    println!("Ctrl-C stops it.");
    stop.await;
    platform.stop().await
}

async fn run_query_service() -> anyhow::Result<()> {
    let stop = shutdown_signal();
    crate::telemetry::init()?;
    let config = query::config::Config::from_env()?;
    let app = query::startup::build(config).await?;
    println!("query service (gRPC) on {}", app.local_addr());
    app.run_until_stopped(stop).await
}

async fn run_bff() -> anyhow::Result<()> {
    let stop = shutdown_signal();
    crate::telemetry::init()?;
    let config = bff::Config::from_env()?;
    let app = bff::build(config).await?;
    println!("REST API (BFF) on http://{}/api/v1", app.local_addr());
    println!("web app on {}", app.app_url());
    app.run_until_stopped(stop).await
}

async fn run_command_service() -> anyhow::Result<()> {
    let stop = shutdown_signal();
    crate::telemetry::init()?;
    let config = command::config::Config::from_env()?;
    let app = command::startup::build(config).await?;
    println!("command service (gRPC) on {}", app.local_addr());
    app.run_until_stopped(stop).await
}

/// Resolves on Ctrl-C or SIGTERM (what `docker stop` sends). The handlers are installed
/// when this is called, not when it is first awaited: called before a service binds its
/// port, a SIGTERM that arrives as soon as the port answers stops it gracefully instead
/// of killing it (the default action of a signal nobody handles yet).
pub fn shutdown_signal() -> impl std::future::Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    let signals = {
        use tokio::signal::unix::{SignalKind, signal};
        (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        )
    };
    async move {
        #[cfg(unix)]
        {
            let (interrupt, terminate) = signals;
            let received = |signal: std::io::Result<tokio::signal::unix::Signal>, name| async move {
                match signal {
                    Ok(mut signal) => drop(signal.recv().await),
                    Err(error) => {
                        tracing::error!(%error, "cannot listen for {name}");
                        std::future::pending::<()>().await;
                    }
                }
            };
            tokio::select! {
                () = received(interrupt, "Ctrl-C") => {},
                () = received(terminate, "SIGTERM") => {},
            }
        }
        #[cfg(not(unix))]
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
        tracing::info!("shutting down");
    }
}
