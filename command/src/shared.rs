//! Value objects and conventions every bounded context shares: parse once at the edge,
//! carry only valid values inside.

/// `as_str` and `Display` for a value that keeps its checked text as a `String` (`.0`):
/// `string_value!(Email);`, `string_value!(Text<const MAX: usize>);`.
macro_rules! string_value {
    ($name:ident $(<const $max:ident: usize>)?) => {
        impl $(<const $max: usize>)? $name $(<$max>)? {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl $(<const $max: usize>)? std::fmt::Display for $name $(<$max>)? {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

mod email;
mod field;
mod ids;
mod input;
mod license_number;
mod planning_date;
mod rule;
mod telephone;
mod text;
mod timeslot;

pub use email::Email;
pub use field::FieldError;
pub use ids::{CustomerId, DeliveryId, DriverId, IncidentId, JobId, RouteId, TechnicianId};
#[cfg(test)]
pub use input::testing;
pub use input::{
    Addressed, IntoCommand, required_enum, required_slot, required_time, to_proto_time,
};
pub use license_number::LicenseNumber;
pub use planning_date::PlanningDate;
pub use rule::{DomainRule, RuleKind};
pub use telephone::Telephone;
pub use text::{Text, optional_text};
pub use timeslot::Timeslot;
