use prost_types::Timestamp;

use super::*;

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

/// Converts and returns the field named by the error (panics if it converts).
fn bad_field<R: IntoCommand>(request: R) -> String {
    match request.into_command(now()) {
        Ok(_) => panic!("expected a field error"),
        Err(error) => error.field,
    }
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

fn plan() -> v1::PlanMaintenanceJobRequest {
    v1::PlanMaintenanceJobRequest {
        planning_date: "2026-11-21".into(),
        job_id: JOB.into(),
        slot: Some(v1::Timeslot {
            start: hour(8),
            end: hour(10),
        }),
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
    let cases: Vec<(v1::RegisterTechnicianRequest, &str)> = vec![
        (
            v1::RegisterTechnicianRequest {
                technician_id: "x".into(),
                ..register()
            },
            "technician_id",
        ),
        (
            v1::RegisterTechnicianRequest {
                name: " ".into(),
                ..register()
            },
            "name",
        ),
        (
            v1::RegisterTechnicianRequest {
                name: "n".repeat(201),
                ..register()
            },
            "name",
        ),
        (
            v1::RegisterTechnicianRequest {
                skills: vec![],
                ..register()
            },
            "skills",
        ),
        (
            v1::RegisterTechnicianRequest {
                skills: vec![0],
                ..register()
            },
            "skills",
        ),
        (
            v1::RegisterTechnicianRequest {
                skills: vec![1, 42],
                ..register()
            },
            "skills",
        ),
    ];
    for (request, field) in cases {
        assert_eq!(bad_field(request), field);
    }
    let update = |skills: Vec<i32>| v1::UpdateTechnicianRequest {
        technician_id: TECH.into(),
        name: "Ada".into(),
        skills,
        idempotency_key: None,
    };
    assert!(update(vec![4]).into_command(now()).is_ok());
    assert_eq!(bad_field(update(vec![])), "skills");
    assert_eq!(bad_field(update(vec![0])), "skills");
    assert_eq!(
        bad_field(v1::UpdateTechnicianRequest {
            technician_id: "".into(),
            ..update(vec![1])
        }),
        "technician_id"
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
    assert_eq!(bad_field(deactivate("nope")), "technician_id");
    assert_eq!(bad_field(reactivate("nope")), "technician_id");
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
    let slot = |start, end| Some(v1::Timeslot { start, end });
    let with_skills = |skills| {
        Some(v1::TechnicianRef {
            skills,
            ..technician()
        })
    };
    let cases: Vec<(v1::PlanMaintenanceJobRequest, &str)> = vec![
        (
            v1::PlanMaintenanceJobRequest {
                planning_date: "21-11-2026".into(),
                ..plan()
            },
            "planning_date",
        ),
        (
            v1::PlanMaintenanceJobRequest {
                job_id: "".into(),
                ..plan()
            },
            "job_id",
        ),
        (
            v1::PlanMaintenanceJobRequest {
                slot: None,
                ..plan()
            },
            "slot",
        ),
        (
            v1::PlanMaintenanceJobRequest {
                slot: slot(None, hour(9)),
                ..plan()
            },
            "slot.start",
        ),
        (
            v1::PlanMaintenanceJobRequest {
                slot: slot(hour(9), None),
                ..plan()
            },
            "slot.end",
        ),
        (
            v1::PlanMaintenanceJobRequest {
                slot: slot(hour(9), hour(9)),
                ..plan()
            },
            "slot.end",
        ),
        (
            v1::PlanMaintenanceJobRequest {
                vehicle_license_number: "ABC".into(),
                ..plan()
            },
            "vehicle_license_number",
        ),
        (
            v1::PlanMaintenanceJobRequest {
                customer_id: "42".into(),
                ..plan()
            },
            "customer_id",
        ),
        (
            v1::PlanMaintenanceJobRequest {
                service: 0,
                ..plan()
            },
            "service",
        ),
        (
            v1::PlanMaintenanceJobRequest {
                service: 99,
                ..plan()
            },
            "service",
        ),
        (
            v1::PlanMaintenanceJobRequest {
                description: "".into(),
                ..plan()
            },
            "description",
        ),
        (
            v1::PlanMaintenanceJobRequest {
                description: "d".repeat(2001),
                ..plan()
            },
            "description",
        ),
        (
            v1::PlanMaintenanceJobRequest {
                technician: Some(v1::TechnicianRef {
                    technician_id: "x".into(),
                    ..technician()
                }),
                ..plan()
            },
            "technician.technician_id",
        ),
        (
            v1::PlanMaintenanceJobRequest {
                technician: with_skills(vec![0]),
                ..plan()
            },
            "technician.skills",
        ),
        (
            v1::PlanMaintenanceJobRequest {
                technician: with_skills(vec![7]),
                ..plan()
            },
            "technician.skills",
        ),
    ];
    for (request, field) in cases {
        assert_eq!(bad_field(request), field);
    }
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
    assert_eq!(bad_field(assign(None)), "technician");
    let unknown_skill = v1::TechnicianRef {
        skills: vec![0],
        ..technician()
    };
    assert_eq!(bad_field(assign(Some(unknown_skill))), "technician.skills");
    let bad_id = v1::TechnicianRef {
        technician_id: "".into(),
        ..technician()
    };
    assert_eq!(bad_field(assign(Some(bad_id))), "technician.technician_id");
    let bad_job = v1::AssignTechnicianRequest {
        job_id: "j".into(),
        ..assign(Some(technician()))
    };
    assert_eq!(bad_field(bad_job), "job_id");
    let bad_date = v1::AssignTechnicianRequest {
        planning_date: "".into(),
        ..assign(Some(technician()))
    };
    assert_eq!(bad_field(bad_date), "planning_date");
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
    let cases: Vec<(v1::FinishMaintenanceJobRequest, &str)> = vec![
        (
            v1::FinishMaintenanceJobRequest {
                planning_date: "x".into(),
                ..finish()
            },
            "planning_date",
        ),
        (
            v1::FinishMaintenanceJobRequest {
                job_id: "x".into(),
                ..finish()
            },
            "job_id",
        ),
        (
            v1::FinishMaintenanceJobRequest {
                actual_start: None,
                ..finish()
            },
            "actual_start",
        ),
        (
            v1::FinishMaintenanceJobRequest {
                actual_end: None,
                ..finish()
            },
            "actual_end",
        ),
        (
            v1::FinishMaintenanceJobRequest {
                actual_end: hour(8),
                ..finish()
            },
            "actual_end",
        ),
        (
            v1::FinishMaintenanceJobRequest {
                actual_end: hour(7),
                ..finish()
            },
            "actual_end",
        ),
        (
            v1::FinishMaintenanceJobRequest {
                notes: "n".repeat(2001),
                ..finish()
            },
            "notes",
        ),
    ];
    for (request, field) in cases {
        assert_eq!(bad_field(request), field);
    }
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
    assert_eq!(bad_field(cancel(" ".into())), "reason");
    assert_eq!(bad_field(cancel("r".repeat(2001))), "reason");
    let bad_job = v1::CancelMaintenanceJobRequest {
        job_id: "".into(),
        ..cancel("r".into())
    };
    assert_eq!(bad_field(bad_job), "job_id");
    let bad_date = v1::CancelMaintenanceJobRequest {
        planning_date: "".into(),
        ..cancel("r".into())
    };
    assert_eq!(bad_field(bad_date), "planning_date");
}
