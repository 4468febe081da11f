//! UUID identifiers, one type per kind of thing, so a driver id can never be passed where
//! a customer id is wanted.

use std::fmt;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::FieldError;

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// Parses a UUID given in request field `field`.
            pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
                Uuid::parse_str(raw.trim())
                    .map($name)
                    .map_err(|_| FieldError::new(field, "must be a UUID"))
            }

            pub fn new() -> Self {
                $name(Uuid::now_v7())
            }

            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl From<Uuid> for $name {
            fn from(uuid: Uuid) -> Self {
                $name(uuid)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

uuid_id!(CustomerId);
uuid_id!(DriverId);
uuid_id!(TechnicianId);
uuid_id!(
    /// A maintenance job (work order) inside a workshop planning.
    JobId
);
uuid_id!(RouteId);
uuid_id!(DeliveryId);
uuid_id!(IncidentId);
