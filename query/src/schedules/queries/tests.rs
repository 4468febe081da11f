use es_core::EventEnvelope;

use super::*;
use crate::projection::Projection;
use crate::schedules::ResourceSchedulesProjection;
use crate::schedules::projection::tests::{
    DELIVERY_ID, DRIVER_A, JOB_ID, TECH_A, delivery_created, driver_assigned, status_changed,
    vehicle_assigned,
};
use crate::testing::{EventFactory, TestDb};
use crate::workshop::test_events::{job_cancelled, job_planned, morning, slot};

const LATE_JOB: &str = "0190a5e4-7b1c-7c3e-9f00-00000000a002";

/// Van AB-123-C: job 09–11 (technician A), delivery 10–16 (driver A, in transit),
/// job 16–17 (cancelled).
fn db() -> TestDb {
    let db = TestDb::new(vec![
        Box::new(ResourceSchedulesProjection) as Box<dyn Projection>
    ]);
    let mut f = EventFactory::new();
    let day = slot("2026-03-02T10:00:00Z", "2026-03-02T16:00:00Z");
    let events: Vec<EventEnvelope> = vec![
        job_planned(&mut f, JOB_ID, morning(), "AB-123-C", Some(TECH_A)),
        job_planned(
            &mut f,
            LATE_JOB,
            slot("2026-03-02T16:00:00Z", "2026-03-02T17:00:00Z"),
            "AB-123-C",
            None,
        ),
        job_cancelled(&mut f, LATE_JOB, "Moved", "AB-123-C", None),
        delivery_created(&mut f, DELIVERY_ID, day.clone()),
        driver_assigned(&mut f, DELIVERY_ID, day.clone(), DRIVER_A, None),
        vehicle_assigned(&mut f, DELIVERY_ID, day, "AB-123-C", None),
        status_changed(&mut f, DELIVERY_ID, "picked_up", "in_transit"),
    ];
    let results = db.apply(&events);
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    db
}

fn at(rfc3339: &str) -> prost_types::Timestamp {
    let at = es_core::time::parse(rfc3339).unwrap();
    to_timestamp(at)
}

fn request(kind: v1::ResourceKind, id: &str) -> v1::GetResourceScheduleRequest {
    v1::GetResourceScheduleRequest {
        kind: kind.into(),
        resource_id: id.into(),
        ..Default::default()
    }
}

fn get(
    db: &TestDb,
    request: v1::GetResourceScheduleRequest,
) -> Result<v1::ResourceSchedule, QueryError> {
    db.read(move |reader| get_resource_schedule(reader, &request))
}

fn holders(schedule: &v1::ResourceSchedule) -> Vec<&str> {
    schedule
        .slots
        .iter()
        .map(|s| s.holder_id.as_str())
        .collect()
}

#[test]
fn a_vehicle_schedule_lists_jobs_and_deliveries_by_start_with_their_status() {
    use v1::booked_slot::Status;
    let schedule = get(&db(), request(v1::ResourceKind::Vehicle, " ab-123-c ")).unwrap();
    assert_eq!(schedule.kind, v1::ResourceKind::Vehicle as i32);
    assert_eq!(schedule.resource_id, "AB-123-C");
    assert_eq!(holders(&schedule), [JOB_ID, DELIVERY_ID, LATE_JOB]);
    let [job, delivery, late] = &schedule.slots[..] else {
        panic!("three slots")
    };
    assert_eq!(job.holder_kind, v1::SlotHolderKind::Job as i32);
    assert_eq!(
        job.status,
        Some(Status::JobStatus(v1::JobStatus::Planned as i32))
    );
    assert_eq!(job.slot.unwrap().start, Some(at("2026-03-02T09:00:00Z")));
    assert_eq!(job.slot.unwrap().end, Some(at("2026-03-02T11:00:00Z")));
    assert_eq!(delivery.holder_kind, v1::SlotHolderKind::Delivery as i32);
    assert_eq!(
        delivery.status,
        Some(Status::DeliveryStatus(v1::DeliveryStatus::InTransit as i32))
    );
    assert_eq!(
        late.status,
        Some(Status::JobStatus(v1::JobStatus::Cancelled as i32))
    );
}

#[test]
fn driver_and_technician_schedules_are_read_by_uuid() {
    let db = db();
    let driver = get(
        &db,
        request(v1::ResourceKind::Driver, &DRIVER_A.to_uppercase()),
    )
    .unwrap();
    assert_eq!(driver.resource_id, DRIVER_A);
    assert_eq!(holders(&driver), [DELIVERY_ID]);
    let technician = get(&db, request(v1::ResourceKind::Technician, TECH_A)).unwrap();
    assert_eq!(holders(&technician), [JOB_ID]);
}

#[test]
fn a_range_keeps_only_overlapping_slots_and_touching_ones_do_not_overlap() {
    let db = db();
    let range = |from: Option<&str>, to: Option<&str>| v1::GetResourceScheduleRequest {
        from: from.map(at),
        to: to.map(at),
        ..request(v1::ResourceKind::Vehicle, "AB-123-C")
    };
    // 11:00–16:00 touches the first job's end and the late job's start.
    let middle = get(
        &db,
        range(Some("2026-03-02T11:00:00Z"), Some("2026-03-02T16:00:00Z")),
    )
    .unwrap();
    assert_eq!(holders(&middle), [DELIVERY_ID]);
    let early = get(&db, range(None, Some("2026-03-02T10:00:00Z"))).unwrap();
    assert_eq!(holders(&early), [JOB_ID]);
    let late = get(&db, range(Some("2026-03-02T15:59:00Z"), None)).unwrap();
    assert_eq!(holders(&late), [DELIVERY_ID, LATE_JOB]);
}

#[test]
fn a_resource_nobody_booked_has_an_empty_schedule() {
    let schedule = get(&db(), request(v1::ResourceKind::Vehicle, "ZZ-1-Z")).unwrap();
    assert!(schedule.slots.is_empty());
}

#[test]
fn bad_request_fields_are_invalid_naming_the_field() {
    let db = db();
    let cases = [
        ("kind", request(v1::ResourceKind::Unspecified, DRIVER_A)),
        (
            "kind",
            v1::GetResourceScheduleRequest {
                kind: 9,
                ..request(v1::ResourceKind::Driver, DRIVER_A)
            },
        ),
        ("resource_id", request(v1::ResourceKind::Driver, "AB-123-C")),
        ("resource_id", request(v1::ResourceKind::Technician, "")),
        ("resource_id", request(v1::ResourceKind::Vehicle, DRIVER_A)),
        (
            "to",
            v1::GetResourceScheduleRequest {
                from: Some(at("2026-03-02T12:00:00Z")),
                to: Some(at("2026-03-02T12:00:00Z")),
                ..request(v1::ResourceKind::Driver, DRIVER_A)
            },
        ),
        (
            "from",
            v1::GetResourceScheduleRequest {
                from: Some(prost_types::Timestamp {
                    seconds: 0,
                    nanos: -1,
                }),
                ..request(v1::ResourceKind::Driver, DRIVER_A)
            },
        ),
    ];
    for (field, request) in cases {
        let result = get(&db, request);
        assert!(
            matches!(&result, Err(QueryError::Invalid { field: f, .. }) if f == field),
            "{field}: {result:?}"
        );
    }
}

#[test]
fn every_delivery_status_word_maps_to_its_proto_value() {
    let words = [
        "picked_up",
        "in_transit",
        "out_for_delivery",
        "delivered",
        "failed",
    ];
    let values: Vec<i32> = words.iter().map(|w| delivery_status(w) as i32).collect();
    assert_eq!(values, [1, 2, 3, 4, 5]);
    assert_eq!(delivery_status("lost"), v1::DeliveryStatus::Unspecified);
}
