//! The production shape's login: the web app runs the OIDC authorization code flow with
//! PKCE against the identity provider the platform trusts. Keycloak cannot run here,
//! so the test serves the protocol itself — discovery, an authorization endpoint that
//! logs the user in at once, a token endpoint that checks the PKCE verifier against
//! the challenge, the JWKS and the logout endpoint — and the platform trusts it as it
//! trusts Keycloak in the compose file (roles in `realm_access.roles`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use identity::testing::SigningKey;
use jsonwebtoken::Algorithm;
use jsonwebtoken::jwk::JwkSet;
use pitlane::platform::{Platform, PlatformConfig};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::harness::Browser;

const CLIENT_ID: &str = "pitlane-web";

/// An identity provider speaking just enough OIDC for a public client with PKCE.
#[derive(Clone)]
struct Provider {
    issuer: String,
    key: Arc<SigningKey>,
    /// Authorization codes handed out: code → (challenge, redirect URI).
    codes: Arc<Mutex<HashMap<String, (String, String)>>>,
    /// Refresh tokens handed out and not used yet.
    refresh_tokens: Arc<Mutex<Vec<String>>>,
    /// What the token endpoint decided, in order: `issued`, `refreshed` or why it refused.
    exchanges: Arc<Mutex<Vec<String>>>,
    logouts: Arc<Mutex<u32>>,
}

impl Provider {
    async fn start() -> Provider {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let provider = Provider {
            issuer: format!("http://{}", listener.local_addr().unwrap()),
            key: Arc::new(SigningKey::generate("oidc-1", Algorithm::RS256)),
            codes: Arc::default(),
            refresh_tokens: Arc::default(),
            exchanges: Arc::default(),
            logouts: Arc::default(),
        };
        let app = Router::new()
            .route("/.well-known/openid-configuration", get(discovery))
            .route("/auth", get(authorize))
            .route("/token", post(token))
            .route("/certs", get(certs))
            .route("/logout", get(logout))
            .with_state(provider.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        provider
    }

    /// A token response for the planner: an access token that lives 8 seconds (so
    /// the app must refresh it during the test), an ID token and a refresh token.
    fn tokens(&self) -> Value {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let refresh = uuid::Uuid::new_v4().to_string();
        self.refresh_tokens.lock().unwrap().push(refresh.clone());
        json!({
            "access_token": self.sign(
                "5f0c2a0e-planner-uuid",
                &["planner", "offline_access"],
                json!({ "preferred_username": "maria.planner", "exp": now + 8 }),
            ),
            "token_type": "Bearer",
            "expires_in": 8,
            "refresh_token": refresh,
            "id_token": self.sign("5f0c2a0e-planner-uuid", &[], json!({ "aud": CLIENT_ID })),
        })
    }

    fn sign(&self, subject: &str, roles: &[&str], extra: Value) -> String {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let mut claims = json!({
            "iss": self.issuer, "aud": "pitlane", "sub": subject, "iat": now, "nbf": now,
            "exp": now + 3600, "realm_access": { "roles": roles },
        });
        claims
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().cloned().unwrap_or_default());
        self.key.sign(&claims)
    }
}

/// The browser calls discovery and the token endpoint from the app's origin.
fn cors(body: impl IntoResponse) -> Response {
    let mut response = body.into_response();
    response.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    response
}

async fn discovery(State(p): State<Provider>) -> Response {
    cors(axum::Json(json!({
        "issuer": p.issuer,
        "authorization_endpoint": format!("{}/auth", p.issuer),
        "token_endpoint": format!("{}/token", p.issuer),
        "jwks_uri": format!("{}/certs", p.issuer),
        "end_session_endpoint": format!("{}/logout", p.issuer),
        "code_challenge_methods_supported": ["S256"],
    })))
}

/// Logs the user in at once (a real provider shows its login form here).
async fn authorize(
    State(p): State<Provider>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let ok = q.get("response_type").map(String::as_str) == Some("code")
        && q.get("client_id").map(String::as_str) == Some(CLIENT_ID)
        && q.get("code_challenge_method").map(String::as_str) == Some("S256")
        && q.contains_key("code_challenge")
        && q.contains_key("state");
    if !ok {
        return (
            StatusCode::BAD_REQUEST,
            format!("not a PKCE code request: {q:?}"),
        )
            .into_response();
    }
    let code = uuid::Uuid::new_v4().to_string();
    let redirect = q["redirect_uri"].clone();
    p.codes.lock().unwrap().insert(
        code.clone(),
        (q["code_challenge"].clone(), redirect.clone()),
    );
    let back = format!("{redirect}?code={code}&state={}", urlencode(&q["state"]));
    Redirect::to(&back).into_response()
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn token(State(p): State<Provider>, Form(form): Form<HashMap<String, String>>) -> Response {
    let refuse = |why: &str| {
        p.exchanges.lock().unwrap().push(why.to_owned());
        cors((
            StatusCode::BAD_REQUEST,
            axum::Json(json!({ "error": "invalid_grant", "error_description": why })),
        ))
    };
    if form.get("client_id").map(String::as_str) != Some(CLIENT_ID) {
        return refuse("not the web client");
    }
    if form.get("grant_type").map(String::as_str) == Some("refresh_token") {
        let offered = form.get("refresh_token").cloned().unwrap_or_default();
        let mut known = p.refresh_tokens.lock().unwrap();
        let Some(index) = known.iter().position(|t| *t == offered) else {
            drop(known);
            return refuse("unknown or used refresh token");
        };
        known.remove(index);
        drop(known);
        p.exchanges.lock().unwrap().push("refreshed".into());
        return cors(axum::Json(p.tokens()));
    }
    if form.get("grant_type").map(String::as_str) != Some("authorization_code") {
        return refuse("not an authorization code grant");
    }
    let Some((challenge, redirect)) = form
        .get("code")
        .and_then(|code| p.codes.lock().unwrap().remove(code))
    else {
        return refuse("unknown or used code");
    };
    let verifier = form.get("code_verifier").cloned().unwrap_or_default();
    if URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) != challenge {
        return refuse("the code verifier does not match the challenge");
    }
    if form.get("redirect_uri") != Some(&redirect) {
        return refuse("another redirect URI");
    }
    p.exchanges.lock().unwrap().push("issued".into());
    cors(axum::Json(p.tokens()))
}

async fn certs(State(p): State<Provider>) -> Response {
    cors(axum::Json(JwkSet {
        keys: vec![p.key.jwk.clone()],
    }))
}

async fn logout(State(p): State<Provider>, Query(q): Query<HashMap<String, String>>) -> Response {
    *p.logouts.lock().unwrap() += 1;
    match q.get("post_logout_redirect_uri") {
        Some(back) => Redirect::to(back).into_response(),
        None => "logged out".into_response(),
    }
}

/// The access token the app holds now.
async fn session_token(browser: &Browser) -> String {
    let token = browser
        .client
        .execute(
            "return JSON.parse(sessionStorage.getItem('pitlane.session')).token;",
            vec![],
        )
        .await
        .unwrap();
    token.as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn behind_an_identity_provider_the_app_logs_in_with_the_code_flow_and_pkce_and_acts_with_its_token()
 {
    let provider = Provider::start().await;
    let data = tempfile::tempdir().unwrap();
    let mut config = PlatformConfig::ephemeral(data.path().join("data"));
    let mut trusted = identity::AuthConfig::new(provider.issuer.clone(), "pitlane");
    trusted.roles_claim = "realm_access.roles".into();
    config.bff.auth = identity::AuthSettings {
        issuer: identity::IssuerSettings::Oidc(
            trusted,
            identity::keys::JwksSource::Url(format!("{}/certs", provider.issuer)),
        ),
        // The query service follows the log as itself, as with client credentials.
        service: identity::config::ServiceCredentials::Static(provider.sign(
            "query-service",
            &["service"],
            json!({}),
        )),
    };
    let platform = Platform::start(config).await.expect("the platform starts");
    let base = format!("http://{}", platform.rest_addr);
    let Some(browser) = Browser::open("oidc", &base, 1280, 800).await else {
        return;
    };

    browser.client.goto(&format!("{base}/")).await.unwrap();
    browser
        .wait_text("main .card", provider.issuer.as_str())
        .await;
    browser.screenshot("login").await;
    browser.press("main .card", "Log in").await;

    // Back from the provider: the code exchanged, the planner's screens shown.
    let who = browser.wait_text("header.top .who", "maria.planner").await;
    assert!(who.contains("planner"), "{who}");
    assert_eq!(provider.exchanges.lock().unwrap()[0], "issued");
    let url = browser.client.current_url().await.unwrap();
    assert_eq!(
        url.query(),
        None,
        "the code is gone from the address bar: {url}"
    );
    browser.open_screen("customers").await;
    browser.wait_text("main", "No customers yet").await;

    // A write with that token: the actor is the provider's subject.
    browser.press("main .toolbar", "Register a customer").await;
    browser.fill("input[name=name]", "Olga Petrova").await;
    browser
        .fill("input[name=telephone]", "+31 20 555 0190")
        .await;
    browser.fill("input[name=email]", "olga@example.com").await;
    browser.press("form.grid-form", "Register").await;
    browser.wait_text("main .rows", "Olga Petrova").await;
    let history = platform
        .store
        .read_all(0, 100)
        .await
        .expect("the log reads");
    let registered = history
        .iter()
        .find(|e| e.event_type == "customer.registered.v1")
        .expect("registered");
    assert_eq!(registered.actor.subject, "5f0c2a0e-planner-uuid");
    assert_eq!(registered.actor.role, "planner");

    // The access token lives 8 seconds: the app renews it with the refresh token
    // before it expires, and goes on with the new one.
    let refreshes = || {
        provider
            .exchanges
            .lock()
            .unwrap()
            .iter()
            .filter(|e| *e == "refreshed")
            .count()
    };
    let (first, before) = (session_token(&browser).await, refreshes());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while refreshes() == before {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the token was refreshed"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_ne!(
        session_token(&browser).await,
        first,
        "the app holds the new token"
    );
    browser.fill("#customer-search", "Olga").await;
    browser.press("main .toolbar", "Search").await;
    browser.wait_text("main .rows", "Olga Petrova").await;

    // Logging out ends the provider's session too, and comes back to the login.
    browser.press("header.top", "Log out").await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while *provider.logouts.lock().unwrap() == 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the provider's session was ended"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    browser.wait_text("main .card", "Log in").await;
}
