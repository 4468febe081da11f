//! The issuer's public keys (a JWKS), by `kid`: fixed, read from a file, or fetched
//! from a URL and cached. An unknown `kid` triggers a refresh (at most one per
//! `min_refresh`, so a flood of forged kids cannot hammer the issuer); the whole set is
//! fetched again once `ttl` has passed, so a key the issuer removed stops verifying.
//! Failed fetches count too: while the issuer is down it is asked once per
//! `min_refresh`, however many tokens arrive.

use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, JwkSet, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey};

use crate::error::AuthError;

/// The algorithms Pitlane accepts. HMAC is never accepted (a public key must never
/// be usable as a shared secret), nor `none`.
pub const ACCEPTED: [Algorithm; 3] = [Algorithm::RS256, Algorithm::ES256, Algorithm::EdDSA];

/// Where the keys come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JwksSource {
    /// A fixed set (the development issuer's own key).
    Static(JwkSet),
    /// A JWKS file, read again on refresh.
    File(PathBuf),
    /// The issuer's `jwks_uri`.
    Url(String),
}

/// One verification key.
#[derive(Clone)]
pub struct Key {
    pub kid: Option<String>,
    pub algorithm: Algorithm,
    pub decoding: DecodingKey,
}

struct Cached {
    keys: Arc<Vec<Key>>,
    /// When the set was last loaded successfully.
    loaded: Option<Instant>,
    /// When a load was last tried, successful or not.
    tried: Option<Instant>,
}

/// The cached key set.
pub struct KeyRing {
    source: JwksSource,
    http: reqwest::Client,
    ttl: Duration,
    min_refresh: Duration,
    cache: RwLock<Cached>,
    /// One refresh at a time; the others wait for it and use its result.
    refreshing: tokio::sync::Mutex<()>,
}

impl KeyRing {
    pub fn new(source: JwksSource, ttl: Duration, min_refresh: Duration) -> Self {
        let keys = match &source {
            JwksSource::Static(set) => keys_of(set),
            _ => Vec::new(),
        };
        let loaded = matches!(source, JwksSource::Static(_)).then(Instant::now);
        KeyRing {
            source,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(5))
                .build()
                .unwrap_or_default(),
            ttl,
            min_refresh,
            cache: RwLock::new(Cached {
                keys: Arc::new(keys),
                loaded,
                tried: None,
            }),
            refreshing: tokio::sync::Mutex::new(()),
        }
    }

    /// The key a token with header `kid` and `alg` names.
    pub async fn key(&self, kid: Option<&str>, alg: Algorithm) -> Result<Key, AuthError> {
        if self.expired() {
            self.refresh().await?;
        }
        if let Some(key) = find(&self.snapshot(), kid, alg)? {
            return Ok(key);
        }
        // Perhaps the issuer rotated its keys: look again (rate-limited).
        if self.refresh().await?
            && let Some(key) = find(&self.snapshot(), kid, alg)?
        {
            return Ok(key);
        }
        Err(AuthError::UnknownKey)
    }

    fn snapshot(&self) -> Arc<Vec<Key>> {
        self.cache
            .read()
            .map(|c| c.keys.clone())
            .unwrap_or_default()
    }

    fn expired(&self) -> bool {
        if matches!(self.source, JwksSource::Static(_)) {
            return false;
        }
        let cache = self.cache.read().expect("key cache lock");
        cache.loaded.is_none_or(|at| at.elapsed() >= self.ttl)
    }

    /// Loads the set again (the cache expired, or a kid is unknown), at most once per
    /// `min_refresh` whether the last try succeeded or not; the first try is at once.
    /// True when a new set was loaded; keys unavailable when there never was one.
    async fn refresh(&self) -> Result<bool, AuthError> {
        if matches!(self.source, JwksSource::Static(_)) {
            return Ok(false);
        }
        let started = Instant::now();
        let _one = self.refreshing.lock().await;
        {
            let cache = self.cache.read().expect("key cache lock");
            // Someone tried while we waited, or not long ago: use theirs.
            let theirs = cache.tried.is_some_and(|at| at >= started);
            let recently = cache
                .tried
                .is_some_and(|at| at.elapsed() < self.min_refresh);
            if theirs || recently {
                return match cache.loaded {
                    Some(at) => Ok(at >= started),
                    None => Err(AuthError::KeysUnavailable),
                };
            }
        }
        let loaded = self.load().await;
        let mut cache = self.cache.write().expect("key cache lock");
        cache.tried = Some(Instant::now());
        match loaded {
            Ok(set) => {
                cache.keys = Arc::new(keys_of(&set));
                cache.loaded = Some(Instant::now());
                Ok(true)
            }
            Err(reason) if cache.loaded.is_some() => {
                // Keep verifying with the last good set while the issuer is away.
                tracing::warn!(%reason, "cannot refresh the issuer's keys; keeping the last set");
                Ok(false)
            }
            Err(reason) => {
                tracing::error!(%reason, "cannot load the issuer's keys");
                Err(AuthError::KeysUnavailable)
            }
        }
    }

    async fn load(&self) -> Result<JwkSet, String> {
        match &self.source {
            JwksSource::Static(set) => Ok(set.clone()),
            JwksSource::File(path) => {
                let text = tokio::fs::read(path)
                    .await
                    .map_err(|e| format!("{}: {e}", path.display()))?;
                serde_json::from_slice(&text)
                    .map_err(|e| format!("{} is not a JWKS: {e}", path.display()))
            }
            JwksSource::Url(url) => {
                let response = self
                    .http
                    .get(url)
                    .send()
                    .await
                    .map_err(|e| format!("{url}: {e}"))?;
                if !response.status().is_success() {
                    return Err(format!("{url} answered {}", response.status()));
                }
                response
                    .json::<JwkSet>()
                    .await
                    .map_err(|e| format!("{url} is not a JWKS: {e}"))
            }
        }
    }
}

/// The key for `kid` and `alg`; a token without `kid` may use the one key of its
/// algorithm when the set has exactly one.
fn find(keys: &[Key], kid: Option<&str>, alg: Algorithm) -> Result<Option<Key>, AuthError> {
    match kid {
        Some(kid) => match keys.iter().find(|k| k.kid.as_deref() == Some(kid)) {
            // The key decides the algorithm, never the token: an RS256 key cannot be
            // used to check an ES256 (or HS256) signature.
            Some(key) if key.algorithm != alg => Err(AuthError::BadSignature),
            found => Ok(found.cloned()),
        },
        None => {
            let mut of_alg = keys.iter().filter(|k| k.algorithm == alg);
            match (of_alg.next(), of_alg.next()) {
                (Some(key), None) => Ok(Some(key.clone())),
                _ => Ok(None),
            }
        }
    }
}

/// The signing keys of a JWKS that Pitlane can use; encryption keys, symmetric keys
/// and unsupported algorithms are skipped.
pub fn keys_of(set: &JwkSet) -> Vec<Key> {
    set.keys
        .iter()
        .filter(|jwk| !matches!(jwk.common.public_key_use, Some(PublicKeyUse::Encryption)))
        .filter_map(|jwk| {
            let inferred = match &jwk.algorithm {
                AlgorithmParameters::RSA(_) => Algorithm::RS256,
                AlgorithmParameters::EllipticCurve(p) if p.curve == EllipticCurve::P256 => {
                    Algorithm::ES256
                }
                AlgorithmParameters::OctetKeyPair(p) if p.curve == EllipticCurve::Ed25519 => {
                    Algorithm::EdDSA
                }
                _ => return None,
            };
            let declared = match jwk.common.key_algorithm {
                None => inferred,
                Some(KeyAlgorithm::RS256) => Algorithm::RS256,
                Some(KeyAlgorithm::ES256) => Algorithm::ES256,
                Some(KeyAlgorithm::EdDSA) => Algorithm::EdDSA,
                Some(_) => return None,
            };
            if declared != inferred {
                return None;
            }
            let decoding = DecodingKey::from_jwk(jwk).ok()?;
            Some(Key {
                kid: jwk.common.key_id.clone(),
                algorithm: declared,
                decoding,
            })
        })
        .collect()
}
