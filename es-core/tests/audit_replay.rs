//! The auditors' history, state as of any moment, diff and trace (issue 7), on a real
//! SQLite store file, read through the port and through the lean file reader alike.

use std::path::PathBuf;
use std::sync::Arc;

use es_core::audit::{
    self, AsOf, AuditError, Filter, HistoryQuery, Replayers, Scope, Source, StateAt,
};
use es_core::envelope::now;
use es_core::testing::counter::{self, Counter, CounterCommand};
use es_core::{
    Actor, AppendRequest, EventEnvelope, EventMetadata, EventStore, ExpectedVersion, ProposedEvent,
    Repository, SqliteEventStore, Vault,
};
use serde_json::{Value, json};
use tempfile::TempDir;

struct Fixture {
    _dir: TempDir,
    path: PathBuf,
    store: Arc<SqliteEventStore>,
}

impl Fixture {
    /// Both ways an audit reads the store.
    fn sources(&self) -> [Source<'_>; 2] {
        [
            Source::Store(self.store.as_ref()),
            Source::SqliteFile(&self.path),
        ]
    }
}

fn metadata(correlation: &str, causation: &str, subject: &str) -> EventMetadata {
    EventMetadata {
        correlation_id: correlation.into(),
        causation_id: causation.into(),
        actor: Actor::new(subject, "planner"),
        traceparent: None,
    }
}

fn replayers() -> Replayers {
    Replayers::new().with::<Counter>(Arc::new(counter::upcasters()))
}

/// `counter-a` incremented by 1, 3, 6, 8 (v1..4), `counter-b` by 2, 5 (v1..2),
/// interleaved; even requests by ada, odd ones by kate.
async fn counters() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.db");
    let store = Arc::new(SqliteEventStore::open(&path).unwrap());
    let repository = Repository::<Counter>::new(store.clone());
    let plan = [("a", 1), ("b", 2), ("a", 3), ("b", 5), ("a", 6), ("a", 8)];
    for (i, (id, by)) in plan.iter().enumerate() {
        let request = format!("req-{i}");
        let meta = metadata(&request, &request, if i % 2 == 0 { "ada" } else { "kate" });
        repository
            .execute(id, CounterCommand::Increment { by: *by }, &meta)
            .await
            .unwrap();
    }
    Fixture {
        _dir: dir,
        path,
        store,
    }
}

async fn append(
    store: &SqliteEventStore,
    (aggregate_type, id): (&str, &str),
    event_type: &str,
    schema_version: u32,
    payload: Value,
    meta: EventMetadata,
) -> EventEnvelope {
    let request = AppendRequest {
        aggregate_type: aggregate_type.into(),
        aggregate_id: id.into(),
        expected: ExpectedVersion::Any,
        events: vec![ProposedEvent::new(
            event_type,
            schema_version,
            payload,
            now(),
        )],
        metadata: meta,
        idempotency: None,
    };
    store.append(request).await.unwrap().remove(0)
}

fn page(scope: Scope, filter: Filter, after: u64, limit: usize) -> HistoryQuery {
    HistoryQuery {
        scope,
        filter,
        after,
        limit,
    }
}

fn stream(id: &str) -> Scope {
    Scope::Stream(id.to_owned())
}

#[tokio::test]
async fn a_streams_history_pages_in_version_order_with_whole_envelopes() {
    let fixture = counters().await;
    for source in fixture.sources() {
        let first = audit::history(
            source,
            None,
            &page(stream("counter-a"), Filter::default(), 0, 3),
        )
        .await
        .unwrap();
        let versions: Vec<u64> = first.events.iter().map(|e| e.version).collect();
        assert_eq!(versions, [1, 2, 3]);
        assert_eq!(first.next, Some(3));
        assert_eq!(first.events[1].correlation_id, "req-2");
        assert_eq!(first.events[1].actor.subject, "ada");
        assert_eq!(first.events[1].payload, json!({"by": 3}));

        let rest = audit::history(
            source,
            None,
            &page(stream("counter-a"), Filter::default(), 3, 3),
        )
        .await
        .unwrap();
        assert_eq!(
            rest.events.iter().map(|e| e.version).collect::<Vec<_>>(),
            [4]
        );
        assert_eq!(rest.next, None, "nothing follows the last page");
    }
}

#[tokio::test]
async fn the_history_of_all_keeps_only_what_the_filter_names_across_streams() {
    let fixture = counters().await;
    let by_kate = Filter {
        actor_subject: Some("kate".into()),
        ..Filter::default()
    };
    for source in fixture.sources() {
        let found = audit::history(source, None, &page(Scope::All, by_kate.clone(), 0, 100))
            .await
            .unwrap();
        let picked: Vec<(&str, u64)> = found
            .events
            .iter()
            .map(|e| (e.stream_id.as_str(), e.version))
            .collect();
        assert_eq!(
            picked,
            [("counter-b", 1), ("counter-b", 2), ("counter-a", 4)]
        );
        assert_eq!(found.scanned, 6);
        assert_eq!(found.next, None);
    }
}

#[tokio::test]
async fn a_full_page_of_all_returns_the_cursor_of_its_last_event_read() {
    let fixture = counters().await;
    let first = audit::history(
        fixture.sources()[1],
        None,
        &page(Scope::All, Filter::default(), 0, 2),
    )
    .await
    .unwrap();
    assert_eq!(first.events.len(), 2);
    let cursor = first.next.unwrap();
    assert_eq!(cursor, first.events[1].position);
    let second = audit::history(
        fixture.sources()[1],
        None,
        &page(Scope::All, Filter::default(), cursor, 100),
    )
    .await
    .unwrap();
    assert_eq!(
        second.events.len(),
        4,
        "the pages together hold all six events once"
    );
    assert!(second.events[0].position > cursor);
}

#[tokio::test]
async fn an_unknown_stream_has_no_history_state_or_diff() {
    let fixture = counters().await;
    for source in fixture.sources() {
        let history = audit::history(
            source,
            None,
            &page(stream("counter-zz"), Filter::default(), 0, 10),
        )
        .await;
        assert!(matches!(history, Err(AuditError::UnknownStream(id)) if id == "counter-zz"));
        let state =
            audit::state_as_of(source, None, &replayers(), "counter-zz", AsOf::Latest).await;
        assert!(matches!(state, Err(AuditError::UnknownStream(_))));
        let diff = audit::diff(source, None, &replayers(), "counter-zz", 0, Some(1)).await;
        assert!(matches!(diff, Err(AuditError::UnknownStream(_))));
    }
}

#[tokio::test]
async fn a_page_size_out_of_range_is_refused_naming_limit() {
    let fixture = counters().await;
    for limit in [0, audit::MAX_PAGE + 1] {
        let refused = audit::history(
            fixture.sources()[0],
            None,
            &page(Scope::All, Filter::default(), 0, limit),
        )
        .await;
        assert!(
            matches!(refused, Err(AuditError::Invalid { field: "limit", .. })),
            "{limit}"
        );
    }
}

fn value(state: &StateAt) -> (u64, u64) {
    (
        state.state["value"].as_u64().unwrap(),
        state.state["increments"].as_u64().unwrap(),
    )
}

#[tokio::test]
async fn the_state_as_of_a_version_applies_exactly_the_events_up_to_it() {
    let fixture = counters().await;
    for source in fixture.sources() {
        let at_2 = audit::state_as_of(source, None, &replayers(), "counter-a", AsOf::Version(2))
            .await
            .unwrap();
        assert_eq!(value(&at_2), (4, 2));
        assert_eq!((at_2.version, at_2.current_version), (2, 4));
        assert_eq!(at_2.aggregate_type, "counter");
        assert_eq!(at_2.last_event.unwrap().correlation_id, "req-2");

        let latest = audit::state_as_of(source, None, &replayers(), "counter-a", AsOf::Latest)
            .await
            .unwrap();
        assert_eq!(value(&latest), (18, 4));
    }
}

#[tokio::test]
async fn the_state_as_of_an_instant_applies_the_events_recorded_until_then() {
    let fixture = counters().await;
    let events = fixture.store.read_stream("counter-a", 1, 10).await.unwrap();
    for source in fixture.sources() {
        let at = AsOf::Time(events[2].recorded_at);
        let state = audit::state_as_of(source, None, &replayers(), "counter-a", at)
            .await
            .unwrap();
        assert_eq!(state.version, 3);
        assert_eq!(value(&state), (10, 3));

        let before = events[0].recorded_at - chrono::Duration::seconds(1);
        let empty = audit::state_as_of(source, None, &replayers(), "counter-a", AsOf::Time(before))
            .await
            .unwrap();
        assert_eq!(
            empty.version, 0,
            "before the first event the aggregate did not exist"
        );
        assert_eq!(value(&empty), (0, 0));
        assert!(empty.last_event.is_none());
    }
}

#[tokio::test]
async fn a_version_past_the_last_is_refused_naming_both() {
    let fixture = counters().await;
    let refused = audit::state_as_of(
        fixture.sources()[1],
        None,
        &replayers(),
        "counter-a",
        AsOf::Version(9),
    )
    .await;
    assert!(matches!(
        refused,
        Err(AuditError::NoSuchVersion {
            requested: 9,
            current: 4,
            ..
        })
    ));
}

#[tokio::test]
async fn old_payload_schemas_are_upcast_when_the_state_is_replayed() {
    let fixture = counters().await;
    let meta = metadata("req-old", "req-old", "ada");
    append(
        &fixture.store,
        ("counter", "old"),
        "counter.incremented.v1",
        1,
        json!({"amount": 5}),
        meta,
    )
    .await;
    let state = audit::state_as_of(
        fixture.sources()[0],
        None,
        &replayers(),
        "counter-old",
        AsOf::Latest,
    )
    .await
    .unwrap();
    assert_eq!(value(&state), (5, 1));
}

#[tokio::test]
async fn an_aggregate_type_without_a_replayer_is_named() {
    let fixture = counters().await;
    let meta = metadata("req-g", "req-g", "ada");
    append(
        &fixture.store,
        ("gauge", "g1"),
        "gauge.read.v1",
        1,
        json!({"n": 1}),
        meta,
    )
    .await;
    let refused = audit::state_as_of(
        fixture.sources()[0],
        None,
        &replayers(),
        "gauge-g1",
        AsOf::Latest,
    )
    .await;
    assert!(matches!(refused, Err(AuditError::UnknownAggregateType(t)) if t == "gauge"));
}

#[tokio::test]
async fn a_diff_names_each_changed_field_with_both_values_and_the_events_that_changed_it() {
    let fixture = counters().await;
    for source in fixture.sources() {
        let diff = audit::diff(source, None, &replayers(), "counter-a", 1, Some(3))
            .await
            .unwrap();
        assert_eq!(
            diff.events.iter().map(|e| e.version).collect::<Vec<_>>(),
            [2, 3]
        );
        let changes: Vec<(&str, Value, Value, Vec<u64>)> = diff
            .changes
            .iter()
            .map(|c| {
                (
                    c.path.as_str(),
                    c.before.clone().unwrap(),
                    c.after.clone().unwrap(),
                    c.changed_by.iter().map(|e| e.version).collect(),
                )
            })
            .collect();
        assert_eq!(
            changes,
            [
                ("/increments", json!(1), json!(3), vec![2, 3]),
                ("/value", json!(1), json!(10), vec![2, 3]),
            ]
        );
    }
}

#[tokio::test]
async fn a_diff_from_before_the_first_event_starts_at_the_initial_state() {
    let fixture = counters().await;
    let diff = audit::diff(
        fixture.sources()[1],
        None,
        &replayers(),
        "counter-b",
        0,
        None,
    )
    .await
    .unwrap();
    let value = diff.changes.iter().find(|c| c.path == "/value").unwrap();
    assert_eq!(
        (value.before.clone(), value.after.clone()),
        (Some(json!(0)), Some(json!(7)))
    );
}

#[tokio::test]
async fn a_diff_backwards_or_past_the_end_is_refused() {
    let fixture = counters().await;
    let backwards = audit::diff(
        fixture.sources()[0],
        None,
        &replayers(),
        "counter-a",
        3,
        Some(1),
    )
    .await;
    assert!(matches!(
        backwards,
        Err(AuditError::Invalid { field: "from", .. })
    ));
    let past = audit::diff(
        fixture.sources()[0],
        None,
        &replayers(),
        "counter-a",
        1,
        Some(7),
    )
    .await;
    assert!(matches!(
        past,
        Err(AuditError::NoSuchVersion { requested: 7, .. })
    ));
}

#[tokio::test]
async fn a_trace_holds_every_event_of_the_request_in_causal_order_across_streams() {
    let fixture = counters().await;
    let store = fixture.store.as_ref();
    // One request: a command on x, whose event causes one on y, which causes one on z;
    // a second command of the same request appends to x again afterwards.
    let x1 = append(
        store,
        ("route", "x"),
        "route.planned.v1",
        1,
        json!({}),
        metadata("req-t", "cmd-1", "ada"),
    )
    .await;
    let _noise = append(
        store,
        ("route", "q"),
        "route.planned.v1",
        1,
        json!({}),
        metadata("req-other", "cmd-9", "ada"),
    )
    .await;
    let x2 = append(
        store,
        ("route", "x"),
        "route.started.v1",
        1,
        json!({}),
        metadata("req-t", "cmd-2", "ada"),
    )
    .await;
    let y1 = append(
        store,
        ("delivery", "y"),
        "delivery.created.v1",
        1,
        json!({}),
        metadata("req-t", &x1.event_id.to_string(), "ada"),
    )
    .await;
    let z1 = append(
        store,
        ("delivery", "z"),
        "delivery.created.v1",
        1,
        json!({}),
        metadata("req-t", &y1.event_id.to_string(), "ada"),
    )
    .await;
    for source in fixture.sources() {
        let trace = audit::trace(source, None, "req-t").await.unwrap();
        let steps: Vec<(uuid::Uuid, usize, Option<uuid::Uuid>)> = trace
            .steps
            .iter()
            .map(|s| (s.event.event_id, s.depth, s.caused_by))
            .collect();
        assert_eq!(
            steps,
            [
                (x1.event_id, 0, None),
                (y1.event_id, 1, Some(x1.event_id)),
                (z1.event_id, 2, Some(y1.event_id)),
                (x2.event_id, 0, None),
            ]
        );
        assert_eq!(trace.streams, ["route-x", "delivery-y", "delivery-z"]);
    }
}

#[tokio::test]
async fn a_correlation_id_nothing_carries_is_an_empty_trace() {
    let fixture = counters().await;
    for source in fixture.sources() {
        let trace = audit::trace(source, None, "req-never").await.unwrap();
        assert!(trace.steps.is_empty());
    }
}

#[tokio::test]
async fn history_opens_personal_data_with_the_vault_and_shows_it_erased_after_the_key_is_gone() {
    let fixture = counters().await;
    let vault = Vault::in_memory();
    let mut payload = json!({"personal_data": {"name": "Ada Lovelace"}, "tier": "gold"});
    vault
        .seal_payload("customer-c1", &mut payload)
        .await
        .unwrap();
    append(
        &fixture.store,
        ("customer", "c1"),
        "customer.registered.v1",
        1,
        payload,
        metadata("req-c", "cmd-c", "ada"),
    )
    .await;
    let query = page(stream("customer-c1"), Filter::default(), 0, 10);
    let source = fixture.sources()[1];

    let sealed = audit::history(source, None, &query).await.unwrap();
    assert_eq!(
        sealed.events[0].payload["personal_data"]["alg"], "A256GCM",
        "without the vault it stays sealed"
    );
    let clear = audit::history(source, Some(&vault), &query).await.unwrap();
    assert_eq!(
        clear.events[0].payload["personal_data"]["name"],
        "Ada Lovelace"
    );

    vault.erase("customer-c1").await.unwrap();
    let erased = audit::history(source, Some(&vault), &query).await.unwrap();
    assert_eq!(erased.events[0].payload["personal_data"], Value::Null);
    assert_eq!(
        erased.events[0].payload["tier"], "gold",
        "only personal data is erased"
    );
    let report = audit::verify(source, &Scope::All, audit::NoProgress)
        .await
        .unwrap();
    assert!(
        report.first_break.is_none(),
        "erasure leaves the chain intact"
    );
}
