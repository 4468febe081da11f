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
    let total = reader.count(&select)?;
    let select = select
        .order_by("slot_start", Order::Asc)
        .order_by("delivery_id", Order::Asc);
    let rows = reader.select(&page.apply(select))?;

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
        page: Some(page.info(deliveries.len(), total)),
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
mod tests {
    use contracts::v1::{DeliveryStatus as Proto, PageRequest};

    use super::*;
    use crate::api::QueryError;
    use crate::deliveries::test_events::{
        DELIVERY, DRIVER, Events, OTHER_DELIVERY, ROUTE, apply_all, at, db,
    };
    use crate::testing::TestDb;

    const PARKED: &str = "018f0000-0000-7000-8000-0000000000d3";
    const DONE: &str = "018f0000-0000-7000-8000-0000000000d4";

    /// DELIVERY in transit past Market, OTHER_DELIVERY out for delivery, PARKED picked
    /// up and DONE delivered; the driver is registered as "Jo Driver".
    fn fleet_on_the_road() -> TestDb {
        let (db, mut events) = (db(), Events::default());
        let mut history = vec![events.driver_registered(DRIVER, "Jo Driver")];
        history.extend(events.in_transit(DELIVERY, ROUTE));
        history.push(events.checkpoint_reached(DELIVERY, 1, "Market", at(9, 5)));
        history.extend(events.in_transit(OTHER_DELIVERY, ROUTE));
        history.extend([
            events.checkpoint_reached(OTHER_DELIVERY, 1, "Market", at(9, 0)),
            events.checkpoint_reached(OTHER_DELIVERY, 2, "Station", at(9, 50)),
            events.status_changed(OTHER_DELIVERY, "in_transit", "out_for_delivery", None),
            events.delivery_created(PARKED, ROUTE),
        ]);
        history.extend(events.in_transit(DONE, ROUTE));
        history.extend([
            events.checkpoint_reached(DONE, 1, "Market", at(9, 0)),
            events.checkpoint_reached(DONE, 2, "Station", at(9, 50)),
            events.status_changed(DONE, "in_transit", "out_for_delivery", None),
            events.proof_captured(DONE),
            events.status_changed(DONE, "out_for_delivery", "delivered", None),
        ]);
        apply_all(&db, &history);
        db
    }

    fn track(
        db: &TestDb,
        request: v1::ListLiveTrackingRequest,
    ) -> Result<v1::ListLiveTrackingReply, QueryError> {
        db.read(move |reader| list_live_tracking(reader, &request))
    }

    fn ids(reply: &v1::ListLiveTrackingReply) -> Vec<&str> {
        reply
            .deliveries
            .iter()
            .map(|d| d.delivery_id.as_str())
            .collect()
    }

    #[test]
    fn a_drivers_tracking_holds_its_deliveries_only_with_their_own_total() {
        const OTHER_DRIVER: &str = "018f0000-0000-7000-8000-0000000000a2";
        let (db, mut events) = (db(), Events::default());
        let mut history = events.in_transit(DELIVERY, ROUTE);
        history.extend([
            events.delivery_created(OTHER_DELIVERY, ROUTE),
            events.driver_assigned(OTHER_DELIVERY, OTHER_DRIVER),
            events.vehicle_assigned(OTHER_DELIVERY, "CD-456-E"),
            events.status_changed(OTHER_DELIVERY, "picked_up", "in_transit", None),
        ]);
        apply_all(&db, &history);
        let of = |driver: &str| v1::ListLiveTrackingRequest {
            driver_id: driver.into(),
            page: Some(PageRequest {
                page_size: 1,
                ..PageRequest::default()
            }),
            ..v1::ListLiveTrackingRequest::default()
        };
        let other = track(&db, of(OTHER_DRIVER)).unwrap();
        assert_eq!(ids(&other), [OTHER_DELIVERY]);
        assert_eq!(other.page.unwrap().total, 1);
        let nobody = track(&db, of("018f0000-0000-7000-8000-0000000000ff")).unwrap();
        assert_eq!((ids(&nobody).len(), nobody.page.unwrap().total), (0, 0));
    }

    #[test]
    fn only_deliveries_in_transit_or_out_for_delivery_are_tracked() {
        let db = fleet_on_the_road();
        let reply = track(&db, v1::ListLiveTrackingRequest::default()).unwrap();
        assert_eq!(ids(&reply), [DELIVERY, OTHER_DELIVERY]);
        assert_eq!(reply.page.unwrap().total, 2);
        assert_eq!(
            reply.deliveries[0],
            v1::LiveTracking {
                delivery_id: DELIVERY.into(),
                route_id: ROUTE.into(),
                status: Proto::InTransit.into(),
                last_location: "Market".into(),
                last_checkpoint_sequence: 1,
                last_seen_at: Some(to_timestamp(at(9, 5))),
                driver_id: DRIVER.into(),
                driver_name: "Jo Driver".into(),
                vehicle_license_number: "AB-123-C".into(),
            }
        );
        assert_eq!(reply.deliveries[1].status(), Proto::OutForDelivery);
        assert_eq!(reply.deliveries[1].last_location, "Station");
    }

    #[test]
    fn a_delivery_that_reached_no_checkpoint_yet_has_an_empty_last_location() {
        let (db, mut events) = (db(), Events::default());
        apply_all(&db, &events.in_transit(DELIVERY, ROUTE));
        let reply = track(&db, v1::ListLiveTrackingRequest::default()).unwrap();
        let tracking = &reply.deliveries[0];
        assert_eq!(
            (
                tracking.last_location.as_str(),
                tracking.last_checkpoint_sequence
            ),
            ("", 0)
        );
        assert_eq!(tracking.last_seen_at, None);
        // No `drivers` row for DRIVER: the name is empty, the id is still there.
        assert_eq!(
            (tracking.driver_id.as_str(), tracking.driver_name.as_str()),
            (DRIVER, "")
        );
    }

    #[test]
    fn the_status_narrows_to_one_moving_status() {
        let db = fleet_on_the_road();
        let out = v1::ListLiveTrackingRequest {
            status: Proto::OutForDelivery.into(),
            ..Default::default()
        };
        let reply = track(&db, out).unwrap();
        assert_eq!(ids(&reply), [OTHER_DELIVERY]);
        assert_eq!(reply.page.unwrap().total, 1);
    }

    #[test]
    fn a_status_that_is_not_moving_or_not_a_status_is_invalid() {
        let db = fleet_on_the_road();
        for status in [Proto::Delivered as i32, Proto::PickedUp as i32, 42] {
            let request = v1::ListLiveTrackingRequest {
                status,
                ..Default::default()
            };
            assert!(matches!(
                track(&db, request),
                Err(QueryError::Invalid { field, .. }) if field == "status"
            ));
        }
    }

    #[test]
    fn tracked_deliveries_are_paged_with_the_total() {
        let db = fleet_on_the_road();
        let page = |token: &str| v1::ListLiveTrackingRequest {
            page: Some(PageRequest {
                page_size: 1,
                page_token: token.into(),
            }),
            ..Default::default()
        };
        let first = track(&db, page("")).unwrap();
        assert_eq!(ids(&first), [DELIVERY]);
        let info = first.page.clone().unwrap();
        assert_eq!((info.total, info.next_page_token.as_str()), (2, "1"));
        let second = track(&db, page(&info.next_page_token)).unwrap();
        assert_eq!(ids(&second), [OTHER_DELIVERY]);
        assert_eq!(second.page.unwrap().next_page_token, "");
    }
}
