//! Read-your-writes: a query carrying consistency tokens waits (bounded) until the read
//! models have applied the newest position among them (DESIGN §6).

use std::time::Duration;

use contracts::v1::ConsistencyToken;
use es_core::projection::{EventSource, StatusBoard};

use super::QueryError;

/// Why a query could not be answered consistently.
#[derive(Debug)]
pub enum Wait {
    Invalid(QueryError),
    /// The read models did not reach `position` in time: retry later.
    TimedOut {
        position: u64,
        reached: u64,
    },
}

/// Waits until `board` has applied every token's position, at most `timeout`. A token
/// beyond the head of `log` (asked afresh) names a write that never happened: refused
/// at once rather than after the timeout.
pub async fn wait_for(
    board: &StatusBoard,
    log: &dyn EventSource,
    tokens: &[ConsistencyToken],
    timeout: Duration,
) -> Result<(), Wait> {
    if tokens.is_empty() {
        return Ok(());
    }
    let waited = wait(board, log, tokens, timeout).await;
    let outcome = match &waited {
        Ok(()) => "reached",
        Err(Wait::Invalid(_)) => "invalid",
        Err(Wait::TimedOut { .. }) => "timed_out",
    };
    metrics::counter!(es_core::telemetry::names::CONSISTENCY_WAITS, "outcome" => outcome)
        .increment(1);
    waited
}

async fn wait(
    board: &StatusBoard,
    log: &dyn EventSource,
    tokens: &[ConsistencyToken],
    timeout: Duration,
) -> Result<(), Wait> {
    let mut newest = 0;
    let mut newest_at = 0;
    for (i, token) in tokens.iter().enumerate() {
        if token.stream_id.trim().is_empty() {
            return Err(Wait::Invalid(QueryError::invalid(
                format!("wait_for[{i}].stream_id"),
                "is required",
            )));
        }
        if token.position == 0 || token.version == 0 {
            return Err(Wait::Invalid(QueryError::invalid(
                format!("wait_for[{i}].position"),
                "a token's position and version start at 1",
            )));
        }
        if token.position > newest {
            (newest, newest_at) = (token.position, i);
        }
    }
    // Most reads of one's own write are answered within milliseconds: only a token
    // still unreached after a short wait costs a question to the log.
    if board.position() >= newest || board.wait_for(newest, timeout.min(QUICK)).await {
        return Ok(());
    }
    if newest > board.snapshot().head
        && let Ok(Ok(head)) = tokio::time::timeout(HEAD_TIMEOUT, log.head()).await
        && newest > head
    {
        return Err(Wait::Invalid(QueryError::invalid(
            format!("wait_for[{newest_at}].position"),
            format!("position {newest} is beyond the log's head ({head}): no write has reached it"),
        )));
    }
    if board.wait_for(newest, timeout).await {
        Ok(())
    } else {
        Err(Wait::TimedOut {
            position: newest,
            reached: board.position(),
        })
    }
}

/// How long the log's head may take to answer (else the query just waits).
const HEAD_TIMEOUT: Duration = Duration::from_secs(1);
/// How long a token may wait before the log is asked whether any write reached it.
const QUICK: Duration = Duration::from_millis(50);

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use es_core::projection::StoreSource;
    use es_core::{EventStore, InMemoryEventStore};

    use super::*;

    /// A log holding `events` events.
    async fn log(events: u64) -> StoreSource {
        let store = Arc::new(InMemoryEventStore::new());
        for n in 0..events {
            store
                .append(es_core::AppendRequest {
                    aggregate_type: "thing".into(),
                    aggregate_id: n.to_string(),
                    expected: es_core::ExpectedVersion::NoStream,
                    events: vec![es_core::ProposedEvent::new(
                        "thing.made.v1",
                        1,
                        serde_json::json!({}),
                        es_core::envelope::now(),
                    )],
                    metadata: es_core::EventMetadata::system(),
                    idempotency: None,
                })
                .await
                .unwrap();
        }
        StoreSource(store)
    }

    fn token(position: u64) -> ConsistencyToken {
        ConsistencyToken {
            stream_id: "customer-1".into(),
            version: 1,
            position,
        }
    }

    #[tokio::test]
    async fn a_reflected_token_returns_at_once_and_a_future_one_times_out() {
        let board = StatusBoard::new("read-models");
        assert!(
            wait_for(&board, &log(9).await, &[], Duration::from_millis(10))
                .await
                .is_ok()
        );
        let outcome = wait_for(
            &board,
            &log(9).await,
            &[token(5)],
            Duration::from_millis(20),
        )
        .await;
        assert!(matches!(
            outcome,
            Err(Wait::TimedOut {
                position: 5,
                reached: 0
            })
        ));
    }

    #[tokio::test]
    async fn a_malformed_token_names_its_field() {
        let board = StatusBoard::new("read-models");
        let mut bad = token(0);
        let outcome = wait_for(
            &board,
            &log(9).await,
            &[token(1), bad.clone()],
            Duration::from_millis(10),
        )
        .await;
        assert!(
            matches!(outcome, Err(Wait::Invalid(QueryError::Invalid { field, .. })) if field == "wait_for[1].position")
        );
        bad.stream_id.clear();
        let outcome = wait_for(&board, &log(9).await, &[bad], Duration::from_millis(10)).await;
        assert!(
            matches!(outcome, Err(Wait::Invalid(QueryError::Invalid { field, .. })) if field == "wait_for[0].stream_id")
        );
    }

    #[tokio::test]
    async fn a_token_beyond_the_logs_head_is_refused_at_once_naming_it() {
        let board = StatusBoard::new("read-models");
        let started = std::time::Instant::now();
        let outcome = wait_for(
            &board,
            &log(3).await,
            &[token(2), token(40)],
            Duration::from_secs(5),
        )
        .await;
        assert!(
            matches!(&outcome, Err(Wait::Invalid(QueryError::Invalid { field, message }))
                if field == "wait_for[1].position" && message.contains("beyond the log's head (3)")),
            "{outcome:?}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "at once, not after the timeout"
        );
    }

    #[tokio::test]
    async fn a_token_within_the_log_waits_for_the_read_models() {
        let board = StatusBoard::new("read-models");
        let outcome = wait_for(
            &board,
            &log(3).await,
            &[token(3)],
            Duration::from_millis(20),
        )
        .await;
        assert!(
            matches!(outcome, Err(Wait::TimedOut { position: 3, .. })),
            "{outcome:?}"
        );
    }
}
