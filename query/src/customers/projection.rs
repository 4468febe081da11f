//! The `customers` projection: one row per customer, following aggregate type `customer`.
//!
//! - `customer.registered.v1` inserts the row with its personal data, `erased` = 0.
//! - `customer.contact_updated.v1` replaces every personal field (the command replaces
//!   them all at once, so a field absent from the new data becomes NULL).
//! - `customer.personal_data_erased.v1` sets every personal field to NULL and `erased`
//!   to 1; the row itself stays (id, version, times), as the non-personal history does.
//! - `personal_data: null` in `registered` or `contact_updated` is what the command
//!   service's event stream sends once the customer's key is erased (crypto-shredding,
//!   ADR 010): the personal fields become NULL and the row is marked erased, so a
//!   rebuild after an erasure shows the customer erased from its first event on.
//!
//! Decisions:
//! - The key is the payload's `customer_id`, decoded as a UUID and stored in its
//!   canonical lower-case hyphenated form, which is how queries look it up.
//! - The personal fields are nullable columns, not empty strings, so "erased" and
//!   "never given" (an optional address) are both plain NULLs and a search can never
//!   match an erased customer.
//! - `registered_at`/`updated_at` are the events' `occurred_at`.
//! - Updates and erasures `update` the existing row: the runtime applies a stream's
//!   events in order, and a customer stream always starts with `registered`.

use contracts::events::CustomerEvent;
use contracts::events::customer::PersonalData;
use es_core::EventEnvelope;
use uuid::Uuid;

use crate::projection::{AggregateProjection, Projected};
use crate::store::{Column, Table, Tx, Value};

pub static CUSTOMERS: Table = Table {
    name: "customers",
    columns: &[
        Column::text("customer_id"),
        Column::opt_text("name"),
        Column::opt_text("address"),
        Column::opt_text("postal_code"),
        Column::opt_text("city"),
        Column::opt_text("telephone"),
        Column::opt_text("email"),
        Column::int("erased"),
        Column::int("version"),
        Column::text("registered_at"),
        Column::text("updated_at"),
    ],
    key: &["customer_id"],
    indexes: &[&["name"]],
};

/// Projects customer events into [`CUSTOMERS`].
#[derive(Debug, Clone, Copy, Default)]
pub struct CustomersProjection;

/// The personal columns set to `data`, or all to NULL when there is none (erased).
fn personal_columns(data: Option<PersonalData>) -> [(&'static str, Value); 6] {
    let data = data.map_or([None, None, None, None, None, None], |d| {
        [
            Some(d.name),
            d.address,
            d.postal_code,
            d.city,
            Some(d.telephone),
            Some(d.email),
        ]
    });
    let [name, address, postal_code, city, telephone, email] = data;
    [
        ("name", name.into()),
        ("address", address.into()),
        ("postal_code", postal_code.into()),
        ("city", city.into()),
        ("telephone", telephone.into()),
        ("email", email.into()),
    ]
}

fn key(customer_id: Uuid) -> [(&'static str, Value); 1] {
    [("customer_id", customer_id.to_string().into())]
}

impl AggregateProjection for CustomersProjection {
    type Event = CustomerEvent;
    const NAME: &'static str = "customers";
    const TABLES: &'static [&'static Table] = &[&CUSTOMERS];

    fn project(&self, change: Self::Event, event: &EventEnvelope, tx: &mut dyn Tx) -> Projected {
        let stamp = [
            ("version", Value::from(event.version)),
            ("updated_at", event.occurred_at.into()),
        ];
        match change {
            CustomerEvent::Registered(p) => {
                let erased = p.personal_data.is_none();
                let mut row = Vec::from(key(p.customer_id));
                row.extend(personal_columns(p.personal_data));
                row.extend(stamp);
                row.push(("erased", erased.into()));
                row.push(("registered_at", event.occurred_at.into()));
                tx.upsert(&CUSTOMERS, &row)?;
            }
            CustomerEvent::ContactUpdated(p) => {
                let erased = p.personal_data.is_none();
                let mut set = Vec::from(personal_columns(p.personal_data));
                set.extend(stamp);
                if erased {
                    set.push(("erased", true.into()));
                }
                tx.update(&CUSTOMERS, &key(p.customer_id), &set)?;
            }
            CustomerEvent::PersonalDataErased(p) => {
                let mut set = Vec::from(personal_columns(None));
                set.extend(stamp);
                set.push(("erased", true.into()));
                tx.update(&CUSTOMERS, &key(p.customer_id), &set)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
