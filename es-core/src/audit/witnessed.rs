//! Checking `$all` against its witnessed, signed heads (see [`crate::heads`]).

use std::collections::VecDeque;
use std::fmt;

use crate::hash::Hash;
use crate::heads::{LogDigest, SignedHead, TrustedKeys};

/// The heads a verification checks the log against, and the keys that vouch for them.
#[derive(Debug, Clone, Default)]
pub struct Witnessed {
    pub heads: Vec<SignedHead>,
    pub trusted: TrustedKeys,
}

/// What the heads said about the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WitnessReport {
    /// Heads whose position the log reached with the digest that was signed.
    pub heads_checked: u64,
    /// The trusted head of the highest position.
    pub newest: Option<SignedHead>,
    pub problem: Option<WitnessProblem>,
}

/// How the log disagrees with what was witnessed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WitnessProblem {
    /// The log ends before a signed head: its tail was cut, or the store was restored
    /// from an older backup.
    Missing { log_ends_at: u64, head: SignedHead },
    /// The log up to a signed head is not the log that was signed there: events at or
    /// before it were altered, removed, inserted or reordered, with chains recomputed.
    Differs { head: SignedHead, found: Hash },
    /// A head no trusted key signed (forged, or its key is not among the trusted ones).
    Untrusted { head: SignedHead, reason: String },
}

impl WitnessProblem {
    /// A stable name of the kind of problem.
    pub fn kind(&self) -> &'static str {
        match self {
            WitnessProblem::Missing { .. } => "missing",
            WitnessProblem::Differs { .. } => "differs",
            WitnessProblem::Untrusted { .. } => "untrusted",
        }
    }
}

impl fmt::Display for WitnessProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WitnessProblem::Missing { log_ends_at, head } => write!(
                f,
                "the log ends at position {log_ends_at}, but its head was signed at position {} \
                 on {}: events {} to {} are missing",
                head.position,
                head.signed_at,
                log_ends_at + 1,
                head.position
            ),
            WitnessProblem::Differs { head, found } => write!(
                f,
                "the log up to position {} is not the one signed on {}: digest {} was signed, \
                 the log gives {found}; events at or before it were altered, removed or reordered",
                head.position, head.signed_at, head.digest
            ),
            WitnessProblem::Untrusted { head, reason } => write!(
                f,
                "the head at position {} (signed on {}) is not to be trusted: {reason}",
                head.position, head.signed_at
            ),
        }
    }
}

/// The running check: the log's digest, and the trusted heads not reached yet.
#[derive(Debug)]
pub(super) struct HeadCheck {
    digest: LogDigest,
    pending: VecDeque<SignedHead>,
    checked: u64,
    newest: Option<SignedHead>,
    problem: Option<WitnessProblem>,
}

impl HeadCheck {
    pub(super) fn new(witnessed: Witnessed) -> Self {
        let mut problem = None;
        let mut trusted: Vec<SignedHead> = Vec::with_capacity(witnessed.heads.len());
        for head in witnessed.heads {
            match witnessed.trusted.check(&head) {
                Ok(()) => trusted.push(head),
                Err(reason) => {
                    problem.get_or_insert(WitnessProblem::Untrusted { head, reason });
                }
            }
        }
        trusted.sort_by_key(|h| h.position);
        Self {
            digest: LogDigest::genesis(),
            newest: trusted.last().cloned(),
            pending: trusted.into(),
            checked: 0,
            problem,
        }
    }

    /// Folds in the next event of `$all` and checks every head it reaches.
    pub(super) fn advance(&mut self, position: u64, hash: &Hash) {
        self.digest.advance(position, hash);
        while self
            .pending
            .front()
            .is_some_and(|head| head.position <= position)
        {
            let Some(head) = self.pending.pop_front() else {
                break;
            };
            // A head between two positions names an event the log does not have.
            let held = head.position == position && head.digest == self.digest.digest().to_hex();
            if held {
                self.checked += 1;
            } else {
                self.problem.get_or_insert(WitnessProblem::Differs {
                    head,
                    found: self.digest.digest(),
                });
                self.pending.clear();
            }
        }
    }

    /// The report once the log was read to `log_ends_at` (`complete`: to its end, not
    /// stopped at a broken link, so heads still pending are heads of missing events).
    pub(super) fn finish(mut self, log_ends_at: u64, complete: bool) -> WitnessReport {
        if complete
            && self.problem.is_none()
            && let Some(head) = self.pending.pop_back()
        {
            self.problem = Some(WitnessProblem::Missing { log_ends_at, head });
        }
        WitnessReport {
            heads_checked: self.checked,
            newest: self.newest,
            problem: self.problem,
        }
    }
}
