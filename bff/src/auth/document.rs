//! What the OpenAPI document says about access, completed once from the handlers'
//! annotations: each `/api/v1` operation declares its roles next to its route
//! (`security(("bearer" = ["planner", "auditor"]))`); [`secure`] adds what every one
//! of them shares, so no handler repeats it: the `bearer` scheme, `admin` (admitted
//! everywhere) in every role list, the 401 and 403 answers, and the roles in words.

use axum::http::Method;
use utoipa::openapi::content::Content;
use utoipa::openapi::header::Header;
use utoipa::openapi::path::{Operation, PathItem};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{Components, OpenApi, Ref, RefOr, Response};

/// The security scheme every operation names.
pub const SCHEME: &str = "bearer";
/// The prefix of the routes that need a token.
pub const API: &str = "/api/v1/";
/// Whether a route needs a token: the API, and the metrics (operators' reads).
pub fn guarded(path: &str) -> bool {
    path.starts_with(API) || path == crate::observe::METRICS
}
/// The role admitted to every operation, whatever it declares.
const ADMIN: &str = "admin";
/// The shared responses, as `#/components/responses/<name>`.
const UNAUTHENTICATED: &str = "Unauthenticated";
const FORBIDDEN: &str = "Forbidden";

const SCHEME_DESCRIPTION: &str = "A JWT from the identity provider (OIDC), sent as \
`Authorization: Bearer <token>`; on the embedded default, `pitlane token --role ROLE` \
prints one. Its `sub` is recorded as the actor of every event it causes. Roles (claim \
`roles`, or as configured with `AUTH_ROLES_CLAIM`): `planner` (workshop, customers, \
vehicles), `dispatcher` (fleet, routes, deliveries), `driver` (only the deliveries \
assigned to the driver the token's `driver_id` claim names: reading them, transit, \
checkpoints, incidents, proof), `auditor` (read-only: audit endpoints and reads, personal \
data opened), `admin` (everything, including erasure and rebuilds). Each operation lists \
the roles it admits as its security scopes.";

/// Every operation of a path, with its method.
pub fn operations(item: &PathItem) -> impl Iterator<Item = (Method, &Operation)> {
    [
        (Method::GET, &item.get),
        (Method::PUT, &item.put),
        (Method::POST, &item.post),
        (Method::DELETE, &item.delete),
        (Method::OPTIONS, &item.options),
        (Method::HEAD, &item.head),
        (Method::PATCH, &item.patch),
        (Method::TRACE, &item.trace),
    ]
    .into_iter()
    .filter_map(|(method, operation)| operation.as_ref().map(|op| (method, op)))
}

fn operations_mut(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        &mut item.get,
        &mut item.put,
        &mut item.post,
        &mut item.delete,
        &mut item.options,
        &mut item.head,
        &mut item.patch,
        &mut item.trace,
    ]
    .into_iter()
    .filter_map(Option::as_mut)
}

/// The roles an operation declares, as written; `None` when it declares no `security`.
pub fn declared_roles(operation: &Operation) -> Option<Vec<String>> {
    let requirements = operation.security.as_ref().filter(|r| !r.is_empty())?;
    let mut roles = Vec::new();
    for requirement in requirements {
        // `SecurityRequirement` keeps its map private; its JSON form is `{scheme: scopes}`.
        let json = serde_json::to_value(requirement).unwrap_or_default();
        if let Some(scopes) = json.get(SCHEME).and_then(|s| s.as_array()) {
            roles.extend(scopes.iter().filter_map(|s| s.as_str()).map(str::to_owned));
        }
    }
    Some(roles)
}

/// Completes the document: the bearer scheme and the shared 401/403 answers in the
/// components; on every `/api/v1` operation that declares roles, `admin` added to them,
/// the roles in its description, and the 401/403 answers. An operation that declares
/// none is left as it is, and refused to everyone (see [`super::access`]).
pub fn secure(document: &mut OpenApi) {
    let components = document.components.get_or_insert_with(Components::new);
    components.add_security_scheme(
        SCHEME,
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .bearer_format("JWT")
                .description(Some(SCHEME_DESCRIPTION))
                .build(),
        ),
    );
    components
        .responses
        .insert(UNAUTHENTICATED.into(), RefOr::T(unauthenticated()));
    components
        .responses
        .insert(FORBIDDEN.into(), RefOr::T(forbidden()));
    for (path, item) in document.paths.paths.iter_mut() {
        if !guarded(path) {
            continue;
        }
        for operation in operations_mut(item) {
            let Some(mut roles) = declared_roles(operation) else {
                continue;
            };
            if !roles.iter().any(|role| role == ADMIN) {
                roles.push(ADMIN.into());
            }
            let line = format!("**Roles:** {}.", roles.join(", "));
            operation.description = Some(match operation.description.take() {
                Some(text) if !text.is_empty() => format!("{text}\n\n{line}"),
                _ => line,
            });
            operation.security = Some(vec![SecurityRequirement::new(SCHEME, roles)]);
            let responses = &mut operation.responses.responses;
            responses.insert(
                "401".into(),
                RefOr::Ref(Ref::from_response_name(UNAUTHENTICATED)),
            );
            responses.insert("403".into(), RefOr::Ref(Ref::from_response_name(FORBIDDEN)));
        }
    }
}

fn problem() -> Content {
    Content::new(Some(Ref::from_schema_name("Problem")))
}

fn unauthenticated() -> Response {
    let mut response = Response::new(
        "No valid bearer token: missing, malformed, expired or not yet valid, from another \
issuer or for another audience, signed by an unknown key or with a bad signature. \
`WWW-Authenticate` names the reason (RFC 6750).",
    );
    let mut challenge = Header::default();
    challenge.description = Some(
        "e.g. `Bearer realm=\"pitlane\", error=\"invalid_token\", error_description=\"the token has expired\"`"
            .into(),
    );
    response
        .headers
        .insert("WWW-Authenticate".into(), challenge);
    response
        .content
        .insert("application/problem+json".into(), problem());
    response
}

fn forbidden() -> Response {
    let mut response = Response::new(
        "The token is valid, but none of its roles is admitted here (the detail names the \
roles that are), or a driver's token names another driver than the delivery's.",
    );
    response
        .content
        .insert("application/problem+json".into(), problem());
    response
}
