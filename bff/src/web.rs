//! The web app (ADR 022): the files under `bff/web/`, embedded in the binary and served
//! at `/` and `/app/…`, and the two routes the app needs before it holds a token:
//!
//! - `GET /app/config.json`: how to log in on this BFF — the development login, or the
//!   OIDC issuer and public client to run the authorization code flow with PKCE against;
//! - `POST /app/dev-login`: a token of the development issuer for the role picked. It
//!   exists only when the BFF is its own (development) issuer **and** listens on
//!   loopback: anyone who can reach it may act as anyone, which is what a developer on
//!   their own machine wants and what no shared deployment may offer. It draws on the
//!   rate limit of its caller's address.
//!
//! Everything else the app does goes through the documented `/api/v1` routes with the
//! bearer token, like any other client.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use identity::{DevIssuer, IssuerSettings, Role, TokenRequest};
use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::extract::{Json, Path};
use crate::problem::{ApiError, ProblemKind};
use crate::rate_limit::{self, Limiter};

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
    /// What a development login must show ([`login_secret`]), with the issuer.
    secret: Option<Arc<str>>,
    csp: HeaderValue,
}

/// The development login's secret, kept beside the issuer's key (`login.secret`, 0600;
/// created on first use): another user of the same machine reaches loopback too, but
/// not the private data directory. `pitlane up` prints the app's link with it
/// (`#login=…`, a fragment, so it never reaches a server or a log), and the app keeps it.
fn login_secret(issuer: &DevIssuer) -> std::io::Result<String> {
    let path = issuer.path().with_file_name("login.secret");
    match std::fs::read_to_string(&path) {
        Ok(secret) if !secret.trim().is_empty() => return Ok(secret.trim().to_owned()),
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    let secret = format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    es_core::files::create_private_file(&path)?;
    std::fs::write(&path, &secret)?;
    Ok(secret)
}

/// Compares in time independent of where the two differ.
fn same_secret(given: &str, expected: &str) -> bool {
    given.len() == expected.len()
        && given
            .bytes()
            .zip(expected.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
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
    pub fn new(config: &Config, development: Option<Arc<DevIssuer>>) -> std::io::Result<WebLogin> {
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
        let secret = match &issuer {
            Some(issuer) => Some(Arc::from(login_secret(issuer)?)),
            None => None,
        };
        Ok(WebLogin {
            secret,
            csp: content_security_policy(issuer_url.as_deref()),
            config: Arc::new(LoginConfig {
                login,
                issuer: issuer_url,
                client_id,
                roles_claim,
                driver_claim,
            }),
            issuer,
        })
    }

    /// The app's address on `rest`, with the development login's secret when it has one.
    pub fn app_url(&self, rest: std::net::SocketAddr) -> String {
        match &self.secret {
            Some(secret) => format!("http://{rest}/#login={secret}"),
            None => format!("http://{rest}/"),
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

/// The app's routes; `limiter` is the API's rate limit, which the development login
/// draws on too: it mints tokens, so a flood of it is limited per address like any
/// request without a token.
pub fn routes(login: WebLogin, limiter: Option<Limiter>) -> Router {
    let mut mint = post(dev_login);
    if let Some(limiter) = limiter {
        mint = mint.layer(middleware::from_fn_with_state(
            limiter,
            rate_limit::middleware,
        ));
    }
    Router::new()
        .route("/", get(index))
        .route("/app/config.json", get(login_config))
        .route("/app/dev-login", mint)
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
    /// The secret of the link `pitlane up` printed.
    #[serde(default)]
    secret: String,
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

/// Whether a request names this machine by a loopback name, from one of its own pages,
/// and came straight from it. A loopback listener is not enough: a site that rebinds its
/// own name to 127.0.0.1 (DNS rebinding) reaches it with its own `Host`, another site's
/// page sends its own `Origin`, and a reverse proxy on this machine (nginx's default
/// `Host $proxy_host`) would hand the login to whoever reaches the proxy. Browsers send
/// `Origin` with every POST, so a request without one is no page's.
fn from_this_machine(headers: &HeaderMap) -> bool {
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
        return false;
    };
    let name = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().map(|inner| format!("[{inner}]")),
        None => host.split(':').next().map(str::to_owned),
    };
    let loopback = matches!(name.as_deref(), Some("localhost" | "127.0.0.1" | "[::1]"));
    let own_page = headers
        .get(header::ORIGIN)
        .is_some_and(|origin| origin.to_str().ok() == Some(&format!("http://{host}")));
    let proxied = PROXY_HEADERS.iter().any(|name| headers.contains_key(*name));
    loopback && own_page && !proxied
}

/// Headers a proxy adds on the way: their presence means the caller is not this machine.
const PROXY_HEADERS: [&str; 6] = [
    "forwarded",
    "x-forwarded-for",
    "x-forwarded-host",
    "x-forwarded-proto",
    "x-real-ip",
    "via",
];

/// How long a development login lasts: a working day.
const DEV_LOGIN_TTL: Duration = Duration::from_secs(8 * 3600);

async fn dev_login(
    axum::extract::State(login): axum::extract::State<WebLogin>,
    headers: HeaderMap,
    Json(request): Json<DevLogin>,
) -> Result<Response, ApiError> {
    let Some(issuer) = &login.issuer else {
        return Err(ApiError::not_found(
            "this BFF offers no development login: log in with its identity provider",
        ));
    };
    if !from_this_machine(&headers) {
        return Err(ApiError::new(
            ProblemKind::Forbidden,
            "the development login answers only pages of http://localhost, 127.0.0.1 or [::1], \
             not through a proxy",
        ));
    }
    if !login
        .secret
        .as_deref()
        .is_some_and(|expected| same_secret(&request.secret, expected))
    {
        return Err(ApiError::new(
            ProblemKind::Forbidden,
            "open the app with the link `pitlane up` printed: it carries this platform's \
             login secret (login.secret in its data directory)",
        )
        .with_reason("login_secret"));
    }
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
    use axum::body::Body;
    use axum::http::{Method, Request};
    use tower::ServiceExt;

    use super::*;
    use crate::state::AppState;
    use crate::testing::{As, call_as};

    const DEAD: &str = "http://127.0.0.1:9";

    /// The BFF as `pitlane up` builds it: its own development issuer (a key in a fresh
    /// directory), listening on `listen`.
    /// The development login's secret of the BFFs these tests build.
    const SECRET: &str = "a-test-login-secret";

    async fn bff(listen: &str, dir: &std::path::Path) -> (Router, AppState) {
        std::fs::write(dir.join("login.secret"), SECRET).unwrap();
        let mut config = Config::local(DEAD.into(), DEAD.into());
        config.listen = listen.parse().unwrap();
        config.auth = identity::AuthSettings::development(dir);
        let state = crate::startup::build(config).await.unwrap().into_state();
        (crate::router::router(state.clone()), state)
    }

    /// The BFF trusting an external issuer, as in the compose file.
    async fn behind_an_identity_provider() -> Router {
        let config = Config::from_lookup(|name| match name {
            "PITLANE_BFF_ADDR" => Some("127.0.0.1:0".into()),
            "AUTH_ISSUER" => Some("http://localhost:8081/realms/pitlane".into()),
            "AUTH_JWKS_URL" => Some("http://127.0.0.1:9/certs".into()),
            "AUTH_ROLES_CLAIM" => Some("realm_access.roles".into()),
            _ => None,
        })
        .unwrap();
        let state = crate::startup::build(config).await.unwrap().into_state();
        crate::router::router(state)
    }

    async fn raw(router: &Router, path: &str) -> (StatusCode, axum::http::HeaderMap, String) {
        let request = Request::builder().uri(path).body(Body::empty()).unwrap();
        let response = router.clone().oneshot(request).await.unwrap();
        let (status, headers) = (response.status(), response.headers().clone());
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap();
        (
            status,
            headers,
            String::from_utf8_lossy(&bytes).into_owned(),
        )
    }

    /// `body` with the login secret, as the app sends it.
    fn with_secret(body: &str) -> String {
        let mut body: serde_json::Value = serde_json::from_str(body).unwrap();
        body["secret"] = SECRET.into();
        body.to_string()
    }

    /// As the app's own page on `http://127.0.0.1:8080` sends it, with the secret.
    async fn dev_login(router: &Router, body: &str) -> crate::testing::TestResponse {
        let body = with_secret(body);
        let page = [
            ("host", "127.0.0.1:8080"),
            ("origin", "http://127.0.0.1:8080"),
        ];
        call_as(
            router,
            As::Anonymous,
            Method::POST,
            "/app/dev-login",
            Some(&body),
            &page,
        )
        .await
    }

    #[tokio::test]
    async fn the_app_is_served_at_the_root_with_a_policy_that_admits_only_its_own_scripts() {
        let dir = tempfile::tempdir().unwrap();
        let (router, _) = bff("127.0.0.1:0", dir.path()).await;
        let (status, headers, page) = raw(&router, "/").await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            headers[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        let policy = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
        assert!(policy.contains("script-src 'self';"), "{policy}");
        assert!(page.contains("src=\"/app/js/main.js\""), "{page}");

        let (status, headers, script) = raw(&router, "/app/js/main.js").await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            headers[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("text/javascript")
        );
        assert!(script.contains("htm-preact-3.1.1.mjs"));
        let (status, _, missing) = raw(&router, "/app/js/nothing.js").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(missing.contains("/problems/not-found"), "{missing}");
    }

    #[tokio::test]
    async fn the_development_login_mints_a_token_the_api_verifies_for_the_role_picked() {
        let dir = tempfile::tempdir().unwrap();
        let (router, state) = bff("127.0.0.1:0", dir.path()).await;
        let (_, _, config) = raw(&router, "/app/config.json").await;
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&config).unwrap(),
            serde_json::json!({ "login": "development", "roles_claim": "roles", "driver_claim": "driver_id" })
        );

        let planner = dev_login(&router, r#"{"role":"planner"}"#).await;
        assert_eq!(planner.status, StatusCode::OK, "{:?}", planner.body);
        let token = planner.body["access_token"].as_str().unwrap();
        let identity = state.verifier.verify(token).await.unwrap();
        assert_eq!(
            (identity.subject.as_str(), identity.roles.as_slice()),
            ("dev-planner", &[Role::Planner][..])
        );

        let driver = dev_login(
            &router,
            r#"{"role":"driver","driver_id":"d-7","subject":"grace"}"#,
        )
        .await;
        let identity = state
            .verifier
            .verify(driver.body["access_token"].as_str().unwrap())
            .await
            .unwrap();
        assert_eq!(identity.subject, "grace");
        assert_eq!(identity.driver_id.as_deref(), Some("d-7"));
    }

    #[tokio::test]
    async fn the_development_login_needs_the_secret_of_the_link_pitlane_up_prints() {
        let dir = tempfile::tempdir().unwrap();
        let (router, _) = bff("127.0.0.1:0", dir.path()).await;
        let page = [
            ("host", "127.0.0.1:8080"),
            ("origin", "http://127.0.0.1:8080"),
        ];
        for body in [
            r#"{"role":"admin"}"#.to_owned(),
            r#"{"role":"admin","secret":""}"#.to_owned(),
            format!(
                r#"{{"role":"admin","secret":"{}x"}}"#,
                &SECRET[..SECRET.len() - 1]
            ),
        ] {
            let refused = call_as(
                &router,
                As::Anonymous,
                Method::POST,
                "/app/dev-login",
                Some(&body),
                &page,
            )
            .await;
            assert_eq!(refused.status, StatusCode::FORBIDDEN, "{body}");
            assert_eq!(refused.body["reason"], "login_secret", "{body}");
            assert!(refused.body.get("access_token").is_none());
        }
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn the_login_secret_is_made_once_beside_the_issuer_key_readable_by_its_owner_alone() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let build = || async {
            let mut config = Config::local(DEAD.into(), DEAD.into());
            config.listen = "127.0.0.1:0".parse().unwrap();
            config.auth = identity::AuthSettings::development(dir.path());
            crate::startup::build(config).await.unwrap().into_state()
        };
        let first = build().await;
        let path = dir.path().join("login.secret");
        let secret = std::fs::read_to_string(&path).unwrap();
        assert!(secret.len() >= 64, "{secret}");
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let rest: std::net::SocketAddr = "127.0.0.1:8080".parse().unwrap();
        assert_eq!(
            first.web.app_url(rest),
            format!("http://127.0.0.1:8080/#login={secret}")
        );
        let again = build().await;
        assert_eq!(again.web.app_url(rest), first.web.app_url(rest), "kept");
    }

    #[tokio::test]
    async fn the_development_login_refuses_the_service_role_and_a_driver_without_a_driver() {
        let dir = tempfile::tempdir().unwrap();
        let (router, _) = bff("127.0.0.1:0", dir.path()).await;
        for (body, field) in [
            (r#"{"role":"service"}"#, "role"),
            (r#"{"role":"root"}"#, "role"),
            (r#"{"role":"driver"}"#, "driver_id"),
            (r#"{"role":"driver","driver_id":" "}"#, "driver_id"),
            (r#"{"role":"planner","driver_id":"d-1"}"#, "driver_id"),
            (r#"{"role":"planner","subject":"  "}"#, "subject"),
        ] {
            let refused = dev_login(&router, body).await;
            assert_eq!(
                refused.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{body}: {:?}",
                refused.body
            );
            assert_eq!(refused.field(), Some(field), "{body}");
            assert!(refused.body.get("access_token").is_none());
        }
    }

    #[tokio::test]
    async fn the_development_login_answers_only_pages_of_this_machine_by_a_loopback_name() {
        let dir = tempfile::tempdir().unwrap();
        let (router, _) = bff("127.0.0.1:0", dir.path()).await;
        let admin = with_secret(r#"{"role":"admin"}"#);
        let body = Some(admin.as_str());
        let proxied = |name| {
            let mut headers = vec![("host", "127.0.0.1:8080")];
            headers.push(("origin", "http://127.0.0.1:8080"));
            headers.push((name, "203.0.113.7"));
            headers
        };
        for (host, origin, admitted) in [
            ("127.0.0.1:8080", Some("http://127.0.0.1:8080"), true),
            ("localhost:8080", Some("http://localhost:8080"), true),
            ("[::1]:8080", Some("http://[::1]:8080"), true),
            // No page's: curl through a proxy that sets `Host` to the upstream's.
            ("127.0.0.1:8080", None, false),
            // A site that rebinds its own name to 127.0.0.1.
            (
                "rebound.example:8080",
                Some("http://rebound.example:8080"),
                false,
            ),
            // Another site's page posting to the loopback BFF.
            ("127.0.0.1:8080", Some("https://evil.example"), false),
            ("127.0.0.1.evil.example", None, false),
        ] {
            let mut headers = vec![("host", host)];
            headers.extend(origin.map(|o| ("origin", o)));
            let answer = call_as(
                &router,
                As::Anonymous,
                Method::POST,
                "/app/dev-login",
                body,
                &headers,
            )
            .await;
            assert_eq!(
                answer.status == StatusCode::OK,
                admitted,
                "{host} {origin:?}: {:?}",
                answer.body
            );
            assert_eq!(answer.body.get("access_token").is_some(), admitted);
        }
        // A reverse proxy on this machine passing a page's own headers along.
        for name in PROXY_HEADERS {
            let answer = call_as(
                &router,
                As::Anonymous,
                Method::POST,
                "/app/dev-login",
                body,
                &proxied(name),
            )
            .await;
            assert_eq!(answer.status, StatusCode::FORBIDDEN, "through {name}");
        }
    }

    #[tokio::test]
    async fn a_bff_beyond_loopback_or_behind_an_identity_provider_offers_no_development_login() {
        let dir = tempfile::tempdir().unwrap();
        let (exposed, _) = bff("0.0.0.0:0", dir.path()).await;
        let (_, _, config) = raw(&exposed, "/app/config.json").await;
        assert!(config.contains(r#""login":"none""#), "{config}");
        let refused = dev_login(&exposed, r#"{"role":"admin"}"#).await;
        assert_eq!(refused.status, StatusCode::NOT_FOUND);
        assert!(refused.body.get("access_token").is_none());

        let production = behind_an_identity_provider().await;
        let (_, _, config) = raw(&production, "/app/config.json").await;
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&config).unwrap(),
            serde_json::json!({
                "login": "oidc",
                "issuer": "http://localhost:8081/realms/pitlane",
                "client_id": "pitlane-web",
                "roles_claim": "realm_access.roles",
                "driver_claim": "driver_id",
            })
        );
        let refused = dev_login(&production, r#"{"role":"admin"}"#).await;
        assert_eq!(refused.status, StatusCode::NOT_FOUND);
        let (_, headers, _) = raw(&production, "/").await;
        let policy = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
        assert!(
            policy.contains("connect-src 'self' http://localhost:8081;"),
            "{policy}"
        );
    }

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
