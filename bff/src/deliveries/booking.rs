//! Booking drivers and vans on deliveries (DESIGN §7): creating a delivery with its
//! driver and van in one request, and (re)assigning either. Every booking runs under
//! the resource's lock, after the read models caught up with its last write: the
//! driver must be active, the van a fleet van in service, and both free in the slot.

use axum::extract::State;
use contracts::v1 as pb;
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::required;
use crate::commands::{Accepted, CommandResult, token_of};
use crate::convert::{RouteStatus, SlotDto, opt_time};
use crate::extract::{Json, Path, RequestContext};
use crate::problem::{ApiError, ProblemKind};
use crate::scheduling::{Resource, checks};
use crate::state::AppState;
use crate::{command, query};

/// A delivery on an active route; the driver and the van, when given, are booked in
/// the same request, or nothing is created.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateDelivery {
    /// Chosen by the client (a UUID) or minted by the BFF when absent.
    pub delivery_id: Option<Uuid>,
    /// An active route; its slot and checkpoints are copied.
    pub route_id: Uuid,
    /// An active driver, free during the route's slot.
    pub driver_id: Option<Uuid>,
    /// A fleet van in service, free during the route's slot.
    pub vehicle_license_number: Option<String>,
}

/// The driver to (re)assign; only while the delivery is `picked_up`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignDriver {
    pub driver_id: Uuid,
}

/// The van to (re)assign; only while the delivery is `picked_up`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignVehicle {
    pub vehicle_license_number: String,
}

/// One resource booked on a delivery.
#[derive(Debug, Clone)]
enum Booking {
    Driver(String),
    /// The license number, upper-case as the fleet stores it.
    Vehicle(String),
}

impl Booking {
    fn vehicle(license_number: &str) -> Self {
        Booking::Vehicle(license_number.trim().to_uppercase())
    }

    fn resource(&self) -> Resource {
        match self {
            Booking::Driver(id) => Resource::driver(id),
            Booking::Vehicle(plate) => Resource::vehicle(plate),
        }
    }

    /// The resource's own stream: a suspension or an out-of-service change written
    /// through this BFF is waited for before the check.
    fn stream(&self) -> String {
        match self {
            Booking::Driver(id) => format!("driver-{id}"),
            Booking::Vehicle(plate) => format!("vehicle-{plate}"),
        }
    }

    /// Usable, and free in `slot` apart from the delivery `except` (the one being
    /// booked, so a retried or repeated booking does not conflict with itself).
    async fn check(
        &self,
        state: &AppState,
        ctx: &RequestContext,
        slot: &SlotDto,
        except: &str,
        wait_for: &[pb::ConsistencyToken],
    ) -> Result<(), ApiError> {
        match self {
            Booking::Driver(id) => {
                checks::active_driver(state, ctx, "driver_id", id, wait_for.to_vec()).await?;
            }
            Booking::Vehicle(plate) => {
                checks::assignable_van(
                    state,
                    ctx,
                    "vehicle_license_number",
                    plate,
                    wait_for.to_vec(),
                )
                .await?;
            }
        }
        let resource = self.resource();
        checks::ensure_free(state, ctx, &resource, slot, Some(except), wait_for.to_vec()).await
    }

    async fn assign(
        &self,
        state: &AppState,
        ctx: &RequestContext,
        delivery_id: &str,
        idempotency_key: Option<String>,
    ) -> Result<pb::CommandReply, ApiError> {
        let delivery_id = delivery_id.to_owned();
        match self {
            Booking::Driver(id) => {
                let request = pb::AssignDriverRequest {
                    delivery_id,
                    driver_id: id.clone(),
                    idempotency_key,
                };
                command!(state, ctx, deliveries.assign_driver(request)).await
            }
            Booking::Vehicle(plate) => {
                let request = pb::AssignVehicleRequest {
                    delivery_id,
                    vehicle_license_number: plate.clone(),
                    idempotency_key,
                };
                command!(state, ctx, deliveries.assign_vehicle(request)).await
            }
        }
    }

    /// The idempotency key of this booking's command within a composite request: the
    /// command service keys replies globally, so each command needs its own key.
    fn derived_key(&self, key: Option<&str>) -> Option<String> {
        let step = match self {
            Booking::Driver(_) => "assign_driver",
            Booking::Vehicle(_) => "assign_vehicle",
        };
        // The service takes at most 200 characters; keep the step, shorten the key.
        key.map(|key| {
            let room = 200 - step.len() - 1;
            let key = key.get(..room.min(key.len())).unwrap_or(key);
            format!("{key}:{step}")
        })
    }
}

/// One guarded booking: what to check, create and assign on which delivery.
struct Plan<'a> {
    delivery_id: &'a str,
    /// The slot to check, when known up front (from the route); otherwise read from
    /// the delivery under the locks.
    slot: Option<SlotDto>,
    /// Sent after every check passed, before the assignments.
    create: Option<pb::CreateDeliveryRequest>,
    bookings: &'a [Booking],
    /// One of several commands of a request: each assignment derives its own
    /// idempotency key from the client's.
    composite: bool,
}

/// Under the locks of every booking: check them all, then send the creation (if
/// any) and the assignments. Answers the last reply, whose token each resource keeps.
async fn book(
    state: &AppState,
    ctx: &RequestContext,
    plan: Plan<'_>,
) -> Result<pb::CommandReply, ApiError> {
    let Plan {
        delivery_id,
        slot,
        create,
        bookings,
        composite,
    } = plan;
    let resources: Vec<Resource> = bookings.iter().map(Booking::resource).collect();
    let delivery_stream = [format!("delivery-{delivery_id}")];
    state
        .scheduler
        .guard(&resources, &delivery_stream, |tokens| async move {
            let streams: Vec<String> = bookings.iter().map(Booking::stream).collect();
            let wait_for = checks::tokens_for(state, ctx, &tokens, &streams).await;
            let slot = match slot {
                Some(slot) => slot,
                None => delivery_slot(state, ctx, delivery_id, wait_for.clone()).await?,
            };
            for booking in bookings {
                booking
                    .check(state, ctx, &slot, delivery_id, &wait_for)
                    .await?;
            }
            let created = match create {
                Some(create) => {
                    Some(command!(state, ctx, deliveries.create_delivery(create)).await?)
                }
                None => None,
            };
            // The client's ETag (If-Match) names the delivery as it was before this request.
            let follow_up = match created {
                Some(_) => ctx.without_if_match(),
                None => ctx.clone(),
            };
            let mut last = created.clone();
            for booking in bookings {
                let key = match composite {
                    true => booking.derived_key(ctx.idempotency_key.as_deref()),
                    false => ctx.idempotency_key.clone(),
                };
                let reply = booking.assign(state, &follow_up, delivery_id, key).await;
                last = Some(reply.map_err(|error| match created {
                    Some(_) => created_but(delivery_id, error),
                    None => error,
                })?);
            }
            let reply = required(last, "a command reply")?;
            let token = token_of(&reply);
            Ok((reply, Some(token)))
        })
        .await
}

/// The delivery exists, but a later step failed: say so, the client must not retry
/// the creation as if nothing happened.
fn created_but(delivery_id: &str, mut error: ApiError) -> ApiError {
    error.detail = format!(
        "delivery {delivery_id} was created, but not fully booked: {}",
        error.detail
    );
    error
}

/// The delivery's slot (copied from its route); an unknown delivery is a 404.
async fn delivery_slot(
    state: &AppState,
    ctx: &RequestContext,
    delivery_id: &str,
    wait_for: Vec<pb::ConsistencyToken>,
) -> Result<SlotDto, ApiError> {
    let delivery = checks::waiting(ctx, wait_for, |wait_for| {
        query!(
            state,
            ctx,
            get_delivery(pb::GetDeliveryRequest {
                wait_for,
                delivery_id: delivery_id.to_owned(),
            })
        )
    })
    .await?;
    required(delivery.slot.as_ref().and_then(SlotDto::from_proto), "slot")
}

/// The slot of an active route with checkpoints; `None` when, as far as the read model
/// knows, the route cannot take a delivery (unknown, not active, no end).
async fn route_slot(
    state: &AppState,
    ctx: &RequestContext,
    route_id: &str,
) -> Result<Option<SlotDto>, ApiError> {
    let wait_for = checks::tokens_for(state, ctx, &[], &[format!("route-{route_id}")]).await;
    let route = checks::waiting(ctx, wait_for, |wait_for| {
        query!(
            state,
            ctx,
            get_route(pb::GetRouteRequest {
                wait_for,
                route_id: route_id.to_owned(),
            })
        )
    })
    .await;
    let route = match route {
        Ok(route) => route,
        Err(error) if error.kind == ProblemKind::NotFound => return Ok(None),
        Err(error) => return Err(error),
    };
    if RouteStatus::from_proto(route.status) != Some(RouteStatus::Active) {
        return Ok(None);
    }
    let start = opt_time(route.scheduled_start.as_ref());
    let end = opt_time(route.scheduled_end.as_ref());
    Ok(start.zip(end).map(|(start, end)| SlotDto { start, end }))
}

/// Create a delivery on an active route, booking its driver and van when given.
#[utoipa::path(post, path = "/deliveries", tag = "deliveries",
    security(("bearer" = ["dispatcher"])),
    request_body = CreateDelivery,
    responses(
        (status = 201, description = "Created (and booked)", body = CommandResult),
        (status = 409, description = "The route is not active, the driver is suspended, the van out of service, or either is booked in an overlapping slot (`/problems/schedule-conflict`, naming the holder)"),
        (status = 404, description = "The route, or the driver or vehicle the body names, does not exist (`field` names it)"),
        (status = 503, description = "A driver or van is being booked by another request, or a backend is unavailable; retry")))]
pub async fn create_delivery(
    State(state): State<AppState>,
    ctx: RequestContext,
    Json(body): Json<CreateDelivery>,
) -> Result<Accepted, ApiError> {
    let id = body
        .delivery_id
        .unwrap_or_else(|| ctx.new_id("delivery"))
        .to_string();
    let route_id = body.route_id.to_string();
    let location = format!("/api/v1/deliveries/{id}");
    let create = pb::CreateDeliveryRequest {
        delivery_id: id.clone(),
        route_id: route_id.clone(),
        idempotency_key: ctx.idempotency_key.clone(),
    };
    let bookings: Vec<Booking> = body
        .driver_id
        .map(|driver| Booking::Driver(driver.to_string()))
        .into_iter()
        .chain(body.vehicle_license_number.as_deref().map(Booking::vehicle))
        .collect();
    if bookings.is_empty() {
        let reply = command!(state, ctx, deliveries.create_delivery(create)).await?;
        return Ok(Accepted::created(id, &reply, location));
    }
    let reply = match route_slot(&state, &ctx, &route_id).await? {
        Some(slot) => {
            let plan = Plan {
                delivery_id: &id,
                slot: Some(slot),
                create: Some(create),
                bookings: &bookings,
                composite: true,
            };
            book(&state, &ctx, plan).await?
        }
        None => {
            // The read model says the route cannot take a delivery: let the command
            // service refuse it, with its reason, before anything is booked.
            let created = command!(state, ctx, deliveries.create_delivery(create)).await?;
            // It took it after all (the read model lagged behind the route): book on
            // the delivery as created, its slot read once the read model has it.
            let mut after = ctx.without_if_match();
            after.wait_for.push(token_of(&created));
            let plan = Plan {
                delivery_id: &id,
                slot: None,
                create: None,
                bookings: &bookings,
                composite: true,
            };
            book(&state, &after, plan)
                .await
                .map_err(|error| created_but(&id, error))?
        }
    };
    Ok(Accepted::created(id, &reply, location))
}

/// Assign (or replace) the delivery's driver: an active driver, free in its slot.
#[utoipa::path(put, path = "/deliveries/{delivery_id}/driver", tag = "deliveries",
    security(("bearer" = ["dispatcher"])),
    request_body = AssignDriver,
    params(("delivery_id" = String, Path, description = "The delivery's UUID")),
    responses(
        (status = 200, description = "Assigned", body = CommandResult),
        (status = 404, description = "No such delivery, or no driver the body names (`field`)"),
        (status = 409, description = "Not picked up, the driver is suspended, or booked in an overlapping slot (`/problems/schedule-conflict`, naming the holder)"),
        (status = 503, description = "The driver is being booked by another request, or a backend is unavailable; retry")))]
pub async fn assign_driver(
    State(state): State<AppState>,
    Path(delivery_id): Path<Uuid>,
    ctx: RequestContext,
    Json(body): Json<AssignDriver>,
) -> Result<Accepted, ApiError> {
    let id = delivery_id.to_string();
    let booking = Booking::Driver(body.driver_id.to_string());
    let plan = Plan {
        delivery_id: &id,
        slot: None,
        create: None,
        bookings: &[booking],
        composite: false,
    };
    let reply = book(&state, &ctx, plan).await?;
    Ok(Accepted::ok(id, &reply))
}

/// Assign (or replace) the delivery's van: a fleet van in service, free in its slot
/// (no other delivery, no planned workshop job).
#[utoipa::path(put, path = "/deliveries/{delivery_id}/vehicle", tag = "deliveries",
    security(("bearer" = ["dispatcher"])),
    request_body = AssignVehicle,
    params(("delivery_id" = String, Path, description = "The delivery's UUID")),
    responses(
        (status = 200, description = "Assigned", body = CommandResult),
        (status = 404, description = "No such delivery, or no vehicle the body names (`field`)"),
        (status = 409, description = "Not picked up, the van is out of service or not a fleet van, or booked in an overlapping slot (`/problems/schedule-conflict`, naming the holder)"),
        (status = 503, description = "The van is being booked by another request, or a backend is unavailable; retry")))]
pub async fn assign_vehicle(
    State(state): State<AppState>,
    Path(delivery_id): Path<Uuid>,
    ctx: RequestContext,
    Json(body): Json<AssignVehicle>,
) -> Result<Accepted, ApiError> {
    let id = delivery_id.to_string();
    let booking = Booking::vehicle(&body.vehicle_license_number);
    let plan = Plan {
        delivery_id: &id,
        slot: None,
        create: None,
        bookings: &[booking],
        composite: false,
    };
    let reply = book(&state, &ctx, plan).await?;
    Ok(Accepted::ok(id, &reply))
}

#[cfg(test)]
mod tests {
    use axum::http::{Method, StatusCode};

    use super::*;
    use crate::testing::{call, test_router};

    const ROUTE: &str = "0190a4a0-0000-7000-8000-000000000001";
    const DRIVER: &str = "0190a4a0-0000-7000-8000-0000000000d1";

    #[tokio::test]
    async fn a_delivery_without_route_id_is_a_422_naming_route_id() {
        let router = test_router().await;
        let body = format!(r#"{{"driver_id": "{DRIVER}"}}"#);
        let response = call(&router, Method::POST, "/api/v1/deliveries", Some(&body)).await;
        assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(response.field(), Some("route_id"));
    }

    #[tokio::test]
    async fn a_delivery_with_a_driver_id_that_is_not_a_uuid_is_a_422_naming_driver_id() {
        let router = test_router().await;
        let body = format!(r#"{{"route_id": "{ROUTE}", "driver_id": "bob"}}"#);
        let response = call(&router, Method::POST, "/api/v1/deliveries", Some(&body)).await;
        assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(response.field(), Some("driver_id"));
    }

    #[tokio::test]
    async fn a_valid_create_delivery_meeting_a_dead_upstream_is_a_503_with_retry_after() {
        let router = test_router().await;
        let plain = format!(r#"{{"route_id": "{ROUTE}"}}"#);
        let booked = format!(
            r#"{{"route_id": "{ROUTE}", "driver_id": "{DRIVER}", "vehicle_license_number": "ab-123-c"}}"#
        );
        for body in [plain, booked] {
            let response = call(&router, Method::POST, "/api/v1/deliveries", Some(&body)).await;
            assert_eq!(response.status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
            assert!(response.headers.contains_key("retry-after"), "{body}");
        }
    }

    #[tokio::test]
    async fn a_driver_assignment_to_a_malformed_delivery_id_is_a_400_naming_delivery_id() {
        let router = test_router().await;
        let body = format!(r#"{{"driver_id": "{DRIVER}"}}"#);
        let response = call(
            &router,
            Method::PUT,
            "/api/v1/deliveries/d-1/driver",
            Some(&body),
        )
        .await;
        assert_eq!(response.status, StatusCode::BAD_REQUEST);
        assert_eq!(response.field(), Some("delivery_id"));
    }

    #[tokio::test]
    async fn a_vehicle_assignment_without_a_license_number_is_a_422_naming_it() {
        let router = test_router().await;
        let uri = "/api/v1/deliveries/0190a4a0-0000-7000-8000-000000000002/vehicle";
        let response = call(&router, Method::PUT, uri, Some("{}")).await;
        assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(response.field(), Some("vehicle_license_number"));
    }

    #[tokio::test]
    async fn a_failed_assignment_releases_the_driver_for_the_next_request() {
        let router = test_router().await;
        let uri = "/api/v1/deliveries/0190a4a0-0000-7000-8000-000000000002/driver";
        let body = format!(r#"{{"driver_id": "{DRIVER}"}}"#);
        for attempt in 0..2 {
            let response = call(&router, Method::PUT, uri, Some(&body)).await;
            // The upstream's outage, never "being booked by another request".
            assert_eq!(
                response.status,
                StatusCode::SERVICE_UNAVAILABLE,
                "{attempt}"
            );
            assert_eq!(
                response.problem_type(),
                Some("/problems/upstream-unavailable"),
                "{attempt}"
            );
        }
    }

    #[test]
    fn each_booking_of_a_composite_request_gets_its_own_idempotency_key_within_200_characters() {
        let driver = Booking::Driver(DRIVER.into());
        let van = Booking::vehicle(" ab-123-c ");
        assert_eq!(driver.derived_key(None), None);
        let (a, b) = (driver.derived_key(Some("k1")), van.derived_key(Some("k1")));
        assert_ne!(a, b);
        assert_ne!(a.as_deref(), Some("k1"));
        let long = "k".repeat(200);
        assert!(van.derived_key(Some(&long)).unwrap().len() <= 200);
    }

    #[test]
    fn a_van_is_booked_and_waited_for_by_its_upper_case_license_number() {
        let van = Booking::vehicle(" ab-123-c ");
        assert_eq!(van.resource(), Resource::vehicle("AB-123-C"));
        assert_eq!(van.stream(), "vehicle-AB-123-C");
    }
}
