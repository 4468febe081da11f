use serde_json::json;

use super::*;
use crate::customers::CustomersProjection;
use crate::fleet::VehiclesProjection;
use crate::projection::Projection;
use crate::testing::{EventFactory, TestDb};
use crate::workshop::planning::WorkshopPlanningProjection;
use crate::workshop::technicians::TechniciansProjection;
use crate::workshop::test_events::{
    CUSTOMER, DATE, JOB, TECH, job_cancelled, job_finished, job_planned, plan, slot,
};

const EARLY_JOB: &str = "0190a5e4-7b1c-7c3e-9f00-00000000a000";

fn db() -> TestDb {
    TestDb::new(vec![
        Box::new(WorkshopPlanningProjection) as Box<dyn Projection>,
        Box::new(TechniciansProjection),
        Box::new(CustomersProjection),
        Box::new(VehiclesProjection),
    ])
}

fn get(db: &TestDb, date: &str) -> Result<v1::WorkshopPlanning, QueryError> {
    let request = v1::GetWorkshopPlanningRequest {
        date: date.into(),
        ..Default::default()
    };
    db.read(move |reader| get_workshop_planning(reader, &request))
}

/// The vehicle, customer and technician of the jobs, as their contexts record them.
fn details(f: &mut EventFactory) -> Vec<es_core::EventEnvelope> {
    vec![
        f.event(
            "customer",
            CUSTOMER,
            "customer.registered.v1",
            json!({
                "customer_id": CUSTOMER,
                "personal_data": {
                    "name": "Grace Hopper", "address": "Main St 1", "postal_code": "1000",
                    "city": "Brussels", "telephone": "+32 2 555 01 01",
                    "email": "grace@example.com",
                },
            }),
        ),
        f.event(
            "vehicle",
            "AB-123-C",
            "vehicle.registered.v1",
            json!({
                "license_number": "AB-123-C", "brand": "Volvo", "model": "XC40",
                "owner": CUSTOMER, "usage": "customer", "status": null,
            }),
        ),
        f.event(
            "technician",
            TECH,
            "technician.registered.v1",
            json!({"technician_id": TECH, "name": "Ada Wrench", "skills": ["maintenance"]}),
        ),
    ]
}

/// [`EARLY_JOB`], 07:00 to 08:00, no technician.
fn early_job(f: &mut EventFactory) -> es_core::EventEnvelope {
    let early = slot("2026-03-02T07:00:00Z", "2026-03-02T08:00:00Z");
    job_planned(f, EARLY_JOB, early, "AB-123-C", None)
}

#[test]
fn jobs_come_in_planned_order_with_vehicle_customer_and_technician_details() {
    let db = db();
    let mut f = EventFactory::new();
    let mut events = details(&mut f);
    events.extend(plan(&mut f, JOB, Some(TECH)));
    events.push(early_job(&mut f));
    let results = db.apply(&events);
    assert!(results.iter().all(Result::is_ok), "{results:?}");

    let planning = get(&db, DATE).unwrap();
    assert_eq!(planning.date, DATE);
    assert_eq!(planning.version, 3);
    let ids: Vec<&str> = planning.jobs.iter().map(|j| j.job_id.as_str()).collect();
    assert_eq!(ids, [EARLY_JOB, JOB]);

    let job = &planning.jobs[1];
    assert_eq!(job.service, v1::MaintenanceService::TireRotation as i32);
    assert_eq!(job.category, v1::ServiceCategory::Maintenance as i32);
    assert_eq!(job.status, v1::JobStatus::Planned as i32);
    assert_eq!(job.description, "Rotate all four");
    assert_eq!(job.technician_id.as_deref(), Some(TECH));
    assert_eq!(job.technician_name, "Ada Wrench");
    let start = job.planned_slot.unwrap().start.unwrap();
    assert_eq!(start.seconds, 1_772_442_000); // 2026-03-02T09:00:00Z
    assert_eq!(job.actual_slot, None);
    assert_eq!(job.vehicle.as_ref().unwrap().brand, "Volvo");
    assert_eq!(job.customer.as_ref().unwrap().name, "Grace Hopper");
    assert_eq!(planning.jobs[0].technician_name, "");
}

#[test]
fn the_planning_stays_readable_when_other_contexts_lag() {
    let db = db();
    let mut f = EventFactory::new();
    assert!(
        db.apply(&plan(&mut f, JOB, Some(TECH)))
            .iter()
            .all(Result::is_ok)
    );
    let planning = get(&db, DATE).unwrap();
    let job = &planning.jobs[0];
    assert_eq!(job.vehicle, None);
    assert_eq!(job.customer, None);
    assert_eq!(job.technician_name, "");
    assert_eq!(job.vehicle_license_number, "AB-123-C");
    assert_eq!(job.customer_id, CUSTOMER);
}

#[test]
fn finished_and_cancelled_jobs_carry_their_outcome() {
    let db = db();
    let mut f = EventFactory::new();
    let mut events = plan(&mut f, JOB, None);
    events.push(early_job(&mut f));
    let actual = slot("2026-03-02T07:05:00Z", "2026-03-02T08:10:00Z");
    events.push(job_finished(
        &mut f, EARLY_JOB, actual, None, "AB-123-C", None,
    ));
    events.push(job_cancelled(&mut f, JOB, "No parts", "AB-123-C", None));
    assert!(db.apply(&events).iter().all(Result::is_ok));
    let planning = get(&db, DATE).unwrap();
    assert_eq!(planning.version, 5);
    let (finished, cancelled) = (&planning.jobs[0], &planning.jobs[1]);
    assert_eq!(finished.status, v1::JobStatus::Finished as i32);
    let actual = finished.actual_slot.unwrap();
    assert_eq!(
        actual.end.unwrap().seconds - actual.start.unwrap().seconds,
        65 * 60
    );
    assert_eq!(finished.notes, "");
    assert_eq!(cancelled.status, v1::JobStatus::Cancelled as i32);
    assert_eq!(cancelled.cancellation_reason, "No parts");
}

#[test]
fn a_date_nobody_planned_is_an_empty_planning() {
    let planning = get(&db(), "2026-12-24").unwrap();
    assert_eq!(planning.date, "2026-12-24");
    assert!(planning.jobs.is_empty());
    assert_eq!(planning.version, 0);
}

#[test]
fn a_malformed_date_is_invalid_naming_the_field() {
    for date in ["", "2026-02-30", "02/03/2026", "tomorrow"] {
        assert!(
            matches!(get(&db(), date), Err(QueryError::Invalid { field, .. }) if field == "date"),
            "{date}"
        );
    }
}
