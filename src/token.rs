//! `pitlane token`: the embedded default's development issuer (DESIGN §9). The key in
//! the data directory (created by `pitlane up`, mode 0600) signs tokens that platform
//! accepts; whoever can read the data directory could read the events anyway.
//! The other tools (`pitlane audit`, the benchmarks) take a token with `--token` /
//! `PITLANE_TOKEN`, or mint one from the same key when none is given.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use identity::{DevIssuer, IssuerSettings, Role, TokenRequest};

#[derive(Debug, clap::Args)]
pub struct TokenArgs {
    /// planner, dispatcher, driver, auditor, admin, operator (or service).
    #[arg(long)]
    role: Role,
    /// The token's subject: who the audit trail will say acted. Default: `dev-<role>`.
    #[arg(long)]
    subject: Option<String>,
    /// For a driver: the driver id (UUID) whose deliveries the token may act on.
    #[arg(long)]
    driver_id: Option<String>,
    /// The platform's data directory, where its issuer key is.
    #[arg(long, env = "PITLANE_DATA", default_value = "data")]
    data: PathBuf,
    /// How long the token is valid: e.g. `8h`, `30m`, `90s`, `1d`.
    #[arg(long, default_value = "8h", value_parser = parse_ttl)]
    ttl: Duration,
}

impl TokenArgs {
    /// Prints one token on stdout (and nothing else, for `$(pitlane token …)`).
    pub fn run(self) -> anyhow::Result<()> {
        let issuer = issuer(&self.data)?;
        let mut request = TokenRequest::new(
            self.subject
                .unwrap_or_else(|| format!("dev-{}", self.role.as_str())),
            self.role,
        )
        .ttl(self.ttl);
        if let Some(driver) = self.driver_id {
            uuid::Uuid::parse_str(driver.trim()).context("--driver-id must be a UUID")?;
            request = request.driver(driver.trim());
        }
        println!("{}", issuer.mint(&request));
        Ok(())
    }
}

/// The development issuer key of the platform whose data directory is `data`, read from
/// the same settings `pitlane up` reads (`PITLANE_ISSUER_KEY`, else `data/issuer.key`).
fn issuer_key(data: &Path) -> anyhow::Result<PathBuf> {
    key_path(identity::AuthSettings::from_env(data)?)
}

fn key_path(settings: identity::AuthSettings) -> anyhow::Result<PathBuf> {
    match settings.issuer {
        IssuerSettings::Development(key) => Ok(key),
        IssuerSettings::Oidc(..) => anyhow::bail!(
            "AUTH_ISSUER names an identity provider: the platform takes its tokens, not ours"
        ),
    }
}

/// The development issuer of the platform on `data`. Its key must be there already:
/// a key made here would sign tokens no running platform accepts.
pub fn issuer(data: &Path) -> anyhow::Result<DevIssuer> {
    let key = issuer_key(data)?;
    anyhow::ensure!(
        key.is_file(),
        "no development issuer key at {}: run `pitlane up` there first, or pass --data DIR \
         of the running platform (a platform behind an identity provider takes its tokens)",
        key.display()
    );
    DevIssuer::open(&key)
        .with_context(|| format!("cannot open the development issuer key {}", key.display()))
}

/// `token` when given, else one minted from `data`'s development issuer for `role`
/// (when its key is there), else an error saying what to pass.
pub fn resolve(token: Option<&str>, data: &Path, role: Role) -> anyhow::Result<String> {
    if let Some(token) = token.map(str::trim).filter(|t| !t.is_empty()) {
        return Ok(token.to_owned());
    }
    let key = issuer_key(data)?;
    anyhow::ensure!(
        key.is_file(),
        "no token: pass --token (or PITLANE_TOKEN), or --data DIR of an embedded platform \
         (its issuer key {} is missing)",
        key.display()
    );
    let user = std::env::var("USER").unwrap_or_else(|_| "someone".into());
    Ok(issuer(data)?
        .mint(&TokenRequest::new(format!("cli:{user}"), role).ttl(Duration::from_secs(3600))))
}

/// An endpoint for `url`, with TLS for `https://` from `PITLANE_TLS_*` (the CA to trust,
/// and a client certificate when the service asks for one).
pub fn endpoint(url: &str) -> anyhow::Result<tonic::transport::Endpoint> {
    let mut endpoint = tonic::transport::Endpoint::from_shared(url.to_owned())
        .with_context(|| format!("`{url}` is not a URL"))?;
    if let Some(tls) = identity::tls::TlsSettings::from_env()?.client(url)? {
        endpoint = endpoint.tls_config(tls)?;
    }
    Ok(endpoint)
}

fn parse_ttl(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration like 8h, 30m or 90s"))?;
    let seconds = match unit {
        "" | "s" => number,
        "m" => number * 60,
        "h" => number * 3600,
        "d" => number * 86_400,
        _ => return Err(format!("`{text}`: the unit is s, m, h or d")),
    };
    if seconds == 0 || seconds > 30 * 86_400 {
        return Err("a token lives from 1 second to 30 days".into());
    }
    Ok(Duration::from_secs(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifetimes_are_read_with_their_unit_and_bounded() {
        assert_eq!(parse_ttl("8h"), Ok(Duration::from_secs(8 * 3600)));
        assert_eq!(parse_ttl("90"), Ok(Duration::from_secs(90)));
        assert!(parse_ttl("0s").is_err());
        assert!(parse_ttl("1y").is_err());
        assert!(parse_ttl("forever").is_err());
    }

    #[tokio::test]
    async fn a_token_printed_for_a_data_directory_is_accepted_by_its_platform() {
        let dir = tempfile::tempdir().unwrap();
        let auth = identity::Auth::development(dir.path(), "test").unwrap();
        let token = resolve(None, dir.path(), Role::Auditor).unwrap();
        let identity = auth.verifier.verify(&token).await.unwrap();
        assert_eq!(identity.roles, vec![Role::Auditor]);
        let elsewhere = tempfile::tempdir().unwrap();
        assert!(resolve(None, elsewhere.path(), Role::Auditor).is_err());
        assert_eq!(
            resolve(Some("abc"), elsewhere.path(), Role::Auditor).unwrap(),
            "abc"
        );
    }

    #[test]
    fn no_token_is_printed_for_a_data_directory_without_an_issuer_key_and_no_key_is_made() {
        let empty = tempfile::tempdir().unwrap();
        let Err(refused) = issuer(empty.path()) else {
            panic!("a token from no key");
        };
        let refused = refused.to_string();
        assert!(
            refused.contains("run `pitlane up` there first"),
            "{refused}"
        );
        assert!(!empty.path().join("issuer.key").exists());
    }

    #[test]
    fn the_issuer_key_is_where_pitlane_issuer_key_puts_it_as_for_the_platform() {
        let data = Path::new("data");
        let settings = |key: Option<&str>| {
            let lookup = |name: &str| {
                (name == identity::config::ISSUER_KEY.name)
                    .then(|| key.map(str::to_owned))
                    .flatten()
            };
            identity::AuthSettings::from_lookup(lookup, data).unwrap()
        };
        assert_eq!(key_path(settings(None)).unwrap(), data.join("issuer.key"));
        assert_eq!(
            key_path(settings(Some(""))).unwrap(),
            data.join("issuer.key")
        );
        assert_eq!(
            key_path(settings(Some("/run/secrets/issuer.key"))).unwrap(),
            PathBuf::from("/run/secrets/issuer.key")
        );
    }
}
