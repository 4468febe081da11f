//! The BFF's configuration, from environment variables (12-factor): where the gRPC
//! upstreams are, how patient to be with them, whose tokens prove who a caller is,
//! what clients may do, and where the locks live (Redis, shared by every instance, or
//! in-process).

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use es_core::env::{Env, Variable};
use identity::AuthSettings;

pub use es_core::env::ConfigError;

pub const BFF_ADDR: Variable = Variable::new(
    "PITLANE_BFF_ADDR",
    "127.0.0.1:8080",
    "the REST API's listen address",
);
pub const COMMAND_URL: Variable = Variable::new(
    "PITLANE_COMMAND_URL",
    "http://127.0.0.1:50051",
    "the command service (gRPC)",
);
pub const QUERY_URL: Variable = Variable::new(
    "PITLANE_QUERY_URL",
    "http://127.0.0.1:50052",
    "the query service (gRPC)",
);
pub const UPSTREAM_TIMEOUT_MS: Variable = Variable::new(
    "PITLANE_UPSTREAM_TIMEOUT_MS",
    "30000",
    "one upstream call's deadline (1 to 600000)",
);
pub const UPSTREAM_RETRIES: Variable = Variable::new(
    "PITLANE_UPSTREAM_RETRIES",
    "3",
    "retries of idempotent calls that met UNAVAILABLE or DEADLINE_EXCEEDED (0 to 10)",
);
pub const RATE_LIMIT: Variable = Variable::new(
    "PITLANE_RATE_LIMIT",
    "100/10s",
    "<requests>/<seconds>s per token subject (per client IP without a valid token), or `off`",
);
pub const TRUSTED_PROXIES: Variable = Variable::new(
    "PITLANE_TRUSTED_PROXIES",
    "",
    "comma-separated IPs of reverse proxies whose X-Forwarded-For is believed",
);
pub const CORS_ORIGINS: Variable = Variable::new(
    "PITLANE_CORS_ORIGINS",
    "",
    "comma-separated origins allowed to call from a browser (none by default)",
);
pub const BODY_LIMIT_BYTES: Variable = Variable::new(
    "PITLANE_BODY_LIMIT_BYTES",
    "65536",
    "the largest request body (1024 to 16777216)",
);
pub const LOCK_TTL_MS: Variable = Variable::new(
    "PITLANE_LOCK_TTL_MS",
    "10000",
    "how long a scheduling lock lives (100 to 600000)",
);
pub const LOCK_WAIT_MS: Variable = Variable::new(
    "PITLANE_LOCK_WAIT_MS",
    "5000",
    "how long a request waits for a scheduling lock (1 to 600000)",
);
pub const REDIS_URL: Variable = Variable::new(
    "REDIS_URL",
    "",
    "redis://[user:password@]host[:port][/db]: scheduling locks and consistency tokens shared by every BFF instance; unset: in this process",
);
pub const WEB_CLIENT_ID: Variable = Variable::new(
    "PITLANE_WEB_CLIENT_ID",
    "pitlane-web",
    "the identity provider's public client the web app logs in with (code flow with PKCE)",
);
pub const DATA: Variable = Variable::new(
    "PITLANE_DATA",
    "data",
    "the data directory: the development issuer's key",
);

/// The BFF's own variables.
pub const VARIABLES: &[Variable] = &[
    BFF_ADDR,
    COMMAND_URL,
    QUERY_URL,
    UPSTREAM_TIMEOUT_MS,
    UPSTREAM_RETRIES,
    RATE_LIMIT,
    TRUSTED_PROXIES,
    CORS_ORIGINS,
    BODY_LIMIT_BYTES,
    LOCK_TTL_MS,
    LOCK_WAIT_MS,
    REDIS_URL,
    WEB_CLIENT_ID,
    DATA,
];

/// `pitlane bff --help`'s list of variables.
pub fn help() -> String {
    es_core::env::help(&[
        ("BFF (REST API)", VARIABLES),
        ("Identity", identity::config::VARIABLES),
        ("TLS towards the upstreams", identity::tls::VARIABLES),
        ("Logs and metrics", es_core::telemetry::VARIABLES),
    ])
}

/// Its `Debug` shows no secret: Redis passwords and service tokens are masked by
/// their own types.
#[derive(Debug, Clone)]
pub struct Config {
    /// `PITLANE_BFF_ADDR`, default `127.0.0.1:8080`.
    pub listen: SocketAddr,
    /// `PITLANE_COMMAND_URL`, default `http://127.0.0.1:50051`.
    pub command_url: String,
    /// `PITLANE_QUERY_URL`, default `http://127.0.0.1:50052`.
    pub query_url: String,
    pub upstream: UpstreamPolicy,
    /// `PITLANE_RATE_LIMIT`: `<requests>/<seconds>s` per token subject (per client IP
    /// for requests without a valid token), default `100/10s`; `off` disables it
    /// (benchmarks, tests that storm one IP).
    pub rate_limit: Option<RateLimit>,
    /// `PITLANE_TRUSTED_PROXIES`: comma-separated IPs of the reverse proxies in front of
    /// the BFF, whose `X-Forwarded-For` is believed when the rate limit looks for the
    /// client's address; none by default (the TCP peer is the client).
    pub trusted_proxies: Vec<IpAddr>,
    /// `PITLANE_CORS_ORIGINS`: comma-separated origins allowed to call from a browser,
    /// e.g. `http://localhost:3000`; empty (the default) allows none.
    pub cors_origins: Vec<String>,
    /// `PITLANE_BODY_LIMIT_BYTES`: the largest request body, default 65536.
    pub body_limit: usize,
    /// `PITLANE_LOCK_TTL_MS` (default 10000) and `PITLANE_LOCK_WAIT_MS` (default 5000):
    /// how long a scheduling lock lives, and how long a request waits for one.
    pub lock_ttl: Duration,
    pub lock_wait: Duration,
    /// `REDIS_URL`, e.g. `redis://127.0.0.1:6379`: when set, scheduling locks and the
    /// last consistency tokens live in Redis, so several BFF instances sharing it
    /// exclude each other's conflicting bookings; unset (the embedded default), they
    /// live in this process.
    pub redis_url: Option<RedisUrl>,
    /// `AUTH_*` (see [`identity::config`]): whose bearer tokens the BFF accepts; without
    /// `AUTH_ISSUER`, the development issuer whose key is in the data directory
    /// (`PITLANE_DATA`, default `data`).
    pub auth: AuthSettings,
    /// `PITLANE_TLS_CA` (and `PITLANE_TLS_CERT`/`PITLANE_TLS_KEY` for a client
    /// certificate): TLS towards `https://` upstreams.
    pub tls: identity::tls::TlsSettings,
    /// `PITLANE_WEB_CLIENT_ID`: the OIDC client the web app at `/` logs in with when
    /// the BFF trusts an external issuer (ADR 022).
    pub web_client_id: String,
}

/// A Redis URL that parsed (`redis://[user:password@]host[:port][/db]`). Its `Debug`
/// hides the password, because configurations get logged.
#[derive(Clone, PartialEq, Eq)]
pub struct RedisUrl(String);

impl RedisUrl {
    pub fn parse(text: &str) -> Result<Self, String> {
        use deadpool_redis::redis::IntoConnectionInfo;
        let text = text.trim();
        // The value is not echoed: it may hold a password.
        text.into_connection_info()
            .map_err(|cause| format!("not a Redis URL like redis://127.0.0.1:6379 ({cause})"))?;
        Ok(RedisUrl(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for RedisUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shown = match (self.0.split_once("://"), self.0.rsplit_once('@')) {
            (Some((scheme, _)), Some((_, host))) => format!("{scheme}://***@{host}"),
            _ => self.0.clone(),
        };
        f.debug_tuple("RedisUrl").field(&shown).finish()
    }
}

/// Resilience per upstream (the same for command and query).
#[derive(Debug, Clone, PartialEq)]
pub struct UpstreamPolicy {
    /// `PITLANE_UPSTREAM_TIMEOUT_MS`, default 30000: one attempt's deadline.
    pub timeout: Duration,
    /// `PITLANE_UPSTREAM_RETRIES`, default 3: retries of idempotent calls that met
    /// `UNAVAILABLE` or `DEADLINE_EXCEEDED`, with exponential backoff and jitter.
    pub retries: usize,
    /// The circuit opens when at least `failure_rate` of the calls of the last `window`
    /// failed, once `minimum_calls` were made; it stays open for `open_for`, then lets a
    /// probe through (half-open).
    pub failure_rate: f64,
    pub window: Duration,
    pub minimum_calls: usize,
    pub open_for: Duration,
}

impl Default for UpstreamPolicy {
    fn default() -> Self {
        UpstreamPolicy {
            timeout: Duration::from_secs(30),
            retries: 3,
            failure_rate: 0.5,
            window: Duration::from_secs(30),
            minimum_calls: 10,
            open_for: Duration::from_secs(15),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub requests: u32,
    pub per: Duration,
}

impl Default for RateLimit {
    fn default() -> Self {
        RateLimit {
            requests: 100,
            per: Duration::from_secs(10),
        }
    }
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let env = Env::new(&lookup);
        let upstream = UpstreamPolicy {
            timeout: env.millis(&UPSTREAM_TIMEOUT_MS, 1..=600_000)?,
            retries: env.number(&UPSTREAM_RETRIES, 0..=10)? as usize,
            ..UpstreamPolicy::default()
        };
        let cors_origins = env.list(&CORS_ORIGINS, |origin| {
            if origin.starts_with("http://") || origin.starts_with("https://") {
                Ok(origin.trim_end_matches('/').to_owned())
            } else {
                Err(format!(
                    "`{origin}` is not an origin like https://planner.example"
                ))
            }
        })?;
        let trusted_proxies = env.list(&TRUSTED_PROXIES, |proxy| {
            proxy
                .parse::<IpAddr>()
                .map_err(|_| format!("`{proxy}` is not an IP address like 10.0.0.2"))
        })?;
        let data_dir = PathBuf::from(env.value_or_default(&DATA));
        Ok(Config {
            listen: env.socket_address(&BFF_ADDR)?,
            command_url: env.http_url(&COMMAND_URL)?,
            query_url: env.http_url(&QUERY_URL)?,
            upstream,
            rate_limit: env.read(&RATE_LIMIT, parse_rate_limit)?,
            trusted_proxies,
            cors_origins,
            body_limit: env.number(&BODY_LIMIT_BYTES, 1024..=16 << 20)? as usize,
            lock_ttl: env.millis(&LOCK_TTL_MS, 100..=600_000)?,
            lock_wait: env.millis(&LOCK_WAIT_MS, 1..=600_000)?,
            redis_url: env.read_optional(&REDIS_URL, RedisUrl::parse)?,
            auth: AuthSettings::from_lookup(&lookup, &data_dir)?,
            tls: identity::tls::TlsSettings::from_lookup(&lookup)?,
            web_client_id: env.value_or_default(&WEB_CLIENT_ID),
        })
    }

    /// A configuration for tests and the embedded platform: the given upstreams, port 0,
    /// the development issuer of the default data directory (`data`), and the defaults
    /// otherwise.
    pub fn local(command_url: String, query_url: String) -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            command_url,
            query_url,
            upstream: UpstreamPolicy::default(),
            rate_limit: Some(RateLimit::default()),
            trusted_proxies: Vec::new(),
            cors_origins: Vec::new(),
            body_limit: 65_536,
            lock_ttl: Duration::from_secs(10),
            lock_wait: Duration::from_secs(5),
            redis_url: None,
            auth: AuthSettings::development(Path::new("data")),
            tls: identity::tls::TlsSettings::default(),
            web_client_id: WEB_CLIENT_ID.default.to_owned(),
        }
    }
}

fn parse_rate_limit(text: &str) -> Result<Option<RateLimit>, String> {
    if text.trim().eq_ignore_ascii_case("off") {
        return Ok(None);
    }
    let parsed = text.trim().split_once('/').and_then(|(requests, per)| {
        let requests = requests.trim().parse::<u32>().ok().filter(|n| *n > 0)?;
        let seconds = per
            .trim()
            .strip_suffix('s')?
            .parse::<u64>()
            .ok()
            .filter(|s| *s > 0)?;
        Some(RateLimit {
            requests,
            per: Duration::from_secs(seconds),
        })
    });
    parsed
        .map(Some)
        .ok_or_else(|| format!("`{text}` is not `<requests>/<seconds>s` (e.g. 100/10s) or `off`"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        Config::from_lookup(|name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        })
    }

    #[test]
    fn defaults_follow_the_issue_and_the_embedded_platform() {
        let config = config(&[]).unwrap();
        assert_eq!(config.listen.port(), 8080);
        assert_eq!(config.query_url, "http://127.0.0.1:50052");
        assert_eq!(config.upstream.timeout, Duration::from_secs(30));
        assert_eq!(config.upstream.retries, 3);
        assert_eq!(config.rate_limit, Some(RateLimit::default()));
        assert!(config.cors_origins.is_empty());
        assert!(config.trusted_proxies.is_empty(), "no proxy is believed");
        assert!(matches!(
            &config.auth.issuer,
            identity::config::IssuerSettings::Development(key) if key == Path::new("data/issuer.key")
        ));
        assert_eq!(
            config.redis_url, None,
            "in-process locks unless REDIS_URL is set"
        );
    }

    #[test]
    fn a_redis_url_selects_redis_and_its_password_never_shows_in_debug_output() {
        let config = config(&[("REDIS_URL", "redis://pitlane:s3cret@cache:6379/2")]).unwrap();
        let url = config.redis_url.clone().expect("REDIS_URL is set");
        assert_eq!(url.as_str(), "redis://pitlane:s3cret@cache:6379/2");
        let shown = format!("{config:?}");
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(shown.contains("cache:6379/2"), "{shown}");
    }

    #[test]
    fn a_malformed_redis_url_is_named_without_echoing_it() {
        let error = config(&[("REDIS_URL", "redis//user:s3cret@cache")]).unwrap_err();
        assert_eq!(error.variable, "REDIS_URL");
        assert!(!error.to_string().contains("s3cret"), "{error}");
    }

    #[test]
    fn a_rate_limit_can_be_changed_or_switched_off() {
        let limited = config(&[("PITLANE_RATE_LIMIT", "5/2s")]).unwrap();
        assert_eq!(
            limited.rate_limit,
            Some(RateLimit {
                requests: 5,
                per: Duration::from_secs(2)
            })
        );
        assert_eq!(
            config(&[("PITLANE_RATE_LIMIT", "off")]).unwrap().rate_limit,
            None
        );
    }

    #[test]
    fn malformed_variables_are_named() {
        for (variable, value) in [
            ("PITLANE_BFF_ADDR", "nowhere"),
            ("PITLANE_QUERY_URL", "localhost:1"),
            ("PITLANE_UPSTREAM_TIMEOUT_MS", "0"),
            ("PITLANE_RATE_LIMIT", "lots"),
            ("PITLANE_CORS_ORIGINS", "localhost:3000"),
            ("PITLANE_BODY_LIMIT_BYTES", "1"),
            ("REDIS_URL", "localhost:6379"),
            ("REDIS_URL", "http://127.0.0.1:6379"),
            ("PITLANE_TRUSTED_PROXIES", "proxy.internal"),
        ] {
            assert_eq!(config(&[(variable, value)]).unwrap_err().variable, variable);
        }
    }

    #[test]
    fn cors_origins_are_a_trimmed_list() {
        let config = config(&[(
            "PITLANE_CORS_ORIGINS",
            "http://localhost:3000/, https://planner.example",
        )])
        .unwrap();
        assert_eq!(
            config.cors_origins,
            ["http://localhost:3000", "https://planner.example"]
        );
    }

    #[test]
    fn trusted_proxies_are_a_list_of_addresses_and_the_data_directory_holds_the_dev_key() {
        let config = config(&[
            ("PITLANE_TRUSTED_PROXIES", "10.0.0.2, ::1"),
            ("PITLANE_DATA", "/var/lib/pitlane"),
        ])
        .unwrap();
        assert_eq!(
            config.trusted_proxies,
            [
                "10.0.0.2".parse::<IpAddr>().unwrap(),
                "::1".parse().unwrap()
            ]
        );
        assert!(matches!(
            &config.auth.issuer,
            identity::config::IssuerSettings::Development(key)
                if key == Path::new("/var/lib/pitlane/issuer.key")
        ));
    }

    #[test]
    fn an_issuer_without_its_keys_is_a_start_up_error_naming_the_missing_variable() {
        let error = config(&[("AUTH_ISSUER", "https://id.example")]).unwrap_err();
        assert_eq!(error.variable, "AUTH_JWKS_URL");
    }

    #[test]
    fn a_service_token_never_shows_in_debug_output() {
        let config = config(&[("PITLANE_SERVICE_TOKEN", "eyJ.s3cret.sig")]).unwrap();
        let shown = format!("{config:?}");
        assert!(!shown.contains("s3cret"), "{shown}");
    }
}
