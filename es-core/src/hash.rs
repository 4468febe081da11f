//! The per-stream hash chain (DESIGN §3): `hash = SHA-256(prev_hash ‖ canonical bytes)`.
//!
//! The canonical bytes are a JSON object with a fixed key order and the payload's keys
//! sorted, so the same envelope hashes the same on every backend and after any
//! round-trip. `position` is left out on purpose: it belongs to the store, not to the
//! event, so a log copied into another store (an export, a migration) still verifies.
//! See docs/adr/002-per-stream-hash-chain.md.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::envelope::EventEnvelope;
use crate::store::StoreError;

/// A SHA-256 digest, shown and serialized as lowercase hex.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Hash(pub [u8; 32]);

impl Hash {
    /// The `prev_hash` of every stream's first event.
    pub const ZERO: Hash = Hash([0; 32]);

    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    pub fn from_hex(text: &str) -> Result<Self, String> {
        let bytes = hex::decode(text).map_err(|e| format!("hash is not hex: {e}"))?;
        Self::from_slice(&bytes)
    }

    pub fn from_slice(bytes: &[u8]) -> Result<Self, String> {
        let array: [u8; 32] = bytes
            .try_into()
            .map_err(|_| format!("hash has {} bytes, expected 32", bytes.len()))?;
        Ok(Hash(array))
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash({})", self.to_hex())
    }
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl Serialize for Hash {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for Hash {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Hash::from_hex(&text).map_err(serde::de::Error::custom)
    }
}

/// The hash an envelope must carry, given its `prev_hash` and every other field.
pub fn compute_hash(envelope: &EventEnvelope) -> Hash {
    let mut canonical_payload = String::new();
    write_canonical(&envelope.payload, &mut canonical_payload);
    compute_hash_with_payload(envelope, &canonical_payload)
}

/// Same as [`compute_hash`] with the payload already in canonical form (stores keep it
/// that way, so the writer does not canonicalise twice).
pub fn compute_hash_with_payload(envelope: &EventEnvelope, canonical_payload: &str) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update(envelope.prev_hash.0);
    hasher.update(canonical_bytes(envelope, canonical_payload));
    Hash(hasher.finalize().into())
}

fn canonical_bytes(e: &EventEnvelope, canonical_payload: &str) -> Vec<u8> {
    // A JSON array of the header fields, a newline, then the canonical payload. Field
    // order is part of the format: never reorder, only append new fields at the end.
    let mut out = Vec::with_capacity(512 + canonical_payload.len());
    out.push(b'[');
    let mut field = |value: &dyn json_field::JsonField| {
        if out.len() > 1 {
            out.push(b',');
        }
        value.write_json(&mut out);
    };
    field(&e.event_id.to_string());
    field(&e.stream_id);
    field(&e.aggregate_type);
    field(&e.aggregate_id);
    field(&e.version);
    field(&e.event_type);
    field(&e.schema_version);
    field(&crate::time::format(&e.occurred_at));
    field(&crate::time::format(&e.recorded_at));
    field(&e.correlation_id);
    field(&e.causation_id);
    field(&e.actor.subject);
    field(&e.actor.role);
    field(&e.traceparent);
    field(&e.prev_hash.to_hex());
    out.extend_from_slice(b"]\n");
    out.extend_from_slice(canonical_payload.as_bytes());
    out
}

/// Writes header fields as JSON straight into the buffer (no intermediate `Value`).
mod json_field {
    pub trait JsonField {
        fn write_json(&self, out: &mut Vec<u8>);
    }

    impl<T: serde::Serialize> JsonField for T {
        fn write_json(&self, out: &mut Vec<u8>) {
            // Strings, integers and options of them cannot fail to serialise.
            let _ = serde_json::to_writer(&mut *out, self);
        }
    }
}

/// Serialises a JSON value with object keys sorted, whatever map order serde_json uses.
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                write_canonical(&map[key], out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

/// Walks one stream's events in order and checks version continuity and every hash link.
///
/// Start it at the beginning of a stream, or after a snapshot (its version and hash).
#[derive(Debug, Clone)]
pub struct ChainCursor {
    stream_id: String,
    version: u64,
    hash: Hash,
}

impl ChainCursor {
    pub fn from_start(stream_id: impl Into<String>) -> Self {
        Self::after(stream_id, 0, Hash::ZERO)
    }

    pub fn after(stream_id: impl Into<String>, version: u64, hash: Hash) -> Self {
        Self {
            stream_id: stream_id.into(),
            version,
            hash,
        }
    }

    /// Checks that `envelope` is the next link; on success the cursor moves onto it.
    pub fn check(&mut self, envelope: &EventEnvelope) -> Result<(), StoreError> {
        let broken = |expected: String, found: String| StoreError::ChainBroken {
            stream_id: self.stream_id.clone(),
            version: envelope.version,
            expected,
            found,
        };
        if envelope.stream_id != self.stream_id {
            return Err(broken(self.stream_id.clone(), envelope.stream_id.clone()));
        }
        if envelope.version != self.version + 1 {
            return Err(broken(
                format!("version {}", self.version + 1),
                format!("version {}", envelope.version),
            ));
        }
        if envelope.prev_hash != self.hash {
            return Err(broken(
                format!("prev_hash {}", self.hash),
                format!("prev_hash {}", envelope.prev_hash),
            ));
        }
        let recomputed = compute_hash(envelope);
        if envelope.hash != recomputed {
            return Err(broken(
                format!("hash {recomputed}"),
                format!("hash {}", envelope.hash),
            ));
        }
        self.version = envelope.version;
        self.hash = envelope.hash;
        Ok(())
    }

    pub fn version(&self) -> u64 {
        self.version
    }

    pub fn hash(&self) -> Hash {
        self.hash
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn canonical_json_sorts_keys_at_every_depth() {
        let value = json!({"b": 1, "a": {"z": [ {"y": 1, "x": 2} ], "c": null}});
        assert_eq!(
            canonical_json(&value),
            r#"{"a":{"c":null,"z":[{"x":2,"y":1}]},"b":1}"#
        );
    }

    #[test]
    fn hashes_render_as_lowercase_hex_and_parse_back() {
        let hash = Hash([0xAB; 32]);
        assert_eq!(hash.to_hex(), "ab".repeat(32));
        assert_eq!(Hash::from_hex(&hash.to_hex()), Ok(hash));
        assert!(Hash::from_hex("abcd").is_err());
    }
}
