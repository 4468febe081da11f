//! DESIGN §8 conventions, end to end: correlation ids into the event log, ETag and
//! If-Match, idempotency keys, read-your-writes, OpenAPI and Swagger UI, health, rate
//! limit, body limit, CORS, and an upstream outage answered 503 instead of a hang.

use reqwest::Method;
use serde_json::{Value, json};

use identity::Role;

use crate::helpers::{spawn_platform, spawn_platform_with, token_for};

fn ada() -> Value {
    json!({"name": "Ada Lovelace", "telephone": "+44 20 7946 0000", "email": "ada@example.com"})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_correlation_id_is_echoed_and_lands_in_the_event_envelope() {
    let app = spawn_platform().await;
    let answer = app
        .send(
            Method::POST,
            "/api/v1/customers",
            Some(ada()),
            &[("x-correlation-id", "corr-rest-1")],
        )
        .await
        .expect(201);
    assert_eq!(answer.header("x-correlation-id"), Some("corr-rest-1"));
    let events = app.platform.store.read_all(0, 10).await.unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].correlation_id, "corr-rest-1");

    let minted = app.get("/api/v1/customers").await.expect(200);
    assert!(
        minted
            .header("x-correlation-id")
            .is_some_and(|id| !id.is_empty())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn if_match_with_a_stale_etag_is_a_412_and_changes_nothing() {
    let app = spawn_platform().await;
    let created = app.post("/api/v1/customers", ada()).await.expect(201);
    let id = created.body["id"].as_str().unwrap().to_owned();
    let read = app
        .get_after(&format!("/api/v1/customers/{id}"), &created.token())
        .await
        .expect(200);
    let etag = read.header("etag").unwrap().to_owned();
    assert_eq!(etag, "\"1\"");
    let contact =
        json!({"name": "Ada King", "telephone": "+44 20 7946 0001", "email": "ada@example.com"});

    let updated = app
        .send(
            Method::PUT,
            &format!("/api/v1/customers/{id}/contact"),
            Some(contact.clone()),
            &[("if-match", &etag)],
        )
        .await
        .expect(200);
    assert_eq!(updated.header("etag"), Some("\"2\""));
    let stale = app
        .send(
            Method::PUT,
            &format!("/api/v1/customers/{id}/contact"),
            Some(contact),
            &[("if-match", &etag)],
        )
        .await
        .expect(412);
    assert_eq!(stale.problem_type(), "/problems/version-mismatch");
    assert_eq!(app.platform.store.read_all(0, 10).await.unwrap().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_post_retried_with_its_idempotency_key_returns_the_first_answer_and_appends_once() {
    let app = spawn_platform().await;
    let mut body = ada();
    body["customer_id"] = json!(uuid::Uuid::now_v7().to_string());
    let key = [("idempotency-key", "register-ada-1")];
    let first = app
        .send(Method::POST, "/api/v1/customers", Some(body.clone()), &key)
        .await
        .expect(201);
    let again = app
        .send(Method::POST, "/api/v1/customers", Some(body.clone()), &key)
        .await
        .expect(201);
    assert_eq!(first.body, again.body);
    assert_eq!(app.platform.store.read_all(0, 10).await.unwrap().len(), 1);

    body["name"] = json!("Somebody Else");
    let reused = app
        .send(Method::POST, "/api/v1/customers", Some(body), &key)
        .await
        .expect(422);
    assert_eq!(reused.body["field"], "idempotency_key");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_get_with_the_commands_token_reads_the_write_by_header_or_query() {
    let app = spawn_platform().await;
    let created = app.post("/api/v1/customers", ada()).await.expect(201);
    let id = created.body["id"].as_str().unwrap();
    assert_eq!(created.body["consistency_token"], created.token().as_str());
    app.get_after(&format!("/api/v1/customers/{id}"), &created.token())
        .await
        .expect(200);
    let by_query = app
        .get(&format!("/api/v1/customers?after={}", created.token()))
        .await
        .expect(200);
    assert_eq!(by_query.body["page"]["total"], 1);

    let malformed = app
        .get("/api/v1/customers?after=yesterday")
        .await
        .expect(400);
    assert_eq!(malformed.body["field"], "after");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_no_write_has_reached_is_refused_at_once_not_after_the_wait() {
    let app = spawn_platform().await;
    let created = app.post("/api/v1/customers", ada()).await.expect(201);
    let id = created.body["id"].as_str().unwrap();
    let beyond = format!("customer-{id}:1:9999");
    let started = std::time::Instant::now();

    let refused = app
        .get_after(&format!("/api/v1/customers/{id}"), &beyond)
        .await
        .expect(422);

    assert_eq!(
        refused.body["field"], "X-Consistency-Token",
        "{}",
        refused.body
    );
    assert!(
        refused.body["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("beyond the log's head"),
        "{}",
        refused.body
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(2),
        "at once, not after the 5 s wait"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_and_swagger_ui_are_served() {
    let app = spawn_platform().await;
    let document = app.get("/api/openapi.json").await.expect(200);
    assert_eq!(document.body["openapi"], "3.1.0");
    let paths = document.body["paths"].as_object().unwrap();
    for path in [
        "/api/v1/customers",
        "/api/v1/vehicles",
        "/api/v1/drivers/{driver_id}/suspend",
        "/api/v1/workshop/plannings/{date}/jobs",
        "/api/v1/routes/{route_id}/checkpoints",
        "/api/v1/deliveries/{delivery_id}/driver",
        "/api/v1/views/deliveries/{delivery_id}/summary",
        "/health/ready",
    ] {
        assert!(paths.contains_key(path), "{path} is documented");
    }
    let docs = app
        .http
        .get(format!("{}/docs", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(docs.status(), 200);
    assert!(docs.text().await.unwrap().contains("swagger-ui"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn swagger_ui_loads_with_every_asset_at_docs_and_at_docs_with_a_slash() {
    let app = spawn_platform().await;
    for path in ["/docs", "/docs/"] {
        let page = app
            .http
            .get(format!("{}{path}", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 200, "{path}");
        let html = page.text().await.unwrap();
        let assets: Vec<&str> = html
            .split(['"', '\''])
            .filter(|part| part.starts_with("/docs/") && part.contains('.'))
            .collect();
        assert!(assets.len() >= 2, "{path}: {html}");
        for asset in assets {
            let loaded = app
                .http
                .get(format!("{}{asset}", app.base))
                .send()
                .await
                .unwrap();
            assert_eq!(loaded.status(), 200, "{path} links {asset}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_problems_type_resolves_to_a_page_describing_it() {
    let app = spawn_platform().await;
    let refused = app
        .post("/api/v1/customers", json!({"name": ""}))
        .await
        .expect(422);
    let kind = refused.body["type"].as_str().unwrap().to_owned();
    assert_eq!(kind, "/problems/invalid-field");
    for kind in [
        kind.as_str(),
        "/problems/schedule-conflict",
        "/problems/rate-limited",
    ] {
        let page = app
            .http
            .get(format!("{}{kind}", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 200, "{kind}");
        assert!(
            page.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html"),
            "{kind}"
        );
        let text = page.text().await.unwrap();
        assert!(text.contains(&format!("<code>{kind}</code>")), "{text}");
    }
    let unknown = app.get("/problems/no-such-problem").await.expect(404);
    assert_eq!(unknown.body["type"], "/problems/not-found");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ready_reports_both_upstreams_the_event_store_and_the_projections() {
    let app = spawn_platform().await;
    app.get("/health/live").await.expect(200);
    let mut ready = app.get("/health/ready").await.expect(200);
    // The projections report serving once subscribed (their health is polled).
    for _ in 0..50 {
        let projections_up = ready.body["dependencies"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["name"] == "projections" && d["status"] == "up");
        if projections_up {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        ready = app.get("/health/ready").await.expect(200);
    }
    let names: Vec<_> = ready.body["dependencies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["name"].as_str().unwrap(), d["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        names,
        [
            ("command", "up"),
            ("query", "up"),
            ("event_store", "up"),
            ("projections", "up")
        ],
        "no relay and no Redis in the embedded platform"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_over_the_rate_limit_gets_429_with_retry_after() {
    let app = spawn_platform_with(|bff| {
        bff.rate_limit = Some(bff::config::RateLimit {
            requests: 5,
            per: std::time::Duration::from_secs(10),
        });
    })
    .await;
    for _ in 0..5 {
        app.get("/api/v1/customers").await.expect(200);
    }
    let limited = app.get("/api/v1/customers").await.expect(429);
    assert_eq!(limited.problem_type(), "/problems/rate-limited");
    assert!(limited.header("retry-after").is_some());
    // The limit is the subject's: another subject from the same address goes on…
    let other = app.with_token(token_for(&app.platform, "other", &[Role::Planner]));
    other.get("/api/v1/customers").await.expect(200);
    // …and probes are never limited.
    for _ in 0..20 {
        app.get("/health/live").await.expect(200);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_huge_body_is_a_413_problem_and_malformed_json_a_400() {
    let app = spawn_platform().await;
    let huge = json!({"name": "x".repeat(200_000), "telephone": "1", "email": "a@b.c"});
    let refused = app.post("/api/v1/customers", huge).await.expect(413);
    assert_eq!(refused.problem_type(), "/problems/payload-too-large");
    // A new connection: the server closes the one whose huge body it did not read, and
    // a pooled connection could be reused before the client notices.
    let malformed = reqwest::Client::new()
        .post(format!("{}/api/v1/customers", app.base))
        .bearer_auth(app.token.as_deref().unwrap_or_default())
        .header("content-type", "application/json")
        .body("{\"name\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), 400);
    assert_eq!(
        malformed.headers()["content-type"],
        "application/problem+json"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cors_allows_only_the_configured_origins() {
    let app =
        spawn_platform_with(|bff| bff.cors_origins = vec!["http://planner.example".into()]).await;
    let preflight = |origin: &'static str| {
        app.http
            .request(Method::OPTIONS, format!("{}/api/v1/customers", app.base))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .send()
    };
    let allowed = preflight("http://planner.example").await.unwrap();
    assert_eq!(
        allowed
            .headers()
            .get("access-control-allow-origin")
            .unwrap(),
        "http://planner.example"
    );
    let refused = preflight("http://evil.example").await.unwrap();
    assert!(
        refused
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_query_service_is_a_503_with_retry_after_not_a_hang() {
    let app = spawn_platform().await;
    // A second BFF whose query upstream is down, next to the real command service.
    let mut config = bff::Config::local(
        format!("http://{}", app.platform.command_addr),
        "http://127.0.0.1:9".into(),
    );
    config.rate_limit = None;
    config.auth = identity::AuthSettings::development(&app.data_dir());
    let lonely = bff::build(config).await.unwrap();
    let base = format!("http://{}", lonely.local_addr());
    tokio::spawn(lonely.run_until_stopped(std::future::pending()));
    let started = std::time::Instant::now();
    let answer = app
        .http
        .get(format!("{base}/api/v1/customers"))
        .bearer_auth(app.token.as_deref().unwrap_or_default())
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 503);
    assert!(answer.headers().contains_key("retry-after"));
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
    let ready = app
        .http
        .get(format!("{base}/health/ready"))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 503);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_path_segment_that_names_nothing_is_a_400_naming_it_for_every_resource() {
    let app = spawn_platform().await;
    for (path, field) in [
        ("/api/v1/customers/0", "customer_id"),
        ("/api/v1/vehicles/0", "license_number"),
        ("/api/v1/drivers/0", "driver_id"),
    ] {
        let refused = app.get(path).await.expect(400);
        assert_eq!(refused.body["field"], field, "{path}: {}", refused.body);
    }
}

/// Generated clients and documentation tools show the document's examples: each one must
/// be valid against its own schema, as a standard validator (Python's `jsonschema`,
/// draft 2020-12) reads it — and the validator must refuse a broken one.
#[test]
fn every_example_of_the_openapi_document_validates_against_its_schema() {
    let Some(python) = es_core::testing::servers::server_url("GRPC_PYTHON") else {
        return;
    };
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let script = root.join("scripts/validate_openapi_examples.py");
    let dir = tempfile::tempdir().unwrap();
    let validate = |document: &Value| {
        let file = dir.path().join("openapi.json");
        std::fs::write(&file, document.to_string()).unwrap();
        std::process::Command::new(&python)
            .arg(&script)
            .arg(&file)
            .output()
            .expect("python runs")
    };

    let mut document = bff::router::document();
    let output = validate(&document);
    assert!(
        output.status.success(),
        "invalid examples:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let checked = String::from_utf8_lossy(&output.stdout).lines().count();
    assert!(checked >= 55, "only {checked} examples were checked");

    document["components"]["schemas"]["CustomerView"]["examples"][0]["version"] = json!("one");
    let refused = validate(&document);
    assert_eq!(
        refused.status.code(),
        Some(1),
        "a version of \"one\" validated"
    );
}
