//! The authorization matrix: every protected operation of the OpenAPI document (so a
//! route added tomorrow is walked too) × {no token, every forged token × every role} →
//! 401 naming the reason, × every role ([`Role::ALL`], so a role added tomorrow is
//! walked too) → 403 exactly when the operation does not admit it. The upstreams are
//! dead, so an admitted request answers something else (400, 422, 503…), never 401/403.
//!
//! "Protected" is [`guarded`], the predicate the middleware enforces: `/api/v1` and
//! `/metrics`. A guarded route the document does not describe admits nobody (its
//! lookup is `Unknown`, see `access`), so the document's guarded operations are every
//! route a token can open.

use axum::Router;
use axum::http::{Method, StatusCode};
use identity::Role;
use identity::testing::forged_tokens;
use serde_json::Value;

use super::document::{API, guarded};
use crate::router::openapi;
use crate::testing::{As, TestResponse, call_as, driver_token, issuer, test_router, token};

const UUID: &str = "0190a4a0-0000-7000-8000-000000000001";

/// A valid-looking value for each path parameter; a new parameter must be added here.
fn value_of(parameter: &str) -> &'static str {
    match parameter {
        "customer_id" | "driver_id" | "technician_id" | "job_id" | "route_id" | "delivery_id"
        | "incident_id" => UUID,
        "license_number" => "AB-123-C",
        "date" => "2026-12-01",
        "sequence" => "1",
        "stream_id" => "customer-0190a4a0-0000-7000-8000-000000000001",
        "correlation_id" => "corr-1",
        "read_model" => "customers",
        "position" => "7",
        other => panic!("give the path parameter {other} a valid-looking value in value_of"),
    }
}

fn uri_of(template: &str) -> String {
    template
        .split('/')
        .map(
            |segment| match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(parameter) => value_of(parameter).to_owned(),
                None => segment.to_owned(),
            },
        )
        .collect::<Vec<_>>()
        .join("/")
}

struct Operation {
    method: Method,
    template: String,
    uri: String,
    body: Option<&'static str>,
    roles: Vec<String>,
}

fn operations() -> Vec<Operation> {
    let document = serde_json::to_value(openapi()).expect("the document serializes");
    let mut found = Vec::new();
    for (template, item) in document["paths"].as_object().expect("paths") {
        if !guarded(template) {
            continue;
        }
        for (method, operation) in item.as_object().expect("a path item") {
            let roles = operation["security"][0]["bearer"]
                .as_array()
                .map(|roles| {
                    let names = roles.iter().filter_map(Value::as_str);
                    names.map(str::to_owned).collect()
                })
                .unwrap_or_default();
            found.push(Operation {
                method: method.to_uppercase().parse().expect("an HTTP method"),
                template: template.clone(),
                uri: uri_of(template),
                body: operation.get("requestBody").map(|_| "{}"),
                roles,
            });
        }
    }
    found
}

async fn send(router: &Router, op: &Operation, who: As<'_>) -> TestResponse {
    call_as(router, who, op.method.clone(), &op.uri, op.body, &[]).await
}

/// What `error_description` says for each forged token of `forged_tokens`.
fn reason_of(forgery: &str) -> &'static [&'static str] {
    match forgery {
        "expired" => &["expired"],
        "not yet valid" => &["not yet valid"],
        "wrong issuer" => &["another issuer"],
        "wrong audience" => &["another audience"],
        "unknown kid" => &["unknown key"],
        "bad signature" => &["signature is invalid"],
        "tampered payload" => &["signature is invalid", "malformed"],
        "alg none" => &["algorithm none"],
        "HS256 with the public key" => &["algorithm HS256"],
        other => panic!("say what a {other} token is refused for"),
    }
}

/// A valid token for each role a user can hold; the driver's names its driver.
fn role_tokens() -> Vec<(Role, String)> {
    Role::ALL
        .into_iter()
        .map(|role| match role {
            Role::Driver => (role, driver_token()),
            role => (role, token(&[role.as_str()])),
        })
        .collect()
}

#[test]
fn the_matrix_walks_every_role_and_the_protected_routes_outside_the_api() {
    let walked: Vec<Role> = role_tokens().into_iter().map(|(role, _)| role).collect();
    assert_eq!(walked, Role::ALL);
    assert!(walked.contains(&Role::Operator));
    let outside: Vec<String> = operations()
        .into_iter()
        .filter(|op| !op.template.starts_with(API))
        .map(|op| op.template)
        .collect();
    assert_eq!(outside, [crate::observe::METRICS]);
}

#[tokio::test]
async fn every_operation_refuses_a_request_without_a_valid_token_naming_why() {
    let router = test_router().await;
    // Every kind of forgery carrying every role: none of them opens anything.
    let forged: Vec<(Role, &str, String)> = Role::ALL
        .into_iter()
        .flat_map(|role| {
            let forgeries = forged_tokens(issuer(), &[role.as_str()]);
            forgeries
                .into_iter()
                .map(move |(forgery, token)| (role, forgery, token))
        })
        .collect();
    let operations = operations();
    assert!(operations.len() > 60, "walked {}", operations.len());
    for op in &operations {
        let name = format!("{} {}", op.method, op.template);
        let anonymous = send(&router, op, As::Anonymous).await;
        assert_eq!(
            anonymous.status,
            StatusCode::UNAUTHORIZED,
            "{name} without a token"
        );
        assert_eq!(
            anonymous.headers["www-authenticate"],
            "Bearer realm=\"pitlane\""
        );
        let answers = forged
            .iter()
            .map(|(_, _, token)| send(&router, op, As::Bearer(token)));
        let answers = futures::future::join_all(answers).await;
        for ((role, forgery, _), response) in forged.iter().zip(answers) {
            let name = format!("{name}, {forgery} as {role}");
            assert_eq!(response.status, StatusCode::UNAUTHORIZED, "{name}");
            assert_eq!(response.problem_type(), Some("/problems/unauthenticated"));
            let challenge = response.headers["www-authenticate"].to_str().unwrap_or("");
            assert!(
                challenge.starts_with("Bearer realm=\"pitlane\", error=\"invalid_token\""),
                "{name}: {challenge}"
            );
            let described = challenge.contains("error_description=\"the token");
            let reason = reason_of(forgery).iter().any(|r| challenge.contains(r));
            assert!(described && reason, "{name}: {challenge}");
        }
    }
}

#[tokio::test]
async fn every_operation_admits_exactly_the_roles_it_declares() {
    let router = test_router().await;
    let tokens = role_tokens();
    let mut walked = 0;
    for op in &operations() {
        for (role, token) in &tokens {
            let response = send(&router, op, As::Bearer(token)).await;
            let name = format!("{} {} as {role}", op.method, op.template);
            if op.roles.iter().any(|declared| declared == role.as_str()) {
                assert!(
                    ![StatusCode::UNAUTHORIZED, StatusCode::FORBIDDEN].contains(&response.status),
                    "{name} is admitted, got {}: {}",
                    response.status,
                    response.body
                );
            } else {
                assert_eq!(
                    response.status,
                    StatusCode::FORBIDDEN,
                    "{name}: {}",
                    response.body
                );
                assert_eq!(response.body["reason"], "role_not_admitted", "{name}");
            }
            walked += 1;
        }
    }
    assert!(walked > 420, "walked {walked}");
}
