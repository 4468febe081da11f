//! Access control through the whole router, without sockets: what the document
//! declares, what needs no token, what a refusal looks like.

use std::sync::Arc;

use axum::http::{Method, StatusCode};
use identity::config::AuthConfig;
use identity::keys::JwksSource;
use identity::testing::{AUDIENCE, ISSUER};
use serde_json::Value;

use super::AccessTable;
use super::document::{API, declared_roles, operations};
use crate::router::{declared_openapi, openapi};
use crate::testing::{
    As, DEAD_UPSTREAM, DRIVER_ID, call, call_as, driver_token, test_router,
    test_router_verified_by, test_router_with, token,
};

const DELIVERY: &str = "/api/v1/deliveries/0190a4a0-0000-7000-8000-000000000001";

/// Every `/api/v1` operation of the document, as `(METHOD /path, operation JSON)`.
fn api_operations(document: &Value) -> Vec<(String, Value)> {
    let mut found = Vec::new();
    for (path, item) in document["paths"].as_object().expect("paths") {
        if !path.starts_with(API) {
            continue;
        }
        for (method, operation) in item.as_object().expect("a path item") {
            found.push((
                format!("{} {path}", method.to_uppercase()),
                operation.clone(),
            ));
        }
    }
    found
}

/// The roles the served document shows for an operation.
fn roles(operation: &Value) -> Vec<&str> {
    operation["security"][0]["bearer"]
        .as_array()
        .map(|roles| roles.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

#[test]
fn every_api_operation_declares_its_roles_next_to_its_route() {
    let document = declared_openapi();
    let mut undeclared = Vec::new();
    for (path, item) in &document.paths.paths {
        for (method, operation) in operations(item) {
            if path.starts_with(API) && declared_roles(operation).is_none() {
                undeclared.push(format!("{method} {path}"));
            }
        }
    }
    assert!(
        undeclared.is_empty(),
        "add security((\"bearer\" = [roles])) to the annotation of: {undeclared:?}"
    );
}

#[test]
fn every_declared_role_is_a_role() {
    let table = AccessTable::from_openapi(&openapi());
    assert!(
        table.unknown_roles().is_empty(),
        "{:?}",
        table.unknown_roles()
    );
    assert!(table.operations().count() > 60);
}

#[test]
fn the_document_has_the_bearer_scheme_and_every_api_operation_admits_admin_with_401_and_403() {
    let document = serde_json::to_value(openapi()).unwrap();
    let scheme = &document["components"]["securitySchemes"]["bearer"];
    assert_eq!(scheme["type"], "http");
    assert_eq!(scheme["scheme"], "bearer");
    assert_eq!(scheme["bearerFormat"], "JWT");
    let description = scheme["description"].as_str().unwrap_or_default();
    for role in [
        "planner",
        "dispatcher",
        "driver",
        "auditor",
        "admin",
        "driver_id",
    ] {
        assert!(description.contains(role), "the scheme explains {role}");
    }
    let shared = &document["components"]["responses"];
    assert!(shared["Unauthenticated"]["headers"]["WWW-Authenticate"].is_object());
    assert!(shared["Forbidden"]["content"]["application/problem+json"].is_object());
    for (operation, body) in api_operations(&document) {
        assert!(
            roles(&body).contains(&"admin"),
            "{operation}: {:?}",
            roles(&body)
        );
        assert_eq!(
            body["responses"]["401"]["$ref"], "#/components/responses/Unauthenticated",
            "{operation}"
        );
        assert_eq!(
            body["responses"]["403"]["$ref"], "#/components/responses/Forbidden",
            "{operation}"
        );
        let text = body["description"].as_str().unwrap_or_default();
        assert!(text.contains("**Roles:**"), "{operation}: {text}");
    }
    let health = &document["paths"]["/health/live"]["get"];
    assert!(health.get("security").is_none(), "probes need no token");
}

#[test]
fn only_an_admin_may_erase_personal_data_or_rebuild_read_models() {
    let document = serde_json::to_value(openapi()).unwrap();
    for (operation, body) in api_operations(&document) {
        let admin_only = roles(&body) == ["admin"];
        let expected = operation == "POST /api/v1/customers/{customer_id}/erasure"
            || operation == "POST /api/v1/audit/rebuilds";
        assert_eq!(admin_only, expected, "{operation}: {:?}", roles(&body));
    }
}

#[test]
fn auditors_read_everything_and_change_nothing() {
    let document = serde_json::to_value(openapi()).unwrap();
    for (operation, body) in api_operations(&document) {
        let reads = operation.starts_with("GET ");
        assert_eq!(
            roles(&body).contains(&"auditor"),
            reads,
            "{operation}: {:?}",
            roles(&body)
        );
    }
}

#[test]
fn drivers_are_admitted_to_delivery_operations_only() {
    let document = serde_json::to_value(openapi()).unwrap();
    let deliveries = [
        "/api/v1/deliveries",
        "/api/v1/live-tracking",
        "/api/v1/views/deliveries/",
        "/api/v1/views/live-tracking",
    ];
    for (operation, body) in api_operations(&document) {
        if roles(&body).contains(&"driver") {
            let path = operation.split_once(' ').map(|(_, p)| p).unwrap_or("");
            assert!(
                deliveries.iter().any(|prefix| path.starts_with(prefix)),
                "{operation}"
            );
        }
    }
}

#[tokio::test]
async fn probes_documentation_and_unknown_paths_need_no_token() {
    let router = test_router().await;
    for (uri, status) in [
        ("/health/live", StatusCode::OK),
        ("/health/ready", StatusCode::SERVICE_UNAVAILABLE),
        ("/api/openapi.json", StatusCode::OK),
        ("/api/v1/nowhere", StatusCode::NOT_FOUND),
        ("/elsewhere", StatusCode::NOT_FOUND),
    ] {
        let response = call_as(&router, As::Anonymous, Method::GET, uri, None, &[]).await;
        assert_eq!(response.status, status, "{uri}: {}", response.body);
    }
    let docs = call_as(&router, As::Anonymous, Method::GET, "/docs/", None, &[]).await;
    assert_ne!(docs.status, StatusCode::UNAUTHORIZED);
    assert!(docs.status.is_success() || docs.status.is_redirection());
}

#[tokio::test]
async fn a_request_without_a_token_is_a_401_problem_with_a_bearer_challenge() {
    let router = test_router().await;
    let response = call_as(
        &router,
        As::Anonymous,
        Method::GET,
        "/api/v1/customers",
        None,
        &[
            ("x-actor-subject", "chief-auditor"),
            ("x-actor-role", "admin"),
        ],
    )
    .await;
    assert_eq!(response.status, StatusCode::UNAUTHORIZED);
    assert_eq!(response.headers["content-type"], "application/problem+json");
    assert_eq!(
        response.headers["www-authenticate"],
        "Bearer realm=\"pitlane\""
    );
    assert_eq!(response.problem_type(), Some("/problems/unauthenticated"));
    assert_eq!(response.body["reason"], "missing_token");
}

#[tokio::test]
async fn a_token_that_is_no_bearer_token_is_an_invalid_request() {
    let router = test_router().await;
    let response = call_as(
        &router,
        As::Anonymous,
        Method::GET,
        "/api/v1/customers",
        None,
        &[("authorization", "Basic YWRtaW46YWRtaW4=")],
    )
    .await;
    assert_eq!(response.status, StatusCode::UNAUTHORIZED);
    let challenge = response.headers["www-authenticate"].to_str().unwrap();
    assert!(
        challenge.contains("error=\"invalid_request\""),
        "{challenge}"
    );
}

#[tokio::test]
async fn an_algorithm_an_attacker_wrote_cannot_break_out_of_the_challenge() {
    // {"alg":"HS256\", error=\"forged\"\r\nSet-Cookie: a=b","typ":"JWT"}, base64url.
    let header =
        "eyJhbGciOiJIUzI1NlwiLCBlcnJvcj1cImZvcmdlZFwiXHJcblNldC1Db29raWU6IGE9YiIsInR5cCI6IkpXVCJ9";
    let forged = format!("{header}.eyJzdWIiOiJtYWxsb3J5In0.c2ln");
    let router = test_router().await;
    let response = call_as(
        &router,
        As::Bearer(&forged),
        Method::GET,
        "/api/v1/customers",
        None,
        &[],
    )
    .await;
    assert_eq!(response.status, StatusCode::UNAUTHORIZED);
    let challenge = response.headers["www-authenticate"].to_str().unwrap();
    assert_eq!(challenge.matches("error=\"").count(), 1, "{challenge}");
    assert!(
        !challenge.contains('\r') && !challenge.contains('\n'),
        "{challenge}"
    );
    assert!(challenge.ends_with('"'), "{challenge}");
}

#[tokio::test]
async fn unavailable_issuer_keys_are_a_503_with_retry_after_never_a_401_or_500() {
    let verifier = identity::Verifier::new(
        &AuthConfig::new(ISSUER, AUDIENCE),
        JwksSource::Url(format!("{DEAD_UPSTREAM}/jwks.json")),
    );
    let router = test_router_verified_by(Arc::new(verifier), |_| {}).await;
    let response = call(&router, Method::GET, "/api/v1/customers", None).await;
    assert_eq!(
        response.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        response.body
    );
    assert!(response.headers.contains_key("retry-after"));
    assert_eq!(response.body["reason"], "keys_unavailable");
}

#[tokio::test]
async fn a_role_not_admitted_is_a_403_naming_the_roles_that_are() {
    let router = test_router().await;
    let driver = token(&["driver"]);
    let response = call_as(
        &router,
        As::Bearer(&driver),
        Method::GET,
        "/api/v1/customers",
        None,
        &[],
    )
    .await;
    assert_eq!(response.status, StatusCode::FORBIDDEN);
    assert_eq!(response.problem_type(), Some("/problems/forbidden"));
    let detail = response.body["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("planner, auditor, admin"), "{detail}");
}

#[tokio::test]
async fn a_method_the_path_does_not_take_is_a_405_naming_those_it_does() {
    let router = test_router().await;
    let response = call(&router, Method::DELETE, "/api/v1/customers", None).await;
    assert_eq!(response.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(response.headers["allow"], "GET, POST");
}

#[tokio::test]
async fn a_driver_on_a_delivery_is_checked_against_the_delivery_before_the_handler_runs() {
    let router = test_router().await;
    let driver = driver_token();
    // The check reads the delivery from the (dead) query service: 503, not 403.
    for (method, uri) in [
        (Method::GET, DELIVERY.to_owned()),
        (Method::POST, format!("{DELIVERY}/start-transit")),
    ] {
        let response = call_as(&router, As::Bearer(&driver), method, &uri, None, &[]).await;
        assert_eq!(
            response.status,
            StatusCode::SERVICE_UNAVAILABLE,
            "{uri}: {}",
            response.body
        );
    }
    let malformed = call_as(
        &router,
        As::Bearer(&driver),
        Method::GET,
        "/api/v1/deliveries/parcel-7",
        None,
        &[],
    )
    .await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
    assert_eq!(malformed.field(), Some("delivery_id"));
}

#[tokio::test]
async fn a_driver_token_naming_no_driver_may_act_on_no_delivery() {
    let router = test_router().await;
    let nameless = token(&["driver"]);
    for uri in [
        DELIVERY.to_owned(),
        format!("{DELIVERY}/timeline"),
        "/api/v1/deliveries".to_owned(),
        "/api/v1/live-tracking".to_owned(),
        "/api/v1/views/live-tracking".to_owned(),
    ] {
        let response = call_as(&router, As::Bearer(&nameless), Method::GET, &uri, None, &[]).await;
        assert_eq!(response.status, StatusCode::FORBIDDEN, "{uri}");
        assert_eq!(response.body["reason"], "no_driver_id", "{uri}");
    }
}

#[tokio::test]
async fn a_driver_listing_another_driver_s_deliveries_is_a_403_and_its_own_pass() {
    let router = test_router().await;
    let driver = driver_token();
    let other = "/api/v1/deliveries?driver_id=0190a4a0-0000-7000-8000-0000000000d2";
    let refused = call_as(&router, As::Bearer(&driver), Method::GET, other, None, &[]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(refused.body["reason"], "not_assigned_driver");
    let own = format!("/api/v1/deliveries?driver_id={DRIVER_ID}");
    let passed = call_as(&router, As::Bearer(&driver), Method::GET, &own, None, &[]).await;
    assert_eq!(passed.status, StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
async fn browsers_may_send_the_authorization_header_and_read_the_challenge() {
    let router = test_router_with(|config| {
        config.cors_origins = vec!["http://localhost:3000".into()];
    })
    .await;
    let preflight = call_as(
        &router,
        As::Anonymous,
        Method::OPTIONS,
        "/api/v1/customers",
        None,
        &[
            ("origin", "http://localhost:3000"),
            ("access-control-request-method", "GET"),
            ("access-control-request-headers", "authorization"),
        ],
    )
    .await;
    let allowed = preflight.headers["access-control-allow-headers"]
        .to_str()
        .unwrap();
    assert!(allowed.contains("authorization"), "{allowed}");
    let refused = call_as(
        &router,
        As::Anonymous,
        Method::GET,
        "/api/v1/customers",
        None,
        &[("origin", "http://localhost:3000")],
    )
    .await;
    let exposed = refused.headers["access-control-expose-headers"]
        .to_str()
        .unwrap();
    assert!(exposed.contains("www-authenticate"), "{exposed}");
}
