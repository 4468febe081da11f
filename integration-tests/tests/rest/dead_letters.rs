//! Dead letters you can see and redrive (issue 15, ADR 021), end to end: the platform
//! as `cargo run` starts it, with a test double beside its read models — a tally
//! projection whose "poisoned" events fail until the test fixes it — and an operator
//! working through `/api/v1/ops/dead-letters` while `/metrics` follows.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use identity::Role;
use pitlane::platform::{Platform, PlatformConfig};
use query::projection::Projection;
use query::testing::tallies::{ADDED, AGGREGATE_TYPE, POISONED, Tallies};
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Rest, token_for};
use crate::observability::{scrape, value};

/// How many more poisoned tally events fail: only this file's one test sets it.
static FAILURES: LazyLock<Arc<AtomicU32>> = LazyLock::new(|| Arc::new(AtomicU32::new(0)));

fn with_tallies() -> Vec<Box<dyn Projection>> {
    let mut all = query::startup::all_projections();
    all.push(Box::new(Tallies {
        failures_left: FAILURES.clone(),
    }));
    all
}

/// Appends one tally event straight to the log (no command makes tallies) and waits
/// for the read models to have taken it; returns its position.
async fn append(platform: &Platform, tally: &str, event_type: &str, amount: Value) -> u64 {
    let stored = platform
        .store
        .append(es_core::AppendRequest {
            aggregate_type: AGGREGATE_TYPE.into(),
            aggregate_id: tally.into(),
            expected: es_core::ExpectedVersion::Any,
            events: vec![es_core::ProposedEvent::new(
                event_type,
                1,
                json!({ "amount": amount }),
                es_core::envelope::now(),
            )],
            metadata: es_core::EventMetadata::system(),
            idempotency: None,
        })
        .await
        .expect("appended");
    let position = stored[0].position;
    assert!(
        platform
            .read_models
            .wait_for(position, Duration::from_secs(20))
            .await,
        "the read models took position {position}"
    );
    position
}

/// The tally's row as the read model holds it: (total, events applied).
fn tally(data: &std::path::Path, id: &str) -> Option<(i64, i64)> {
    let db = rusqlite::Connection::open(data.join("read-models.db")).expect("read models");
    db.query_row(
        "SELECT total, applied FROM tallies__g1 WHERE tally_id = ?1",
        [id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .ok()
}

fn positions(list: &Value) -> Vec<u64> {
    list.as_array()
        .expect("a list")
        .iter()
        .map(|l| l["position"].as_u64().expect("a position"))
        .collect()
}

async fn metric(ops: &Rest, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    Some(value(&scrape(ops).await?, name, labels))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_sees_parked_events_redrives_them_once_after_a_fix_and_discards_with_a_reason()
{
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let config = PlatformConfig {
        projections: with_tallies,
        ..PlatformConfig::ephemeral(data.clone())
    };
    let platform = Platform::start(config).await.expect("the platform starts");
    let rest = Rest::new(format!("http://{}", platform.rest_addr));
    let ops = rest.with_token(token_for(&platform, "ops-olivia", &[Role::Operator]));
    let planner = rest.with_token(token_for(&platform, "pat", &[Role::Planner]));
    let settled = |outcome: &'static str| {
        let ops = ops.clone();
        async move {
            let labels = [("read_model", "tallies"), ("outcome", outcome)];
            metric(&ops, "pitlane_dead_letters_settled_total", &labels).await
        }
    };
    let before = settled("redriven").await;

    // A poisoned event fails past its retries and is parked; the next event of its
    // stream waits behind it; another stream goes on.
    FAILURES.store(1_000, Ordering::SeqCst);
    let poisoned = append(&platform, "t1", POISONED, json!(5)).await;
    let held = append(&platform, "t1", ADDED, json!(2)).await;
    append(&platform, "t2", ADDED, json!(1)).await;
    assert_eq!(tally(&data, "t2"), Some((1, 1)));
    assert_eq!(tally(&data, "t1"), None);

    let list = ops
        .send(
            Method::GET,
            "/api/v1/ops/dead-letters?read_model=tallies",
            None,
            &[],
        )
        .await
        .expect(200);
    let parked = &list.body["dead_letters"];
    assert_eq!(positions(parked), vec![poisoned, held]);
    assert_eq!(parked[0]["attempts"], 5, "the runtime's attempts");
    assert_eq!(parked[0]["held_behind"], Value::Null);
    assert_eq!(parked[1]["held_behind"], poisoned);
    assert_eq!(parked[0]["stream_id"], "tally-t1");
    let status = ops
        .send(Method::GET, "/api/v1/audit/rebuilds", None, &[])
        .await
        .expect(200);
    let tallies = status.body["read_models"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "tallies")
        .cloned()
        .expect("the tallies' status");
    assert_eq!(tallies["dead_letter_count"], 2);
    let gauge = [("read_model", "tallies")];
    if let Some(parked_now) = metric(&ops, "pitlane_read_model_dead_letters", &gauge).await {
        assert_eq!(parked_now, 2.0);
    }

    // Its envelope, for the operator; not for a planner.
    let path = format!("/api/v1/ops/dead-letters/tallies/{poisoned}");
    let shown = ops.send(Method::GET, &path, None, &[]).await.expect(200);
    assert_eq!(shown.body["envelope"]["event_type"], POISONED);
    assert_eq!(shown.body["envelope"]["payload"]["amount"], 5);
    planner
        .send(Method::GET, &path, None, &[])
        .await
        .expect(403);

    // The later one cannot go first; a planner cannot redrive.
    let early = format!("/api/v1/ops/dead-letters/tallies/{held}/redrive");
    let refused = ops.send(Method::POST, &early, None, &[]).await.expect(409);
    assert!(
        refused.body["detail"]
            .as_str()
            .unwrap()
            .contains("redrive that one first"),
        "{:#}",
        refused.body
    );
    let all = "/api/v1/ops/dead-letters/tallies/redrive";
    planner.send(Method::POST, all, None, &[]).await.expect(403);

    // Redriven before the fix: fails again, nothing applied.
    let again = ops.send(Method::POST, all, None, &[]).await.expect(200);
    assert_eq!(positions(&again.body["failed"]), vec![poisoned]);
    assert_eq!(tally(&data, "t1"), None);

    // Fixed: the stream applies in order, once; a second redrive has nothing to do.
    FAILURES.store(0, Ordering::SeqCst);
    let redriven = ops.send(Method::POST, all, None, &[]).await.expect(200);
    assert_eq!(positions(&redriven.body["redriven"]), vec![poisoned, held]);
    assert_eq!(tally(&data, "t1"), Some((7, 2)));
    let twice = ops.send(Method::POST, all, None, &[]).await.expect(200);
    assert_eq!(positions(&twice.body["redriven"]), Vec::<u64>::new());
    let next = append(&platform, "t1", ADDED, json!(3)).await;
    assert!(next > held);
    assert_eq!(
        tally(&data, "t1"),
        Some((10, 3)),
        "each event applied exactly once"
    );
    if let (Some(before), Some(after)) = (before, settled("redriven").await) {
        assert_eq!(after - before, 2.0, "two dead letters redriven");
        let parked_now = metric(&ops, "pitlane_read_model_dead_letters", &gauge).await;
        assert_eq!(parked_now, Some(0.0));
    }

    // A malformed event cannot be fixed by a redrive: discarded, with a reason.
    let malformed = append(&platform, "t3", ADDED, json!("lots")).await;
    let discard = format!("/api/v1/ops/dead-letters/tallies/{malformed}/discard");
    // Blank, as Rust's `trim` and JSON Schema's pattern both see it (U+0085 is a
    // space to one and a control character to the other).
    for reason in [" ", "\t", "\u{85}"] {
        let blank = ops
            .send(
                Method::POST,
                &discard,
                Some(json!({ "reason": reason })),
                &[],
            )
            .await;
        assert!(
            matches!(blank.status.as_u16(), 400 | 422),
            "{:#}",
            blank.body
        );
        assert_eq!(blank.body["field"], "reason", "{:#}", blank.body);
    }
    let why = "a test payload, never a real tally";
    let discarded = ops
        .send(Method::POST, &discard, Some(json!({ "reason": why })), &[])
        .await
        .expect(200);
    assert_eq!(discarded.body["discarded_by"], "ops-olivia");
    assert_eq!(discarded.body["discard_reason"], why);
    ops.send(Method::POST, &discard, Some(json!({ "reason": why })), &[])
        .await
        .expect(404);
    let list = ops
        .send(Method::GET, "/api/v1/ops/dead-letters", None, &[])
        .await
        .expect(200);
    assert_eq!(positions(&list.body["dead_letters"]), Vec::<u64>::new());
    let recorded = &list.body["discarded"][0];
    assert_eq!(recorded["dead_letter"]["position"], malformed);
    assert_eq!(recorded["discarded_by"], "ops-olivia");
    platform.stop().await.expect("stops");
}
