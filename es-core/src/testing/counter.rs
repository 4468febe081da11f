//! A deliberately tiny aggregate for the kernel's own tests and the contract suites:
//! a counter that can be incremented by a positive amount, never above a limit.

use serde::{Deserialize, Serialize};

use crate::aggregate::{Aggregate, DomainEvent};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Counter {
    pub value: u64,
    pub increments: u64,
}

/// The counter never exceeds this value.
pub const LIMIT: u64 = 1_000_000;

#[derive(Debug, Clone, PartialEq)]
pub enum CounterCommand {
    Increment { by: u64 },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event_type", content = "payload")]
pub enum CounterEvent {
    /// Schema 2 renamed `amount` to `by` (schema 1 payloads are upcast on read).
    #[serde(rename = "counter.incremented.v1")]
    Incremented { by: u64 },
}

impl DomainEvent for CounterEvent {
    fn schema_version(&self) -> u32 {
        2
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CounterError {
    #[error("an increment must be positive")]
    NotPositive,
    #[error("the counter would pass its limit")]
    OverLimit,
}

impl Aggregate for Counter {
    const TYPE: &'static str = "counter";

    type Command = CounterCommand;
    type Event = CounterEvent;
    type Error = CounterError;

    fn handle(&self, command: CounterCommand) -> Result<Vec<CounterEvent>, CounterError> {
        match command {
            CounterCommand::Increment { by: 0 } => Err(CounterError::NotPositive),
            CounterCommand::Increment { by } if self.value + by > LIMIT => {
                Err(CounterError::OverLimit)
            }
            CounterCommand::Increment { by } => Ok(vec![CounterEvent::Incremented { by }]),
        }
    }

    fn apply(&mut self, event: &CounterEvent) {
        match event {
            CounterEvent::Incremented { by } => {
                self.value += by;
                self.increments += 1;
            }
        }
    }
}

/// The upcaster from schema 1 (`{"amount": n}`) to schema 2 (`{"by": n}`).
pub fn upcasters() -> crate::upcast::Upcasters {
    crate::upcast::Upcasters::new().register("counter.incremented.v1", 1, |mut payload| {
        let amount = payload
            .as_object_mut()
            .and_then(|fields| fields.remove("amount"))
            .ok_or("schema 1 payload has no `amount`")?;
        Ok(serde_json::json!({ "by": amount }))
    })
}

/// The metadata of the counter appends the tests write.
pub fn metadata() -> crate::EventMetadata {
    crate::EventMetadata {
        correlation_id: "corr-1".into(),
        causation_id: "cmd-1".into(),
        actor: crate::Actor::new("alice", "planner"),
        traceparent: Some("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".into()),
    }
}

/// An increment by `by`, as a counter appends it (schema 2).
pub fn increment(by: u64) -> crate::ProposedEvent {
    crate::ProposedEvent::new(
        "counter.incremented.v1",
        2,
        serde_json::json!({ "by": by }),
        crate::envelope::now(),
    )
}

/// An append of `count` increments (by 1, 2, …) to the counter `id`.
pub fn increments(id: &str, expected: crate::ExpectedVersion, count: u64) -> crate::AppendRequest {
    crate::AppendRequest {
        aggregate_type: "counter".into(),
        aggregate_id: id.into(),
        expected,
        events: (1..=count).map(increment).collect(),
        metadata: metadata(),
        idempotency: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::AggregateTest;

    #[test]
    fn an_increment_records_the_amount() {
        AggregateTest::<Counter>::given_no_previous_events()
            .when(CounterCommand::Increment { by: 3 })
            .then_expect_events(vec![CounterEvent::Incremented { by: 3 }]);
    }

    #[test]
    fn a_zero_increment_is_rejected() {
        AggregateTest::<Counter>::given(vec![CounterEvent::Incremented { by: 1 }])
            .when(CounterCommand::Increment { by: 0 })
            .then_expect_error(CounterError::NotPositive);
    }

    #[test]
    fn an_increment_past_the_limit_is_rejected_given_earlier_increments() {
        AggregateTest::<Counter>::given(vec![CounterEvent::Incremented { by: LIMIT - 1 }])
            .when(CounterCommand::Increment { by: 2 })
            .then_expect_error_matching(|e| *e == CounterError::OverLimit);
    }
}
