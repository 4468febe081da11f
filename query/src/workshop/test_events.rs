//! Test fixtures: the `workshop_planning` aggregate's events for one date, with payloads
//! as the command service records them (`command/src/workshop/planning/messages.rs`),
//! for the workshop planning's tests and the resource schedules' (which follow them).

use es_core::EventEnvelope;
use serde_json::{Value as Json, json};

use crate::testing::EventFactory;

pub const DATE: &str = "2026-03-02";
pub const JOB: &str = "0190a5e4-7b1c-7c3e-9f00-00000000a001";
pub const CUSTOMER: &str = "0190a5e4-7b1c-7c3e-9f00-00000000c001";
pub const TECH: &str = "0190a5e4-7b1c-7c3e-9f00-00000000b001";
pub const OTHER_TECH: &str = "0190a5e4-7b1c-7c3e-9f00-00000000b002";

/// A slot (or the actual time a job took): `start` to `end`, in RFC 3339.
pub fn slot(start: &str, end: &str) -> Json {
    json!({"start": start, "end": end})
}

/// 09:00 to 11:00 on [`DATE`].
pub fn morning() -> Json {
    slot("2026-03-02T09:00:00Z", "2026-03-02T11:00:00Z")
}

/// An event of the planning of [`DATE`].
pub fn planning_event(f: &mut EventFactory, event_type: &str, payload: Json) -> EventEnvelope {
    f.event("workshop_planning", DATE, event_type, payload)
}

pub fn planning_created(f: &mut EventFactory) -> EventEnvelope {
    planning_event(f, "workshop.planning_created.v1", json!({"date": DATE}))
}

/// A tire rotation of [`CUSTOMER`]'s `vehicle` in `slot`.
pub fn job_planned(
    f: &mut EventFactory,
    job_id: &str,
    slot: Json,
    vehicle: &str,
    technician: Option<&str>,
) -> EventEnvelope {
    let payload = json!({
        "date": DATE, "job_id": job_id, "slot": slot, "vehicle": vehicle,
        "customer_id": CUSTOMER, "service": "tire_rotation", "category": "maintenance",
        "description": "Rotate all four", "technician_id": technician,
    });
    planning_event(f, "workshop.job_planned.v1", payload)
}

/// The planning of [`DATE`] created, then `job_id` planned for AB-123-C in the morning.
pub fn plan(f: &mut EventFactory, job_id: &str, technician: Option<&str>) -> Vec<EventEnvelope> {
    let created = planning_created(f);
    vec![
        created,
        job_planned(f, job_id, morning(), "AB-123-C", technician),
    ]
}

pub fn technician_assigned(
    f: &mut EventFactory,
    job_id: &str,
    slot: Json,
    technician: &str,
    previous: Option<&str>,
) -> EventEnvelope {
    let payload = json!({
        "date": DATE, "job_id": job_id, "slot": slot,
        "technician_id": technician, "previous_technician_id": previous,
    });
    planning_event(f, "workshop.technician_assigned.v1", payload)
}

/// `job_id`, of `vehicle` and `technician`, finished in `actual`.
pub fn job_finished(
    f: &mut EventFactory,
    job_id: &str,
    actual: Json,
    notes: Option<&str>,
    vehicle: &str,
    technician: Option<&str>,
) -> EventEnvelope {
    let payload = json!({
        "date": DATE, "job_id": job_id, "actual": actual, "notes": notes,
        "vehicle": vehicle, "technician_id": technician,
    });
    planning_event(f, "workshop.job_finished.v1", payload)
}

/// `job_id`, of `vehicle` and `technician`, cancelled for `reason`.
pub fn job_cancelled(
    f: &mut EventFactory,
    job_id: &str,
    reason: &str,
    vehicle: &str,
    technician: Option<&str>,
) -> EventEnvelope {
    let payload = json!({
        "date": DATE, "job_id": job_id, "reason": reason,
        "vehicle": vehicle, "technician_id": technician,
    });
    planning_event(f, "workshop.job_cancelled.v1", payload)
}
