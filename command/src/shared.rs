//! Value objects and conventions every bounded context shares: parse once at the edge,
//! carry only valid values inside.

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
pub use input::{
    Addressed, IntoCommand, required_enum, required_slot, required_time, to_proto_time,
};
pub use license_number::LicenseNumber;
pub use planning_date::PlanningDate;
pub use rule::{DomainRule, RuleKind};
pub use telephone::Telephone;
pub use text::{Text, optional_text};
pub use timeslot::Timeslot;
