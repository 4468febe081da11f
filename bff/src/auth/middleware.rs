//! The two halves of access control around every route, with the rate limit between
//! them (see `router`): [`authenticate`] verifies the bearer token of an `/api/v1`
//! request and leaves the outcome in its extensions, so the limiter can key by
//! subject; [`authorize`] then refuses what the outcome or the operation's rule does
//! not allow (401, 403, 503 when the issuer's keys cannot be had; never a 500), and
//! hands the handler a [`Caller`]: the verified identity and the role it acts under.

use std::sync::Arc;

use axum::extract::{FromRequestParts, MatchedPath, RawPathParams, Request, State};
use axum::http::{HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use identity::{AuthError, Caller, Identity, Role, Verifier};

use super::access::{Access, AccessTable, Lookup};
use super::denial;
use super::document::guarded;
use super::driver::{self, DELIVERY_PARAM};
use crate::extract::RequestContext;
use crate::problem::{ApiError, ProblemKind};
use crate::state::AppState;

/// The realm of `WWW-Authenticate` challenges.
pub const REALM: &str = "pitlane";

/// What [`authenticate`] found out about an `/api/v1` request's token.
#[derive(Debug, Clone)]
pub struct Authentication(pub Result<Identity, AuthError>);

/// What [`authorize`] needs: the application and the rules read from its document.
#[derive(Clone)]
pub struct Gate {
    pub state: AppState,
    pub table: Arc<AccessTable>,
}

fn is_api(request: &Request) -> bool {
    request
        .extensions()
        .get::<MatchedPath>()
        .is_some_and(|matched| guarded(matched.as_str()))
}

/// Verifies the `Authorization` header of a request to an `/api/v1` route and records
/// the outcome; refuses nothing itself.
pub async fn authenticate(
    State(verifier): State<Arc<Verifier>>,
    mut request: Request,
    next: Next,
) -> Response {
    if is_api(&request) {
        let header = request
            .headers()
            .get(header::AUTHORIZATION)
            .map(|value| value.to_str().map_err(|_| AuthError::Malformed))
            .transpose();
        let outcome = match header {
            Ok(value) => verifier.verify_header(value).await,
            Err(error) => Err(error),
        };
        request.extensions_mut().insert(Authentication(outcome));
    }
    next.run(request).await
}

/// Admits a request to an `/api/v1` route when its token was verified and holds a role
/// the operation admits (and, acting as a driver on a delivery, when the delivery is
/// the driver's); other routes pass untouched. A refusal, here or in the handler, is
/// logged by [`crate::observe`] with the subject this names on it ([`denial`]).
pub async fn authorize(State(gate): State<Gate>, mut request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|matched| matched.as_str().to_owned());
    let admitted = match gate.table.lookup(&method, route.as_deref()) {
        Lookup::Public => return next.run(request).await,
        Lookup::OtherMethods(allowed) => return method_not_allowed(&allowed),
        Lookup::Rule(Access::Roles(roles)) => Some(roles.as_slice()),
        Lookup::Rule(Access::Undeclared) | Lookup::Unknown => None,
    };
    let identity = match request.extensions_mut().remove::<Authentication>() {
        Some(Authentication(Ok(identity))) => identity,
        Some(Authentication(Err(error))) => return unauthenticated(error),
        // `authenticate` did not run: a router wired wrongly must fail closed.
        None => return unauthenticated(AuthError::Missing),
    };
    tracing::Span::current().record("subject", identity.subject.as_str());
    let subject = identity.subject.clone();
    let route = route.unwrap_or_default();
    let mut response = admit(&gate.state, admitted, identity, &route, request, next).await;
    if let Some(denial) = response.extensions_mut().get_mut::<denial::Denial>() {
        denial.subject = Some(subject);
    }
    response
}

/// The verified caller's way on: a role the operation admits, as a driver its own
/// delivery, then the handler.
async fn admit(
    state: &AppState,
    admitted: Option<&[Role]>,
    identity: Identity,
    route: &str,
    mut request: Request,
    next: Next,
) -> Response {
    let Some(admitted) = admitted else {
        // A route added without its roles (the document test names it).
        return ApiError::new(
            ProblemKind::Forbidden,
            "this operation has no access rule; nobody may call it",
        )
        .with_reason("no_access_rule")
        .into_response();
    };
    let Some(role) = identity.acting_as(admitted) else {
        return role_not_admitted(admitted, &identity.roles).into_response();
    };
    request.extensions_mut().insert(Caller { identity, role });
    if role == Role::Driver && route.contains(&format!("{{{DELIVERY_PARAM}}}")) {
        let (mut parts, body) = request.into_parts();
        if let Err(problem) = own_delivery(state, &mut parts).await {
            return problem.into_response();
        }
        request = Request::from_parts(parts, body);
    }
    next.run(request).await
}

/// The driver rule on a route with a `{delivery_id}`.
async fn own_delivery(
    state: &AppState,
    parts: &mut axum::http::request::Parts,
) -> Result<(), ApiError> {
    let params = RawPathParams::from_request_parts(parts, &())
        .await
        .map_err(|_| ApiError::malformed(DELIVERY_PARAM, "cannot be read"))?;
    let raw = params
        .iter()
        .find(|(name, _)| *name == DELIVERY_PARAM)
        .map(|(_, value)| value.to_owned())
        .unwrap_or_default();
    let ctx = RequestContext::from_request_parts(parts, &()).await?;
    driver::check_own_delivery(state, &ctx, &raw).await
}

fn role_not_admitted(admitted: &[Role], held: &[Role]) -> ApiError {
    let names = |roles: &[Role]| {
        let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
        if names.is_empty() {
            "none".to_owned()
        } else {
            names.join(", ")
        }
    };
    let mut admitted = admitted.to_vec();
    if !admitted.contains(&Role::Admin) {
        admitted.push(Role::Admin);
    }
    ApiError::new(
        ProblemKind::Forbidden,
        format!(
            "this operation admits the roles {}; the token holds {}",
            names(&admitted),
            names(held)
        ),
    )
    .with_reason("role_not_admitted")
}

/// 401 naming why the token was refused (503 when the issuer's keys cannot be had).
/// What the token's header said is already cut to printable text by the verifier, and
/// the challenge is a well-formed quoted string whatever it says (`identity`).
fn unauthenticated(error: AuthError) -> Response {
    if error.is_unavailable() {
        return ApiError::new(
            ProblemKind::UpstreamUnavailable,
            "the token issuer's signing keys are unavailable; retry later",
        )
        .with_reason("keys_unavailable")
        .into_response();
    }
    let reason = match error.code() {
        "" => "missing_token",
        code => code,
    };
    let mut response = ApiError::new(ProblemKind::Unauthenticated, error.to_string())
        .with_reason(reason)
        .into_response();
    if let Ok(challenge) = HeaderValue::from_str(&error.challenge(REALM)) {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, challenge);
    }
    response
}

fn method_not_allowed(allowed: &[Method]) -> Response {
    let names: Vec<&str> = allowed.iter().map(Method::as_str).collect();
    let mut response = ApiError::new(
        ProblemKind::MethodNotAllowed,
        format!("this path takes {}", names.join(", ")),
    )
    .into_response();
    if let Ok(allow) = HeaderValue::from_str(&names.join(", ")) {
        response.headers_mut().insert(header::ALLOW, allow);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_authentication_outcome_never_shows_the_token_when_printed() {
        let verified = Authentication(Ok(Identity {
            subject: "grace".into(),
            roles: vec![Role::Driver],
            driver_id: None,
            token: std::sync::Arc::from("eyJhbGciOiJSUzI1NiJ9.secret-claims.secret-signature"),
        }));
        let printed = format!("{verified:?} {verified:#?}");
        assert!(printed.contains("grace"), "{printed}");
        assert!(!printed.contains("secret"), "{printed}");
    }

    #[test]
    fn a_refusal_names_the_admitted_roles_and_admin() {
        let problem = role_not_admitted(&[Role::Planner, Role::Auditor], &[Role::Driver]);
        assert_eq!(problem.kind, ProblemKind::Forbidden);
        assert!(
            problem.detail.contains("planner, auditor, admin"),
            "{}",
            problem.detail
        );
        assert!(
            problem.detail.contains("holds driver"),
            "{}",
            problem.detail
        );
    }
}
