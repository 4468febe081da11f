//! State as of any moment: an aggregate's state replayed from its events up to a
//! version or an instant, and what changed between two versions, field by field.
//!
//! es-core knows no domain, so the domain registers a fold per aggregate type
//! ([`Replayers::with`]); replaying applies the events exactly as loading does for a
//! command: chain-checked, personal data opened, upcast, decoded, applied. The state is
//! the aggregate's own serde form, which is also its snapshot form.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::aggregate::{Aggregate, decode};
use crate::envelope::EventEnvelope;
use crate::hash::ChainCursor;
use crate::upcast::Upcasters;
use crate::vault::Vault;

use super::diff::{FieldChange, changes};
use super::error::AuditError;
use super::history::ensure_stream_exists;
use super::source::{Pages, Source};

/// An aggregate's state being rebuilt, one event at a time.
pub trait Fold: Send {
    /// Applies one stored event (personal data already opened).
    fn apply(&mut self, event: &EventEnvelope) -> Result<(), String>;
    /// The state so far, in the aggregate's serde form.
    fn state(&self) -> Result<Value, String>;
}

struct AggregateFold<A: Aggregate> {
    state: A,
    upcasters: Arc<Upcasters>,
}

impl<A: Aggregate> Fold for AggregateFold<A> {
    fn apply(&mut self, event: &EventEnvelope) -> Result<(), String> {
        let upcast = self
            .upcasters
            .upcast(event.clone())
            .map_err(|e| e.to_string())?;
        let decoded: A::Event = decode(&upcast.event_type, upcast.schema_version, &upcast.payload)
            .map_err(|e| e.to_string())?;
        self.state.apply(&decoded);
        Ok(())
    }

    fn state(&self) -> Result<Value, String> {
        serde_json::to_value(&self.state).map_err(|e| e.to_string())
    }
}

type NewFold = Arc<dyn Fn() -> Box<dyn Fold> + Send + Sync>;

/// The folds of every aggregate type the domain has, by `aggregate_type`.
#[derive(Clone, Default)]
pub struct Replayers {
    by_type: HashMap<String, NewFold>,
}

impl Replayers {
    pub fn new() -> Self {
        Self::default()
    }

    /// Replays streams of `A::TYPE` through `A::apply`, upcasting with `upcasters`.
    pub fn with<A: Aggregate>(mut self, upcasters: Arc<Upcasters>) -> Self {
        let new: NewFold = Arc::new(move || {
            Box::new(AggregateFold::<A> {
                state: A::default(),
                upcasters: upcasters.clone(),
            })
        });
        self.by_type.insert(A::TYPE.to_owned(), new);
        self
    }

    /// The aggregate types known, sorted.
    pub fn types(&self) -> Vec<&str> {
        let mut types: Vec<&str> = self.by_type.keys().map(String::as_str).collect();
        types.sort_unstable();
        types
    }

    fn fold(&self, aggregate_type: &str) -> Result<Box<dyn Fold>, AuditError> {
        self.by_type
            .get(aggregate_type)
            .map(|new| new())
            .ok_or_else(|| AuditError::UnknownAggregateType(aggregate_type.to_owned()))
    }
}

/// Up to where a state is replayed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AsOf {
    /// After the event of this version (0: before the first event).
    Version(u64),
    /// After every event recorded at or before this instant (`recorded_at`, the store's
    /// clock at commit).
    Time(DateTime<Utc>),
    /// After the last event.
    Latest,
}

/// What one event was, without its payload: the "by which events" of a diff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRef {
    pub event_id: uuid::Uuid,
    pub version: u64,
    pub position: u64,
    pub event_type: String,
    pub recorded_at: DateTime<Utc>,
    pub correlation_id: String,
}

impl From<&EventEnvelope> for EventRef {
    fn from(event: &EventEnvelope) -> Self {
        Self {
            event_id: event.event_id,
            version: event.version,
            position: event.position,
            event_type: event.event_type.clone(),
            recorded_at: event.recorded_at,
            correlation_id: event.correlation_id.clone(),
        }
    }
}

/// An aggregate's state at one point of its stream.
#[derive(Debug, Clone, PartialEq)]
pub struct StateAt {
    pub stream_id: String,
    pub aggregate_type: String,
    /// The version replayed to (0 when the point is before the first event).
    pub version: u64,
    /// The stream's last version, for context.
    pub current_version: u64,
    /// The last event applied, if any.
    pub last_event: Option<EventRef>,
    pub state: Value,
}

/// The state of `stream_id` as of `as_of`. An unknown stream is
/// [`AuditError::UnknownStream`]; a version past the last is
/// [`AuditError::NoSuchVersion`]; an instant before the first event is version 0 with
/// the aggregate's initial state.
pub async fn state_as_of(
    source: Source<'_>,
    vault: Option<&Vault>,
    replayers: &Replayers,
    stream_id: &str,
    as_of: AsOf,
) -> Result<StateAt, AuditError> {
    let mut replay = Replay::start(source, vault, replayers, stream_id).await?;
    let mut last_event = None;
    while let Some(event) = replay.next_event().await? {
        let wanted = match as_of {
            AsOf::Version(version) => event.version <= version,
            AsOf::Time(at) => event.recorded_at <= at,
            AsOf::Latest => true,
        };
        if !wanted {
            // The rest is only counted, for `current_version`.
            replay.skip_rest().await?;
            break;
        }
        replay.apply(&event)?;
        last_event = Some(EventRef::from(&event));
    }
    let version = last_event.as_ref().map_or(0, |e| e.version);
    if let AsOf::Version(requested) = as_of
        && requested > version
    {
        return Err(AuditError::NoSuchVersion {
            stream_id: stream_id.to_owned(),
            requested,
            current: replay.current_version,
        });
    }
    Ok(StateAt {
        stream_id: stream_id.to_owned(),
        aggregate_type: replay.aggregate_type.clone(),
        version,
        current_version: replay.current_version,
        last_event,
        state: replay.state()?,
    })
}

/// What changed in a stream's state from one version to a later one.
#[derive(Debug, Clone, PartialEq)]
pub struct StateDiff {
    pub stream_id: String,
    pub aggregate_type: String,
    pub from_version: u64,
    pub to_version: u64,
    /// The events between: `from_version + 1 ..= to_version`.
    pub events: Vec<EventRef>,
    /// Every field whose value differs between the two states, sorted by path, with
    /// the events that changed it on the way.
    pub changes: Vec<FieldChange>,
}

/// The diff of `stream_id`'s state between `from_version` (0: before the first event)
/// and `to_version` (`None`: the last version). A field changed and changed back is not
/// listed.
pub async fn diff(
    source: Source<'_>,
    vault: Option<&Vault>,
    replayers: &Replayers,
    stream_id: &str,
    from_version: u64,
    to_version: Option<u64>,
) -> Result<StateDiff, AuditError> {
    if let Some(to_version) = to_version.filter(|to| from_version > *to) {
        return Err(AuditError::Invalid {
            field: "from",
            reason: format!("version {from_version} is after `to` ({to_version})"),
        });
    }
    let mut replay = Replay::start(source, vault, replayers, stream_id).await?;
    let mut before = replay.state()?;
    let mut start = before.clone();
    let mut touched: HashMap<String, Vec<EventRef>> = HashMap::new();
    let mut events = Vec::new();
    while let Some(event) = replay.next_event().await? {
        if to_version.is_some_and(|to| event.version > to) {
            replay.skip_rest().await?;
            break;
        }
        replay.apply(&event)?;
        if event.version <= from_version {
            start = replay.state()?;
            before = start.clone();
            continue;
        }
        let after = replay.state()?;
        let reference = EventRef::from(&event);
        for change in changes(&before, &after) {
            touched
                .entry(change.path)
                .or_default()
                .push(reference.clone());
        }
        events.push(reference);
        before = after;
    }
    let to_version = to_version.unwrap_or(replay.current_version);
    let past_the_end = [(to_version, "to"), (from_version, "from")]
        .into_iter()
        .find(|(version, _)| *version > replay.current_version);
    if let Some((requested, _)) = past_the_end {
        return Err(AuditError::NoSuchVersion {
            stream_id: stream_id.to_owned(),
            requested,
            current: replay.current_version,
        });
    }
    let changes = changes(&start, &before)
        .into_iter()
        .map(|mut change| {
            change.changed_by = changed_by(&touched, &change.path);
            change
        })
        .collect();
    Ok(StateDiff {
        stream_id: stream_id.to_owned(),
        aggregate_type: replay.aggregate_type.clone(),
        from_version,
        to_version,
        events,
        changes,
    })
}

/// The events that changed `path` or anything inside or around it (a field added as a
/// whole object is touched at the object, later edits inside it at the leaves).
fn changed_by(touched: &HashMap<String, Vec<EventRef>>, path: &str) -> Vec<EventRef> {
    let related = |other: &str| {
        other == path
            || other.starts_with(&format!("{path}/"))
            || path.starts_with(&format!("{other}/"))
    };
    let mut events: Vec<EventRef> = touched
        .iter()
        .filter(|(other, _)| related(other))
        .flat_map(|(_, events)| events.iter().cloned())
        .collect();
    events.sort_by_key(|e| e.version);
    events.dedup_by_key(|e| e.version);
    events
}

/// A stream read in version order, chain-checked, personal data opened, folded.
struct Replay<'a> {
    pages: Pages<'a>,
    buffered: std::vec::IntoIter<EventEnvelope>,
    vault: Option<&'a Vault>,
    fold: Box<dyn Fold>,
    chain: ChainCursor,
    stream_id: String,
    aggregate_type: String,
    current_version: u64,
}

impl<'a> Replay<'a> {
    async fn start(
        source: Source<'a>,
        vault: Option<&'a Vault>,
        replayers: &Replayers,
        stream_id: &str,
    ) -> Result<Replay<'a>, AuditError> {
        ensure_stream_exists(source, stream_id).await?;
        let mut replay = Replay {
            pages: Pages::stream_from(source, stream_id, 1).await?,
            buffered: Vec::new().into_iter(),
            vault,
            // Replaced once the first event names the aggregate type.
            fold: Box::new(Unfolded),
            chain: ChainCursor::from_start(stream_id),
            stream_id: stream_id.to_owned(),
            aggregate_type: String::new(),
            current_version: 0,
        };
        replay.fill().await?;
        if let Some(first) = replay.buffered.as_slice().first() {
            replay.aggregate_type = first.aggregate_type.clone();
            replay.fold = replayers.fold(&first.aggregate_type)?;
        }
        Ok(replay)
    }

    /// Reads the next page into the buffer; false at the end of the stream.
    async fn fill(&mut self) -> Result<bool, AuditError> {
        let Some(page) = self.pages.next(Vec::new()).await? else {
            return Ok(false);
        };
        let mut events = Vec::with_capacity(page.rows.len());
        for row in page.rows {
            let event = row.into_envelope()?;
            self.chain.check(&event)?;
            self.current_version = event.version;
            events.push(event);
        }
        if let Some(damage) = page.damage {
            return Err(damage.into_store_error().into());
        }
        let filled = !events.is_empty();
        self.buffered = events.into_iter();
        Ok(filled)
    }

    /// The next event, personal data opened.
    async fn next_event(&mut self) -> Result<Option<EventEnvelope>, AuditError> {
        loop {
            if let Some(mut event) = self.buffered.next() {
                if let Some(vault) = self.vault {
                    vault.open_envelope(&mut event).await?;
                }
                return Ok(Some(event));
            }
            if !self.fill().await? {
                return Ok(None);
            }
        }
    }

    /// Reads (and chain-checks) the rest of the stream without applying it.
    async fn skip_rest(&mut self) -> Result<(), AuditError> {
        while self.fill().await? {}
        Ok(())
    }

    fn apply(&mut self, event: &EventEnvelope) -> Result<(), AuditError> {
        self.fold.apply(event).map_err(|reason| AuditError::Replay {
            stream_id: self.stream_id.clone(),
            version: event.version,
            reason,
        })
    }

    fn state(&self) -> Result<Value, AuditError> {
        self.fold.state().map_err(|reason| AuditError::Replay {
            stream_id: self.stream_id.clone(),
            version: self.current_version,
            reason,
        })
    }
}

/// The fold of a stream with no events yet (never applied to).
struct Unfolded;

impl Fold for Unfolded {
    fn apply(&mut self, _: &EventEnvelope) -> Result<(), String> {
        Err("the stream's aggregate type is not known yet".into())
    }

    fn state(&self) -> Result<Value, String> {
        Ok(Value::Null)
    }
}
