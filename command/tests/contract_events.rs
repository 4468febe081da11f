//! The command side's domain events and the public event schemas (`contracts::events`)
//! describe the same wire: per aggregate, a sample of every contract event type reads
//! as the domain event, which encodes back to exactly the same type and payload, and
//! reads as the contract type with nothing lost or added.

use std::collections::BTreeSet;

use contracts::events::{self as contract, AggregateEvents};
use es_core::DomainEvent;
use es_core::aggregate::{decode, encode};
use serde_json::{Value, json};

use command::customers::CustomerEvent;
use command::deliveries::{DeliveryEvent, RouteEvent};
use command::fleet::{DriverEvent, VehicleEvent};
use command::schedules::ScheduleEvent;
use command::workshop::{TechnicianEvent, WorkshopPlanningEvent};

const ID: &str = "0190a5e4-7b1c-7c3e-9f00-000000000001";
const OTHER: &str = "0190a5e4-7b1c-7c3e-9f00-000000000002";
const AT: &str = "2026-03-02T09:00:00Z";
const LATER: &str = "2026-03-02T10:30:00Z";

fn slot() -> Value {
    json!({ "start": AT, "end": LATER })
}

/// Each sample reads as domain event `D` and as contract event `C`, and both give back
/// the same type and payload; together the samples cover every contract event type.
fn assert_same_wire<D: DomainEvent, C: AggregateEvents>(samples: &[(&str, Value)]) {
    for (event_type, payload) in samples {
        let domain: D = decode(event_type, 1, payload)
            .unwrap_or_else(|e| panic!("{event_type} does not read as the domain event: {e}"));
        assert_eq!(
            encode(&domain).unwrap(),
            (event_type.to_string(), payload.clone()),
            "the domain encodes {event_type} differently"
        );
        let contract = C::from_payload(event_type, payload)
            .unwrap_or_else(|e| panic!("{event_type} does not read as its contract type: {e}"))
            .unwrap_or_else(|| panic!("{event_type} is no contract event type"));
        assert_eq!(contract.event_type(), *event_type);
        assert_eq!(
            &contract.payload(),
            payload,
            "the contract type changes {event_type}"
        );
    }
    let sampled: BTreeSet<&str> = samples.iter().map(|(t, _)| *t).collect();
    let declared: BTreeSet<&str> = C::EVENT_TYPES.iter().copied().collect();
    assert_eq!(sampled, declared, "every contract event type has a sample");
}

#[test]
fn customer_events_are_their_contract_types() {
    let person = json!({ "name": "Ada Lovelace", "address": "12 St James's Square",
        "postal_code": "SW1Y 4JH", "city": "London", "telephone": "+44 20 7946 0000",
        "email": "ada@example.com" });
    assert_same_wire::<CustomerEvent, contract::CustomerEvent>(&[
        (
            "customer.registered.v1",
            json!({ "customer_id": ID, "personal_data": person }),
        ),
        (
            "customer.contact_updated.v1",
            json!({ "customer_id": ID, "personal_data": null }),
        ),
        (
            "customer.personal_data_erased.v1",
            json!({ "customer_id": ID }),
        ),
    ]);
}

#[test]
fn driver_events_are_their_contract_types() {
    let driver = json!({ "driver_id": ID });
    assert_same_wire::<DriverEvent, contract::DriverEvent>(&[
        (
            "driver.registered.v1",
            json!({ "driver_id": ID, "name": "Jo", "driving_licence_number": "DL-1",
                    "status": "active" }),
        ),
        (
            "driver.updated.v1",
            json!({ "driver_id": ID, "name": "Jo", "driving_licence_number": "DL-2" }),
        ),
        ("driver.suspended.v1", driver.clone()),
        ("driver.reinstated.v1", driver),
    ]);
}

#[test]
fn vehicle_events_are_their_contract_types() {
    assert_same_wire::<VehicleEvent, contract::VehicleEvent>(&[
        (
            "vehicle.registered.v1",
            json!({ "license_number": "AB-123-C", "brand": "Polestar", "model": "2",
                    "owner": null, "usage": "fleet", "status": "available" }),
        ),
        (
            "vehicle.updated.v1",
            json!({ "license_number": "AB-123-C", "brand": "Kia", "model": "EV6",
                    "owner": ID }),
        ),
        (
            "vehicle.status_changed.v1",
            json!({ "license_number": "AB-123-C", "status": "out_of_service" }),
        ),
    ]);
}

#[test]
fn resource_schedule_events_are_their_contract_types() {
    let booking = json!({ "resource_kind": "vehicle", "resource_id": "AB-123-C",
        "holder_kind": "delivery", "holder_id": ID });
    let mut reserved = booking.clone();
    reserved["slot"] = slot();
    assert_same_wire::<ScheduleEvent, contract::ResourceScheduleEvent>(&[
        ("schedule.slot_reserved.v1", reserved),
        ("schedule.slot_released.v1", booking),
    ]);
}

#[test]
fn technician_events_are_their_contract_types() {
    let profile = json!({ "technician_id": ID, "name": "Sam", "skills": ["repairs", "paint"] });
    assert_same_wire::<TechnicianEvent, contract::TechnicianEvent>(&[
        ("technician.registered.v1", profile.clone()),
        ("technician.updated.v1", profile),
        ("technician.deactivated.v1", json!({ "technician_id": ID })),
        ("technician.reactivated.v1", json!({ "technician_id": ID })),
    ]);
}

#[test]
fn workshop_planning_events_are_their_contract_types() {
    let date = "2026-03-02";
    assert_same_wire::<WorkshopPlanningEvent, contract::WorkshopPlanningEvent>(&[
        ("workshop.planning_created.v1", json!({ "date": date })),
        (
            "workshop.job_planned.v1",
            json!({ "date": date, "job_id": ID, "slot": slot(), "vehicle": "AB-123-C",
                    "customer_id": OTHER, "service": "tire_rotation", "category": "maintenance",
                    "description": "Rotate all four", "technician_id": null }),
        ),
        (
            "workshop.technician_assigned.v1",
            json!({ "date": date, "job_id": ID, "slot": slot(), "technician_id": OTHER,
                    "previous_technician_id": null }),
        ),
        (
            "workshop.job_finished.v1",
            json!({ "date": date, "job_id": ID, "actual": slot(), "notes": "done",
                    "vehicle": "AB-123-C", "technician_id": OTHER }),
        ),
        (
            "workshop.job_cancelled.v1",
            json!({ "date": date, "job_id": ID, "reason": "no parts", "vehicle": "AB-123-C",
                    "technician_id": null }),
        ),
    ]);
}

#[test]
fn route_events_are_their_contract_types() {
    let details = json!({ "route_id": ID, "origin": "Depot", "destination": "Harbour",
        "scheduled_start": AT });
    let checkpoint = json!({ "route_id": ID, "sequence": 1, "location": "Market",
        "expected_at": LATER, "scheduled_end": LATER });
    let route = json!({ "route_id": ID });
    assert_same_wire::<RouteEvent, contract::RouteEvent>(&[
        ("route.created.v1", details.clone()),
        ("route.updated.v1", details),
        ("route.checkpoint_added.v1", checkpoint.clone()),
        ("route.checkpoint_updated.v1", checkpoint),
        ("route.activated.v1", route.clone()),
        ("route.completed.v1", route.clone()),
        ("route.cancelled.v1", route),
    ]);
}

#[test]
fn delivery_events_are_their_contract_types() {
    let delivery = |fields: Value| {
        let mut payload = json!({ "delivery_id": ID });
        payload
            .as_object_mut()
            .unwrap()
            .extend(fields.as_object().unwrap().clone());
        payload
    };
    assert_same_wire::<DeliveryEvent, contract::DeliveryEvent>(&[
        (
            "delivery.created.v1",
            delivery(json!({ "route_id": OTHER, "slot": slot(), "checkpoints": [
                { "sequence": 1, "location": "Market", "expected_at": LATER }] })),
        ),
        (
            "delivery.driver_assigned.v1",
            delivery(json!({ "driver_id": OTHER, "previous_driver_id": null, "slot": slot() })),
        ),
        (
            "delivery.vehicle_assigned.v1",
            delivery(json!({ "vehicle_license_number": "AB-123-C",
                             "previous_vehicle_license_number": "XY-987-Z", "slot": slot() })),
        ),
        (
            "delivery.status_changed.v1",
            delivery(json!({ "from": "in_transit", "to": "failed", "at": AT,
                             "reason": "nobody home" })),
        ),
        (
            "delivery.checkpoint_reached.v1",
            delivery(json!({ "sequence": 1, "location": "Market", "at": AT })),
        ),
        (
            "delivery.incident_reported.v1",
            delivery(json!({ "incident_id": OTHER, "incident_type": "delay",
                             "description": "traffic", "at": AT })),
        ),
        (
            "delivery.incident_resolved.v1",
            delivery(json!({ "incident_id": OTHER, "resolution": "cleared", "at": AT })),
        ),
        (
            "delivery.proof_of_delivery_captured.v1",
            delivery(
                json!({ "receiver_name": "Grace", "signature_reference": "sig-1",
                             "at": AT }),
            ),
        ),
    ]);
}
