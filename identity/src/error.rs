//! Why a request was not authenticated, in words a client can act on (RFC 6750's
//! `error_description`) without revealing the token.

/// A token that does not prove who the caller is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("no bearer token: send Authorization: Bearer <token>")]
    Missing,
    #[error("the Authorization header is not a bearer token")]
    NotBearer,
    #[error("the token is malformed")]
    Malformed,
    #[error("the token's algorithm {0} is not accepted (RS256, ES256 or EdDSA)")]
    Algorithm(String),
    #[error("the token has expired")]
    Expired,
    #[error("the token is not yet valid")]
    NotYetValid,
    #[error("the token was issued by another issuer")]
    WrongIssuer,
    #[error("the token is meant for another audience")]
    WrongAudience,
    #[error("the token was signed by an unknown key")]
    UnknownKey,
    #[error("the token's signature is invalid")]
    BadSignature,
    #[error("the token lacks the claim {0}")]
    MissingClaim(String),
    /// The issuer's keys could not be fetched: not the client's fault (a 503, not 401).
    #[error("the issuer's signing keys are unavailable")]
    KeysUnavailable,
}

impl AuthError {
    /// Whether the fault is ours (keys unavailable) rather than the token's.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, AuthError::KeysUnavailable)
    }

    /// RFC 6750 error code for `WWW-Authenticate`.
    pub fn code(&self) -> &'static str {
        match self {
            // A request that carried no credentials gets no error code (RFC 6750 §3.1).
            AuthError::Missing => "",
            AuthError::NotBearer => "invalid_request",
            _ => "invalid_token",
        }
    }

    /// The `WWW-Authenticate` challenge naming the reason.
    pub fn challenge(&self, realm: &str) -> String {
        match self.code() {
            "" => format!("Bearer realm=\"{realm}\""),
            code => {
                format!("Bearer realm=\"{realm}\", error=\"{code}\", error_description=\"{self}\"")
            }
        }
    }
}

/// Authenticated, but not allowed: a 403 / `PERMISSION_DENIED`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Forbidden(pub String);
