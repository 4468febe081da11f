//! The technicians read model: the `technicians` table, one row per technician (name,
//! skills, status), answering `ListTechnicians` (search, status, skill, sort, paging) and
//! `GetTechnician`.

pub mod projection;
pub mod queries;

pub use projection::{TECHNICIANS, TechniciansProjection};
pub use queries::{get_technician, list_technicians};
