//! The signing key of log heads, the public keys that verify them, and a signed head.

use std::path::Path;

use aws_lc_rs::signature::{ED25519, Ed25519KeyPair, KeyPair, UnparsedPublicKey};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::LogDigest;
use crate::hash::Hash;

const PEM_LABEL: &str = "PITLANE LOG HEAD KEY";
const WHAT: &str = "a log head key";

/// A position of the log and its digest, signed: what a witness keeps. One JSON object
/// per line in a witness file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedHead {
    pub position: u64,
    /// [`LogDigest`] at `position`, hex.
    pub digest: String,
    /// RFC 3339, as signed.
    pub signed_at: String,
    /// Which key signed it ([`TrustedKey::key_id`]).
    pub key_id: String,
    /// Ed25519 over [`SignedHead::message`], base64.
    pub signature: String,
}

impl SignedHead {
    /// The bytes the signature covers.
    fn message(position: u64, digest: &str, signed_at: &str, key_id: &str) -> Vec<u8> {
        format!("pitlane-log-head-v1\n{position}\n{digest}\n{signed_at}\n{key_id}").into_bytes()
    }

    pub fn digest(&self) -> Result<Hash, String> {
        Hash::from_hex(&self.digest)
    }

    /// When it was signed, for messages (as signed when it does not parse).
    pub fn signed_at_text(&self) -> &str {
        &self.signed_at
    }
}

/// The Ed25519 key that signs heads, in a file outside the event store.
pub struct HeadKey {
    pair: Ed25519KeyPair,
    key_id: String,
}

impl HeadKey {
    /// Opens the key at `path`, creating it (0600, never overwritten) when missing.
    pub fn load_or_create(path: &Path) -> std::io::Result<Self> {
        Self::from_pkcs8(&crate::keyfile::load_or_create(path, PEM_LABEL, WHAT)?)
    }

    /// Opens an existing key.
    pub fn open(path: &Path) -> std::io::Result<Self> {
        Self::from_pkcs8(&crate::keyfile::open(path, WHAT)?)
    }

    fn from_pkcs8(pkcs8: &[u8]) -> std::io::Result<Self> {
        let pair = Ed25519KeyPair::from_pkcs8(pkcs8)
            .map_err(|_| std::io::Error::other(format!("{WHAT} is not Ed25519")))?;
        let key_id = key_id(pair.public_key().as_ref());
        Ok(Self { pair, key_id })
    }

    pub fn trusted(&self) -> TrustedKey {
        TrustedKey {
            key_id: self.key_id.clone(),
            public_key: STANDARD.encode(self.pair.public_key().as_ref()),
        }
    }

    pub fn sign(&self, digest: &LogDigest, at: DateTime<Utc>) -> SignedHead {
        let digest_hex = digest.digest().to_hex();
        let signed_at = crate::time::format(&at);
        let message = SignedHead::message(digest.position(), &digest_hex, &signed_at, &self.key_id);
        SignedHead {
            position: digest.position(),
            digest: digest_hex,
            signed_at,
            key_id: self.key_id.clone(),
            signature: STANDARD.encode(self.pair.sign(&message).as_ref()),
        }
    }
}

/// A key's id: the first 16 hex digits of the SHA-256 of its public key.
fn key_id(public_key: &[u8]) -> String {
    hex::encode(&Sha256::digest(public_key)[..8])
}

/// A public key heads are verified with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrustedKey {
    pub key_id: String,
    /// The raw 32-byte Ed25519 public key, base64.
    pub public_key: String,
}

/// Every key whose heads are believed: the current signing key and the ones it
/// replaced. A file of one [`TrustedKey`] JSON object per line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedKeys {
    keys: Vec<TrustedKey>,
}

impl TrustedKeys {
    pub fn new(keys: Vec<TrustedKey>) -> Self {
        Self { keys }
    }

    /// The keys in `path`; none when the file does not exist.
    pub fn load(path: &Path) -> std::io::Result<Self> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(e) => return Err(e),
        };
        let keys = text
            .lines()
            .filter(|line| !line.trim().is_empty())
            .enumerate()
            .map(|(n, line)| {
                serde_json::from_str(line).map_err(|e| {
                    std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        format!("{} line {}: {e}", path.display(), n + 1),
                    )
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Self { keys })
    }

    /// Adds `key` to the file at `path` unless it is there already.
    pub fn remember(path: &Path, key: &TrustedKey) -> std::io::Result<()> {
        if Self::load(path)?.keys.contains(key) {
            return Ok(());
        }
        super::witness::append_json_line(path, key)
    }

    pub fn keys(&self) -> &[TrustedKey] {
        &self.keys
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Whether `head` carries a valid signature by one of these keys; why not otherwise.
    pub fn check(&self, head: &SignedHead) -> Result<(), String> {
        let key = self
            .keys
            .iter()
            .find(|k| k.key_id == head.key_id)
            .ok_or_else(|| format!("signed by key {}, which is not trusted", head.key_id))?;
        let public = STANDARD
            .decode(&key.public_key)
            .map_err(|_| format!("trusted key {} is not base64", key.key_id))?;
        let signature = STANDARD
            .decode(&head.signature)
            .map_err(|_| "its signature is not base64".to_owned())?;
        let message =
            SignedHead::message(head.position, &head.digest, &head.signed_at, &head.key_id);
        UnparsedPublicKey::new(&ED25519, public)
            .verify(&message, &signature)
            .map_err(|_| format!("its signature does not verify with key {}", key.key_id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digest_at(position: u64) -> LogDigest {
        let mut digest = LogDigest::genesis();
        for p in 1..=position {
            digest.advance(p, &Hash([p as u8; 32]));
        }
        digest
    }

    #[test]
    fn a_head_verifies_with_its_key_and_with_no_other() {
        let dir = tempfile::tempdir().unwrap();
        let key = HeadKey::load_or_create(&dir.path().join("heads.key")).unwrap();
        let other = HeadKey::load_or_create(&dir.path().join("other.key")).unwrap();
        let head = key.sign(&digest_at(3), Utc::now());
        assert_eq!(TrustedKeys::new(vec![key.trusted()]).check(&head), Ok(()));
        let refused = TrustedKeys::new(vec![other.trusted()]).check(&head);
        assert!(refused.unwrap_err().contains("not trusted"));
    }

    #[test]
    fn a_head_with_a_changed_position_or_digest_does_not_verify() {
        let dir = tempfile::tempdir().unwrap();
        let key = HeadKey::load_or_create(&dir.path().join("heads.key")).unwrap();
        let trusted = TrustedKeys::new(vec![key.trusted()]);
        let head = key.sign(&digest_at(3), Utc::now());
        let moved = SignedHead {
            position: 2,
            ..head.clone()
        };
        assert!(
            trusted
                .check(&moved)
                .unwrap_err()
                .contains("does not verify")
        );
        let rewritten = SignedHead {
            digest: digest_at(2).digest().to_hex(),
            ..head
        };
        assert!(trusted.check(&rewritten).is_err());
    }

    #[test]
    fn the_key_file_is_created_once_private_and_reopened_as_the_same_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys/heads.key");
        let first = HeadKey::load_or_create(&path).unwrap();
        let again = HeadKey::load_or_create(&path).unwrap();
        assert_eq!(first.trusted(), again.trusted());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn rotated_keys_are_remembered_once_each_and_all_verify() {
        let dir = tempfile::tempdir().unwrap();
        let trusted_file = dir.path().join("heads.pub");
        let old = HeadKey::load_or_create(&dir.path().join("old.key")).unwrap();
        let new = HeadKey::load_or_create(&dir.path().join("new.key")).unwrap();
        for key in [&old, &new, &old] {
            TrustedKeys::remember(&trusted_file, &key.trusted()).unwrap();
        }
        let trusted = TrustedKeys::load(&trusted_file).unwrap();
        assert_eq!(trusted.keys().len(), 2);
        for key in [&old, &new] {
            assert_eq!(trusted.check(&key.sign(&digest_at(1), Utc::now())), Ok(()));
        }
    }
}
