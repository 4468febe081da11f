//! Test fixtures: route, delivery and driver events with payloads exactly as the command
//! service records them (`command/src/deliveries/*_messages.rs`), and a database holding
//! the deliveries projections plus the fleet's drivers.

use chrono::{DateTime, TimeZone, Utc};
use es_core::EventEnvelope;
use serde_json::{Value as Json, json};

use super::{DeliveryProjection, RouteProjection};
use crate::fleet::DriversProjection;
use crate::projection::{Outcome, Projection};
use crate::store::{Filter, Order, Reader, Row, Select, Table, Value};
use crate::testing::{EventFactory, TestDb};

pub const ROUTE: &str = "018f0000-0000-7000-8000-000000000001";
pub const OTHER_ROUTE: &str = "018f0000-0000-7000-8000-000000000002";
pub const DELIVERY: &str = "018f0000-0000-7000-8000-0000000000d1";
pub const OTHER_DELIVERY: &str = "018f0000-0000-7000-8000-0000000000d2";
pub const DRIVER: &str = "018f0000-0000-7000-8000-0000000000a1";
pub const INCIDENT: &str = "018f0000-0000-7000-8000-0000000000e1";

/// 2 March 2026 at `hour`:`minute` UTC.
pub fn at(hour: u32, minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, hour, minute, 0).unwrap()
}

pub fn db() -> TestDb {
    TestDb::new(vec![
        Box::new(RouteProjection) as Box<dyn Projection>,
        Box::new(DeliveryProjection),
        Box::new(DriversProjection),
    ])
}

/// Applies the events and checks that every one was applied.
pub fn apply_all(db: &TestDb, events: &[EventEnvelope]) {
    for (event, result) in events.iter().zip(db.apply(events)) {
        assert_eq!(result, Ok(Outcome::Applied), "{}", event.event_type);
    }
}

/// Every row of `table` whose `column` is `value`, ordered by `order_by`.
pub fn rows(
    db: &TestDb,
    table: &'static Table,
    column: &'static str,
    value: &str,
    order_by: &'static str,
) -> Vec<Row> {
    let select = Select::from(table)
        .filter(Filter::Eq(column, Value::from(value)))
        .order_by(order_by, Order::Asc);
    db.read(move |reader: &mut dyn Reader| reader.select(&select).unwrap())
}

/// Builds events in order, with per-stream versions.
#[derive(Default)]
pub struct Events {
    factory: EventFactory,
}

impl Events {
    pub fn route(&mut self, id: &str, event_type: &str, payload: Json) -> EventEnvelope {
        self.factory.event("route", id, event_type, payload)
    }

    pub fn delivery(&mut self, id: &str, event_type: &str, payload: Json) -> EventEnvelope {
        self.factory.event("delivery", id, event_type, payload)
    }

    pub fn route_created(&mut self, id: &str, origin: &str, start: DateTime<Utc>) -> EventEnvelope {
        self.route(
            id,
            "route.created.v1",
            json!({ "route_id": id, "origin": origin, "destination": "Harbour",
                    "scheduled_start": start }),
        )
    }

    pub fn checkpoint_added(
        &mut self,
        id: &str,
        sequence: u32,
        location: &str,
        expected_at: DateTime<Utc>,
    ) -> EventEnvelope {
        self.route(
            id,
            "route.checkpoint_added.v1",
            json!({ "route_id": id, "sequence": sequence, "location": location,
                    "expected_at": expected_at, "scheduled_end": expected_at }),
        )
    }

    pub fn route_activated(&mut self, id: &str) -> EventEnvelope {
        self.route(id, "route.activated.v1", json!({ "route_id": id }))
    }

    /// A route from Depot at 08:00 with checkpoints 1 (Market, 09:00) and 2 (Station,
    /// 10:00), activated.
    pub fn active_route(&mut self, id: &str) -> Vec<EventEnvelope> {
        vec![
            self.route_created(id, "Depot", at(8, 0)),
            self.checkpoint_added(id, 1, "Market", at(9, 0)),
            self.checkpoint_added(id, 2, "Station", at(10, 0)),
            self.route_activated(id),
        ]
    }

    /// A delivery of a route made by [`Events::active_route`].
    pub fn delivery_created(&mut self, id: &str, route_id: &str) -> EventEnvelope {
        self.delivery_created_in_slot(id, route_id, at(8, 0), at(10, 0))
    }

    /// A delivery with the checkpoints of [`Events::active_route`] but its own slot.
    pub fn delivery_created_in_slot(
        &mut self,
        id: &str,
        route_id: &str,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> EventEnvelope {
        self.delivery(
            id,
            "delivery.created.v1",
            json!({
                "delivery_id": id,
                "route_id": route_id,
                "slot": { "start": start, "end": end },
                "checkpoints": [
                    { "sequence": 1, "location": "Market", "expected_at": at(9, 0) },
                    { "sequence": 2, "location": "Station", "expected_at": at(10, 0) },
                ],
            }),
        )
    }

    pub fn driver_assigned(&mut self, id: &str, driver_id: &str) -> EventEnvelope {
        self.delivery(
            id,
            "delivery.driver_assigned.v1",
            json!({ "delivery_id": id, "driver_id": driver_id, "previous_driver_id": null,
                    "slot": { "start": at(8, 0), "end": at(10, 0) } }),
        )
    }

    pub fn vehicle_assigned(&mut self, id: &str, license_number: &str) -> EventEnvelope {
        self.delivery(
            id,
            "delivery.vehicle_assigned.v1",
            json!({ "delivery_id": id, "vehicle_license_number": license_number,
                    "previous_vehicle_license_number": null,
                    "slot": { "start": at(8, 0), "end": at(10, 0) } }),
        )
    }

    pub fn status_changed(
        &mut self,
        id: &str,
        from: &str,
        to: &str,
        reason: Option<&str>,
    ) -> EventEnvelope {
        self.delivery(
            id,
            "delivery.status_changed.v1",
            json!({ "delivery_id": id, "from": from, "to": to, "at": at(8, 30),
                    "reason": reason }),
        )
    }

    pub fn checkpoint_reached(
        &mut self,
        id: &str,
        sequence: u32,
        location: &str,
        reached_at: DateTime<Utc>,
    ) -> EventEnvelope {
        self.delivery(
            id,
            "delivery.checkpoint_reached.v1",
            json!({ "delivery_id": id, "sequence": sequence, "location": location,
                    "at": reached_at }),
        )
    }

    pub fn incident_reported(&mut self, id: &str, incident_type: &str) -> EventEnvelope {
        self.delivery(
            id,
            "delivery.incident_reported.v1",
            json!({ "delivery_id": id, "incident_id": INCIDENT, "incident_type": incident_type,
                    "description": "Flat tyre on the ring road", "at": at(9, 15) }),
        )
    }

    pub fn incident_resolved(&mut self, id: &str) -> EventEnvelope {
        self.delivery(
            id,
            "delivery.incident_resolved.v1",
            json!({ "delivery_id": id, "incident_id": INCIDENT,
                    "resolution": "Tyre replaced", "at": at(9, 40) }),
        )
    }

    pub fn proof_captured(&mut self, id: &str) -> EventEnvelope {
        self.delivery(
            id,
            "delivery.proof_of_delivery_captured.v1",
            json!({ "delivery_id": id, "receiver_name": "Ada Receiver",
                    "signature_reference": "sig/123", "at": at(10, 5) }),
        )
    }

    /// A delivery of `route_id`, with driver [`DRIVER`] and van `AB-123-C`, in transit.
    pub fn in_transit(&mut self, id: &str, route_id: &str) -> Vec<EventEnvelope> {
        vec![
            self.delivery_created(id, route_id),
            self.driver_assigned(id, DRIVER),
            self.vehicle_assigned(id, "AB-123-C"),
            self.status_changed(id, "picked_up", "in_transit", None),
        ]
    }

    pub fn driver_registered(&mut self, id: &str, name: &str) -> EventEnvelope {
        self.factory.event(
            "driver",
            id,
            "driver.registered.v1",
            json!({ "driver_id": id, "name": name, "driving_licence_number": "DL-1",
                    "status": "active" }),
        )
    }
}
