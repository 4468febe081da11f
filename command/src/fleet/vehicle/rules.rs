//! The vehicle's rule checks, shared by registering and updating.

use super::messages::{VehicleError, VehicleUsage};
use crate::shared::CustomerId;

/// A customer vehicle has an owner; a fleet van has none.
pub(super) fn check_owner(
    usage: VehicleUsage,
    owner: Option<CustomerId>,
) -> Result<(), VehicleError> {
    match (usage, owner) {
        (VehicleUsage::Customer, None) => Err(VehicleError::OwnerRequired),
        (VehicleUsage::Fleet, Some(_)) => Err(VehicleError::FleetVehicleWithOwner),
        _ => Ok(()),
    }
}
