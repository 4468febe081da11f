//! The technician's rule checks, shared by registering and updating.

use std::collections::BTreeSet;

use super::messages::TechnicianError;
use crate::workshop::ServiceCategory;

/// A technician holds at least one skill, on registration and on every update.
pub(super) fn non_empty(
    skills: BTreeSet<ServiceCategory>,
) -> Result<BTreeSet<ServiceCategory>, TechnicianError> {
    if skills.is_empty() {
        Err(TechnicianError::NoSkills)
    } else {
        Ok(skills)
    }
}
