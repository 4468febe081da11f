//! `given(events).when(command).then_expect_events(…)` for aggregates.

use std::fmt::Debug;

use crate::aggregate::{Aggregate, DomainEvent, decode, encode};

/// Runs one command against an aggregate built from past events.
pub struct AggregateTest<A: Aggregate> {
    state: A,
}

/// The outcome of `when`, waiting for an expectation.
pub struct Then<A: Aggregate> {
    result: Result<Vec<A::Event>, A::Error>,
}

impl<A: Aggregate> AggregateTest<A> {
    pub fn given_no_previous_events() -> Self {
        Self::given(Vec::new())
    }

    pub fn given(events: Vec<A::Event>) -> Self {
        let mut state = A::default();
        events.iter().for_each(|event| state.apply(event));
        Self { state }
    }

    pub fn when(self, command: A::Command) -> Then<A> {
        Then {
            result: self.state.handle(command),
        }
    }
}

impl<A: Aggregate> Then<A> {
    /// The command succeeds with exactly these events, and each survives the envelope
    /// codec (so an event that could not be stored fails here, not in production).
    #[track_caller]
    pub fn then_expect_events(self, expected: Vec<A::Event>) {
        match self.result {
            Ok(events) => {
                assert_eq!(events, expected, "unexpected events");
                for event in &events {
                    let (event_type, payload) = encode(event)
                        .unwrap_or_else(|e| panic!("event {event:?} cannot be encoded: {e}"));
                    let back: A::Event = decode(&event_type, event.schema_version(), &payload)
                        .unwrap_or_else(|e| panic!("event {event:?} cannot be decoded: {e}"));
                    assert_eq!(&back, event, "event does not survive encode/decode");
                }
            }
            Err(error) => panic!("expected events {expected:?}, got error: {error:?}"),
        }
    }

    /// The command is rejected with exactly this error.
    #[track_caller]
    pub fn then_expect_error(self, expected: A::Error)
    where
        A::Error: PartialEq + Debug,
    {
        match self.result {
            Ok(events) => panic!("expected error {expected:?}, got events {events:?}"),
            Err(error) => assert_eq!(error, expected),
        }
    }

    /// The command is rejected with an error the predicate accepts.
    #[track_caller]
    pub fn then_expect_error_matching(self, accepts: impl FnOnce(&A::Error) -> bool) {
        match self.result {
            Ok(events) => panic!("expected an error, got events {events:?}"),
            Err(error) => assert!(accepts(&error), "unexpected error: {error:?}"),
        }
    }

    /// The raw result, for assertions the helpers above do not cover.
    pub fn into_result(self) -> Result<Vec<A::Event>, A::Error> {
        self.result
    }
}
