//! Maintenance jobs on a date's planning: plan, assign a technician, finish, cancel.
//! Planning and assigning book the vehicle and technician under the scheduling
//! protocol ([`super::booking`]).

use axum::extract::State;
use chrono::{DateTime, NaiveDate, Utc};
use contracts::v1 as pb;
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::booking::Booking;
use super::plannings::planning_stream;
use crate::command;
use crate::commands::{Accepted, CommandResult, token_of};
use crate::convert::{MaintenanceService, SlotDto, timestamp};
use crate::extract::{Json, Path, RequestContext};
use crate::problem::ApiError;
use crate::scheduling::Resource;
use crate::state::AppState;

/// A maintenance job to plan on the path's date.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanJob {
    /// Chosen by the client (a UUID) or minted by the BFF when absent.
    pub job_id: Option<Uuid>,
    /// Start and end on the planning's date, start before end.
    pub slot: SlotDto,
    /// A registered vehicle, any case.
    pub vehicle_license_number: String,
    /// A registered customer.
    pub customer_id: Uuid,
    pub service: MaintenanceService,
    pub description: String,
    /// An active technician holding the service's category, to assign right away.
    pub technician_id: Option<Uuid>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignTechnician {
    /// An active technician holding the job's category.
    pub technician_id: Uuid,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FinishJob {
    #[serde(deserialize_with = "crate::extract::operation_time")]
    pub actual_start: DateTime<Utc>,
    /// After `actual_start`.
    #[serde(deserialize_with = "crate::extract::operation_time")]
    pub actual_end: DateTime<Utc>,
    #[serde(default)]
    pub notes: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelJob {
    pub reason: String,
}

/// Plan a maintenance job on a date, booking the vehicle (and the technician, if given)
/// under the scheduling protocol.
#[utoipa::path(post, path = "/workshop/plannings/{date}/jobs", tag = "workshop",
    security(("bearer" = ["planner"])),
    request_body = PlanJob,
    params(("date" = String, Path, description = "The planning's date, yyyy-mm-dd")),
    responses(
        (status = 201, description = "Planned; `id` is the job's id", body = CommandResult),
        (status = 409, description = "The vehicle or technician is booked in an overlapping slot (`schedule-conflict`, naming the holder), or a planning rule refused the job (`rule-violation`: all 3 workstations taken, technician inactive or lacking the skill…)"),
        (status = 404, description = "A customer, vehicle or technician the body names does not exist (`field` names it)"),
        (status = 503, description = "A booking of the same vehicle or technician is under way, or a backend is unavailable; retry")))]
pub async fn plan_maintenance_job(
    State(state): State<AppState>,
    Path(date): Path<NaiveDate>,
    ctx: RequestContext,
    Json(body): Json<PlanJob>,
) -> Result<Accepted, ApiError> {
    ensure_ordered("slot", &body.slot)?;
    let job_id = body.job_id.unwrap_or_else(|| ctx.new_id("job")).to_string();
    let vehicle = Resource::vehicle(body.vehicle_license_number.trim());
    let technician = body
        .technician_id
        .map(|t| Resource::technician(t.to_string()));
    let mut resources = vec![vehicle.clone()];
    resources.extend(technician.clone());
    let (state, ctx, body) = (&state, &ctx, &body);
    let reply = state
        .scheduler
        .guard(&resources, &[planning_stream(date)], |tokens| async move {
            let booking = Booking {
                state,
                ctx,
                tokens: &tokens,
            };
            let technician = booking
                .check_plan(&body.slot, &job_id, body.customer_id, &vehicle, technician)
                .await?;
            let request = pb::PlanMaintenanceJobRequest {
                planning_date: date.to_string(),
                job_id: job_id.clone(),
                slot: Some(body.slot.to_proto()),
                vehicle_license_number: vehicle.id.clone(),
                customer_id: body.customer_id.to_string(),
                service: body.service.to_proto(),
                description: body.description.clone(),
                technician,
                idempotency_key: ctx.idempotency_key.clone(),
            };
            let reply = command!(state, ctx, workshop.plan_maintenance_job(request)).await?;
            let token = token_of(&reply);
            Ok(((job_id, reply), Some(token)))
        })
        .await?;
    let (job_id, reply) = reply;
    Ok(Accepted::created(
        job_id,
        &reply,
        format!("/api/v1/workshop/plannings/{date}"),
    ))
}

/// Assign (or reassign) a technician to a planned job, booking the technician in the
/// job's planned slot under the scheduling protocol.
#[utoipa::path(put, path = "/workshop/plannings/{date}/jobs/{job_id}/technician", tag = "workshop",
    security(("bearer" = ["planner"])),
    request_body = AssignTechnician,
    params(("date" = String, Path, description = "The planning's date, yyyy-mm-dd"),
        ("job_id" = String, Path, description = "The job's UUID")),
    responses(
        (status = 200, description = "Assigned; `id` is the job's id", body = CommandResult),
        (status = 404, description = "No such job on that date, or no technician the body names (`field`)"),
        (status = 409, description = "The technician is booked in an overlapping slot (`schedule-conflict`), or a rule refused it (`rule-violation`: inactive, lacking the skill, job not planned)"),
        (status = 503, description = "A booking of the same technician is under way, or a backend is unavailable; retry")))]
pub async fn assign_technician(
    State(state): State<AppState>,
    Path((date, job_id)): Path<(NaiveDate, Uuid)>,
    ctx: RequestContext,
    Json(body): Json<AssignTechnician>,
) -> Result<Accepted, ApiError> {
    let job_id = job_id.to_string();
    let technician = Resource::technician(body.technician_id.to_string());
    let (state, ctx, job, resource) = (&state, &ctx, job_id.as_str(), &technician);
    let reply = state
        .scheduler
        .guard(
            std::slice::from_ref(resource),
            &[planning_stream(date)],
            |tokens| async move {
                let booking = Booking {
                    state,
                    ctx,
                    tokens: &tokens,
                };
                let technician = booking.check_assign(date, job, resource).await?;
                let request = pb::AssignTechnicianRequest {
                    planning_date: date.to_string(),
                    job_id: job.to_owned(),
                    technician: Some(technician),
                    idempotency_key: ctx.idempotency_key.clone(),
                };
                let reply = command!(state, ctx, workshop.assign_technician(request)).await?;
                let token = token_of(&reply);
                Ok((reply, Some(token)))
            },
        )
        .await?;
    Ok(Accepted::ok(job_id, &reply))
}

/// Finish a planned job with its actual times and notes.
#[utoipa::path(post, path = "/workshop/plannings/{date}/jobs/{job_id}/finish", tag = "workshop",
    security(("bearer" = ["planner"])),
    request_body = FinishJob,
    params(("date" = String, Path, description = "The planning's date, yyyy-mm-dd"),
        ("job_id" = String, Path, description = "The job's UUID")),
    responses(
        (status = 200, description = "Finished; `id` is the job's id", body = CommandResult),
        (status = 409, description = "The job is not planned"),
        (status = 422, description = "A field is invalid (e.g. `actual_end` not after `actual_start`)")))]
pub async fn finish_maintenance_job(
    State(state): State<AppState>,
    Path((date, job_id)): Path<(NaiveDate, Uuid)>,
    ctx: RequestContext,
    Json(body): Json<FinishJob>,
) -> Result<Accepted, ApiError> {
    let job_id = job_id.to_string();
    let request = pb::FinishMaintenanceJobRequest {
        planning_date: date.to_string(),
        job_id: job_id.clone(),
        actual_start: Some(timestamp(body.actual_start)),
        actual_end: Some(timestamp(body.actual_end)),
        notes: body.notes,
        idempotency_key: ctx.idempotency_key.clone(),
    };
    let reply = command!(state, ctx, workshop.finish_maintenance_job(request)).await?;
    Ok(Accepted::ok(job_id, &reply))
}

/// Cancel a planned job, freeing its workstation, vehicle and technician.
#[utoipa::path(post, path = "/workshop/plannings/{date}/jobs/{job_id}/cancel", tag = "workshop",
    security(("bearer" = ["planner"])),
    request_body = CancelJob,
    params(("date" = String, Path, description = "The planning's date, yyyy-mm-dd"),
        ("job_id" = String, Path, description = "The job's UUID")),
    responses(
        (status = 200, description = "Cancelled; `id` is the job's id", body = CommandResult),
        (status = 409, description = "The job is not planned")))]
pub async fn cancel_maintenance_job(
    State(state): State<AppState>,
    Path((date, job_id)): Path<(NaiveDate, Uuid)>,
    ctx: RequestContext,
    Json(body): Json<CancelJob>,
) -> Result<Accepted, ApiError> {
    let job_id = job_id.to_string();
    let request = pb::CancelMaintenanceJobRequest {
        planning_date: date.to_string(),
        job_id: job_id.clone(),
        reason: body.reason,
        idempotency_key: ctx.idempotency_key.clone(),
    };
    let reply = command!(state, ctx, workshop.cancel_maintenance_job(request)).await?;
    Ok(Accepted::ok(job_id, &reply))
}

/// A slot's start must come before its end. Checked here and not only by the
/// aggregate because the schedule checks read `[start, end)` first, and an inverted
/// range would come back as an error about the schedule query's own `to`.
fn ensure_ordered(field: &str, slot: &SlotDto) -> Result<(), ApiError> {
    if slot.start < slot.end {
        Ok(())
    } else {
        Err(ApiError::invalid(
            format!("{field}.end"),
            "must be after the start",
        ))
    }
}

#[cfg(test)]
mod tests {
    use axum::http::{Method, StatusCode};

    use crate::testing::{call, test_router};

    const CUSTOMER: &str = "0190a4a0-0000-7000-8000-000000000001";
    const JOB: &str = "0190a4a0-0000-7000-8000-000000000002";

    fn plan_body(slot: &str, service: &str) -> String {
        format!(
            r#"{{"slot": {slot}, "vehicle_license_number": "ab-123-c",
                "customer_id": "{CUSTOMER}", "service": "{service}",
                "description": "front tires worn"}}"#
        )
    }

    const SLOT: &str = r#"{"start": "2026-05-04T09:00:00Z", "end": "2026-05-04T10:00:00Z"}"#;

    #[tokio::test]
    async fn a_malformed_planning_date_is_a_400_naming_date() {
        let router = test_router().await;
        let get = call(
            &router,
            Method::GET,
            "/api/v1/workshop/plannings/2026-13-01",
            None,
        )
        .await;
        assert_eq!(get.status, StatusCode::BAD_REQUEST);
        assert_eq!(get.field(), Some("date"));
        let body = plan_body(SLOT, "tire_rotation");
        let plan = call(
            &router,
            Method::POST,
            "/api/v1/workshop/plannings/tomorrow/jobs",
            Some(&body),
        )
        .await;
        assert_eq!(plan.status, StatusCode::BAD_REQUEST);
        assert_eq!(plan.field(), Some("date"));
    }

    #[tokio::test]
    async fn a_missing_slot_end_is_a_422_naming_slot_end() {
        let router = test_router().await;
        let body = plan_body(r#"{"start": "2026-05-04T09:00:00Z"}"#, "tire_rotation");
        let response = call(
            &router,
            Method::POST,
            "/api/v1/workshop/plannings/2026-05-04/jobs",
            Some(&body),
        )
        .await;
        assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(response.field(), Some("slot.end"));
    }

    #[tokio::test]
    async fn a_slot_ending_before_it_starts_is_a_422_naming_slot_end() {
        let router = test_router().await;
        let body = plan_body(
            r#"{"start": "2026-05-04T10:00:00Z", "end": "2026-05-04T09:00:00Z"}"#,
            "tire_rotation",
        );
        let response = call(
            &router,
            Method::POST,
            "/api/v1/workshop/plannings/2026-05-04/jobs",
            Some(&body),
        )
        .await;
        assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(response.field(), Some("slot.end"));
    }

    #[tokio::test]
    async fn an_unknown_service_is_a_422_naming_service() {
        let router = test_router().await;
        let body = plan_body(SLOT, "car_wash");
        let response = call(
            &router,
            Method::POST,
            "/api/v1/workshop/plannings/2026-05-04/jobs",
            Some(&body),
        )
        .await;
        assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(response.field(), Some("service"));
    }

    #[tokio::test]
    async fn a_valid_plan_request_meeting_a_dead_upstream_is_a_503_not_a_500() {
        let router = test_router().await;
        let body = plan_body(SLOT, "tire_rotation");
        let response = call(
            &router,
            Method::POST,
            "/api/v1/workshop/plannings/2026-05-04/jobs",
            Some(&body),
        )
        .await;
        assert_eq!(response.status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(response.headers.contains_key("retry-after"));
    }

    #[tokio::test]
    async fn a_malformed_technician_to_assign_is_a_422_naming_technician_id() {
        let router = test_router().await;
        let uri = format!("/api/v1/workshop/plannings/2026-05-04/jobs/{JOB}/technician");
        let response = call(
            &router,
            Method::PUT,
            &uri,
            Some(r#"{"technician_id": "bob"}"#),
        )
        .await;
        assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(response.field(), Some("technician_id"));
    }

    #[tokio::test]
    async fn a_malformed_job_id_in_the_path_is_a_400_naming_job_id() {
        let router = test_router().await;
        let response = call(
            &router,
            Method::POST,
            "/api/v1/workshop/plannings/2026-05-04/jobs/42/cancel",
            Some(r#"{"reason": "customer called"}"#),
        )
        .await;
        assert_eq!(response.status, StatusCode::BAD_REQUEST);
        assert_eq!(response.field(), Some("job_id"));
    }

    #[tokio::test]
    async fn a_finish_without_its_actual_end_is_a_422_naming_actual_end() {
        let router = test_router().await;
        let uri = format!("/api/v1/workshop/plannings/2026-05-04/jobs/{JOB}/finish");
        let response = call(
            &router,
            Method::POST,
            &uri,
            Some(r#"{"actual_start": "2026-05-04T09:05:00Z", "notes": "done"}"#),
        )
        .await;
        assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(response.field(), Some("actual_end"));
    }
}
