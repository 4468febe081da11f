//! Read-your-writes: a query carrying consistency tokens waits (bounded) until the read
//! models have applied the newest position among them (DESIGN §6).

use std::time::Duration;

use contracts::v1::ConsistencyToken;
use es_core::projection::StatusBoard;

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

/// Waits until `board` has applied every token's position, at most `timeout`.
pub async fn wait_for(
    board: &StatusBoard,
    tokens: &[ConsistencyToken],
    timeout: Duration,
) -> Result<(), Wait> {
    let mut newest = 0;
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
        newest = newest.max(token.position);
    }
    if board.position() >= newest || board.wait_for(newest, timeout).await {
        Ok(())
    } else {
        Err(Wait::TimedOut {
            position: newest,
            reached: board.position(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
            wait_for(&board, &[], Duration::from_millis(10))
                .await
                .is_ok()
        );
        let outcome = wait_for(&board, &[token(5)], Duration::from_millis(20)).await;
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
        let outcome = wait_for(&board, &[token(1), bad.clone()], Duration::from_millis(10)).await;
        assert!(
            matches!(outcome, Err(Wait::Invalid(QueryError::Invalid { field, .. })) if field == "wait_for[1].position")
        );
        bad.stream_id.clear();
        let outcome = wait_for(&board, &[bad], Duration::from_millis(10)).await;
        assert!(
            matches!(outcome, Err(Wait::Invalid(QueryError::Invalid { field, .. })) if field == "wait_for[0].stream_id")
        );
    }
}
