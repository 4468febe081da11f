//! `pitlane audit …`: what auditors run against the log. Every command asks a running
//! platform's command service over gRPC, or, given `--store PATH`, opens an embedded
//! store's file directly and read-only; both go through the same `Audit` service code
//! and give the same answers.
//!
//! - `history [STREAM]`: full envelopes of one stream, or of `$all` through filters, paged;
//! - `state STREAM [--version N | --at TIME]` and `diff STREAM --from N [--to M]`;
//! - `trace CORRELATION_ID`: every event one request caused, in causal order;
//! - `verify [--stream S]` (exit code 1 naming the first broken link), `verify --file F`
//!   (an export, offline), `export [filters] [--out F]`;
//! - `rebuild <read-model…|all>` on a running query service.
//!
//! Long runs (verify, export, rebuild) show a progress bar with rate and ETA on a
//! terminal and plain progress lines otherwise.

mod log;
mod print;
mod progress;

use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use clap::{Args, Subcommand};
use contracts::v1::{
    AuditFilter, AuditHistoryRequest, ExportRequest, StateAsOfRequest, StateDiffRequest,
    TraceRequest, VerifyRequest, state_as_of_request, verify_update,
};
use es_core::audit::{self, Progress};
use futures::StreamExt;

use self::log::Log;
use self::progress::Reporter;

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Every event of one stream (or, without STREAM, of `$all` through the filters)
    /// with its whole envelope: who, when, correlation, causation, schema version.
    History(HistoryArgs),
    /// An aggregate's state replayed up to a version or an instant (default: latest).
    State(StateArgs),
    /// Which fields of an aggregate's state changed between two versions, by which events.
    Diff(DiffArgs),
    /// Every event one request caused (one correlation id), across aggregates, in
    /// causal order.
    Trace(TraceArgs),
    /// Check every per-stream hash chain and version continuity; exits non-zero and
    /// names the first broken link if the log was altered.
    Verify(VerifyArgs),
    /// Write events as NDJSON (stable field order) with a trailer carrying the count
    /// and the last hash, re-verifiable offline with `verify --file`.
    Export(ExportArgs),
    /// Rebuild read models from the whole log on a running query service (shadow
    /// tables, atomic switch; queries keep answering), showing progress until done.
    Rebuild(RebuildArgs),
}

/// Which log to read.
#[derive(Debug, Args)]
pub struct LogArgs {
    /// Read an embedded event store file directly (read-only) instead of asking the
    /// running platform.
    #[arg(long)]
    store: Option<PathBuf>,
    /// The key store that opens personal data with --store (default: `keys.db` beside
    /// the store, when present; without it personal data stays sealed).
    #[arg(long, requires = "store")]
    keys: Option<PathBuf>,
    /// The running command service, asked when --store is absent.
    #[arg(
        long,
        env = "PITLANE_COMMAND_URL",
        default_value = "http://127.0.0.1:50051"
    )]
    command_url: String,
    #[command(flatten)]
    credentials: Credentials,
}

/// Who asks a running platform (a local --store needs no token).
#[derive(Args)]
pub struct Credentials {
    /// A bearer token (auditor, operator or admin, as the command needs); without one,
    /// the client-credentials grant when `--token-url` is given, else a token minted
    /// from the development issuer of --data (the embedded default).
    #[arg(long, env = "PITLANE_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// An identity provider's token endpoint: the CLI signs in as the client
    /// `--client-id`, with the secret in `AUTH_CLIENT_SECRET` (never an argument: others
    /// see a process's arguments), and acts under that client's service-account role.
    #[arg(long, env = "AUTH_TOKEN_URL", requires = "client_id")]
    token_url: Option<String>,
    /// The client the CLI signs in as with `--token-url` (e.g. `pitlane-audit`).
    #[arg(long, env = "AUTH_CLIENT_ID", requires = "token_url")]
    client_id: Option<String>,
    #[arg(skip = std::env::var(identity::config::CLIENT_SECRET.name).ok())]
    client_secret: Option<String>,
    /// The embedded platform's data directory, whose issuer mints the token.
    #[arg(long, env = "PITLANE_DATA", default_value = "data")]
    data: PathBuf,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("token", &self.token.as_ref().map(|_| "***"))
            .field("token_url", &self.token_url)
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret.as_ref().map(|_| "***"))
            .field("data", &self.data)
            .finish()
    }
}

impl Credentials {
    /// The token given, else one from the identity provider's client-credentials grant,
    /// else one minted for `role` by the development issuer of --data.
    pub(crate) async fn token(&self, role: identity::Role) -> anyhow::Result<String> {
        if let (None, Some(token_url), Some(client_id)) =
            (&self.token, &self.token_url, &self.client_id)
        {
            let client_secret = self
                .client_secret
                .clone()
                .filter(|secret| !secret.is_empty())
                .with_context(|| {
                    format!(
                        "--token-url needs the client's secret in {}",
                        identity::config::CLIENT_SECRET.name
                    )
                })?;
            let grant = identity::ClientCredentials {
                token_url: token_url.clone(),
                client_id: client_id.clone(),
                client_secret,
            };
            let source = identity::TokenSource::client_credentials(grant);
            return source
                .token()
                .await
                .map_err(|e| anyhow::anyhow!("no token from the identity provider: {e}"));
        }
        crate::token::resolve(self.token.as_deref(), &self.data, role)
    }
}

impl LogArgs {
    async fn open(&self) -> anyhow::Result<Log> {
        let token = match &self.store {
            Some(_) => None,
            None => Some(self.credentials.token(identity::Role::Auditor).await?),
        };
        log::open(
            self.store.as_deref(),
            self.keys.as_deref(),
            &self.command_url,
            token.as_deref(),
        )
        .await
    }
}

/// Which events of `$all` to keep; all given must match.
#[derive(Debug, Args, Default)]
pub struct FilterArgs {
    /// e.g. `delivery.status_changed.v1`.
    #[arg(long)]
    event_type: Option<String>,
    /// e.g. `delivery`.
    #[arg(long)]
    aggregate_type: Option<String>,
    #[arg(long)]
    correlation_id: Option<String>,
    /// The actor's subject (who issued the command).
    #[arg(long)]
    actor: Option<String>,
    /// Recorded at or after (RFC 3339).
    #[arg(long, value_parser = rfc3339)]
    from: Option<DateTime<Utc>>,
    /// Recorded before (RFC 3339).
    #[arg(long, value_parser = rfc3339)]
    to: Option<DateTime<Utc>>,
}

impl FilterArgs {
    fn to_proto(&self) -> AuditFilter {
        let time =
            |t: &Option<DateTime<Utc>>| t.map(|t| es_core::time::format(&t)).unwrap_or_default();
        AuditFilter {
            event_type: self.event_type.clone().unwrap_or_default(),
            aggregate_type: self.aggregate_type.clone().unwrap_or_default(),
            recorded_from: time(&self.from),
            recorded_to: time(&self.to),
            correlation_id: self.correlation_id.clone().unwrap_or_default(),
            actor: self.actor.clone().unwrap_or_default(),
            ..AuditFilter::default()
        }
    }
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// The stream, e.g. `customer-0193…`; absent: `$all` through the filters.
    stream: Option<String>,
    #[command(flatten)]
    filter: FilterArgs,
    /// Start after this cursor: a version for a stream, a position for `$all`.
    #[arg(long, default_value_t = 0)]
    after: u64,
    /// Events per page (1..=1000).
    #[arg(long, default_value_t = 100)]
    limit: u32,
    /// Every page, not just one.
    #[arg(long)]
    all_pages: bool,
    /// One JSON envelope per line.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    log: LogArgs,
}

#[derive(Debug, Args)]
pub struct StateArgs {
    stream: String,
    /// After the event of this version (0: before the first).
    #[arg(long, conflicts_with = "at")]
    version: Option<u64>,
    /// After every event recorded at or before this instant (RFC 3339).
    #[arg(long, value_parser = rfc3339)]
    at: Option<DateTime<Utc>>,
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    log: LogArgs,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    stream: String,
    /// From the state after this version (0: the initial state).
    #[arg(long)]
    from: u64,
    /// To the state after this version (default: the latest).
    #[arg(long)]
    to: Option<u64>,
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    log: LogArgs,
}

#[derive(Debug, Args)]
pub struct TraceArgs {
    correlation_id: String,
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    log: LogArgs,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Only this stream, e.g. `customer-0193…`.
    #[arg(long)]
    stream: Option<String>,
    /// Verify an export file instead of the log (offline: no store, no platform).
    #[arg(long, conflicts_with_all = ["stream", "store"])]
    file: Option<PathBuf>,
    /// The public keys you trust (a `heads.pub`). With `--file`: the file's signed head
    /// must be signed by one of them, not merely by a key the file carries. With
    /// `--store`: instead of the `heads.pub` beside the store.
    #[arg(long)]
    trusted_keys: Option<PathBuf>,
    /// With `--store`: the signed heads to check the log against, instead of the
    /// `heads.jsonl` beside the store — e.g. the `pitlane.audit.heads` Kafka topic
    /// copied to a file (`kcat -C -t pitlane.audit.heads -e > heads.jsonl`).
    #[arg(long, conflicts_with = "file")]
    heads: Option<PathBuf>,
    #[command(flatten)]
    log: LogArgs,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Only this stream.
    #[arg(long)]
    stream: Option<String>,
    /// Where to write; standard output when absent.
    #[arg(long)]
    out: Option<PathBuf>,
    #[command(flatten)]
    filter: FilterArgs,
    #[command(flatten)]
    log: LogArgs,
}

#[derive(Debug, Args)]
pub struct RebuildArgs {
    /// Read models (projection names as in the query service's status), or `all`.
    #[arg(required = true)]
    read_models: Vec<String>,
    /// The running query service, asked as an admin (rebuilds are the admin's).
    #[command(flatten)]
    at: crate::ops::QueryAt,
}

fn rfc3339(text: &str) -> Result<DateTime<Utc>, String> {
    es_core::time::parse(text)
}

impl AuditCommand {
    pub async fn run(self) -> anyhow::Result<()> {
        let mut out = std::io::stdout().lock();
        match self {
            AuditCommand::History(args) => history(args, &mut out).await,
            AuditCommand::State(args) => state(args, &mut out).await,
            AuditCommand::Diff(args) => diff(args, &mut out).await,
            AuditCommand::Trace(args) => trace(args, &mut out).await,
            AuditCommand::Verify(args) => {
                let verdict = match &args.file {
                    Some(file) => verify_file(file, args.trusted_keys.as_deref())?,
                    None => verify(&args).await?,
                };
                writeln!(out, "{verdict}")?;
                Ok(())
            }
            AuditCommand::Export(args) => export(args).await,
            AuditCommand::Rebuild(args) => {
                let query = args.at.client_as(identity::Role::Admin).await?;
                rebuild(query, args.read_models).await
            }
        }
    }
}

async fn history(args: HistoryArgs, out: &mut impl Write) -> anyhow::Result<()> {
    let mut log = args.log.open().await?;
    let mut after = args.after;
    loop {
        let page = log
            .history(AuditHistoryRequest {
                stream_id: args.stream.clone().unwrap_or_default(),
                filter: Some(args.filter.to_proto()),
                after,
                limit: args.limit,
            })
            .await?;
        print::history(out, &page, args.json)?;
        match page.next {
            Some(next) if args.all_pages => after = next,
            _ => return Ok(()),
        }
    }
}

async fn state(args: StateArgs, out: &mut impl Write) -> anyhow::Result<()> {
    use state_as_of_request::AsOf;
    let as_of = match (args.version, args.at) {
        (Some(version), _) => Some(AsOf::Version(version)),
        (None, Some(at)) => Some(AsOf::At(es_core::time::format(&at))),
        (None, None) => None,
    };
    let request = StateAsOfRequest {
        stream_id: args.stream,
        as_of,
    };
    let state = args.log.open().await?.state(request).await?;
    print::state(out, &state, args.json)
}

async fn diff(args: DiffArgs, out: &mut impl Write) -> anyhow::Result<()> {
    if args.to == Some(0) {
        bail!("--to: versions start at 1 (leave it out for the latest)");
    }
    let request = StateDiffRequest {
        stream_id: args.stream,
        from_version: args.from,
        to_version: args.to.unwrap_or(0),
    };
    let diff = args.log.open().await?.diff(request).await?;
    print::diff(out, &diff, args.json)
}

async fn trace(args: TraceArgs, out: &mut impl Write) -> anyhow::Result<()> {
    let request = TraceRequest {
        correlation_id: args.correlation_id,
    };
    let trace = args.log.open().await?.trace(request).await?;
    if trace.steps.is_empty() {
        bail!("no event carries correlation id `{}`", trace.correlation_id);
    }
    print::trace(out, &trace, args.json)
}

/// The verdict line, or an error naming the first broken link.
async fn verify(args: &VerifyArgs) -> anyhow::Result<String> {
    let mut log = args.log.open().await?;
    if args.heads.is_some() || args.trusted_keys.is_some() {
        let beside = args.log.store.as_deref().map(log::heads_beside);
        let default =
            beside.unwrap_or_else(|| es_core::heads::HeadsSettings::in_dir(Path::new(".")));
        log = log.witnessed_by(es_core::heads::HeadsSettings {
            witness: args.heads.clone().unwrap_or(default.witness.clone()),
            trusted: args.trusted_keys.clone().unwrap_or(default.trusted.clone()),
            ..default
        })?;
    }
    let request = VerifyRequest {
        stream_id: args.stream.clone().unwrap_or_default(),
    };
    let mut updates = log.verify(request).await?;
    let mut progress = Reporter::new("verify");
    let mut started = false;
    while let Some(update) = updates.next().await {
        match update?.update {
            Some(verify_update::Update::Progress(p)) => {
                if !std::mem::replace(&mut started, true) {
                    progress.start(p.expected);
                }
                progress.advance(p.events_checked);
            }
            Some(verify_update::Update::Report(report)) => {
                drop(progress);
                return print::verdict(&report);
            }
            None => {}
        }
    }
    bail!("the verification ended without a report")
}

fn verify_file(file: &Path, trusted_keys: Option<&Path>) -> anyhow::Result<String> {
    let trusted = trusted_keys
        .map(|path| {
            es_core::heads::TrustedKeys::load(path)
                .with_context(|| format!("cannot read the trusted keys {}", path.display()))
        })
        .transpose()?;
    let reader =
        std::fs::File::open(file).with_context(|| format!("cannot open {}", file.display()))?;
    let report = audit::verify_export(BufReader::new(reader), Reporter::new("verify"))?;
    if let Some(problem) = report.first_problem {
        bail!("{}: {problem}", file.display());
    }
    if let (Some(trusted), Some((header, _))) = (&trusted, &report.witness)
        && let Err(reason) = trusted.check(&header.head)
    {
        bail!(
            "{}: the head at position {} is not vouched for by your trusted keys: {reason}",
            file.display(),
            header.head.position
        );
    }
    if trusted.is_some() && report.witness.is_none() {
        bail!(
            "{}: the file carries no signed head to check against your trusted keys \
             (only a whole-log export does)",
            file.display()
        );
    }
    let mut verdict = format!(
        "intact: {} events in {} streams, trailer matches",
        report.events_checked, report.streams_checked
    );
    if let Some((header, _)) = &report.witness {
        verdict.push_str(&format!(
            "; the events are the log its head signed at position {} on {} witnessed (key {}: \
             compare it with the key you trust)",
            header.head.position, header.head.signed_at, header.head.key_id
        ));
    }
    Ok(verdict)
}

async fn export(args: ExportArgs) -> anyhow::Result<()> {
    let mut log = args.log.open().await?;
    let request = ExportRequest {
        stream_id: args.stream.clone().unwrap_or_default(),
        filter: Some(args.filter.to_proto()),
    };
    let mut chunks = log.export(request).await?;
    let mut out: Box<dyn Write> = match &args.out {
        Some(path) => Box::new(BufWriter::new(
            std::fs::File::create(path)
                .with_context(|| format!("cannot create {}", path.display()))?,
        )),
        None => Box::new(BufWriter::new(std::io::stdout().lock())),
    };
    let mut progress = Reporter::new("export");
    let (mut started, mut written) = (false, Vec::new());
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk?;
        if !std::mem::replace(&mut started, true) {
            progress.start(chunk.expected);
        }
        progress.advance(chunk.scanned);
        out.write_all(&chunk.ndjson)?;
        written = chunk.ndjson;
    }
    out.flush()?;
    drop(progress);
    let trailer = written
        .split(|b| *b == b'\n')
        .rfind(|line| !line.is_empty())
        .and_then(|line| serde_json::from_slice::<serde_json::Value>(line).ok())
        .and_then(|line| line["trailer"]["count"].as_u64());
    match trailer {
        Some(count) => {
            eprintln!("exported {count} events");
            Ok(())
        }
        None => bail!("the export ended without its trailer: the output is incomplete"),
    }
}

/// Starts the rebuild of `read_models` (`all` = every one) and follows it to the switch.
async fn rebuild(
    mut query: contracts::v1::query_client::QueryClient<identity::grpc::AuthedChannel>,
    read_models: Vec<String>,
) -> anyhow::Result<()> {
    use contracts::v1::{ProjectionStatusRequest, RebuildReadModelsRequest};

    let projections = if read_models.iter().any(|name| name == "all") {
        Vec::new()
    } else {
        read_models
    };
    let started = query
        .rebuild_read_models(RebuildReadModelsRequest { projections })
        .await
        .map_err(|status| anyhow::anyhow!("the query service refused: {}", status.message()))?
        .into_inner()
        .started;
    eprintln!("rebuilding {}", started.join(", "));
    let mut progress = Reporter::new("rebuild");
    let mut started_bar = false;
    loop {
        let status = query
            .projection_status(ProjectionStatusRequest::default())
            .await
            .map_err(|status| anyhow::anyhow!("status unavailable: {}", status.message()))?
            .into_inner();
        let ours: Vec<_> = status
            .projectors
            .iter()
            .filter(|p| started.contains(&p.name))
            .collect();
        let head = ours.iter().map(|p| p.position + p.lag).max().unwrap_or(0);
        if !started_bar {
            progress.start(Some(head * ours.len() as u64));
            started_bar = true;
        }
        let done: u64 = ours
            .iter()
            .map(|p| {
                if p.rebuilding {
                    p.rebuild_position
                } else {
                    head
                }
            })
            .sum();
        progress.advance(done);
        if ours.iter().all(|p| !p.rebuilding) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    drop(progress);
    println!("rebuilt and switched: {}", started.join(", "));
    Ok(())
}

#[cfg(test)]
mod tests;
