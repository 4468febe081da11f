//! Verifying `$all` against signed heads (issue 13): what per-stream chains cannot see —
//! a cut tail, a store restored from an older backup, a stream's last events removed
//! with every chain still valid — is named by the heads witnessed outside the store.

use std::path::Path;
use std::sync::Arc;

use chrono::Utc;
use es_core::audit::{self, NoProgress, WitnessProblem, Witnessed};
use es_core::heads::{HeadKey, LogDigest, SignedHead, TrustedKeys};
use es_core::testing::counter::{Counter, CounterCommand};
use es_core::{Actor, EventMetadata, EventStore, Repository, SqliteEventStore};
use tempfile::TempDir;

/// A store file of nine events in three interleaved streams:
/// positions a1 b1 a2 c1 b2 a3 c2 a4 b3.
async fn nine_events(dir: &TempDir) -> Arc<SqliteEventStore> {
    let store = Arc::new(SqliteEventStore::open(dir.path().join("events.db")).unwrap());
    let repository = Repository::<Counter>::new(store.clone());
    let meta = EventMetadata {
        correlation_id: "c".into(),
        causation_id: "c".into(),
        actor: Actor::new("ada", "planner"),
        traceparent: None,
    };
    for id in ["a", "b", "a", "c", "b", "a", "c", "a", "b"] {
        repository
            .execute(id, CounterCommand::Increment { by: 1 }, &meta)
            .await
            .unwrap();
    }
    store
}

/// Heads of the store's log at `positions`, signed with `key`.
async fn heads_at(store: &dyn EventStore, key: &HeadKey, positions: &[u64]) -> Vec<SignedHead> {
    let mut digest = LogDigest::genesis();
    let mut heads = Vec::new();
    for event in store.read_all(0, 1_000).await.unwrap() {
        digest.advance(event.position, &event.hash);
        if positions.contains(&event.position) {
            heads.push(key.sign(&digest, Utc::now()));
        }
    }
    heads
}

fn key(dir: &Path, name: &str) -> HeadKey {
    HeadKey::load_or_create(&dir.join(name)).unwrap()
}

fn tamper(dir: &TempDir, sql: &str) {
    let conn = rusqlite::Connection::open(dir.path().join("events.db")).unwrap();
    conn.execute_batch(sql).unwrap();
}

async fn verify(dir: &TempDir, heads: Vec<SignedHead>, trusted: &HeadKey) -> audit::VerifyReport {
    let witnessed = Witnessed {
        heads,
        trusted: TrustedKeys::new(vec![trusted.trusted()]),
    };
    // The file as it is now, read as stored.
    let path = dir.path().join("events.db");
    audit::verify_witnessed(audit::Source::SqliteFile(&path), witnessed, NoProgress)
        .await
        .unwrap()
}

#[tokio::test]
async fn the_log_that_was_witnessed_verifies_with_every_head_checked() {
    let dir = tempfile::tempdir().unwrap();
    let store = nine_events(&dir).await;
    let key = key(dir.path(), "heads.key");
    let heads = heads_at(&*store, &key, &[4, 9]).await;
    let report = verify(&dir, heads, &key).await;
    let witness = report.witness.clone().expect("checked against heads");
    assert_eq!(witness.heads_checked, 2);
    assert_eq!(witness.newest.map(|h| h.position), Some(9));
    assert_eq!(witness.problem, None);
    assert!(report.is_intact());
}

#[tokio::test]
async fn a_cut_tail_is_named_with_the_missing_positions_and_when_its_head_was_signed() {
    let dir = tempfile::tempdir().unwrap();
    let store = nine_events(&dir).await;
    let key = key(dir.path(), "heads.key");
    let heads = heads_at(&*store, &key, &[4, 9]).await;
    // Positions 7–9 are each the last event of its stream: every chain still holds.
    tamper(&dir, "DELETE FROM events WHERE position > 6");
    let report = verify(&dir, heads.clone(), &key).await;
    assert_eq!(report.first_break, None, "the chains cannot see it");
    let problem = report.witness.unwrap().problem.expect("the heads can");
    assert_eq!(
        problem,
        WitnessProblem::Missing {
            log_ends_at: 6,
            head: heads[1].clone()
        }
    );
    assert!(
        problem.to_string().starts_with(&format!(
            "the log ends at position 6, but its head was signed at position 9 on {}: events 7 to 9 are missing",
            heads[1].signed_at
        )),
        "{problem}"
    );
}

#[tokio::test]
async fn a_stream_tail_removed_inside_the_log_is_a_log_that_differs_at_the_next_head() {
    let dir = tempfile::tempdir().unwrap();
    let store = nine_events(&dir).await;
    let key = key(dir.path(), "heads.key");
    let heads = heads_at(&*store, &key, &[4, 9]).await;
    // counter-c v2 (position 7) was the last event of its stream.
    tamper(&dir, "DELETE FROM events WHERE position = 7");
    let report = verify(&dir, heads.clone(), &key).await;
    assert_eq!(report.first_break, None);
    let witness = report.witness.unwrap();
    assert_eq!(witness.heads_checked, 1, "the head at 4 still holds");
    match witness.problem {
        Some(WitnessProblem::Differs { head, .. }) => assert_eq!(head, heads[1]),
        other => panic!("expected the log to differ at 9: {other:?}"),
    }
}

#[tokio::test]
async fn a_head_no_trusted_key_signed_is_reported_and_not_believed() {
    let dir = tempfile::tempdir().unwrap();
    let store = nine_events(&dir).await;
    let key = key(dir.path(), "heads.key");
    let forger = self::key(dir.path(), "forged.key");
    let mut heads = heads_at(&*store, &key, &[4]).await;
    heads.extend(heads_at(&*store, &forger, &[9]).await);
    let report = verify(&dir, heads, &key).await;
    assert!(!report.is_intact());
    let witness = report.witness.unwrap();
    assert_eq!(witness.heads_checked, 1);
    assert!(
        matches!(&witness.problem, Some(WitnessProblem::Untrusted { head, .. }) if head.position == 9),
        "{:?}",
        witness.problem
    );
}

#[tokio::test]
async fn a_rewritten_event_with_its_chain_recomputed_is_a_log_that_differs_from_its_head() {
    let dir = tempfile::tempdir().unwrap();
    let store = nine_events(&dir).await;
    let key = key(dir.path(), "heads.key");
    let heads = heads_at(&*store, &key, &[9]).await;
    // counter-c v2 (position 7) is the last of its stream: rewritten and re-hashed,
    // its chain holds.
    let mut forged = store.read_stream("counter-c", 2, 1).await.unwrap()[0].clone();
    forged.payload = serde_json::json!({"by": 1000});
    forged.hash = es_core::hash::compute_hash(&forged);
    tamper(
        &dir,
        &format!(
            "UPDATE events SET payload = '{{\"by\":1000}}', hash = X'{}' WHERE position = 7",
            forged.hash
        ),
    );
    let report = verify(&dir, heads, &key).await;
    assert_eq!(report.first_break, None, "every chain holds");
    let problem = report.witness.unwrap().problem.expect("the head does not");
    assert_eq!(problem.kind(), "differs");
    assert!(
        problem
            .to_string()
            .starts_with("the log up to position 9 is not the one signed on"),
        "{problem}"
    );
}

async fn witnessed_export(dir: &TempDir, heads: Vec<SignedHead>, trusted: &HeadKey) -> Vec<u8> {
    let witnessed = Witnessed {
        heads,
        trusted: TrustedKeys::new(vec![trusted.trusted()]),
    };
    let path = dir.path().join("events.db");
    let mut file = Vec::new();
    let mut sink = Lines(&mut file);
    audit::export_witnessed_to(
        audit::Source::SqliteFile(&path),
        witnessed,
        &mut sink,
        NoProgress,
    )
    .await
    .unwrap();
    file
}

/// An export sink over a byte buffer.
struct Lines<'a>(&'a mut Vec<u8>);

impl audit::ExportSink for Lines<'_> {
    fn write(&mut self, bytes: &[u8]) -> impl Future<Output = std::io::Result<()>> + Send {
        self.0.extend_from_slice(bytes);
        std::future::ready(Ok(()))
    }
}

#[tokio::test]
async fn a_whole_log_export_carries_its_newest_head_and_verifies_offline_against_it() {
    let dir = tempfile::tempdir().unwrap();
    let store = nine_events(&dir).await;
    let key = key(dir.path(), "heads.key");
    let heads = heads_at(&*store, &key, &[4, 8]).await;
    let file = witnessed_export(&dir, heads.clone(), &key).await;
    assert!(file.starts_with(b"{\"witness\":{\"head\":{\"position\":8,"));

    let report = audit::verify_export(&file[..], NoProgress).unwrap();
    assert_eq!(report.first_problem, None);
    assert_eq!(
        report.events_checked, 9,
        "events after the head are exported too"
    );
    let (header, witness) = report.witness.expect("the witness line is read");
    assert_eq!(header.head, heads[1]);
    assert_eq!(witness.heads_checked, 1);
}

#[tokio::test]
async fn an_export_whose_events_were_rewritten_consistently_no_longer_matches_its_head() {
    let dir = tempfile::tempdir().unwrap();
    let store = nine_events(&dir).await;
    let key = key(dir.path(), "heads.key");
    let heads = heads_at(&*store, &key, &[9]).await;
    let file = witnessed_export(&dir, heads, &key).await;
    // The last line of counter-b (position 9) rewritten with its hash recomputed, and
    // the trailer's last hash fixed to match: every chain and the trailer hold.
    let text = String::from_utf8(file).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let mut forged = store.read_stream("counter-b", 3, 1).await.unwrap()[0].clone();
    let original = forged.hash.to_hex();
    forged.payload = serde_json::json!({"by": 1000});
    forged.hash = es_core::hash::compute_hash(&forged);
    let event_line = lines.len() - 2;
    lines[event_line] = lines[event_line]
        .replace("{\"by\":1}", "{\"by\":1000}")
        .replace(&original, &forged.hash.to_hex());
    let trailer = lines.len() - 1;
    lines[trailer] = lines[trailer].replace(&original, &forged.hash.to_hex());
    let forged_file = lines.join("\n") + "\n";

    let report = audit::verify_export(forged_file.as_bytes(), NoProgress).unwrap();
    match report.first_problem {
        Some(audit::ExportProblem::Witness { problem, .. }) => {
            assert_eq!(problem.kind(), "differs")
        }
        other => panic!("expected the head to object: {other:?}"),
    }
}
