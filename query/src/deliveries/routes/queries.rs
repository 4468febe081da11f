//! The route queries: `ListRoutes` and `GetRoute`, each route with its checkpoints and
//! each checkpoint's status as of `now`.
//!
//! A route checkpoint is `reached` when any delivery of the route has reached it in its
//! current run (a retried delivery's earlier run no longer counts, as the aggregate
//! forgets it too); `reached_at` is the earliest such time, when the route's stop was
//! first served. An unreached checkpoint is `delayed` once `now` is past its expected
//! time, whatever the route's status, else `pending`.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use contracts::v1;

use super::projection::{ROUTE_CHECKPOINTS, ROUTES};
use crate::api::{Page, QueryError, optional_time, to_timestamp};
use crate::deliveries::delivery::DELIVERY_CHECKPOINTS;
use crate::deliveries::status::{RouteStatus, checkpoint_status};
use crate::deliveries::support::{direction, parse_id, sequence_of};
use crate::store::{DbError, Filter, Order, Reader, Row, Select, Value};

/// Routes of one status (UNSPECIFIED = any) whose scheduled start is in
/// `[scheduled_from, scheduled_to)` (either bound may be unset), sorted by scheduled
/// start (default), origin or destination, then scheduled start and route id so pages
/// are stable; paged, with the total.
pub fn list_routes(
    reader: &mut dyn Reader,
    request: &v1::ListRoutesRequest,
    now: DateTime<Utc>,
) -> Result<v1::ListRoutesReply, QueryError> {
    let page = Page::parse(request.page.as_ref())?;
    let status = RouteStatus::filter_of("status", request.status)?;
    let from = optional_time("scheduled_from", request.scheduled_from.as_ref())?;
    let to = optional_time("scheduled_to", request.scheduled_to.as_ref())?;
    if let (Some(from), Some(to)) = (from, to)
        && from >= to
    {
        return Err(QueryError::invalid(
            "scheduled_to",
            "must be after scheduled_from",
        ));
    }
    let sort_column = match v1::RouteSortField::try_from(request.sort_by) {
        Ok(v1::RouteSortField::Unspecified | v1::RouteSortField::ScheduledStart) => {
            "scheduled_start"
        }
        Ok(v1::RouteSortField::Origin) => "origin",
        Ok(v1::RouteSortField::Destination) => "destination",
        Err(_) => return Err(QueryError::invalid("sort_by", "is not a route sort field")),
    };
    let order = direction(request.direction)?;

    let mut select = Select::from(&ROUTES);
    if let Some(status) = status {
        select = select.filter(Filter::Eq("status", status.as_str().into()));
    }
    if let Some(from) = from {
        select = select.filter(Filter::Gte("scheduled_start", from.into()));
    }
    if let Some(to) = to {
        select = select.filter(Filter::Lt("scheduled_start", to.into()));
    }
    let select = select
        .order_by(sort_column, order)
        .order_by("scheduled_start", order)
        .order_by("route_id", order);
    let (rows, page) = page.select(reader, select)?;
    Ok(v1::ListRoutesReply {
        routes: to_routes(reader, &rows, now)?,
        page: Some(page),
    })
}

/// One route by id.
pub fn get_route(
    reader: &mut dyn Reader,
    request: &v1::GetRouteRequest,
    now: DateTime<Utc>,
) -> Result<v1::Route, QueryError> {
    let route_id = parse_id("route_id", &request.route_id)?;
    let row = reader
        .get(&ROUTES, &[("route_id", route_id.as_str().into())])?
        .ok_or_else(|| QueryError::NotFound(format!("route {route_id} not found")))?;
    let mut routes = to_routes(reader, &[row], now)?;
    Ok(routes.remove(0))
}

/// `routes` rows as proto routes, with their checkpoints (two more reads for them all).
fn to_routes(
    reader: &mut dyn Reader,
    rows: &[Row],
    now: DateTime<Utc>,
) -> Result<Vec<v1::Route>, QueryError> {
    let ids = rows
        .iter()
        .map(|row| row.text("route_id").map(Value::from))
        .collect::<Result<Vec<_>, _>>()?;
    let reached = first_reached(reader, &ids)?;
    let mut checkpoints: HashMap<String, Vec<v1::Checkpoint>> = HashMap::new();
    let planned = Select::from(&ROUTE_CHECKPOINTS)
        .filter(Filter::In("route_id", ids))
        .order_by("route_id", Order::Asc)
        .order_by("sequence", Order::Asc);
    for row in reader.select(&planned)? {
        let route_id = row.text("route_id")?;
        let sequence = sequence_of(&row)?;
        let expected_at = row.time("expected_at")?;
        let reached_at = reached.get(&(route_id.clone(), sequence)).copied();
        checkpoints
            .entry(route_id)
            .or_default()
            .push(v1::Checkpoint {
                sequence,
                location: row.text("location")?,
                expected_at: Some(to_timestamp(expected_at)),
                status: checkpoint_status(reached_at.is_some(), expected_at, now).into(),
                reached_at: reached_at.map(to_timestamp),
            });
    }
    rows.iter()
        .map(|row| {
            let route_id = row.text("route_id")?;
            Ok(v1::Route {
                checkpoints: checkpoints.remove(&route_id).unwrap_or_default(),
                route_id,
                origin: row.text("origin")?,
                destination: row.text("destination")?,
                scheduled_start: Some(to_timestamp(row.time("scheduled_start")?)),
                scheduled_end: row.opt_time("scheduled_end")?.map(to_timestamp),
                status: RouteStatus::proto_of_stored(ROUTES.name, &row.text("status")?)?,
                version: row.uint("version")?,
            })
        })
        .collect::<Result<_, DbError>>()
        .map_err(QueryError::from)
}

/// The earliest time any delivery of these routes reached each `(route, sequence)`.
fn first_reached(
    reader: &mut dyn Reader,
    route_ids: &[Value],
) -> Result<HashMap<(String, u32), DateTime<Utc>>, QueryError> {
    let select = Select::from(&DELIVERY_CHECKPOINTS)
        .filter(Filter::In("route_id", route_ids.to_vec()))
        .filter(Filter::NotNull("reached_at"));
    let mut first: HashMap<(String, u32), DateTime<Utc>> = HashMap::new();
    for row in reader.select(&select)? {
        let at = row.time("reached_at")?;
        first
            .entry((row.text("route_id")?, sequence_of(&row)?))
            .and_modify(|earliest| *earliest = (*earliest).min(at))
            .or_insert(at);
    }
    Ok(first)
}

#[cfg(test)]
mod tests;
