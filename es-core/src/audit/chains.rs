//! The link rules, shared by the store's verify and the export file's: per stream,
//! version `n + 1` follows version `n`, its `prev_hash` is version `n`'s `hash`, and its
//! `hash` is the hash of its content; along the read, positions increase.
//!
//! One small head (version and hash) is kept per stream seen, so memory grows with the
//! number of streams, not of events.

use std::collections::HashMap;

use crate::envelope::EventEnvelope;
use crate::hash::{Hash, compute_hash, compute_hash_with_payload};

use super::report::{Break, BrokenLink};
use super::source::Row;

/// Where each stream's chain is expected to start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Start {
    /// At version 1 with a zero `prev_hash`, versions consecutive (the store).
    Genesis,
    /// Wherever the events begin (an export): a stream's first event at a later version
    /// is seeded by its own `prev_hash`, and a version jump re-seeds the same way. Both
    /// are told apart ([`Linked`]) for the caller to judge against what the export
    /// claims to hold.
    Anywhere,
}

#[derive(Debug, Clone, Copy)]
struct Head {
    version: u64,
    hash: Hash,
}

pub(super) struct Chains {
    start: Start,
    heads: HashMap<String, Head>,
    last_position: Option<u64>,
    /// Reused buffer for the payload's serialisation.
    scratch: Vec<u8>,
}

/// How an intact event joined its stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Linked {
    /// As the next link, or as version 1.
    Next,
    /// As a stream's first event at a later version (`Start::Anywhere`): its
    /// `prev_hash` is the seed, not checked.
    Seeded,
    /// After a version jump (`Start::Anywhere`): its `prev_hash` could not be checked;
    /// version `expected` was the next one due.
    Jumped { expected: u64 },
}

impl Chains {
    pub(super) fn new(start: Start) -> Self {
        Self {
            start,
            heads: HashMap::new(),
            last_position: None,
            scratch: Vec::with_capacity(1024),
        }
    }

    pub(super) fn streams(&self) -> u64 {
        self.heads.len() as u64
    }

    pub(super) fn last_position(&self) -> Option<u64> {
        self.last_position
    }

    /// Checks that `row` is the next link of its stream and moves the stream onto it.
    pub(super) fn check(&mut self, row: &Row) -> Result<Linked, Box<BrokenLink>> {
        let recomputed = recompute(row, &mut self.scratch);
        self.link(row, recomputed)
    }

    /// [`Chains::check`] with the row's hash already computed by [`recompute`] (on
    /// another thread: hashing is per event, only linking is in order).
    pub(super) fn link(
        &mut self,
        row: &Row,
        recomputed: Result<Hash, String>,
    ) -> Result<Linked, Box<BrokenLink>> {
        let event = &row.event;
        let broken = |problem| {
            Box::new(BrokenLink {
                stream_id: event.stream_id.clone(),
                version: event.version,
                position: Some(event.position),
                problem,
            })
        };
        if let Some(previous) = self.last_position
            && event.position <= previous
        {
            let found = event.position;
            return Err(broken(Break::Position { previous, found }));
        }
        // One lookup per event: the slot is updated in place once the link holds.
        let start = self.start;
        let slot = self.heads.get_mut(event.stream_id.as_str());
        let head = slot.as_deref().copied();
        let mut linked = Linked::Next;
        let genesis = Head {
            version: 0,
            hash: Hash::ZERO,
        };
        let expected = match (head, start) {
            (Some(head), Start::Anywhere) if event.version > head.version + 1 => {
                linked = Linked::Jumped {
                    expected: head.version + 1,
                };
                None
            }
            (Some(head), _) => Some(head),
            (None, Start::Genesis) => Some(genesis),
            (None, Start::Anywhere) if event.version == 1 => Some(genesis),
            (None, Start::Anywhere) => {
                linked = Linked::Seeded;
                None
            }
        };
        if let Some(head) = expected {
            if event.version != head.version + 1 {
                let problem = Break::Version {
                    expected: head.version + 1,
                    found: event.version,
                };
                return Err(broken(problem));
            }
            if event.prev_hash != head.hash {
                let problem = Break::PrevHash {
                    expected: head.hash,
                    found: event.prev_hash,
                };
                return Err(broken(problem));
            }
        }
        let recomputed = recomputed.map_err(|reason| broken(Break::Unreadable { reason }))?;
        if recomputed != event.hash {
            let problem = Break::Hash {
                expected: recomputed,
                found: event.hash,
            };
            return Err(broken(problem));
        }
        let next = Head {
            version: event.version,
            hash: event.hash,
        };
        match slot {
            Some(head) => *head = next,
            None => {
                self.heads.insert(event.stream_id.clone(), next);
            }
        }
        self.last_position = Some(event.position);
        Ok(linked)
    }
}

/// The hash `row` must carry, exactly as [`compute_hash`] (and so the repository's
/// `ChainCursor`) computes it, only cheaper on the common path.
///
/// The payload's text as the source holds it, or else the parsed payload serialised as
/// it is, is canonical JSON when nothing was altered (stores keep payloads canonical,
/// exports write them as stored), so it is hashed as it is, without re-sorting every
/// object. A match means the text is the one sealed, which was canonical, so the event
/// is intact. Otherwise [`compute_hash`] over the parsed payload decides, so the verdict
/// never depends on the shortcut. A payload text that is not JSON is an error.
pub(super) fn recompute(row: &Row, scratch: &mut Vec<u8>) -> Result<Hash, String> {
    let event = &row.event;
    match &row.payload_text {
        Some(text) => {
            let quick = compute_hash_with_payload(event, text);
            if quick == event.hash {
                return Ok(quick);
            }
            let payload = serde_json::from_str(text).map_err(|e| format!("payload: {e}"))?;
            Ok(compute_hash(&EventEnvelope {
                payload,
                ..event.clone()
            }))
        }
        None => {
            scratch.clear();
            if serde_json::to_writer(&mut *scratch, &event.payload).is_ok()
                && let Ok(text) = std::str::from_utf8(scratch)
            {
                let quick = compute_hash_with_payload(event, text);
                if quick == event.hash {
                    return Ok(quick);
                }
            }
            Ok(compute_hash(event))
        }
    }
}
