//! A date's planning of maintenance jobs: its date and stream, the planning and job
//! views (with what the read models know of each job's vehicle and customer), and
//! reading them.

use axum::extract::State;
use axum::response::Response;
use chrono::NaiveDate;
use contracts::v1 as pb;
use serde::Serialize;
use utoipa::ToSchema;

use crate::commands::with_etag;
use crate::convert::{JobStatus, MaintenanceService, ServiceCategory, SlotDto};
use crate::extract::{Path, RequestContext};
use crate::problem::ApiError;
use crate::query;
use crate::scheduling::checks;
use crate::state::AppState;

/// The stream of a date's planning: what a read of it waits for.
pub(super) fn planning_stream(date: NaiveDate) -> String {
    format!("workshop_planning-{date}")
}

/// A date's planning; a date without jobs is an empty planning at version 0.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PlanningView {
    /// `yyyy-mm-dd`
    pub date: String,
    /// The aggregate version; also the `ETag`.
    pub version: u64,
    /// Ordered by planned start.
    pub jobs: Vec<JobView>,
}

/// A maintenance job with what the read models know of its vehicle and customer
/// (null while those read models lag: the planning stays readable regardless).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct JobView {
    pub job_id: String,
    pub planned_slot: Option<SlotDto>,
    /// Null only for a value this BFF does not know (a newer service).
    pub service: Option<MaintenanceService>,
    /// The service's category: the skill a technician needs.
    pub category: Option<ServiceCategory>,
    pub description: String,
    /// Null only for a value this BFF does not know (a newer service).
    pub status: Option<JobStatus>,
    pub vehicle_license_number: String,
    pub customer_id: String,
    pub technician_id: Option<String>,
    /// Empty while unknown to the technicians read model.
    pub technician_name: String,
    /// Set once finished.
    pub actual_slot: Option<SlotDto>,
    pub notes: String,
    /// Set once cancelled.
    pub cancellation_reason: String,
    pub vehicle: Option<VehicleSummary>,
    pub customer: Option<CustomerSummary>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VehicleSummary {
    pub brand: String,
    pub model: String,
}

/// Empty personal fields and `erased` after a GDPR erasure.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CustomerSummary {
    pub name: String,
    pub telephone: String,
    pub email: String,
    pub erased: bool,
}

impl From<pb::MaintenanceJob> for JobView {
    fn from(j: pb::MaintenanceJob) -> Self {
        JobView {
            planned_slot: j.planned_slot.as_ref().and_then(SlotDto::from_proto),
            service: MaintenanceService::from_proto(j.service),
            category: ServiceCategory::from_proto(j.category),
            status: JobStatus::from_proto(j.status),
            actual_slot: j.actual_slot.as_ref().and_then(SlotDto::from_proto),
            vehicle: j.vehicle.map(|v| VehicleSummary {
                brand: v.brand,
                model: v.model,
            }),
            customer: j.customer.map(|c| CustomerSummary {
                name: c.name,
                telephone: c.telephone,
                email: c.email,
                erased: c.erased,
            }),
            job_id: j.job_id,
            description: j.description,
            vehicle_license_number: j.vehicle_license_number,
            customer_id: j.customer_id,
            technician_id: j.technician_id,
            technician_name: j.technician_name,
            notes: j.notes,
            cancellation_reason: j.cancellation_reason,
        }
    }
}

impl From<pb::WorkshopPlanning> for PlanningView {
    fn from(p: pb::WorkshopPlanning) -> Self {
        PlanningView {
            date: p.date,
            version: p.version,
            jobs: p.jobs.into_iter().map(JobView::from).collect(),
        }
    }
}

/// Reads a date's planning.
pub async fn read_planning(
    state: &AppState,
    ctx: &RequestContext,
    date: NaiveDate,
    wait_for: Vec<pb::ConsistencyToken>,
) -> Result<pb::WorkshopPlanning, ApiError> {
    checks::waiting(ctx, wait_for, |wait_for| {
        query!(
            state,
            ctx,
            get_workshop_planning(pb::GetWorkshopPlanningRequest {
                wait_for,
                date: date.to_string(),
            })
        )
    })
    .await
}

/// Read a date's planning with its jobs; the `ETag` is the planning's version.
#[utoipa::path(get, path = "/workshop/plannings/{date}", tag = "workshop",
    security(("bearer" = ["planner", "auditor"])),
    params(("date" = String, Path, description = "The planning's date, yyyy-mm-dd"),
        ("after" = Option<String>, Query, description = "A consistency token to wait for")),
    responses(
        (status = 200, description = "The planning (empty, version 0, for a date without jobs)", body = PlanningView)))]
pub async fn get_planning(
    State(state): State<AppState>,
    Path(date): Path<NaiveDate>,
    ctx: RequestContext,
) -> Result<Response, ApiError> {
    let planning = read_planning(&state, &ctx, date, ctx.wait_for.clone()).await?;
    Ok(with_etag(planning.version, PlanningView::from(planning)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const JOB: &str = "0190a4a0-0000-7000-8000-000000000002";

    #[test]
    fn a_job_without_vehicle_or_customer_details_still_reads() {
        let job = pb::MaintenanceJob {
            job_id: JOB.into(),
            service: pb::MaintenanceService::TireRotation as i32,
            category: pb::ServiceCategory::Maintenance as i32,
            status: pb::JobStatus::Planned as i32,
            ..Default::default()
        };
        let view = JobView::from(job);
        assert_eq!(view.service, Some(MaintenanceService::TireRotation));
        assert_eq!(view.status, Some(JobStatus::Planned));
        assert!(view.vehicle.is_none() && view.customer.is_none());
        assert!(view.planned_slot.is_none());
    }
}
