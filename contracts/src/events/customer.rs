//! Events of aggregate type `customer` (topic `<prefix>.customers.events`).
//!
//! `personal_data` is the customer's personal data as one group. In the event store
//! and on Kafka it is sealed (crypto-shredding, ADR 010: `{alg, sealed, subject}`);
//! readers holding the keys (the event stream, the projections, the audit tools) see
//! it in clear, and as `null` once the customer's key was erased.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::aggregate_events;

aggregate_events! {
    pub enum CustomerEvent for "customer" {
        "customer.registered.v1" => Registered(Registered),
        "customer.contact_updated.v1" => ContactUpdated(ContactUpdated),
        "customer.personal_data_erased.v1" => PersonalDataErased(PersonalDataErased),
    }
}

/// A customer registered, with all personal data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Registered {
    pub customer_id: Uuid,
    #[serde(deserialize_with = "present")]
    #[schemars(with = "Personal")]
    pub personal_data: Option<PersonalData>,
}

/// The customer's personal data replaced as a whole (a field absent now is gone).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ContactUpdated {
    pub customer_id: Uuid,
    #[serde(deserialize_with = "present")]
    #[schemars(with = "Personal")]
    pub personal_data: Option<PersonalData>,
}

/// The customer's key erased: every personal field of every event reads `null`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PersonalDataErased {
    pub customer_id: Uuid,
}

/// Everything about a customer that is personal data; erased as a unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PersonalData {
    pub name: String,
    pub address: Option<String>,
    pub postal_code: Option<String>,
    pub city: Option<String>,
    pub telephone: String,
    pub email: String,
}

/// The personal data: in clear to readers holding its key, sealed as stored and
/// published, `null` once erased.
#[derive(JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)] // Only its schema is used.
enum Personal {
    Clear(PersonalData),
    Sealed(Sealed),
    Erased(()),
}

/// Personal data sealed under its subject's key (AES-256-GCM, ADR 010).
#[derive(JsonSchema)]
#[allow(dead_code)] // Only its schema is used.
struct Sealed {
    /// Always `A256GCM`.
    alg: String,
    /// Base64 of nonce (12 bytes) ‖ ciphertext ‖ tag (16 bytes).
    sealed: String,
    /// The stream it belongs to, e.g. `customer-<id>`.
    subject: String,
}

/// `personal_data` must be present: `null` means erased, a missing field is malformed.
fn present<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::deserialize(deserializer)
}
