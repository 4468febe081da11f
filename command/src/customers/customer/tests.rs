use es_core::testing::AggregateTest;
use uuid::Uuid;

use super::*;
use crate::shared::{DomainRule, Email, RuleKind, Telephone, Text};

fn id() -> CustomerId {
    CustomerId::from(Uuid::from_u128(0x0c57))
}

fn ada() -> PersonalData {
    PersonalData {
        name: Text::parse("name", "Ada Lovelace").unwrap(),
        address: Some(Text::parse("address", "12 St James's Square").unwrap()),
        postal_code: Some(Text::parse("postal_code", "SW1Y 4JH").unwrap()),
        city: Some(Text::parse("city", "London").unwrap()),
        telephone: Telephone::parse("telephone", "+44 20 7946 0000").unwrap(),
        email: Email::parse("email", "ada@example.com").unwrap(),
    }
}

fn moved_ada() -> PersonalData {
    PersonalData {
        address: None,
        postal_code: None,
        city: Some(Text::parse("city", "Ockham").unwrap()),
        email: Email::parse("email", "ada@analytical.engine").unwrap(),
        ..ada()
    }
}

fn registered_with(personal_data: Option<PersonalData>) -> CustomerEvent {
    CustomerEvent::Registered {
        customer_id: id(),
        personal_data,
    }
}

fn registered() -> CustomerEvent {
    registered_with(Some(ada()))
}

fn erased() -> CustomerEvent {
    CustomerEvent::PersonalDataErased { customer_id: id() }
}

fn register(personal_data: PersonalData) -> CustomerCommand {
    CustomerCommand::Register {
        customer_id: id(),
        personal_data,
    }
}

fn update(personal_data: PersonalData) -> CustomerCommand {
    CustomerCommand::UpdateContact { personal_data }
}

fn contact_updated(personal_data: Option<PersonalData>) -> CustomerEvent {
    CustomerEvent::ContactUpdated {
        customer_id: id(),
        personal_data,
    }
}

#[test]
fn a_new_customer_is_registered_with_its_personal_data() {
    AggregateTest::<Customer>::given_no_previous_events()
        .when(register(ada()))
        .then_expect_events(vec![registered()]);
}

#[test]
fn address_postal_code_and_city_are_optional() {
    let without_address = PersonalData {
        address: None,
        postal_code: None,
        city: None,
        ..ada()
    };
    AggregateTest::<Customer>::given_no_previous_events()
        .when(register(without_address.clone()))
        .then_expect_events(vec![registered_with(Some(without_address))]);
}

#[test]
fn registering_an_existing_id_is_rejected() {
    AggregateTest::<Customer>::given(vec![registered()])
        .when(register(moved_ada()))
        .then_expect_error(CustomerError::AlreadyRegistered);
}

#[test]
fn an_erased_customers_id_is_never_reused() {
    AggregateTest::<Customer>::given(vec![registered(), erased()])
        .when(register(ada()))
        .then_expect_error(CustomerError::AlreadyRegistered);
}

#[test]
fn commands_on_an_unregistered_customer_are_not_found() {
    for command in [update(ada()), CustomerCommand::ErasePersonalData] {
        AggregateTest::<Customer>::given_no_previous_events()
            .when(command)
            .then_expect_error(CustomerError::NotFound);
    }
}

#[test]
fn updating_the_contact_replaces_every_personal_field() {
    AggregateTest::<Customer>::given(vec![registered()])
        .when(update(moved_ada()))
        .then_expect_events(vec![contact_updated(Some(moved_ada()))]);
}

#[test]
fn a_contact_update_that_changes_nothing_appends_nothing() {
    AggregateTest::<Customer>::given(vec![registered()])
        .when(update(ada()))
        .then_expect_events(vec![]);
}

#[test]
fn the_latest_contact_update_is_what_an_update_is_compared_with() {
    let updated = contact_updated(Some(moved_ada()));
    AggregateTest::<Customer>::given(vec![registered(), updated])
        .when(update(ada()))
        .then_expect_events(vec![contact_updated(Some(ada()))]);
}

#[test]
fn a_registered_customers_personal_data_can_be_erased() {
    AggregateTest::<Customer>::given(vec![registered()])
        .when(CustomerCommand::ErasePersonalData)
        .then_expect_events(vec![erased()]);
}

#[test]
fn after_erasure_the_state_holds_no_personal_fields() {
    let mut customer = Customer::default();
    customer.apply(&registered());
    assert!(customer.personal_data().is_some());
    customer.apply(&erased());
    assert_eq!(customer.personal_data(), None);
    let snapshot = serde_json::to_string(&customer).unwrap();
    assert!(!snapshot.contains("Ada"), "{snapshot}");
    assert!(!snapshot.contains("ada@example.com"), "{snapshot}");
}

#[test]
fn updating_an_erased_customers_contact_is_rejected() {
    AggregateTest::<Customer>::given(vec![registered(), erased()])
        .when(update(ada()))
        .then_expect_error(CustomerError::Erased);
}

#[test]
fn erasing_an_erased_customer_appends_nothing() {
    AggregateTest::<Customer>::given(vec![registered(), erased()])
        .when(CustomerCommand::ErasePersonalData)
        .then_expect_events(vec![]);
}

/// What the repository hands the aggregate once the customer's key is erased.
fn registered_unreadable() -> CustomerEvent {
    registered_with(None)
}

#[test]
fn an_event_whose_personal_data_was_shredded_decodes_without_it() {
    let payload = serde_json::json!({
        "customer_id": serde_json::to_value(id()).unwrap(),
        "personal_data": null,
    });
    let event: CustomerEvent =
        es_core::aggregate::decode("customer.registered.v1", 1, &payload).unwrap();
    assert_eq!(event, registered_unreadable());
}

#[test]
fn a_shredded_history_still_replays_to_an_erased_customer() {
    let history = vec![registered_unreadable(), contact_updated(None), erased()];
    let mut customer = Customer::default();
    history.iter().for_each(|event| customer.apply(event));
    assert_eq!(customer, Customer::Erased { id: id() });
    AggregateTest::<Customer>::given(history.clone())
        .when(update(ada()))
        .then_expect_error(CustomerError::Erased);
    AggregateTest::<Customer>::given(history)
        .when(CustomerCommand::ErasePersonalData)
        .then_expect_events(vec![]);
}

#[test]
fn a_registered_customer_whose_personal_data_cannot_be_read_holds_none() {
    let mut customer = Customer::default();
    customer.apply(&registered_unreadable());
    assert_eq!(
        customer,
        Customer::Registered {
            id: id(),
            personal_data: None
        }
    );
    assert_eq!(customer.personal_data(), None);
}

#[test]
fn personal_data_that_cannot_be_read_can_still_be_erased() {
    AggregateTest::<Customer>::given(vec![registered_unreadable()])
        .when(CustomerCommand::ErasePersonalData)
        .then_expect_events(vec![erased()]);
}

#[test]
fn a_new_contact_replaces_personal_data_that_cannot_be_read() {
    AggregateTest::<Customer>::given(vec![registered_unreadable()])
        .when(update(ada()))
        .then_expect_events(vec![contact_updated(Some(ada()))]);
}

#[test]
fn every_error_has_a_stable_reason_and_kind() {
    let cases = [
        (
            CustomerError::NotFound,
            "customer_not_found",
            RuleKind::NotFound,
        ),
        (
            CustomerError::AlreadyRegistered,
            "customer_already_registered",
            RuleKind::AlreadyExists,
        ),
        (
            CustomerError::Erased,
            "customer_erased",
            RuleKind::Violation,
        ),
    ];
    for (error, reason, kind) in cases {
        assert_eq!((error.reason(), error.kind()), (reason, kind));
    }
}
