//! A service's own identity on calls it makes for nobody in particular (the query
//! service's subscription, the relay, the audit CLI): a token minted by the
//! development issuer, a fixed token, or one fetched with the OAuth 2.0
//! client-credentials grant and renewed before it expires.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Deserialize;
use tokio::sync::Mutex;

use crate::dev_issuer::{DevIssuer, TokenRequest};
use crate::role::Role;

/// Where a client-credentials token comes from.
#[derive(Clone, PartialEq, Eq)]
pub struct ClientCredentials {
    pub token_url: String,
    pub client_id: String,
    pub client_secret: String,
}

impl std::fmt::Debug for ClientCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientCredentials")
            .field("token_url", &self.token_url)
            .field("client_id", &self.client_id)
            .field("client_secret", &"***")
            .finish()
    }
}

/// Why no service token could be had.
#[derive(Debug, Clone, thiserror::Error)]
#[error("no service token: {0}")]
pub struct TokenError(pub String);

#[derive(Clone)]
enum Source {
    None,
    Fixed(Arc<str>),
    Development {
        issuer: Arc<DevIssuer>,
        subject: String,
    },
    Grant {
        grant: ClientCredentials,
        http: reqwest::Client,
    },
}

/// Hands out bearer tokens for the service's own calls, cached until shortly before
/// they expire.
#[derive(Clone)]
pub struct TokenSource {
    source: Source,
    cached: Arc<Mutex<Option<(String, Instant)>>>,
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    #[serde(default)]
    expires_in: Option<u64>,
}

/// How long a development service token lives (renewed well before).
const DEV_TTL: Duration = Duration::from_secs(3600);

impl TokenSource {
    fn of(source: Source) -> Self {
        TokenSource {
            source,
            cached: Arc::new(Mutex::new(None)),
        }
    }

    pub fn none() -> Self {
        Self::of(Source::None)
    }

    pub fn fixed(token: &str) -> Self {
        Self::of(Source::Fixed(Arc::from(token)))
    }

    pub fn development(issuer: Arc<DevIssuer>, subject: &str) -> Self {
        Self::of(Source::Development {
            issuer,
            subject: subject.to_owned(),
        })
    }

    pub fn client_credentials(grant: ClientCredentials) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap_or_default();
        Self::of(Source::Grant { grant, http })
    }

    /// A token valid for at least a little while.
    pub async fn token(&self) -> Result<String, TokenError> {
        match &self.source {
            Source::None => Err(TokenError(
                "set PITLANE_SERVICE_TOKEN or AUTH_TOKEN_URL, AUTH_CLIENT_ID and AUTH_CLIENT_SECRET"
                    .into(),
            )),
            Source::Fixed(token) => Ok(token.to_string()),
            Source::Development { .. } | Source::Grant { .. } => {
                let mut cached = self.cached.lock().await;
                if let Some((token, renew_at)) = cached.as_ref()
                    && Instant::now() < *renew_at
                {
                    return Ok(token.clone());
                }
                let (token, lifetime) = self.fetch().await?;
                // Renew at two thirds of the lifetime: never hand out one about to lapse.
                *cached = Some((token.clone(), Instant::now() + lifetime * 2 / 3));
                Ok(token)
            }
        }
    }

    /// `authorization: Bearer …` on a gRPC request.
    pub async fn authorize<M>(
        &self,
        mut request: tonic::Request<M>,
    ) -> Result<tonic::Request<M>, TokenError> {
        let token = self.token().await?;
        let value = format!("Bearer {token}")
            .parse()
            .map_err(|_| TokenError("the token is not a valid header value".into()))?;
        request.metadata_mut().insert("authorization", value);
        Ok(request)
    }

    async fn fetch(&self) -> Result<(String, Duration), TokenError> {
        match &self.source {
            Source::Development { issuer, subject } => Ok((
                issuer.mint(&TokenRequest::new(subject.clone(), Role::Service).ttl(DEV_TTL)),
                DEV_TTL,
            )),
            Source::Grant { grant, http } => {
                let response = http
                    .post(&grant.token_url)
                    .form(&[
                        ("grant_type", "client_credentials"),
                        ("client_id", grant.client_id.as_str()),
                        ("client_secret", grant.client_secret.as_str()),
                    ])
                    .send()
                    .await
                    .map_err(|e| TokenError(format!("{}: {e}", grant.token_url)))?;
                if !response.status().is_success() {
                    return Err(TokenError(format!(
                        "{} answered {}",
                        grant.token_url,
                        response.status()
                    )));
                }
                let body: TokenResponse = response
                    .json()
                    .await
                    .map_err(|e| TokenError(format!("{}: {e}", grant.token_url)))?;
                // The lifetime the issuer gave, never stretched: a token kept past
                // its `expires_in` would be refused by every service it is sent to.
                Ok((
                    body.access_token,
                    Duration::from_secs(body.expires_in.unwrap_or(300)),
                ))
            }
            Source::None | Source::Fixed(_) => Err(TokenError("nothing to fetch".into())),
        }
    }
}

#[cfg(test)]
mod tests;
