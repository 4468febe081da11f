//! The `ListLiveTracking` query: where the moving deliveries are.
//!
//! A delivery is moving while `in_transit` or `out_for_delivery`. Its last location is
//! the last checkpoint it reached in its current run, empty until the first one (as the
//! proto says; the route's origin is not guessed). The driver's name comes from the
//! fleet read model and is empty when that does not know the driver (yet).

use contracts::v1;

use super::projection::DELIVERIES;
use crate::api::{Page, QueryError, to_timestamp};
use crate::deliveries::status::{DeliveryStatus, DeliveryStatusProto};
use crate::deliveries::support::driver_names;
use crate::store::{DbError, Filter, Order, Reader, Row, Select, Value};

const MOVING: [DeliveryStatus; 2] = [DeliveryStatus::InTransit, DeliveryStatus::OutForDelivery];

/// Moving deliveries (`status` narrows to one of the two moving statuses; any other
/// status is `Invalid`; `driver_id` to one driver's), soonest slot first with the
/// delivery id breaking ties, paged, with the total.
pub fn list_live_tracking(
    reader: &mut dyn Reader,
    request: &v1::ListLiveTrackingRequest,
) -> Result<v1::ListLiveTrackingReply, QueryError> {
    let page = Page::parse(request.page.as_ref())?;
    let statuses: Vec<Value> = match DeliveryStatus::filter_of("status", request.status)? {
        None => MOVING.iter().map(|s| s.as_str().into()).collect(),
        Some(status) if MOVING.contains(&status) => vec![status.as_str().into()],
        Some(_) => {
            return Err(QueryError::invalid(
                "status",
                "must be in_transit or out_for_delivery (or unspecified for both)",
            ));
        }
    };
    let mut select = Select::from(&DELIVERIES).filter(Filter::In("status", statuses));
    let driver = request.driver_id.trim();
    if !driver.is_empty() {
        select = select.filter(Filter::Eq("driver_id", driver.into()));
    }
    let select = select
        .order_by("slot_start", Order::Asc)
        .order_by("delivery_id", Order::Asc);
    let (rows, page) = page.select(reader, select)?;

    let drivers = rows
        .iter()
        .map(|row| row.opt_text("driver_id"))
        .collect::<Result<Vec<_>, _>>()?;
    let names = driver_names(reader, drivers.iter().flatten().map(String::as_str))?;
    let deliveries = rows
        .iter()
        .map(|row| {
            let mut tracking = to_tracking(row)?;
            tracking.driver_name = names.get(&tracking.driver_id).cloned().unwrap_or_default();
            Ok(tracking)
        })
        .collect::<Result<Vec<_>, DbError>>()?;
    Ok(v1::ListLiveTrackingReply {
        page: Some(page),
        deliveries,
    })
}

fn to_tracking(row: &Row) -> Result<v1::LiveTracking, DbError> {
    let last_sequence = row.opt_int("last_checkpoint_sequence")?.unwrap_or_default();
    Ok(v1::LiveTracking {
        delivery_id: row.text("delivery_id")?,
        route_id: row.text("route_id")?,
        status: DeliveryStatus::proto_of_stored(DELIVERIES.name, &row.text("status")?)?,
        last_location: row.opt_text("last_location")?.unwrap_or_default(),
        last_checkpoint_sequence: u32::try_from(last_sequence).unwrap_or_default(),
        last_seen_at: row.opt_time("last_seen_at")?.map(to_timestamp),
        driver_id: row.opt_text("driver_id")?.unwrap_or_default(),
        driver_name: String::new(),
        vehicle_license_number: row.opt_text("vehicle_license_number")?.unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests;
