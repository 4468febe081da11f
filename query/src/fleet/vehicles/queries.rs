//! The vehicle queries: `ListVehicles` and `GetVehicle`.
//!
//! Proto enums are mapped to the domain strings the projection stores through
//! [`Usage`] and [`Status`]; UNSPECIFIED means "no filter" and a value the proto does
//! not define is `Invalid` naming its field.

use contracts::v1;

use super::projection::{Status, Usage, VEHICLES};
use crate::api::{Page, QueryError, direction, parse_uuid};
use crate::fleet::license_number::parse_license_number;
use crate::fleet::support::shape;
use crate::store::{DbError, Reader, Row, Select, Value};

/// Vehicles filtered by owner, usage and status, sorted by license number (default) or
/// brand (license number breaking ties), paged, with the total.
pub fn list_vehicles(
    reader: &mut dyn Reader,
    request: &v1::ListVehiclesRequest,
) -> Result<v1::ListVehiclesReply, QueryError> {
    let page = Page::parse(request.page.as_ref())?;
    let sort_column = match v1::VehicleSortField::try_from(request.sort_by) {
        Ok(v1::VehicleSortField::Unspecified | v1::VehicleSortField::LicenseNumber) => {
            "license_number"
        }
        Ok(v1::VehicleSortField::Brand) => "brand",
        Err(_) => {
            return Err(QueryError::invalid(
                "sort_by",
                "is not a vehicle sort field",
            ));
        }
    };
    let order = direction(request.direction)?;

    let mut filter = Vec::new();
    let owner = request.owner_customer_id.trim();
    if !owner.is_empty() {
        let owner = parse_uuid("owner_customer_id", owner)?;
        filter.push(("owner_customer_id", Value::from(owner.to_string())));
    }
    let usage = match v1::VehicleUsage::try_from(request.usage) {
        Ok(v1::VehicleUsage::Unspecified) => None,
        Ok(v1::VehicleUsage::Customer) => Some(Usage::Customer),
        Ok(v1::VehicleUsage::Fleet) => Some(Usage::Fleet),
        Err(_) => return Err(QueryError::invalid("usage", "is not a vehicle usage")),
    };
    if let Some(usage) = usage {
        filter.push(("usage", usage.as_str().into()));
    }
    let status = match v1::VehicleStatus::try_from(request.status) {
        Ok(v1::VehicleStatus::Unspecified) => None,
        Ok(v1::VehicleStatus::Available) => Some(Status::Available),
        Ok(v1::VehicleStatus::OutOfService) => Some(Status::OutOfService),
        Err(_) => return Err(QueryError::invalid("status", "is not a vehicle status")),
    };
    if let Some(status) = status {
        filter.push(("status", status.as_str().into()));
    }

    let select = Select::from(&VEHICLES)
        .filter_eq(&filter)
        .order_by(sort_column, order)
        .order_by("license_number", order);
    let (rows, page) = page.select(reader, select)?;
    Ok(v1::ListVehiclesReply {
        vehicles: rows.iter().map(to_vehicle).collect::<Result<_, _>>()?,
        page: Some(page),
    })
}

/// One vehicle by license number, in any case.
pub fn get_vehicle(
    reader: &mut dyn Reader,
    request: &v1::GetVehicleRequest,
) -> Result<v1::Vehicle, QueryError> {
    let license_number = parse_license_number("license_number", &request.license_number)?;
    let row = reader
        .get(
            &VEHICLES,
            &[("license_number", license_number.as_str().into())],
        )?
        .ok_or_else(|| QueryError::NotFound(format!("vehicle {license_number} not found")))?;
    Ok(to_vehicle(&row)?)
}

/// A `vehicles` row as the proto `Vehicle` (a customer's car has status UNSPECIFIED).
pub fn to_vehicle(row: &Row) -> Result<v1::Vehicle, DbError> {
    let usage = row.text("usage")?;
    let usage = match Usage::parse(&usage) {
        Some(Usage::Customer) => v1::VehicleUsage::Customer,
        Some(Usage::Fleet) => v1::VehicleUsage::Fleet,
        None => return Err(shape("vehicles", format!("unknown usage `{usage}`"))),
    };
    let status = match row.opt_text("status")? {
        None => v1::VehicleStatus::Unspecified,
        Some(status) => match Status::parse(&status) {
            Some(Status::Available) => v1::VehicleStatus::Available,
            Some(Status::OutOfService) => v1::VehicleStatus::OutOfService,
            None => return Err(shape("vehicles", format!("unknown status `{status}`"))),
        },
    };
    Ok(v1::Vehicle {
        license_number: row.text("license_number")?,
        brand: row.text("brand")?,
        model: row.text("model")?,
        owner_customer_id: row.opt_text("owner_customer_id")?,
        usage: usage.into(),
        status: status.into(),
        version: row.uint("version")?,
    })
}

#[cfg(test)]
mod tests;
