use chrono::TimeZone;
use prost_types::Timestamp;

use super::*;
use crate::shared::testing::assert_spoils_rejected;

const ROUTE: &str = "0190a5b2-7c1d-7000-8000-000000000001";
const DELIVERY: &str = "0190a5b2-7c1d-7000-8000-000000000002";
const OTHER: &str = "0190a5b2-7c1d-7000-8000-000000000003";

fn now() -> DateTime<Utc> {
    Utc.timestamp_opt(1_800_000_000, 0).unwrap()
}

fn ts(seconds: i64) -> Option<Timestamp> {
    Some(Timestamp { seconds, nanos: 0 })
}

fn long(chars: usize) -> String {
    "x".repeat(chars)
}

fn text<const MAX: usize>(raw: &str) -> Text<MAX> {
    Text::parse("text", raw).unwrap()
}

fn create_route() -> v1::CreateRouteRequest {
    v1::CreateRouteRequest {
        route_id: ROUTE.into(),
        origin: " Amsterdam ".into(),
        destination: "Utrecht".into(),
        scheduled_start: ts(1_800_000_000),
        idempotency_key: None,
    }
}

#[test]
fn a_valid_create_route_request_converts() {
    let addressed = create_route().into_command(now()).unwrap();
    assert_eq!(addressed.aggregate_id, ROUTE);
    assert_eq!(
        addressed.command,
        RouteCommand::Create {
            route_id: RouteId::parse("route_id", ROUTE).unwrap(),
            origin: text("Amsterdam"),
            destination: text("Utrecht"),
            scheduled_start: now(),
        }
    );
}

#[test]
fn bad_create_route_fields_are_named() {
    assert_spoils_rejected(
        create_route(),
        &[
            ("route_id", |r| r.route_id = "nope".into()),
            ("origin", |r| r.origin = " ".into()),
            ("origin", |r| r.origin = long(201)),
            ("destination", |r| r.destination = long(201)),
            ("scheduled_start", |r| r.scheduled_start = None),
        ],
    );
}

fn update_route() -> v1::UpdateRouteRequest {
    v1::UpdateRouteRequest {
        route_id: ROUTE.into(),
        origin: "Haarlem".into(),
        destination: "Utrecht".into(),
        scheduled_start: ts(1_800_000_000),
        idempotency_key: None,
    }
}

#[test]
fn a_valid_update_route_request_converts() {
    let addressed = update_route().into_command(now()).unwrap();
    assert_eq!(addressed.aggregate_id, ROUTE);
    assert_eq!(
        addressed.command,
        RouteCommand::Update {
            origin: text("Haarlem"),
            destination: text("Utrecht"),
            scheduled_start: now(),
        }
    );
}

#[test]
fn bad_update_route_fields_are_named() {
    assert_spoils_rejected(
        update_route(),
        &[
            ("route_id", |r| r.route_id = "".into()),
            ("origin", |r| r.origin = long(201)),
            ("destination", |r| r.destination = "".into()),
            ("scheduled_start", |r| r.scheduled_start = None),
        ],
    );
}

fn add_checkpoint() -> v1::AddCheckpointRequest {
    v1::AddCheckpointRequest {
        route_id: ROUTE.into(),
        sequence: 1,
        location: "Depot".into(),
        expected_at: ts(1_800_000_600),
        idempotency_key: None,
    }
}

#[test]
fn a_valid_add_checkpoint_request_converts() {
    let addressed = add_checkpoint().into_command(now()).unwrap();
    assert_eq!(addressed.aggregate_id, ROUTE);
    assert_eq!(
        addressed.command,
        RouteCommand::AddCheckpoint {
            sequence: Sequence::parse("sequence", 1).unwrap(),
            location: text("Depot"),
            expected_at: Utc.timestamp_opt(1_800_000_600, 0).unwrap(),
        }
    );
}

#[test]
fn bad_add_checkpoint_fields_are_named() {
    assert_spoils_rejected(
        add_checkpoint(),
        &[
            ("route_id", |r| r.route_id = "x".into()),
            ("sequence", |r| r.sequence = 0),
            ("location", |r| r.location = long(201)),
            ("location", |r| r.location = "".into()),
            ("expected_at", |r| r.expected_at = None),
        ],
    );
}

fn update_checkpoint() -> v1::UpdateCheckpointRequest {
    v1::UpdateCheckpointRequest {
        route_id: ROUTE.into(),
        sequence: 2,
        location: "Depot".into(),
        expected_at: ts(1_800_000_600),
        idempotency_key: None,
    }
}

#[test]
fn a_valid_update_checkpoint_request_converts() {
    let addressed = update_checkpoint().into_command(now()).unwrap();
    assert_eq!(addressed.aggregate_id, ROUTE);
    assert!(matches!(
        addressed.command,
        RouteCommand::UpdateCheckpoint { sequence, .. } if sequence.get() == 2
    ));
}

#[test]
fn bad_update_checkpoint_fields_are_named() {
    assert_spoils_rejected(
        update_checkpoint(),
        &[
            ("route_id", |r| r.route_id = "x".into()),
            ("sequence", |r| r.sequence = 0),
            ("location", |r| r.location = long(201)),
            ("expected_at", |r| {
                r.expected_at = Some(Timestamp {
                    seconds: 1,
                    nanos: -1,
                })
            }),
        ],
    );
}

#[test]
fn route_status_requests_convert_and_name_a_bad_route_id() {
    let activate = v1::ActivateRouteRequest {
        route_id: ROUTE.into(),
        idempotency_key: None,
    };
    let complete = v1::CompleteRouteRequest {
        route_id: ROUTE.into(),
        idempotency_key: None,
    };
    let cancel = v1::CancelRouteRequest {
        route_id: ROUTE.into(),
        idempotency_key: None,
    };
    assert_eq!(
        activate.clone().into_command(now()).unwrap(),
        Addressed::new(ROUTE, RouteCommand::Activate)
    );
    assert_eq!(
        complete.clone().into_command(now()).unwrap(),
        Addressed::new(ROUTE, RouteCommand::Complete)
    );
    assert_eq!(
        cancel.clone().into_command(now()).unwrap(),
        Addressed::new(ROUTE, RouteCommand::Cancel)
    );
    assert_spoils_rejected(activate, &[("route_id", |r| r.route_id = "x".into())]);
    assert_spoils_rejected(complete, &[("route_id", |r| r.route_id = "x".into())]);
    assert_spoils_rejected(cancel, &[("route_id", |r| r.route_id = "x".into())]);
}

#[test]
fn create_delivery_parses_both_ids_naming_a_bad_one() {
    let request = v1::CreateDeliveryRequest {
        delivery_id: DELIVERY.into(),
        route_id: ROUTE.into(),
        idempotency_key: None,
    };
    let (delivery, route) = create_delivery(request.clone()).unwrap();
    assert_eq!(
        (delivery.to_string(), route.to_string()),
        (DELIVERY.into(), ROUTE.into())
    );
    let bad_delivery = v1::CreateDeliveryRequest {
        delivery_id: "x".into(),
        ..request.clone()
    };
    assert_eq!(
        create_delivery(bad_delivery).unwrap_err().field,
        "delivery_id"
    );
    let bad_route = v1::CreateDeliveryRequest {
        route_id: "x".into(),
        ..request
    };
    assert_eq!(create_delivery(bad_route).unwrap_err().field, "route_id");
}

#[test]
fn assignment_requests_convert_and_name_bad_fields() {
    let driver = v1::AssignDriverRequest {
        delivery_id: DELIVERY.into(),
        driver_id: OTHER.into(),
        idempotency_key: None,
    };
    assert_eq!(
        driver.clone().into_command(now()).unwrap(),
        Addressed::new(
            DELIVERY,
            DeliveryCommand::AssignDriver {
                driver: DriverId::parse("driver_id", OTHER).unwrap(),
            }
        )
    );
    assert_spoils_rejected(
        driver,
        &[
            ("delivery_id", |r| r.delivery_id = "x".into()),
            ("driver_id", |r| r.driver_id = "x".into()),
        ],
    );
    let vehicle = v1::AssignVehicleRequest {
        delivery_id: DELIVERY.into(),
        vehicle_license_number: "ab-123-c".into(),
        idempotency_key: None,
    };
    assert_eq!(
        vehicle.clone().into_command(now()).unwrap(),
        Addressed::new(
            DELIVERY,
            DeliveryCommand::AssignVehicle {
                vehicle: LicenseNumber::parse("v", "AB-123-C").unwrap(),
            }
        )
    );
    assert_spoils_rejected(
        vehicle,
        &[
            ("delivery_id", |r| r.delivery_id = "".into()),
            ("vehicle_license_number", |r| {
                r.vehicle_license_number = "AB123C".into()
            }),
        ],
    );
}

#[test]
fn status_requests_take_the_server_clock_and_name_a_bad_delivery_id() {
    let start = v1::StartTransitRequest {
        delivery_id: DELIVERY.into(),
        idempotency_key: None,
    };
    let out = v1::MarkOutForDeliveryRequest {
        delivery_id: DELIVERY.into(),
        idempotency_key: None,
    };
    let retry = v1::RetryDeliveryRequest {
        delivery_id: DELIVERY.into(),
        idempotency_key: None,
    };
    assert_eq!(
        start.clone().into_command(now()).unwrap(),
        Addressed::new(DELIVERY, DeliveryCommand::StartTransit { at: now() })
    );
    assert_eq!(
        out.clone().into_command(now()).unwrap(),
        Addressed::new(DELIVERY, DeliveryCommand::MarkOutForDelivery { at: now() })
    );
    assert_eq!(
        retry.clone().into_command(now()).unwrap(),
        Addressed::new(DELIVERY, DeliveryCommand::Retry { at: now() })
    );
    assert_spoils_rejected(start, &[("delivery_id", |r| r.delivery_id = "x".into())]);
    assert_spoils_rejected(out, &[("delivery_id", |r| r.delivery_id = "x".into())]);
    assert_spoils_rejected(retry, &[("delivery_id", |r| r.delivery_id = "x".into())]);
}

fn reach() -> v1::ReachCheckpointRequest {
    v1::ReachCheckpointRequest {
        delivery_id: DELIVERY.into(),
        sequence: 1,
        location: "Depot".into(),
        idempotency_key: None,
    }
}

#[test]
fn a_valid_reach_checkpoint_request_converts() {
    assert_eq!(
        reach().into_command(now()).unwrap(),
        Addressed::new(
            DELIVERY,
            DeliveryCommand::ReachCheckpoint {
                sequence: Sequence::parse("sequence", 1).unwrap(),
                location: text("Depot"),
                at: now(),
            }
        )
    );
}

#[test]
fn bad_reach_checkpoint_fields_are_named() {
    assert_spoils_rejected(
        reach(),
        &[
            ("delivery_id", |r| r.delivery_id = "x".into()),
            ("sequence", |r| r.sequence = 0),
            ("location", |r| r.location = long(201)),
        ],
    );
}

fn proof() -> v1::CaptureProofOfDeliveryRequest {
    v1::CaptureProofOfDeliveryRequest {
        delivery_id: DELIVERY.into(),
        receiver_name: "Ada".into(),
        signature_reference: long(500),
        idempotency_key: None,
    }
}

#[test]
fn a_valid_proof_of_delivery_request_converts() {
    assert_eq!(
        proof().into_command(now()).unwrap(),
        Addressed::new(
            DELIVERY,
            DeliveryCommand::CaptureProofOfDelivery {
                receiver_name: text("Ada"),
                signature_reference: text(&long(500)),
                at: now(),
            }
        )
    );
}

#[test]
fn bad_proof_of_delivery_fields_are_named() {
    assert_spoils_rejected(
        proof(),
        &[
            ("delivery_id", |r| r.delivery_id = "x".into()),
            ("receiver_name", |r| r.receiver_name = long(201)),
            ("receiver_name", |r| r.receiver_name = "".into()),
            ("signature_reference", |r| r.signature_reference = long(501)),
        ],
    );
}

#[test]
fn fail_requests_need_a_reason_of_at_most_2000_characters() {
    let fail = v1::FailDeliveryRequest {
        delivery_id: DELIVERY.into(),
        reason: long(2000),
        idempotency_key: None,
    };
    assert_eq!(
        fail.clone().into_command(now()).unwrap(),
        Addressed::new(
            DELIVERY,
            DeliveryCommand::Fail {
                reason: text(&long(2000)),
                at: now()
            }
        )
    );
    assert_spoils_rejected(
        fail,
        &[
            ("delivery_id", |r| r.delivery_id = "x".into()),
            ("reason", |r| r.reason = long(2001)),
            ("reason", |r| r.reason = " ".into()),
        ],
    );
}

fn report() -> v1::ReportIncidentRequest {
    v1::ReportIncidentRequest {
        delivery_id: DELIVERY.into(),
        incident_id: OTHER.into(),
        incident_type: "delay".into(),
        description: "traffic jam".into(),
        idempotency_key: None,
    }
}

#[test]
fn a_valid_report_incident_request_converts() {
    assert_eq!(
        report().into_command(now()).unwrap(),
        Addressed::new(
            DELIVERY,
            DeliveryCommand::ReportIncident {
                incident_id: IncidentId::parse("incident_id", OTHER).unwrap(),
                incident_type: text("delay"),
                description: text("traffic jam"),
                at: now(),
            }
        )
    );
}

#[test]
fn bad_report_incident_fields_are_named() {
    assert_spoils_rejected(
        report(),
        &[
            ("delivery_id", |r| r.delivery_id = "x".into()),
            ("incident_id", |r| r.incident_id = "x".into()),
            ("incident_type", |r| r.incident_type = long(101)),
            ("incident_type", |r| r.incident_type = "".into()),
            ("description", |r| r.description = long(2001)),
        ],
    );
}

fn resolve() -> v1::ResolveIncidentRequest {
    v1::ResolveIncidentRequest {
        delivery_id: DELIVERY.into(),
        incident_id: OTHER.into(),
        resolution: "took a detour".into(),
        idempotency_key: None,
    }
}

#[test]
fn a_valid_resolve_incident_request_converts() {
    assert_eq!(
        resolve().into_command(now()).unwrap(),
        Addressed::new(
            DELIVERY,
            DeliveryCommand::ResolveIncident {
                incident_id: IncidentId::parse("incident_id", OTHER).unwrap(),
                resolution: text("took a detour"),
                at: now(),
            }
        )
    );
}

#[test]
fn bad_resolve_incident_fields_are_named() {
    assert_spoils_rejected(
        resolve(),
        &[
            ("delivery_id", |r| r.delivery_id = "x".into()),
            ("incident_id", |r| r.incident_id = "".into()),
            ("resolution", |r| r.resolution = long(2001)),
        ],
    );
}
