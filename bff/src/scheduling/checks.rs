//! The checks a booking makes against the read models, under the resource's lock:
//! is the resource usable (known, active, in service), and is it free in the slot?

use contracts::v1 as pb;

use super::Resource;
use crate::consistency;
use crate::convert::{DeliveryStatus, JobStatus, ResourceKind, SlotDto, timestamp};
use crate::extract::RequestContext;
use crate::problem::{ApiError, ProblemKind};
use crate::query;
use crate::state::AppState;

/// The consistency tokens a check waits for: the caller's, the ones handed over by
/// the guard, and the last write the BFF made to each stream in `streams`.
pub async fn tokens_for(
    state: &AppState,
    ctx: &RequestContext,
    guard_tokens: &[pb::ConsistencyToken],
    streams: &[String],
) -> Vec<pb::ConsistencyToken> {
    let mut tokens = ctx.wait_for.clone();
    tokens.extend_from_slice(guard_tokens);
    tokens.extend(state.scheduler.tokens.last(streams).await);
    tokens
}

/// Runs `read` waiting for `wait_for` ([`tokens_for`]: the client's tokens, then the
/// ones the BFF remembered). A remembered token names a write this platform made, so
/// the query service never finds it beyond the log's head, unless the registry holds
/// another log's tokens: a Redis shared with another platform, or one that outlived its
/// log (a store reset or restored from a backup). Such a token must not cost the client
/// a 422 about a header it never sent.
///
/// The query service refuses the newest token of a read (the one with the highest
/// position) when no write has reached it. When that is the client's own, its 422
/// stands; when it is a remembered one, the read is made again without it (and without
/// any other remembered token at that position), and the fault is logged and counted
/// for the operators. The other remembered tokens are still waited for.
pub async fn waiting<T, F, Fut>(
    ctx: &RequestContext,
    mut wait_for: Vec<pb::ConsistencyToken>,
    read: F,
) -> Result<T, ApiError>
where
    F: Fn(Vec<pb::ConsistencyToken>) -> Fut,
    Fut: Future<Output = Result<T, ApiError>>,
{
    let mut dropped = Vec::new();
    loop {
        let answer = read(wait_for.clone()).await;
        let refused = matches!(&answer, Err(error) if error.kind == ProblemKind::InvalidField
            && error.field.as_deref() == Some(consistency::FIELD));
        let newest = wait_for.iter().map(|token| token.position).max();
        let clients_refused = ctx.wait_for.iter().any(|t| Some(t.position) == newest);
        if !refused || clients_refused || newest.is_none() {
            if !dropped.is_empty() {
                tracing::warn!(
                    dropped = ?dropped,
                    "the query service found consistency tokens this BFF remembered beyond \
                     the log's head: the token registry (REDIS_URL) holds another log's \
                     tokens; is it shared with another platform, or older than its event \
                     store? Read again without them"
                );
                metrics::counter!(es_core::telemetry::names::FOREIGN_TOKENS)
                    .increment(dropped.len() as u64);
            }
            return answer;
        }
        let (foreign, kept): (Vec<_>, Vec<_>) = wait_for
            .into_iter()
            .partition(|token| Some(token.position) == newest);
        dropped.extend(foreign.into_iter().map(|token| token.stream_id));
        wait_for = kept;
    }
}

/// Refuses (409 `schedule_conflict`, naming the holder and its slot) when `resource`
/// holds a planned job or an undelivered delivery overlapping `slot`, other than
/// `except` (the booking being changed).
pub async fn ensure_free(
    state: &AppState,
    ctx: &RequestContext,
    resource: &Resource,
    slot: &SlotDto,
    except: Option<&str>,
    wait_for: Vec<pb::ConsistencyToken>,
) -> Result<(), ApiError> {
    let mut conflicts = booked(state, ctx, resource, slot, except, wait_for.clone()).await?;
    if conflicts.is_empty() {
        return Ok(());
    }
    // The schedule may not yet show a later write to a holder (say, its cancellation):
    // wait for the last write this BFF made to each holder and look once more.
    let holder_streams: Vec<String> = conflicts.iter().map(holder_stream).collect();
    let holder_tokens = state.scheduler.tokens.last(&holder_streams).await;
    if !holder_tokens.is_empty() {
        let mut tokens = wait_for;
        tokens.extend(holder_tokens);
        conflicts = booked(state, ctx, resource, slot, except, tokens).await?;
    }
    match conflicts.into_iter().next() {
        None => Ok(()),
        Some(holder) => {
            metrics::counter!(
                es_core::telemetry::names::SCHEDULE_CONFLICTS,
                "resource" => noun(resource.kind)
            )
            .increment(1);
            let what = match holder.holder_kind() {
                pb::SlotHolderKind::Job => "maintenance job",
                _ => "delivery",
            };
            let held = holder.slot.as_ref().and_then(SlotDto::from_proto);
            let during = held
                .as_ref()
                .map(|s| format!(" from {} to {}", s.start.to_rfc3339(), s.end.to_rfc3339()))
                .unwrap_or_default();
            Err(ApiError::schedule_conflict(
                format!(
                    "{} {} is already booked on {what} {}{during}",
                    noun(resource.kind),
                    resource.id,
                    holder.holder_id
                ),
                holder.holder_id,
                held,
            ))
        }
    }
}

async fn booked(
    state: &AppState,
    ctx: &RequestContext,
    resource: &Resource,
    slot: &SlotDto,
    except: Option<&str>,
    wait_for: Vec<pb::ConsistencyToken>,
) -> Result<Vec<pb::BookedSlot>, ApiError> {
    let schedule = waiting(ctx, wait_for, |wait_for| {
        query!(
            state,
            ctx,
            get_resource_schedule(pb::GetResourceScheduleRequest {
                wait_for,
                kind: resource.kind.to_proto(),
                resource_id: resource.id.clone(),
                from: Some(timestamp(slot.start)),
                to: Some(timestamp(slot.end)),
            })
        )
    })
    .await?;
    Ok(schedule
        .slots
        .into_iter()
        .filter(|booked| Some(booked.holder_id.as_str()) != except)
        .filter(blocks)
        .filter(|booked| {
            booked
                .slot
                .as_ref()
                .and_then(SlotDto::from_proto)
                .is_some_and(|held| held.overlaps(slot))
        })
        .collect())
}

/// Planned jobs and deliveries not yet delivered hold their slot.
fn blocks(booked: &pb::BookedSlot) -> bool {
    match booked.status {
        Some(pb::booked_slot::Status::JobStatus(status)) => {
            JobStatus::from_proto(status) == Some(JobStatus::Planned)
        }
        Some(pb::booked_slot::Status::DeliveryStatus(status)) => {
            DeliveryStatus::from_proto(status).is_some_and(|s| !s.is_terminal())
        }
        None => true,
    }
}

/// The stream of a slot's holder: a delivery, or the planning of the job's date.
fn holder_stream(booked: &pb::BookedSlot) -> String {
    match booked.holder_kind() {
        pb::SlotHolderKind::Job => {
            let date = booked
                .slot
                .as_ref()
                .and_then(SlotDto::from_proto)
                .map(|s| s.start.date_naive().to_string())
                .unwrap_or_default();
            format!("workshop_planning-{date}")
        }
        _ => format!("delivery-{}", booked.holder_id),
    }
}

fn noun(kind: ResourceKind) -> &'static str {
    match kind {
        ResourceKind::Driver => "driver",
        ResourceKind::Vehicle => "vehicle",
        ResourceKind::Technician => "technician",
    }
}

/// A query's NOT_FOUND, for an id the client put in `field`: the request is wrong.
/// A reference in the body to something that does not exist is a 404 naming the field
/// (as an unknown resource in the path is a 404): the request is well-formed, what it
/// names is not there.
fn unknown(field: &str, what: &str, id: &str) -> impl FnOnce(ApiError) -> ApiError {
    let (field, message) = (field.to_owned(), format!("no {what} `{id}` is known"));
    move |error| match error.kind {
        ProblemKind::NotFound => ApiError::not_found(message).with_field(field),
        _ => error,
    }
}

/// An active driver (DOMAIN: a suspended driver cannot be assigned).
pub async fn active_driver(
    state: &AppState,
    ctx: &RequestContext,
    field: &str,
    driver_id: &str,
    wait_for: Vec<pb::ConsistencyToken>,
) -> Result<pb::Driver, ApiError> {
    let driver = waiting(ctx, wait_for, |wait_for| {
        query!(
            state,
            ctx,
            get_driver(pb::GetDriverRequest {
                wait_for,
                driver_id: driver_id.to_owned()
            })
        )
    })
    .await
    .map_err(unknown(field, "driver", driver_id))?;
    if driver.status() == pb::DriverStatus::Suspended {
        return Err(ApiError::rule(
            "driver_suspended",
            format!("driver {driver_id} is suspended and cannot be assigned"),
        ));
    }
    Ok(driver)
}

/// A fleet van in service (DOMAIN: an out-of-service vehicle cannot be assigned).
pub async fn assignable_van(
    state: &AppState,
    ctx: &RequestContext,
    field: &str,
    license_number: &str,
    wait_for: Vec<pb::ConsistencyToken>,
) -> Result<pb::Vehicle, ApiError> {
    let vehicle = known_vehicle(state, ctx, field, license_number, wait_for).await?;
    if vehicle.status() == pb::VehicleStatus::OutOfService {
        return Err(ApiError::rule(
            "vehicle_out_of_service",
            format!("vehicle {license_number} is out of service and cannot be assigned"),
        ));
    }
    if vehicle.usage() != pb::VehicleUsage::Fleet {
        return Err(ApiError::rule(
            "not_a_fleet_vehicle",
            format!("vehicle {license_number} is a customer's car, not a fleet van"),
        ));
    }
    Ok(vehicle)
}

pub async fn known_vehicle(
    state: &AppState,
    ctx: &RequestContext,
    field: &str,
    license_number: &str,
    wait_for: Vec<pb::ConsistencyToken>,
) -> Result<pb::Vehicle, ApiError> {
    waiting(ctx, wait_for, |wait_for| {
        query!(
            state,
            ctx,
            get_vehicle(pb::GetVehicleRequest {
                wait_for,
                license_number: license_number.to_owned(),
            })
        )
    })
    .await
    .map_err(unknown(field, "vehicle", license_number))
}

/// A registered customer (DOMAIN: a vehicle's owner must be one).
pub async fn known_customer(
    state: &AppState,
    ctx: &RequestContext,
    field: &str,
    customer_id: &str,
    wait_for: Vec<pb::ConsistencyToken>,
) -> Result<pb::Customer, ApiError> {
    waiting(ctx, wait_for, |wait_for| {
        query!(
            state,
            ctx,
            get_customer(pb::GetCustomerRequest {
                wait_for,
                customer_id: customer_id.to_owned(),
            })
        )
    })
    .await
    .map_err(unknown(field, "customer", customer_id))
}

/// An active technician, as the `TechnicianRef` the planning aggregate checks skills on.
pub async fn active_technician(
    state: &AppState,
    ctx: &RequestContext,
    field: &str,
    technician_id: &str,
    wait_for: Vec<pb::ConsistencyToken>,
) -> Result<pb::TechnicianRef, ApiError> {
    let technician = waiting(ctx, wait_for, |wait_for| {
        query!(
            state,
            ctx,
            get_technician(pb::GetTechnicianRequest {
                wait_for,
                technician_id: technician_id.to_owned(),
            })
        )
    })
    .await
    .map_err(unknown(field, "technician", technician_id))?;
    if technician.status() == pb::TechnicianStatus::Inactive {
        return Err(ApiError::rule(
            "technician_inactive",
            format!("technician {technician_id} is inactive and cannot be assigned"),
        ));
    }
    Ok(pb::TechnicianRef {
        technician_id: technician.technician_id,
        skills: technician.skills,
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    fn token(stream: &str, position: u64) -> pb::ConsistencyToken {
        pb::ConsistencyToken {
            stream_id: stream.to_owned(),
            version: 1,
            position,
        }
    }

    fn sending(wait_for: Vec<pb::ConsistencyToken>) -> RequestContext {
        RequestContext {
            correlation_id: String::new(),
            caller: None,
            traceparent: None,
            idempotency_key: None,
            if_match: None,
            wait_for,
        }
    }

    /// The query service of a log whose head is `head`: refuses the newest token when
    /// no write reached it, else answers the tokens it waited for. Records each read.
    fn query_service(
        head: u64,
        reads: &Mutex<Vec<Vec<u64>>>,
    ) -> impl Fn(Vec<pb::ConsistencyToken>) -> std::future::Ready<Result<Vec<u64>, ApiError>> + '_
    {
        move |tokens| {
            let positions: Vec<u64> = tokens.iter().map(|t| t.position).collect();
            reads.lock().unwrap().push(positions.clone());
            let newest = positions.iter().copied().max().unwrap_or(0);
            std::future::ready(if newest > head {
                Err(ApiError::invalid(
                    consistency::FIELD,
                    format!("position {newest} is beyond the log's head ({head})"),
                ))
            } else {
                Ok(positions)
            })
        }
    }

    #[tokio::test]
    async fn a_remembered_token_beyond_the_head_is_dropped_and_the_others_still_waited_for() {
        let ctx = sending(vec![token("customer-1", 4)]);
        let reads = Mutex::new(Vec::new());
        let remembered = [
            token("vehicle-A", 30),
            token("driver-1", 9),
            token("x-2", 30),
        ];
        let mut tokens = ctx.wait_for.clone();
        tokens.extend(remembered);
        let answer = waiting(&ctx, tokens, query_service(10, &reads)).await;
        assert_eq!(
            answer.unwrap(),
            vec![4, 9],
            "the client's and the valid remembered one"
        );
        assert_eq!(reads.lock().unwrap().len(), 2);
    }

    #[tokio::test]
    async fn the_clients_own_token_beyond_the_head_is_its_422_at_once() {
        let ctx = sending(vec![token("customer-1", 40)]);
        let reads = Mutex::new(Vec::new());
        let mut tokens = ctx.wait_for.clone();
        tokens.push(token("vehicle-A", 30));
        let refused = waiting(&ctx, tokens, query_service(10, &reads))
            .await
            .unwrap_err();
        assert_eq!(refused.field.as_deref(), Some(consistency::FIELD));
        assert_eq!(reads.lock().unwrap().len(), 1, "no second read");
    }

    #[tokio::test]
    async fn other_refusals_and_reads_without_remembered_tokens_are_answered_as_they_are() {
        let ctx = sending(Vec::new());
        let reads = Mutex::new(Vec::new());
        let answer = waiting(&ctx, Vec::new(), query_service(10, &reads)).await;
        assert_eq!(answer.unwrap(), Vec::<u64>::new());
        let refused = waiting(&ctx, Vec::new(), |_| {
            std::future::ready(Err::<(), _>(ApiError::invalid(consistency::FIELD, "odd")))
        })
        .await;
        assert!(refused.is_err(), "no token to drop: answered, no loop");
    }
}
