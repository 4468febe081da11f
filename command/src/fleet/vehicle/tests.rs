use es_core::testing::AggregateTest;
use uuid::Uuid;

use super::*;
use crate::shared::{DomainRule, RuleKind};

fn plate() -> LicenseNumber {
    LicenseNumber::parse("license_number", "ab-123-c").unwrap()
}

fn owner() -> CustomerId {
    CustomerId::from(Uuid::from_u128(0x0c57))
}

fn text(raw: &str) -> Text<200> {
    Text::parse("text", raw).unwrap()
}

fn register(usage: VehicleUsage, owner: Option<CustomerId>) -> VehicleCommand {
    VehicleCommand::Register {
        license_number: plate(),
        brand: text("Volkswagen"),
        model: text("Crafter"),
        owner,
        usage,
    }
}

fn van_registered() -> VehicleEvent {
    VehicleEvent::Registered {
        license_number: plate(),
        brand: text("Volkswagen"),
        model: text("Crafter"),
        owner: None,
        usage: VehicleUsage::Fleet,
        status: Some(VehicleStatus::Available),
    }
}

fn car_registered() -> VehicleEvent {
    VehicleEvent::Registered {
        license_number: plate(),
        brand: text("Tesla"),
        model: text("Model 3"),
        owner: Some(owner()),
        usage: VehicleUsage::Customer,
        status: None,
    }
}

fn update(brand: &str, model: &str, owner: Option<CustomerId>) -> VehicleCommand {
    VehicleCommand::Update {
        brand: text(brand),
        model: text(model),
        owner,
    }
}

fn updated(brand: &str, model: &str, owner: Option<CustomerId>) -> VehicleEvent {
    VehicleEvent::Updated {
        license_number: plate(),
        brand: text(brand),
        model: text(model),
        owner,
    }
}

fn change_status(status: VehicleStatus) -> VehicleCommand {
    VehicleCommand::ChangeStatus { status }
}

fn status_changed(status: VehicleStatus) -> VehicleEvent {
    VehicleEvent::StatusChanged {
        license_number: plate(),
        status,
    }
}

fn out_of_service_van() -> Vec<VehicleEvent> {
    vec![
        van_registered(),
        status_changed(VehicleStatus::OutOfService),
    ]
}

#[test]
fn a_customer_vehicle_is_registered_with_its_owner_and_no_status() {
    AggregateTest::<Vehicle>::given_no_previous_events()
        .when(VehicleCommand::Register {
            license_number: plate(),
            brand: text("Tesla"),
            model: text("Model 3"),
            owner: Some(owner()),
            usage: VehicleUsage::Customer,
        })
        .then_expect_events(vec![car_registered()]);
}

#[test]
fn a_new_fleet_van_starts_available() {
    AggregateTest::<Vehicle>::given_no_previous_events()
        .when(register(VehicleUsage::Fleet, None))
        .then_expect_events(vec![van_registered()]);
}

#[test]
fn registering_a_registered_license_number_is_rejected() {
    AggregateTest::<Vehicle>::given(vec![car_registered()])
        .when(register(VehicleUsage::Fleet, None))
        .then_expect_error(VehicleError::AlreadyRegistered);
}

#[test]
fn commands_on_an_unregistered_vehicle_are_not_found() {
    for command in [
        update("Ford", "Transit", None),
        change_status(VehicleStatus::OutOfService),
    ] {
        AggregateTest::<Vehicle>::given_no_previous_events()
            .when(command)
            .then_expect_error(VehicleError::NotFound);
    }
}

#[test]
fn a_customer_vehicle_without_an_owner_is_rejected() {
    AggregateTest::<Vehicle>::given_no_previous_events()
        .when(register(VehicleUsage::Customer, None))
        .then_expect_error(VehicleError::OwnerRequired);
}

#[test]
fn a_fleet_van_with_an_owner_is_rejected() {
    AggregateTest::<Vehicle>::given_no_previous_events()
        .when(register(VehicleUsage::Fleet, Some(owner())))
        .then_expect_error(VehicleError::FleetVehicleWithOwner);
}

#[test]
fn an_update_replaces_brand_model_and_owner() {
    let new_owner = CustomerId::from(Uuid::from_u128(0xbeef));
    AggregateTest::<Vehicle>::given(vec![car_registered()])
        .when(update("Tesla", "Model Y", Some(new_owner)))
        .then_expect_events(vec![updated("Tesla", "Model Y", Some(new_owner))]);
}

#[test]
fn an_update_cannot_remove_a_customer_vehicles_owner() {
    AggregateTest::<Vehicle>::given(vec![car_registered()])
        .when(update("Tesla", "Model 3", None))
        .then_expect_error(VehicleError::OwnerRequired);
}

#[test]
fn an_update_cannot_give_a_fleet_van_an_owner() {
    AggregateTest::<Vehicle>::given(vec![van_registered()])
        .when(update("Volkswagen", "Crafter", Some(owner())))
        .then_expect_error(VehicleError::FleetVehicleWithOwner);
}

#[test]
fn an_update_that_changes_nothing_appends_nothing() {
    AggregateTest::<Vehicle>::given(vec![car_registered()])
        .when(update("Tesla", "Model 3", Some(owner())))
        .then_expect_events(vec![]);
}

#[test]
fn an_out_of_service_van_can_still_be_updated() {
    AggregateTest::<Vehicle>::given(out_of_service_van())
        .when(update("Volkswagen", "Crafter 35", None))
        .then_expect_events(vec![updated("Volkswagen", "Crafter 35", None)]);
}

#[test]
fn an_available_van_can_be_taken_out_of_service() {
    AggregateTest::<Vehicle>::given(vec![van_registered()])
        .when(change_status(VehicleStatus::OutOfService))
        .then_expect_events(vec![status_changed(VehicleStatus::OutOfService)]);
}

#[test]
fn an_out_of_service_van_can_be_made_available_again() {
    AggregateTest::<Vehicle>::given(out_of_service_van())
        .when(change_status(VehicleStatus::Available))
        .then_expect_events(vec![status_changed(VehicleStatus::Available)]);
}

#[test]
fn setting_the_status_a_van_already_has_appends_nothing() {
    AggregateTest::<Vehicle>::given(out_of_service_van())
        .when(change_status(VehicleStatus::OutOfService))
        .then_expect_events(vec![]);
}

#[test]
fn changing_a_customer_vehicles_status_is_rejected() {
    AggregateTest::<Vehicle>::given(vec![car_registered()])
        .when(change_status(VehicleStatus::OutOfService))
        .then_expect_error(VehicleError::NotAFleetVehicle);
}

#[test]
fn every_error_has_a_stable_reason_and_kind() {
    let cases = [
        (
            VehicleError::NotFound,
            "vehicle_not_found",
            RuleKind::NotFound,
        ),
        (
            VehicleError::AlreadyRegistered,
            "vehicle_already_registered",
            RuleKind::AlreadyExists,
        ),
        (
            VehicleError::OwnerRequired,
            "customer_vehicle_requires_owner",
            RuleKind::Violation,
        ),
        (
            VehicleError::FleetVehicleWithOwner,
            "fleet_vehicle_cannot_have_owner",
            RuleKind::Violation,
        ),
        (
            VehicleError::NotAFleetVehicle,
            "not_a_fleet_vehicle",
            RuleKind::Violation,
        ),
    ];
    for (error, reason, kind) in cases {
        assert_eq!((error.reason(), error.kind()), (reason, kind));
    }
}
