//! The routes read model: one row per route and one per planned checkpoint.
//!
//! Follows `route.created.v1`, `route.updated.v1`, `route.checkpoint_added.v1`,
//! `route.checkpoint_updated.v1`, `route.activated.v1`, `route.completed.v1` and
//! `route.cancelled.v1`; any other `route.*` type is
//! [`Outcome::Unknown`](crate::projection::Outcome::Unknown).
//!
//! Decisions:
//! - `scheduled_end` is taken from the checkpoint events (the command side already
//!   computes it as the last checkpoint's expected time), never recomputed here;
//! - a checkpoint's reached state is not stored on the route: it is read from the
//!   deliveries of the route at query time (see `queries`), so the two
//!   projections never write each other's tables.

use contracts::events::RouteEvent;
use es_core::EventEnvelope;
use uuid::Uuid;

use crate::deliveries::status::RouteStatus;
use crate::projection::{AggregateProjection, Projected, ProjectionError};
use crate::store::{Column, Table, Tx, Value};

pub static ROUTES: Table = Table {
    name: "routes",
    columns: &[
        Column::text("route_id"),
        Column::text("origin"),
        Column::text("destination"),
        Column::text("scheduled_start"),
        Column::opt_text("scheduled_end"),
        Column::text("status"),
        Column::int("version"),
    ],
    key: &["route_id"],
    indexes: &[&["status"], &["scheduled_start"]],
};

pub static ROUTE_CHECKPOINTS: Table = Table {
    name: "route_checkpoints",
    columns: &[
        Column::text("route_id"),
        Column::int("sequence"),
        Column::text("location"),
        Column::text("expected_at"),
    ],
    key: &["route_id", "sequence"],
    indexes: &[],
};

/// Projects `route.*` events into [`ROUTES`] and [`ROUTE_CHECKPOINTS`].
pub struct RouteProjection;

impl AggregateProjection for RouteProjection {
    type Event = RouteEvent;
    const NAME: &'static str = "routes";
    const TABLES: &'static [&'static Table] = &[&ROUTES, &ROUTE_CHECKPOINTS];

    fn project(&self, change: Self::Event, event: &EventEnvelope, tx: &mut dyn Tx) -> Projected {
        let version = Value::from(event.version);
        match change {
            RouteEvent::Created(route) => {
                tx.upsert(
                    &ROUTES,
                    &[
                        key(route.route_id),
                        ("origin", route.origin.into()),
                        ("destination", route.destination.into()),
                        ("scheduled_start", route.scheduled_start.into()),
                        ("scheduled_end", Value::Null),
                        ("status", RouteStatus::Planning.as_str().into()),
                        ("version", version),
                    ],
                )?;
            }
            RouteEvent::Updated(route) => {
                tx.update(
                    &ROUTES,
                    &[key(route.route_id)],
                    &[
                        ("origin", route.origin.into()),
                        ("destination", route.destination.into()),
                        ("scheduled_start", route.scheduled_start.into()),
                        ("version", version),
                    ],
                )?;
            }
            RouteEvent::CheckpointAdded(checkpoint) | RouteEvent::CheckpointUpdated(checkpoint) => {
                let route = [key(checkpoint.route_id)];
                tx.upsert(
                    &ROUTE_CHECKPOINTS,
                    &[
                        key(checkpoint.route_id),
                        ("sequence", checkpoint.sequence.get().into()),
                        ("location", checkpoint.location.into()),
                        ("expected_at", checkpoint.expected_at.into()),
                    ],
                )?;
                let end = ("scheduled_end", checkpoint.scheduled_end.into());
                tx.update(&ROUTES, &route, &[end, ("version", version)])?;
            }
            RouteEvent::Activated(r) => set_status(tx, r.route_id, RouteStatus::Active, version)?,
            RouteEvent::Completed(r) => {
                set_status(tx, r.route_id, RouteStatus::Completed, version)?;
            }
            RouteEvent::Cancelled(r) => {
                set_status(tx, r.route_id, RouteStatus::Cancelled, version)?;
            }
        }
        Ok(())
    }
}

fn key(route_id: Uuid) -> (&'static str, Value) {
    ("route_id", route_id.to_string().into())
}

fn set_status(
    tx: &mut dyn Tx,
    route_id: Uuid,
    status: RouteStatus,
    version: Value,
) -> Result<(), ProjectionError> {
    tx.update(
        &ROUTES,
        &[key(route_id)],
        &[("status", status.as_str().into()), ("version", version)],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::deliveries::test_events::{Events, ROUTE, apply_all, at, db, rows};
    use crate::projection::ProjectionError;
    use crate::store::Row;
    use crate::testing::TestDb;

    fn route(db: &TestDb) -> Row {
        rows(db, &ROUTES, "route_id", ROUTE, "route_id").remove(0)
    }

    fn checkpoints(db: &TestDb) -> Vec<Row> {
        rows(db, &ROUTE_CHECKPOINTS, "route_id", ROUTE, "sequence")
    }

    #[test]
    fn a_created_route_is_planning_without_an_end() {
        let (db, mut events) = (db(), Events::default());
        apply_all(&db, &[events.route_created(ROUTE, "Depot", at(8, 0))]);
        let row = route(&db);
        assert_eq!(row.text("origin").unwrap(), "Depot");
        assert_eq!(row.text("destination").unwrap(), "Harbour");
        assert_eq!(row.time("scheduled_start").unwrap(), at(8, 0));
        assert_eq!(row.opt_time("scheduled_end").unwrap(), None);
        assert_eq!(row.text("status").unwrap(), "planning");
        assert_eq!(row.int("version").unwrap(), 1);
        assert!(checkpoints(&db).is_empty());
    }

    #[test]
    fn an_update_replaces_origin_destination_and_start() {
        let (db, mut events) = (db(), Events::default());
        let created = events.route_created(ROUTE, "Depot", at(8, 0));
        let updated = events.route(
            ROUTE,
            "route.updated.v1",
            json!({ "route_id": ROUTE, "origin": "North Depot", "destination": "Airport",
                    "scheduled_start": at(7, 30) }),
        );
        apply_all(&db, &[created, updated]);
        let row = route(&db);
        assert_eq!(row.text("origin").unwrap(), "North Depot");
        assert_eq!(row.text("destination").unwrap(), "Airport");
        assert_eq!(row.time("scheduled_start").unwrap(), at(7, 30));
        assert_eq!(row.int("version").unwrap(), 2);
    }

    #[test]
    fn an_added_checkpoint_is_stored_and_moves_the_scheduled_end() {
        let (db, mut events) = (db(), Events::default());
        apply_all(
            &db,
            &[
                events.route_created(ROUTE, "Depot", at(8, 0)),
                events.checkpoint_added(ROUTE, 1, "Market", at(9, 0)),
                events.checkpoint_added(ROUTE, 5, "Station", at(10, 0)),
            ],
        );
        let stored: Vec<(i64, String)> = checkpoints(&db)
            .iter()
            .map(|c| (c.int("sequence").unwrap(), c.text("location").unwrap()))
            .collect();
        assert_eq!(stored, [(1, "Market".into()), (5, "Station".into())]);
        let row = route(&db);
        assert_eq!(row.opt_time("scheduled_end").unwrap(), Some(at(10, 0)));
        assert_eq!(row.int("version").unwrap(), 3);
    }

    #[test]
    fn an_updated_checkpoint_replaces_its_location_and_time_and_the_end() {
        let (db, mut events) = (db(), Events::default());
        let mut history = vec![
            events.route_created(ROUTE, "Depot", at(8, 0)),
            events.checkpoint_added(ROUTE, 1, "Market", at(9, 0)),
        ];
        history.push(events.route(
            ROUTE,
            "route.checkpoint_updated.v1",
            json!({ "route_id": ROUTE, "sequence": 1, "location": "Old Market",
                    "expected_at": at(9, 30), "scheduled_end": at(9, 30) }),
        ));
        apply_all(&db, &history);
        let checkpoint = checkpoints(&db).remove(0);
        assert_eq!(checkpoint.text("location").unwrap(), "Old Market");
        assert_eq!(checkpoint.time("expected_at").unwrap(), at(9, 30));
        let row = route(&db);
        assert_eq!(row.opt_time("scheduled_end").unwrap(), Some(at(9, 30)));
        assert_eq!(row.int("version").unwrap(), 3);
    }

    #[test]
    fn activation_completion_and_cancellation_set_the_status_and_the_version() {
        let (db, mut events) = (db(), Events::default());
        apply_all(&db, &events.active_route(ROUTE));
        assert_eq!(route(&db).text("status").unwrap(), "active");
        apply_all(
            &db,
            &[events.route(ROUTE, "route.completed.v1", json!({ "route_id": ROUTE }))],
        );
        assert_eq!(route(&db).text("status").unwrap(), "completed");
        assert_eq!(route(&db).int("version").unwrap(), 5);

        let other = crate::deliveries::test_events::OTHER_ROUTE;
        let created = events.route_created(other, "Depot", at(8, 0));
        let cancelled = events.route(other, "route.cancelled.v1", json!({ "route_id": other }));
        apply_all(&db, &[created, cancelled]);
        let row = rows(&db, &ROUTES, "route_id", other, "route_id").remove(0);
        assert_eq!(row.text("status").unwrap(), "cancelled");
        assert_eq!(row.int("version").unwrap(), 2);
    }

    #[test]
    fn a_malformed_route_payload_is_malformed() {
        let (db, mut events) = (db(), Events::default());
        let bad = events.route(
            ROUTE,
            "route.created.v1",
            json!({ "route_id": "not-a-uuid", "origin": "Depot" }),
        );
        assert!(matches!(
            db.apply(&[bad]).remove(0),
            Err(ProjectionError::Malformed { event_type, .. }) if event_type == "route.created.v1"
        ));
    }
}
