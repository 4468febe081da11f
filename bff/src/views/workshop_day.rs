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
use crate::problem::{ApiError, Problem};
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
        (status = 400, description = "A malformed date", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The planning could not be read", body = Problem, content_type = "application/problem+json")))]
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
mod tests {
    use axum::http::{Method, StatusCode};
    use chrono::TimeZone;

    use super::*;
    use crate::convert::timestamp;
    use crate::problem::ProblemKind;
    use crate::testing::{call, test_router};

    fn at(hour: u32, minute: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 5, 4, hour, minute, 0).unwrap()
    }

    fn job(id: &str, from: u32, to: u32, status: JobStatus) -> pb::MaintenanceJob {
        pb::MaintenanceJob {
            job_id: id.into(),
            planned_slot: Some(pb::Timeslot {
                start: Some(timestamp(at(from, 0))),
                end: Some(timestamp(at(to, 0))),
            }),
            status: status.to_proto(),
            ..Default::default()
        }
    }

    fn views(jobs: Vec<pb::MaintenanceJob>) -> Vec<JobView> {
        jobs.into_iter().map(JobView::from).collect()
    }

    fn segment(from: u32, to: u32, free: u32) -> CapacitySegment {
        CapacitySegment {
            start: at(from, 0),
            end: at(to, 0),
            free_workstations: free,
        }
    }

    #[test]
    fn a_day_without_planned_jobs_has_no_capacity_segments() {
        assert!(free_capacity(&[]).is_empty());
        let done = views(vec![job("a", 9, 10, JobStatus::Finished)]);
        assert!(free_capacity(&done).is_empty());
    }

    #[test]
    fn touching_jobs_do_not_overlap() {
        let jobs = views(vec![
            job("a", 9, 10, JobStatus::Planned),
            job("b", 10, 11, JobStatus::Planned),
        ]);
        assert_eq!(
            free_capacity(&jobs),
            vec![segment(9, 10, 2), segment(10, 11, 2)]
        );
    }

    #[test]
    fn three_overlapping_jobs_leave_no_workstation_free() {
        let jobs = views(vec![
            job("a", 9, 12, JobStatus::Planned),
            job("b", 10, 12, JobStatus::Planned),
            job("c", 11, 13, JobStatus::Planned),
        ]);
        assert_eq!(
            free_capacity(&jobs),
            vec![
                segment(9, 10, 2),
                segment(10, 11, 1),
                segment(11, 12, 0),
                segment(12, 13, 2),
            ]
        );
    }

    #[test]
    fn cancelled_and_finished_jobs_free_their_workstation() {
        let jobs = views(vec![
            job("a", 9, 12, JobStatus::Planned),
            job("b", 9, 12, JobStatus::Cancelled),
            job("c", 9, 12, JobStatus::Finished),
        ]);
        assert_eq!(free_capacity(&jobs), vec![segment(9, 12, 2)]);
    }

    #[test]
    fn a_gap_between_jobs_is_a_segment_with_every_workstation_free() {
        let jobs = views(vec![
            job("a", 9, 10, JobStatus::Planned),
            job("b", 13, 14, JobStatus::Planned),
        ]);
        assert_eq!(
            free_capacity(&jobs),
            vec![segment(9, 10, 2), segment(10, 13, 3), segment(13, 14, 2)]
        );
    }

    fn planning() -> pb::WorkshopPlanning {
        let mut assigned = job("a", 9, 10, JobStatus::Planned);
        assigned.technician_id = Some("t1".into());
        let mut cancelled = job("b", 10, 11, JobStatus::Cancelled);
        cancelled.technician_id = Some("t1".into());
        pb::WorkshopPlanning {
            date: "2026-05-04".into(),
            jobs: vec![assigned, cancelled],
            version: 3,
        }
    }

    fn date() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 5, 4).unwrap()
    }

    #[test]
    fn technicians_carry_the_jobs_they_hold_that_day() {
        let technicians = pb::ListTechniciansReply {
            technicians: vec![
                pb::Technician {
                    technician_id: "t1".into(),
                    name: "Mo".into(),
                    skills: vec![pb::ServiceCategory::Paint as i32],
                    ..Default::default()
                },
                pb::Technician {
                    technician_id: "t2".into(),
                    name: "Jo".into(),
                    ..Default::default()
                },
            ],
            page: None,
        };
        let day = compose(date(), planning(), Ok(technicians));
        assert!(!day.partial && day.missing.is_empty());
        assert_eq!(day.technicians[0].booked, vec!["a".to_owned()]);
        assert_eq!(day.technicians[0].skills, vec![ServiceCategory::Paint]);
        assert!(day.technicians[1].booked.is_empty());
        assert_eq!(day.jobs.len(), 2);
        assert_eq!(day.capacity, vec![segment(9, 10, 2)]);
    }

    #[test]
    fn a_failed_technicians_read_answers_a_partial_view_naming_technicians() {
        let down = ApiError::new(ProblemKind::UpstreamUnavailable, "down");
        let day = compose(date(), planning(), Err(down));
        assert!(day.partial);
        assert_eq!(day.missing, vec!["technicians".to_owned()]);
        assert!(day.technicians.is_empty());
        assert_eq!(day.jobs.len(), 2);
        assert_eq!(day.capacity, vec![segment(9, 10, 2)]);
        let json = serde_json::to_value(&day).unwrap();
        assert_eq!(json["partial"], true);
        assert_eq!(json["missing"][0], "technicians");
    }

    #[tokio::test]
    async fn a_malformed_day_is_a_400_naming_date() {
        let router = test_router().await;
        let response = call(
            &router,
            Method::GET,
            "/api/v1/views/workshop/04-05-2026",
            None,
        )
        .await;
        assert_eq!(response.status, StatusCode::BAD_REQUEST);
        assert_eq!(response.field(), Some("date"));
    }

    #[tokio::test]
    async fn a_day_whose_planning_cannot_be_read_is_a_503_not_a_partial_view() {
        let router = test_router().await;
        let response = call(
            &router,
            Method::GET,
            "/api/v1/views/workshop/2026-05-04",
            None,
        )
        .await;
        assert_eq!(response.status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(response.headers.contains_key("retry-after"));
    }
}
