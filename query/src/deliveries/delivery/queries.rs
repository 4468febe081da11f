//! The delivery detail queries: `GetDelivery` and `ListDeliveries` (each delivery with
//! its checkpoints, incidents, proof, driver and vehicle) and `GetDeliveryTimeline`
//! (every event of the delivery, oldest first).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use contracts::v1;

use super::projection::{DELIVERIES, DELIVERY_CHECKPOINTS, DELIVERY_INCIDENTS, DELIVERY_TIMELINE};
use crate::api::{Page, QueryError, to_timestamp};
use crate::deliveries::status::{DeliveryStatus, DeliveryStatusProto, checkpoint_status};
use crate::deliveries::support::{direction, driver_names, parse_id, sequence_of};
use crate::fleet::parse_license_number;
use crate::store::{DbError, Filter, Order, Reader, Row, Select, Value};

/// One delivery by id, its checkpoints' status taken as of `now` (an unreached
/// checkpoint past its expected time is delayed). The driver's name comes from the
/// fleet read model and is empty when that does not know the driver (yet).
pub fn get_delivery(
    reader: &mut dyn Reader,
    request: &v1::GetDeliveryRequest,
    now: DateTime<Utc>,
) -> Result<v1::Delivery, QueryError> {
    let delivery_id = parse_id("delivery_id", &request.delivery_id)?;
    let row = reader
        .get(&DELIVERIES, &[("delivery_id", delivery_id.as_str().into())])?
        .ok_or_else(|| QueryError::NotFound(format!("delivery {delivery_id} not found")))?;
    let mut deliveries = to_deliveries(reader, &[row], now)?;
    Ok(deliveries.remove(0))
}

/// Deliveries of one route, driver, vehicle and status (each unset = any; the driver
/// and vehicle are the current assignment), sorted by slot start then delivery id in
/// the request's direction so pages are stable; paged, with the total. Each is the
/// whole delivery, as [`get_delivery`] answers it.
pub fn list_deliveries(
    reader: &mut dyn Reader,
    request: &v1::ListDeliveriesRequest,
    now: DateTime<Utc>,
) -> Result<v1::ListDeliveriesReply, QueryError> {
    let page = Page::parse(request.page.as_ref())?;
    let mut filter: Vec<(&'static str, Value)> = Vec::new();
    if let Some(route_id) = optional(&request.route_id, |raw| parse_id("route_id", raw))? {
        filter.push(("route_id", route_id.into()));
    }
    if let Some(driver_id) = optional(&request.driver_id, |raw| parse_id("driver_id", raw))? {
        filter.push(("driver_id", driver_id.into()));
    }
    if let Some(plate) = optional(&request.vehicle_license_number, |raw| {
        parse_license_number("vehicle_license_number", raw)
    })? {
        filter.push(("vehicle_license_number", plate.into()));
    }
    if let Some(status) = DeliveryStatus::filter_of("status", request.status)? {
        filter.push(("status", status.as_str().into()));
    }
    let order = direction(request.direction)?;

    let select = Select::from(&DELIVERIES)
        .filter_eq(&filter)
        .order_by("slot_start", order)
        .order_by("delivery_id", order);
    let (rows, page) = page.select(reader, select)?;
    Ok(v1::ListDeliveriesReply {
        deliveries: to_deliveries(reader, &rows, now)?,
        page: Some(page),
    })
}

/// A request's optional filter: `None` when blank ("any"), else parsed by `parse`.
fn optional<T>(
    raw: &str,
    parse: impl FnOnce(&str) -> Result<T, QueryError>,
) -> Result<Option<T>, QueryError> {
    if raw.trim().is_empty() {
        Ok(None)
    } else {
        parse(raw).map(Some)
    }
}

/// `deliveries` rows as proto deliveries, in the same order, with their checkpoints,
/// incidents and driver names: three more reads for the whole page, however long.
fn to_deliveries(
    reader: &mut dyn Reader,
    rows: &[Row],
    now: DateTime<Utc>,
) -> Result<Vec<v1::Delivery>, QueryError> {
    let ids = rows
        .iter()
        .map(|row| row.text("delivery_id").map(Value::from))
        .collect::<Result<Vec<_>, _>>()?;

    let mut checkpoints: HashMap<String, Vec<v1::Checkpoint>> = HashMap::new();
    let copied = Select::from(&DELIVERY_CHECKPOINTS)
        .filter(Filter::In("delivery_id", ids.clone()))
        .order_by("delivery_id", Order::Asc)
        .order_by("sequence", Order::Asc);
    for row in reader.select(&copied)? {
        let checkpoint = to_checkpoint(&row, now)?;
        checkpoints
            .entry(row.text("delivery_id")?)
            .or_default()
            .push(checkpoint);
    }
    let mut incidents: HashMap<String, Vec<v1::Incident>> = HashMap::new();
    let reported = Select::from(&DELIVERY_INCIDENTS)
        .filter(Filter::In("delivery_id", ids))
        .order_by("delivery_id", Order::Asc)
        .order_by("reported_at", Order::Asc)
        .order_by("incident_id", Order::Asc);
    for row in reader.select(&reported)? {
        let incident = to_incident(&row)?;
        incidents
            .entry(row.text("delivery_id")?)
            .or_default()
            .push(incident);
    }
    let drivers = rows
        .iter()
        .map(|row| row.opt_text("driver_id"))
        .collect::<Result<Vec<_>, _>>()?;
    let names = driver_names(reader, drivers.iter().flatten().map(String::as_str))?;

    rows.iter()
        .map(|row| {
            let delivery_id = row.text("delivery_id")?;
            let driver_id = row.opt_text("driver_id")?;
            let driver_name = driver_id
                .as_ref()
                .and_then(|id| names.get(id).cloned())
                .unwrap_or_default();
            Ok(v1::Delivery {
                route_id: row.text("route_id")?,
                slot: Some(v1::Timeslot {
                    start: Some(to_timestamp(row.time("slot_start")?)),
                    end: Some(to_timestamp(row.time("slot_end")?)),
                }),
                status: DeliveryStatus::proto_of_stored(DELIVERIES.name, &row.text("status")?)?,
                driver_id,
                driver_name,
                vehicle_license_number: row.opt_text("vehicle_license_number")?,
                checkpoints: checkpoints.remove(&delivery_id).unwrap_or_default(),
                incidents: incidents.remove(&delivery_id).unwrap_or_default(),
                proof: to_proof(row)?,
                failure_reason: row.opt_text("failure_reason")?.unwrap_or_default(),
                version: row.uint("version")?,
                delivery_id,
            })
        })
        .collect::<Result<_, DbError>>()
        .map_err(QueryError::from)
}

/// Every event of one delivery in version order, each with its summary and the status
/// after it.
pub fn get_delivery_timeline(
    reader: &mut dyn Reader,
    request: &v1::GetDeliveryTimelineRequest,
) -> Result<v1::DeliveryTimeline, QueryError> {
    let delivery_id = parse_id("delivery_id", &request.delivery_id)?;
    let entries = reader
        .select(
            &Select::from(&DELIVERY_TIMELINE)
                .filter_eq(&[("delivery_id", delivery_id.as_str().into())])
                .order_by("version", Order::Asc),
        )?
        .iter()
        .map(to_timeline_entry)
        .collect::<Result<Vec<_>, _>>()?;
    if entries.is_empty() {
        return Err(QueryError::NotFound(format!(
            "delivery {delivery_id} not found"
        )));
    }
    Ok(v1::DeliveryTimeline {
        delivery_id,
        entries,
    })
}

fn to_checkpoint(row: &Row, now: DateTime<Utc>) -> Result<v1::Checkpoint, DbError> {
    let expected_at = row.time("expected_at")?;
    let reached_at = row.opt_time("reached_at")?;
    Ok(v1::Checkpoint {
        sequence: sequence_of(row)?,
        location: row.text("location")?,
        expected_at: Some(to_timestamp(expected_at)),
        status: checkpoint_status(reached_at.is_some(), expected_at, now).into(),
        reached_at: reached_at.map(to_timestamp),
    })
}

fn to_incident(row: &Row) -> Result<v1::Incident, DbError> {
    let resolved_at = row.opt_time("resolved_at")?;
    Ok(v1::Incident {
        incident_id: row.text("incident_id")?,
        incident_type: row.text("incident_type")?,
        description: row.text("description")?,
        reported_at: Some(to_timestamp(row.time("reported_at")?)),
        resolved: resolved_at.is_some(),
        resolution: row.opt_text("resolution")?.unwrap_or_default(),
        resolved_at: resolved_at.map(to_timestamp),
    })
}

/// The proof of delivery, once captured.
fn to_proof(row: &Row) -> Result<Option<v1::ProofOfDelivery>, DbError> {
    let Some(captured_at) = row.opt_time("proof_captured_at")? else {
        return Ok(None);
    };
    Ok(Some(v1::ProofOfDelivery {
        receiver_name: row.opt_text("proof_receiver_name")?.unwrap_or_default(),
        signature_reference: row
            .opt_text("proof_signature_reference")?
            .unwrap_or_default(),
        captured_at: Some(to_timestamp(captured_at)),
    }))
}

fn to_timeline_entry(row: &Row) -> Result<v1::TimelineEntry, DbError> {
    // An entry written while its delivery row was missing (its creation parked as a
    // dead letter) has no status: UNSPECIFIED rather than an unreadable timeline.
    let status = match row.text("status")?.as_str() {
        "" => v1::DeliveryStatus::Unspecified as i32,
        stored => DeliveryStatus::proto_of_stored(DELIVERY_TIMELINE.name, stored)?,
    };
    Ok(v1::TimelineEntry {
        version: row.uint("version")?,
        event_type: row.text("event_type")?,
        occurred_at: Some(to_timestamp(row.time("occurred_at")?)),
        summary: row.text("summary")?,
        status,
        actor_subject: row.text("actor_subject")?,
    })
}

#[cfg(test)]
mod tests;
