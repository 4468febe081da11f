//! `pitlane audit …`: what auditors run against an embedded event store file directly
//! (`--store PATH`, read-only): verify every hash chain, export NDJSON, re-verify an
//! export offline. Long runs show a progress bar with rate and ETA on a terminal and
//! plain progress lines otherwise.

use std::io::{BufReader, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use clap::{Args, Subcommand};
use es_core::audit::{self, Filter, Progress, Scope};

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
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

#[derive(Debug, Args)]
pub struct RebuildArgs {
    /// Read models (projection names as in the query service's status), or `all`.
    #[arg(required = true)]
    read_models: Vec<String>,
    /// The running query service.
    #[arg(
        long,
        env = "PITLANE_QUERY_URL",
        default_value = "http://127.0.0.1:50052"
    )]
    query_url: String,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The embedded event store file (opened read-only).
    #[arg(long, default_value = "data/events.db")]
    store: PathBuf,
    /// Only this stream, e.g. `customer-0193…`.
    #[arg(long)]
    stream: Option<String>,
    /// Verify an export file instead of the store.
    #[arg(long, conflicts_with_all = ["stream"])]
    file: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The embedded event store file (opened read-only).
    #[arg(long, default_value = "data/events.db")]
    store: PathBuf,
    /// Only this stream.
    #[arg(long)]
    stream: Option<String>,
    /// Where to write; standard output when absent.
    #[arg(long)]
    out: Option<PathBuf>,
    #[arg(long)]
    event_type: Option<String>,
    #[arg(long)]
    aggregate_type: Option<String>,
    #[arg(long)]
    correlation_id: Option<String>,
    /// The actor's subject.
    #[arg(long)]
    actor: Option<String>,
    /// Recorded at or after (RFC 3339).
    #[arg(long, value_parser = rfc3339)]
    from: Option<DateTime<Utc>>,
    /// Recorded before (RFC 3339).
    #[arg(long, value_parser = rfc3339)]
    to: Option<DateTime<Utc>>,
}

fn rfc3339(text: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("`{text}` is not an RFC 3339 time like 2026-12-01T09:00:00Z ({e})"))
}

impl AuditCommand {
    pub async fn run(self) -> anyhow::Result<()> {
        match self {
            AuditCommand::Verify(args) => match args.file {
                Some(file) => verify_file(&file),
                None => verify_store(&args.store, args.stream).await,
            },
            AuditCommand::Export(args) => export(args).await,
            AuditCommand::Rebuild(args) => rebuild(&args.query_url, args.read_models).await,
        }
    }
}

fn existing(store: &Path) -> anyhow::Result<&Path> {
    if !store.is_file() {
        bail!("no event store at {} (pass --store PATH)", store.display());
    }
    Ok(store)
}

fn scope(stream: Option<String>) -> Scope {
    stream.map_or(Scope::All, Scope::Stream)
}

async fn verify_store(store: &Path, stream: Option<String>) -> anyhow::Result<()> {
    let path = existing(store)?;
    let scope = scope(stream.clone());
    let report = audit::verify(
        audit::Source::SqliteFile(path),
        &scope,
        Reporter::new("verify"),
    )
    .await
    .with_context(|| format!("cannot read {}", path.display()))?;
    if let (Some(stream), 0) = (&stream, report.events_checked) {
        bail!("no stream `{stream}` in {}", path.display());
    }
    match report.first_break {
        None => {
            println!(
                "intact: {} events in {} streams, every hash chain and version sequence holds",
                report.events_checked, report.streams_checked
            );
            Ok(())
        }
        Some(link) => bail!("the log was altered: {link}"),
    }
}

fn verify_file(file: &Path) -> anyhow::Result<()> {
    let reader =
        std::fs::File::open(file).with_context(|| format!("cannot open {}", file.display()))?;
    let report = audit::verify_export(BufReader::new(reader), Reporter::new("verify"))?;
    match report.first_problem {
        None => {
            println!(
                "intact: {} events in {} streams, trailer matches",
                report.events_checked, report.streams_checked
            );
            Ok(())
        }
        Some(problem) => bail!("{}: {problem}", file.display()),
    }
}

async fn export(args: ExportArgs) -> anyhow::Result<()> {
    let path = existing(&args.store)?;
    let filter = Filter {
        event_type: args.event_type,
        aggregate_type: args.aggregate_type,
        correlation_id: args.correlation_id,
        actor_subject: args.actor,
        recorded_from: args.from,
        recorded_to: args.to,
        ..Filter::default()
    };
    let scope = scope(args.stream.clone());
    let progress = Reporter::new("export");
    let summary = match &args.out {
        Some(out) => {
            let file = std::fs::File::create(out)
                .with_context(|| format!("cannot create {}", out.display()))?;
            let mut out = BufWriter::new(file);
            let summary = audit::export(
                audit::Source::SqliteFile(path),
                &scope,
                &filter,
                &mut out,
                progress,
            )
            .await?;
            out.flush()?;
            summary
        }
        None => {
            let mut out = BufWriter::new(std::io::stdout().lock());
            let summary = audit::export(
                audit::Source::SqliteFile(path),
                &scope,
                &filter,
                &mut out,
                progress,
            )
            .await?;
            out.flush()?;
            summary
        }
    };
    if let (Some(stream), 0) = (&args.stream, summary.scanned) {
        bail!("no stream `{stream}` in {}", path.display());
    }
    eprintln!("exported {} events", summary.trailer.count);
    Ok(())
}

/// Starts the rebuild of `read_models` (`all` = every one) and follows it to the switch.
async fn rebuild(query_url: &str, read_models: Vec<String>) -> anyhow::Result<()> {
    use contracts::v1::query_client::QueryClient;
    use contracts::v1::{ProjectionStatusRequest, RebuildReadModelsRequest};

    let channel = tonic::transport::Endpoint::from_shared(query_url.to_owned())
        .with_context(|| format!("`{query_url}` is not a URL"))?
        .connect()
        .await
        .with_context(|| format!("no query service answers at {query_url}"))?;
    let mut query = QueryClient::new(channel);
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

/// A progress bar with rate and ETA on a terminal; a plain line every 2 s otherwise.
struct Reporter {
    label: &'static str,
    bar: Option<indicatif::ProgressBar>,
    started: Instant,
    last_line: Instant,
}

impl Reporter {
    fn new(label: &'static str) -> Self {
        Reporter {
            label,
            bar: None,
            started: Instant::now(),
            last_line: Instant::now(),
        }
    }
}

impl Progress for Reporter {
    fn start(&mut self, expected_events: Option<u64>) {
        if !std::io::stderr().is_terminal() {
            return;
        }
        let bar = match expected_events {
            Some(total) => indicatif::ProgressBar::new(total),
            None => indicatif::ProgressBar::new_spinner(),
        };
        let style = indicatif::ProgressStyle::with_template(
            "{msg} [{bar:40}] {human_pos}/{human_len} events, {per_sec}, ETA {eta}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
        bar.set_style(style.progress_chars("=> "));
        bar.set_message(self.label);
        self.bar = Some(bar);
    }

    fn advance(&mut self, events_done: u64) {
        if let Some(bar) = &self.bar {
            bar.set_position(events_done);
        } else if self.last_line.elapsed() >= Duration::from_secs(2) {
            self.last_line = Instant::now();
            let rate = events_done as f64 / self.started.elapsed().as_secs_f64().max(1e-3);
            eprintln!("{}: {events_done} events ({rate:.0} events/s)", self.label);
        }
    }
}

impl Drop for Reporter {
    fn drop(&mut self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use es_core::{EventStore, SqliteEventStore};

    use super::*;

    /// A store file holding a small realistic log, closed again.
    async fn store_file(dir: &Path) -> PathBuf {
        let path = dir.join("events.db");
        let store: Arc<dyn EventStore> = Arc::new(SqliteEventStore::open(&path).unwrap());
        let appends = crate::bench::workload::appends(2).unwrap();
        crate::bench::workload::fill(store, appends).await.unwrap();
        path
    }

    fn flip_one_payload_byte(path: &Path, position: i64) -> String {
        let conn = rusqlite::Connection::open(path).unwrap();
        let (stream, payload): (String, String) = conn
            .query_row(
                "SELECT stream_id, payload FROM events WHERE position = ?1",
                [position],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        let flipped = payload.replacen('"', "'", 1);
        conn.execute(
            "UPDATE events SET payload = ?1 WHERE position = ?2",
            rusqlite::params![flipped, position],
        )
        .unwrap();
        stream
    }

    #[tokio::test]
    async fn verify_passes_on_an_untouched_store_and_names_the_stream_of_a_flipped_byte() {
        let dir = tempfile::tempdir().unwrap();
        let path = store_file(dir.path()).await;
        verify_store(&path, None)
            .await
            .expect("an untouched log verifies");
        let stream = flip_one_payload_byte(&path, 7);
        let error = verify_store(&path, None).await.unwrap_err().to_string();
        assert!(error.contains(&stream), "{error}");
    }

    #[tokio::test]
    async fn an_export_verifies_offline_and_a_corrupted_line_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = store_file(dir.path()).await;
        let out = dir.path().join("export.ndjson");
        export(ExportArgs {
            store: path,
            stream: None,
            out: Some(out.clone()),
            event_type: None,
            aggregate_type: None,
            correlation_id: None,
            actor: None,
            from: None,
            to: None,
        })
        .await
        .unwrap();
        verify_file(&out).expect("a fresh export verifies");
        let text = std::fs::read_to_string(&out).unwrap();
        let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
        lines[2] = lines[2].replacen("\"version\":", "\"version\": 9", 1);
        std::fs::write(&out, lines.join("\n") + "\n").unwrap();
        let error = verify_file(&out).unwrap_err().to_string();
        assert!(error.contains("line 3"), "{error}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_rebuild_started_from_the_cli_switches_to_a_new_generation() {
        use contracts::v1::ProjectionStatusRequest;
        use contracts::v1::query_client::QueryClient;

        let dir = tempfile::tempdir().unwrap();
        let config = crate::platform::PlatformConfig::ephemeral(dir.path().join("data"));
        let platform = crate::platform::Platform::start(config).await.unwrap();
        crate::platform::load_demo(&platform).await.unwrap();
        let url = format!("http://{}", platform.query_addr);
        rebuild(&url, vec!["customers".into()])
            .await
            .expect("rebuilt");
        let mut query = QueryClient::connect(url.clone()).await.unwrap();
        let status = query
            .projection_status(ProjectionStatusRequest::default())
            .await
            .unwrap()
            .into_inner();
        let customers = status
            .projectors
            .iter()
            .find(|p| p.name == "customers")
            .unwrap();
        assert!(!customers.rebuilding);
        assert_eq!(customers.generation, 2);
        let unknown = rebuild(&url, vec!["no_such_model".into()])
            .await
            .unwrap_err();
        assert!(unknown.to_string().contains("refused"), "{unknown}");
        platform.stop().await.unwrap();
    }

    #[tokio::test]
    async fn an_unknown_stream_or_a_missing_store_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let missing = verify_store(&dir.path().join("nope.db"), None)
            .await
            .unwrap_err();
        assert!(missing.to_string().contains("no event store at"));
        let path = store_file(dir.path()).await;
        let unknown = verify_store(&path, Some("customer-nobody".into()))
            .await
            .unwrap_err();
        assert!(unknown.to_string().contains("no stream `customer-nobody`"));
    }
}
