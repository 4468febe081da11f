//! Where an audit reads events from, page by page (never the whole store at once): any
//! store through the port, or the embedded store's file directly.

#[cfg(feature = "sqlite")]
use std::path::Path;
use std::sync::Arc;

use crate::envelope::EventEnvelope;
use crate::memory::InMemoryEventStore;
use crate::store::{EventStore, StoreError};

use super::filter::Scope;

/// Events per read. Large enough that a round-trip costs little per event, small enough
/// that a page is a few milliseconds of work.
pub(super) const PAGE: usize = 2_000;

/// What [`verify`](super::verify) and [`export`](super::export()) read.
///
/// A store kept in a local file (`&SqliteEventStore`, also behind `dyn EventStore`:
/// see [`EventStore::local_file`]) converts to [`Source::SqliteFile`], the lean path;
/// any other store is read through the port. Name [`Source::Store`] to force the port.
#[derive(Clone, Copy)]
pub enum Source<'a> {
    /// Any store, through `read_all` / `read_stream`.
    Store(&'a dyn EventStore),
    /// The embedded store's file, opened read-only beside any running store. It reads
    /// rows as stored and keeps each payload as its stored (canonical) text, which is
    /// what is hashed and exported: no `serde_json::Value` is built per event, and page
    /// buffers are reused. Same verdicts as the port (`tests/audit.rs` checks both).
    #[cfg(feature = "sqlite")]
    SqliteFile(&'a Path),
}

impl<'a> From<&'a dyn EventStore> for Source<'a> {
    fn from(store: &'a dyn EventStore) -> Self {
        #[cfg(feature = "sqlite")]
        if let Some(path) = store.local_file() {
            return Source::SqliteFile(path);
        }
        Source::Store(store)
    }
}

impl<'a> From<&'a Arc<dyn EventStore>> for Source<'a> {
    fn from(store: &'a Arc<dyn EventStore>) -> Self {
        Source::from(store.as_ref())
    }
}

impl<'a> From<&'a InMemoryEventStore> for Source<'a> {
    fn from(store: &'a InMemoryEventStore) -> Self {
        Source::Store(store)
    }
}

#[cfg(feature = "sqlite")]
impl<'a> From<&'a crate::sqlite::SqliteEventStore> for Source<'a> {
    fn from(store: &'a crate::sqlite::SqliteEventStore) -> Self {
        Source::SqliteFile(store.path())
    }
}

/// One event as read for an audit.
#[derive(Debug, Clone)]
pub(super) struct Row {
    /// With `payload` left `Null` when `payload_text` is set.
    pub event: EventEnvelope,
    /// The payload's JSON text as the source holds it (canonical unless tampered
    /// with), when the source has it.
    pub payload_text: Option<String>,
}

impl From<EventEnvelope> for Row {
    fn from(event: EventEnvelope) -> Self {
        Self {
            event,
            payload_text: None,
        }
    }
}

/// A row the source cannot return or decode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Damage {
    pub stream_id: String,
    pub version: u64,
    /// Unknown when the port refused the row.
    pub position: Option<u64>,
    pub reason: String,
}

impl Damage {
    fn from_store(error: &StoreError) -> Self {
        let (stream_id, version) = match error {
            StoreError::Corrupt {
                stream_id, version, ..
            }
            | StoreError::ChainBroken {
                stream_id, version, ..
            } => (stream_id.clone(), *version),
            _ => (String::new(), 0),
        };
        Self {
            stream_id,
            version,
            position: None,
            reason: error.to_string(),
        }
    }

    pub(super) fn into_store_error(self) -> StoreError {
        StoreError::Corrupt {
            stream_id: self.stream_id,
            version: self.version,
            reason: self.reason,
        }
    }
}

/// A page of rows in read order; `damage` is the row that stopped it (always last).
pub(super) struct Page {
    pub rows: Vec<Row>,
    pub damage: Option<Damage>,
}

enum Reader<'a> {
    Store(&'a dyn EventStore),
    /// `None` only while a read holds the file on the blocking pool.
    #[cfg(feature = "sqlite")]
    File(Option<super::sqlite::EventsFile>),
}

pub(super) struct Pages<'a> {
    reader: Reader<'a>,
    stream: Option<String>,
    /// `$all`: the position read after; a stream: the next version to read.
    cursor: u64,
    /// `$all`: the last position to read, so a run ends even while writers append.
    until: u64,
    done: bool,
}

impl<'a> Pages<'a> {
    /// `$all` positions in `[from, to)` (as far as the head when called), or a whole
    /// stream.
    pub(super) async fn open(
        source: Source<'a>,
        scope: &Scope,
        from_position: Option<u64>,
        to_position: Option<u64>,
    ) -> Result<Self, StoreError> {
        let (stream, cursor) = match scope {
            Scope::All => (None, from_position.unwrap_or(1).saturating_sub(1)),
            Scope::Stream(id) => (Some(id.clone()), 1),
        };
        Self::open_at(source, stream, cursor, to_position).await
    }

    /// One stream from `from_version` on.
    pub(super) async fn stream_from(
        source: Source<'a>,
        stream_id: &str,
        from_version: u64,
    ) -> Result<Self, StoreError> {
        Self::open_at(
            source,
            Some(stream_id.to_owned()),
            from_version.max(1),
            None,
        )
        .await
    }

    /// `stream: None` is `$all` after position `cursor`; otherwise that stream from
    /// version `cursor` on.
    async fn open_at(
        source: Source<'a>,
        stream: Option<String>,
        cursor: u64,
        to_position: Option<u64>,
    ) -> Result<Self, StoreError> {
        let (reader, head) = match source {
            Source::Store(store) => (Reader::Store(store), *store.head().borrow()),
            #[cfg(feature = "sqlite")]
            Source::SqliteFile(path) => {
                let path = path.to_path_buf();
                let (file, head) = blocking(move || {
                    let file = super::sqlite::EventsFile::open(&path)?;
                    let head = file.head()?;
                    Ok((file, head))
                })
                .await?;
                (Reader::File(Some(file)), head)
            }
        };
        let until = to_position.map_or(head, |to| head.min(to.saturating_sub(1)));
        Ok(Self {
            reader,
            stream,
            cursor,
            until,
            done: false,
        })
    }

    /// An upper bound of the events to read, when cheap to know (`$all` only).
    pub(super) fn expected(&self) -> Option<u64> {
        match self.stream {
            None => Some(self.until.saturating_sub(self.cursor)),
            Some(_) => None,
        }
    }

    /// The next page, or `None` after the last. `buffer` is a spent page whose rows the
    /// file reader overwrites instead of allocating new ones.
    pub(super) async fn next(&mut self, buffer: Vec<Row>) -> Result<Option<Page>, StoreError> {
        if self.done || (self.stream.is_none() && self.cursor >= self.until) {
            return Ok(None);
        }
        let page = match &mut self.reader {
            Reader::Store(store) => read_port(*store, &self.stream, self.cursor, buffer).await?,
            #[cfg(feature = "sqlite")]
            Reader::File(slot) => {
                let closed = || StoreError::Unavailable("the audit reader was interrupted".into());
                let file = slot.take().ok_or_else(closed)?;
                let (stream, cursor, until) = (self.stream.clone(), self.cursor, self.until);
                let (file, page) = blocking(move || {
                    let mut rows = buffer;
                    let damage = match &stream {
                        None => file.read_all(cursor, until, PAGE, &mut rows),
                        Some(id) => file.read_stream(id, cursor, PAGE, &mut rows),
                    };
                    Ok((file, damage.map(|damage| Page { rows, damage })))
                })
                .await?;
                *slot = Some(file);
                page?
            }
        };
        Ok(Some(self.advance(page)))
    }

    /// Keeps the scope's bound and moves the cursor past the page.
    fn advance(&mut self, mut page: Page) -> Page {
        let full = page.rows.len() == PAGE;
        match self.stream {
            None => {
                let read = page.rows.len();
                page.rows.retain(|row| row.event.position <= self.until);
                if let Some(last) = page.rows.last() {
                    self.cursor = last.event.position;
                }
                // Past the bound (the port reads no upper bound) is the end too.
                self.done |= !full || page.rows.len() < read || self.cursor >= self.until;
                // Damage past the bound (a row written after the run began) is not this run's.
                if self.cursor >= self.until {
                    page.damage = None;
                }
            }
            Some(_) => {
                if let Some(last) = page.rows.last() {
                    self.cursor = last.event.version + 1;
                }
                self.done |= !full;
            }
        }
        self.done |= page.damage.is_some();
        page
    }
}

/// A page through the port. A row the store refuses fails the whole read, so the page
/// is halved until the longest prefix the store still returns is found (stores decode
/// rows in order and fail on the first bad one).
async fn read_port(
    store: &dyn EventStore,
    stream: &Option<String>,
    cursor: u64,
    mut rows: Vec<Row>,
) -> Result<Page, StoreError> {
    let read = |limit| async move {
        match stream {
            None => store.read_all(cursor, limit).await,
            Some(id) => store.read_stream(id, cursor, limit).await,
        }
    };
    rows.clear();
    let mut error = match read(PAGE).await {
        Ok(events) => {
            rows.extend(events.into_iter().map(Row::from));
            return Ok(Page { rows, damage: None });
        }
        Err(error) if is_damage(&error) => error,
        Err(error) => return Err(error),
    };
    let (mut good, mut bad, mut prefix) = (0, PAGE, Vec::new());
    while bad - good > 1 {
        let mid = good + (bad - good) / 2;
        match read(mid).await {
            Ok(events) => (good, prefix) = (mid, events),
            Err(e) if is_damage(&e) => (bad, error) = (mid, e),
            Err(e) => return Err(e),
        }
    }
    rows.extend(prefix.into_iter().map(Row::from));
    Ok(Page {
        rows,
        damage: Some(Damage::from_store(&error)),
    })
}

fn is_damage(error: &StoreError) -> bool {
    matches!(
        error,
        StoreError::Corrupt { .. } | StoreError::ChainBroken { .. }
    )
}

/// Runs `work` on the blocking pool; a panic there is resumed here.
pub(super) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    match tokio::task::spawn_blocking(work).await {
        Ok(result) => result,
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(e) => Err(StoreError::Unavailable(format!(
            "audit task cancelled: {e}"
        ))),
    }
}

impl Row {
    /// The event with its payload parsed from the stored text (when read from a file).
    pub(super) fn into_envelope(self) -> Result<EventEnvelope, StoreError> {
        let mut event = self.event;
        if let Some(text) = self.payload_text {
            event.payload = serde_json::from_str(&text).map_err(|e| StoreError::Corrupt {
                stream_id: event.stream_id.clone(),
                version: event.version,
                reason: format!("column payload: {e}"),
            })?;
        }
        Ok(event)
    }
}
