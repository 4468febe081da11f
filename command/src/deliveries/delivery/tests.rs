use chrono::TimeZone;
use es_core::testing::AggregateTest;
use proptest::prelude::*;

use super::*;
use crate::deliveries::checkpoint::{Location, Sequence};
use crate::deliveries::route::Route;
use crate::deliveries::route::RouteEvent;
use crate::shared::{DomainRule, IncidentId, RuleKind, Text};

fn at(minute: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_800_000_000 + minute * 60, 0).unwrap()
}

fn delivery_id() -> DeliveryId {
    DeliveryId::from(uuid::Uuid::from_u128(0xd1))
}

fn route_id() -> RouteId {
    RouteId::from(uuid::Uuid::from_u128(0x7))
}

fn driver() -> DriverId {
    DriverId::from(uuid::Uuid::from_u128(0xd7))
}

fn vehicle() -> LicenseNumber {
    LicenseNumber::parse("vehicle", "AB-123-C").unwrap()
}

fn incident() -> IncidentId {
    IncidentId::from(uuid::Uuid::from_u128(0x1c))
}

fn seq(n: u32) -> Sequence {
    Sequence::parse("sequence", n).unwrap()
}

fn text<const MAX: usize>(raw: &str) -> Text<MAX> {
    Text::parse("text", raw).unwrap()
}

fn location(n: u32) -> Location {
    text(&format!("stop {n}"))
}

/// A route starting at minute 0 with checkpoints 1 (minute 10) and 2 (minute 20),
/// in `status`.
fn route(events_after_checkpoints: Vec<RouteEvent>) -> RouteSummary {
    let mut route = Route::default();
    let mut events = vec![RouteEvent::Created {
        route_id: route_id(),
        origin: text("Amsterdam"),
        destination: text("Utrecht"),
        scheduled_start: at(0),
    }];
    for n in [1, 2] {
        events.push(RouteEvent::CheckpointAdded {
            route_id: route_id(),
            sequence: seq(n),
            location: location(n),
            expected_at: at(n as i64 * 10),
            scheduled_end: at(n as i64 * 10),
        });
    }
    events.extend(events_after_checkpoints);
    events.iter().for_each(|event| route.apply(event));
    route.summary().unwrap()
}

fn active_route() -> RouteSummary {
    route(vec![RouteEvent::Activated {
        route_id: route_id(),
    }])
}

fn slot() -> Timeslot {
    Timeslot::new("slot", at(0), at(20)).unwrap()
}

fn created() -> DeliveryEvent {
    DeliveryEvent::Created {
        delivery_id: delivery_id(),
        route_id: route_id(),
        slot: slot(),
        checkpoints: active_route().checkpoints,
    }
}

fn driver_assigned() -> DeliveryEvent {
    DeliveryEvent::DriverAssigned {
        delivery_id: delivery_id(),
        driver_id: driver(),
        previous_driver_id: None,
        slot: slot(),
    }
}

fn vehicle_assigned() -> DeliveryEvent {
    DeliveryEvent::VehicleAssigned {
        delivery_id: delivery_id(),
        vehicle_license_number: vehicle(),
        previous_vehicle_license_number: None,
        slot: slot(),
    }
}

fn status_changed(from: DeliveryStatus, to: DeliveryStatus, minute: i64) -> DeliveryEvent {
    DeliveryEvent::StatusChanged {
        delivery_id: delivery_id(),
        from,
        to,
        at: at(minute),
        reason: None,
    }
}

fn reached(n: u32) -> DeliveryEvent {
    DeliveryEvent::CheckpointReached {
        delivery_id: delivery_id(),
        sequence: seq(n),
        location: location(n),
        at: at(n as i64 * 10),
    }
}

fn failed(from: DeliveryStatus) -> DeliveryEvent {
    DeliveryEvent::StatusChanged {
        delivery_id: delivery_id(),
        from,
        to: DeliveryStatus::Failed,
        at: at(30),
        reason: Some(text("receiver not home")),
    }
}

fn reported() -> DeliveryEvent {
    DeliveryEvent::IncidentReported {
        delivery_id: delivery_id(),
        incident_id: incident(),
        incident_type: text("delay"),
        description: text("traffic jam"),
        at: at(5),
    }
}

fn resolved() -> DeliveryEvent {
    DeliveryEvent::IncidentResolved {
        delivery_id: delivery_id(),
        incident_id: incident(),
        resolution: text("took a detour"),
        at: at(50),
    }
}

use DeliveryStatus::*;

fn picked_up() -> Vec<DeliveryEvent> {
    vec![created(), driver_assigned(), vehicle_assigned()]
}

fn in_transit() -> Vec<DeliveryEvent> {
    let mut events = picked_up();
    events.push(status_changed(PickedUp, InTransit, 1));
    events
}

fn out_for_delivery() -> Vec<DeliveryEvent> {
    let mut events = in_transit();
    events.extend([
        reached(1),
        reached(2),
        status_changed(InTransit, OutForDelivery, 25),
    ]);
    events
}

fn delivered() -> Vec<DeliveryEvent> {
    let mut events = out_for_delivery();
    events.push(status_changed(OutForDelivery, Delivered, 30));
    events
}

fn with(mut events: Vec<DeliveryEvent>, more: Vec<DeliveryEvent>) -> Vec<DeliveryEvent> {
    events.extend(more);
    events
}

fn create(route: RouteSummary) -> DeliveryCommand {
    DeliveryCommand::Create {
        delivery_id: delivery_id(),
        route,
    }
}

fn start_transit() -> DeliveryCommand {
    DeliveryCommand::StartTransit { at: at(1) }
}

fn mark_out_for_delivery() -> DeliveryCommand {
    DeliveryCommand::MarkOutForDelivery { at: at(25) }
}

fn retry() -> DeliveryCommand {
    DeliveryCommand::Retry { at: at(40) }
}

fn reach(n: u32, place: &str) -> DeliveryCommand {
    DeliveryCommand::ReachCheckpoint {
        sequence: seq(n),
        location: text(place),
        at: at(n as i64 * 10),
    }
}

fn capture_proof() -> DeliveryCommand {
    DeliveryCommand::CaptureProofOfDelivery {
        receiver_name: text("Ada"),
        signature_reference: text("sig/123"),
        at: at(30),
    }
}

fn fail() -> DeliveryCommand {
    DeliveryCommand::Fail {
        reason: text("receiver not home"),
        at: at(30),
    }
}

fn report() -> DeliveryCommand {
    DeliveryCommand::ReportIncident {
        incident_id: incident(),
        incident_type: text("delay"),
        description: text("traffic jam"),
        at: at(5),
    }
}

fn resolve() -> DeliveryCommand {
    DeliveryCommand::ResolveIncident {
        incident_id: incident(),
        resolution: text("took a detour"),
        at: at(50),
    }
}

fn delivery_of(events: &[DeliveryEvent]) -> Delivery {
    let mut delivery = Delivery::default();
    events.iter().for_each(|event| delivery.apply(event));
    delivery
}

// 1. created only for an existing, active route

#[test]
fn a_delivery_of_an_active_route_starts_picked_up_with_the_routes_slot_and_checkpoints() {
    AggregateTest::<Delivery>::given_no_previous_events()
        .when(create(active_route()))
        .then_expect_events(vec![created()]);
    let delivery = delivery_of(&[created()]);
    assert_eq!(delivery.status(), Some(PickedUp));
    assert_eq!(delivery.slot(), Some(slot()));
    assert_eq!(delivery.route_id(), Some(route_id()));
}

#[test]
fn a_delivery_is_created_only_for_an_active_route() {
    for (summary, status) in [
        (route(vec![]), RouteStatus::Planning),
        (
            route(vec![
                RouteEvent::Activated {
                    route_id: route_id(),
                },
                RouteEvent::Completed {
                    route_id: route_id(),
                },
            ]),
            RouteStatus::Completed,
        ),
    ] {
        AggregateTest::<Delivery>::given_no_previous_events()
            .when(create(summary))
            .then_expect_error(DeliveryError::RouteNotActive {
                route_id: route_id(),
                status,
            });
    }
}

#[test]
fn a_route_summary_without_a_slot_counts_as_not_active() {
    let summary = RouteSummary {
        slot: None,
        checkpoints: Vec::new(),
        ..active_route()
    };
    AggregateTest::<Delivery>::given_no_previous_events()
        .when(create(summary))
        .then_expect_error_matching(|e| e.reason() == "route_not_active");
}

#[test]
fn creating_an_existing_delivery_is_rejected() {
    AggregateTest::<Delivery>::given(vec![created()])
        .when(create(active_route()))
        .then_expect_error(DeliveryError::AlreadyExists {
            delivery_id: delivery_id(),
        });
}

#[test]
fn a_command_on_an_unknown_delivery_is_not_found() {
    AggregateTest::<Delivery>::given_no_previous_events()
        .when(start_transit())
        .then_expect_error(DeliveryError::NotFound);
}

// 2. driver and vehicle are (re)assigned only while picked up

#[test]
fn a_driver_is_assigned_and_reassigned_while_picked_up() {
    let other = DriverId::from(uuid::Uuid::from_u128(0xd8));
    AggregateTest::<Delivery>::given(picked_up())
        .when(DeliveryCommand::AssignDriver { driver: other })
        .then_expect_events(vec![DeliveryEvent::DriverAssigned {
            delivery_id: delivery_id(),
            driver_id: other,
            previous_driver_id: Some(driver()),
            slot: slot(),
        }]);
}

#[test]
fn a_vehicle_is_assigned_while_picked_up() {
    AggregateTest::<Delivery>::given(vec![created()])
        .when(DeliveryCommand::AssignVehicle { vehicle: vehicle() })
        .then_expect_events(vec![vehicle_assigned()]);
    let delivery = delivery_of(&picked_up());
    assert_eq!(delivery.vehicle(), Some(&vehicle()));
    assert_eq!(delivery.driver(), Some(driver()));
}

#[test]
fn a_driver_cannot_be_assigned_once_in_transit() {
    AggregateTest::<Delivery>::given(in_transit())
        .when(DeliveryCommand::AssignDriver { driver: driver() })
        .then_expect_error(DeliveryError::NotPickedUp { status: InTransit });
}

#[test]
fn a_vehicle_cannot_be_assigned_once_failed() {
    AggregateTest::<Delivery>::given(with(picked_up(), vec![failed(PickedUp)]))
        .when(DeliveryCommand::AssignVehicle { vehicle: vehicle() })
        .then_expect_error(DeliveryError::NotPickedUp { status: Failed });
}

// 3. in transit needs both a driver and a vehicle

#[test]
fn a_delivery_with_driver_and_vehicle_goes_in_transit() {
    AggregateTest::<Delivery>::given(picked_up())
        .when(start_transit())
        .then_expect_events(vec![status_changed(PickedUp, InTransit, 1)]);
}

#[test]
fn transit_needs_a_driver() {
    AggregateTest::<Delivery>::given(vec![created(), vehicle_assigned()])
        .when(start_transit())
        .then_expect_error(DeliveryError::DriverNotAssigned);
}

#[test]
fn transit_needs_a_vehicle() {
    AggregateTest::<Delivery>::given(vec![created(), driver_assigned()])
        .when(start_transit())
        .then_expect_error(DeliveryError::VehicleNotAssigned);
}

// 4. checkpoints: in sequence, only in transit, the route's sequence and location

#[test]
fn the_next_checkpoint_is_reached_while_in_transit() {
    AggregateTest::<Delivery>::given(in_transit())
        .when(reach(1, "stop 1"))
        .then_expect_events(vec![reached(1)]);
}

#[test]
fn checkpoints_are_reached_only_while_in_transit() {
    AggregateTest::<Delivery>::given(picked_up())
        .when(reach(1, "stop 1"))
        .then_expect_error(DeliveryError::NotInTransit { status: PickedUp });
}

#[test]
fn a_checkpoint_must_be_one_of_the_routes_sequences() {
    AggregateTest::<Delivery>::given(in_transit())
        .when(reach(3, "stop 3"))
        .then_expect_error(DeliveryError::CheckpointNotFound { sequence: seq(3) });
}

#[test]
fn a_checkpoint_at_the_wrong_location_is_rejected() {
    AggregateTest::<Delivery>::given(in_transit())
        .when(reach(1, "stop 2"))
        .then_expect_error(DeliveryError::WrongLocation {
            sequence: seq(1),
            expected: location(1),
        });
}

#[test]
fn checkpoints_must_be_reached_in_sequence() {
    AggregateTest::<Delivery>::given(in_transit())
        .when(reach(2, "stop 2"))
        .then_expect_error(DeliveryError::CheckpointOutOfSequence {
            sequence: seq(2),
            next: seq(1),
        });
}

#[test]
fn a_checkpoint_cannot_be_reached_twice() {
    AggregateTest::<Delivery>::given(with(in_transit(), vec![reached(1)]))
        .when(reach(1, "stop 1"))
        .then_expect_error(DeliveryError::CheckpointAlreadyReached { sequence: seq(1) });
}

// 5. out for delivery needs every checkpoint reached

#[test]
fn out_for_delivery_follows_transit_once_every_checkpoint_is_reached() {
    AggregateTest::<Delivery>::given(with(in_transit(), vec![reached(1), reached(2)]))
        .when(mark_out_for_delivery())
        .then_expect_events(vec![status_changed(InTransit, OutForDelivery, 25)]);
}

#[test]
fn out_for_delivery_needs_every_route_checkpoint_reached() {
    AggregateTest::<Delivery>::given(with(in_transit(), vec![reached(1)]))
        .when(mark_out_for_delivery())
        .then_expect_error(DeliveryError::CheckpointsNotAllReached { next: seq(2) });
}

#[test]
fn out_for_delivery_is_reached_only_from_in_transit() {
    AggregateTest::<Delivery>::given(picked_up())
        .when(mark_out_for_delivery())
        .then_expect_error(DeliveryError::InvalidTransition {
            from: PickedUp,
            to: OutForDelivery,
        });
}

// 6. proof of delivery

#[test]
fn capturing_proof_of_delivery_delivers_the_delivery() {
    AggregateTest::<Delivery>::given(out_for_delivery())
        .when(capture_proof())
        .then_expect_events(vec![
            DeliveryEvent::ProofOfDeliveryCaptured {
                delivery_id: delivery_id(),
                receiver_name: text("Ada"),
                signature_reference: text("sig/123"),
                at: at(30),
            },
            status_changed(OutForDelivery, Delivered, 30),
        ]);
}

#[test]
fn proof_of_delivery_requires_out_for_delivery() {
    AggregateTest::<Delivery>::given(with(in_transit(), vec![reached(1), reached(2)]))
        .when(capture_proof())
        .then_expect_error(DeliveryError::NotOutForDelivery { status: InTransit });
}

// 7. incidents

#[test]
fn incidents_can_be_reported_in_any_status_even_after_delivery_or_failure() {
    for given in [
        picked_up(),
        delivered(),
        with(in_transit(), vec![failed(InTransit)]),
    ] {
        AggregateTest::<Delivery>::given(given)
            .when(report())
            .then_expect_events(vec![reported()]);
    }
}

#[test]
fn a_reused_incident_id_is_rejected() {
    AggregateTest::<Delivery>::given(with(in_transit(), vec![reported(), resolved()]))
        .when(report())
        .then_expect_error(DeliveryError::IncidentAlreadyReported {
            incident_id: incident(),
        });
}

#[test]
fn an_incident_can_be_resolved_after_delivery() {
    AggregateTest::<Delivery>::given(with(delivered(), vec![reported()]))
        .when(resolve())
        .then_expect_events(vec![resolved()]);
}

#[test]
fn a_resolved_incident_cannot_be_resolved_again() {
    AggregateTest::<Delivery>::given(with(in_transit(), vec![reported(), resolved()]))
        .when(resolve())
        .then_expect_error(DeliveryError::IncidentAlreadyResolved {
            incident_id: incident(),
        });
}

#[test]
fn resolving_an_unknown_incident_is_not_found() {
    AggregateTest::<Delivery>::given(in_transit())
        .when(resolve())
        .then_expect_error(DeliveryError::IncidentNotFound {
            incident_id: incident(),
        });
}

#[test]
fn open_incidents_never_block_completion() {
    let mut given = in_transit();
    given.push(reported());
    given.extend([reached(1), reached(2)]);
    AggregateTest::<Delivery>::given(given.clone())
        .when(mark_out_for_delivery())
        .then_expect_events(vec![status_changed(InTransit, OutForDelivery, 25)]);
    given.push(status_changed(InTransit, OutForDelivery, 25));
    let events = AggregateTest::<Delivery>::given(given)
        .when(capture_proof())
        .into_result()
        .unwrap();
    assert_eq!(
        events.last(),
        Some(&status_changed(OutForDelivery, Delivered, 30))
    );
}

// Failure and retry

#[test]
fn any_non_terminal_delivery_can_fail_with_a_reason() {
    for (given, from) in [
        (picked_up(), PickedUp),
        (in_transit(), InTransit),
        (out_for_delivery(), OutForDelivery),
    ] {
        AggregateTest::<Delivery>::given(given)
            .when(fail())
            .then_expect_events(vec![failed(from)]);
    }
}

#[test]
fn failing_a_failed_delivery_is_rejected() {
    AggregateTest::<Delivery>::given(with(picked_up(), vec![failed(PickedUp)]))
        .when(fail())
        .then_expect_error(DeliveryError::InvalidTransition {
            from: Failed,
            to: Failed,
        });
}

#[test]
fn a_delivered_delivery_never_changes_status_again() {
    for command in [fail(), retry()] {
        AggregateTest::<Delivery>::given(delivered())
            .when(command)
            .then_expect_error_matching(|e| {
                matches!(
                    e,
                    DeliveryError::InvalidTransition {
                        from: Delivered,
                        ..
                    }
                )
            });
    }
}

#[test]
fn only_a_failed_delivery_can_be_retried() {
    AggregateTest::<Delivery>::given(in_transit())
        .when(retry())
        .then_expect_error(DeliveryError::InvalidTransition {
            from: InTransit,
            to: PickedUp,
        });
}

#[test]
fn a_retry_starts_a_new_run_from_picked_up_keeping_driver_and_vehicle() {
    let given = with(in_transit(), vec![reached(1), failed(InTransit)]);
    AggregateTest::<Delivery>::given(given.clone())
        .when(retry())
        .then_expect_events(vec![status_changed(Failed, PickedUp, 40)]);
    let retried = with(
        given,
        vec![
            status_changed(Failed, PickedUp, 40),
            status_changed(PickedUp, InTransit, 41),
        ],
    );
    let delivery = delivery_of(&retried);
    assert_eq!(
        (delivery.driver(), delivery.vehicle()),
        (Some(driver()), Some(&vehicle()))
    );
    // The reached checkpoints were reset: checkpoint 1 is the next one again.
    AggregateTest::<Delivery>::given(retried)
        .when(reach(1, "stop 1"))
        .then_expect_events(vec![reached(1)]);
}

#[test]
fn delivery_errors_have_stable_reasons_and_kinds() {
    let cases = [
        (
            DeliveryError::AlreadyExists {
                delivery_id: delivery_id(),
            },
            "delivery_already_exists",
            RuleKind::AlreadyExists,
        ),
        (
            DeliveryError::NotFound,
            "delivery_not_found",
            RuleKind::NotFound,
        ),
        (
            DeliveryError::IncidentNotFound {
                incident_id: incident(),
            },
            "incident_not_found",
            RuleKind::NotFound,
        ),
        (
            DeliveryError::IncidentAlreadyReported {
                incident_id: incident(),
            },
            "incident_already_reported",
            RuleKind::AlreadyExists,
        ),
        (
            DeliveryError::InvalidTransition {
                from: Failed,
                to: Failed,
            },
            "invalid_delivery_transition",
            RuleKind::Violation,
        ),
    ];
    for (error, reason, kind) in cases {
        assert_eq!((error.reason(), error.kind()), (reason, kind), "{error}");
    }
}

// Property: whatever commands are accepted, the machine only takes allowed steps.

/// The allowed transitions, written out again independently of `TRANSITIONS`.
const ALLOWED: [(DeliveryStatus, DeliveryStatus); 7] = [
    (PickedUp, InTransit),
    (InTransit, OutForDelivery),
    (OutForDelivery, Delivered),
    (PickedUp, Failed),
    (InTransit, Failed),
    (OutForDelivery, Failed),
    (Failed, PickedUp),
];

#[derive(Debug, Clone)]
enum Step {
    AssignDriver(u128),
    AssignVehicle(bool),
    StartTransit,
    Reach(u32),
    /// Reaches the checkpoint this run expects next (so runs get far often).
    ReachNext,
    MarkOutForDelivery,
    CaptureProof,
    Fail,
    Retry,
    Report(u128),
    Resolve(u128),
}

fn any_step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (1u128..3).prop_map(Step::AssignDriver),
        3 => any::<bool>().prop_map(Step::AssignVehicle),
        3 => Just(Step::StartTransit),
        4 => (1u32..=3).prop_map(Step::Reach),
        6 => Just(Step::ReachNext),
        3 => Just(Step::MarkOutForDelivery),
        3 => Just(Step::CaptureProof),
        1 => Just(Step::Fail),
        1 => Just(Step::Retry),
        1 => (1u128..4).prop_map(Step::Report),
        1 => (1u128..4).prop_map(Step::Resolve),
    ]
}

fn command(step: Step, minute: i64, delivery: &Delivery) -> DeliveryCommand {
    let at = at(minute);
    let state = delivery.state.as_ref().unwrap();
    let next = state
        .checkpoints
        .get(state.reached.len())
        .map_or(1, |c| c.sequence.get());
    match step {
        Step::AssignDriver(n) => DeliveryCommand::AssignDriver {
            driver: DriverId::from(uuid::Uuid::from_u128(n)),
        },
        Step::AssignVehicle(first) => DeliveryCommand::AssignVehicle {
            vehicle: LicenseNumber::parse("v", if first { "AB-1-C" } else { "XY-2-Z" }).unwrap(),
        },
        Step::StartTransit => DeliveryCommand::StartTransit { at },
        Step::Reach(n) => DeliveryCommand::ReachCheckpoint {
            sequence: seq(n),
            location: location(n),
            at,
        },
        Step::ReachNext => DeliveryCommand::ReachCheckpoint {
            sequence: seq(next),
            location: location(next),
            at,
        },
        Step::MarkOutForDelivery => DeliveryCommand::MarkOutForDelivery { at },
        Step::CaptureProof => DeliveryCommand::CaptureProofOfDelivery {
            receiver_name: text("Ada"),
            signature_reference: text("sig/1"),
            at,
        },
        Step::Fail => DeliveryCommand::Fail {
            reason: text("broken down"),
            at,
        },
        Step::Retry => DeliveryCommand::Retry { at },
        Step::Report(n) => DeliveryCommand::ReportIncident {
            incident_id: IncidentId::from(uuid::Uuid::from_u128(n)),
            incident_type: text("delay"),
            description: text("stuck"),
            at,
        },
        Step::Resolve(n) => DeliveryCommand::ResolveIncident {
            incident_id: IncidentId::from(uuid::Uuid::from_u128(n)),
            resolution: text("moving again"),
            at,
        },
    }
}

/// An active route with `count` checkpoints (minutes 10, 20, …).
fn active_route_with(count: u32) -> RouteSummary {
    let checkpoints: Vec<Checkpoint> = (1..=count)
        .map(|n| Checkpoint {
            sequence: seq(n),
            location: location(n),
            expected_at: at(n as i64 * 10),
        })
        .collect();
    RouteSummary {
        route_id: route_id(),
        status: RouteStatus::Active,
        slot: Some(Timeslot::new("slot", at(0), at(count as i64 * 10)).unwrap()),
        checkpoints,
    }
}

proptest! {
    #[test]
    fn the_delivery_status_machine_only_takes_allowed_steps(
        count in 2u32..=3,
        steps in prop::collection::vec(any_step(), 20..100),
    ) {
        let mut delivery = Delivery::default();
        delivery.handle(create(active_route_with(count))).unwrap().iter().for_each(|e| delivery.apply(e));
        for (minute, step) in steps.into_iter().enumerate() {
            let before = delivery.status().unwrap();
            let Ok(events) = delivery.handle(command(step, minute as i64, &delivery)) else {
                continue;
            };
            let mut running = before;
            for event in &events {
                if let DeliveryEvent::StatusChanged { from, to, .. } = event {
                    prop_assert_eq!(*from, running);
                    prop_assert!(ALLOWED.contains(&(*from, *to)), "{from} -> {to}");
                    running = *to;
                }
                delivery.apply(event);
            }
            let after = delivery.status().unwrap();
            prop_assert_eq!(after, running);
            if before == Delivered {
                prop_assert_eq!(after, Delivered);
            }
            let state = delivery.state.as_ref().unwrap();
            let reached: Vec<Sequence> = state.reached.iter().map(|r| r.sequence).collect();
            let route: Vec<Sequence> = state.checkpoints.iter().map(|c| c.sequence).collect();
            prop_assert!(route.starts_with(&reached), "reached {reached:?} of {route:?}");
            if matches!(after, OutForDelivery | Delivered) {
                prop_assert_eq!(&reached, &route);
            }
            if after == InTransit {
                prop_assert!(state.driver.is_some() && state.vehicle.is_some());
            }
        }
    }
}

/// The status machine on its own.
mod status {
    use super::*;

    const ALL: [DeliveryStatus; 5] = [PickedUp, InTransit, OutForDelivery, Delivered, Failed];

    #[test]
    fn delivered_is_the_only_status_nothing_leaves() {
        for status in ALL {
            let leaves = ALL.iter().any(|to| status.can_become(*to));
            assert_eq!(status.is_terminal(), !leaves, "{status}");
        }
    }

    #[test]
    fn every_non_terminal_status_except_failed_can_fail() {
        for status in ALL {
            let expected = matches!(status, PickedUp | InTransit | OutForDelivery);
            assert_eq!(status.can_become(Failed), expected, "{status}");
        }
    }

    #[test]
    fn statuses_serialise_as_snake_case() {
        for status in ALL {
            let json = serde_json::to_string(&status).unwrap();
            assert_eq!(json, format!("\"{}\"", status.as_str()));
        }
    }
}
