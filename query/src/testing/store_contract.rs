//! The read-model store contract: every backend's `Tx` and `Reader` must behave alike.
//! A backend's tests call `read_model_store_contract_tests!(factory)`, where `factory`
//! is a fn returning a [`StoreUnderTest`] whose database holds [`contract_projection`];
//! or `read_model_store_contract_tests!(optional: factory)` for a server that may be
//! missing, where `factory` returns `Option<…>` and `None` skips the case.

use es_core::EventEnvelope;

use crate::projection::{Outcome, Projection, ProjectionError};
use crate::store::{Column, DbError, Filter, Order, Reader, Select, Table, Tx, Value};

pub static PARTS: Table = Table {
    name: "contract_parts",
    columns: &[
        Column::text("part_id"),
        Column::text("name"),
        Column::opt_text("note"),
        Column::int("stock"),
        Column::opt_int("weight"),
    ],
    key: &["part_id"],
    indexes: &[&["name"]],
};

struct ContractProjection;

impl Projection for ContractProjection {
    fn name(&self) -> &'static str {
        "contract"
    }

    fn tables(&self) -> &'static [&'static Table] {
        static TABLES: [&Table; 1] = [&PARTS];
        &TABLES
    }

    fn apply(&self, _: &EventEnvelope, _: &mut dyn Tx) -> Result<Outcome, ProjectionError> {
        Ok(Outcome::Ignored)
    }
}

/// The projection whose table the contract exercises.
pub fn contract_projection() -> Box<dyn Projection> {
    Box::new(ContractProjection)
}

/// A read on a snapshot, answering with strings the contract compares.
pub type ReadWork = Box<dyn FnOnce(&mut dyn Reader) -> Result<Vec<String>, DbError> + Send>;

/// A backend under test: a write transaction and a read snapshot on its tables.
pub trait StoreUnderTest {
    fn write(&self, work: &mut dyn FnMut(&mut dyn Tx) -> Result<(), DbError>);
    fn read(&self, work: ReadWork) -> Vec<String>;
}

#[macro_export]
macro_rules! read_model_store_contract_tests {
    (optional: $factory:path) => {
        $crate::__read_model_store_contract_list!(optional, $factory);
    };
    ($factory:path) => {
        $crate::__read_model_store_contract_list!(always, $factory);
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __read_model_store_contract_list {
    ($mode:ident, $factory:path) => {
        $crate::__read_model_store_contract_cases!(
            $mode,
            $factory,
            an_upsert_inserts_then_changes_only_the_given_columns,
            insert_ignore_never_overwrites_and_says_whether_it_inserted,
            update_and_delete_touch_only_matching_rows_and_count_them,
            filters_select_exactly_the_matching_rows,
            contains_is_case_insensitive_and_treats_wildcards_literally,
            order_limit_and_offset_page_and_count_ignores_them,
            an_unknown_column_is_an_error_not_a_query,
            a_failed_transaction_leaves_nothing_behind,
        );
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __read_model_store_contract_cases {
    (always, $factory:path, $($case:ident),+ $(,)?) => {
        $(
            #[test]
            fn $case() {
                let store = $factory();
                $crate::testing::store_contract::$case(&store);
            }
        )+
    };
    (optional, $factory:path, $($case:ident),+ $(,)?) => {
        $(
            #[test]
            fn $case() {
                let Some(store) = $factory() else { return };
                $crate::testing::store_contract::$case(&store);
            }
        )+
    };
}

fn part(id: &str, name: &str, stock: i64) -> Vec<(&'static str, Value)> {
    vec![
        ("part_id", id.into()),
        ("name", name.into()),
        ("stock", stock.into()),
    ]
}

fn seed(store: &dyn StoreUnderTest) {
    store.write(&mut |tx| {
        tx.upsert(&PARTS, &part("p1", "Brake pad", 10))?;
        tx.upsert(&PARTS, &part("p2", "brake disc", 0))?;
        tx.upsert(
            &PARTS,
            &[
                ("part_id", "p3".into()),
                ("name", "Cabin filter".into()),
                ("stock", 5.into()),
                ("note", "100%_cotton".into()),
            ],
        )?;
        tx.upsert(&PARTS, &part("p4", "Wiper", 7))?;
        Ok(())
    });
}

fn ids(store: &dyn StoreUnderTest, query: Select) -> Vec<String> {
    store.read(Box::new(move |r| {
        r.select(&query)?
            .iter()
            .map(|row| row.text("part_id"))
            .collect()
    }))
}

pub fn an_upsert_inserts_then_changes_only_the_given_columns(store: &dyn StoreUnderTest) {
    store.write(&mut |tx| {
        tx.upsert(
            &PARTS,
            &[
                ("part_id", "p1".into()),
                ("name", "Pad".into()),
                ("stock", 1.into()),
                ("note", "front".into()),
            ],
        )?;
        tx.upsert(&PARTS, &[("part_id", "p1".into()), ("stock", 2.into())])
    });
    let row = store.read(Box::new(|r| {
        let row = (r as &mut dyn Reader)
            .get(&PARTS, &[("part_id", "p1".into())])?
            .expect("the row");
        Ok(vec![
            row.text("name")?,
            row.opt_text("note")?.unwrap_or_default(),
            row.int("stock")?.to_string(),
        ])
    }));
    assert_eq!(row, vec!["Pad", "front", "2"]);
}

pub fn insert_ignore_never_overwrites_and_says_whether_it_inserted(store: &dyn StoreUnderTest) {
    let mut outcomes = Vec::new();
    store.write(&mut |tx| {
        outcomes.push(tx.insert_ignore(&PARTS, &part("p1", "First", 1))?);
        outcomes.push(tx.insert_ignore(&PARTS, &part("p1", "Second", 2))?);
        Ok(())
    });
    assert_eq!(outcomes, vec![true, false]);
    let name = store.read(Box::new(|r| {
        Ok(vec![
            (r as &mut dyn Reader)
                .get(&PARTS, &[("part_id", "p1".into())])?
                .expect("row")
                .text("name")?,
        ])
    }));
    assert_eq!(name, vec!["First"]);
}

pub fn update_and_delete_touch_only_matching_rows_and_count_them(store: &dyn StoreUnderTest) {
    seed(store);
    let mut counts = Vec::new();
    store.write(&mut |tx| {
        counts.push(tx.update(
            &PARTS,
            &[("stock", 0.into())],
            &[("note", "reorder".into())],
        )?);
        counts.push(tx.update(
            &PARTS,
            &[("part_id", "nope".into())],
            &[("stock", 1.into())],
        )?);
        counts.push(tx.delete(&PARTS, &[("part_id", "p4".into())])?);
        Ok(())
    });
    assert_eq!(counts, vec![1, 0, 1]);
    assert_eq!(
        ids(store, Select::from(&PARTS).order_by("part_id", Order::Asc)),
        vec!["p1", "p2", "p3"]
    );
    assert_eq!(
        ids(
            store,
            Select::from(&PARTS).filter(Filter::Eq("note", "reorder".into()))
        ),
        vec!["p2"]
    );
}

pub fn filters_select_exactly_the_matching_rows(store: &dyn StoreUnderTest) {
    seed(store);
    let by = |filter: Filter| {
        ids(
            store,
            Select::from(&PARTS)
                .filter(filter)
                .order_by("part_id", Order::Asc),
        )
    };
    assert_eq!(
        by(Filter::In(
            "part_id",
            vec!["p1".into(), "p4".into(), "zz".into()]
        )),
        vec!["p1", "p4"]
    );
    assert_eq!(by(Filter::In("part_id", vec![])), Vec::<String>::new());
    assert_eq!(by(Filter::Gt("stock", 5.into())), vec!["p1", "p4"]);
    assert_eq!(by(Filter::Gte("stock", 5.into())), vec!["p1", "p3", "p4"]);
    assert_eq!(by(Filter::Lt("stock", 5.into())), vec!["p2"]);
    assert_eq!(by(Filter::Lte("stock", 5.into())), vec!["p2", "p3"]);
    assert_eq!(by(Filter::NotNull("note")), vec!["p3"]);
    assert_eq!(by(Filter::IsNull("weight")).len(), 4);
    assert_eq!(
        by(Filter::AnyOf(vec![
            Filter::Eq("part_id", "p2".into()),
            Filter::Gt("stock", 9.into())
        ])),
        vec!["p1", "p2"]
    );
}

pub fn contains_is_case_insensitive_and_treats_wildcards_literally(store: &dyn StoreUnderTest) {
    seed(store);
    let by = |text: &str| {
        ids(
            store,
            Select::from(&PARTS)
                .filter(Filter::Contains("name", text.into()))
                .order_by("part_id", Order::Asc),
        )
    };
    assert_eq!(by("BRAKE"), vec!["p1", "p2"]);
    assert_eq!(
        by("%"),
        Vec::<String>::new(),
        "% is a character, not a wildcard"
    );
    let notes = ids(
        store,
        Select::from(&PARTS).filter(Filter::Contains("note", "0%_c".into())),
    );
    assert_eq!(notes, vec!["p3"]);
    let underscore = ids(
        store,
        Select::from(&PARTS).filter(Filter::Contains("note", "%_x".into())),
    );
    assert!(underscore.is_empty());
}

pub fn order_limit_and_offset_page_and_count_ignores_them(store: &dyn StoreUnderTest) {
    seed(store);
    let page = Select::from(&PARTS)
        .order_by("stock", Order::Desc)
        .limit(2)
        .offset(1);
    assert_eq!(ids(store, page.clone()), vec!["p4", "p3"]);
    let total = store.read(Box::new(move |r| Ok(vec![r.count(&page)?.to_string()])));
    assert_eq!(total, vec!["4"]);
}

pub fn an_unknown_column_is_an_error_not_a_query(store: &dyn StoreUnderTest) {
    let outcome = store.read(Box::new(|r| {
        let query = Select::from(&PARTS).filter(Filter::Eq("name; DROP TABLE x", "y".into()));
        Ok(vec![format!(
            "{:?}",
            r.select(&query).map(|rows| rows.len())
        )])
    }));
    assert!(outcome[0].starts_with("Err(Shape"), "{outcome:?}");
}

pub fn a_failed_transaction_leaves_nothing_behind(store: &dyn StoreUnderTest) {
    store.write(&mut |tx| {
        tx.upsert(&PARTS, &part("p9", "Temporary", 1))?;
        Err(DbError::Database("the disk went away".into()))
    });
    assert!(ids(store, Select::from(&PARTS)).is_empty());
}
