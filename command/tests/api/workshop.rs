use contracts::v1::{
    CancelMaintenanceJobRequest, FinishMaintenanceJobRequest, PlanMaintenanceJobRequest,
    ServiceCategory, TechnicianRef,
};
use tonic::Code;

use crate::helpers::{detail, maintenance_job, new_id, spawn_app, timestamp};

#[tokio::test]
async fn the_first_job_of_a_date_creates_its_planning_and_books_its_vehicle() {
    let app = spawn_app().await;
    let reply = app
        .workshop()
        .plan_maintenance_job(maintenance_job(
            "AB-123-C",
            "2026-12-01T08:00:00Z",
            "2026-12-01T10:00:00Z",
        ))
        .await
        .expect("planned")
        .into_inner();
    assert_eq!(reply.aggregate_id, "2026-12-01");
    let types: Vec<String> = app
        .all_events()
        .await
        .into_iter()
        .map(|e| e.event_type)
        .collect();
    assert_eq!(
        types,
        vec![
            "workshop.planning_created.v1",
            "workshop.job_planned.v1",
            "schedule.slot_reserved.v1"
        ]
    );
}

#[tokio::test]
async fn a_fourth_overlapping_job_is_failed_precondition_with_a_stable_reason() {
    let app = spawn_app().await;
    let mut workshop = app.workshop();
    for vehicle in ["AA-1-A", "BB-2-B", "CC-3-C"] {
        workshop
            .plan_maintenance_job(maintenance_job(
                vehicle,
                "2026-12-01T08:00:00Z",
                "2026-12-01T10:00:00Z",
            ))
            .await
            .expect("three workstations");
    }
    let before = app.all_events().await.len();
    let status = workshop
        .plan_maintenance_job(maintenance_job(
            "DD-4-D",
            "2026-12-01T09:00:00Z",
            "2026-12-01T11:00:00Z",
        ))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition);
    assert_eq!(detail(&status).reason, "too_many_overlapping_jobs");
    assert_eq!(
        app.all_events().await.len(),
        before,
        "a rejected command appends nothing"
    );
}

#[tokio::test]
async fn a_slot_outside_the_planning_date_or_reversed_names_the_field() {
    let app = spawn_app().await;
    let mut workshop = app.workshop();
    let reversed = maintenance_job("AB-123-C", "2026-12-01T10:00:00Z", "2026-12-01T08:00:00Z");
    let fine = maintenance_job("AB-123-C", "2026-12-01T08:00:00Z", "2026-12-01T09:00:00Z");
    for (request, field) in [
        (reversed.clone(), "slot.end"),
        (
            PlanMaintenanceJobRequest {
                slot: None,
                ..reversed
            },
            "slot",
        ),
        (
            PlanMaintenanceJobRequest {
                vehicle_license_number: "not a plate".into(),
                ..fine.clone()
            },
            "vehicle_license_number",
        ),
        (PlanMaintenanceJobRequest { service: 0, ..fine }, "service"),
    ] {
        let status = workshop.plan_maintenance_job(request).await.unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument, "{field}");
        assert_eq!(detail(&status).field, field);
    }

    let other_day = maintenance_job("AB-123-C", "2026-12-02T08:00:00Z", "2026-12-02T09:00:00Z");
    let status = workshop.plan_maintenance_job(other_day).await.unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition);
    assert_eq!(detail(&status).reason, "slot_outside_planning_date");
    assert!(app.all_events().await.is_empty());
}

#[tokio::test]
async fn a_technician_without_the_skill_is_refused() {
    let app = spawn_app().await;
    let mut request = maintenance_job("AB-123-C", "2026-12-01T08:00:00Z", "2026-12-01T09:00:00Z");
    request.technician = Some(TechnicianRef {
        technician_id: new_id(),
        skills: vec![ServiceCategory::Paint as i32],
    });
    let status = app
        .workshop()
        .plan_maintenance_job(request)
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition);
}

#[tokio::test]
async fn an_unknown_job_is_not_found_and_a_finished_job_cannot_be_cancelled() {
    let app = spawn_app().await;
    let planned = maintenance_job("AB-123-C", "2026-12-01T08:00:00Z", "2026-12-01T09:00:00Z");
    let job_id = planned.job_id.clone();
    app.workshop().plan_maintenance_job(planned).await.unwrap();

    let status = app
        .workshop()
        .cancel_maintenance_job(CancelMaintenanceJobRequest {
            planning_date: "2026-12-01".into(),
            job_id: new_id(),
            reason: "customer called".into(),
            idempotency_key: None,
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);

    app.workshop()
        .finish_maintenance_job(FinishMaintenanceJobRequest {
            planning_date: "2026-12-01".into(),
            job_id: job_id.clone(),
            actual_start: Some(timestamp("2026-12-01T08:05:00Z")),
            actual_end: Some(timestamp("2026-12-01T08:55:00Z")),
            notes: "done".into(),
            idempotency_key: None,
        })
        .await
        .expect("finished");
    let status = app
        .workshop()
        .cancel_maintenance_job(CancelMaintenanceJobRequest {
            planning_date: "2026-12-01".into(),
            job_id,
            reason: "too late".into(),
            idempotency_key: None,
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition);
}
