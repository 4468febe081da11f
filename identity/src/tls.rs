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
            if self.plaintext(listen)? == Plaintext::Trusted {
                tracing::warn!(
                    %listen,
                    "serving plaintext off loopback (PITLANE_ALLOW_PLAINTEXT=true): bearer tokens cross the network in the clear"
                );
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

    /// Whether a listener at `listen` may serve plaintext, and why; refused off loopback
    /// unless PITLANE_ALLOW_PLAINTEXT says the network is trusted.
    fn plaintext(&self, listen: SocketAddr) -> Result<Plaintext, ConfigError> {
        if listen.ip().is_loopback() {
            Ok(Plaintext::Loopback)
        } else if self.allow_plaintext {
            Ok(Plaintext::Trusted)
        } else {
            Err(error(
                "PITLANE_TLS_CERT",
                format!(
                    "{listen} is not a loopback address: serve TLS (PITLANE_TLS_CERT, PITLANE_TLS_KEY) \
                     or say the network is trusted with PITLANE_ALLOW_PLAINTEXT=true"
                ),
            ))
        }
    }

    /// A channel's TLS for an `https://` upstream (`None` for `http://`).
    pub fn client(&self, url: &str) -> Result<Option<ClientTlsConfig>, ConfigError> {
        if !url.starts_with("https://") {
            if let Some(upstream) = cleartext_upstream(url) {
                tracing::warn!(
                    %upstream,
                    "calls to a host off loopback over http://: bearer tokens cross the network in the clear"
                );
            }
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

/// Why a listener serves plaintext.
#[derive(Debug, PartialEq, Eq)]
enum Plaintext {
    /// Only this machine can reach it.
    Loopback,
    /// Off loopback, on a network PITLANE_ALLOW_PLAINTEXT trusts: worth a warning.
    Trusted,
}

/// The host (and port) of an `http://` URL that leaves this machine, to name in a
/// warning: calls there carry bearer tokens in the clear. `None` for loopback, for
/// `https://` and for what is not a URL (the channel refuses it).
fn cleartext_upstream(url: &str) -> Option<String> {
    let uri: http::Uri = url.parse().ok()?;
    if !uri.scheme_str()?.eq_ignore_ascii_case("http") {
        return None;
    }
    let host = uri.host()?;
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let loopback = match bare.parse::<std::net::IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => {
            let name = bare.trim_end_matches('.').to_ascii_lowercase();
            name == "localhost" || name.ends_with(".localhost")
        }
    };
    // Host and port only: never the URL's user information or path.
    (!loopback).then(|| match uri.port_u16() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    })
}

#[cfg(test)]
mod handshakes;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plaintext_listener_off_loopback_is_warned_of_where_allowed_and_refused_elsewhere() {
        let trusted = TlsSettings {
            allow_plaintext: true,
            ..TlsSettings::default()
        };
        let loopback = "127.0.0.1:50051".parse().unwrap();
        let everywhere = "0.0.0.0:50051".parse().unwrap();
        assert_eq!(trusted.plaintext(loopback).unwrap(), Plaintext::Loopback);
        assert_eq!(trusted.plaintext(everywhere).unwrap(), Plaintext::Trusted);
        assert!(TlsSettings::default().plaintext(everywhere).is_err());
    }

    #[test]
    fn plaintext_calls_are_warned_of_when_they_leave_the_machine_naming_only_the_host() {
        for local in [
            "http://localhost:50051",
            "http://127.0.0.1:50051",
            "http://[::1]:50051",
            "http://LOCALHOST.:1",
            "https://command.internal:50051",
        ] {
            assert_eq!(cleartext_upstream(local), None, "{local}");
        }
        let remote = cleartext_upstream("http://svc:p4ss@command.internal:50051/x?t=1");
        assert_eq!(remote.as_deref(), Some("command.internal:50051"));
        assert_eq!(
            cleartext_upstream("http://10.0.0.7").as_deref(),
            Some("10.0.0.7")
        );
    }

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
