//! An example of every request body and of every success response, by schema name,
//! written into the document by [`super::conventions`]. They describe one believable
//! working day (2027-03-01) with the same ids throughout, so a reader can follow a
//! customer's car from registration to a finished job, and a route to a delivery.
//!
//! A test proves that every request body and success response has one and that each is
//! valid against its own schema (`scripts/validate_openapi_examples.py`, run by the
//! integration tests); schemathesis sends the request examples in its examples phase.

use serde_json::{Value, json};

const CUSTOMER: &str = "0190a4a0-0000-7000-8000-000000000001";
const DRIVER: &str = "0190a4a0-0000-7000-8000-000000000002";
const TECHNICIAN: &str = "0190a4a0-0000-7000-8000-000000000003";
const JOB: &str = "0190a4a0-0000-7000-8000-000000000004";
const ROUTE: &str = "0190a4a0-0000-7000-8000-000000000005";
const DELIVERY: &str = "0190a4a0-0000-7000-8000-000000000006";
const INCIDENT: &str = "0190a4a0-0000-7000-8000-000000000007";
const EVENT: &str = "0190a4a0-0000-7000-8000-000000000008";
const CORRELATION: &str = "0190a4a0-0000-7000-8000-000000000009";
const PLATE: &str = "AB-123-C";
const VAN: &str = "VN-7-XY";

/// The example of each schema that has one.
pub fn all() -> Vec<(&'static str, Value)> {
    let mut examples = requests();
    examples.extend(responses());
    examples
}

fn slot(start: &str, end: &str) -> Value {
    json!({ "start": format!("2027-03-01T{start}:00Z"), "end": format!("2027-03-01T{end}:00Z") })
}

fn requests() -> Vec<(&'static str, Value)> {
    let contact = json!({
        "name": "Ada Lovelace", "address": "12 Harbour Street", "postal_code": "1011 AB",
        "city": "Amsterdam", "telephone": "+31 20 555 0101", "email": "ada@example.com"
    });
    let mut register_customer = contact.clone();
    register_customer["customer_id"] = CUSTOMER.into();
    vec![
        ("Contact", contact),
        ("RegisterCustomer", register_customer),
        (
            "RegisterVehicle",
            json!({ "license_number": PLATE, "brand": "Polestar", "model": "2",
                    "usage": "customer", "owner_customer_id": CUSTOMER }),
        ),
        (
            "UpdateVehicle",
            json!({ "brand": "Polestar", "model": "2 Long Range", "owner_customer_id": CUSTOMER }),
        ),
        ("ChangeVehicleStatus", json!({ "status": "out_of_service" })),
        (
            "RegisterDriver",
            json!({ "driver_id": DRIVER, "name": "Bram de Vries", "driving_licence_number": "NL-5523-981" }),
        ),
        (
            "DriverDetails",
            json!({ "name": "Bram de Vries", "driving_licence_number": "NL-5523-981" }),
        ),
        (
            "RegisterTechnician",
            json!({ "technician_id": TECHNICIAN, "name": "Chen Wei", "skills": ["repairs", "maintenance"] }),
        ),
        (
            "UpdateTechnician",
            json!({ "name": "Chen Wei", "skills": ["repairs", "maintenance", "paint"] }),
        ),
        (
            "PlanJob",
            json!({ "job_id": JOB, "slot": slot("09:00", "11:00"), "vehicle_license_number": PLATE,
                    "customer_id": CUSTOMER, "service": "tire_rotation",
                    "description": "Rotate the tires; the customer reports a vibration at 100 km/h",
                    "technician_id": TECHNICIAN }),
        ),
        ("AssignTechnician", json!({ "technician_id": TECHNICIAN })),
        (
            "FinishJob",
            json!({ "actual_start": "2027-03-01T09:05:00Z", "actual_end": "2027-03-01T10:40:00Z",
                    "notes": "Rotated and balanced; front left rim had a small curb rash" }),
        ),
        (
            "CancelJob",
            json!({ "reason": "The customer asked to come back next week" }),
        ),
        (
            "CreateRoute",
            json!({ "route_id": ROUTE, "origin": "Depot Amsterdam-Noord",
                    "destination": "Utrecht Centraal", "scheduled_start": "2027-03-01T08:00:00Z" }),
        ),
        (
            "UpdateRoute",
            json!({ "origin": "Depot Amsterdam-Noord", "destination": "Utrecht Leidsche Rijn",
                    "scheduled_start": "2027-03-01T08:30:00Z" }),
        ),
        (
            "AddCheckpoint",
            json!({ "sequence": 1, "location": "Amstel business park", "expected_at": "2027-03-01T09:00:00Z" }),
        ),
        (
            "UpdateCheckpoint",
            json!({ "location": "Amstel business park, gate B", "expected_at": "2027-03-01T09:10:00Z" }),
        ),
        (
            "CreateDelivery",
            json!({ "delivery_id": DELIVERY, "route_id": ROUTE, "driver_id": DRIVER,
                    "vehicle_license_number": VAN }),
        ),
        ("AssignDriver", json!({ "driver_id": DRIVER })),
        ("AssignVehicle", json!({ "vehicle_license_number": VAN })),
        (
            "ReachCheckpoint",
            json!({ "location": "Amstel business park" }),
        ),
        (
            "ProofOfDelivery",
            json!({ "receiver_name": "Dewi Santoso", "signature_reference": "signatures/2027-03-01/6f2c.png" }),
        ),
        (
            "FailDelivery",
            json!({ "reason": "Nobody at the address; card left" }),
        ),
        (
            "ReportIncident",
            json!({ "incident_id": INCIDENT, "incident_type": "traffic",
                    "description": "Closed bridge on the A2; detour adds 20 minutes" }),
        ),
        (
            "ResolveIncident",
            json!({ "resolution": "Detour taken; back on the route" }),
        ),
        (
            "DiscardRequest",
            json!({ "reason": "a test event from the 2027-02 migration; the customer was registered again" }),
        ),
        (
            "RebuildRequest",
            json!({ "read_models": ["customers", "vehicles"] }),
        ),
    ]
}

fn page(total: u64) -> Value {
    json!({ "total": total, "next_page_token": "" })
}

fn customer_view() -> Value {
    json!({ "customer_id": CUSTOMER, "name": "Ada Lovelace", "address": "12 Harbour Street",
            "postal_code": "1011 AB", "city": "Amsterdam", "telephone": "+31 20 555 0101",
            "email": "ada@example.com", "erased": false, "version": 1 })
}

fn vehicle_view() -> Value {
    json!({ "license_number": PLATE, "brand": "Polestar", "model": "2", "usage": "customer",
            "owner_customer_id": CUSTOMER, "status": "available", "version": 1 })
}

fn driver_view() -> Value {
    json!({ "driver_id": DRIVER, "name": "Bram de Vries", "driving_licence_number": "NL-5523-981",
            "status": "active", "version": 1 })
}

fn technician_view() -> Value {
    json!({ "technician_id": TECHNICIAN, "name": "Chen Wei", "skills": ["repairs", "maintenance"],
            "status": "active", "version": 1 })
}

fn job_view() -> Value {
    json!({ "job_id": JOB, "planned_slot": slot("09:00", "11:00"), "actual_slot": null,
            "vehicle_license_number": PLATE, "vehicle": { "brand": "Polestar", "model": "2" },
            "customer_id": CUSTOMER,
            "customer": { "name": "Ada Lovelace", "telephone": "+31 20 555 0101",
                          "email": "ada@example.com", "erased": false },
            "service": "tire_rotation", "category": "maintenance",
            "description": "Rotate the tires; the customer reports a vibration at 100 km/h",
            "technician_id": TECHNICIAN, "technician_name": "Chen Wei", "status": "planned",
            "notes": "", "cancellation_reason": "" })
}

fn checkpoint_view() -> Value {
    json!({ "sequence": 1, "location": "Amstel business park",
            "expected_at": "2027-03-01T09:00:00Z", "reached_at": "2027-03-01T09:04:00Z",
            "status": "reached" })
}

fn route_view() -> Value {
    json!({ "route_id": ROUTE, "origin": "Depot Amsterdam-Noord", "destination": "Utrecht Centraal",
            "scheduled_start": "2027-03-01T08:00:00Z", "scheduled_end": "2027-03-01T09:00:00Z",
            "status": "active", "checkpoints": [checkpoint_view()], "version": 4 })
}

fn delivery_view() -> Value {
    json!({ "delivery_id": DELIVERY, "route_id": ROUTE, "slot": slot("08:00", "09:00"),
            "status": "in_transit", "driver_id": DRIVER, "driver_name": "Bram de Vries",
            "vehicle_license_number": VAN, "checkpoints": [checkpoint_view()],
            "incidents": [{ "incident_id": INCIDENT, "incident_type": "traffic",
                            "description": "Closed bridge on the A2; detour adds 20 minutes",
                            "reported_at": "2027-03-01T08:40:00Z", "resolved": true,
                            "resolution": "Detour taken; back on the route",
                            "resolved_at": "2027-03-01T08:55:00Z" }],
            "proof": null, "failure_reason": "", "version": 6 })
}

fn driver_ref() -> Value {
    json!({ "driver_id": DRIVER, "name": "Bram de Vries" })
}

fn vehicle_ref() -> Value {
    json!({ "license_number": VAN, "brand": "Mercedes-Benz", "model": "eSprinter" })
}

fn timeline_entry() -> Value {
    json!({ "version": 3, "event_type": "delivery.transit_started.v1",
            "occurred_at": "2027-03-01T08:02:00Z", "status": "in_transit",
            "summary": "in transit", "actor_subject": "bram" })
}

fn envelope() -> Value {
    json!({ "event_id": EVENT, "stream_id": format!("customer-{CUSTOMER}"),
            "aggregate_type": "customer", "aggregate_id": CUSTOMER, "version": 1, "position": 42,
            "event_type": "customer.registered.v1", "schema_version": 1,
            "occurred_at": "2027-03-01T07:58:00Z", "recorded_at": "2027-03-01T07:58:00Z",
            "correlation_id": CORRELATION, "causation_id": CORRELATION,
            "actor": { "subject": "planner-anna", "role": "planner" },
            "traceparent": "", "payload": { "customer_id": CUSTOMER, "personal_data": null },
            "prev_hash": "", "hash": "9f2b6c1e3d4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c" })
}

fn dead_letter() -> Value {
    json!({ "read_model": "customers", "position": 42, "event_id": EVENT,
            "stream_id": format!("customer-{CUSTOMER}"), "version": 1,
            "event_type": "customer.registered.v1",
            "reason": "malformed customer.registered.v1 at position 42: missing field `customer_id`",
            "attempts": 1, "parked_at": "2027-03-01T07:58:01Z", "held_behind": null })
}

fn discarded() -> Value {
    json!({ "dead_letter": dead_letter(), "discarded_at": "2027-03-01T09:15:00Z",
            "discarded_by": "ops-olivia",
            "discard_reason": "a test event from the 2027-02 migration; the customer was registered again" })
}

fn event_ref() -> Value {
    json!({ "event_id": EVENT, "version": 1, "position": 42, "event_type": "customer.registered.v1",
            "recorded_at": "2027-03-01T07:58:00Z", "correlation_id": CORRELATION })
}

fn live_tracking_view() -> Value {
    json!({ "delivery_id": DELIVERY, "route_id": ROUTE, "driver_id": DRIVER,
            "driver_name": "Bram de Vries", "vehicle_license_number": VAN, "status": "in_transit",
            "last_checkpoint_sequence": 1, "last_location": "Amstel business park",
            "last_seen_at": "2027-03-01T09:04:00Z" })
}

fn responses() -> Vec<(&'static str, Value)> {
    let mut tracked = live_tracking_view();
    tracked["driver"] = driver_ref();
    tracked["vehicle"] = vehicle_ref();
    let storage = json!({ "database_bytes": 4_194_304, "wal_bytes": 65_536 });
    vec![
        (
            "CommandResult",
            json!({ "id": CUSTOMER, "version": 1,
                    "consistency_token": format!("customer-{CUSTOMER}:1:42") }),
        ),
        ("CustomerView", customer_view()),
        (
            "CustomerList",
            json!({ "customers": [customer_view()], "page": page(1) }),
        ),
        ("VehicleView", vehicle_view()),
        (
            "VehicleList",
            json!({ "vehicles": [vehicle_view()], "page": page(1) }),
        ),
        ("DriverView", driver_view()),
        (
            "DriverList",
            json!({ "drivers": [driver_view()], "page": page(1) }),
        ),
        ("TechnicianView", technician_view()),
        (
            "TechnicianList",
            json!({ "technicians": [technician_view()], "page": page(1) }),
        ),
        (
            "PlanningView",
            json!({ "date": "2027-03-01", "jobs": [job_view()], "version": 2 }),
        ),
        (
            "WorkshopDay",
            json!({ "date": "2027-03-01", "jobs": [job_view()],
                    "technicians": [{ "technician_id": TECHNICIAN, "name": "Chen Wei",
                                      "skills": ["repairs", "maintenance"], "booked": [JOB] }],
                    "capacity": [{ "start": "2027-03-01T09:00:00Z", "end": "2027-03-01T11:00:00Z",
                                   "free_workstations": 2 }],
                    "partial": false, "missing": [] }),
        ),
        ("RouteView", route_view()),
        (
            "RouteList",
            json!({ "routes": [route_view()], "page": page(1) }),
        ),
        ("DeliveryView", delivery_view()),
        (
            "DeliveryList",
            json!({ "deliveries": [delivery_view()], "page": page(1) }),
        ),
        (
            "RouteOverview",
            json!({ "route": route_view(), "deliveries": [delivery_view()], "partial": false, "missing": [] }),
        ),
        (
            "DeliverySummary",
            json!({ "delivery": delivery_view(), "driver": driver_ref(), "vehicle": vehicle_ref(),
                    "timeline": [timeline_entry()], "partial": false, "missing": [] }),
        ),
        (
            "DeliveryTracking",
            json!({ "delivery_id": DELIVERY, "status": "in_transit", "driver": driver_ref(),
                    "vehicle": vehicle_ref(), "last_location": "Amstel business park",
                    "last_seen_at": "2027-03-01T09:04:00Z", "partial": false, "missing": [] }),
        ),
        (
            "TimelineView",
            json!({ "delivery_id": DELIVERY, "entries": [timeline_entry()] }),
        ),
        (
            "LiveTrackingList",
            json!({ "deliveries": [live_tracking_view()], "page": page(1) }),
        ),
        (
            "LiveTrackingBoard",
            json!({ "deliveries": [tracked], "page": page(1), "partial": false, "missing": [] }),
        ),
        (
            "ScheduleView",
            json!({ "kind": "drivers", "resource_id": DRIVER,
                    "slots": [{ "holder_kind": "delivery", "holder_id": DELIVERY,
                                "slot": slot("08:00", "09:00"), "status": "in_transit" }] }),
        ),
        (
            "HistoryPage",
            json!({ "events": [envelope()], "next": 43, "scanned": 1 }),
        ),
        (
            "StateView",
            json!({ "stream_id": format!("customer-{CUSTOMER}"), "aggregate_type": "customer",
                    "version": 1, "current_version": 2, "last_event": event_ref(),
                    "state": { "Registered": { "customer_id": CUSTOMER } } }),
        ),
        (
            "DiffView",
            json!({ "stream_id": format!("customer-{CUSTOMER}"), "aggregate_type": "customer",
                    "from_version": 1, "to_version": 2, "events": [event_ref()],
                    "changes": [{ "path": "/contact/city", "before": "Amsterdam", "after": "Utrecht",
                                  "changed_by": [event_ref()] }] }),
        ),
        (
            "TraceView",
            json!({ "correlation_id": CORRELATION, "streams": [format!("customer-{CUSTOMER}")],
                    "steps": [{ "depth": 0, "caused_by": null, "event": envelope() }] }),
        ),
        (
            "VerifyReportView",
            json!({ "intact": true, "events_checked": 1200, "streams_checked": 85,
                    "last_position": 1200, "first_break": null,
                    "witness": { "heads_checked": 12, "newest_position": 1200,
                                 "newest_signed_at": "2027-03-01T17:00:00Z",
                                 "problem": null, "problem_kind": null } }),
        ),
        (
            "ReadModelStatusList",
            json!({ "read_models": [{ "name": "customers", "position": 1200, "lag": 0,
                                      "generation": 1, "rebuilding": false, "rebuild_position": 0,
                                      "dead_letter_count": 0, "unknown_skipped": 0,
                                      "last_error": null }],
                    "event_store": { "head": 1200, "storage": storage },
                    "storage": storage }),
        ),
        (
            "DeadLetterList",
            json!({ "dead_letters": [dead_letter()], "discarded": [discarded()] }),
        ),
        ("DeadLetterDetail", {
            let mut detail = dead_letter();
            detail["envelope"] = envelope();
            detail
        }),
        ("DiscardedView", discarded()),
        (
            "RedriveResult",
            json!({ "redriven": [dead_letter()], "failed": [] }),
        ),
        (
            "RebuildStarted",
            json!({ "started": ["customers", "vehicles"], "progress": "/api/v1/audit/read-models" }),
        ),
        (
            "Health",
            json!({ "status": "ready", "dependencies": [{ "name": "command", "status": "up" },
                                                        { "name": "query", "status": "up" }] }),
        ),
    ]
}
