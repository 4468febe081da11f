//! A memo of tokens already verified. A client presents the same token on every
//! request until it expires, and each request is verified at the BFF and again at every
//! service it reaches: checking the signature each time would cost more than the
//! request itself (an EdDSA or RS256 check against a read that takes tens of
//! microseconds). The memo is keyed by a SHA-256 of the token's exact bytes, so only
//! the very token that was verified hits it; an entry lives until the token expires, and
//! never longer than the key cache's lifetime, so a key the issuer withdraws stops
//! admitting its tokens as soon as it would without the memo.

use std::num::NonZeroUsize;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use lru::LruCache;
use sha2::{Digest, Sha256};

use crate::identity::Identity;

/// Tokens remembered at most (a few hundred bytes each).
const CAPACITY: usize = 10_000;

pub(crate) struct Verified {
    memo: Mutex<LruCache<[u8; 32], Entry>>,
    lifetime: Duration,
}

struct Entry {
    identity: Identity,
    /// The token's `exp` (seconds since the epoch), leeway included.
    expires: u64,
    /// When the entry must be verified again (the key cache's lifetime).
    stale_at: Instant,
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs()
}

impl Verified {
    /// Remembers verified tokens for at most `lifetime`.
    pub(crate) fn new(lifetime: Duration) -> Self {
        Verified {
            memo: Mutex::new(LruCache::new(
                NonZeroUsize::new(CAPACITY).unwrap_or(NonZeroUsize::MIN),
            )),
            lifetime,
        }
    }

    fn key(token: &str) -> [u8; 32] {
        Sha256::digest(token.as_bytes()).into()
    }

    /// The identity of `token`, if it was verified and still holds.
    pub(crate) fn get(&self, token: &str) -> Option<Identity> {
        let key = Self::key(token);
        let mut memo = self.memo.lock().unwrap_or_else(|p| p.into_inner());
        let entry = memo.get(&key)?;
        if entry.expires <= now() || entry.stale_at <= Instant::now() {
            memo.pop(&key);
            return None;
        }
        Some(entry.identity.clone())
    }

    /// Remembers that `token` proved `identity` until `expires` (its `exp` plus leeway).
    pub(crate) fn put(&self, token: &str, identity: &Identity, expires: u64) {
        if self.lifetime.is_zero() {
            return;
        }
        let entry = Entry {
            identity: identity.clone(),
            expires,
            stale_at: Instant::now() + self.lifetime,
        };
        let mut memo = self.memo.lock().unwrap_or_else(|p| p.into_inner());
        memo.put(Self::key(token), entry);
    }
}
