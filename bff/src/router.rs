//! The HTTP router, built by a function tests call without a socket.

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, Method, header};
use axum::middleware;
use axum::response::IntoResponse;
use axum::routing::get;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::{self, AccessTable, Gate};
use crate::event_schemas;
use crate::openapi::ApiDoc;
use crate::problem::{ApiError, ProblemKind};
use crate::rate_limit::{self, Limiter};
use crate::state::AppState;
use crate::{
    audit, consistency, correlation, customers, deliveries, fleet, health, observe, ops, schedules,
    views, web, workshop,
};

/// Every route of the BFF with its middleware: correlation id, CORS, authentication,
/// rate limit, authorization, body limit, and a panic guard that answers 500 instead of
/// dropping the connection.
///
/// The order matters: a request is authenticated first (the token verified, nothing
/// refused yet), so the rate limit can count it against its subject (or, without a
/// valid token, its address), and only then refused or admitted by the operation's
/// rule, read from the same OpenAPI document `/api/openapi.json` serves.
pub fn router(state: AppState) -> Router {
    let (routes, mut openapi) = documented_routes().split_for_parts();
    auth::secure(&mut openapi);
    let table = Arc::new(AccessTable::from_openapi(&openapi));
    let openapi_json = serde_json::to_string(&completed(&openapi)).unwrap_or_default();
    let mut app = routes
        .route(
            "/api/openapi.json",
            get(move || async move {
                (
                    [(header::CONTENT_TYPE, "application/json")],
                    openapi_json.clone(),
                )
            }),
        )
        .fallback(|| async {
            ApiError::new(ProblemKind::NotFound, "no such endpoint").into_response()
        })
        .layer(DefaultBodyLimit::max(state.config.body_limit))
        // Layers added later wrap those added earlier: authenticate → limit → authorize.
        .layer(middleware::from_fn_with_state(
            Gate {
                state: state.clone(),
                table,
            },
            auth::authorize,
        ));
    let limiter =
        (state.config.rate_limit).map(|limit| Limiter::new(limit, &state.config.trusted_proxies));
    if let Some(limiter) = &limiter {
        app = app.layer(middleware::from_fn_with_state(
            limiter.clone(),
            rate_limit::middleware,
        ));
    }
    app = app.layer(middleware::from_fn_with_state(
        state.verifier.clone(),
        auth::authenticate,
    ));
    let cors = cors(&state.config.cors_origins);
    let public = Router::new()
        .merge(web::routes(state.web.clone(), limiter))
        .merge(swagger_ui_dist::generate_routes(
            swagger_ui_dist::ApiDefinition {
                uri_prefix: "/docs",
                api_definition: swagger_ui_dist::OpenApiSource::Uri("/api/openapi.json"),
                title: Some("Pitlane REST API"),
            },
        ))
        .route("/problems/{slug}", get(problem_page))
        .merge(event_schemas::routes());
    app.with_state(state)
        .merge(outside_the_api(public))
        .layer(middleware::from_fn(docs_without_slash))
        .layer(cors)
        .layer(middleware::from_fn(observe::middleware))
        .layer(middleware::from_fn(correlation::middleware))
        .layer(CatchPanicLayer::custom(|_| {
            ApiError::new(
                ProblemKind::UpstreamError,
                "the request failed unexpectedly",
            )
            .into_response()
        }))
}

/// The routes outside the authentication layers (the web app, the API's documentation,
/// the problem pages, the event schemas) stay outside `/api/v1`: a route added there by
/// mistake is refused to everyone rather than open to anyone, since only the gated
/// router knows who may call an API operation.
fn outside_the_api(public: Router) -> Router {
    public.route_layer(middleware::from_fn(
        |request: axum::extract::Request, next: middleware::Next| async move {
            let path = request.uri().path();
            if path == "/api/v1" || path.starts_with("/api/v1/") {
                return ApiError::new(
                    ProblemKind::Forbidden,
                    "this operation has no access rule; nobody may call it",
                )
                .with_reason("no_access_rule")
                .into_response();
            }
            next.run(request).await
        },
    ))
}

/// `/docs/` is `/docs`: Swagger UI's page links its assets relative to the prefix, so
/// under a trailing slash they would not load (a blank page).
async fn docs_without_slash(
    request: axum::extract::Request,
    next: middleware::Next,
) -> axum::response::Response {
    if request.uri().path() == "/docs/" {
        return axum::response::Redirect::permanent("/docs").into_response();
    }
    next.run(request).await
}

/// The page a problem's `type` URI (`/problems/schedule-conflict`) resolves to: what
/// the problem means and what to do about it. Public, like the OpenAPI document.
async fn problem_page(
    crate::extract::Path(slug): crate::extract::Path<String>,
) -> axum::response::Response {
    let Some(kind) = ProblemKind::from_slug(&slug) else {
        return ApiError::new(ProblemKind::NotFound, format!("no problem type `{slug}`"))
            .into_response();
    };
    let page = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title></head>\n\
         <body><h1>{title}</h1><p>HTTP {status} · <code>/problems/{slug}</code></p><p>{description}</p></body></html>\n",
        title = kind.title(),
        status = kind.status().as_u16(),
        slug = kind.slug(),
        description = kind.description(),
    );
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], page).into_response()
}

/// Every REST route with its OpenAPI description.
fn documented_routes() -> OpenApiRouter<AppState> {
    let api = OpenApiRouter::<AppState>::new()
        .merge(customers::routes())
        .merge(fleet::routes())
        .merge(workshop::routes())
        .merge(deliveries::routes())
        .merge(schedules::routes())
        .merge(views::routes())
        .merge(audit::routes())
        .merge(ops::routes());
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .nest("/api/v1", api)
        .routes(routes!(observe::metrics))
        .routes(routes!(health::live))
        .routes(routes!(health::ready))
}

/// The OpenAPI document `/api/openapi.json` serves, its access rules completed.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut document = documented_routes().into_openapi();
    auth::secure(&mut document);
    document
}

/// The JSON of the document `/api/openapi.json` serves: [`openapi`] with the REST
/// conventions every operation shares written in ([`crate::openapi::complete`]).
pub fn document() -> serde_json::Value {
    completed(&openapi())
}

fn completed(openapi: &utoipa::openapi::OpenApi) -> serde_json::Value {
    let mut document = serde_json::to_value(openapi).unwrap_or_default();
    crate::openapi::complete(&mut document);
    document
}

/// The document as the handlers' annotations alone make it, before [`auth::secure`]
/// completes it: what each route itself declares.
pub fn declared_openapi() -> utoipa::openapi::OpenApi {
    documented_routes().into_openapi()
}

fn cors(origins: &[String]) -> CorsLayer {
    let allowed: Vec<HeaderValue> = origins
        .iter()
        .filter_map(|origin| HeaderValue::from_str(origin).ok())
        .collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(allowed))
        .allow_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::IF_MATCH,
            HeaderName::from_static("idempotency-key"),
            HeaderName::from_static(correlation::HEADER),
            HeaderName::from_static(consistency::HEADER),
        ])
        .expose_headers([
            header::CONTENT_DISPOSITION,
            header::ETAG,
            header::LOCATION,
            header::RETRY_AFTER,
            header::WWW_AUTHENTICATE,
            HeaderName::from_static(correlation::HEADER),
            HeaderName::from_static(consistency::HEADER),
        ])
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use tower::ServiceExt;

    use super::*;

    #[tokio::test]
    async fn an_api_route_added_outside_the_authentication_layers_is_refused_to_everyone() {
        let public = Router::new()
            .route("/api/v1/customers/leak", get(|| async { "personal data" }))
            .route("/problems/{slug}", get(|| async { "a page" }));
        let public = outside_the_api(public);
        let get = |uri: &str| {
            let request = axum::http::Request::get(uri).body(Body::empty()).unwrap();
            public.clone().oneshot(request)
        };
        let leak = get("/api/v1/customers/leak").await.unwrap();
        assert_eq!(leak.status(), axum::http::StatusCode::FORBIDDEN);
        let body = axum::body::to_bytes(leak.into_body(), 1 << 16)
            .await
            .unwrap();
        assert!(!String::from_utf8_lossy(&body).contains("personal data"));
        let page = get("/problems/not-found").await.unwrap();
        assert_eq!(page.status(), axum::http::StatusCode::OK);
    }

    #[test]
    fn every_component_the_document_refers_to_is_defined() {
        let document = document();
        let text = document.to_string();
        let dangling: Vec<&str> = text
            .split("\"#/components/")
            .skip(1)
            .filter_map(|rest| rest.split('"').next())
            .filter(|reference| {
                let (kind, name) = reference.split_once('/').unwrap_or((reference, ""));
                document["components"][kind].get(name).is_none()
            })
            .collect();
        assert!(dangling.is_empty(), "undefined components: {dangling:?}");
    }

    #[test]
    fn the_document_is_openapi_3_1_and_every_operation_has_a_tag() {
        let document = document();
        assert_eq!(document["openapi"], "3.1.0");
        for (path, operations) in document["paths"].as_object().unwrap() {
            for (method, operation) in operations.as_object().unwrap() {
                assert!(operation["tags"].is_array(), "{method} {path} has no tag");
            }
        }
    }
}
