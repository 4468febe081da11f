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
