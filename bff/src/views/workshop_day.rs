//! `/api/v1/views/workshop/{date}`: the workshop's day on one screen — the planning's
//! jobs, the active technicians with the jobs they hold, and the free workstations
//! through the day. The planning and the technicians are read in parallel; the
//! planning is the main entity (its failure fails the request), the technicians are
//! secondary (their failure answers `partial: true, missing: ["technicians"]`).

use axum::extract::State;
use chrono::{DateTime, NaiveDate, Utc};
use contracts::v1 as pb;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::convert::{JobStatus, ServiceCategory, SlotDto, page_request};
use crate::extract::{Path, RequestContext};
use crate::problem::ApiError;
use crate::query;
use crate::state::AppState;
use crate::workshop::{JobView, read_planning, skills_of};

/// The workshop's workstations (DOMAIN.md): at most this many jobs overlap.
pub const WORKSTATIONS: u32 = 3;

/// The most technicians one view lists (the query service's largest page).
const TECHNICIANS_PAGE: u32 = 500;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(workshop_day))
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WorkshopDay {
    /// `yyyy-mm-dd`
    pub date: String,
    /// Ordered by planned start.
    pub jobs: Vec<JobView>,
    /// The active technicians; empty when `missing` names them.
    pub technicians: Vec<TechnicianDay>,
    /// The day from the first planned job's start to the last one's end, cut at every
    /// planned start and end; empty when nothing is planned.
    pub capacity: Vec<CapacitySegment>,
    /// True when a secondary part could not be read; `missing` names it.
    pub partial: bool,
    pub missing: Vec<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TechnicianDay {
    pub technician_id: String,
    pub name: String,
    pub skills: Vec<ServiceCategory>,
    /// The day's jobs assigned to the technician, planned or finished (not cancelled).
    pub booked: Vec<String>,
}

/// A stretch of the day with the same planned jobs running.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct CapacitySegment {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub free_workstations: u32,
}

/// Read a workshop day: jobs, active technicians with their bookings, free capacity.
#[utoipa::path(get, path = "/views/workshop/{date}", tag = "views",
    security(("bearer" = ["planner", "auditor"])),
    params(("date" = String, Path, description = "The day, yyyy-mm-dd"),
        ("after" = Option<String>, Query, description = "A consistency token to wait for")),
    responses(
        (status = 200, description = "The day; `partial` when the technicians could not be read", body = WorkshopDay),
        (status = 503, description = "The planning could not be read")))]
pub async fn workshop_day(
    State(state): State<AppState>,
    Path(date): Path<NaiveDate>,
    ctx: RequestContext,
) -> Result<axum::Json<WorkshopDay>, ApiError> {
    let technicians = query!(
        state,
        ctx,
        list_technicians(pb::ListTechniciansRequest {
            wait_for: ctx.wait_for.clone(),
            page: Some(page_request(Some(TECHNICIANS_PAGE), None)),
            status: pb::TechnicianStatus::Active as i32,
            ..Default::default()
        })
    );
    let planning = read_planning(&state, &ctx, date, ctx.wait_for.clone());
    let (planning, technicians) = tokio::join!(planning, technicians);
    Ok(axum::Json(compose(date, planning?, technicians)))
}

/// The view from its reads: the planning, and the technicians or why they are missing.
pub fn compose(
    date: NaiveDate,
    planning: pb::WorkshopPlanning,
    technicians: Result<pb::ListTechniciansReply, ApiError>,
) -> WorkshopDay {
    let jobs: Vec<JobView> = planning.jobs.into_iter().map(JobView::from).collect();
    let mut missing = Vec::new();
    let technicians = match technicians {
        Ok(reply) => reply
            .technicians
            .into_iter()
            .map(|t| TechnicianDay {
                booked: booked_jobs(&jobs, &t.technician_id),
                skills: skills_of(&t.skills),
                technician_id: t.technician_id,
                name: t.name,
            })
            .collect(),
        Err(error) => {
            tracing::warn!(problem = %error, %date, "workshop day without its technicians");
            missing.push("technicians".to_owned());
            Vec::new()
        }
    };
    WorkshopDay {
        date: date.to_string(),
        capacity: free_capacity(&jobs),
        jobs,
        technicians,
        partial: !missing.is_empty(),
        missing,
    }
}

fn booked_jobs(jobs: &[JobView], technician_id: &str) -> Vec<String> {
    jobs.iter()
        .filter(|job| job.technician_id.as_deref() == Some(technician_id))
        .filter(|job| job.status != Some(JobStatus::Cancelled))
        .map(|job| job.job_id.clone())
        .collect()
}

/// The free workstations through the day: cut at every planned job's start and end,
/// each segment has [`WORKSTATIONS`] minus the planned jobs overlapping it. Finished
/// and cancelled jobs hold no workstation; touching jobs do not overlap.
pub fn free_capacity(jobs: &[JobView]) -> Vec<CapacitySegment> {
    let planned: Vec<&SlotDto> = jobs
        .iter()
        .filter(|job| job.status == Some(JobStatus::Planned))
        .filter_map(|job| job.planned_slot.as_ref())
        .filter(|slot| slot.start < slot.end)
        .collect();
    let mut cuts: Vec<DateTime<Utc>> = planned.iter().flat_map(|s| [s.start, s.end]).collect();
    cuts.sort_unstable();
    cuts.dedup();
    cuts.windows(2)
        .map(|pair| {
            let segment = SlotDto {
                start: pair[0],
                end: pair[1],
            };
            let busy = planned
                .iter()
                .filter(|slot| slot.overlaps(&segment))
                .count();
            CapacitySegment {
                free_workstations: WORKSTATIONS.saturating_sub(busy as u32),
                start: segment.start,
                end: segment.end,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests;
