use es_core::testing::AggregateTest;
use uuid::Uuid;

use super::*;
use crate::shared::{DomainRule, RuleKind};
use ServiceCategory::*;

fn id() -> TechnicianId {
    TechnicianId::from(Uuid::from_u128(7))
}

fn name(raw: &str) -> Text<200> {
    Text::parse("name", raw).unwrap()
}

fn skills(categories: &[ServiceCategory]) -> BTreeSet<ServiceCategory> {
    categories.iter().copied().collect()
}

fn registered() -> TechnicianEvent {
    TechnicianEvent::Registered {
        technician_id: id(),
        name: name("Ada"),
        skills: skills(&[Repairs]),
    }
}

fn deactivated() -> TechnicianEvent {
    TechnicianEvent::Deactivated {
        technician_id: id(),
    }
}

fn reactivated() -> TechnicianEvent {
    TechnicianEvent::Reactivated {
        technician_id: id(),
    }
}

fn register(full_name: &str, categories: &[ServiceCategory]) -> TechnicianCommand {
    TechnicianCommand::Register {
        technician_id: id(),
        name: name(full_name),
        skills: skills(categories),
    }
}

fn update(full_name: &str, categories: &[ServiceCategory]) -> TechnicianCommand {
    TechnicianCommand::Update {
        name: name(full_name),
        skills: skills(categories),
    }
}

fn updated(full_name: &str, categories: &[ServiceCategory]) -> TechnicianEvent {
    TechnicianEvent::Updated {
        technician_id: id(),
        name: name(full_name),
        skills: skills(categories),
    }
}

#[test]
fn registering_a_technician_records_name_and_skills() {
    AggregateTest::<Technician>::given_no_previous_events()
        .when(register("Ada", &[Repairs]))
        .then_expect_events(vec![registered()]);
}

#[test]
fn a_registered_technician_is_active() {
    let mut technician = Technician::default();
    technician.apply(&registered());
    assert!(technician.is_active());
    assert_eq!(technician.skills(), skills(&[Repairs]));
}

#[test]
fn registering_an_existing_technician_id_is_rejected() {
    AggregateTest::<Technician>::given(vec![registered()])
        .when(register("Bob", &[Paint]))
        .then_expect_error(TechnicianError::AlreadyRegistered(id()));
}

#[test]
fn a_technician_is_registered_with_at_least_one_skill() {
    AggregateTest::<Technician>::given_no_previous_events()
        .when(register("Ada", &[]))
        .then_expect_error(TechnicianError::NoSkills);
}

#[test]
fn an_update_cannot_take_away_every_skill() {
    AggregateTest::<Technician>::given(vec![registered()])
        .when(update("Ada", &[]))
        .then_expect_error(TechnicianError::NoSkills);
}

#[test]
fn updating_a_technician_replaces_name_and_skills() {
    AggregateTest::<Technician>::given(vec![registered()])
        .when(update("Ada L.", &[Paint, Installation]))
        .then_expect_events(vec![updated("Ada L.", &[Paint, Installation])]);
}

#[test]
fn an_inactive_technician_can_still_be_updated() {
    AggregateTest::<Technician>::given(vec![registered(), deactivated()])
        .when(update("Ada", &[Maintenance]))
        .then_expect_events(vec![updated("Ada", &[Maintenance])]);
}

#[test]
fn commands_on_an_unregistered_technician_are_not_found() {
    for command in [
        update("Ada", &[Paint]),
        TechnicianCommand::Deactivate,
        TechnicianCommand::Reactivate,
    ] {
        AggregateTest::<Technician>::given_no_previous_events()
            .when(command)
            .then_expect_error(TechnicianError::NotFound);
    }
}

#[test]
fn deactivating_an_active_technician_makes_them_inactive() {
    AggregateTest::<Technician>::given(vec![registered()])
        .when(TechnicianCommand::Deactivate)
        .then_expect_events(vec![deactivated()]);
    let mut technician = Technician::default();
    technician.apply(&registered());
    technician.apply(&deactivated());
    assert!(!technician.is_active());
}

#[test]
fn deactivating_an_inactive_technician_is_rejected() {
    AggregateTest::<Technician>::given(vec![registered(), deactivated()])
        .when(TechnicianCommand::Deactivate)
        .then_expect_error(TechnicianError::AlreadyInactive(id()));
}

#[test]
fn reactivating_an_inactive_technician_makes_them_active() {
    AggregateTest::<Technician>::given(vec![registered(), deactivated()])
        .when(TechnicianCommand::Reactivate)
        .then_expect_events(vec![reactivated()]);
}

#[test]
fn reactivating_an_active_technician_is_rejected() {
    AggregateTest::<Technician>::given(vec![registered(), deactivated(), reactivated()])
        .when(TechnicianCommand::Reactivate)
        .then_expect_error(TechnicianError::AlreadyActive(id()));
}

#[test]
fn errors_have_stable_reasons_and_kinds() {
    let cases = [
        (
            TechnicianError::AlreadyRegistered(id()),
            "technician_already_registered",
            RuleKind::AlreadyExists,
        ),
        (
            TechnicianError::NotFound,
            "technician_not_found",
            RuleKind::NotFound,
        ),
        (
            TechnicianError::NoSkills,
            "technician_needs_a_skill",
            RuleKind::Violation,
        ),
        (
            TechnicianError::AlreadyInactive(id()),
            "technician_already_inactive",
            RuleKind::Violation,
        ),
        (
            TechnicianError::AlreadyActive(id()),
            "technician_already_active",
            RuleKind::Violation,
        ),
    ];
    for (error, reason, kind) in cases {
        assert_eq!((error.reason(), error.kind()), (reason, kind), "{error:?}");
    }
}

#[test]
fn events_serialise_with_their_dotted_type_and_snake_case_skills() {
    let json = serde_json::to_value(registered()).unwrap();
    assert_eq!(json["event_type"], "technician.registered.v1");
    assert_eq!(json["payload"]["skills"], serde_json::json!(["repairs"]));
}
