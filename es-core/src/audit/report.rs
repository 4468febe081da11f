//! What a verification found: how much it checked and the first broken link, if any.

use std::fmt;

use crate::hash::Hash;

/// The outcome of [`verify`](super::verify) over a stream or the whole store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// Events whose link was checked and found intact (those before the first break).
    pub events_checked: u64,
    /// Distinct streams those events belong to.
    pub streams_checked: u64,
    /// The highest position checked (0 if none).
    pub last_position: u64,
    /// The first link that does not hold, in read order; `None` when all hold.
    pub first_break: Option<BrokenLink>,
    /// What the witnessed heads found (`verify_witnessed` only).
    pub witness: Option<super::WitnessReport>,
}

impl VerifyReport {
    /// Every chain holds, and the log is the one every trusted head witnessed.
    pub fn is_intact(&self) -> bool {
        self.first_break.is_none()
            && self
                .witness
                .as_ref()
                .is_none_or(|witness| witness.problem.is_none())
    }
}

/// Where a chain breaks: the event that does not link to its stream's previous one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokenLink {
    pub stream_id: String,
    pub version: u64,
    /// The event's global position; `None` when the store could not return the row at
    /// all (its position is then past the report's `last_position`).
    pub position: Option<u64>,
    pub problem: Break,
}

/// What is wrong at a [`BrokenLink`]; each names what was expected and what was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Break {
    /// The version is not the one after the stream's previous event: events are
    /// missing (`found > expected`) or repeated / out of order (`found < expected`).
    Version { expected: u64, found: u64 },
    /// `prev_hash` is not the stream's previous hash (zeros for version 1).
    PrevHash { expected: Hash, found: Hash },
    /// The stored `hash` is not the hash of the event's content: a field was changed.
    Hash { expected: Hash, found: Hash },
    /// Positions do not increase along `$all`.
    Position { previous: u64, found: u64 },
    /// The store could not decode the row (or refused it), so its link cannot hold.
    Unreadable { reason: String },
}

impl fmt::Display for BrokenLink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} v{}", self.stream_id, self.version)?;
        if let Some(position) = self.position {
            write!(f, " (position {position})")?;
        }
        write!(f, ": {}", self.problem)
    }
}

impl fmt::Display for Break {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Break::Version { expected, found } if found > expected => write!(
                f,
                "version gap: expected version {expected}, found version {found}"
            ),
            Break::Version { expected, found } => write!(
                f,
                "version repeated or out of order: expected version {expected}, found version {found}"
            ),
            Break::PrevHash { expected, found } => {
                write!(f, "prev_hash mismatch: expected {expected}, found {found}")
            }
            Break::Hash { expected, found } => {
                write!(f, "hash mismatch: expected {expected}, found {found}")
            }
            Break::Position { previous, found } => {
                write!(f, "position {found} does not follow position {previous}")
            }
            Break::Unreadable { reason } => write!(f, "unreadable: {reason}"),
        }
    }
}
