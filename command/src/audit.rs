//! The read-only `Audit` gRPC service (issue 7): history, state as of any moment,
//! diffs, traces, verification and exports, straight from the event log.
//!
//! Every RPC is a thin adapter over `es_core::audit`: it parses the request (a bad
//! field is `INVALID_ARGUMENT` naming it), asks the log, and maps the answer. The
//! service holds no write path: it cannot append, and the embedded store's file is
//! opened read-only. Personal data is opened with the vault (in clear, or `null` once
//! erased), except in exports, which keep it sealed as stored so they verify offline.

use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Utc};
use contracts::errors::ErrorDetail;
use contracts::v1::audit_server::Audit;
use contracts::v1::{
    self, AuditFilter, AuditHistoryReply, AuditHistoryRequest, ExportChunk, ExportRequest,
    StateAsOfReply, StateAsOfRequest, StateDiffReply, StateDiffRequest, TraceReply, TraceRequest,
    VerifyRequest, VerifyUpdate, state_as_of_request, verify_update,
};
use es_core::audit::{
    self, AsOf, AuditError, Break, EventRef, ExportError, ExportSink, Filter, HistoryQuery,
    Progress, Replayers, Scope, Source,
};
use es_core::heads::HeadsSettings;
use es_core::{EventStore, Upcasters, Vault};
use futures::Stream;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Code, Request, Response, Status};

use crate::error::AppError;
use crate::event_stream::to_proto;
use crate::stopping::Stopping;

/// The page size when a request names none.
const DEFAULT_PAGE: usize = 100;

/// Bytes of NDJSON per export message.
const CHUNK: usize = 256 * 1024;

/// How to replay the state of every aggregate of the domain.
pub fn replayers() -> Replayers {
    // No payload schema has changed yet; upcasters registered here apply to replays.
    let upcasters = Arc::new(Upcasters::new());
    Replayers::new()
        .with::<crate::customers::Customer>(upcasters.clone())
        .with::<crate::fleet::Vehicle>(upcasters.clone())
        .with::<crate::fleet::Driver>(upcasters.clone())
        .with::<crate::workshop::Technician>(upcasters.clone())
        .with::<crate::workshop::WorkshopPlanning>(upcasters.clone())
        .with::<crate::deliveries::Route>(upcasters.clone())
        .with::<crate::deliveries::Delivery>(upcasters.clone())
        .with::<crate::schedules::ResourceSchedule>(upcasters)
}

/// What the service reads: the service's own store, or (for `pitlane audit --store`)
/// an embedded store's file that no one need have opened for writing.
#[derive(Clone)]
enum Log {
    Store(Arc<dyn EventStore>),
    File(PathBuf),
}

impl Log {
    /// A store kept in a file is read from the file, read-only (the fast path).
    fn source(&self) -> Source<'_> {
        match self {
            Log::Store(store) => Source::from(store.as_ref()),
            Log::File(path) => Source::SqliteFile(path),
        }
    }
}

pub struct AuditService {
    log: Log,
    vault: Option<Arc<Vault>>,
    replayers: Replayers,
    /// Where the signed heads are witnessed: a verification of `$all` checks the log
    /// against them (`None`: chains only).
    heads: Option<HeadsSettings>,
    /// Verifications and exports under way end when the service stops.
    stopping: Stopping,
}

impl AuditService {
    /// Audits `store`; `vault` opens personal data.
    pub fn new(store: Arc<dyn EventStore>, vault: Arc<Vault>) -> Self {
        Self {
            log: Log::Store(store),
            vault: Some(vault),
            replayers: replayers(),
            heads: None,
            stopping: Stopping::default(),
        }
    }

    /// Ends every verification and export under way once `stopping` turns true.
    pub fn until(mut self, stopping: tokio::sync::watch::Receiver<bool>) -> Self {
        self.stopping = stopping.into();
        self
    }

    /// Verifications of `$all` also check the heads witnessed as `heads` says.
    pub fn with_heads(mut self, heads: HeadsSettings) -> Self {
        self.heads = Some(heads);
        self
    }

    /// Audits an embedded store's file, opened read-only: no writer, no migration.
    /// Without a vault, personal data stays sealed as stored.
    pub fn for_file(path: impl Into<PathBuf>, vault: Option<Arc<Vault>>) -> Self {
        Self {
            log: Log::File(path.into()),
            vault,
            replayers: replayers(),
            heads: None,
            stopping: Stopping::default(),
        }
    }

    fn source(&self) -> Source<'_> {
        self.log.source()
    }

    fn vault(&self) -> Option<&Vault> {
        self.vault.as_deref()
    }
}

type Updates<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send>>;

#[tonic::async_trait]
impl Audit for AuditService {
    type VerifyStream = Updates<VerifyUpdate>;
    type ExportStream = Updates<ExportChunk>;

    async fn history(
        &self,
        request: Request<AuditHistoryRequest>,
    ) -> Result<Response<AuditHistoryReply>, Status> {
        let request = request.into_inner();
        let query = HistoryQuery {
            scope: scope(&request.stream_id),
            filter: filter(request.filter.unwrap_or_default())?,
            after: request.after,
            limit: page_size(request.limit)?,
        };
        let page = audit::history(self.source(), self.vault(), &query)
            .await
            .map_err(|e| status(e, "after"))?;
        Ok(Response::new(AuditHistoryReply {
            events: page.events.iter().map(to_proto).collect(),
            next: page.next,
            scanned: page.scanned,
        }))
    }

    async fn state_as_of(
        &self,
        request: Request<StateAsOfRequest>,
    ) -> Result<Response<StateAsOfReply>, Status> {
        let request = request.into_inner();
        let stream_id = required("stream_id", &request.stream_id)?;
        let (as_of, field) = match request.as_of {
            Some(state_as_of_request::AsOf::Version(version)) => {
                (AsOf::Version(version), "version")
            }
            Some(state_as_of_request::AsOf::At(at)) => (AsOf::Time(instant("at", &at)?), "at"),
            None => (AsOf::Latest, "stream_id"),
        };
        let state = audit::state_as_of(
            self.source(),
            self.vault(),
            &self.replayers,
            stream_id,
            as_of,
        )
        .await
        .map_err(|e| status(e, field))?;
        Ok(Response::new(StateAsOfReply {
            stream_id: state.stream_id,
            aggregate_type: state.aggregate_type,
            version: state.version,
            current_version: state.current_version,
            last_event: state.last_event.as_ref().map(event_ref),
            state_json: state.state.to_string(),
        }))
    }

    async fn diff(
        &self,
        request: Request<StateDiffRequest>,
    ) -> Result<Response<StateDiffReply>, Status> {
        let request = request.into_inner();
        let stream_id = required("stream_id", &request.stream_id)?;
        let to = (request.to_version > 0).then_some(request.to_version);
        let diff = audit::diff(
            self.source(),
            self.vault(),
            &self.replayers,
            stream_id,
            request.from_version,
            to,
        )
        .await
        .map_err(|e| {
            let field = match &e {
                AuditError::NoSuchVersion { requested, .. }
                    if *requested == request.from_version =>
                {
                    "from_version"
                }
                AuditError::Invalid { .. } => "from_version",
                _ => "to_version",
            };
            status(e, field)
        })?;
        Ok(Response::new(StateDiffReply {
            stream_id: diff.stream_id,
            aggregate_type: diff.aggregate_type,
            from_version: diff.from_version,
            to_version: diff.to_version,
            events: diff.events.iter().map(event_ref).collect(),
            changes: diff
                .changes
                .into_iter()
                .map(|c| v1::FieldChange {
                    path: c.path,
                    before_json: c.before.map(|v| v.to_string()),
                    after_json: c.after.map(|v| v.to_string()),
                    changed_by: c.changed_by.iter().map(event_ref).collect(),
                })
                .collect(),
        }))
    }

    async fn trace(&self, request: Request<TraceRequest>) -> Result<Response<TraceReply>, Status> {
        let request = request.into_inner();
        let correlation_id = required("correlation_id", &request.correlation_id)?;
        let trace = audit::trace(self.source(), self.vault(), correlation_id)
            .await
            .map_err(|e| status(e, "correlation_id"))?;
        Ok(Response::new(TraceReply {
            correlation_id: trace.correlation_id,
            steps: trace
                .steps
                .iter()
                .map(|step| v1::TraceStep {
                    event: Some(to_proto(&step.event)),
                    depth: u32::try_from(step.depth).unwrap_or(u32::MAX),
                    caused_by: step.caused_by.map(|id| id.to_string()).unwrap_or_default(),
                })
                .collect(),
            streams: trace.streams,
        }))
    }

    async fn verify(
        &self,
        request: Request<VerifyRequest>,
    ) -> Result<Response<Self::VerifyStream>, Status> {
        let scope = scope(&request.into_inner().stream_id);
        if let Scope::Stream(id) = &scope {
            ensure_known(self.source(), id).await?;
        }
        // Read before the log, so no head lies beyond the log as the verification sees it.
        let witnessed = match (&scope, &self.heads) {
            (Scope::All, Some(heads)) => Some(witnessed(heads)?),
            _ => None,
        };
        let (updates, received) = mpsc::channel(16);
        let log = self.log.clone();
        tokio::spawn(async move {
            let progress = ProgressUpdates {
                updates: updates.clone(),
                expected: None,
            };
            let verified = match witnessed {
                Some(witnessed) => audit::verify_witnessed(log.source(), witnessed, progress).await,
                None => audit::verify(log.source(), &scope, progress).await,
            };
            let update = match verified {
                Ok(report) => Ok(VerifyUpdate {
                    update: Some(verify_update::Update::Report(Box::new(verify_report(
                        report,
                    )))),
                }),
                Err(error) => Err(Status::from(AppError::from(error))),
            };
            // A client gone away needs no report.
            let _ = updates.send(update).await;
        });
        let updates = self.stopping.bound(ReceiverStream::new(received));
        Ok(Response::new(Box::pin(updates)))
    }

    async fn export(
        &self,
        request: Request<ExportRequest>,
    ) -> Result<Response<Self::ExportStream>, Status> {
        let request = request.into_inner();
        let scope = scope(&request.stream_id);
        let filter = filter(request.filter.unwrap_or_default())?;
        if let Scope::Stream(id) = &scope {
            ensure_known(self.source(), id).await?;
        }
        // The whole log, unfiltered, carries its newest signed head, so the file proves
        // offline that it is the log that was witnessed (read before the log).
        let witnessed = match (&scope, &self.heads) {
            (Scope::All, Some(heads)) if filter == Filter::default() => Some(witnessed(heads)?),
            _ => None,
        };
        let (chunks, received) = mpsc::channel(4);
        let log = self.log.clone();
        tokio::spawn(async move {
            let counts = Arc::new(ExportCounts::default());
            let mut sink = ChunkSink {
                chunks: chunks.clone(),
                buffer: Vec::with_capacity(CHUNK),
                counts: counts.clone(),
            };
            let progress = Counting(counts);
            let exported = match witnessed {
                Some(witnessed) => {
                    audit::export_witnessed_to(log.source(), witnessed, &mut sink, progress).await
                }
                None => audit::export_to(log.source(), &scope, &filter, &mut sink, progress).await,
            };
            let last = match exported {
                Ok(_) => sink.flush().await.map_err(|_| None),
                Err(ExportError::Write(_)) => Err(None),
                Err(ExportError::Store(error)) => Err(Some(Status::from(AppError::from(error)))),
            };
            if let Err(Some(error)) = last {
                // What was sent stays without a trailer, so it cannot pass for complete.
                let _ = chunks.send(Err(error)).await;
            }
        });
        let chunks = self.stopping.bound(ReceiverStream::new(received));
        Ok(Response::new(Box::pin(chunks)))
    }
}

/// Progress as stream messages; dropped, not waited for, when the client lags.
struct ProgressUpdates {
    updates: mpsc::Sender<Result<VerifyUpdate, Status>>,
    expected: Option<u64>,
}

impl Progress for ProgressUpdates {
    fn start(&mut self, expected_events: Option<u64>) {
        self.expected = expected_events;
    }

    fn advance(&mut self, events_done: u64) {
        let progress = v1::VerifyProgress {
            events_checked: events_done,
            expected: self.expected,
        };
        let _ = self.updates.try_send(Ok(VerifyUpdate {
            update: Some(verify_update::Update::Progress(progress)),
        }));
    }
}

/// How far an export got, for its chunks to tell.
struct ExportCounts {
    scanned: AtomicU64,
    /// `u64::MAX` while unknown.
    expected: AtomicU64,
}

impl Default for ExportCounts {
    fn default() -> Self {
        Self {
            scanned: AtomicU64::new(0),
            expected: AtomicU64::new(u64::MAX),
        }
    }
}

/// The export's side of the shared counts.
struct Counting(Arc<ExportCounts>);

impl Progress for Counting {
    fn start(&mut self, expected_events: Option<u64>) {
        let expected = expected_events.unwrap_or(u64::MAX);
        self.0.expected.store(expected, Ordering::Relaxed);
    }

    fn advance(&mut self, events_done: u64) {
        self.0.scanned.store(events_done, Ordering::Relaxed);
    }
}

/// Gathers export lines into messages of about [`CHUNK`] bytes; waits while the
/// client is slow (the channel is bounded), and fails once it is gone.
struct ChunkSink {
    chunks: mpsc::Sender<Result<ExportChunk, Status>>,
    buffer: Vec<u8>,
    counts: Arc<ExportCounts>,
}

impl ChunkSink {
    async fn flush(&mut self) -> std::io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let chunk = ExportChunk {
            ndjson: std::mem::replace(&mut self.buffer, Vec::with_capacity(CHUNK)),
            scanned: self.counts.scanned.load(Ordering::Relaxed),
            expected: Some(self.counts.expected.load(Ordering::Relaxed))
                .filter(|expected| *expected != u64::MAX),
        };
        self.chunks
            .send(Ok(chunk))
            .await
            .map_err(|_| std::io::Error::other("the client went away"))
    }
}

impl ExportSink for ChunkSink {
    async fn write(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.buffer.extend_from_slice(bytes);
        if self.buffer.len() >= CHUNK {
            self.flush().await?;
        }
        Ok(())
    }
}

fn scope(stream_id: &str) -> Scope {
    match stream_id.trim() {
        "" => Scope::All,
        id => Scope::Stream(id.to_owned()),
    }
}

fn required<'a>(field: &'static str, value: &'a str) -> Result<&'a str, Status> {
    match value.trim() {
        "" => Err(invalid(field, "is required")),
        value => Ok(value),
    }
}

fn page_size(limit: u32) -> Result<usize, Status> {
    match limit as usize {
        0 => Ok(DEFAULT_PAGE),
        limit if limit <= audit::MAX_PAGE => Ok(limit),
        limit => Err(invalid(
            "limit",
            &format!("must be between 1 and {}, not {limit}", audit::MAX_PAGE),
        )),
    }
}

fn instant(field: &'static str, text: &str) -> Result<DateTime<Utc>, Status> {
    es_core::time::parse(text.trim()).map_err(|message| invalid(field, &message))
}

fn optional_instant(field: &'static str, text: &str) -> Result<Option<DateTime<Utc>>, Status> {
    match text.trim() {
        "" => Ok(None),
        text => instant(field, text).map(Some),
    }
}

fn filter(raw: AuditFilter) -> Result<Filter, Status> {
    let text = |value: String| Some(value.trim().to_owned()).filter(|v| !v.is_empty());
    let position = |value: u64| (value > 0).then_some(value);
    Ok(Filter {
        recorded_from: optional_instant("filter.recorded_from", &raw.recorded_from)?,
        recorded_to: optional_instant("filter.recorded_to", &raw.recorded_to)?,
        event_type: text(raw.event_type),
        aggregate_type: text(raw.aggregate_type),
        correlation_id: text(raw.correlation_id),
        actor_subject: text(raw.actor),
        from_position: position(raw.from_position),
        to_position: position(raw.to_position),
    })
}

async fn ensure_known(source: Source<'_>, stream_id: &str) -> Result<(), Status> {
    let first = audit::HistoryQuery {
        scope: Scope::Stream(stream_id.to_owned()),
        filter: Filter::default(),
        after: 0,
        limit: 1,
    };
    audit::history(source, None, &first)
        .await
        .map(|_| ())
        .map_err(|e| status(e, "stream_id"))
}

fn event_ref(e: &EventRef) -> v1::EventRef {
    v1::EventRef {
        event_id: e.event_id.to_string(),
        version: e.version,
        position: e.position,
        event_type: e.event_type.clone(),
        recorded_at: es_core::time::format(&e.recorded_at),
        correlation_id: e.correlation_id.clone(),
    }
}

/// The witnessed heads and trusted keys; unreadable ones fail the verification (it
/// could not say what it promises).
fn witnessed(heads: &HeadsSettings) -> Result<audit::Witnessed, Status> {
    let (heads, trusted) = heads.witnessed().map_err(|error| {
        tracing::error!(%error, "the witnessed log heads cannot be read");
        Status::internal(format!("the witnessed log heads cannot be read: {error}"))
    })?;
    Ok(audit::Witnessed { heads, trusted })
}

fn witness_check(report: audit::WitnessReport) -> v1::WitnessCheck {
    let newest = report.newest.as_ref();
    v1::WitnessCheck {
        heads_checked: report.heads_checked,
        newest_position: newest.map_or(0, |h| h.position),
        newest_signed_at: newest.map(|h| h.signed_at.clone()).unwrap_or_default(),
        problem_kind: report
            .problem
            .as_ref()
            .map(|p| p.kind().to_owned())
            .unwrap_or_default(),
        problem: report
            .problem
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default(),
    }
}

fn verify_report(report: audit::VerifyReport) -> v1::VerifyReport {
    v1::VerifyReport {
        witness: report.witness.map(witness_check),
        events_checked: report.events_checked,
        streams_checked: report.streams_checked,
        last_position: report.last_position,
        first_break: report.first_break.map(|link| {
            let detail = link.to_string();
            let (kind, expected, found) = match &link.problem {
                Break::Version { expected, found } => {
                    ("version", expected.to_string(), found.to_string())
                }
                Break::PrevHash { expected, found } => {
                    ("prev_hash", expected.to_hex(), found.to_hex())
                }
                Break::Hash { expected, found } => ("hash", expected.to_hex(), found.to_hex()),
                Break::Position { previous, found } => {
                    ("position", format!("> {previous}"), found.to_string())
                }
                Break::Unreadable { reason } => ("unreadable", String::new(), reason.clone()),
            };
            v1::BrokenLink {
                stream_id: link.stream_id,
                version: link.version,
                position: link.position,
                kind: kind.to_owned(),
                detail,
                expected,
                found,
            }
        }),
    }
}

fn invalid(field: &str, message: &str) -> Status {
    with_detail(
        Code::InvalidArgument,
        "invalid_argument",
        field,
        format!("{field}: {message}"),
    )
}

fn with_detail(code: Code, reason: &str, field: &str, message: String) -> Status {
    ErrorDetail::new(reason, message)
        .on_field(field)
        .into_status(code)
}

/// `field` names the request field a version or time error is about.
fn status(error: AuditError, field: &str) -> Status {
    match error {
        AuditError::UnknownStream(id) => with_detail(
            Code::NotFound,
            "unknown_stream",
            "stream_id",
            format!("unknown stream `{id}`"),
        ),
        // A well-formed version the stream has not reached names nothing: not found,
        // as a read of an id nobody registered is.
        e @ AuditError::NoSuchVersion { .. } => with_detail(
            Code::NotFound,
            "no_such_version",
            field,
            format!("{field}: {e}"),
        ),
        AuditError::Invalid { field, reason } => invalid(field, &reason),
        e @ AuditError::UnknownAggregateType(_) => invalid("stream_id", &e.to_string()),
        e @ AuditError::Replay { .. } => AppError::Integrity(e.to_string()).into(),
        AuditError::Store(e) => AppError::from(e).into(),
        AuditError::Vault(e) => AppError::from(e).into(),
    }
}
