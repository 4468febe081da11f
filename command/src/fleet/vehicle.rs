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

use es_core::{Aggregate, DomainEvent};
use serde::{Deserialize, Serialize};

use crate::shared::{CustomerId, DomainRule, LicenseNumber, RuleKind, Text};

/// Whose a vehicle is: a customer's car, or one of the operator's own fleet vans.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VehicleUsage {
    Customer,
    Fleet,
}

/// The hand-set status of a fleet van.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VehicleStatus {
    Available,
    OutOfService,
}

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

#[derive(Debug, Clone, PartialEq)]
pub enum VehicleCommand {
    Register {
        license_number: LicenseNumber,
        brand: Text<200>,
        model: Text<200>,
        owner: Option<CustomerId>,
        usage: VehicleUsage,
    },
    /// Replaces brand, model and owner.
    Update {
        brand: Text<200>,
        model: Text<200>,
        owner: Option<CustomerId>,
    },
    ChangeStatus {
        status: VehicleStatus,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event_type", content = "payload")]
pub enum VehicleEvent {
    #[serde(rename = "vehicle.registered.v1")]
    Registered {
        license_number: LicenseNumber,
        brand: Text<200>,
        model: Text<200>,
        owner: Option<CustomerId>,
        usage: VehicleUsage,
        /// The initial status: `available` for a fleet van, none for a customer vehicle.
        status: Option<VehicleStatus>,
    },
    #[serde(rename = "vehicle.updated.v1")]
    Updated {
        license_number: LicenseNumber,
        brand: Text<200>,
        model: Text<200>,
        owner: Option<CustomerId>,
    },
    #[serde(rename = "vehicle.status_changed.v1")]
    StatusChanged {
        license_number: LicenseNumber,
        status: VehicleStatus,
    },
}

impl DomainEvent for VehicleEvent {}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VehicleError {
    #[error("vehicle is not registered")]
    NotFound,
    #[error("a vehicle with this license number is already registered")]
    AlreadyRegistered,
    #[error("a customer vehicle needs an owner")]
    OwnerRequired,
    #[error("a fleet vehicle cannot have an owner")]
    FleetVehicleWithOwner,
    #[error("only fleet vehicles have a status")]
    NotAFleetVehicle,
}

impl DomainRule for VehicleError {
    fn reason(&self) -> &'static str {
        match self {
            VehicleError::NotFound => "vehicle_not_found",
            VehicleError::AlreadyRegistered => "vehicle_already_registered",
            VehicleError::OwnerRequired => "customer_vehicle_requires_owner",
            VehicleError::FleetVehicleWithOwner => "fleet_vehicle_cannot_have_owner",
            VehicleError::NotAFleetVehicle => "not_a_fleet_vehicle",
        }
    }

    fn kind(&self) -> RuleKind {
        match self {
            VehicleError::NotFound => RuleKind::NotFound,
            VehicleError::AlreadyRegistered => RuleKind::AlreadyExists,
            _ => RuleKind::Violation,
        }
    }
}

/// A customer vehicle has an owner; a fleet van has none.
fn check_owner(usage: VehicleUsage, owner: Option<CustomerId>) -> Result<(), VehicleError> {
    match (usage, owner) {
        (VehicleUsage::Customer, None) => Err(VehicleError::OwnerRequired),
        (VehicleUsage::Fleet, Some(_)) => Err(VehicleError::FleetVehicleWithOwner),
        _ => Ok(()),
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
mod tests {
    use es_core::testing::AggregateTest;
    use uuid::Uuid;

    use super::*;

    fn plate() -> LicenseNumber {
        LicenseNumber::parse("license_number", "ab-123-c").unwrap()
    }

    fn owner() -> CustomerId {
        CustomerId::from(Uuid::from_u128(0x0c57))
    }

    fn text(raw: &str) -> Text<200> {
        Text::parse("text", raw).unwrap()
    }

    fn register(usage: VehicleUsage, owner: Option<CustomerId>) -> VehicleCommand {
        VehicleCommand::Register {
            license_number: plate(),
            brand: text("Volkswagen"),
            model: text("Crafter"),
            owner,
            usage,
        }
    }

    fn van_registered() -> VehicleEvent {
        VehicleEvent::Registered {
            license_number: plate(),
            brand: text("Volkswagen"),
            model: text("Crafter"),
            owner: None,
            usage: VehicleUsage::Fleet,
            status: Some(VehicleStatus::Available),
        }
    }

    fn car_registered() -> VehicleEvent {
        VehicleEvent::Registered {
            license_number: plate(),
            brand: text("Tesla"),
            model: text("Model 3"),
            owner: Some(owner()),
            usage: VehicleUsage::Customer,
            status: None,
        }
    }

    fn status_changed(status: VehicleStatus) -> VehicleEvent {
        VehicleEvent::StatusChanged {
            license_number: plate(),
            status,
        }
    }

    #[test]
    fn a_customer_vehicle_is_registered_with_its_owner_and_no_status() {
        AggregateTest::<Vehicle>::given_no_previous_events()
            .when(VehicleCommand::Register {
                license_number: plate(),
                brand: text("Tesla"),
                model: text("Model 3"),
                owner: Some(owner()),
                usage: VehicleUsage::Customer,
            })
            .then_expect_events(vec![car_registered()]);
    }

    #[test]
    fn a_new_fleet_van_starts_available() {
        AggregateTest::<Vehicle>::given_no_previous_events()
            .when(register(VehicleUsage::Fleet, None))
            .then_expect_events(vec![van_registered()]);
    }

    #[test]
    fn registering_a_registered_license_number_is_rejected() {
        AggregateTest::<Vehicle>::given(vec![car_registered()])
            .when(register(VehicleUsage::Fleet, None))
            .then_expect_error(VehicleError::AlreadyRegistered);
    }

    #[test]
    fn commands_on_an_unregistered_vehicle_are_not_found() {
        for command in [
            VehicleCommand::Update {
                brand: text("Ford"),
                model: text("Transit"),
                owner: None,
            },
            VehicleCommand::ChangeStatus {
                status: VehicleStatus::OutOfService,
            },
        ] {
            AggregateTest::<Vehicle>::given_no_previous_events()
                .when(command)
                .then_expect_error(VehicleError::NotFound);
        }
    }

    #[test]
    fn a_customer_vehicle_without_an_owner_is_rejected() {
        AggregateTest::<Vehicle>::given_no_previous_events()
            .when(register(VehicleUsage::Customer, None))
            .then_expect_error(VehicleError::OwnerRequired);
    }

    #[test]
    fn a_fleet_van_with_an_owner_is_rejected() {
        AggregateTest::<Vehicle>::given_no_previous_events()
            .when(register(VehicleUsage::Fleet, Some(owner())))
            .then_expect_error(VehicleError::FleetVehicleWithOwner);
    }

    #[test]
    fn an_update_replaces_brand_model_and_owner() {
        let new_owner = CustomerId::from(Uuid::from_u128(0xbeef));
        AggregateTest::<Vehicle>::given(vec![car_registered()])
            .when(VehicleCommand::Update {
                brand: text("Tesla"),
                model: text("Model Y"),
                owner: Some(new_owner),
            })
            .then_expect_events(vec![VehicleEvent::Updated {
                license_number: plate(),
                brand: text("Tesla"),
                model: text("Model Y"),
                owner: Some(new_owner),
            }]);
    }

    #[test]
    fn an_update_cannot_remove_a_customer_vehicles_owner() {
        AggregateTest::<Vehicle>::given(vec![car_registered()])
            .when(VehicleCommand::Update {
                brand: text("Tesla"),
                model: text("Model 3"),
                owner: None,
            })
            .then_expect_error(VehicleError::OwnerRequired);
    }

    #[test]
    fn an_update_cannot_give_a_fleet_van_an_owner() {
        AggregateTest::<Vehicle>::given(vec![van_registered()])
            .when(VehicleCommand::Update {
                brand: text("Volkswagen"),
                model: text("Crafter"),
                owner: Some(owner()),
            })
            .then_expect_error(VehicleError::FleetVehicleWithOwner);
    }

    #[test]
    fn an_update_that_changes_nothing_appends_nothing() {
        AggregateTest::<Vehicle>::given(vec![car_registered()])
            .when(VehicleCommand::Update {
                brand: text("Tesla"),
                model: text("Model 3"),
                owner: Some(owner()),
            })
            .then_expect_events(vec![]);
    }

    #[test]
    fn an_out_of_service_van_can_still_be_updated() {
        AggregateTest::<Vehicle>::given(vec![
            van_registered(),
            status_changed(VehicleStatus::OutOfService),
        ])
        .when(VehicleCommand::Update {
            brand: text("Volkswagen"),
            model: text("Crafter 35"),
            owner: None,
        })
        .then_expect_events(vec![VehicleEvent::Updated {
            license_number: plate(),
            brand: text("Volkswagen"),
            model: text("Crafter 35"),
            owner: None,
        }]);
    }

    #[test]
    fn an_available_van_can_be_taken_out_of_service() {
        AggregateTest::<Vehicle>::given(vec![van_registered()])
            .when(VehicleCommand::ChangeStatus {
                status: VehicleStatus::OutOfService,
            })
            .then_expect_events(vec![status_changed(VehicleStatus::OutOfService)]);
    }

    #[test]
    fn an_out_of_service_van_can_be_made_available_again() {
        AggregateTest::<Vehicle>::given(vec![
            van_registered(),
            status_changed(VehicleStatus::OutOfService),
        ])
        .when(VehicleCommand::ChangeStatus {
            status: VehicleStatus::Available,
        })
        .then_expect_events(vec![status_changed(VehicleStatus::Available)]);
    }

    #[test]
    fn setting_the_status_a_van_already_has_appends_nothing() {
        AggregateTest::<Vehicle>::given(vec![
            van_registered(),
            status_changed(VehicleStatus::OutOfService),
        ])
        .when(VehicleCommand::ChangeStatus {
            status: VehicleStatus::OutOfService,
        })
        .then_expect_events(vec![]);
    }

    #[test]
    fn changing_a_customer_vehicles_status_is_rejected() {
        AggregateTest::<Vehicle>::given(vec![car_registered()])
            .when(VehicleCommand::ChangeStatus {
                status: VehicleStatus::OutOfService,
            })
            .then_expect_error(VehicleError::NotAFleetVehicle);
    }

    #[test]
    fn every_error_has_a_stable_reason_and_kind() {
        let cases = [
            (
                VehicleError::NotFound,
                "vehicle_not_found",
                RuleKind::NotFound,
            ),
            (
                VehicleError::AlreadyRegistered,
                "vehicle_already_registered",
                RuleKind::AlreadyExists,
            ),
            (
                VehicleError::OwnerRequired,
                "customer_vehicle_requires_owner",
                RuleKind::Violation,
            ),
            (
                VehicleError::FleetVehicleWithOwner,
                "fleet_vehicle_cannot_have_owner",
                RuleKind::Violation,
            ),
            (
                VehicleError::NotAFleetVehicle,
                "not_a_fleet_vehicle",
                RuleKind::Violation,
            ),
        ];
        for (error, reason, kind) in cases {
            assert_eq!((error.reason(), error.kind()), (reason, kind));
        }
    }
}
