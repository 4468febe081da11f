//! Which events an audit run reads ([`Scope`]) and which of those an export keeps
//! ([`Filter`]).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::envelope::EventEnvelope;

/// What an export holds of each stream in it: the trailer's `streams`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Coverage {
    /// Every stream from version 1, versions consecutive (as far as the export goes):
    /// a missing first event or a version jump is a removed line.
    FromStart,
    /// Versions consecutive, but a stream may start mid-way: its first event's
    /// `prev_hash` is taken as the seed. A version jump is a removed line.
    Contiguous,
    /// Single events picked out of streams: each event's own hash is checked, and its
    /// link wherever the previous version is in the file too.
    Sparse,
}

/// One stream, or the whole store in `$all` order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Every stream, in `$all` (position) order.
    All,
    /// One stream by its `stream_id`, in version order.
    Stream(String),
}

/// Which events of the scope an export keeps; every field set must match (`AND`), and
/// the default keeps everything. Ranges are half-open, `[from, to)`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Exactly this `event_type`, e.g. `delivery.status_changed.v1`.
    pub event_type: Option<String>,
    /// Exactly this `aggregate_type`, e.g. `delivery`.
    pub aggregate_type: Option<String>,
    /// `recorded_at` at or after this instant. `recorded_at` is the store's own clock,
    /// set at commit, so it cannot be back-dated by a client as `occurred_at` could.
    pub recorded_from: Option<DateTime<Utc>>,
    /// `recorded_at` strictly before this instant.
    pub recorded_to: Option<DateTime<Utc>>,
    pub correlation_id: Option<String>,
    /// The actor's `subject` (who issued the command).
    pub actor_subject: Option<String>,
    /// Positions at or after this one.
    pub from_position: Option<u64>,
    /// Positions strictly before this one.
    pub to_position: Option<u64>,
}

impl Filter {
    pub fn matches(&self, event: &EventEnvelope) -> bool {
        fn same(wanted: &Option<String>, value: &str) -> bool {
            wanted.as_deref().is_none_or(|wanted| wanted == value)
        }
        same(&self.event_type, &event.event_type)
            && same(&self.aggregate_type, &event.aggregate_type)
            && same(&self.correlation_id, &event.correlation_id)
            && same(&self.actor_subject, &event.actor.subject)
            && self
                .recorded_from
                .is_none_or(|from| event.recorded_at >= from)
            && self.recorded_to.is_none_or(|to| event.recorded_at < to)
            && self.from_position.is_none_or(|from| event.position >= from)
            && self.to_position.is_none_or(|to| event.position < to)
    }

    /// What an export with this filter holds of each stream it touches (its trailer
    /// says so, and `verify_export` holds it to that). Whole aggregate types and an
    /// upper position bound keep streams from their start; a lower position bound
    /// starts them mid-stream; the other filters pick single events. A time range
    /// counts as picking too: the wall clock behind `recorded_at` may step back.
    pub fn coverage(&self) -> Coverage {
        let picks = self.event_type.is_some()
            || self.correlation_id.is_some()
            || self.actor_subject.is_some()
            || self.recorded_from.is_some()
            || self.recorded_to.is_some();
        if picks {
            Coverage::Sparse
        } else if self.from_position.is_some_and(|from| from > 1) {
            Coverage::Contiguous
        } else {
            Coverage::FromStart
        }
    }
}
