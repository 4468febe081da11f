//! The `Vehicle` aggregate (stream type `vehicle`, id = [`LicenseNumber`]): customers'
//! cars and the operator's own fleet vans.
//!
//! Rules it enforces:
//! - Registering a license number that is already registered is rejected
//!   (`vehicle_already_registered`).
//! - A command on a vehicle that was never registered is not found (`vehicle_not_found`).
//! - A customer vehicle has an owner (`customer_vehicle_requires_owner`) and a fleet van
//!   has none (`fleet_vehicle_cannot_have_owner`), at registration and on every update.
//!   Whether the owner is a registered customer is checked by the BFF, not here.
//! - The usage is fixed at registration (the update replaces brand, model and owner only).
//! - A new fleet van starts `available`; a customer vehicle has no status.
//! - Status (`available` ↔ `out_of_service`) applies to fleet vans only
//!   (`not_a_fleet_vehicle`); there is no "assigned" status, because whether a van is busy
//!   is derived from its schedule.
//! - Setting the status a van already has appends nothing.
//! - An update that changes nothing appends nothing.
//! - Brand, model and owner may be updated whatever the status.

pub mod messages;
mod rules;

use es_core::Aggregate;
use serde::{Deserialize, Serialize};

pub use messages::{VehicleCommand, VehicleError, VehicleEvent, VehicleStatus, VehicleUsage};
use rules::check_owner;

use crate::shared::{CustomerId, LicenseNumber, Text};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisteredVehicle {
    pub license_number: LicenseNumber,
    pub brand: Text<200>,
    pub model: Text<200>,
    pub owner: Option<CustomerId>,
    pub usage: VehicleUsage,
    /// `Some` for fleet vans only.
    pub status: Option<VehicleStatus>,
}

/// The state: `None` until the vehicle is registered.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Vehicle(Option<RegisteredVehicle>);

impl Vehicle {
    pub fn registered(&self) -> Option<&RegisteredVehicle> {
        self.0.as_ref()
    }
}

impl Aggregate for Vehicle {
    const TYPE: &'static str = "vehicle";

    type Command = VehicleCommand;
    type Event = VehicleEvent;
    type Error = VehicleError;

    fn handle(&self, command: VehicleCommand) -> Result<Vec<VehicleEvent>, VehicleError> {
        let Some(vehicle) = &self.0 else {
            return match command {
                VehicleCommand::Register {
                    license_number,
                    brand,
                    model,
                    owner,
                    usage,
                } => {
                    check_owner(usage, owner)?;
                    let status = (usage == VehicleUsage::Fleet).then_some(VehicleStatus::Available);
                    Ok(vec![VehicleEvent::Registered {
                        license_number,
                        brand,
                        model,
                        owner,
                        usage,
                        status,
                    }])
                }
                _ => Err(VehicleError::NotFound),
            };
        };
        match command {
            VehicleCommand::Register { .. } => Err(VehicleError::AlreadyRegistered),
            VehicleCommand::Update {
                brand,
                model,
                owner,
            } => {
                check_owner(vehicle.usage, owner)?;
                if (&vehicle.brand, &vehicle.model, vehicle.owner) == (&brand, &model, owner) {
                    return Ok(vec![]);
                }
                Ok(vec![VehicleEvent::Updated {
                    license_number: vehicle.license_number.clone(),
                    brand,
                    model,
                    owner,
                }])
            }
            VehicleCommand::ChangeStatus { status } => match vehicle.status {
                None => Err(VehicleError::NotAFleetVehicle),
                Some(current) if current == status => Ok(vec![]),
                Some(_) => Ok(vec![VehicleEvent::StatusChanged {
                    license_number: vehicle.license_number.clone(),
                    status,
                }]),
            },
        }
    }

    fn apply(&mut self, event: &VehicleEvent) {
        match event {
            VehicleEvent::Registered {
                license_number,
                brand,
                model,
                owner,
                usage,
                status,
            } => {
                self.0 = Some(RegisteredVehicle {
                    license_number: license_number.clone(),
                    brand: brand.clone(),
                    model: model.clone(),
                    owner: *owner,
                    usage: *usage,
                    status: *status,
                });
            }
            VehicleEvent::Updated {
                brand,
                model,
                owner,
                ..
            } => {
                if let Some(v) = &mut self.0 {
                    v.brand = brand.clone();
                    v.model = model.clone();
                    v.owner = *owner;
                }
            }
            VehicleEvent::StatusChanged { status, .. } => {
                if let Some(v) = &mut self.0 {
                    v.status = Some(*status);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
