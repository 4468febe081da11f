//! The auditors' verify and export (issue 7), on a real SQLite store file. Every verify
//! runs twice, through the port (`&dyn EventStore`) and through the lean file reader
//! (`&SqliteEventStore`), and both must name the same broken link.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use es_core::audit::{
    self, Break, BrokenLink, ExportLine, ExportProblem, ExportReport, Filter, NoProgress, Progress,
    Scope, VerifyReport,
};
use es_core::envelope::now;
use es_core::testing::counter::{Counter, CounterCommand};
use es_core::{
    Actor, AppendRequest, EventEnvelope, EventMetadata, EventStore, ExpectedVersion, ProposedEvent,
    Repository, SqliteEventStore,
};
use serde_json::json;
use tempfile::TempDir;

/// A store file holding three counters whose events interleave in `$all`:
/// `counter-a` v1..4, `counter-b` v1..3, `counter-c` v1..2.
struct Fixture {
    _dir: TempDir,
    path: PathBuf,
    store: Arc<SqliteEventStore>,
}

fn metadata(correlation: &str, subject: &str) -> EventMetadata {
    EventMetadata {
        correlation_id: correlation.into(),
        causation_id: correlation.into(),
        actor: Actor::new(subject, "planner"),
        traceparent: None,
    }
}

async fn counters() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.db");
    let store = Arc::new(SqliteEventStore::open(&path).unwrap());
    let repository = Repository::<Counter>::new(store.clone());
    let plan = [("a", 1), ("b", 2), ("a", 3), ("c", 4), ("b", 5), ("a", 6)];
    let plan = plan.iter().chain(&[("c", 7), ("a", 8), ("b", 9)]);
    for (i, (id, by)) in plan.enumerate() {
        let meta = metadata(&format!("req-{i}"), if i % 2 == 0 { "ada" } else { "kate" });
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

/// Changes one character of one stored text column of one row, behind the store's
/// back, as a disk fault or an attacker would.
fn flip_one_character(path: &Path, stream_id: &str, version: u64, column: &str) {
    let conn = rusqlite::Connection::open(path).unwrap();
    let select = format!("SELECT {column} FROM events WHERE stream_id = ?1 AND version = ?2");
    let text: String = conn
        .query_row(
            &select,
            rusqlite::params![stream_id, version as i64],
            |row| row.get(0),
        )
        .unwrap();
    // The last digit, or else the last letter, changes to another of its kind.
    let (at, old) = text
        .char_indices()
        .rev()
        .find(|(_, c)| c.is_ascii_digit())
        .or_else(|| {
            text.char_indices()
                .rev()
                .find(|(_, c)| c.is_ascii_lowercase())
        })
        .unwrap();
    let new = match old {
        '9' => '8',
        'z' => 'y',
        c => (c as u8 + 1) as char,
    };
    let mut changed = text.clone();
    changed.replace_range(at..at + 1, &new.to_string());
    assert_eq!(changed.len(), text.len(), "one byte changed, no more");
    tamper(
        path,
        &format!(
            "UPDATE events SET {column} = '{}' WHERE stream_id = '{stream_id}' AND version = {version}",
            changed.replace('\'', "''")
        ),
    );
}

fn tamper(path: &Path, sql: &str) {
    let conn = rusqlite::Connection::open(path).unwrap();
    assert_eq!(
        conn.execute(sql, []).unwrap(),
        1,
        "exactly one row tampered"
    );
}

/// Verifies through both readers and checks they agree; returns the port's report.
async fn verify_both(store: &SqliteEventStore, scope: &Scope) -> VerifyReport {
    let port = audit::verify(audit::Source::Store(store), scope, NoProgress)
        .await
        .unwrap();
    let file = audit::verify(store, scope, NoProgress).await.unwrap();
    let mut file_as_port = file.clone();
    if let Some(BrokenLink {
        position,
        problem: Break::Unreadable { .. },
        ..
    }) = &mut file_as_port.first_break
    {
        // Only the file reader can name the position (and its own reason).
        assert!(position.is_some(), "{file:?}");
        *position = None;
        if let Some(b) = &port.first_break {
            file_as_port.first_break.as_mut().unwrap().problem = b.problem.clone();
        }
    }
    assert_eq!(file_as_port, port, "port and file readers disagree");
    port
}

fn broken_at(report: &VerifyReport) -> (&str, u64) {
    let link = report.first_break.as_ref().expect("a broken link");
    (link.stream_id.as_str(), link.version)
}

async fn position_of(store: &SqliteEventStore, stream_id: &str, version: u64) -> u64 {
    store.read_stream(stream_id, version, 1).await.unwrap()[0].position
}

async fn export_of(store: &SqliteEventStore, scope: &Scope, filter: &Filter) -> String {
    let mut out = Vec::new();
    audit::export(store, scope, filter, &mut out, NoProgress)
        .await
        .unwrap();
    String::from_utf8(out).unwrap()
}

fn verify_text(text: &str) -> ExportReport {
    audit::verify_export(text.as_bytes(), NoProgress).unwrap()
}

async fn all_events(store: &SqliteEventStore) -> Vec<EventEnvelope> {
    store.read_all(0, 1_000).await.unwrap()
}

#[tokio::test]
async fn a_clean_store_verifies_with_every_event_and_stream_counted() {
    let f = counters().await;
    let report = verify_both(&f.store, &Scope::All).await;
    assert_eq!(
        report,
        VerifyReport {
            events_checked: 9,
            streams_checked: 3,
            last_position: 9,
            first_break: None,
            witness: None,
        }
    );
    assert!(report.is_intact());
}

#[tokio::test]
async fn one_stream_verifies_alone_and_an_unknown_one_as_empty() {
    let f = counters().await;
    let report = verify_both(&f.store, &Scope::Stream("counter-b".into())).await;
    assert_eq!((report.events_checked, report.streams_checked), (3, 1));
    assert!(report.is_intact());
    let unknown = verify_both(&f.store, &Scope::Stream("counter-zz".into())).await;
    assert_eq!((unknown.events_checked, unknown.is_intact()), (0, true));
}

#[tokio::test]
async fn one_flipped_byte_in_a_payload_names_exactly_that_stream_and_version() {
    let f = counters().await;
    flip_one_character(&f.path, "counter-b", 2, "payload");
    let report = verify_both(&f.store, &Scope::All).await;
    let link = report.first_break.clone().unwrap();
    assert_eq!(broken_at(&report), ("counter-b", 2));
    assert_eq!(
        link.position,
        Some(position_of(&f.store, "counter-b", 2).await)
    );
    assert!(
        matches!(link.problem, Break::Hash { expected, found } if expected != found),
        "{link}"
    );
    assert_eq!(
        report.events_checked,
        link.position.unwrap() - 1,
        "everything before it held"
    );
}

#[tokio::test]
async fn one_flipped_byte_in_any_hashed_column_is_found() {
    for column in [
        "event_id",
        "aggregate_id",
        "event_type",
        "occurred_at",
        "recorded_at",
        "correlation_id",
        "actor_subject",
        "actor_role",
    ] {
        let f = counters().await;
        flip_one_character(&f.path, "counter-a", 3, column);
        let report = verify_both(&f.store, &Scope::All).await;
        assert_eq!(broken_at(&report), ("counter-a", 3), "column {column}");
    }
}

#[tokio::test]
async fn a_flipped_byte_in_the_stream_alone_is_found_when_verifying_that_stream() {
    let f = counters().await;
    flip_one_character(&f.path, "counter-a", 4, "payload");
    let report = verify_both(&f.store, &Scope::Stream("counter-a".into())).await;
    assert_eq!(broken_at(&report), ("counter-a", 4));
    assert_eq!(report.events_checked, 3);
    let other = verify_both(&f.store, &Scope::Stream("counter-c".into())).await;
    assert!(other.is_intact());
}

#[tokio::test]
async fn a_row_that_no_longer_decodes_is_a_broken_link_not_an_error() {
    let f = counters().await;
    tamper(
        &f.path,
        "UPDATE events SET occurred_at = 'yesterday' WHERE stream_id = 'counter-c' AND version = 2",
    );
    let report = verify_both(&f.store, &Scope::All).await;
    assert_eq!(broken_at(&report), ("counter-c", 2));
    let link = report.first_break.as_ref().unwrap();
    assert!(
        matches!(&link.problem, Break::Unreadable { reason } if reason.contains("occurred_at")),
        "{link}"
    );
    assert_eq!(
        report.events_checked,
        position_of(&f.store, "counter-a", 3).await,
        "the events before the damaged row (counter-a v3 is the last) were all checked"
    );
    let file = audit::verify(&*f.store, &Scope::All, NoProgress)
        .await
        .unwrap();
    assert_eq!(
        file.first_break.unwrap().position,
        Some(report.events_checked + 1),
        "the file reader also names its position"
    );
}

#[tokio::test]
async fn a_payload_that_is_no_longer_json_is_named() {
    let f = counters().await;
    tamper(
        &f.path,
        "UPDATE events SET payload = '{\"by\":5' WHERE stream_id = 'counter-b' AND version = 2",
    );
    let report = verify_both(&f.store, &Scope::All).await;
    assert_eq!(broken_at(&report), ("counter-b", 2));
    assert!(matches!(
        report.first_break.unwrap().problem,
        Break::Unreadable { .. }
    ));
}

#[tokio::test]
async fn a_deleted_row_is_reported_as_a_version_gap() {
    let f = counters().await;
    let after_gap = position_of(&f.store, "counter-a", 3).await;
    tamper(
        &f.path,
        "DELETE FROM events WHERE stream_id = 'counter-a' AND version = 2",
    );
    let report = verify_both(&f.store, &Scope::All).await;
    let link = report.first_break.unwrap();
    assert_eq!((link.stream_id.as_str(), link.version), ("counter-a", 3));
    assert_eq!(link.position, Some(after_gap));
    assert_eq!(
        link.problem,
        Break::Version {
            expected: 2,
            found: 3
        }
    );
    assert!(link.to_string().contains("version gap"), "{link}");
}

#[tokio::test]
async fn a_deleted_first_event_is_a_gap_at_the_start_of_the_stream() {
    let f = counters().await;
    tamper(
        &f.path,
        "DELETE FROM events WHERE stream_id = 'counter-c' AND version = 1",
    );
    let report = verify_both(&f.store, &Scope::Stream("counter-c".into())).await;
    assert_eq!(
        report.first_break.unwrap().problem,
        Break::Version {
            expected: 1,
            found: 2
        }
    );
}

#[tokio::test]
async fn a_rehashed_event_breaks_the_link_to_its_successor() {
    // Someone changes a payload and recomputes that event's hash: the event itself
    // holds, the next one's prev_hash no longer matches.
    let f = counters().await;
    let mut forged = f.store.read_stream("counter-a", 2, 1).await.unwrap()[0].clone();
    forged.payload = json!({"by": 1000});
    forged.hash = es_core::hash::compute_hash(&forged);
    tamper(
        &f.path,
        &format!(
            "UPDATE events SET payload = '{{\"by\":1000}}', hash = X'{}' \
             WHERE stream_id = 'counter-a' AND version = 2",
            forged.hash
        ),
    );
    let report = verify_both(&f.store, &Scope::All).await;
    let link = report.first_break.unwrap();
    assert_eq!((link.stream_id.as_str(), link.version), ("counter-a", 3));
    assert_eq!(
        link.problem,
        Break::PrevHash {
            expected: forged.hash,
            found: f.store.read_stream("counter-a", 3, 1).await.unwrap()[0].prev_hash,
        }
    );
}

#[tokio::test]
async fn progress_reports_every_event_and_an_upper_bound_up_front() {
    #[derive(Default)]
    struct Seen {
        expected: Option<u64>,
        done: Vec<u64>,
    }
    impl Progress for &mut Seen {
        fn start(&mut self, expected: Option<u64>) {
            self.expected = expected;
        }
        fn advance(&mut self, events_done: u64) {
            self.done.push(events_done);
        }
    }
    let f = counters().await;
    let mut seen = Seen::default();
    audit::verify(&*f.store, &Scope::All, &mut seen)
        .await
        .unwrap();
    assert_eq!((seen.expected, seen.done.last()), (Some(9), Some(&9)));
    let mut calls = Vec::new();
    audit::verify(&*f.store, &Scope::All, |done| calls.push(done))
        .await
        .unwrap();
    assert_eq!(calls.last(), Some(&9), "a closure is a progress callback");
}

#[tokio::test]
async fn an_export_round_trips_through_verify_export() {
    let f = counters().await;
    let text = export_of(&f.store, &Scope::All, &Filter::default()).await;
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 10, "nine events and the trailer");
    let events = all_events(&f.store).await;
    for (line, stored) in lines.iter().zip(&events) {
        let parsed: ExportLine<'_> = serde_json::from_str(line).unwrap();
        assert_eq!(&parsed.to_envelope().unwrap(), stored);
    }
    assert_eq!(
        lines[9],
        format!(
            r#"{{"trailer":{{"count":9,"last_hash":"{}","format":"pitlane-export-v1","streams":"from_start"}}}}"#,
            events[8].hash
        )
    );
    let report = verify_text(&text);
    assert!(report.is_intact(), "{:?}", report.first_problem);
    assert_eq!(
        (report.lines, report.events_checked, report.streams_checked),
        (10, 9, 3)
    );
}

#[tokio::test]
async fn both_readers_export_the_same_bytes() {
    let f = counters().await;
    let mut port = Vec::new();
    audit::export(
        audit::Source::Store(&*f.store),
        &Scope::All,
        &Filter::default(),
        &mut port,
        NoProgress,
    )
    .await
    .unwrap();
    let file = export_of(&f.store, &Scope::All, &Filter::default()).await;
    assert_eq!(String::from_utf8(port).unwrap(), file);
}

#[tokio::test]
async fn an_export_line_has_the_envelope_fields_in_design_order() {
    let f = counters().await;
    let text = export_of(
        &f.store,
        &Scope::Stream("counter-a".into()),
        &Filter::default(),
    )
    .await;
    let first = text.lines().next().unwrap();
    let keys = [
        "event_id",
        "stream_id",
        "aggregate_type",
        "aggregate_id",
        "version",
        "position",
        "event_type",
        "schema_version",
        "occurred_at",
        "recorded_at",
        "correlation_id",
        "causation_id",
        "actor",
        "subject",
        "role",
        "traceparent",
        "payload",
        "by",
        "prev_hash",
        "hash",
    ];
    let mut at = 0;
    for key in keys {
        let found = first[at..]
            .find(&format!("\"{key}\":"))
            .unwrap_or_else(|| panic!("`{key}` is missing or out of order in {first}"));
        at += found + 1;
    }
    assert!(first.starts_with(r#"{"event_id":""#), "{first}");
    assert!(first.contains(r#""traceparent":null,"payload":{"by":1},"prev_hash":"0000"#));
    let event = &all_events(&f.store).await[0];
    assert!(first.contains(&format!(
        r#""occurred_at":"{}""#,
        es_core::time::format(&event.occurred_at)
    )));
}

#[tokio::test]
async fn a_corrupted_export_line_is_named_by_its_line_number() {
    let f = counters().await;
    let text = export_of(&f.store, &Scope::All, &Filter::default()).await;
    // Not JSON any more.
    let cut: String = text
        .lines()
        .enumerate()
        .map(|(i, line)| if i == 3 { &line[..40] } else { line })
        .map(|line| format!("{line}\n"))
        .collect();
    let report = verify_text(&cut);
    assert!(
        matches!(
            &report.first_problem,
            Some(ExportProblem::Malformed { line: 4, .. })
        ),
        "{:?}",
        report.first_problem
    );
    assert_eq!(report.events_checked, 3);
    // Still JSON, one value changed.
    let edited = text.replacen(r#""payload":{"by":4}"#, r#""payload":{"by":5}"#, 1);
    assert_ne!(edited, text);
    let report = verify_text(&edited);
    let problem = report.first_problem.unwrap();
    assert!(
        matches!(&problem, ExportProblem::Broken { line: 4, link }
            if link.stream_id == "counter-c" && link.version == 1
                && matches!(link.problem, Break::Hash { .. })),
        "{problem}"
    );
    assert!(
        problem.to_string().starts_with("line 4: counter-c v1"),
        "{problem}"
    );
}

#[tokio::test]
async fn an_export_cut_short_or_miscounted_fails() {
    let f = counters().await;
    let text = export_of(&f.store, &Scope::All, &Filter::default()).await;
    let lines: Vec<&str> = text.lines().collect();

    let without_trailer = lines[..9].join("\n") + "\n";
    let report = verify_text(&without_trailer);
    assert_eq!(
        report.first_problem,
        Some(ExportProblem::MissingTrailer { lines: 9 })
    );

    let cut_mid_line = &text[..text.len() - 30];
    let report = verify_text(cut_mid_line);
    assert!(
        matches!(
            report.first_problem,
            Some(ExportProblem::Malformed { line: 10, .. })
        ),
        "{:?}",
        report.first_problem
    );

    let last_event_dropped = [&lines[..8], &lines[9..]].concat().join("\n") + "\n";
    let report = verify_text(&last_event_dropped);
    assert!(
        matches!(
            report.first_problem,
            Some(ExportProblem::CountMismatch {
                line: 9,
                trailer: 9,
                found: 8
            })
        ),
        "{:?}",
        report.first_problem
    );

    let miscounted = text.replace(r#""count":9"#, r#""count":10"#);
    assert!(matches!(
        verify_text(&miscounted).first_problem,
        Some(ExportProblem::CountMismatch { trailer: 10, .. })
    ));

    let other_format = text.replace("pitlane-export-v1", "pitlane-export-v9");
    assert_eq!(
        verify_text(&other_format).first_problem,
        Some(ExportProblem::UnknownFormat {
            line: 10,
            format: "pitlane-export-v9".into()
        })
    );

    let trailing = format!("{text}{}\n", lines[0]);
    assert_eq!(
        verify_text(&trailing).first_problem,
        Some(ExportProblem::AfterTrailer { line: 11 })
    );
}

#[tokio::test]
async fn a_line_removed_from_the_middle_of_a_full_export_is_a_gap() {
    let f = counters().await;
    let text = export_of(&f.store, &Scope::All, &Filter::default()).await;
    // Line 3 is counter-a v2; the trailer count is fixed up to hide the removal.
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[2].contains(
        r#""stream_id":"counter-a","aggregate_type":"counter","aggregate_id":"a","version":2"#
    ));
    let removed = [&lines[..2], &lines[3..]]
        .concat()
        .join("\n")
        .replace(r#""count":9"#, r#""count":8"#)
        + "\n";
    let problem = verify_text(&removed).first_problem.unwrap();
    assert!(
        // Lines 1, 2, 4, 5 and 6 (counter-a v3) are now lines 1 to 5.
        matches!(&problem, ExportProblem::Broken { line: 5, link }
            if link.stream_id == "counter-a"
                && link.problem == Break::Version { expected: 2, found: 3 }),
        "{problem}"
    );
}

/// A store with two aggregate types, two event types, several correlations, actors and
/// commit times; returns it with the instant between its two halves.
async fn mixed() -> (Fixture, chrono::DateTime<chrono::Utc>) {
    let f = counters().await;
    let append =
        |aggregate_type: &str, id: &str, event_type: &str, meta: EventMetadata| AppendRequest {
            aggregate_type: aggregate_type.into(),
            aggregate_id: id.into(),
            expected: ExpectedVersion::Any,
            events: vec![ProposedEvent::new(event_type, 1, json!({"n": 1}), now())],
            metadata: meta,
            idempotency: None,
        };
    tokio::time::sleep(Duration::from_millis(5)).await;
    let middle = now();
    tokio::time::sleep(Duration::from_millis(5)).await;
    for (i, (kind, id, event_type)) in [
        ("gauge", "g1", "gauge.read.v1"),
        ("counter", "a", "counter.reset.v1"),
        ("gauge", "g1", "gauge.read.v1"),
        ("counter", "b", "counter.reset.v1"),
        ("counter", "a", "counter.incremented.v1"),
    ]
    .into_iter()
    .enumerate()
    {
        let meta = metadata(&format!("late-{}", i % 2), "grace");
        f.store
            .append(append(kind, id, event_type, meta))
            .await
            .unwrap();
    }
    (f, middle)
}

#[tokio::test]
async fn filters_select_exactly_the_matching_events() {
    let (f, middle) = mixed().await;
    let events = all_events(&f.store).await;
    assert_eq!(events.len(), 14);
    type Expected = Box<dyn Fn(&EventEnvelope) -> bool>;
    let cases: Vec<(&str, Filter, Expected)> = vec![
        (
            "event type",
            Filter {
                event_type: Some("counter.reset.v1".into()),
                ..Filter::default()
            },
            Box::new(|e| e.event_type == "counter.reset.v1"),
        ),
        (
            "aggregate type",
            Filter {
                aggregate_type: Some("gauge".into()),
                ..Filter::default()
            },
            Box::new(|e| e.aggregate_type == "gauge"),
        ),
        (
            "correlation id",
            Filter {
                correlation_id: Some("late-1".into()),
                ..Filter::default()
            },
            Box::new(|e| e.correlation_id == "late-1"),
        ),
        (
            "actor subject",
            Filter {
                actor_subject: Some("kate".into()),
                ..Filter::default()
            },
            Box::new(|e| e.actor.subject == "kate"),
        ),
        (
            "time range from",
            Filter {
                recorded_from: Some(middle),
                ..Filter::default()
            },
            Box::new(move |e| e.recorded_at >= middle),
        ),
        (
            "time range to",
            Filter {
                recorded_to: Some(middle),
                ..Filter::default()
            },
            Box::new(move |e| e.recorded_at < middle),
        ),
        (
            "position range",
            Filter {
                from_position: Some(4),
                to_position: Some(9),
                ..Filter::default()
            },
            Box::new(|e| (4..9).contains(&e.position)),
        ),
        (
            "several at once",
            Filter {
                aggregate_type: Some("counter".into()),
                actor_subject: Some("grace".into()),
                from_position: Some(11),
                ..Filter::default()
            },
            Box::new(|e| e.aggregate_type == "counter" && e.actor.subject == "grace"),
        ),
    ];
    for (name, filter, expected) in cases {
        let text = export_of(&f.store, &Scope::All, &filter).await;
        let exported: Vec<u64> = text
            .lines()
            .filter(|line| !line.starts_with(r#"{"trailer""#))
            .map(|line| {
                serde_json::from_str::<ExportLine<'_>>(line)
                    .unwrap()
                    .position
            })
            .collect();
        let wanted: Vec<u64> = events
            .iter()
            .filter(|e| expected(e))
            .map(|e| e.position)
            .collect();
        assert!(!wanted.is_empty(), "{name}: the case selects something");
        assert!(
            wanted.len() < events.len(),
            "{name}: the case leaves something out"
        );
        assert_eq!(exported, wanted, "{name}");
        let report = verify_text(&text);
        assert!(report.is_intact(), "{name}: {:?}", report.first_problem);
        assert_eq!(report.trailer.unwrap().streams, filter.coverage(), "{name}");
    }
}

#[tokio::test]
async fn a_full_export_missing_the_first_event_of_a_stream_fails() {
    let f = counters().await;
    let text = export_of(&f.store, &Scope::All, &Filter::default()).await;
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[3].contains(r#""aggregate_id":"c","version":1"#));
    let removed = [&lines[..3], &lines[4..]]
        .concat()
        .join("\n")
        .replace(r#""count":9"#, r#""count":8"#)
        + "\n";
    let problem = verify_text(&removed).first_problem.unwrap();
    assert!(
        matches!(&problem, ExportProblem::Broken { line: 6, link }
            if link.stream_id == "counter-c"
                && link.problem == Break::Version { expected: 1, found: 2 }),
        "{problem}"
    );
}

#[tokio::test]
async fn an_export_starting_mid_stream_verifies_from_its_first_event() {
    let f = counters().await;
    let filter = Filter {
        from_position: Some(5),
        ..Filter::default()
    };
    let text = export_of(&f.store, &Scope::All, &filter).await;
    assert!(text.trim_end().ends_with(r#""streams":"contiguous"}}"#));
    let report = verify_text(&text);
    assert!(report.is_intact(), "{:?}", report.first_problem);
    assert_eq!(report.events_checked, 5);
    let claimed = text.replace(r#""streams":"contiguous""#, r#""streams":"from_start""#);
    assert!(
        matches!(
            verify_text(&claimed).first_problem,
            Some(ExportProblem::Broken { line: 1, .. })
        ),
        "claimed from the start, it is missing every stream's beginning"
    );
    // Its first event's prev_hash is the seed: a changed one is not caught there…
    // …but the link after it is still checked.
    let second_of_a = text
        .lines()
        .position(|l| l.contains(r#""aggregate_id":"a","version":4"#))
        .unwrap();
    let edited: String = text
        .lines()
        .enumerate()
        .map(|(i, line)| {
            if i == second_of_a {
                let at = line.find(r#""prev_hash":""#).unwrap() + 13;
                format!("{}{}{}\n", &line[..at], "0".repeat(64), &line[at + 64..])
            } else {
                format!("{line}\n")
            }
        })
        .collect();
    let problem = verify_text(&edited).first_problem.unwrap();
    assert!(
        matches!(&problem, ExportProblem::Broken { link, .. }
            if link.version == 4 && matches!(link.problem, Break::PrevHash { .. })),
        "{problem}"
    );
}

#[tokio::test]
async fn a_filtered_export_allows_gaps_a_contiguous_one_does_not() {
    let (f, _) = mixed().await;
    // counter-a v1..4 and v6: its v5 is a reset.
    let filter = Filter {
        event_type: Some("counter.incremented.v1".into()),
        ..Filter::default()
    };
    let text = export_of(&f.store, &Scope::All, &filter).await;
    assert!(text.trim_end().ends_with(r#""streams":"sparse"}}"#));
    assert!(verify_text(&text).is_intact());
    // The same lines claimed contiguous: the first gap is a break.
    let claimed = text.replace(r#""streams":"sparse""#, r#""streams":"contiguous""#);
    let problem = verify_text(&claimed).first_problem.unwrap();
    assert!(
        matches!(&problem, ExportProblem::Broken { link, .. }
            if link.stream_id == "counter-a"
                && link.problem == Break::Version { expected: 5, found: 6 }),
        "{problem}"
    );
}

#[tokio::test]
async fn exporting_a_damaged_store_fails_naming_the_row_and_writes_no_trailer() {
    let f = counters().await;
    tamper(
        &f.path,
        "UPDATE events SET payload = 'not json' WHERE stream_id = 'counter-b' AND version = 3",
    );
    for port in [false, true] {
        let mut out = Vec::new();
        let error = if port {
            let store = audit::Source::Store(&*f.store);
            audit::export(store, &Scope::All, &Filter::default(), &mut out, NoProgress).await
        } else {
            audit::export(
                &*f.store,
                &Scope::All,
                &Filter::default(),
                &mut out,
                NoProgress,
            )
            .await
        }
        .unwrap_err();
        assert!(error.to_string().contains("counter-b v3"), "{error}");
        let report = audit::verify_export(&out[..], NoProgress).unwrap();
        assert!(
            matches!(
                report.first_problem,
                Some(ExportProblem::MissingTrailer { .. })
            ),
            "{:?}",
            report.first_problem
        );
    }
}

#[tokio::test]
async fn an_empty_export_has_a_null_last_hash_and_verifies() {
    let f = counters().await;
    let filter = Filter {
        event_type: Some("nothing.v1".into()),
        ..Filter::default()
    };
    let text = export_of(&f.store, &Scope::All, &filter).await;
    assert_eq!(
        text,
        "{\"trailer\":{\"count\":0,\"last_hash\":null,\"format\":\"pitlane-export-v1\",\"streams\":\"sparse\"}}\n"
    );
    assert!(verify_text(&text).is_intact());
}

#[tokio::test]
async fn verify_ends_at_the_head_it_started_from_while_writers_append() {
    let f = counters().await;
    let store = f.store.clone();
    let writer = {
        let store = store.clone();
        tokio::spawn(async move {
            let repository = Repository::<Counter>::new(store);
            for _ in 0..50 {
                repository
                    .execute(
                        "d",
                        CounterCommand::Increment { by: 1 },
                        &metadata("w", "w"),
                    )
                    .await
                    .unwrap();
            }
        })
    };
    let report = audit::verify(&*store, &Scope::All, NoProgress)
        .await
        .unwrap();
    assert!(report.is_intact());
    assert!(report.events_checked >= 9);
    writer.await.unwrap();
    let after = audit::verify(&*store, &Scope::All, NoProgress)
        .await
        .unwrap();
    assert_eq!(after.events_checked, 59);
}

#[tokio::test]
async fn a_closed_store_file_is_verified_and_exported_read_only() {
    let f = counters().await;
    let Fixture { _dir, path, store } = f;
    Arc::into_inner(store).unwrap().close().await;
    // Settle the file: every page in it, nothing left in a write-ahead log.
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        .unwrap();
    drop(conn);
    let before = std::fs::read(&path).unwrap();
    let report = audit::verify(audit::Source::SqliteFile(&path), &Scope::All, NoProgress)
        .await
        .unwrap();
    assert_eq!((report.events_checked, report.is_intact()), (9, true));
    let mut out = Vec::new();
    let summary = audit::export(
        audit::Source::SqliteFile(&path),
        &Scope::All,
        &Filter::default(),
        &mut out,
        NoProgress,
    )
    .await
    .unwrap();
    assert_eq!(summary.trailer.count, 9);
    assert!(
        std::fs::read(&path).unwrap() == before,
        "the file is untouched"
    );
    let missing = audit::verify(
        audit::Source::SqliteFile(&path.with_file_name("nothing.db")),
        &Scope::All,
        NoProgress,
    )
    .await;
    assert!(
        missing.is_err(),
        "a missing file is an error, not an empty store"
    );
}
