//! Token verification, shared by the BFF and every gRPC service: signature by `kid`
//! from the issuer's keys, then `iss`, `aud`, `exp`, `nbf` (with a small leeway) and
//! `sub`; roles read from a claim path (`roles`, or Keycloak's `realm_access.roles`).

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, Validation};
use serde_json::Value;

use crate::config::AuthConfig;
use crate::error::AuthError;
use crate::identity::Identity;
use crate::keys::{ACCEPTED, JwksSource, KeyRing};
use crate::role::Role;
use crate::untrusted::printable;
use crate::verified::Verified;

/// Verifies bearer tokens of one issuer for one audience.
pub struct Verifier {
    issuer: String,
    audience: String,
    leeway: Duration,
    roles_claim: Vec<String>,
    driver_claim: String,
    keys: KeyRing,
    verified: Verified,
}

impl Verifier {
    pub fn new(config: &AuthConfig, source: JwksSource) -> Self {
        Verifier {
            issuer: config.issuer.clone(),
            audience: config.audience.clone(),
            leeway: config.leeway,
            roles_claim: config.roles_claim.split('.').map(str::to_owned).collect(),
            driver_claim: config.driver_claim.clone(),
            keys: KeyRing::new(source, config.jwks_ttl, config.jwks_min_refresh),
            // Never trusted longer than the keys that verified it.
            verified: Verified::new(config.jwks_ttl.min(Duration::from_secs(60))),
        }
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// Verifies the value of an `Authorization` header (`Bearer <token>`).
    pub async fn verify_header(&self, authorization: Option<&str>) -> Result<Identity, AuthError> {
        let value = authorization.ok_or(AuthError::Missing)?.trim();
        let (scheme, token) = value.split_once(' ').ok_or(AuthError::NotBearer)?;
        if !scheme.eq_ignore_ascii_case("bearer") {
            return Err(AuthError::NotBearer);
        }
        self.verify(token.trim()).await
    }

    /// Verifies a compact JWT (remembering it, so the same token presented again costs
    /// a hash rather than a signature check: see `verified`).
    pub async fn verify(&self, token: &str) -> Result<Identity, AuthError> {
        if let Some(identity) = self.verified.get(token) {
            return Ok(identity);
        }
        let header = jsonwebtoken::decode_header(token).map_err(|_| header_error(token))?;
        if !ACCEPTED.contains(&header.alg) {
            return Err(AuthError::Algorithm(format!("{:?}", header.alg)));
        }
        let key = self.keys.key(header.kid.as_deref(), header.alg).await?;
        let mut validation = Validation::new(key.algorithm);
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = self.leeway.as_secs();
        let data = jsonwebtoken::decode::<Value>(token, &key.decoding, &validation)
            .map_err(|e| claim_error(e.into_kind()))?;
        let expires = data.claims.get("exp").and_then(Value::as_u64).unwrap_or(0);
        let identity = self.identity(data.claims, token)?;
        self.verified.put(
            token,
            &identity,
            expires.saturating_add(self.leeway.as_secs()),
        );
        Ok(identity)
    }

    fn identity(&self, claims: Value, token: &str) -> Result<Identity, AuthError> {
        let subject = claims
            .get("sub")
            .and_then(Value::as_str)
            .filter(|s| !s.trim().is_empty() && s.len() <= 200)
            .ok_or_else(|| AuthError::MissingClaim("sub".into()))?
            .to_owned();
        let mut at = &claims;
        for step in &self.roles_claim {
            at = at.get(step).unwrap_or(&Value::Null);
        }
        let names: Vec<&str> = match at {
            Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
            Value::String(one) => one.split_whitespace().collect(),
            _ => Vec::new(),
        };
        let mut roles: Vec<Role> = names.into_iter().filter_map(Role::parse).collect();
        roles.sort();
        roles.dedup();
        // Driver ids are UUIDs: kept in their canonical form, so every service compares
        // them alike whatever case or braces the issuer wrote.
        let driver_id = claims
            .get(&self.driver_claim)
            .and_then(Value::as_str)
            .map(|id| {
                uuid::Uuid::parse_str(id.trim()).map_or_else(|_| id.to_owned(), |u| u.to_string())
            });
        Ok(Identity {
            subject,
            roles,
            driver_id,
            token: Arc::from(token),
        })
    }
}

/// The longest algorithm name an error repeats (the client chose it; it gets logged).
const MAX_ALGORITHM: usize = 32;

/// Names why a header did not parse: an algorithm we do not know (`none`), or garbage.
fn header_error(token: &str) -> AuthError {
    let alg = token
        .split('.')
        .next()
        .and_then(|part| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(part)
                .ok()
        })
        .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok())
        .and_then(|header| header.get("alg").and_then(Value::as_str).map(str::to_owned));
    match alg {
        Some(alg) if alg.parse::<Algorithm>().is_err() => {
            AuthError::Algorithm(printable(&alg, MAX_ALGORITHM))
        }
        _ => AuthError::Malformed,
    }
}

fn claim_error(kind: ErrorKind) -> AuthError {
    match kind {
        ErrorKind::ExpiredSignature => AuthError::Expired,
        ErrorKind::ImmatureSignature => AuthError::NotYetValid,
        ErrorKind::InvalidIssuer => AuthError::WrongIssuer,
        ErrorKind::InvalidAudience => AuthError::WrongAudience,
        ErrorKind::InvalidSignature | ErrorKind::InvalidAlgorithm => AuthError::BadSignature,
        ErrorKind::MissingRequiredClaim(claim) => AuthError::MissingClaim(claim),
        _ => AuthError::Malformed,
    }
}

#[cfg(test)]
mod tests;
