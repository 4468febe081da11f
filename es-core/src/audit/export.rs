//! Exports: NDJSON of one stream or a filtered `$all` range, re-checkable offline by
//! [`verify_export`](super::verify_export).
//!
//! # Format `pitlane-export-v1`
//!
//! UTF-8, one JSON object per line, each line ending in `\n`:
//!
//! - for a whole-log export made with the log's signed heads, first a witness line,
//!   `{"witness":{"head":{…},"keys":[…]}}` ([`WitnessHeader`]): the newest signed head
//!   the file reaches and the public keys heads are checked with (`crate::heads`), so
//!   the file proves offline that it holds the log that was witnessed up to that head;
//! - one line per event, in read order (`$all` position order, or a stream's version
//!   order), an [`ExportLine`] with its keys in exactly this order (DESIGN §3):
//!   `event_id`, `stream_id`, `aggregate_type`, `aggregate_id`, `version`, `position`,
//!   `event_type`, `schema_version`, `occurred_at`, `recorded_at`, `correlation_id`,
//!   `causation_id`, `actor` (`{"subject":…,"role":…}`), `traceparent` (string or
//!   `null`), `payload` (object, keys sorted), `prev_hash`, `hash` (lowercase hex).
//!   Times are RFC 3339 UTC with microseconds, as hashed;
//! - then exactly one last line, the [`Trailer`]:
//!   `{"trailer":{"count":N,"last_hash":"<hex>"|null,"format":"pitlane-export-v1","streams":"from_start"|"contiguous"|"sparse"}}`
//!   — `count` event lines above it, the `hash` of the last one (`null` when none), and
//!   what the file holds of each stream ([`Coverage`], from [`Filter::coverage`]): from
//!   version 1 on, consecutive versions from some version on, or picked events.
//!
//! New keys are only ever added under a new format name. The trailer makes a cut-short
//! file detectable; it is not a signature: anyone who can edit the file can edit it
//! too. What ties an export to the log is its hashes, compared with the store's.

use std::borrow::Cow;
use std::io::{self, Write};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;
use uuid::Uuid;

use crate::envelope::{Actor, EventEnvelope};
use crate::hash::Hash;
use crate::heads::{SignedHead, TrustedKey};
use crate::store::StoreError;

use super::filter::{Coverage, Filter, Scope};
use super::parallel::in_chunks;
use super::progress::Progress;
use super::source::{Pages, Row, Source, blocking};
use super::witnessed::Witnessed;

/// The `format` of the trailer of this version of the export.
pub const FORMAT: &str = "pitlane-export-v1";

/// One event line. The struct *is* the format: its field order is the line's key order,
/// independent of [`EventEnvelope`]'s, and it never carries a map whose order could vary
/// (the payload comes from canonical JSON, keys sorted).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportLine<'a> {
    pub event_id: Uuid,
    #[serde(borrow)]
    pub stream_id: Cow<'a, str>,
    #[serde(borrow)]
    pub aggregate_type: Cow<'a, str>,
    #[serde(borrow)]
    pub aggregate_id: Cow<'a, str>,
    pub version: u64,
    pub position: u64,
    #[serde(borrow)]
    pub event_type: Cow<'a, str>,
    pub schema_version: u32,
    #[serde(with = "micros")]
    pub occurred_at: DateTime<Utc>,
    #[serde(with = "micros")]
    pub recorded_at: DateTime<Utc>,
    #[serde(borrow)]
    pub correlation_id: Cow<'a, str>,
    #[serde(borrow)]
    pub causation_id: Cow<'a, str>,
    #[serde(borrow)]
    pub actor: ExportActor<'a>,
    pub traceparent: Option<Cow<'a, str>>,
    /// The payload's JSON text as stored (canonical: keys sorted, no spaces).
    #[serde(borrow)]
    pub payload: &'a RawValue,
    #[serde(serialize_with = "hex_hash")]
    pub prev_hash: Hash,
    #[serde(serialize_with = "hex_hash")]
    pub hash: Hash,
}

/// A hash as lowercase hex, like `Hash`'s own `Serialize`, without allocating.
fn hex_hash<S: serde::Serializer>(hash: &Hash, s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::Error;
    let mut hex = [0u8; 64];
    hex::encode_to_slice(hash.0, &mut hex).map_err(S::Error::custom)?;
    s.serialize_str(std::str::from_utf8(&hex).map_err(S::Error::custom)?)
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportActor<'a> {
    #[serde(borrow)]
    pub subject: Cow<'a, str>,
    #[serde(borrow)]
    pub role: Cow<'a, str>,
}

impl<'a> ExportLine<'a> {
    /// The line of `e`, with its payload as `payload` (the stored text, or `e.payload`
    /// serialised).
    pub fn new(e: &'a EventEnvelope, payload: &'a RawValue) -> Self {
        Self {
            event_id: e.event_id,
            stream_id: Cow::Borrowed(&e.stream_id),
            aggregate_type: Cow::Borrowed(&e.aggregate_type),
            aggregate_id: Cow::Borrowed(&e.aggregate_id),
            version: e.version,
            position: e.position,
            event_type: Cow::Borrowed(&e.event_type),
            schema_version: e.schema_version,
            occurred_at: e.occurred_at,
            recorded_at: e.recorded_at,
            correlation_id: Cow::Borrowed(&e.correlation_id),
            causation_id: Cow::Borrowed(&e.causation_id),
            actor: ExportActor {
                subject: Cow::Borrowed(&e.actor.subject),
                role: Cow::Borrowed(&e.actor.role),
            },
            traceparent: e.traceparent.as_deref().map(Cow::Borrowed),
            payload,
            prev_hash: e.prev_hash,
            hash: e.hash,
        }
    }

    /// The envelope this line carries, its payload parsed.
    pub fn to_envelope(&self) -> Result<EventEnvelope, serde_json::Error> {
        let mut event = self.to_header();
        event.payload = serde_json::from_str(self.payload.get())?;
        Ok(event)
    }

    /// The envelope without its payload (`Null`): what the hash takes beside the
    /// payload's text.
    pub(super) fn to_header(&self) -> EventEnvelope {
        EventEnvelope {
            event_id: self.event_id,
            stream_id: self.stream_id.clone().into_owned(),
            aggregate_type: self.aggregate_type.clone().into_owned(),
            aggregate_id: self.aggregate_id.clone().into_owned(),
            version: self.version,
            position: self.position,
            event_type: self.event_type.clone().into_owned(),
            schema_version: self.schema_version,
            occurred_at: self.occurred_at,
            recorded_at: self.recorded_at,
            correlation_id: self.correlation_id.clone().into_owned(),
            causation_id: self.causation_id.clone().into_owned(),
            actor: Actor::new(self.actor.subject.clone(), self.actor.role.clone()),
            traceparent: self.traceparent.clone().map(Cow::into_owned),
            payload: Value::Null,
            prev_hash: self.prev_hash,
            hash: self.hash,
        }
    }
}

/// The last line of an export: `{"trailer":{…}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trailer {
    /// Event lines in the file.
    pub count: u64,
    /// The `hash` of the last event line; `None` (`null`) when there is none.
    pub last_hash: Option<Hash>,
    /// Always [`FORMAT`] for this version.
    pub format: String,
    /// What the file holds of each stream.
    pub streams: Coverage,
}

/// The first line of a whole-log export made with the log's signed heads
/// ([`export_witnessed_to`]): the newest trusted head the file reaches and the keys that
/// vouch for heads, so the file verifies offline against what was witnessed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WitnessHeader {
    pub head: SignedHead,
    pub keys: Vec<TrustedKey>,
}

/// The witness header's line: the one key `witness`.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct WitnessLine {
    pub witness: WitnessHeader,
}

/// The trailer's line: the one key `trailer`.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct TrailerLine {
    pub trailer: Trailer,
}

/// What an export wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportSummary {
    /// Events read from the store, kept or not.
    pub scanned: u64,
    /// The trailer written last.
    pub trailer: Trailer,
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The store could not be read, or a row could not be decoded (it names the stream
    /// and version; run `verify`). The output then has no trailer.
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot write the export: {0}")]
    Write(#[from] io::Error),
}

/// Where an export's bytes go when not to an [`io::Write`]: e.g. a bounded channel to a
/// network stream, which waits while the reader is slow instead of buffering the log.
pub trait ExportSink {
    /// Takes whole lines (one or more), in order.
    fn write(&mut self, bytes: &[u8]) -> impl Future<Output = io::Result<()>> + Send;
}

/// An [`io::Write`] as a sink (writes complete at once).
struct WriteSink<'w, W>(&'w mut W);

impl<W: Write> ExportSink for WriteSink<'_, W> {
    fn write(&mut self, bytes: &[u8]) -> impl Future<Output = io::Result<()>> + Send {
        std::future::ready(self.0.write_all(bytes))
    }
}

/// Writes the events of `scope` that `filter` keeps to `out` in the
/// [`pitlane-export-v1`](self) format, then the trailer, and flushes.
///
/// `source` is a store or a store file; see [`Source`]. Lines are rendered while the
/// next page is read, and written to `out` on the calling task: give it a buffered
/// writer. A row the store cannot decode ends the export with an error and no trailer,
/// so the file cannot pass for complete.
pub async fn export<'a>(
    source: impl Into<Source<'a>>,
    scope: &Scope,
    filter: &Filter,
    out: &mut impl Write,
    progress: impl Progress,
) -> Result<ExportSummary, ExportError> {
    let summary = export_to(source, scope, filter, &mut WriteSink(out), progress).await?;
    out.flush()?;
    Ok(summary)
}

/// [`export`] into an [`ExportSink`].
pub async fn export_to<'a>(
    source: impl Into<Source<'a>>,
    scope: &Scope,
    filter: &Filter,
    out: &mut impl ExportSink,
    progress: impl Progress,
) -> Result<ExportSummary, ExportError> {
    export_with(source.into(), scope, filter, None, out, progress).await
}

/// The whole log into an [`ExportSink`], opened by a [`WitnessHeader`] with the newest
/// of `witnessed`'s heads a trusted key signed (none: a plain export). Read the heads
/// before calling, so the newest lies within the log as the export reads it.
pub async fn export_witnessed_to<'a>(
    source: impl Into<Source<'a>>,
    witnessed: Witnessed,
    out: &mut impl ExportSink,
    progress: impl Progress,
) -> Result<ExportSummary, ExportError> {
    let Witnessed { heads, trusted } = witnessed;
    let header = heads
        .into_iter()
        .filter(|head| trusted.check(head).is_ok())
        .max_by_key(|head| head.position)
        .map(|head| WitnessHeader {
            head,
            keys: trusted.keys().to_vec(),
        });
    let everything = Filter::default();
    export_with(
        source.into(),
        &Scope::All,
        &everything,
        header,
        out,
        progress,
    )
    .await
}

async fn export_with(
    source: Source<'_>,
    scope: &Scope,
    filter: &Filter,
    header: Option<WitnessHeader>,
    out: &mut impl ExportSink,
    mut progress: impl Progress,
) -> Result<ExportSummary, ExportError> {
    if let Some(witness) = header {
        let mut line = serde_json::to_vec(&WitnessLine { witness }).map_err(io::Error::other)?;
        line.push(b'\n');
        out.write(&line).await?;
    }
    let mut pages = Pages::open(source, scope, filter.from_position, filter.to_position).await?;
    progress.start(pages.expected());
    let mut trailer = Trailer {
        count: 0,
        last_hash: None,
        format: FORMAT.to_owned(),
        streams: filter.coverage(),
    };
    let mut scanned = 0;
    let mut rendering: Vec<Rendered> = Vec::new();
    let mut next = pages.next(Vec::new()).await?;
    let mut spare = Vec::new();
    while let Some(page) = next {
        let (rows, filter) = (page.rows, filter.clone());
        let render = blocking(move || {
            let used = in_chunks(&rows, &mut rendering, |chunk, rendered| {
                rendered.render(chunk, &filter);
            });
            Ok((rows, rendering, used))
        });
        // The next page is read meanwhile.
        let (read, rendered) = futures::join!(pages.next(spare), render);
        let (rows, returned, used) = rendered?;
        rendering = returned;
        for rendered in &mut rendering[..used] {
            out.write(&rendered.text).await?;
            trailer.count += rendered.count;
            trailer.last_hash = rendered.last_hash.or(trailer.last_hash);
            if let Some(error) = rendered.error.take() {
                return Err(error);
            }
        }
        if let Some(damage) = page.damage {
            return Err(damage.into_store_error().into());
        }
        scanned += rows.len() as u64;
        progress.advance(scanned);
        (next, spare) = (read?, rows);
    }
    let mut line = serde_json::to_vec(&TrailerLine {
        trailer: trailer.clone(),
    })
    .map_err(io::Error::other)?;
    line.push(b'\n');
    out.write(&line).await?;
    Ok(ExportSummary { scanned, trailer })
}

/// The lines one rendering thread made of its chunk of a page.
#[derive(Default)]
struct Rendered {
    text: Vec<u8>,
    count: u64,
    last_hash: Option<Hash>,
    /// What stopped the chunk (its text ends before that row).
    error: Option<ExportError>,
}

impl Rendered {
    fn render(&mut self, rows: &[Row], filter: &Filter) {
        self.text.clear();
        (self.count, self.last_hash, self.error) = (0, None, None);
        for row in rows.iter().filter(|row| filter.matches(&row.event)) {
            if let Err(error) = render_line(row, &mut self.text) {
                self.error = Some(error);
                return;
            }
            self.count += 1;
            self.last_hash = Some(row.event.hash);
        }
    }
}

/// Appends `row`'s line to `out`. A stored payload that is not JSON fails the export.
fn render_line(row: &Row, out: &mut Vec<u8>) -> Result<(), ExportError> {
    let event = &row.event;
    let serialised;
    let payload: &RawValue = match &row.payload_text {
        Some(text) => serde_json::from_str(text).map_err(|e| StoreError::Corrupt {
            stream_id: event.stream_id.clone(),
            version: event.version,
            reason: format!("column payload: {e}"),
        })?,
        None => {
            serialised =
                serde_json::value::to_raw_value(&event.payload).map_err(io::Error::other)?;
            &serialised
        }
    };
    let len = out.len();
    let written = serde_json::to_writer(&mut *out, &ExportLine::new(event, payload));
    if let Err(e) = written {
        out.truncate(len);
        return Err(io::Error::other(e).into());
    }
    out.push(b'\n');
    Ok(())
}

/// Times as hashed: RFC 3339 UTC with microseconds (`crate::time`).
mod micros {
    use std::borrow::Cow;

    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(at: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&crate::time::format(at))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        let text = <Cow<'de, str>>::deserialize(d)?;
        crate::time::parse(&text).map_err(serde::de::Error::custom)
    }
}
