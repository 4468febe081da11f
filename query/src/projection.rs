//! What a projection is: a named set of tables and a function from one event to writes.
//!
//! Projections are pure with respect to I/O: they only talk to the [`Tx`] they are
//! given, inside the runtime's transaction (which also moves the checkpoint), so a
//! projection never needs its own idempotency bookkeeping.

use contracts::events::AggregateEvents;
use es_core::EventEnvelope;

use crate::store::{DbError, Table, Tx};

/// What applying one event did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Applied,
    /// Not for this projection (another aggregate type, or a type it does not need).
    Ignored,
    /// An event type of an aggregate this projection follows, that it does not know
    /// (a newer producer): skipped and counted, never parked.
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProjectionError {
    /// The payload does not have the shape its event type promises: parked at once as a
    /// dead letter (retrying cannot help).
    #[error("malformed {event_type} at position {position}: {reason}")]
    Malformed {
        event_type: String,
        position: u64,
        reason: String,
    },
    /// The store failed: retried with backoff, parked only when retries run out.
    #[error(transparent)]
    Db(#[from] DbError),
}

impl ProjectionError {
    /// `event`'s payload does not have the shape its type promises, for `reason`.
    pub fn malformed(event: &EventEnvelope, reason: impl std::fmt::Display) -> Self {
        ProjectionError::Malformed {
            event_type: event.event_type.clone(),
            position: event.position,
            reason: reason.to_string(),
        }
    }
}

/// A projection as the runtime drives it. One that follows a single aggregate implements
/// [`AggregateProjection`] instead, and gets this from it.
pub trait Projection: Send + Sync + 'static {
    /// Stable name: checkpoints, dead letters, status and rebuilds address it by it.
    fn name(&self) -> &'static str;

    fn tables(&self) -> &'static [&'static Table];

    fn apply(&self, event: &EventEnvelope, tx: &mut dyn Tx) -> Result<Outcome, ProjectionError>;
}

/// A projection that follows one aggregate's events: it says what an event, decoded into
/// its contract type, writes; the blanket [`Projection`] impl decodes it first. Another
/// aggregate's event is [`Outcome::Ignored`], a type this code does not know
/// [`Outcome::Unknown`], a payload without its type's shape [`ProjectionError::Malformed`],
/// and an event it projects [`Outcome::Applied`]. (A projection following several
/// aggregates implements [`Projection`] itself, with [`decode`].)
pub trait AggregateProjection: Send + Sync + 'static {
    /// The contract events of the aggregate it follows.
    type Event: AggregateEvents;

    /// [`Projection::name`].
    const NAME: &'static str;

    /// [`Projection::tables`].
    const TABLES: &'static [&'static Table];

    /// Writes what `change`, decoded from `event`, changes in its tables.
    fn project(&self, change: Self::Event, event: &EventEnvelope, tx: &mut dyn Tx) -> Projected;
}

/// What [`AggregateProjection::project`] comes to: its writes are made, or why not.
pub type Projected = Result<(), ProjectionError>;

impl<P: AggregateProjection> Projection for P {
    fn name(&self) -> &'static str {
        P::NAME
    }

    fn tables(&self) -> &'static [&'static Table] {
        P::TABLES
    }

    fn apply(&self, event: &EventEnvelope, tx: &mut dyn Tx) -> Result<Outcome, ProjectionError> {
        match decode::<P::Event>(event)? {
            Decoded::Event(change) => {
                self.project(change, event, tx)?;
                Ok(Outcome::Applied)
            }
            Decoded::Skip(outcome) => Ok(outcome),
        }
    }
}

/// What an event is to a projection that follows aggregate events `E`.
pub enum Decoded<E> {
    Event(E),
    /// Another aggregate type's event ([`Outcome::Ignored`]), or an event type this
    /// code does not know ([`Outcome::Unknown`]).
    Skip(Outcome),
}

/// Decodes an event into its contract type ([`contracts::events`]); a payload that
/// does not have its type's shape is [`ProjectionError::Malformed`].
pub fn decode<E: AggregateEvents>(event: &EventEnvelope) -> Result<Decoded<E>, ProjectionError> {
    if event.aggregate_type != E::AGGREGATE_TYPE {
        return Ok(Decoded::Skip(Outcome::Ignored));
    }
    match E::from_payload(&event.event_type, &event.payload) {
        Ok(Some(decoded)) => Ok(Decoded::Event(decoded)),
        Ok(None) => Ok(Decoded::Skip(Outcome::Unknown)),
        Err(e) => Err(ProjectionError::malformed(event, e)),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::store::Select;
    use crate::testing::{EventFactory, TestDb};

    /// What `projection`, alone in a new database, makes of another aggregate's event,
    /// of an event type of its own aggregate it does not know, and of a known one whose
    /// payload is empty; and how many rows its tables hold after them.
    fn skipped_by<P: AggregateProjection>(
        projection: P,
    ) -> (Vec<Result<Outcome, ProjectionError>>, u64) {
        let aggregate = P::Event::AGGREGATE_TYPE;
        let mut events = EventFactory::new();
        let batch = [
            events.event(
                "an_other_aggregate",
                "1",
                "an_other_aggregate.made.v1",
                json!({}),
            ),
            events.event(
                aggregate,
                "1",
                &format!("{aggregate}.from_later.v9"),
                json!({}),
            ),
            events.event(aggregate, "1", P::Event::EVENT_TYPES[0], json!({})),
        ];
        let db = TestDb::new(vec![Box::new(projection)]);
        let results = db.apply(&batch);
        let rows = db.read(|reader| {
            P::TABLES
                .iter()
                .map(|table| reader.count(&Select::from(table)).expect("count"))
                .sum()
        });
        (results, rows)
    }

    #[test]
    fn an_aggregate_projection_ignores_others_skips_unknown_types_and_rejects_malformed_payloads() {
        use crate::{customers, deliveries, fleet, workshop};
        for (name, (results, rows)) in [
            ("customers", skipped_by(customers::CustomersProjection)),
            ("vehicles", skipped_by(fleet::VehiclesProjection)),
            ("drivers", skipped_by(fleet::DriversProjection)),
            ("technicians", skipped_by(workshop::TechniciansProjection)),
            ("planning", skipped_by(workshop::WorkshopPlanningProjection)),
            ("routes", skipped_by(deliveries::RouteProjection)),
            ("deliveries", skipped_by(deliveries::DeliveryProjection)),
        ] {
            assert!(
                matches!(
                    results.as_slice(),
                    [
                        Ok(Outcome::Ignored),
                        Ok(Outcome::Unknown),
                        Err(ProjectionError::Malformed { .. })
                    ]
                ),
                "{name}: {results:?}"
            );
            assert_eq!(rows, 0, "{name} wrote rows");
        }
    }
}
