//! The public event schemas (`contracts::events`), served so Kafka consumers outside
//! Pitlane can validate what they read: `/api/schemas/events` lists every event type
//! with its aggregate type, Kafka topic and schema address, and
//! `/api/schemas/events/{event_type}.json` is the JSON Schema of its payload (the same
//! files as `contracts/schemas/`). Public, like the OpenAPI document: they describe
//! the contract, not data.

use axum::Router;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use contracts::topics;
use serde_json::{Value, json};

use crate::extract::Path;
use crate::problem::{ApiError, ProblemKind};

const SCHEMA_JSON: &str = "application/schema+json";

pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/api/schemas/events", get(index))
        .route("/api/schemas/events/{file}", get(schema))
}

async fn index() -> Response {
    let routes = topics::routes(topics::DEFAULT_PREFIX);
    let events: Vec<Value> = contracts::events::schemas()
        .iter()
        .map(|(event_type, schema)| {
            let aggregate_type = schema["x-aggregate-type"].as_str().unwrap_or_default();
            let topic = routes
                .iter()
                .find(|(aggregate, _)| *aggregate == aggregate_type)
                .map(|(_, topic)| topic);
            json!({
                "event_type": event_type,
                "aggregate_type": aggregate_type,
                "topic": topic,
                "schema": format!("/api/schemas/events/{event_type}.json"),
            })
        })
        .collect();
    axum::Json(json!({ "events": events })).into_response()
}

async fn schema(Path(file): Path<String>) -> Response {
    let schema = file
        .strip_suffix(".json")
        .and_then(contracts::events::schema);
    match schema {
        Some(schema) => (
            [(header::CONTENT_TYPE, SCHEMA_JSON)],
            serde_json::to_string_pretty(&schema).unwrap_or_default(),
        )
            .into_response(),
        None => ApiError::new(
            ProblemKind::NotFound,
            format!("no event type `{file}` (see /api/schemas/events)"),
        )
        .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use tower::ServiceExt;

    use super::*;

    async fn get(path: &str) -> (StatusCode, Option<String>, Value) {
        let response = routes::<()>()
            .oneshot(Request::get(path).body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let content_type = response
            .headers()
            .get(header::CONTENT_TYPE)
            .map(|v| v.to_str().unwrap().to_owned());
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        (status, content_type, serde_json::from_slice(&body).unwrap())
    }

    #[tokio::test]
    async fn the_index_names_every_event_type_with_its_topic_and_schema() {
        let (status, _, index) = get("/api/schemas/events").await;
        assert_eq!(status, StatusCode::OK);
        let events = index["events"].as_array().unwrap();
        assert_eq!(events.len(), contracts::events::schemas().len());
        let registered = events
            .iter()
            .find(|e| e["event_type"] == "customer.registered.v1")
            .unwrap();
        assert_eq!(registered["topic"], "pitlane.customers.events");
        assert_eq!(
            registered["schema"],
            "/api/schemas/events/customer.registered.v1.json"
        );
    }

    #[tokio::test]
    async fn a_schema_is_the_committed_file_and_an_unknown_type_is_404() {
        let (status, content_type, schema) =
            get("/api/schemas/events/delivery.created.v1.json").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(content_type.as_deref(), Some(SCHEMA_JSON));
        let committed: Value = serde_json::from_str(include_str!(
            "../../contracts/schemas/delivery.created.v1.json"
        ))
        .unwrap();
        assert_eq!(schema, committed);

        let (status, _, problem) = get("/api/schemas/events/delivery.teleported.v1.json").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains("delivery.teleported.v1")
        );
    }
}
