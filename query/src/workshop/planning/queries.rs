//! The planning query: `GetWorkshopPlanning`, a date's jobs with the vehicle's, the
//! customer's and the technician's details joined from their own read models.
//!
//! The join is done here, at read time, with one keyed select per joined table (not
//! one per job). A row missing from a joined read model (its context lags behind the
//! workshop's) leaves that detail unset, so the planning is always readable.

use std::collections::{BTreeSet, HashMap};

use chrono::NaiveDate;
use contracts::v1;

use super::projection::{WORKSHOP_JOBS, WORKSHOP_PLANNINGS};
use crate::api::{QueryError, to_timestamp};
use crate::customers::{CUSTOMERS, queries::to_customer};
use crate::fleet::vehicles::{VEHICLES, queries::to_vehicle};
use crate::store::{DbError, Filter, Order, Reader, Row, Select, Table, Value};
use crate::workshop::technicians::TECHNICIANS;
use crate::workshop::vocabulary::{job_status, maintenance_service, service_category};

/// The jobs of `date` ordered by planned start; a date nobody planned is an empty
/// planning with version 0.
pub fn get_workshop_planning(
    reader: &mut dyn Reader,
    request: &v1::GetWorkshopPlanningRequest,
) -> Result<v1::WorkshopPlanning, QueryError> {
    let date = NaiveDate::parse_from_str(request.date.trim(), "%Y-%m-%d")
        .map_err(|_| QueryError::invalid("date", "must be a date as yyyy-mm-dd"))?
        .to_string();
    let version = reader
        .get(&WORKSHOP_PLANNINGS, &[("date", date.clone().into())])?
        .map(|row| row.uint("version"))
        .transpose()?
        .unwrap_or(0);
    let rows = reader.select(
        &Select::from(&WORKSHOP_JOBS)
            .filter_eq(&[("date", date.clone().into())])
            .order_by("slot_start", Order::Asc)
            .order_by("job_id", Order::Asc),
    )?;

    let vehicles = lookup(
        reader,
        &VEHICLES,
        "license_number",
        &rows,
        "vehicle_license_number",
    )?;
    let customers = lookup(reader, &CUSTOMERS, "customer_id", &rows, "customer_id")?;
    let technicians = lookup(
        reader,
        &TECHNICIANS,
        "technician_id",
        &rows,
        "technician_id",
    )?;

    let jobs = rows
        .iter()
        .map(|row| {
            let mut job = to_job(row)?;
            job.vehicle = vehicles
                .get(&job.vehicle_license_number)
                .map(to_vehicle)
                .transpose()?;
            job.customer = customers
                .get(&job.customer_id)
                .map(to_customer)
                .transpose()?;
            if let Some(technician) = job
                .technician_id
                .as_ref()
                .and_then(|id| technicians.get(id))
            {
                job.technician_name = technician.text("name")?;
            }
            Ok(job)
        })
        .collect::<Result<Vec<_>, DbError>>()?;
    Ok(v1::WorkshopPlanning {
        date,
        jobs,
        version,
    })
}

/// The rows of `table` whose `key` is one of the `column` values of `rows`, by key.
fn lookup(
    reader: &mut dyn Reader,
    table: &'static Table,
    key: &'static str,
    rows: &[Row],
    column: &str,
) -> Result<HashMap<String, Row>, DbError> {
    let mut wanted = BTreeSet::new();
    for row in rows {
        wanted.extend(row.opt_text(column)?);
    }
    if wanted.is_empty() {
        return Ok(HashMap::new());
    }
    let values = wanted.into_iter().map(Value::from).collect();
    reader
        .select(&Select::from(table).filter(Filter::In(key, values)))?
        .into_iter()
        .map(|row| Ok((row.text(key)?, row)))
        .collect()
}

/// A `workshop_jobs` row as the proto job, without the joined details.
fn to_job(row: &Row) -> Result<v1::MaintenanceJob, DbError> {
    let actual_slot = match (row.opt_time("actual_start")?, row.opt_time("actual_end")?) {
        (Some(start), Some(end)) => Some(v1::Timeslot {
            start: Some(to_timestamp(start)),
            end: Some(to_timestamp(end)),
        }),
        _ => None,
    };
    Ok(v1::MaintenanceJob {
        job_id: row.text("job_id")?,
        planned_slot: Some(v1::Timeslot {
            start: Some(to_timestamp(row.time("slot_start")?)),
            end: Some(to_timestamp(row.time("slot_end")?)),
        }),
        service: maintenance_service(&row.text("service")?).into(),
        category: service_category(&row.text("category")?).into(),
        description: row.text("description")?,
        status: job_status(&row.text("status")?).into(),
        vehicle_license_number: row.text("vehicle_license_number")?,
        customer_id: row.text("customer_id")?,
        technician_id: row.opt_text("technician_id")?,
        technician_name: String::new(),
        actual_slot,
        notes: row.opt_text("notes")?.unwrap_or_default(),
        cancellation_reason: row.opt_text("cancel_reason")?.unwrap_or_default(),
        vehicle: None,
        customer: None,
    })
}

#[cfg(test)]
mod tests;
