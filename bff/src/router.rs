//! The HTTP router, built by a function tests call without a socket.

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

use crate::openapi::ApiDoc;
use crate::problem::{ApiError, ProblemKind};
use crate::rate_limit::{self, Limiter};
use crate::state::AppState;
use crate::{
    consistency, correlation, customers, deliveries, fleet, health, schedules, views, workshop,
};

/// Every route of the BFF with its middleware: correlation id, CORS, body limit,
/// rate limit, and a panic guard that answers 500 instead of dropping the connection.
pub fn router(state: AppState) -> Router {
    let api = OpenApiRouter::<AppState>::new()
        .merge(customers::routes())
        .merge(fleet::routes())
        .merge(workshop::routes())
        .merge(deliveries::routes())
        .merge(schedules::routes())
        .merge(views::routes());
    let (routes, openapi) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .nest("/api/v1", api)
        .routes(routes!(health::live))
        .routes(routes!(health::ready))
        .split_for_parts();
    let openapi_json = serde_json::to_string(&openapi).unwrap_or_default();
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
        .layer(DefaultBodyLimit::max(state.config.body_limit));
    if let Some(limit) = state.config.rate_limit {
        app = app.layer(middleware::from_fn_with_state(
            Limiter::new(limit),
            rate_limit::middleware,
        ));
    }
    let cors = cors(&state.config.cors_origins);
    app.with_state(state)
        .merge(swagger_ui_dist::generate_routes(
            swagger_ui_dist::ApiDefinition {
                uri_prefix: "/docs",
                api_definition: swagger_ui_dist::OpenApiSource::Uri("/api/openapi.json"),
                title: Some("Pitlane REST API"),
            },
        ))
        .layer(cors)
        .layer(middleware::from_fn(correlation::middleware))
        .layer(CatchPanicLayer::custom(|_| {
            ApiError::new(
                ProblemKind::UpstreamError,
                "the request failed unexpectedly",
            )
            .into_response()
        }))
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
            header::CONTENT_TYPE,
            header::IF_MATCH,
            HeaderName::from_static("idempotency-key"),
            HeaderName::from_static(correlation::HEADER),
            HeaderName::from_static(consistency::HEADER),
        ])
        .expose_headers([
            header::ETAG,
            header::LOCATION,
            header::RETRY_AFTER,
            HeaderName::from_static(correlation::HEADER),
            HeaderName::from_static(consistency::HEADER),
        ])
}
