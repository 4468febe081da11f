//! The `technicians` read model: one row per technician, following `technician.*`
//! (`registered`, `updated`, `deactivated`, `reactivated`).
//!
//! Decisions:
//! - `skills` is one text column of snake_case categories, sorted and comma-separated
//!   (`paint,repairs`). The skill filter is a substring match on it, which is exact
//!   because no category name contains another (a test guards that);
//! - a technician is registered `active`; deactivation/reactivation only flip `status`;
//! - an update replaces name and skills as a whole, like the aggregate does;
//! - events for a technician with no row (impossible in a complete log) change nothing
//!   rather than inventing a half-filled row.

use std::collections::BTreeSet;

use contracts::events::TechnicianEvent;
use contracts::events::words::ServiceCategory;
use es_core::EventEnvelope;
use uuid::Uuid;

use crate::projection::{AggregateProjection, Projected};
use crate::store::{Column, Table, Tx, Value};

pub static TECHNICIANS: Table = Table {
    name: "technicians",
    columns: &[
        Column::text("technician_id"),
        Column::text("name"),
        Column::text("skills"),
        Column::text("status"),
        Column::int("version"),
    ],
    key: &["technician_id"],
    indexes: &[&["name"], &["status"]],
};

/// The stored `status` values.
pub const ACTIVE: &str = "active";
pub const INACTIVE: &str = "inactive";

pub struct TechniciansProjection;

impl AggregateProjection for TechniciansProjection {
    type Event = TechnicianEvent;
    const NAME: &'static str = "technicians";
    const TABLES: &'static [&'static Table] = &[&TECHNICIANS];

    fn project(&self, change: Self::Event, event: &EventEnvelope, tx: &mut dyn Tx) -> Projected {
        let version = ("version", Value::from(event.version));
        match change {
            TechnicianEvent::Registered(p) => {
                tx.upsert(
                    &TECHNICIANS,
                    &[
                        key(p.technician_id),
                        ("name", p.name.into()),
                        ("skills", skills_text(&p.skills).into()),
                        ("status", ACTIVE.into()),
                        version,
                    ],
                )?;
            }
            TechnicianEvent::Updated(p) => {
                tx.update(
                    &TECHNICIANS,
                    &[key(p.technician_id)],
                    &[
                        ("name", p.name.into()),
                        ("skills", skills_text(&p.skills).into()),
                        version,
                    ],
                )?;
            }
            TechnicianEvent::Deactivated(p) => {
                let status = ("status", INACTIVE.into());
                tx.update(&TECHNICIANS, &[key(p.technician_id)], &[status, version])?;
            }
            TechnicianEvent::Reactivated(p) => {
                let status = ("status", ACTIVE.into());
                tx.update(&TECHNICIANS, &[key(p.technician_id)], &[status, version])?;
            }
        }
        Ok(())
    }
}

fn key(technician_id: Uuid) -> (&'static str, Value) {
    ("technician_id", technician_id.to_string().into())
}

/// `{repairs, paint}` → `"paint,repairs"`: the words in alphabetical order.
fn skills_text(skills: &BTreeSet<ServiceCategory>) -> String {
    let mut words: Vec<&str> = skills.iter().map(|skill| skill.as_str()).collect();
    words.sort_unstable();
    words.join(",")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::projection::{Outcome, Projection, ProjectionError};
    use crate::store::{Reader, Row};
    use crate::testing::{EventFactory, TestDb};
    use crate::workshop::vocabulary::stored_word;

    const ID: &str = "0190a5e4-7b1c-7c3e-9f00-000000000001";

    fn db() -> TestDb {
        TestDb::new(vec![Box::new(TechniciansProjection) as Box<dyn Projection>])
    }

    fn registered(factory: &mut EventFactory) -> EventEnvelope {
        factory.event(
            "technician",
            ID,
            "technician.registered.v1",
            json!({"technician_id": ID, "name": "Ada Wrench", "skills": ["repairs", "paint"]}),
        )
    }

    fn row(db: &TestDb) -> Row {
        db.read(|reader: &mut dyn Reader| {
            reader
                .get(&TECHNICIANS, &[("technician_id", ID.into())])
                .unwrap()
                .expect("a technician row")
        })
    }

    #[test]
    fn a_registered_technician_is_active_with_sorted_skills() {
        let db = db();
        let mut factory = EventFactory::new();
        let results = db.apply(&[registered(&mut factory)]);
        assert_eq!(results, vec![Ok(Outcome::Applied)]);
        let row = row(&db);
        assert_eq!(row.text("name").unwrap(), "Ada Wrench");
        assert_eq!(row.text("skills").unwrap(), "paint,repairs");
        assert_eq!(row.text("status").unwrap(), ACTIVE);
        assert_eq!(row.int("version").unwrap(), 1);
    }

    #[test]
    fn an_update_replaces_name_and_skills() {
        let db = db();
        let mut factory = EventFactory::new();
        let first = registered(&mut factory);
        let update = factory.event(
            "technician",
            ID,
            "technician.updated.v1",
            json!({"technician_id": ID, "name": "Ada Spanner", "skills": ["installation"]}),
        );
        db.apply(&[first, update]);
        let row = row(&db);
        assert_eq!(row.text("name").unwrap(), "Ada Spanner");
        assert_eq!(row.text("skills").unwrap(), "installation");
        assert_eq!(row.int("version").unwrap(), 2);
    }

    #[test]
    fn deactivation_and_reactivation_flip_the_status() {
        let db = db();
        let mut factory = EventFactory::new();
        let first = registered(&mut factory);
        let off = factory.event(
            "technician",
            ID,
            "technician.deactivated.v1",
            json!({"technician_id": ID}),
        );
        db.apply(&[first, off]);
        assert_eq!(row(&db).text("status").unwrap(), INACTIVE);
        let on = factory.event(
            "technician",
            ID,
            "technician.reactivated.v1",
            json!({"technician_id": ID}),
        );
        db.apply(&[on]);
        let row = row(&db);
        assert_eq!(row.text("status").unwrap(), ACTIVE);
        assert_eq!(row.int("version").unwrap(), 3);
    }

    #[test]
    fn a_malformed_payload_is_rejected() {
        let db = db();
        let mut factory = EventFactory::new();
        let bad = factory.event(
            "technician",
            ID,
            "technician.registered.v1",
            json!({"technician_id": "not-a-uuid", "name": "X", "skills": []}),
        );
        assert!(matches!(
            db.apply(&[bad]).as_slice(),
            [Err(ProjectionError::Malformed { .. })]
        ));
    }

    #[test]
    fn no_category_name_contains_another_so_the_skill_filter_is_exact() {
        use contracts::v1::ServiceCategory;
        let names: Vec<String> = (1..)
            .map_while(|n| ServiceCategory::try_from(n).ok())
            .map(|c| stored_word(c.as_str_name(), "SERVICE_CATEGORY_"))
            .collect();
        assert_eq!(names.len(), 4);
        for a in &names {
            for b in &names {
                assert!(a == b || !a.contains(b.as_str()), "{a} contains {b}");
            }
        }
    }
}
