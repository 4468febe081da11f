//! A delivery's life after creation: transit, checkpoints, out for delivery, proof,
//! failure and retry, incidents. Each is one command; the aggregate holds the rules.

use axum::extract::State;
use contracts::v1 as pb;
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::command;
use crate::commands::{Accepted, CommandResult};
use crate::extract::{Json, Path, RequestContext};
use crate::problem::ApiError;
use crate::state::AppState;

/// The route checkpoint reached, by its location (must match the route's).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReachCheckpoint {
    /// At most 200 characters.
    pub location: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProofOfDelivery {
    /// At most 200 characters.
    pub receiver_name: String,
    /// At most 500 characters.
    pub signature_reference: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FailDelivery {
    /// At most 2000 characters.
    pub reason: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportIncident {
    /// Chosen by the client (a UUID) or minted by the BFF when absent.
    pub incident_id: Option<Uuid>,
    /// Free-form, e.g. `delay`, `damage`.
    pub incident_type: String,
    /// At most 2000 characters.
    pub description: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolveIncident {
    /// At most 2000 characters.
    pub resolution: String,
}

/// `picked_up` → `in_transit`; needs a driver and a van.
#[utoipa::path(post, path = "/deliveries/{delivery_id}/start-transit", tag = "deliveries",
    security(("bearer" = ["dispatcher", "driver"])),
    params(("delivery_id" = String, Path, description = "The delivery's UUID")),
    responses(
        (status = 200, description = "In transit", body = CommandResult),
        (status = 409, description = "Not picked up, or no driver or van")))]
pub async fn start_transit(
    State(state): State<AppState>,
    Path(delivery_id): Path<Uuid>,
    ctx: RequestContext,
) -> Result<Accepted, ApiError> {
    let id = delivery_id.to_string();
    let request = pb::StartTransitRequest {
        delivery_id: id.clone(),
        idempotency_key: ctx.idempotency_key.clone(),
    };
    let reply = command!(state, ctx, deliveries.start_transit(request)).await?;
    Ok(Accepted::ok(id, &reply))
}

/// Reach the route's checkpoint with this sequence: in order, only while `in_transit`.
#[utoipa::path(post, path = "/deliveries/{delivery_id}/checkpoints/{sequence}/reach", tag = "deliveries",
    security(("bearer" = ["dispatcher", "driver"])),
    request_body = ReachCheckpoint,
    params(("delivery_id" = String, Path, description = "The delivery's UUID"),
        ("sequence" = u32, Path, description = "The route checkpoint's sequence")),
    responses(
        (status = 200, description = "Reached", body = CommandResult),
        (status = 409, description = "Not in transit, out of order, or not the route's checkpoint")))]
pub async fn reach_checkpoint(
    State(state): State<AppState>,
    Path((delivery_id, sequence)): Path<(Uuid, u32)>,
    ctx: RequestContext,
    Json(body): Json<ReachCheckpoint>,
) -> Result<Accepted, ApiError> {
    let id = delivery_id.to_string();
    let request = pb::ReachCheckpointRequest {
        delivery_id: id.clone(),
        sequence,
        location: body.location,
        idempotency_key: ctx.idempotency_key.clone(),
    };
    let reply = command!(state, ctx, deliveries.reach_checkpoint(request)).await?;
    Ok(Accepted::ok(id, &reply))
}

/// `in_transit` → `out_for_delivery`; needs every route checkpoint reached.
#[utoipa::path(post, path = "/deliveries/{delivery_id}/out-for-delivery", tag = "deliveries",
    security(("bearer" = ["dispatcher", "driver"])),
    params(("delivery_id" = String, Path, description = "The delivery's UUID")),
    responses(
        (status = 200, description = "Out for delivery", body = CommandResult),
        (status = 409, description = "Not in transit, or checkpoints left")))]
pub async fn mark_out_for_delivery(
    State(state): State<AppState>,
    Path(delivery_id): Path<Uuid>,
    ctx: RequestContext,
) -> Result<Accepted, ApiError> {
    let id = delivery_id.to_string();
    let request = pb::MarkOutForDeliveryRequest {
        delivery_id: id.clone(),
        idempotency_key: ctx.idempotency_key.clone(),
    };
    let reply = command!(state, ctx, deliveries.mark_out_for_delivery(request)).await?;
    Ok(Accepted::ok(id, &reply))
}

/// Capture the proof of delivery (only while `out_for_delivery`): the delivery is done.
#[utoipa::path(post, path = "/deliveries/{delivery_id}/proof-of-delivery", tag = "deliveries",
    security(("bearer" = ["dispatcher", "driver"])),
    request_body = ProofOfDelivery,
    params(("delivery_id" = String, Path, description = "The delivery's UUID")),
    responses(
        (status = 200, description = "Delivered", body = CommandResult),
        (status = 409, description = "Not out for delivery")))]
pub async fn capture_proof_of_delivery(
    State(state): State<AppState>,
    Path(delivery_id): Path<Uuid>,
    ctx: RequestContext,
    Json(body): Json<ProofOfDelivery>,
) -> Result<Accepted, ApiError> {
    let id = delivery_id.to_string();
    let request = pb::CaptureProofOfDeliveryRequest {
        delivery_id: id.clone(),
        receiver_name: body.receiver_name,
        signature_reference: body.signature_reference,
        idempotency_key: ctx.idempotency_key.clone(),
    };
    let reply = command!(state, ctx, deliveries.capture_proof_of_delivery(request)).await?;
    Ok(Accepted::ok(id, &reply))
}

/// Any status but `delivered` → `failed`, with the reason.
#[utoipa::path(post, path = "/deliveries/{delivery_id}/fail", tag = "deliveries",
    security(("bearer" = ["dispatcher", "driver"])),
    request_body = FailDelivery,
    params(("delivery_id" = String, Path, description = "The delivery's UUID")),
    responses(
        (status = 200, description = "Failed", body = CommandResult),
        (status = 409, description = "Already delivered or failed")))]
pub async fn fail_delivery(
    State(state): State<AppState>,
    Path(delivery_id): Path<Uuid>,
    ctx: RequestContext,
    Json(body): Json<FailDelivery>,
) -> Result<Accepted, ApiError> {
    let id = delivery_id.to_string();
    let request = pb::FailDeliveryRequest {
        delivery_id: id.clone(),
        reason: body.reason,
        idempotency_key: ctx.idempotency_key.clone(),
    };
    let reply = command!(state, ctx, deliveries.fail_delivery(request)).await?;
    Ok(Accepted::ok(id, &reply))
}

/// `failed` → `picked_up`: the delivery starts over.
#[utoipa::path(post, path = "/deliveries/{delivery_id}/retry", tag = "deliveries",
    security(("bearer" = ["dispatcher"])),
    params(("delivery_id" = String, Path, description = "The delivery's UUID")),
    responses(
        (status = 200, description = "Picked up again", body = CommandResult),
        (status = 409, description = "Not failed")))]
pub async fn retry_delivery(
    State(state): State<AppState>,
    Path(delivery_id): Path<Uuid>,
    ctx: RequestContext,
) -> Result<Accepted, ApiError> {
    let id = delivery_id.to_string();
    let request = pb::RetryDeliveryRequest {
        delivery_id: id.clone(),
        idempotency_key: ctx.idempotency_key.clone(),
    };
    let reply = command!(state, ctx, deliveries.retry_delivery(request)).await?;
    Ok(Accepted::ok(id, &reply))
}

/// Report an incident, in any status; the answer's id is the incident's.
#[utoipa::path(post, path = "/deliveries/{delivery_id}/incidents", tag = "deliveries",
    security(("bearer" = ["dispatcher", "driver"])),
    request_body = ReportIncident,
    params(("delivery_id" = String, Path, description = "The delivery's UUID")),
    responses(
        (status = 201, description = "Reported; `Location` is the delivery, which lists its incidents", body = CommandResult),
        (status = 409, description = "The incident id is taken")))]
pub async fn report_incident(
    State(state): State<AppState>,
    Path(delivery_id): Path<Uuid>,
    ctx: RequestContext,
    Json(body): Json<ReportIncident>,
) -> Result<Accepted, ApiError> {
    let id = delivery_id.to_string();
    let incident_id = body
        .incident_id
        .unwrap_or_else(|| ctx.new_id("incident"))
        .to_string();
    let request = pb::ReportIncidentRequest {
        delivery_id: id.clone(),
        incident_id: incident_id.clone(),
        incident_type: body.incident_type,
        description: body.description,
        idempotency_key: ctx.idempotency_key.clone(),
    };
    let reply = command!(state, ctx, deliveries.report_incident(request)).await?;
    Ok(Accepted::created(
        incident_id,
        &reply,
        format!("/api/v1/deliveries/{id}"),
    ))
}

/// Resolve an incident, in any status; a resolved one cannot be resolved again.
#[utoipa::path(post, path = "/deliveries/{delivery_id}/incidents/{incident_id}/resolve", tag = "deliveries",
    security(("bearer" = ["dispatcher", "driver"])),
    request_body = ResolveIncident,
    params(("delivery_id" = String, Path, description = "The delivery's UUID"),
        ("incident_id" = String, Path, description = "The incident's UUID")),
    responses(
        (status = 200, description = "Resolved; the id is the incident's", body = CommandResult),
        (status = 404, description = "No such delivery or incident"),
        (status = 409, description = "Already resolved")))]
pub async fn resolve_incident(
    State(state): State<AppState>,
    Path((delivery_id, incident_id)): Path<(Uuid, Uuid)>,
    ctx: RequestContext,
    Json(body): Json<ResolveIncident>,
) -> Result<Accepted, ApiError> {
    let id = delivery_id.to_string();
    let incident_id = incident_id.to_string();
    let request = pb::ResolveIncidentRequest {
        delivery_id: id,
        incident_id: incident_id.clone(),
        resolution: body.resolution,
        idempotency_key: ctx.idempotency_key.clone(),
    };
    let reply = command!(state, ctx, deliveries.resolve_incident(request)).await?;
    Ok(Accepted::ok(incident_id, &reply))
}

#[cfg(test)]
mod tests {
    use axum::http::{Method, StatusCode};

    use crate::testing::{call, test_router};

    const DELIVERY: &str = "/api/v1/deliveries/0190a4a0-0000-7000-8000-000000000002";

    #[tokio::test]
    async fn a_proof_with_a_number_as_receiver_name_is_a_422_naming_receiver_name() {
        let router = test_router().await;
        let uri = format!("{DELIVERY}/proof-of-delivery");
        let body = r#"{"receiver_name": 42, "signature_reference": "sig-1"}"#;
        let response = call(&router, Method::POST, &uri, Some(body)).await;
        assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(response.field(), Some("receiver_name"));
    }

    #[tokio::test]
    async fn a_non_numeric_checkpoint_sequence_to_reach_is_a_400_naming_sequence() {
        let router = test_router().await;
        let uri = format!("{DELIVERY}/checkpoints/2b/reach");
        let body = r#"{"location": "Depot North"}"#;
        let response = call(&router, Method::POST, &uri, Some(body)).await;
        assert_eq!(response.status, StatusCode::BAD_REQUEST);
        assert_eq!(response.field(), Some("sequence"));
    }

    #[tokio::test]
    async fn an_incident_without_a_description_is_a_422_naming_description() {
        let router = test_router().await;
        let uri = format!("{DELIVERY}/incidents");
        let body = r#"{"incident_type": "delay"}"#;
        let response = call(&router, Method::POST, &uri, Some(body)).await;
        assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(response.field(), Some("description"));
    }

    #[tokio::test]
    async fn a_malformed_incident_id_in_the_path_is_a_400_naming_incident_id() {
        let router = test_router().await;
        let uri = format!("{DELIVERY}/incidents/7/resolve");
        let body = r#"{"resolution": "waited"}"#;
        let response = call(&router, Method::POST, &uri, Some(body)).await;
        assert_eq!(response.status, StatusCode::BAD_REQUEST);
        assert_eq!(response.field(), Some("incident_id"));
    }

    #[tokio::test]
    async fn a_malformed_delivery_id_in_a_command_path_is_a_400_naming_delivery_id() {
        let router = test_router().await;
        for action in ["start-transit", "out-for-delivery", "retry"] {
            let uri = format!("/api/v1/deliveries/abc/{action}");
            let response = call(&router, Method::POST, &uri, None).await;
            assert_eq!(response.status, StatusCode::BAD_REQUEST, "{action}");
            assert_eq!(response.field(), Some("delivery_id"), "{action}");
        }
    }

    #[tokio::test]
    async fn a_failure_without_a_json_body_is_a_415() {
        let router = test_router().await;
        let uri = format!("{DELIVERY}/fail");
        let response = call(&router, Method::POST, &uri, None).await;
        assert_eq!(response.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    }

    #[tokio::test]
    async fn a_valid_lifecycle_command_meeting_a_dead_upstream_is_a_503_with_retry_after() {
        let router = test_router().await;
        let uri = format!("{DELIVERY}/start-transit");
        let response = call(&router, Method::POST, &uri, None).await;
        assert_eq!(response.status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(response.headers.contains_key("retry-after"));
    }
}
