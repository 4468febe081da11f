//! The running digest of `$all`.

use sha2::{Digest, Sha256};

use crate::hash::Hash;

/// The digest of the log up to `position`: `d(0)` is all zeros, and
/// `d(p) = SHA-256("pitlane-log-v1" ‖ d(prev) ‖ p as 8 big-endian bytes ‖ hash(p))`,
/// where `hash(p)` is the chain hash of the event at position `p` (which covers its
/// whole envelope). Positions are folded in so that reordering changes the digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogDigest {
    position: u64,
    digest: Hash,
}

impl Default for LogDigest {
    fn default() -> Self {
        Self::genesis()
    }
}

impl LogDigest {
    /// The digest of the empty log.
    pub fn genesis() -> Self {
        Self {
            position: 0,
            digest: Hash::ZERO,
        }
    }

    /// Resumes from a digest known at `position` (a signed head).
    pub fn resume(position: u64, digest: Hash) -> Self {
        Self { position, digest }
    }

    /// Folds in the event at `position` with chain hash `hash`.
    pub fn advance(&mut self, position: u64, hash: &Hash) {
        let mut hasher = Sha256::new();
        hasher.update(b"pitlane-log-v1");
        hasher.update(self.digest.0);
        hasher.update(position.to_be_bytes());
        hasher.update(hash.0);
        self.digest = Hash(hasher.finalize().into());
        self.position = position;
    }

    /// The position of the last event folded in (0 for the empty log).
    pub fn position(&self) -> u64 {
        self.position
    }

    pub fn digest(&self) -> Hash {
        self.digest
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(n: u8) -> Hash {
        Hash([n; 32])
    }

    fn digest_of(events: &[(u64, Hash)]) -> LogDigest {
        let mut digest = LogDigest::genesis();
        for (position, hash) in events {
            digest.advance(*position, hash);
        }
        digest
    }

    #[test]
    fn the_same_log_always_has_the_same_digest() {
        let log = [(1, h(1)), (2, h(2)), (3, h(3))];
        assert_eq!(digest_of(&log), digest_of(&log));
        assert_eq!(digest_of(&log).position(), 3);
    }

    #[test]
    fn an_altered_missing_or_reordered_event_changes_the_digest() {
        let log = digest_of(&[(1, h(1)), (2, h(2)), (3, h(3))]);
        assert_ne!(log, digest_of(&[(1, h(1)), (2, h(9)), (3, h(3))]));
        assert_ne!(log.digest(), digest_of(&[(1, h(1)), (3, h(3))]).digest());
        assert_ne!(log, digest_of(&[(1, h(1)), (2, h(3)), (3, h(2))]));
    }

    #[test]
    fn resuming_from_a_digest_continues_it() {
        let prefix = digest_of(&[(1, h(1)), (2, h(2))]);
        let mut resumed = LogDigest::resume(prefix.position(), prefix.digest());
        resumed.advance(3, &h(3));
        assert_eq!(resumed, digest_of(&[(1, h(1)), (2, h(2)), (3, h(3))]));
    }
}
