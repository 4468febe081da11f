//! What a customer is told (commands, parsed values only), what it records (events)
//! and how it refuses (errors, each with a stable reason), with the personal data
//! they carry.

use es_core::DomainEvent;
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
