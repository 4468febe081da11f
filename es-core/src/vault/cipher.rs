//! AES-256-GCM and the sealed JSON form (`{"alg", "sealed", "subject"}`).

use aes_gcm::aead::{Aead, Payload};
use aes_gcm::{Aes256Gcm, Key, KeyInit, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rand::TryRngCore;
use serde_json::{Value, json};
use zeroize::Zeroizing;

use super::{DataKey, VaultError};
use crate::hash::canonical_json;

/// The JOSE name of the algorithm (RFC 7518 §5.3), recorded in every sealed value so a
/// later algorithm can sit beside this one.
pub const ALGORITHM: &str = "A256GCM";

const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;

/// Whether `value` has the sealed form's shape (what [`Sealed::parse`] then checks).
pub(super) fn is_sealed(value: &Value) -> bool {
    value.as_object().is_some_and(|map| {
        map.len() == 3
            && map.get("sealed").is_some_and(Value::is_string)
            && map.get("alg").is_some_and(Value::is_string)
            && map.get("subject").is_some_and(Value::is_string)
    })
}

fn cipher(key: &DataKey) -> Aes256Gcm {
    Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(key.as_bytes()))
}

/// `data` sealed for `subject`: a fresh random nonce, the subject as associated data.
pub(super) fn seal(key: &DataKey, subject: &str, data: &Value) -> Result<Value, VaultError> {
    let mut nonce = [0u8; NONCE_LEN];
    rand::rngs::OsRng
        .try_fill_bytes(&mut nonce)
        .map_err(|e| VaultError::Unavailable(format!("no randomness for a nonce: {e}")))?;
    let plaintext = Zeroizing::new(canonical_json(data).into_bytes());
    let ciphertext = cipher(key)
        .encrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: &plaintext,
                aad: subject.as_bytes(),
            },
        )
        // Only a message beyond GCM's 64 GiB limit fails to encrypt.
        .map_err(|_| VaultError::Malformed {
            subject: subject.to_owned(),
            reason: "the value is too large to seal".into(),
        })?;
    let mut sealed = Vec::with_capacity(NONCE_LEN + ciphertext.len());
    sealed.extend_from_slice(&nonce);
    sealed.extend_from_slice(&ciphertext);
    Ok(json!({
        "alg": ALGORITHM,
        "sealed": STANDARD.encode(sealed),
        "subject": subject,
    }))
}

/// A sealed value, checked for shape and subject, not yet opened.
pub(super) struct Sealed<'a> {
    subject: &'a str,
    bytes: Vec<u8>,
}

impl<'a> Sealed<'a> {
    /// Checks that `value` is the sealed form, for `subject`, with this algorithm.
    pub(super) fn parse(subject: &'a str, value: &Value) -> Result<Self, VaultError> {
        let malformed = |reason: &str| VaultError::Malformed {
            subject: subject.to_owned(),
            reason: reason.to_owned(),
        };
        if !is_sealed(value) {
            return Err(malformed(
                "not an object of exactly `alg`, `sealed` and `subject`",
            ));
        }
        if value["alg"] != ALGORITHM {
            return Err(malformed(&format!(
                "algorithm {} is not {ALGORITHM}",
                value["alg"]
            )));
        }
        if value["subject"] != subject {
            return Err(malformed(&format!("sealed for {}", value["subject"])));
        }
        let bytes = value["sealed"]
            .as_str()
            .and_then(|text| STANDARD.decode(text).ok())
            .ok_or_else(|| malformed("`sealed` is not base64"))?;
        if bytes.len() < NONCE_LEN + TAG_LEN {
            return Err(malformed("`sealed` is shorter than a nonce and a tag"));
        }
        Ok(Self { subject, bytes })
    }

    /// The clear value; `Undecryptable` if authentication fails (wrong key, tampering).
    pub(super) fn open(&self, key: &DataKey) -> Result<Value, VaultError> {
        let (nonce, ciphertext) = self.bytes.split_at(NONCE_LEN);
        let undecryptable = || VaultError::Undecryptable {
            subject: self.subject.to_owned(),
        };
        let plaintext = Zeroizing::new(
            cipher(key)
                .decrypt(
                    Nonce::from_slice(nonce),
                    Payload {
                        msg: ciphertext,
                        aad: self.subject.as_bytes(),
                    },
                )
                .map_err(|_| undecryptable())?,
        );
        // Authenticated, so it is what was sealed: canonical JSON.
        serde_json::from_slice(&plaintext).map_err(|_| undecryptable())
    }
}
