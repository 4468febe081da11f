use prost_types::Timestamp;

use super::*;
use crate::shared::testing::assert_spoils_rejected;

const TECH: &str = "0190a0e4-0000-7000-8000-000000000001";
const JOB: &str = "0190a0e4-0000-7000-8000-000000000002";
const CUSTOMER: &str = "0190a0e4-0000-7000-8000-000000000003";
/// 2026-11-21T00:00:00Z
const MIDNIGHT: i64 = 1_795_219_200;

fn hour(h: i64) -> Option<Timestamp> {
    Some(Timestamp {
        seconds: MIDNIGHT + h * 3600,
        nanos: 0,
    })
}

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(MIDNIGHT, 0).unwrap()
}

fn register() -> v1::RegisterTechnicianRequest {
    v1::RegisterTechnicianRequest {
        technician_id: TECH.into(),
        name: " Ada ".into(),
        skills: vec![
            v1::ServiceCategory::Paint as i32,
            v1::ServiceCategory::Paint as i32,
        ],
        idempotency_key: None,
    }
}

fn technician() -> v1::TechnicianRef {
    v1::TechnicianRef {
        technician_id: TECH.into(),
        skills: vec![v1::ServiceCategory::Repairs as i32],
    }
}

/// [`technician`] with these raw skills.
fn with_skills(skills: Vec<i32>) -> Option<v1::TechnicianRef> {
    Some(v1::TechnicianRef {
        skills,
        ..technician()
    })
}

fn slot(start: Option<Timestamp>, end: Option<Timestamp>) -> Option<v1::Timeslot> {
    Some(v1::Timeslot { start, end })
}

fn plan() -> v1::PlanMaintenanceJobRequest {
    v1::PlanMaintenanceJobRequest {
        planning_date: "2026-11-21".into(),
        job_id: JOB.into(),
        slot: slot(hour(8), hour(10)),
        vehicle_license_number: "ab-123-c".into(),
        customer_id: CUSTOMER.into(),
        service: v1::MaintenanceService::CurbRashRepair as i32,
        description: "Front left rim".into(),
        technician: Some(technician()),
        idempotency_key: None,
    }
}

fn finish() -> v1::FinishMaintenanceJobRequest {
    v1::FinishMaintenanceJobRequest {
        planning_date: "2026-11-21".into(),
        job_id: JOB.into(),
        actual_start: hour(8),
        actual_end: hour(11),
        notes: "".into(),
        idempotency_key: None,
    }
}

#[test]
fn a_valid_register_request_converts_addressed_to_the_technician() {
    let addressed = register().into_command(now()).unwrap();
    assert_eq!(addressed.aggregate_id, TECH);
    assert_eq!(
        addressed.command,
        TechnicianCommand::Register {
            technician_id: TechnicianId::parse("t", TECH).unwrap(),
            name: Text::parse("name", "Ada").unwrap(),
            skills: [ServiceCategory::Paint].into(),
        }
    );
}

#[test]
fn bad_technician_requests_name_the_field() {
    assert_spoils_rejected(
        register(),
        &[
            ("technician_id", |r| r.technician_id = "x".into()),
            ("name", |r| r.name = " ".into()),
            ("name", |r| r.name = "n".repeat(201)),
            ("skills", |r| r.skills = vec![]),
            ("skills", |r| r.skills = vec![0]),
            ("skills", |r| r.skills = vec![1, 42]),
        ],
    );
    let update = |skills: Vec<i32>| v1::UpdateTechnicianRequest {
        technician_id: TECH.into(),
        name: "Ada".into(),
        skills,
        idempotency_key: None,
    };
    assert!(update(vec![4]).into_command(now()).is_ok());
    assert_spoils_rejected(
        update(vec![1]),
        &[
            ("skills", |r| r.skills = vec![]),
            ("skills", |r| r.skills = vec![0]),
            ("technician_id", |r| r.technician_id = "".into()),
        ],
    );
}

#[test]
fn deactivate_and_reactivate_need_a_technician_uuid() {
    let deactivate = |id: &str| v1::DeactivateTechnicianRequest {
        technician_id: id.into(),
        idempotency_key: None,
    };
    let reactivate = |id: &str| v1::ReactivateTechnicianRequest {
        technician_id: id.into(),
        idempotency_key: None,
    };
    let ok = deactivate(TECH).into_command(now()).unwrap();
    assert_eq!(
        (ok.aggregate_id.as_str(), ok.command),
        (TECH, TechnicianCommand::Deactivate)
    );
    let ok = reactivate(TECH).into_command(now()).unwrap();
    assert_eq!(
        (ok.aggregate_id.as_str(), ok.command),
        (TECH, TechnicianCommand::Reactivate)
    );
    assert_spoils_rejected(
        deactivate(TECH),
        &[("technician_id", |r| r.technician_id = "nope".into())],
    );
    assert_spoils_rejected(
        reactivate(TECH),
        &[("technician_id", |r| r.technician_id = "nope".into())],
    );
}

#[test]
fn a_valid_plan_request_converts_addressed_to_its_date() {
    let addressed = plan().into_command(now()).unwrap();
    assert_eq!(addressed.aggregate_id, "2026-11-21");
    let WorkshopPlanningCommand::PlanMaintenanceJob(job) = addressed.command else {
        panic!("not a plan command");
    };
    assert_eq!(job.vehicle.as_str(), "AB-123-C");
    assert_eq!(job.service, MaintenanceService::CurbRashRepair);
    assert_eq!(
        job.technician.map(|t| t.skills),
        Some([ServiceCategory::Repairs].into())
    );
    let without = v1::PlanMaintenanceJobRequest {
        technician: None,
        ..plan()
    };
    assert!(matches!(
        without.into_command(now()).unwrap().command,
        WorkshopPlanningCommand::PlanMaintenanceJob(PlanMaintenanceJob {
            technician: None,
            ..
        })
    ));
}

#[test]
fn bad_plan_requests_name_the_field() {
    assert_spoils_rejected(
        plan(),
        &[
            ("planning_date", |r| r.planning_date = "21-11-2026".into()),
            ("job_id", |r| r.job_id = "".into()),
            ("slot", |r| r.slot = None),
            ("slot.start", |r| r.slot = slot(None, hour(9))),
            ("slot.end", |r| r.slot = slot(hour(9), None)),
            ("slot.end", |r| r.slot = slot(hour(9), hour(9))),
            ("vehicle_license_number", |r| {
                r.vehicle_license_number = "ABC".into()
            }),
            ("customer_id", |r| r.customer_id = "42".into()),
            ("service", |r| r.service = 0),
            ("service", |r| r.service = 99),
            ("description", |r| r.description = "".into()),
            ("description", |r| r.description = "d".repeat(2001)),
            ("technician.technician_id", |r| {
                r.technician = Some(v1::TechnicianRef {
                    technician_id: "x".into(),
                    ..technician()
                })
            }),
            ("technician.skills", |r| r.technician = with_skills(vec![0])),
            ("technician.skills", |r| r.technician = with_skills(vec![7])),
        ],
    );
}

#[test]
fn assign_requests_need_a_technician_with_known_skills() {
    let assign = |technician| v1::AssignTechnicianRequest {
        planning_date: "2026-11-21".into(),
        job_id: JOB.into(),
        technician,
        idempotency_key: None,
    };
    let addressed = assign(Some(technician())).into_command(now()).unwrap();
    assert_eq!(addressed.aggregate_id, "2026-11-21");
    assert!(matches!(
        addressed.command,
        WorkshopPlanningCommand::AssignTechnician { .. }
    ));
    assert_spoils_rejected(
        assign(Some(technician())),
        &[
            ("technician", |r| r.technician = None),
            ("technician.skills", |r| r.technician = with_skills(vec![0])),
            ("technician.technician_id", |r| {
                r.technician = Some(v1::TechnicianRef {
                    technician_id: "".into(),
                    ..technician()
                })
            }),
            ("job_id", |r| r.job_id = "j".into()),
            ("planning_date", |r| r.planning_date = "".into()),
        ],
    );
}

#[test]
fn a_valid_finish_request_converts_with_blank_notes_as_none() {
    let addressed = finish().into_command(now()).unwrap();
    assert_eq!(addressed.aggregate_id, "2026-11-21");
    let WorkshopPlanningCommand::FinishMaintenanceJob { actual, notes, .. } = addressed.command
    else {
        panic!("not a finish command");
    };
    assert_eq!(notes, None);
    assert_eq!(actual.end() - actual.start(), chrono::Duration::hours(3));
}

#[test]
fn bad_finish_requests_name_the_field() {
    assert_spoils_rejected(
        finish(),
        &[
            ("planning_date", |r| r.planning_date = "x".into()),
            ("job_id", |r| r.job_id = "x".into()),
            ("actual_start", |r| r.actual_start = None),
            ("actual_end", |r| r.actual_end = None),
            ("actual_end", |r| r.actual_end = hour(8)),
            ("actual_end", |r| r.actual_end = hour(7)),
            ("notes", |r| r.notes = "n".repeat(2001)),
        ],
    );
}

#[test]
fn cancel_requests_need_a_reason_of_at_most_2000_characters() {
    let cancel = |reason: String| v1::CancelMaintenanceJobRequest {
        planning_date: "2026-11-21".into(),
        job_id: JOB.into(),
        reason,
        idempotency_key: None,
    };
    let addressed = cancel("Customer called off".into())
        .into_command(now())
        .unwrap();
    assert_eq!(addressed.aggregate_id, "2026-11-21");
    assert!(matches!(
        addressed.command,
        WorkshopPlanningCommand::CancelMaintenanceJob { .. }
    ));
    assert_spoils_rejected(
        cancel("r".into()),
        &[
            ("reason", |r| r.reason = " ".into()),
            ("reason", |r| r.reason = "r".repeat(2001)),
            ("job_id", |r| r.job_id = "".into()),
            ("planning_date", |r| r.planning_date = "".into()),
        ],
    );
}
