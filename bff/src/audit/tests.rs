//! Router tests without sockets: bad input is refused at the edge, naming the
//! parameter, before any call (the upstreams are dead, so reaching them is a 503).

use axum::http::{Method, StatusCode};

use crate::testing::{As, TestResponse, call, call_as, test_router, token};

const STREAM: &str = "/api/v1/audit/streams/customer-0190a4a0-0000-7000-8000-000000000001";

async fn get(uri: &str) -> TestResponse {
    call(&test_router().await, Method::GET, uri, None).await
}

#[track_caller]
fn assert_refused(response: &TestResponse, status: StatusCode, field: &str) {
    assert_eq!(response.status, status, "{}", response.body);
    assert_eq!(response.field(), Some(field), "{}", response.body);
}

#[tokio::test]
async fn a_malformed_version_or_time_is_a_400_naming_the_parameter() {
    for (uri, field) in [
        (format!("{STREAM}/state?version=abc"), "version"),
        (format!("{STREAM}/state?at=yesterday"), "at"),
        (format!("{STREAM}/diff?from=abc"), "from"),
        (format!("{STREAM}/diff?from=1&to=latest"), "to"),
        (format!("{STREAM}/events?after=-1"), "after"),
        ("/api/v1/audit/events?from=2026-13-01".to_owned(), "from"),
        ("/api/v1/audit/events?to=soon".to_owned(), "to"),
        (
            "/api/v1/audit/export?from_position=x".to_owned(),
            "from_position",
        ),
    ] {
        assert_refused(&get(&uri).await, StatusCode::BAD_REQUEST, field);
    }
}

#[tokio::test]
async fn a_diff_without_its_from_version_is_a_400_naming_from() {
    let response = get(&format!("{STREAM}/diff")).await;
    assert_refused(&response, StatusCode::BAD_REQUEST, "from");
}

#[tokio::test]
async fn a_version_and_an_instant_together_are_a_400_naming_both() {
    let response = get(&format!("{STREAM}/state?version=1&at=2026-05-04T09:00:00Z")).await;
    assert_refused(&response, StatusCode::BAD_REQUEST, "version,at");
    assert_eq!(response.problem_type(), Some("/problems/malformed-request"));
}

#[tokio::test]
async fn a_zero_the_proto_would_read_as_unset_is_a_422_naming_it() {
    for (uri, field) in [
        (format!("{STREAM}/events?limit=0"), "limit"),
        (format!("{STREAM}/diff?from=1&to=0"), "to"),
        (
            "/api/v1/audit/events?to_position=0".to_owned(),
            "to_position",
        ),
    ] {
        assert_refused(&get(&uri).await, StatusCode::UNPROCESSABLE_ENTITY, field);
    }
}

#[tokio::test]
async fn a_blank_stream_or_correlation_id_is_a_400_and_never_widens_to_the_whole_log() {
    let stream = get("/api/v1/audit/streams/%20/events").await;
    assert_refused(&stream, StatusCode::BAD_REQUEST, "stream_id");
    let trace = get("/api/v1/audit/traces/%20").await;
    assert_refused(&trace, StatusCode::BAD_REQUEST, "correlation_id");
}

#[tokio::test]
async fn a_page_cursor_in_after_is_not_read_as_a_consistency_token() {
    // Elsewhere `?after=` is a consistency token; here it is a position, which passes
    // the edge and reaches the (dead) command service.
    let response = get("/api/v1/audit/events?after=5&limit=10").await;
    assert_eq!(
        response.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        response.body
    );
}

#[tokio::test]
async fn every_well_formed_audit_read_reaches_the_upstream() {
    let router = test_router().await;
    for uri in [
        format!("{STREAM}/events?after=1&limit=1000"),
        format!("{STREAM}/state"),
        format!("{STREAM}/state?at=2026-05-04T09:00:00%2B02:00"),
        format!("{STREAM}/diff?from=0&to=2"),
        "/api/v1/audit/events?event_type=customer.registered.v1&from=2026-05-04T09:00:00Z".into(),
        "/api/v1/audit/traces/corr-42".into(),
        "/api/v1/audit/verify".into(),
        "/api/v1/audit/export?stream=customer-1".into(),
        "/api/v1/audit/rebuilds".into(),
    ] {
        let response = call(&router, Method::GET, &uri, None).await;
        assert_eq!(
            response.status,
            StatusCode::SERVICE_UNAVAILABLE,
            "{uri}: {}",
            response.body
        );
    }
}

#[tokio::test]
async fn a_rebuild_by_any_role_but_admin_is_a_403_before_its_body_is_read() {
    let router = test_router().await;
    for role in ["auditor", "planner", "dispatcher", "driver", "service"] {
        let token = token(&[role]);
        let response = call_as(
            &router,
            As::Bearer(&token),
            Method::POST,
            "/api/v1/audit/rebuilds",
            Some("{not json"),
            // A header saying otherwise changes nothing.
            &[("x-actor-role", "admin")],
        )
        .await;
        assert_eq!(response.status, StatusCode::FORBIDDEN, "{role}");
        assert_eq!(response.problem_type(), Some("/problems/forbidden"));
        assert_eq!(response.body["reason"], "role_not_admitted");
    }
}

#[tokio::test]
async fn an_admin_rebuild_passes_the_role_check_and_its_body_is_checked_next() {
    let router = test_router().await;
    let uri = "/api/v1/audit/rebuilds";
    let wrong = call(
        &router,
        Method::POST,
        uri,
        Some(r#"{"read_models": "customers"}"#),
    )
    .await;
    assert_refused(&wrong, StatusCode::UNPROCESSABLE_ENTITY, "read_models");
    let all = call(&router, Method::POST, uri, Some("{}")).await;
    assert_eq!(all.status, StatusCode::SERVICE_UNAVAILABLE, "{}", all.body);
}

#[test]
fn every_audit_endpoint_is_documented_under_the_audit_tag() {
    let document = serde_json::to_value(crate::router::openapi()).unwrap();
    let paths = document["paths"].as_object().unwrap();
    let audit: Vec<(&String, &serde_json::Value)> = paths
        .iter()
        .filter(|(path, _)| path.starts_with("/api/v1/audit/"))
        .collect();
    let operations: usize = audit
        .iter()
        .map(|(_, ops)| ops.as_object().unwrap().len())
        .sum();
    assert_eq!(
        operations,
        9,
        "{:?}",
        audit.iter().map(|(p, _)| p).collect::<Vec<_>>()
    );
    for (path, ops) in &audit {
        for (method, op) in ops.as_object().unwrap() {
            assert_eq!(op["tags"][0], "audit", "{method} {path}");
        }
    }
    let export = &paths["/api/v1/audit/export"]["get"]["responses"]["200"]["content"];
    assert!(export.get("application/x-ndjson").is_some(), "{export}");
}
