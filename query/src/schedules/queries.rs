//! The schedule query: `GetResourceSchedule`, the slots one driver, vehicle or
//! technician is booked for, as the BFF's conflict checks read them.

use contracts::v1;

use super::projection::{DELIVERY, DRIVER, JOB, RESOURCE_SLOTS, TECHNICIAN, VEHICLE};
use crate::api::{QueryError, optional_time, parse_uuid, to_timestamp};
use crate::fleet::parse_license_number;
use crate::store::{DbError, Filter, Order, Reader, Row, Select};
use crate::workshop::vocabulary::job_status;

/// The resource's slots overlapping `[from, to)` (`slot_start < to && slot_end > from`;
/// an unset bound is open), ordered by slot start. A resource nobody booked has an
/// empty schedule, not NOT_FOUND: "free" is the answer a conflict check wants.
pub fn get_resource_schedule(
    reader: &mut dyn Reader,
    request: &v1::GetResourceScheduleRequest,
) -> Result<v1::ResourceSchedule, QueryError> {
    let (kind, resource_kind) = match v1::ResourceKind::try_from(request.kind) {
        Ok(v1::ResourceKind::Driver) => (v1::ResourceKind::Driver, DRIVER),
        Ok(v1::ResourceKind::Vehicle) => (v1::ResourceKind::Vehicle, VEHICLE),
        Ok(v1::ResourceKind::Technician) => (v1::ResourceKind::Technician, TECHNICIAN),
        Ok(v1::ResourceKind::Unspecified) | Err(_) => {
            return Err(QueryError::invalid(
                "kind",
                "must be driver, vehicle or technician",
            ));
        }
    };
    let resource_id = match kind {
        v1::ResourceKind::Vehicle => parse_license_number("resource_id", &request.resource_id)?,
        _ => parse_uuid("resource_id", &request.resource_id)?.to_string(),
    };
    let from = optional_time("from", request.from.as_ref())?;
    let to = optional_time("to", request.to.as_ref())?;
    if let (Some(from), Some(to)) = (from, to)
        && from >= to
    {
        return Err(QueryError::invalid("to", "must be after `from`"));
    }

    let mut select = Select::from(&RESOURCE_SLOTS).filter_eq(&[
        ("resource_kind", resource_kind.into()),
        ("resource_id", resource_id.clone().into()),
    ]);
    if let Some(to) = to {
        select = select.filter(Filter::Lt("slot_start", to.into()));
    }
    if let Some(from) = from {
        select = select.filter(Filter::Gt("slot_end", from.into()));
    }
    let select = select
        .order_by("slot_start", Order::Asc)
        .order_by("holder_kind", Order::Asc)
        .order_by("holder_id", Order::Asc);
    let slots = reader
        .select(&select)?
        .iter()
        .map(to_booked_slot)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(v1::ResourceSchedule {
        kind: kind.into(),
        resource_id,
        slots,
    })
}

/// A `resource_slots` row as the proto `BookedSlot`, its status in the holder's enum.
fn to_booked_slot(row: &Row) -> Result<v1::BookedSlot, DbError> {
    use v1::booked_slot::Status;
    let holder_kind = row.text("holder_kind")?;
    let status = row.text("status")?;
    let (holder_kind, status) = match holder_kind.as_str() {
        JOB => (
            v1::SlotHolderKind::Job,
            Status::JobStatus(job_status(&status).into()),
        ),
        DELIVERY => (
            v1::SlotHolderKind::Delivery,
            Status::DeliveryStatus(delivery_status(&status).into()),
        ),
        other => {
            return Err(DbError::Shape {
                table: RESOURCE_SLOTS.name,
                reason: format!("unknown holder kind `{other}`"),
            });
        }
    };
    Ok(v1::BookedSlot {
        holder_kind: holder_kind.into(),
        holder_id: row.text("holder_id")?,
        slot: Some(v1::Timeslot {
            start: Some(to_timestamp(row.time("slot_start")?)),
            end: Some(to_timestamp(row.time("slot_end")?)),
        }),
        status: Some(status),
    })
}

/// A stored delivery status (`out_for_delivery`) as its proto value; a word the proto
/// does not name (a newer producer) reads as UNSPECIFIED.
fn delivery_status(stored: &str) -> v1::DeliveryStatus {
    v1::DeliveryStatus::from_str_name(&format!("DELIVERY_STATUS_{}", stored.to_ascii_uppercase()))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests;
