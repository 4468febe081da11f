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

pub mod messages;

use es_core::Aggregate;
use serde::{Deserialize, Serialize};

pub use messages::{CustomerCommand, CustomerError, CustomerEvent, PersonalData};

use crate::shared::CustomerId;

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
mod tests;
