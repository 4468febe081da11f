//! The web app (ADR 022): the files under `bff/web/`, embedded in the binary and served
//! at `/` and `/app/…`, and the two routes the app needs before it holds a token:
//!
//! - `GET /app/config.json`: how to log in on this BFF — the development login, or the
//!   OIDC issuer and public client to run the authorization code flow with PKCE against;
//! - `POST /app/dev-login`: a token of the development issuer for the role picked. It
//!   exists only when the BFF is its own (development) issuer **and** listens on
//!   loopback: anyone who can reach it may act as anyone, which is what a developer on
//!   their own machine wants and what no shared deployment may offer.
//!
//! Everything else the app does goes through the documented `/api/v1` routes with the
//! bearer token, like any other client.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use identity::{DevIssuer, IssuerSettings, Role, TokenRequest};
use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::extract::{Json, Path};
use crate::problem::ApiError;

/// One embedded file of `bff/web/`.
struct Asset {
    path: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

macro_rules! asset {
    ($path:literal, $content_type:expr) => {
        Asset {
            path: $path,
            content_type: $content_type,
            body: include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/web/", $path)),
        }
    };
}

const JS: &str = "text/javascript; charset=utf-8";

/// Every file of `bff/web/` (a test checks that none is missing from this list).
const ASSETS: &[Asset] = &[
    asset!("index.html", "text/html; charset=utf-8"),
    asset!("app.css", "text/css; charset=utf-8"),
    asset!("favicon.svg", "image/svg+xml"),
    asset!("js/api.js", JS),
    asset!("js/auditor.js", JS),
    asset!("js/customers.js", JS),
    asset!("js/dispatcher.js", JS),
    asset!("js/driver.js", JS),
    asset!("js/login.js", JS),
    asset!("js/main.js", JS),
    asset!("js/operator.js", JS),
    asset!("js/planner.js", JS),
    asset!("js/ui.js", JS),
    asset!("vendor/htm-preact-3.1.1.mjs", JS),
    asset!("vendor/LICENSE-htm", "text/plain; charset=utf-8"),
    asset!("vendor/README.md", "text/markdown; charset=utf-8"),
];

/// How the app logs in, decided once when the BFF starts.
#[derive(Clone)]
pub struct WebLogin {
    config: Arc<LoginConfig>,
    /// The development issuer, only when the development login is offered.
    issuer: Option<Arc<DevIssuer>>,
    csp: HeaderValue,
}

#[derive(Serialize)]
struct LoginConfig {
    /// `development` or `oidc`.
    login: &'static str,
    /// The OIDC issuer (its `/.well-known/openid-configuration` is read by the app).
    #[serde(skip_serializing_if = "Option::is_none")]
    issuer: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_id: Option<String>,
    /// Where the token carries its roles and its driver id (dotted claim paths).
    roles_claim: String,
    driver_claim: String,
}

impl WebLogin {
    /// The development login when `development` is this BFF's issuer and `config.listen`
    /// is a loopback address; the OIDC code flow against the configured issuer otherwise
    /// (a development issuer on a non-loopback address offers no login at all: tokens
    /// come from `pitlane token`).
    pub fn new(config: &Config, development: Option<Arc<DevIssuer>>) -> WebLogin {
        let (login, issuer_url, client_id, roles_claim, driver_claim) = match &config.auth.issuer {
            IssuerSettings::Oidc(oidc, _) => (
                "oidc",
                Some(oidc.issuer.clone()),
                Some(config.web_client_id.clone()),
                oidc.roles_claim.clone(),
                oidc.driver_claim.clone(),
            ),
            IssuerSettings::Development(_) if config.listen.ip().is_loopback() => (
                "development",
                None,
                None,
                "roles".to_owned(),
                "driver_id".to_owned(),
            ),
            IssuerSettings::Development(_) => (
                "none",
                None,
                None,
                "roles".to_owned(),
                "driver_id".to_owned(),
            ),
        };
        let issuer = development.filter(|_| login == "development");
        WebLogin {
            csp: content_security_policy(issuer_url.as_deref()),
            config: Arc::new(LoginConfig {
                login,
                issuer: issuer_url,
                client_id,
                roles_claim,
                driver_claim,
            }),
            issuer,
        }
    }
}

/// Scripts, styles and images only from this origin; API calls to this origin and, for
/// the code flow, to the issuer's; never framed.
fn content_security_policy(issuer: Option<&str>) -> HeaderValue {
    let issuer_origin = issuer
        .and_then(|url| {
            let (scheme, rest) = url.split_once("://")?;
            let host = rest.split('/').next()?;
            Some(format!(" {scheme}://{host}"))
        })
        .unwrap_or_default();
    let policy = format!(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
         connect-src 'self'{issuer_origin}; form-action 'self'{issuer_origin}; \
         frame-ancestors 'none'; base-uri 'none'"
    );
    HeaderValue::from_str(&policy).unwrap_or(HeaderValue::from_static("default-src 'self'"))
}

pub fn routes(login: WebLogin) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/app/config.json", get(login_config))
        .route("/app/dev-login", post(dev_login))
        .route("/app/{*path}", get(asset))
        .with_state(login)
}

async fn index(axum::extract::State(login): axum::extract::State<WebLogin>) -> Response {
    serve(&ASSETS[0], &login)
}

async fn asset(
    axum::extract::State(login): axum::extract::State<WebLogin>,
    Path(path): Path<String>,
) -> Response {
    match ASSETS.iter().find(|asset| asset.path == path) {
        Some(asset) => serve(asset, &login),
        None => ApiError::not_found(format!("no file /app/{path}")).into_response(),
    }
}

/// The files change with the binary only: the browser revalidates (`no-cache`) and
/// gets them again after an upgrade.
fn serve(asset: &Asset, login: &WebLogin) -> Response {
    let mut response = (
        [
            (header::CONTENT_TYPE, asset.content_type),
            (header::CACHE_CONTROL, "no-cache"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        asset.body,
    )
        .into_response();
    if asset.content_type.starts_with("text/html") {
        response
            .headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, login.csp.clone());
        response.headers_mut().insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        );
    }
    response
}

async fn login_config(axum::extract::State(login): axum::extract::State<WebLogin>) -> Response {
    (
        [(header::CACHE_CONTROL, "no-store")],
        axum::Json(login.config.as_ref()),
    )
        .into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DevLogin {
    role: String,
    #[serde(default)]
    subject: Option<String>,
    #[serde(default)]
    driver_id: Option<String>,
}

#[derive(Serialize)]
struct DevToken {
    access_token: String,
    token_type: &'static str,
    expires_in: u64,
}

/// How long a development login lasts: a working day.
const DEV_LOGIN_TTL: Duration = Duration::from_secs(8 * 3600);

async fn dev_login(
    axum::extract::State(login): axum::extract::State<WebLogin>,
    Json(request): Json<DevLogin>,
) -> Result<Response, ApiError> {
    let Some(issuer) = &login.issuer else {
        return Err(ApiError::not_found(
            "this BFF offers no development login: log in with its identity provider",
        ));
    };
    let role = Role::parse(&request.role)
        .filter(|role| *role != Role::Service)
        .ok_or_else(|| {
            ApiError::invalid(
                "role",
                "one of planner, dispatcher, driver, auditor, operator, admin",
            )
        })?;
    let subject = match request.subject.as_deref().map(str::trim) {
        Some("") => return Err(ApiError::invalid("subject", "must not be blank")),
        Some(subject) if subject.chars().count() > 200 => {
            return Err(ApiError::invalid("subject", "at most 200 characters"));
        }
        Some(subject) => subject.to_owned(),
        None => format!("dev-{role}"),
    };
    let mut token = TokenRequest::new(subject, role).ttl(DEV_LOGIN_TTL);
    match (role, request.driver_id.as_deref().map(str::trim)) {
        (Role::Driver, Some(id)) if !id.is_empty() => token = token.driver(id),
        (Role::Driver, _) => {
            return Err(ApiError::invalid(
                "driver_id",
                "a driver logs in as one of the drivers",
            ));
        }
        (_, Some(_)) => {
            return Err(ApiError::invalid(
                "driver_id",
                "only a driver's token names a driver",
            ));
        }
        (_, None) => {}
    }
    let body = DevToken {
        access_token: issuer.mint(&token),
        token_type: "Bearer",
        expires_in: DEV_LOGIN_TTL.as_secs(),
    };
    Ok((
        StatusCode::OK,
        [(header::CACHE_CONTROL, "no-store")],
        axum::Json(body),
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_of_the_web_directory_is_embedded() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("web");
        let mut on_disk = Vec::new();
        let mut dirs = vec![root.clone()];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                } else {
                    let relative = path.strip_prefix(&root).unwrap();
                    on_disk.push(relative.to_string_lossy().replace('\\', "/"));
                }
            }
        }
        on_disk.sort();
        let mut embedded: Vec<String> = ASSETS.iter().map(|a| a.path.to_owned()).collect();
        embedded.sort();
        assert_eq!(embedded, on_disk);
        assert_eq!(ASSETS[0].path, "index.html");
    }

    #[test]
    fn the_page_may_talk_only_to_itself_and_its_identity_provider() {
        let policy = content_security_policy(Some("http://localhost:8081/realms/pitlane"));
        let policy = policy.to_str().unwrap();
        assert!(policy.contains("connect-src 'self' http://localhost:8081;"));
        assert!(policy.contains("script-src 'self';"));
        assert!(policy.contains("frame-ancestors 'none'"));
        let alone = content_security_policy(None);
        assert!(alone.to_str().unwrap().contains("connect-src 'self';"));
    }
}
