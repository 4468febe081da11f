//! The read-model store on SQL Server (ADR 013), whenever `MSSQL_URL` names one as
//! `mssql://user:password@host:port/database?trust_server_certificate=true` (a login
//! allowed to create databases): the contract suite SQLite runs, then what the
//! database adds — batches that move rows and checkpoints together, parking, rebuild
//! switches. Each test works in a scratch database of its own, dropped afterwards.
//! Without `MSSQL_URL` every test prints why it is skipped, even under CI=true: no
//! SQL Server runs on these machines.
//!
//! Run: `MSSQL_URL=… cargo test -p query --features mssql --test mssql_store`.
#![cfg(feature = "mssql")]

use es_core::EventEnvelope;
use query::config::SqlServerUrl;
use query::projection::Projection;
use query::store::mssql::ReadModelDb;
use query::store::mssql::scratch::ScratchDatabase;
use query::store::{DbError, DeadLetterStore, Members, Reader, SwapWhen, Tx};
use query::testing::EventFactory;
use query::testing::store_contract::{ReadWork, StoreUnderTest, contract_projection};
use query::testing::tallies::{self, ADDED, AGGREGATE_TYPE, Tallies};
use serde_json::json;

/// A read-model database in a scratch database of its own.
struct SqlServer {
    /// Always `Some` until dropped: closed before its database is dropped.
    db: Option<ReadModelDb>,
    scratch: Option<ScratchDatabase>,
    runtime: tokio::runtime::Runtime,
}

fn sql_server_with(projections: Vec<Box<dyn Projection>>) -> Option<SqlServer> {
    let raw = es_core::testing::servers::optional_server_url("MSSQL_URL")?;
    let admin = SqlServerUrl::parse(&raw)
        .expect("MSSQL_URL is mssql://user:password@host:port/database?options");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let scratch = runtime
        .block_on(ScratchDatabase::create(&admin))
        .expect("a scratch database (the login needs CREATE DATABASE)");
    let db = runtime
        .block_on(ReadModelDb::open(scratch.url(), projections))
        .expect("the read models open on SQL Server");
    Some(SqlServer {
        db: Some(db),
        scratch: Some(scratch),
        runtime,
    })
}

fn sql_server() -> Option<SqlServer> {
    sql_server_with(vec![contract_projection()])
}

impl SqlServer {
    fn db(&self) -> &ReadModelDb {
        self.db.as_ref().expect("open until dropped")
    }

    fn read<T: Send + 'static>(
        &self,
        query: impl FnOnce(&mut dyn Reader) -> Result<T, DbError> + Send + 'static,
    ) -> T {
        self.runtime.block_on(self.db().read(query)).expect("read")
    }
}

impl Drop for SqlServer {
    fn drop(&mut self) {
        drop(self.db.take());
        if let Some(scratch) = self.scratch.take() {
            let dropped = self.runtime.block_on(scratch.drop_now());
            if let Err(error) = dropped {
                eprintln!("the scratch database was left behind: {error}");
            }
        }
    }
}

impl StoreUnderTest for SqlServer {
    fn write(&self, work: &mut dyn FnMut(&mut dyn Tx) -> Result<(), DbError>) {
        // A failing `work` rolls its transaction back; the contract checks that.
        let _ = self.db().write_for_test(|tx| work(tx));
    }

    fn read(&self, work: ReadWork) -> Vec<String> {
        SqlServer::read(self, work)
    }
}

query::read_model_store_contract_tests!(optional: sql_server);

fn tallies() -> Option<SqlServer> {
    sql_server_with(vec![Box::new(Tallies::default())])
}

/// `tally.added.v1` events adding each amount to its tally, in this order.
fn added(amounts: &[(&str, serde_json::Value)]) -> Vec<EventEnvelope> {
    let mut events = EventFactory::new();
    amounts
        .iter()
        .map(|(id, amount)| events.event(AGGREGATE_TYPE, id, ADDED, json!({ "amount": amount })))
        .collect()
}

/// `(total, applied)` of a tally, as queries see it.
fn tally(server: &SqlServer, id: &'static str) -> Option<(i64, i64)> {
    server.read(move |reader| tallies::tally(reader, id))
}

#[test]
fn a_batch_moves_rows_and_checkpoint_together_and_a_redelivery_changes_nothing() {
    let Some(server) = tallies() else { return };
    let batch = added(&[("t1", json!(2)), ("t1", json!(3)), ("t2", json!(5))]);
    server
        .db()
        .apply(&Members::Active, &batch)
        .expect("applied");
    server
        .db()
        .apply(&Members::Active, &batch)
        .expect("redelivered");
    assert_eq!(tally(&server, "t1"), Some((5, 2)));
    assert_eq!(tally(&server, "t2"), Some((5, 1)));
    let checkpoint = server.db().checkpoint(&Members::Active).expect("read");
    assert_eq!(checkpoint.position, 3);
    assert_eq!(
        checkpoint.hash,
        Some(batch[2].hash),
        "the hash of the event there"
    );
}

#[test]
fn a_malformed_event_is_parked_with_its_streams_later_events_while_the_rest_of_its_batch_applies() {
    let Some(server) = tallies() else { return };
    let batch = added(&[
        ("t1", json!(2)),
        ("t1", json!("lots")),
        ("t2", json!(4)),
        ("t1", json!(3)),
    ]);
    let report = server
        .db()
        .apply(&Members::Active, &batch)
        .expect("applied");
    assert_eq!(report.parked, 2);
    assert_eq!(tally(&server, "t1"), Some((2, 1)));
    assert_eq!(tally(&server, "t2"), Some((4, 1)));
    let parked = server.db().dead_letters("tallies").expect("dead letters");
    let at: Vec<(u64, Option<u64>)> = parked.iter().map(|l| (l.position, l.held_behind)).collect();
    assert_eq!(at, vec![(2, None), (4, Some(2))]);
    assert_eq!(
        server.db().positions().expect("positions"),
        vec![("tallies".to_owned(), 1, 4, 2)]
    );
    let redriven = server
        .db()
        .redrive("tallies", query::store::Redrive::All)
        .expect("redriven");
    assert_eq!(redriven.failed.len(), 1, "the malformed one fails again");
    let discarded = server
        .db()
        .discard("tallies", 2, "never a tally", "ops")
        .expect("discarded");
    assert_eq!(discarded.discarded_by, "ops");
    let redriven = server
        .db()
        .redrive("tallies", query::store::Redrive::All)
        .expect("redriven");
    assert_eq!(redriven.applied.len(), 1, "the held one, released");
    assert_eq!(tally(&server, "t1"), Some((5, 2)));
    assert_eq!(
        server.db().discarded("tallies").expect("discarded").len(),
        1
    );
}

#[test]
fn a_rebuild_fills_the_next_generation_and_switches_once_caught_up() {
    let Some(server) = tallies() else { return };
    let batch = added(&[("t1", json!(2)), ("t2", json!(7))]);
    server.db().apply(&Members::Active, &batch).expect("live");
    let shadow = server
        .db()
        .begin_rebuild(&["tallies".to_owned()])
        .expect("rebuild begun");
    assert_eq!(shadow, Members::Shadow(vec![("tallies".to_owned(), 2)]));
    server
        .db()
        .apply(&shadow, &batch[..1])
        .expect("half replayed");
    assert_eq!(
        server.db().try_swap(&shadow, SwapWhen::CaughtUp),
        Ok(shadow.clone()),
        "still behind"
    );
    server.db().apply(&shadow, &batch[1..]).expect("replayed");
    assert_eq!(
        server.db().try_swap(&shadow, SwapWhen::CaughtUp),
        Ok(Members::Shadow(vec![]))
    );
    assert_eq!(tally(&server, "t2"), Some((7, 1)));
    assert_eq!(
        server.db().positions().expect("positions"),
        vec![("tallies".to_owned(), 2, 2, 0)]
    );
}
