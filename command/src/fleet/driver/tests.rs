use es_core::testing::AggregateTest;
use uuid::Uuid;

use super::*;
use crate::shared::{DomainRule, RuleKind};

fn id() -> DriverId {
    DriverId::from(Uuid::from_u128(0xd1))
}

fn name(raw: &str) -> Text<200> {
    Text::parse("name", raw).unwrap()
}

fn licence(raw: &str) -> Text<50> {
    Text::parse("driving_licence_number", raw).unwrap()
}

fn registered() -> DriverEvent {
    DriverEvent::Registered {
        driver_id: id(),
        name: name("Lewis Hamilton"),
        driving_licence_number: licence("HAMIL850107LH9"),
        status: DriverStatus::Active,
    }
}

fn register(full_name: &str, licence_number: &str) -> DriverCommand {
    DriverCommand::Register {
        driver_id: id(),
        name: name(full_name),
        driving_licence_number: licence(licence_number),
    }
}

fn update(full_name: &str, licence_number: &str) -> DriverCommand {
    DriverCommand::Update {
        name: name(full_name),
        driving_licence_number: licence(licence_number),
    }
}

fn updated(full_name: &str, licence_number: &str) -> DriverEvent {
    DriverEvent::Updated {
        driver_id: id(),
        name: name(full_name),
        driving_licence_number: licence(licence_number),
    }
}

fn suspended() -> DriverEvent {
    DriverEvent::Suspended { driver_id: id() }
}

#[test]
fn a_new_driver_is_registered_active() {
    AggregateTest::<Driver>::given_no_previous_events()
        .when(register("Lewis Hamilton", "HAMIL850107LH9"))
        .then_expect_events(vec![registered()]);
}

#[test]
fn registering_an_existing_id_is_rejected() {
    AggregateTest::<Driver>::given(vec![registered()])
        .when(register("George Russell", "RUSSE980215GR1"))
        .then_expect_error(DriverError::AlreadyRegistered);
}

#[test]
fn commands_on_an_unregistered_driver_are_not_found() {
    for command in [
        update("Lewis Hamilton", "HAMIL850107LH9"),
        DriverCommand::Suspend,
        DriverCommand::Reinstate,
    ] {
        AggregateTest::<Driver>::given_no_previous_events()
            .when(command)
            .then_expect_error(DriverError::NotFound);
    }
}

#[test]
fn an_update_replaces_name_and_driving_licence_number() {
    AggregateTest::<Driver>::given(vec![registered()])
        .when(update("Sir Lewis Hamilton", "HAMIL850107LH0"))
        .then_expect_events(vec![updated("Sir Lewis Hamilton", "HAMIL850107LH0")]);
}

#[test]
fn an_update_that_changes_nothing_appends_nothing() {
    AggregateTest::<Driver>::given(vec![registered()])
        .when(update("Lewis Hamilton", "HAMIL850107LH9"))
        .then_expect_events(vec![]);
}

#[test]
fn a_suspended_driver_can_still_be_updated() {
    AggregateTest::<Driver>::given(vec![registered(), suspended()])
        .when(update("Lewis Hamilton", "HAMIL850107LH0"))
        .then_expect_events(vec![updated("Lewis Hamilton", "HAMIL850107LH0")]);
}

#[test]
fn an_active_driver_can_be_suspended() {
    AggregateTest::<Driver>::given(vec![registered()])
        .when(DriverCommand::Suspend)
        .then_expect_events(vec![suspended()]);
}

#[test]
fn suspending_a_suspended_driver_is_rejected() {
    AggregateTest::<Driver>::given(vec![registered(), suspended()])
        .when(DriverCommand::Suspend)
        .then_expect_error(DriverError::AlreadySuspended);
}

#[test]
fn a_suspended_driver_can_be_reinstated() {
    AggregateTest::<Driver>::given(vec![registered(), suspended()])
        .when(DriverCommand::Reinstate)
        .then_expect_events(vec![DriverEvent::Reinstated { driver_id: id() }]);
}

#[test]
fn reinstating_an_active_driver_is_rejected() {
    AggregateTest::<Driver>::given(vec![registered()])
        .when(DriverCommand::Reinstate)
        .then_expect_error(DriverError::NotSuspended);
}

#[test]
fn a_reinstated_driver_can_be_suspended_again() {
    AggregateTest::<Driver>::given(vec![
        registered(),
        suspended(),
        DriverEvent::Reinstated { driver_id: id() },
    ])
    .when(DriverCommand::Suspend)
    .then_expect_events(vec![suspended()]);
}

#[test]
fn every_error_has_a_stable_reason_and_kind() {
    let cases = [
        (
            DriverError::NotFound,
            "driver_not_found",
            RuleKind::NotFound,
        ),
        (
            DriverError::AlreadyRegistered,
            "driver_already_registered",
            RuleKind::AlreadyExists,
        ),
        (
            DriverError::AlreadySuspended,
            "driver_already_suspended",
            RuleKind::Violation,
        ),
        (
            DriverError::NotSuspended,
            "driver_not_suspended",
            RuleKind::Violation,
        ),
    ];
    for (error, reason, kind) in cases {
        assert_eq!((error.reason(), error.kind()), (reason, kind));
    }
}
