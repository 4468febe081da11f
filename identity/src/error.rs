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
        let realm = quoted(realm);
        match self.code() {
            "" => format!("Bearer realm={realm}"),
            code => {
                let description = quoted(&description(&self.to_string()));
                format!("Bearer realm={realm}, error=\"{code}\", error_description={description}")
            }
        }
    }
}

/// `text` as an RFC 7230 quoted-string: `"` and `\` escaped, control characters and
/// non-ASCII (which no header value may carry) dropped.
fn quoted(text: &str) -> String {
    let mut quoted = String::with_capacity(text.len() + 2);
    quoted.push('"');
    for c in text.chars().filter(|c| *c == ' ' || c.is_ascii_graphic()) {
        if matches!(c, '"' | '\\') {
            quoted.push('\\');
        }
        quoted.push(c);
    }
    quoted.push('"');
    quoted
}

/// What RFC 6750 admits in an `error_description` (%x20-21 / %x23-5B / %x5D-7E):
/// printable ASCII but `"` (made `'`) and `\` (made `/`); anything else dropped.
fn description(text: &str) -> String {
    text.chars()
        .filter(|c| *c == ' ' || c.is_ascii_graphic())
        .map(|c| match c {
            '"' => '\'',
            '\\' => '/',
            c => c,
        })
        .collect()
}

/// Authenticated, but not allowed: a 403 / `PERMISSION_DENIED`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Forbidden(pub String);

#[cfg(test)]
mod tests {
    use super::*;

    /// The auth-params of a `Bearer` challenge, quoted-strings unescaped; `None` when
    /// the header is not well formed.
    fn params(challenge: &str) -> Option<Vec<(String, String)>> {
        let mut rest = challenge.strip_prefix("Bearer ")?;
        let mut params = Vec::new();
        loop {
            let (name, after) = rest.split_once("=\"")?;
            let mut value = String::new();
            let mut chars = after.char_indices();
            let end = loop {
                match chars.next()? {
                    (_, '\\') => value.push(chars.next()?.1),
                    (at, '"') => break at,
                    (_, c) => value.push(c),
                }
            };
            params.push((name.to_owned(), value));
            rest = &after[end + 1..];
            if rest.is_empty() {
                return Some(params);
            }
            rest = rest.strip_prefix(", ")?;
        }
    }

    #[test]
    fn a_challenge_stays_one_well_formed_header_whatever_its_reason_says() {
        let hostile = AuthError::Algorithm("x\", error=\"forged\\\r\nSet-Cookie: a=b é".into());
        let challenge = hostile.challenge("pit\"lane\\");
        assert!(
            http::HeaderValue::from_str(&challenge).is_ok(),
            "{challenge}"
        );
        let params = params(&challenge).unwrap_or_else(|| panic!("malformed: {challenge}"));
        let names: Vec<&str> = params.iter().map(|(name, _)| name.as_str()).collect();
        assert_eq!(
            names,
            ["realm", "error", "error_description"],
            "{challenge}"
        );
        assert_eq!(params[0].1, "pit\"lane\\");
        let description = &params[2].1;
        let rfc6750 = |c: char| matches!(c, '\x20'..='\x21' | '\x23'..='\x5B' | '\x5D'..='\x7E');
        assert!(description.chars().all(rfc6750), "{description}");
        assert!(description.contains("forged"), "{description}");
    }

    #[test]
    fn a_request_without_credentials_is_challenged_without_an_error_code() {
        assert_eq!(
            AuthError::Missing.challenge("pitlane"),
            "Bearer realm=\"pitlane\""
        );
    }
}
