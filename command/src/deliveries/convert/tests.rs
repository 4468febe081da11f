use chrono::TimeZone;
use prost_types::Timestamp;

use super::*;

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

/// Each request is rejected naming exactly the expected field.
#[track_caller]
fn assert_rejected<R: IntoCommand>(cases: Vec<(R, &str)>)
where
    <R::Aggregate as es_core::Aggregate>::Command: std::fmt::Debug,
{
    for (index, (request, field)) in cases.into_iter().enumerate() {
        let error = request.into_command(now()).unwrap_err();
        assert_eq!(error.field, field, "case {index}: {error}");
    }
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
    use v1::CreateRouteRequest as R;
    assert_rejected(vec![
        (
            R {
                route_id: "nope".into(),
                ..create_route()
            },
            "route_id",
        ),
        (
            R {
                origin: " ".into(),
                ..create_route()
            },
            "origin",
        ),
        (
            R {
                origin: long(201),
                ..create_route()
            },
            "origin",
        ),
        (
            R {
                destination: long(201),
                ..create_route()
            },
            "destination",
        ),
        (
            R {
                scheduled_start: None,
                ..create_route()
            },
            "scheduled_start",
        ),
    ]);
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
    use v1::UpdateRouteRequest as R;
    assert_rejected(vec![
        (
            R {
                route_id: "".into(),
                ..update_route()
            },
            "route_id",
        ),
        (
            R {
                origin: long(201),
                ..update_route()
            },
            "origin",
        ),
        (
            R {
                destination: "".into(),
                ..update_route()
            },
            "destination",
        ),
        (
            R {
                scheduled_start: None,
                ..update_route()
            },
            "scheduled_start",
        ),
    ]);
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
    use v1::AddCheckpointRequest as R;
    assert_rejected(vec![
        (
            R {
                route_id: "x".into(),
                ..add_checkpoint()
            },
            "route_id",
        ),
        (
            R {
                sequence: 0,
                ..add_checkpoint()
            },
            "sequence",
        ),
        (
            R {
                location: long(201),
                ..add_checkpoint()
            },
            "location",
        ),
        (
            R {
                location: "".into(),
                ..add_checkpoint()
            },
            "location",
        ),
        (
            R {
                expected_at: None,
                ..add_checkpoint()
            },
            "expected_at",
        ),
    ]);
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
    use v1::UpdateCheckpointRequest as R;
    assert_rejected(vec![
        (
            R {
                route_id: "x".into(),
                ..update_checkpoint()
            },
            "route_id",
        ),
        (
            R {
                sequence: 0,
                ..update_checkpoint()
            },
            "sequence",
        ),
        (
            R {
                location: long(201),
                ..update_checkpoint()
            },
            "location",
        ),
        (
            R {
                expected_at: Some(Timestamp {
                    seconds: 1,
                    nanos: -1,
                }),
                ..update_checkpoint()
            },
            "expected_at",
        ),
    ]);
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
        activate.into_command(now()).unwrap(),
        Addressed::new(ROUTE, RouteCommand::Activate)
    );
    assert_eq!(
        complete.into_command(now()).unwrap(),
        Addressed::new(ROUTE, RouteCommand::Complete)
    );
    assert_eq!(
        cancel.into_command(now()).unwrap(),
        Addressed::new(ROUTE, RouteCommand::Cancel)
    );
    assert_rejected(vec![(
        v1::ActivateRouteRequest {
            route_id: "x".into(),
            idempotency_key: None,
        },
        "route_id",
    )]);
    assert_rejected(vec![(
        v1::CompleteRouteRequest {
            route_id: "x".into(),
            idempotency_key: None,
        },
        "route_id",
    )]);
    assert_rejected(vec![(
        v1::CancelRouteRequest {
            route_id: "x".into(),
            idempotency_key: None,
        },
        "route_id",
    )]);
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
    assert_rejected(vec![
        (
            v1::AssignDriverRequest {
                delivery_id: "x".into(),
                ..driver.clone()
            },
            "delivery_id",
        ),
        (
            v1::AssignDriverRequest {
                driver_id: "x".into(),
                ..driver
            },
            "driver_id",
        ),
    ]);
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
    assert_rejected(vec![
        (
            v1::AssignVehicleRequest {
                delivery_id: "".into(),
                ..vehicle.clone()
            },
            "delivery_id",
        ),
        (
            v1::AssignVehicleRequest {
                vehicle_license_number: "AB123C".into(),
                ..vehicle
            },
            "vehicle_license_number",
        ),
    ]);
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
        start.into_command(now()).unwrap(),
        Addressed::new(DELIVERY, DeliveryCommand::StartTransit { at: now() })
    );
    assert_eq!(
        out.into_command(now()).unwrap(),
        Addressed::new(DELIVERY, DeliveryCommand::MarkOutForDelivery { at: now() })
    );
    assert_eq!(
        retry.into_command(now()).unwrap(),
        Addressed::new(DELIVERY, DeliveryCommand::Retry { at: now() })
    );
    assert_rejected(vec![(
        v1::StartTransitRequest {
            delivery_id: "x".into(),
            idempotency_key: None,
        },
        "delivery_id",
    )]);
    assert_rejected(vec![(
        v1::MarkOutForDeliveryRequest {
            delivery_id: "x".into(),
            idempotency_key: None,
        },
        "delivery_id",
    )]);
    assert_rejected(vec![(
        v1::RetryDeliveryRequest {
            delivery_id: "x".into(),
            idempotency_key: None,
        },
        "delivery_id",
    )]);
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
    use v1::ReachCheckpointRequest as R;
    assert_rejected(vec![
        (
            R {
                delivery_id: "x".into(),
                ..reach()
            },
            "delivery_id",
        ),
        (
            R {
                sequence: 0,
                ..reach()
            },
            "sequence",
        ),
        (
            R {
                location: long(201),
                ..reach()
            },
            "location",
        ),
    ]);
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
    use v1::CaptureProofOfDeliveryRequest as R;
    assert_rejected(vec![
        (
            R {
                delivery_id: "x".into(),
                ..proof()
            },
            "delivery_id",
        ),
        (
            R {
                receiver_name: long(201),
                ..proof()
            },
            "receiver_name",
        ),
        (
            R {
                receiver_name: "".into(),
                ..proof()
            },
            "receiver_name",
        ),
        (
            R {
                signature_reference: long(501),
                ..proof()
            },
            "signature_reference",
        ),
    ]);
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
    use v1::FailDeliveryRequest as R;
    assert_rejected(vec![
        (
            R {
                delivery_id: "x".into(),
                ..fail.clone()
            },
            "delivery_id",
        ),
        (
            R {
                reason: long(2001),
                ..fail.clone()
            },
            "reason",
        ),
        (
            R {
                reason: " ".into(),
                ..fail
            },
            "reason",
        ),
    ]);
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
    use v1::ReportIncidentRequest as R;
    assert_rejected(vec![
        (
            R {
                delivery_id: "x".into(),
                ..report()
            },
            "delivery_id",
        ),
        (
            R {
                incident_id: "x".into(),
                ..report()
            },
            "incident_id",
        ),
        (
            R {
                incident_type: long(101),
                ..report()
            },
            "incident_type",
        ),
        (
            R {
                incident_type: "".into(),
                ..report()
            },
            "incident_type",
        ),
        (
            R {
                description: long(2001),
                ..report()
            },
            "description",
        ),
    ]);
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
    use v1::ResolveIncidentRequest as R;
    assert_rejected(vec![
        (
            R {
                delivery_id: "x".into(),
                ..resolve()
            },
            "delivery_id",
        ),
        (
            R {
                incident_id: "".into(),
                ..resolve()
            },
            "incident_id",
        ),
        (
            R {
                resolution: long(2001),
                ..resolve()
            },
            "resolution",
        ),
    ]);
}
