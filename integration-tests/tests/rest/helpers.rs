//! `spawn_platform()`: the whole platform as `cargo run` starts it (command, query and
//! BFF services over loopback, embedded stores in a temp dir), on port 0, and a small
//! REST client for it.

use std::time::Duration;

use identity::{Role, TokenRequest};
use pitlane::platform::{Platform, PlatformConfig};
use reqwest::{Method, StatusCode, header::HeaderMap};
use serde_json::{Value, json};

pub struct TestPlatform {
    pub platform: Platform,
    pub rest: Rest,
    _dir: tempfile::TempDir,
}

impl std::ops::Deref for TestPlatform {
    type Target = Rest;

    fn deref(&self) -> &Rest {
        &self.rest
    }
}

/// A small REST client for one BFF, sending one bearer token (or none).
#[derive(Clone)]
pub struct Rest {
    pub base: String,
    pub http: reqwest::Client,
    /// `Authorization: Bearer …` on every request, when set.
    pub token: Option<String>,
}

impl Rest {
    /// A client without credentials.
    pub fn new(base: String) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("http client");
        Rest {
            base,
            http,
            token: None,
        }
    }

    /// The same BFF, called with `token`.
    pub fn with_token(&self, token: impl Into<String>) -> Rest {
        Rest {
            token: Some(token.into()),
            ..self.clone()
        }
    }

    /// The same BFF, called without credentials.
    pub fn anonymous(&self) -> Rest {
        Rest {
            token: None,
            ..self.clone()
        }
    }
}

/// A token of `platform`'s issuer for `subject` holding `roles`.
pub fn token_for(platform: &Platform, subject: &str, roles: &[Role]) -> String {
    let mut request = TokenRequest::new(subject, Role::Admin);
    request.roles = roles.to_vec();
    platform
        .token(&request)
        .expect("the development issuer mints")
}

/// The roles of the test's default caller, `tester`: every person's role but the
/// driver's, so each request acts under the first role its route admits.
pub const STAFF: [Role; 4] = [Role::Planner, Role::Dispatcher, Role::Auditor, Role::Admin];

pub async fn spawn_platform() -> TestPlatform {
    spawn_platform_with(|_| {}).await
}

/// A platform whose BFF configuration `adjust` may change (rate limit, timeouts…).
pub async fn spawn_platform_with(adjust: impl FnOnce(&mut bff::Config)) -> TestPlatform {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = PlatformConfig::ephemeral(dir.path().join("data"));
    adjust(&mut config.bff);
    let platform = Platform::start(config).await.expect("the platform starts");
    let rest = Rest::new(format!("http://{}", platform.rest_addr))
        .with_token(token_for(&platform, "tester", &STAFF));
    TestPlatform {
        platform,
        rest,
        _dir: dir,
    }
}

impl TestPlatform {
    /// The platform's data directory (its stores and its issuer's key).
    pub fn data_dir(&self) -> std::path::PathBuf {
        self._dir.path().join("data")
    }
}

#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
    /// The body as sent, JSON or not.
    pub text: String,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn token(&self) -> String {
        self.header("x-consistency-token")
            .expect("a command answers its consistency token")
            .to_owned()
    }

    pub fn problem_type(&self) -> &str {
        self.body["type"].as_str().unwrap_or("")
    }

    /// Panics with the problem when the status is not the expected one.
    #[track_caller]
    pub fn expect(self, status: u16) -> Self {
        assert_eq!(self.status.as_u16(), status, "{:#}", self.body);
        self
    }
}

impl Rest {
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Answer {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("the BFF answers");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.expect("a body");
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Answer {
            status,
            headers,
            body,
            text: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    pub async fn post(&self, path: &str, body: Value) -> Answer {
        self.send(Method::POST, path, Some(body), &[]).await
    }

    pub async fn put(&self, path: &str, body: Value) -> Answer {
        self.send(Method::PUT, path, Some(body), &[]).await
    }

    /// A GET that reads the write behind `token`.
    pub async fn get_after(&self, path: &str, token: &str) -> Answer {
        self.send(Method::GET, path, None, &[("x-consistency-token", token)])
            .await
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.send(Method::GET, path, None, &[]).await
    }
}

/// A customer with a car, registered through REST; returns (customer id, license).
pub async fn customer_with_car(app: &Rest, license: &str) -> (String, String) {
    let customer = app
        .post(
            "/api/v1/customers",
            json!({"name": "Ada Lovelace", "address": "12 St James's Square", "postal_code": "SW1Y 4JH",
                   "city": "London", "telephone": "+44 20 7946 0000", "email": "ada@example.com"}),
        )
        .await
        .expect(201);
    let customer_id = customer.body["id"].as_str().unwrap().to_owned();
    app.post(
        "/api/v1/vehicles",
        json!({"license_number": license, "brand": "Tesla", "model": "Model 3",
               "owner_customer_id": customer_id, "usage": "customer"}),
    )
    .await
    .expect(201);
    (customer_id, license.to_uppercase())
}

/// A driver and a fleet van; returns (driver id, van license).
pub async fn driver_and_van(app: &Rest, license: &str) -> (String, String) {
    let driver = app
        .post(
            "/api/v1/drivers",
            json!({"name": "Grace Hopper", "driving_licence_number": "HOPPE712345GH9"}),
        )
        .await
        .expect(201);
    app.post(
        "/api/v1/vehicles",
        json!({"license_number": license, "brand": "Mercedes", "model": "eSprinter", "usage": "fleet"}),
    )
    .await
    .expect(201);
    (
        driver.body["id"].as_str().unwrap().to_owned(),
        license.to_uppercase(),
    )
}

/// An active route with two checkpoints from `start` (RFC 3339, hours later).
pub async fn active_route(app: &Rest, day: &str, start_hour: u32) -> String {
    let at = |hour: u32| format!("{day}T{hour:02}:00:00Z");
    let route = app
        .post(
            "/api/v1/routes",
            json!({"origin": "Depot North", "destination": "Harbour", "scheduled_start": at(start_hour)}),
        )
        .await
        .expect(201);
    let id = route.body["id"].as_str().unwrap().to_owned();
    for (sequence, location, hour) in [
        (1, "Market Square", start_hour + 1),
        (2, "Harbour", start_hour + 2),
    ] {
        app.post(
            &format!("/api/v1/routes/{id}/checkpoints"),
            json!({"sequence": sequence, "location": location, "expected_at": at(hour)}),
        )
        .await
        .expect(200);
    }
    app.post(&format!("/api/v1/routes/{id}/activate"), json!({}))
        .await
        .expect(200);
    id
}
