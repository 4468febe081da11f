//! The `Customer` aggregate (stream type `customer`, id = [`CustomerId`]).
//!
//! Rules it enforces:
//! - Name, telephone and a well-formed email are required (by their types: the command
//!   cannot be built without them).
//! - Address, postal code and city are optional: blank input means "none".
//! - Registering an id that already exists is rejected (`customer_already_registered`),
//!   also after erasure: an erased customer's id is never reused.
//! - A command on a customer that was never registered is not found (`customer_not_found`).
//! - Updating the contact replaces every personal field at once.
//! - An update that changes nothing appends nothing.
//! - After erasure the state holds no personal fields, and updating the contact is
//!   rejected (`customer_erased`).
//! - Erasing an erased customer appends nothing (erasure is idempotent).
//!
//! Every personal field travels in one [`PersonalData`] value, the payloads'
//! `personal_data`, which the repository seals with the customer's key before the append
//! and opens on load (DESIGN §3, crypto-shredding, ADR 010). Once the key is erased the
//! stored events open with `personal_data: null`, so the events and the state hold it as
//! an `Option`: `None` means "no longer readable". A replayed history of an erased
//! customer still ends in `Erased` (the erasure event is appended before the key is
//! deleted), and a registered customer whose data cannot be read keeps the rules of a
//! registered one: the data can be erased, and a new contact can be given (the vault
//! refuses to seal it if it remembers the customer's key as erased).

use es_core::{Aggregate, DomainEvent};
use serde::{Deserialize, Serialize};

use crate::shared::{CustomerId, DomainRule, Email, RuleKind, Telephone, Text};

/// Everything about a customer that is personal data; erased as a unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonalData {
    pub name: Text<200>,
    pub address: Option<Text<300>>,
    pub postal_code: Option<Text<20>>,
    pub city: Option<Text<100>>,
    pub telephone: Telephone,
    pub email: Email,
}

/// The customer's lifecycle; only a registered customer holds personal data (`None`
/// when its sealed form can no longer be opened).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub enum Customer {
    #[default]
    Unregistered,
    Registered {
        id: CustomerId,
        personal_data: Option<PersonalData>,
    },
    Erased {
        id: CustomerId,
    },
}

impl Customer {
    /// The personal data, unless the customer is unregistered or erased.
    pub fn personal_data(&self) -> Option<&PersonalData> {
        match self {
            Customer::Registered { personal_data, .. } => personal_data.as_ref(),
            Customer::Unregistered | Customer::Erased { .. } => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum CustomerCommand {
    Register {
        customer_id: CustomerId,
        personal_data: PersonalData,
    },
    /// Replaces every personal field.
    UpdateContact {
        personal_data: PersonalData,
    },
    ErasePersonalData,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event_type", content = "payload")]
pub enum CustomerEvent {
    /// `personal_data` is always `Some` when decided; `None` when read back after the
    /// customer's key was erased.
    #[serde(rename = "customer.registered.v1")]
    Registered {
        customer_id: CustomerId,
        personal_data: Option<PersonalData>,
    },
    #[serde(rename = "customer.contact_updated.v1")]
    ContactUpdated {
        customer_id: CustomerId,
        personal_data: Option<PersonalData>,
    },
    #[serde(rename = "customer.personal_data_erased.v1")]
    PersonalDataErased { customer_id: CustomerId },
}

impl DomainEvent for CustomerEvent {}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CustomerError {
    #[error("customer is not registered")]
    NotFound,
    #[error("a customer with this id is already registered")]
    AlreadyRegistered,
    #[error("the customer's personal data has been erased")]
    Erased,
}

impl DomainRule for CustomerError {
    fn reason(&self) -> &'static str {
        match self {
            CustomerError::NotFound => "customer_not_found",
            CustomerError::AlreadyRegistered => "customer_already_registered",
            CustomerError::Erased => "customer_erased",
        }
    }

    fn kind(&self) -> RuleKind {
        match self {
            CustomerError::NotFound => RuleKind::NotFound,
            CustomerError::AlreadyRegistered => RuleKind::AlreadyExists,
            CustomerError::Erased => RuleKind::Violation,
        }
    }
}

impl Aggregate for Customer {
    const TYPE: &'static str = "customer";
    /// Never snapshotted: a snapshot would keep the personal data in clear, outside the
    /// reach of erasure. Customer streams are a handful of events long anyway.
    const HOLDS_PERSONAL_DATA: bool = true;

    type Command = CustomerCommand;
    type Event = CustomerEvent;
    type Error = CustomerError;

    fn handle(&self, command: CustomerCommand) -> Result<Vec<CustomerEvent>, CustomerError> {
        match (self, command) {
            (
                Customer::Unregistered,
                CustomerCommand::Register {
                    customer_id,
                    personal_data,
                },
            ) => Ok(vec![CustomerEvent::Registered {
                customer_id,
                personal_data: Some(personal_data),
            }]),
            (_, CustomerCommand::Register { .. }) => Err(CustomerError::AlreadyRegistered),
            (Customer::Unregistered, _) => Err(CustomerError::NotFound),
            (
                Customer::Registered { personal_data, .. },
                CustomerCommand::UpdateContact { personal_data: new },
            ) if personal_data.as_ref() == Some(&new) => Ok(vec![]),
            (Customer::Registered { id, .. }, CustomerCommand::UpdateContact { personal_data }) => {
                Ok(vec![CustomerEvent::ContactUpdated {
                    customer_id: *id,
                    personal_data: Some(personal_data),
                }])
            }
            (Customer::Erased { .. }, CustomerCommand::UpdateContact { .. }) => {
                Err(CustomerError::Erased)
            }
            (Customer::Registered { id, .. }, CustomerCommand::ErasePersonalData) => {
                Ok(vec![CustomerEvent::PersonalDataErased { customer_id: *id }])
            }
            (Customer::Erased { .. }, CustomerCommand::ErasePersonalData) => Ok(vec![]),
        }
    }

    fn apply(&mut self, event: &CustomerEvent) {
        *self = match event {
            CustomerEvent::Registered {
                customer_id,
                personal_data,
            }
            | CustomerEvent::ContactUpdated {
                customer_id,
                personal_data,
            } => Customer::Registered {
                id: *customer_id,
                personal_data: personal_data.clone(),
            },
            CustomerEvent::PersonalDataErased { customer_id } => {
                Customer::Erased { id: *customer_id }
            }
        };
    }
}

#[cfg(test)]
mod tests {
    use es_core::testing::AggregateTest;
    use uuid::Uuid;

    use super::*;

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

    fn registered() -> CustomerEvent {
        CustomerEvent::Registered {
            customer_id: id(),
            personal_data: Some(ada()),
        }
    }

    fn erased() -> CustomerEvent {
        CustomerEvent::PersonalDataErased { customer_id: id() }
    }

    #[test]
    fn a_new_customer_is_registered_with_its_personal_data() {
        AggregateTest::<Customer>::given_no_previous_events()
            .when(CustomerCommand::Register {
                customer_id: id(),
                personal_data: ada(),
            })
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
            .when(CustomerCommand::Register {
                customer_id: id(),
                personal_data: without_address.clone(),
            })
            .then_expect_events(vec![CustomerEvent::Registered {
                customer_id: id(),
                personal_data: Some(without_address),
            }]);
    }

    #[test]
    fn registering_an_existing_id_is_rejected() {
        AggregateTest::<Customer>::given(vec![registered()])
            .when(CustomerCommand::Register {
                customer_id: id(),
                personal_data: moved_ada(),
            })
            .then_expect_error(CustomerError::AlreadyRegistered);
    }

    #[test]
    fn an_erased_customers_id_is_never_reused() {
        AggregateTest::<Customer>::given(vec![registered(), erased()])
            .when(CustomerCommand::Register {
                customer_id: id(),
                personal_data: ada(),
            })
            .then_expect_error(CustomerError::AlreadyRegistered);
    }

    #[test]
    fn commands_on_an_unregistered_customer_are_not_found() {
        for command in [
            CustomerCommand::UpdateContact {
                personal_data: ada(),
            },
            CustomerCommand::ErasePersonalData,
        ] {
            AggregateTest::<Customer>::given_no_previous_events()
                .when(command)
                .then_expect_error(CustomerError::NotFound);
        }
    }

    #[test]
    fn updating_the_contact_replaces_every_personal_field() {
        AggregateTest::<Customer>::given(vec![registered()])
            .when(CustomerCommand::UpdateContact {
                personal_data: moved_ada(),
            })
            .then_expect_events(vec![CustomerEvent::ContactUpdated {
                customer_id: id(),
                personal_data: Some(moved_ada()),
            }]);
    }

    #[test]
    fn a_contact_update_that_changes_nothing_appends_nothing() {
        AggregateTest::<Customer>::given(vec![registered()])
            .when(CustomerCommand::UpdateContact {
                personal_data: ada(),
            })
            .then_expect_events(vec![]);
    }

    #[test]
    fn the_latest_contact_update_is_what_an_update_is_compared_with() {
        let updated = CustomerEvent::ContactUpdated {
            customer_id: id(),
            personal_data: Some(moved_ada()),
        };
        AggregateTest::<Customer>::given(vec![registered(), updated])
            .when(CustomerCommand::UpdateContact {
                personal_data: ada(),
            })
            .then_expect_events(vec![CustomerEvent::ContactUpdated {
                customer_id: id(),
                personal_data: Some(ada()),
            }]);
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
            .when(CustomerCommand::UpdateContact {
                personal_data: ada(),
            })
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
        CustomerEvent::Registered {
            customer_id: id(),
            personal_data: None,
        }
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
        let history = vec![
            registered_unreadable(),
            CustomerEvent::ContactUpdated {
                customer_id: id(),
                personal_data: None,
            },
            erased(),
        ];
        let mut customer = Customer::default();
        history.iter().for_each(|event| customer.apply(event));
        assert_eq!(customer, Customer::Erased { id: id() });
        AggregateTest::<Customer>::given(history.clone())
            .when(CustomerCommand::UpdateContact {
                personal_data: ada(),
            })
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
            .when(CustomerCommand::UpdateContact {
                personal_data: ada(),
            })
            .then_expect_events(vec![CustomerEvent::ContactUpdated {
                customer_id: id(),
                personal_data: Some(ada()),
            }]);
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
}
