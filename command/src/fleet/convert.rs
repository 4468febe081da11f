//! `FleetCommands` requests become [`VehicleCommand`]s and [`DriverCommand`]s here; a bad
//! field fails naming it as the proto does. Also maps the fleet's domain enums to and
//! from their proto twins.

use chrono::{DateTime, Utc};
use contracts::v1;

use super::driver::{Driver, DriverCommand, DriverStatus};
use super::vehicle::{Vehicle, VehicleCommand, VehicleStatus, VehicleUsage};
use crate::shared::{
    Addressed, CustomerId, DriverId, FieldError, IntoCommand, LicenseNumber, Text, required_enum,
};

impl From<VehicleUsage> for v1::VehicleUsage {
    fn from(usage: VehicleUsage) -> Self {
        match usage {
            VehicleUsage::Customer => v1::VehicleUsage::Customer,
            VehicleUsage::Fleet => v1::VehicleUsage::Fleet,
        }
    }
}

impl From<VehicleStatus> for v1::VehicleStatus {
    fn from(status: VehicleStatus) -> Self {
        match status {
            VehicleStatus::Available => v1::VehicleStatus::Available,
            VehicleStatus::OutOfService => v1::VehicleStatus::OutOfService,
        }
    }
}

impl From<DriverStatus> for v1::DriverStatus {
    fn from(status: DriverStatus) -> Self {
        match status {
            DriverStatus::Active => v1::DriverStatus::Active,
            DriverStatus::Suspended => v1::DriverStatus::Suspended,
        }
    }
}

/// A required `VehicleUsage` field (UNSPECIFIED or unknown values are rejected).
pub fn usage_from_proto(field: &str, raw: i32) -> Result<VehicleUsage, FieldError> {
    match required_enum::<v1::VehicleUsage>(field, raw)? {
        v1::VehicleUsage::Customer => Ok(VehicleUsage::Customer),
        v1::VehicleUsage::Fleet => Ok(VehicleUsage::Fleet),
        v1::VehicleUsage::Unspecified => Err(FieldError::new(field, "is required")),
    }
}

/// A required `VehicleStatus` field (UNSPECIFIED or unknown values are rejected).
pub fn status_from_proto(field: &str, raw: i32) -> Result<VehicleStatus, FieldError> {
    match required_enum::<v1::VehicleStatus>(field, raw)? {
        v1::VehicleStatus::Available => Ok(VehicleStatus::Available),
        v1::VehicleStatus::OutOfService => Ok(VehicleStatus::OutOfService),
        v1::VehicleStatus::Unspecified => Err(FieldError::new(field, "is required")),
    }
}

/// The optional owner: absent or blank means a vehicle without owner (a fleet van).
fn owner(raw: Option<&str>) -> Result<Option<CustomerId>, FieldError> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some(id) => CustomerId::parse("owner_customer_id", id).map(Some),
    }
}

/// A driver's name and driving licence number, as registering and updating give them.
fn name_and_licence(name: &str, licence: &str) -> Result<(Text<200>, Text<50>), FieldError> {
    Ok((
        Text::parse("name", name)?,
        Text::parse("driving_licence_number", licence)?,
    ))
}

impl IntoCommand for v1::RegisterVehicleRequest {
    type Aggregate = Vehicle;

    fn into_command(self, _now: DateTime<Utc>) -> Result<Addressed<VehicleCommand>, FieldError> {
        let license_number = LicenseNumber::parse("license_number", &self.license_number)?;
        let command = VehicleCommand::Register {
            license_number: license_number.clone(),
            brand: Text::parse("brand", &self.brand)?,
            model: Text::parse("model", &self.model)?,
            owner: owner(self.owner_customer_id.as_deref())?,
            usage: usage_from_proto("usage", self.usage)?,
        };
        Ok(Addressed::new(license_number, command))
    }
}

impl IntoCommand for v1::UpdateVehicleRequest {
    type Aggregate = Vehicle;

    fn into_command(self, _now: DateTime<Utc>) -> Result<Addressed<VehicleCommand>, FieldError> {
        let license_number = LicenseNumber::parse("license_number", &self.license_number)?;
        let command = VehicleCommand::Update {
            brand: Text::parse("brand", &self.brand)?,
            model: Text::parse("model", &self.model)?,
            owner: owner(self.owner_customer_id.as_deref())?,
        };
        Ok(Addressed::new(license_number, command))
    }
}

impl IntoCommand for v1::ChangeVehicleStatusRequest {
    type Aggregate = Vehicle;

    fn into_command(self, _now: DateTime<Utc>) -> Result<Addressed<VehicleCommand>, FieldError> {
        let license_number = LicenseNumber::parse("license_number", &self.license_number)?;
        let status = status_from_proto("status", self.status)?;
        Ok(Addressed::new(
            license_number,
            VehicleCommand::ChangeStatus { status },
        ))
    }
}

impl IntoCommand for v1::RegisterDriverRequest {
    type Aggregate = Driver;

    fn into_command(self, _now: DateTime<Utc>) -> Result<Addressed<DriverCommand>, FieldError> {
        let driver_id = DriverId::parse("driver_id", &self.driver_id)?;
        let (name, driving_licence_number) =
            name_and_licence(&self.name, &self.driving_licence_number)?;
        let command = DriverCommand::Register {
            driver_id,
            name,
            driving_licence_number,
        };
        Ok(Addressed::new(driver_id, command))
    }
}

impl IntoCommand for v1::UpdateDriverRequest {
    type Aggregate = Driver;

    fn into_command(self, _now: DateTime<Utc>) -> Result<Addressed<DriverCommand>, FieldError> {
        let driver_id = DriverId::parse("driver_id", &self.driver_id)?;
        let (name, driving_licence_number) =
            name_and_licence(&self.name, &self.driving_licence_number)?;
        let command = DriverCommand::Update {
            name,
            driving_licence_number,
        };
        Ok(Addressed::new(driver_id, command))
    }
}

impl IntoCommand for v1::SuspendDriverRequest {
    type Aggregate = Driver;

    fn into_command(self, _now: DateTime<Utc>) -> Result<Addressed<DriverCommand>, FieldError> {
        let driver_id = DriverId::parse("driver_id", &self.driver_id)?;
        Ok(Addressed::new(driver_id, DriverCommand::Suspend))
    }
}

impl IntoCommand for v1::ReinstateDriverRequest {
    type Aggregate = Driver;

    fn into_command(self, _now: DateTime<Utc>) -> Result<Addressed<DriverCommand>, FieldError> {
        let driver_id = DriverId::parse("driver_id", &self.driver_id)?;
        Ok(Addressed::new(driver_id, DriverCommand::Reinstate))
    }
}

#[cfg(test)]
mod tests;
