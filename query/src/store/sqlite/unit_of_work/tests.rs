//! The unit of work must answer every operation exactly as SQL alone would, and
//! leave the same rows behind: checked against the database on random sequences.

use proptest::prelude::*;
use rusqlite::Connection;

use super::*;
use crate::store::Column;
use crate::store::sqlite::render::create_table;
use crate::store::sqlite::tx::{Names, SqliteTx};

static SLOTS: Table = Table {
    name: "slots",
    columns: &[
        Column::text("kind"),
        Column::text("id"),
        Column::text("holder"),
        Column::opt_text("status"),
        Column::opt_int("n"),
    ],
    key: &["kind", "id"],
    indexes: &[&["holder"]],
};

#[derive(Debug, Clone)]
enum Op {
    Upsert(u8, u8, u8, Option<u8>),
    UpsertPartial(u8, u8, u8),
    InsertIgnore(u8, u8, u8),
    UpdateByKey(u8, u8, u8),
    UpdateByHolder(u8, u8),
    DeleteByKey(u8, u8),
    DeleteByHolder(u8),
    Get(u8, u8),
    SelectByHolder(u8),
}

fn op() -> impl Strategy<Value = Op> {
    let k = 0..2u8;
    let i = 0..4u8;
    let h = 0..3u8;
    prop_oneof![
        (
            k.clone(),
            i.clone(),
            h.clone(),
            proptest::option::of(0..3u8)
        )
            .prop_map(|(a, b, c, d)| Op::Upsert(a, b, c, d)),
        (k.clone(), i.clone(), 0..5u8).prop_map(|(a, b, c)| Op::UpsertPartial(a, b, c)),
        (k.clone(), i.clone(), h.clone()).prop_map(|(a, b, c)| Op::InsertIgnore(a, b, c)),
        (k.clone(), i.clone(), 0..3u8).prop_map(|(a, b, c)| Op::UpdateByKey(a, b, c)),
        (h.clone(), 0..3u8).prop_map(|(a, b)| Op::UpdateByHolder(a, b)),
        (k.clone(), i.clone()).prop_map(|(a, b)| Op::DeleteByKey(a, b)),
        h.clone().prop_map(Op::DeleteByHolder),
        (k, i).prop_map(|(a, b)| Op::Get(a, b)),
        h.prop_map(Op::SelectByHolder),
    ]
}

fn t(prefix: &str, n: u8) -> Value {
    Value::Text(format!("{prefix}{n}"))
}

/// Runs one operation; returns what a caller would observe.
fn run(tx: &mut dyn Tx, op: &Op) -> Result<String, DbError> {
    Ok(match op {
        Op::Upsert(k, i, h, s) => {
            let status = s.map(|s| format!("s{s}"));
            tx.upsert(
                &SLOTS,
                &[
                    ("kind", t("k", *k)),
                    ("id", t("i", *i)),
                    ("holder", t("h", *h)),
                    ("status", status.into()),
                ],
            )?;
            String::new()
        }
        Op::UpsertPartial(k, i, n) => {
            tx.upsert(
                &SLOTS,
                &[
                    ("kind", t("k", *k)),
                    ("id", t("i", *i)),
                    ("holder", t("h", 0)),
                    ("n", Value::Int(*n as i64)),
                ],
            )?;
            String::new()
        }
        Op::InsertIgnore(k, i, h) => {
            format!(
                "{}",
                tx.insert_ignore(
                    &SLOTS,
                    &[
                        ("kind", t("k", *k)),
                        ("id", t("i", *i)),
                        ("holder", t("h", *h))
                    ]
                )?
            )
        }
        Op::UpdateByKey(k, i, s) => {
            tx.update(
                &SLOTS,
                &[("kind", t("k", *k)), ("id", t("i", *i))],
                &[("status", t("s", *s))],
            )?;
            String::new()
        }
        Op::UpdateByHolder(h, s) => {
            tx.update(&SLOTS, &[("holder", t("h", *h))], &[("status", t("s", *s))])?;
            String::new()
        }
        Op::DeleteByKey(k, i) => {
            tx.delete(&SLOTS, &[("kind", t("k", *k)), ("id", t("i", *i))])?;
            String::new()
        }
        Op::DeleteByHolder(h) => {
            tx.delete(&SLOTS, &[("holder", t("h", *h))])?;
            String::new()
        }
        Op::Get(k, i) => format!(
            "{:?}",
            tx.get(&SLOTS, &[("kind", t("k", *k)), ("id", t("i", *i))])?
        ),
        Op::SelectByHolder(h) => {
            let query = Select::from(&SLOTS)
                .filter(Filter::Eq("holder", t("h", *h)))
                .order_by("kind", crate::store::Order::Asc)
                .order_by("id", crate::store::Order::Asc);
            format!("{:?}", tx.select(&query)?)
        }
    })
}

fn database() -> (Connection, Names) {
    let conn = Connection::open_in_memory().unwrap();
    for statement in create_table(&SLOTS, "slots__g1") {
        conn.execute_batch(&statement).unwrap();
    }
    let names: Names = [("slots", "slots__g1".to_owned())].into_iter().collect();
    (conn, names)
}

fn everything(conn: &Connection, names: &Names) -> Vec<Row> {
    let mut tx = SqliteTx { conn, names };
    let all = Select::from(&SLOTS)
        .order_by("kind", crate::store::Order::Asc)
        .order_by("id", crate::store::Order::Asc);
    tx.select(&all).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1_000, .. ProptestConfig::default() })]

    #[test]
    fn the_unit_of_work_answers_and_writes_exactly_as_sql_alone(
        setup in proptest::collection::vec(op(), 0..12),
        batch in proptest::collection::vec(op(), 1..40),
    ) {
        let (direct_conn, names) = database();
        let (cached_conn, _) = database();
        // The same starting rows in both databases.
        for conn in [&direct_conn, &cached_conn] {
            let mut tx = SqliteTx { conn, names: &names };
            for op in &setup {
                let _ = run(&mut tx, op);
            }
        }
        let mut direct = SqliteTx { conn: &direct_conn, names: &names };
        let mut inner = SqliteTx { conn: &cached_conn, names: &names };
        let mut work = UnitOfWork::new(&mut inner);
        for op in &batch {
            let expected = run(&mut direct, op).unwrap();
            let observed = run(&mut work, op).unwrap();
            prop_assert_eq!(&observed, &expected, "answer to {:?}", op);
        }
        work.flush().unwrap();
        prop_assert_eq!(everything(&cached_conn, &names), everything(&direct_conn, &names));
    }
}
