//! TLS on gRPC listeners and channels (rustls), from the environment: [`VARIABLES`].
//!
//! Plaintext on loopback is always allowed; elsewhere a listener without TLS refuses to
//! start unless `PITLANE_ALLOW_PLAINTEXT=true` says the network is trusted.

use std::net::SocketAddr;
use std::path::PathBuf;

use tonic::transport::{Certificate, ClientTlsConfig, Identity, ServerTlsConfig};

use es_core::env::{ConfigError, Env, Variable};

pub const CERT: Variable = Variable::new(
    "PITLANE_TLS_CERT",
    "",
    "this service's certificate chain (PEM): the listener serves TLS; as a client, presented when a server asks",
);
pub const KEY: Variable = Variable::new("PITLANE_TLS_KEY", "", "the key of PITLANE_TLS_CERT (PEM)");
pub const CA: Variable = Variable::new(
    "PITLANE_TLS_CA",
    "",
    "the CA (PEM) that signs the services' certificates: trusted by clients; on a listener, verifies client certificates",
);
pub const CLIENT_AUTH: Variable = Variable::new(
    "PITLANE_TLS_CLIENT_AUTH",
    "",
    "`required`: the listener refuses clients without a certificate from the CA (mutual TLS)",
);
pub const ALLOW_PLAINTEXT: Variable = Variable::new(
    "PITLANE_ALLOW_PLAINTEXT",
    "false",
    "`true`: allow plaintext on a non-loopback address (a network you trust)",
);

/// Every TLS variable, for `--help`.
pub const VARIABLES: &[Variable] = &[CERT, KEY, CA, CLIENT_AUTH, ALLOW_PLAINTEXT];

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsSettings {
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
    pub ca: Option<PathBuf>,
    pub client_auth_required: bool,
    pub allow_plaintext: bool,
}

fn error(variable: &'static str, message: impl Into<String>) -> ConfigError {
    ConfigError::new(variable, message)
}

/// Makes aws-lc-rs the process's TLS crypto provider. Both rustls providers are linked
/// (MongoDB's and SQL Server's drivers bring ring and aws-lc-rs), and rustls then
/// refuses to choose; whoever installs first wins, so this is idempotent.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
}

fn read(variable: &'static str, path: &PathBuf) -> Result<Vec<u8>, ConfigError> {
    std::fs::read(path).map_err(|e| error(variable, format!("{}: {e}", path.display())))
}

impl TlsSettings {
    pub fn from_lookup(var: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let env = Env::new(&var);
        let settings = TlsSettings {
            cert: env.value(&CERT).map(PathBuf::from),
            key: env.value(&KEY).map(PathBuf::from),
            ca: env.value(&CA).map(PathBuf::from),
            client_auth_required: env.flag(&CLIENT_AUTH, "required")?,
            allow_plaintext: env.flag(&ALLOW_PLAINTEXT, "")?,
        };
        match (&settings.cert, &settings.key) {
            (Some(_), None) => Err(error(
                "PITLANE_TLS_KEY",
                "must be set with PITLANE_TLS_CERT",
            )),
            (None, Some(_)) => Err(error(
                "PITLANE_TLS_CERT",
                "must be set with PITLANE_TLS_KEY",
            )),
            _ if settings.client_auth_required && settings.ca.is_none() => Err(error(
                "PITLANE_TLS_CA",
                "must name the CA of client certificates when PITLANE_TLS_CLIENT_AUTH=required",
            )),
            _ => Ok(settings),
        }
    }

    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    fn identity(&self) -> Result<Option<Identity>, ConfigError> {
        match (&self.cert, &self.key) {
            (Some(cert), Some(key)) => Ok(Some(Identity::from_pem(
                read("PITLANE_TLS_CERT", cert)?,
                read("PITLANE_TLS_KEY", key)?,
            ))),
            _ => Ok(None),
        }
    }

    /// The listener's TLS, or `None` for plaintext (refused off loopback unless allowed).
    pub fn server(&self, listen: SocketAddr) -> Result<Option<ServerTlsConfig>, ConfigError> {
        let Some(identity) = self.identity()? else {
            if !listen.ip().is_loopback() && !self.allow_plaintext {
                return Err(error(
                    "PITLANE_TLS_CERT",
                    format!(
                        "{listen} is not a loopback address: serve TLS (PITLANE_TLS_CERT, PITLANE_TLS_KEY) \
                         or say the network is trusted with PITLANE_ALLOW_PLAINTEXT=true"
                    ),
                ));
            }
            return Ok(None);
        };
        install_crypto_provider();
        let mut config = ServerTlsConfig::new().identity(identity);
        if let Some(ca) = &self.ca {
            config = config
                .client_ca_root(Certificate::from_pem(read("PITLANE_TLS_CA", ca)?))
                .client_auth_optional(!self.client_auth_required);
        }
        Ok(Some(config))
    }

    /// A channel's TLS for an `https://` upstream (`None` for `http://`).
    pub fn client(&self, url: &str) -> Result<Option<ClientTlsConfig>, ConfigError> {
        if !url.starts_with("https://") {
            return Ok(None);
        }
        let ca = self.ca.as_ref().ok_or_else(|| {
            error(
                "PITLANE_TLS_CA",
                format!("must name the CA that signed {url}'s certificate"),
            )
        })?;
        install_crypto_provider();
        let mut config = ClientTlsConfig::new()
            .ca_certificate(Certificate::from_pem(read("PITLANE_TLS_CA", ca)?));
        if let Some(identity) = self.identity()? {
            config = config.identity(identity);
        }
        Ok(Some(config))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plaintext_is_allowed_on_loopback_and_refused_elsewhere_unless_trusted() {
        let plain = TlsSettings::default();
        assert!(
            plain
                .server("127.0.0.1:50051".parse().unwrap())
                .unwrap()
                .is_none()
        );
        let error = plain.server("0.0.0.0:50051".parse().unwrap()).unwrap_err();
        assert_eq!(error.variable, "PITLANE_TLS_CERT");
        let trusted = TlsSettings {
            allow_plaintext: true,
            ..TlsSettings::default()
        };
        assert!(
            trusted
                .server("0.0.0.0:50051".parse().unwrap())
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn a_certificate_without_its_key_is_refused_naming_the_key() {
        let error = TlsSettings::from_lookup(|name| {
            (name == "PITLANE_TLS_CERT").then(|| "cert.pem".to_owned())
        })
        .unwrap_err();
        assert_eq!(error.variable, "PITLANE_TLS_KEY");
    }
}
