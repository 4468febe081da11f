//! Identity settings from the environment, shared by every service: [`VARIABLES`].

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crate::dev_issuer::DevIssuer;
use crate::keys::JwksSource;
use crate::tokens::{ClientCredentials, TokenSource};
use crate::verifier::Verifier;
use es_core::env::{Env, Variable};

pub use es_core::env::ConfigError;

pub const ISSUER: Variable = Variable::new(
    "AUTH_ISSUER",
    "",
    "the OIDC issuer (`iss`) whose tokens are accepted; unset: the development issuer of the data directory",
);
pub const AUDIENCE: Variable = Variable::new(
    "AUTH_AUDIENCE",
    "pitlane",
    "the audience (`aud`) tokens must name",
);
pub const JWKS_URL: Variable = Variable::new(
    "AUTH_JWKS_URL",
    "",
    "the issuer's keys (JWKS), fetched and cached; or AUTH_JWKS_FILE",
);
pub const JWKS_FILE: Variable =
    Variable::new("AUTH_JWKS_FILE", "", "the issuer's keys (JWKS) from a file");
pub const ROLES_CLAIM: Variable = Variable::new(
    "AUTH_ROLES_CLAIM",
    "roles",
    "claim path of the roles (Keycloak: realm_access.roles)",
);
pub const DRIVER_CLAIM: Variable = Variable::new(
    "AUTH_DRIVER_CLAIM",
    "driver_id",
    "claim naming a driver token's driver id",
);
pub const LEEWAY_SECONDS: Variable = Variable::new(
    "AUTH_LEEWAY_SECONDS",
    "30",
    "clock skew allowed on `exp` and `nbf`",
);
pub const JWKS_TTL_SECONDS: Variable = Variable::new(
    "AUTH_JWKS_TTL_SECONDS",
    "300",
    "how long fetched keys are trusted",
);
pub const ISSUER_KEY: Variable = Variable::new(
    "PITLANE_ISSUER_KEY",
    "",
    "the development issuer's key file [default: <data>/issuer.key]",
);
pub const SERVICE_TOKEN: Variable = Variable::new(
    "PITLANE_SERVICE_TOKEN",
    "",
    "this service's own token (its calls not made for a user), or:",
);
pub const TOKEN_URL: Variable = Variable::new(
    "AUTH_TOKEN_URL",
    "",
    "client-credentials grant for this service's token: the issuer's token endpoint",
);
pub const CLIENT_ID: Variable = Variable::new(
    "AUTH_CLIENT_ID",
    "",
    "client-credentials grant: the client id",
);
pub const CLIENT_SECRET: Variable = Variable::new(
    "AUTH_CLIENT_SECRET",
    "",
    "client-credentials grant: the client secret",
);

/// Every identity variable, for `--help`.
pub const VARIABLES: &[Variable] = &[
    ISSUER,
    AUDIENCE,
    JWKS_URL,
    JWKS_FILE,
    ROLES_CLAIM,
    DRIVER_CLAIM,
    LEEWAY_SECONDS,
    JWKS_TTL_SECONDS,
    ISSUER_KEY,
    SERVICE_TOKEN,
    TOKEN_URL,
    CLIENT_ID,
    CLIENT_SECRET,
];

/// What a verifier checks besides the signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthConfig {
    pub issuer: String,
    pub audience: String,
    pub roles_claim: String,
    pub driver_claim: String,
    pub leeway: Duration,
    pub jwks_ttl: Duration,
    /// The shortest interval between two refreshes caused by unknown kids.
    pub jwks_min_refresh: Duration,
}

impl AuthConfig {
    pub fn new(issuer: impl Into<String>, audience: impl Into<String>) -> Self {
        AuthConfig {
            issuer: issuer.into(),
            audience: audience.into(),
            roles_claim: "roles".into(),
            driver_claim: "driver_id".into(),
            leeway: Duration::from_secs(30),
            jwks_ttl: Duration::from_secs(300),
            jwks_min_refresh: Duration::from_secs(10),
        }
    }
}

fn error(variable: &'static str, message: impl Into<String>) -> ConfigError {
    ConfigError::new(variable, message)
}

/// Whose tokens a service accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IssuerSettings {
    /// An external OIDC issuer and where its keys are.
    Oidc(AuthConfig, JwksSource),
    /// The development issuer whose key file is here (created if missing).
    Development(PathBuf),
}

/// How a service proves its own identity on calls not made for a user. Its `Debug`
/// never shows a token or secret: configurations get logged.
#[derive(Clone, PartialEq, Eq)]
pub enum ServiceCredentials {
    /// Minted by the development issuer.
    Development,
    /// A token given in `PITLANE_SERVICE_TOKEN`.
    Static(String),
    /// Fetched from the issuer with the client-credentials grant.
    ClientCredentials(ClientCredentials),
    /// None configured: calls that need one fail with a clear error.
    None,
}

impl std::fmt::Debug for ServiceCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ServiceCredentials::Development => f.write_str("Development"),
            ServiceCredentials::Static(_) => f.write_str("Static(***)"),
            ServiceCredentials::ClientCredentials(grant) => grant.fmt(f),
            ServiceCredentials::None => f.write_str("None"),
        }
    }
}

/// Identity settings of one service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthSettings {
    pub issuer: IssuerSettings,
    pub service: ServiceCredentials,
}

impl AuthSettings {
    /// The development issuer keeping its key in `data_dir`.
    pub fn development(data_dir: &Path) -> Self {
        AuthSettings {
            issuer: IssuerSettings::Development(data_dir.join("issuer.key")),
            service: ServiceCredentials::Development,
        }
    }

    /// Reads the variables through `var` (`std::env::var` in production); `data_dir` is
    /// where the development issuer keeps its key when no issuer is configured.
    pub fn from_lookup(
        var: impl Fn(&str) -> Option<String>,
        data_dir: &Path,
    ) -> Result<Self, ConfigError> {
        let env = Env::new(&var);
        let Some(issuer) = env.value(&ISSUER) else {
            for variable in [JWKS_URL, JWKS_FILE, AUDIENCE] {
                if env.value(&variable).is_some() {
                    return Err(error(
                        ISSUER.name,
                        format!("must be set with {}", variable.name),
                    ));
                }
            }
            let key = env
                .value(&ISSUER_KEY)
                .map(PathBuf::from)
                .unwrap_or_else(|| data_dir.join("issuer.key"));
            let service = match env.value(&SERVICE_TOKEN) {
                Some(token) => ServiceCredentials::Static(token),
                None => ServiceCredentials::Development,
            };
            return Ok(AuthSettings {
                issuer: IssuerSettings::Development(key),
                service,
            });
        };
        let mut config = AuthConfig::new(issuer, env.value_or_default(&AUDIENCE));
        config.roles_claim = env.value_or_default(&ROLES_CLAIM);
        config.driver_claim = env.value_or_default(&DRIVER_CLAIM);
        if let Some(leeway) = env.seconds(&LEEWAY_SECONDS)? {
            config.leeway = leeway;
        }
        if let Some(ttl) = env.seconds(&JWKS_TTL_SECONDS)? {
            config.jwks_ttl = ttl;
        }
        let source = match (env.value(&JWKS_URL), env.value(&JWKS_FILE)) {
            // Not echoed: a JWKS URL may carry credentials or a token.
            (Some(_), None) => JwksSource::Url(env.read(&JWKS_URL, |raw| {
                if raw.starts_with("https://") || raw.starts_with("http://") {
                    Ok(raw.to_owned())
                } else {
                    Err("must be an http(s) URL".to_owned())
                }
            })?),
            (None, Some(file)) => JwksSource::File(PathBuf::from(file)),
            (Some(_), Some(_)) => {
                return Err(error(
                    JWKS_FILE.name,
                    "set AUTH_JWKS_URL or AUTH_JWKS_FILE, not both",
                ));
            }
            (None, None) => {
                return Err(error(
                    JWKS_URL.name,
                    "must be set with AUTH_ISSUER (or AUTH_JWKS_FILE)",
                ));
            }
        };
        let service = match (
            env.value(&SERVICE_TOKEN),
            env.value(&TOKEN_URL),
            env.value(&CLIENT_ID),
            env.value(&CLIENT_SECRET),
        ) {
            (Some(token), _, _, _) => ServiceCredentials::Static(token),
            (None, Some(token_url), Some(client_id), Some(client_secret)) => {
                ServiceCredentials::ClientCredentials(ClientCredentials {
                    token_url,
                    client_id,
                    client_secret,
                })
            }
            (None, None, None, None) => ServiceCredentials::None,
            (None, url, id, _) => {
                let missing = if url.is_none() {
                    TOKEN_URL.name
                } else if id.is_none() {
                    CLIENT_ID.name
                } else {
                    CLIENT_SECRET.name
                };
                return Err(error(
                    missing,
                    "the client-credentials grant needs AUTH_TOKEN_URL, AUTH_CLIENT_ID and AUTH_CLIENT_SECRET",
                ));
            }
        };
        Ok(AuthSettings {
            issuer: IssuerSettings::Oidc(config, source),
            service,
        })
    }

    /// Reads the process environment.
    pub fn from_env(data_dir: &Path) -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok(), data_dir)
    }

    /// Opens the issuer (creating the development key if needed): the verifier and the
    /// service's own token source, acting as `service_subject`.
    pub fn open(&self, service_subject: &str) -> std::io::Result<Auth> {
        match &self.issuer {
            IssuerSettings::Development(key) => {
                let issuer = Arc::new(DevIssuer::load_or_create(key)?);
                let tokens = match &self.service {
                    ServiceCredentials::Static(token) => TokenSource::fixed(token),
                    _ => TokenSource::development(issuer.clone(), service_subject),
                };
                Ok(Auth {
                    verifier: Arc::new(issuer.verifier()),
                    tokens,
                    development: Some(issuer),
                })
            }
            IssuerSettings::Oidc(config, source) => Ok(Auth {
                verifier: Arc::new(Verifier::new(config, source.clone())),
                tokens: match &self.service {
                    ServiceCredentials::Static(token) => TokenSource::fixed(token),
                    ServiceCredentials::ClientCredentials(grant) => {
                        TokenSource::client_credentials(grant.clone())
                    }
                    ServiceCredentials::Development | ServiceCredentials::None => {
                        TokenSource::none()
                    }
                },
                development: None,
            }),
        }
    }
}

/// What a running service holds: the verifier of incoming tokens and the source of
/// its own (service identity) tokens.
#[derive(Clone)]
pub struct Auth {
    pub verifier: Arc<Verifier>,
    pub tokens: TokenSource,
    /// The development issuer, when the service is its own issuer.
    pub development: Option<Arc<DevIssuer>>,
}

impl Auth {
    /// A development issuer for tests: a fresh key in `dir`.
    pub fn development(dir: &Path, service_subject: &str) -> std::io::Result<Auth> {
        AuthSettings::development(dir).open(service_subject)
    }

    /// A token as `request` says, from the development issuer; an error when the
    /// service trusts an external issuer (which alone mints its tokens).
    pub fn mint_with(
        &self,
        request: &crate::dev_issuer::TokenRequest,
    ) -> Result<String, crate::tokens::TokenError> {
        self.development
            .as_ref()
            .map(|issuer| issuer.mint(request))
            .ok_or_else(|| crate::tokens::TokenError("an external issuer mints the tokens".into()))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn settings(vars: &[(&str, &str)]) -> Result<AuthSettings, ConfigError> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        AuthSettings::from_lookup(|name| vars.get(name).cloned(), Path::new("data"))
    }

    #[test]
    fn without_an_issuer_the_development_issuer_of_the_data_directory_is_used() {
        let settings = settings(&[]).unwrap();
        assert!(
            matches!(&settings.issuer, IssuerSettings::Development(key) if key == Path::new("data/issuer.key"))
        );
    }

    #[test]
    fn an_issuer_without_keys_is_a_start_up_error_naming_the_variable() {
        let error = settings(&[("AUTH_ISSUER", "https://id.example")]).unwrap_err();
        assert_eq!(error.variable, "AUTH_JWKS_URL");
        let error = settings(&[("AUTH_JWKS_URL", "https://id.example/certs")]).unwrap_err();
        assert_eq!(error.variable, "AUTH_ISSUER");
    }

    #[test]
    fn keycloak_settings_read_the_realm_roles_and_a_half_configured_grant_is_refused() {
        let keycloak = settings(&[
            ("AUTH_ISSUER", "http://keycloak:8080/realms/pitlane"),
            (
                "AUTH_JWKS_URL",
                "http://keycloak:8080/realms/pitlane/protocol/openid-connect/certs",
            ),
            ("AUTH_ROLES_CLAIM", "realm_access.roles"),
        ])
        .unwrap();
        let IssuerSettings::Oidc(config, JwksSource::Url(_)) = &keycloak.issuer else {
            panic!("an OIDC issuer with a JWKS URL");
        };
        assert_eq!(config.roles_claim, "realm_access.roles");
        assert_eq!(config.audience, "pitlane");
        let error = settings(&[
            ("AUTH_ISSUER", "https://id.example"),
            ("AUTH_JWKS_FILE", "jwks.json"),
            ("AUTH_CLIENT_ID", "query-service"),
        ])
        .unwrap_err();
        assert_eq!(error.variable, "AUTH_TOKEN_URL");
    }

    #[test]
    fn a_malformed_jwks_url_is_named_without_echoing_it() {
        let error = settings(&[
            ("AUTH_ISSUER", "https://id.example"),
            ("AUTH_JWKS_URL", "ftp://user:s3cret@id.example/certs"),
        ])
        .unwrap_err();
        assert_eq!(error.variable, "AUTH_JWKS_URL");
        assert!(!error.to_string().contains("s3cret"), "{error}");
    }
}
