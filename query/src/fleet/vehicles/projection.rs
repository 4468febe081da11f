//! The `vehicles` projection: one row per vehicle, following aggregate type `vehicle`.
//!
//! - `vehicle.registered.v1` inserts the row: brand, model, owner, usage and the initial
//!   status (`available` for a fleet van, NULL for a customer's car).
//! - `vehicle.updated.v1` replaces brand, model and owner (the usage never changes).
//! - `vehicle.status_changed.v1` sets the status.
//!
//! Decisions:
//! - The key is the license number in upper case (the command side stores it so; the
//!   projection upper-cases again so a lookup can never miss on case).
//! - Events are read as their contract types ([`VehicleEvent`]): an unknown usage or
//!   status word is a malformed payload, not a silent row. Rows store the words.
//! - The owner is stored as a canonical lower-case UUID, as queries look it up.
//! - Updates `update` the existing row: a vehicle stream always starts with `registered`.

use contracts::events::VehicleEvent;
pub use contracts::events::vehicle::{VehicleStatus as Status, VehicleUsage as Usage};
use es_core::EventEnvelope;
use uuid::Uuid;

use crate::projection::{AggregateProjection, Projected};
use crate::store::{Column, Table, Tx, Value};

pub static VEHICLES: Table = Table {
    name: "vehicles",
    columns: &[
        Column::text("license_number"),
        Column::text("brand"),
        Column::text("model"),
        Column::opt_text("owner_customer_id"),
        Column::text("usage"),
        Column::opt_text("status"),
        Column::int("version"),
    ],
    key: &["license_number"],
    indexes: &[&["owner_customer_id"], &["usage"]],
};

/// Projects vehicle events into [`VEHICLES`].
#[derive(Debug, Clone, Copy, Default)]
pub struct VehiclesProjection;

fn key(license_number: &str) -> [(&'static str, Value); 1] {
    [("license_number", license_number.to_ascii_uppercase().into())]
}

fn owner(owner: Option<Uuid>) -> Value {
    owner.map(|id| id.to_string()).into()
}

impl AggregateProjection for VehiclesProjection {
    type Event = VehicleEvent;
    const NAME: &'static str = "vehicles";
    const TABLES: &'static [&'static Table] = &[&VEHICLES];

    fn project(&self, change: Self::Event, event: &EventEnvelope, tx: &mut dyn Tx) -> Projected {
        let version = ("version", Value::from(event.version));
        match change {
            VehicleEvent::Registered(p) => {
                let [key] = key(&p.license_number);
                tx.upsert(
                    &VEHICLES,
                    &[
                        key,
                        ("brand", p.brand.into()),
                        ("model", p.model.into()),
                        ("owner_customer_id", owner(p.owner)),
                        ("usage", p.usage.as_str().into()),
                        ("status", p.status.map(Status::as_str).into()),
                        version,
                    ],
                )?;
            }
            VehicleEvent::Updated(p) => {
                tx.update(
                    &VEHICLES,
                    &key(&p.license_number),
                    &[
                        ("brand", p.brand.into()),
                        ("model", p.model.into()),
                        ("owner_customer_id", owner(p.owner)),
                        version,
                    ],
                )?;
            }
            VehicleEvent::StatusChanged(p) => {
                tx.update(
                    &VEHICLES,
                    &key(&p.license_number),
                    &[("status", p.status.as_str().into()), version],
                )?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
