use chrono::TimeZone;
use es_core::testing::AggregateTest;
use proptest::prelude::*;

use super::*;
use crate::deliveries::checkpoint::Sequence;
use crate::shared::{DomainRule, Text};

fn at(minute: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_800_000_000 + minute * 60, 0).unwrap()
}

fn route_id() -> RouteId {
    RouteId::from(uuid::Uuid::from_u128(0x0123))
}

fn seq(n: u32) -> Sequence {
    Sequence::parse("sequence", n).unwrap()
}

fn text<const MAX: usize>(raw: &str) -> Text<MAX> {
    Text::parse("text", raw).unwrap()
}

/// Created at minute 0 from Amsterdam to Utrecht.
fn created() -> RouteEvent {
    RouteEvent::Created {
        route_id: route_id(),
        origin: text("Amsterdam"),
        destination: text("Utrecht"),
        scheduled_start: at(0),
    }
}

fn added(sequence: u32, minute: i64) -> RouteEvent {
    RouteEvent::CheckpointAdded {
        route_id: route_id(),
        sequence: seq(sequence),
        location: text(&format!("stop {sequence}")),
        expected_at: at(minute),
        scheduled_end: at(minute),
    }
}

fn activated() -> RouteEvent {
    RouteEvent::Activated {
        route_id: route_id(),
    }
}

fn completed() -> RouteEvent {
    RouteEvent::Completed {
        route_id: route_id(),
    }
}

fn cancelled() -> RouteEvent {
    RouteEvent::Cancelled {
        route_id: route_id(),
    }
}

/// A route in planning with checkpoint 1 at minute 10.
fn planning() -> Vec<RouteEvent> {
    vec![created(), added(1, 10)]
}

/// A route in planning with checkpoints 1 and 2, at minutes 10 and 20.
fn two_checkpoints() -> Vec<RouteEvent> {
    vec![created(), added(1, 10), added(2, 20)]
}

/// The route of [`planning`], activated.
fn active() -> Vec<RouteEvent> {
    vec![created(), added(1, 10), activated()]
}

fn create() -> RouteCommand {
    RouteCommand::Create {
        route_id: route_id(),
        origin: text("Amsterdam"),
        destination: text("Utrecht"),
        scheduled_start: at(0),
    }
}

fn add(sequence: u32, minute: i64) -> RouteCommand {
    RouteCommand::AddCheckpoint {
        sequence: seq(sequence),
        location: text(&format!("stop {sequence}")),
        expected_at: at(minute),
    }
}

fn update_checkpoint(sequence: u32, minute: i64) -> RouteCommand {
    RouteCommand::UpdateCheckpoint {
        sequence: seq(sequence),
        location: text("moved stop"),
        expected_at: at(minute),
    }
}

fn update_route(start_minute: i64) -> RouteCommand {
    RouteCommand::Update {
        origin: text("Haarlem"),
        destination: text("Utrecht"),
        scheduled_start: at(start_minute),
    }
}

fn checkpoint_updated(sequence: u32, minute: i64, scheduled_end: i64) -> RouteEvent {
    RouteEvent::CheckpointUpdated {
        route_id: route_id(),
        sequence: seq(sequence),
        location: text("moved stop"),
        expected_at: at(minute),
        scheduled_end: at(scheduled_end),
    }
}

fn invalid_transition(from: RouteStatus, to: RouteStatus) -> RouteError {
    RouteError::InvalidTransition { from, to }
}

/// What an active route answers a change to its plan.
fn frozen() -> RouteError {
    RouteError::NotPlanning {
        status: RouteStatus::Active,
    }
}

fn route_of(events: &[RouteEvent]) -> Route {
    let mut route = Route::default();
    events.iter().for_each(|event| route.apply(event));
    route
}

#[test]
fn a_new_route_starts_in_planning_without_a_scheduled_end() {
    AggregateTest::<Route>::given_no_previous_events()
        .when(create())
        .then_expect_events(vec![created()]);
    let summary = route_of(&[created()]).summary().unwrap();
    assert_eq!(summary.status, RouteStatus::Planning);
    assert_eq!(summary.slot, None);
}

#[test]
fn creating_an_existing_route_is_rejected() {
    AggregateTest::<Route>::given(vec![created()])
        .when(create())
        .then_expect_error(RouteError::AlreadyExists {
            route_id: route_id(),
        });
}

#[test]
fn a_command_on_an_unknown_route_is_not_found() {
    AggregateTest::<Route>::given_no_previous_events()
        .when(add(1, 10))
        .then_expect_error(RouteError::NotFound);
    assert!(Route::default().summary().is_none());
}

#[test]
fn a_checkpoint_added_while_planning_becomes_the_scheduled_end() {
    AggregateTest::<Route>::given(planning())
        .when(add(2, 20))
        .then_expect_events(vec![added(2, 20)]);
}

#[test]
fn checkpoint_sequences_must_be_unique() {
    AggregateTest::<Route>::given(planning())
        .when(add(1, 20))
        .then_expect_error(RouteError::SequenceTaken { sequence: seq(1) });
}

#[test]
fn a_new_checkpoint_sequence_must_be_greater_than_every_existing_one() {
    AggregateTest::<Route>::given(vec![created(), added(2, 10), added(5, 20)])
        .when(add(3, 30))
        .then_expect_error(RouteError::SequenceNotIncreasing {
            sequence: seq(3),
            last: seq(5),
        });
}

#[test]
fn sequences_may_have_gaps_as_long_as_they_increase() {
    AggregateTest::<Route>::given(vec![created(), added(2, 10)])
        .when(add(10, 20))
        .then_expect_events(vec![added(10, 20)]);
}

#[test]
fn a_checkpoint_must_be_expected_after_the_scheduled_start() {
    AggregateTest::<Route>::given(vec![created()])
        .when(add(1, 0))
        .then_expect_error(RouteError::NotAfterScheduledStart { sequence: seq(1) });
}

#[test]
fn a_checkpoint_must_be_expected_after_the_previous_checkpoint() {
    AggregateTest::<Route>::given(planning())
        .when(add(2, 10))
        .then_expect_error(RouteError::NotAfterPrevious {
            sequence: seq(2),
            previous: seq(1),
        });
}

#[test]
fn an_updated_checkpoint_must_stay_after_the_previous_checkpoint() {
    AggregateTest::<Route>::given(two_checkpoints())
        .when(update_checkpoint(2, 5))
        .then_expect_error(RouteError::NotAfterPrevious {
            sequence: seq(2),
            previous: seq(1),
        });
}

#[test]
fn an_updated_checkpoint_must_stay_before_the_next_checkpoint() {
    AggregateTest::<Route>::given(two_checkpoints())
        .when(update_checkpoint(1, 20))
        .then_expect_error(RouteError::NotBeforeNext {
            sequence: seq(1),
            next: seq(2),
        });
}

#[test]
fn an_updated_first_checkpoint_must_stay_after_the_scheduled_start() {
    AggregateTest::<Route>::given(planning())
        .when(update_checkpoint(1, -5))
        .then_expect_error(RouteError::NotAfterScheduledStart { sequence: seq(1) });
}

#[test]
fn moving_a_middle_checkpoint_keeps_the_scheduled_end() {
    AggregateTest::<Route>::given(two_checkpoints())
        .when(update_checkpoint(1, 15))
        .then_expect_events(vec![checkpoint_updated(1, 15, 20)]);
}

#[test]
fn the_scheduled_end_is_the_last_checkpoints_expected_time() {
    let moved_last = checkpoint_updated(2, 45, 45);
    AggregateTest::<Route>::given(two_checkpoints())
        .when(update_checkpoint(2, 45))
        .then_expect_events(vec![moved_last.clone()]);
    let summary = route_of(&[two_checkpoints(), vec![moved_last]].concat())
        .summary()
        .unwrap();
    let slot = summary.slot.unwrap();
    assert_eq!((slot.start(), slot.end()), (at(0), at(45)));
}

#[test]
fn updating_an_unknown_checkpoint_is_not_found() {
    AggregateTest::<Route>::given(planning())
        .when(update_checkpoint(2, 20))
        .then_expect_error(RouteError::CheckpointNotFound { sequence: seq(2) });
}

#[test]
fn checkpoints_cannot_be_added_once_the_route_is_active() {
    AggregateTest::<Route>::given(active())
        .when(add(2, 20))
        .then_expect_error(frozen());
}

#[test]
fn the_checkpoints_of_an_active_route_are_frozen() {
    AggregateTest::<Route>::given(active())
        .when(update_checkpoint(1, 15))
        .then_expect_error(frozen());
}

#[test]
fn a_route_is_updated_only_while_planning() {
    AggregateTest::<Route>::given(active())
        .when(update_route(5))
        .then_expect_error(frozen());
}

#[test]
fn a_route_in_planning_can_be_updated() {
    AggregateTest::<Route>::given(planning())
        .when(update_route(5))
        .then_expect_events(vec![RouteEvent::Updated {
            route_id: route_id(),
            origin: text("Haarlem"),
            destination: text("Utrecht"),
            scheduled_start: at(5),
        }]);
}

#[test]
fn updating_the_route_must_keep_the_scheduled_start_before_the_first_checkpoint() {
    AggregateTest::<Route>::given(planning())
        .when(update_route(10))
        .then_expect_error(RouteError::StartNotBeforeFirstCheckpoint { first: seq(1) });
}

#[test]
fn activation_needs_at_least_one_checkpoint() {
    AggregateTest::<Route>::given(vec![created()])
        .when(RouteCommand::Activate)
        .then_expect_error(RouteError::NoCheckpoints);
}

#[test]
fn a_planned_route_with_a_checkpoint_can_be_activated() {
    AggregateTest::<Route>::given(planning())
        .when(RouteCommand::Activate)
        .then_expect_events(vec![activated()]);
}

#[test]
fn an_active_route_never_returns_to_planning_or_activates_again() {
    AggregateTest::<Route>::given(active())
        .when(RouteCommand::Activate)
        .then_expect_error(invalid_transition(RouteStatus::Active, RouteStatus::Active));
}

#[test]
fn an_active_route_can_be_completed() {
    AggregateTest::<Route>::given(active())
        .when(RouteCommand::Complete)
        .then_expect_events(vec![completed()]);
}

#[test]
fn a_route_in_planning_cannot_be_completed() {
    AggregateTest::<Route>::given(planning())
        .when(RouteCommand::Complete)
        .then_expect_error(invalid_transition(
            RouteStatus::Planning,
            RouteStatus::Completed,
        ));
}

#[test]
fn a_route_in_planning_or_active_can_be_cancelled() {
    AggregateTest::<Route>::given(vec![created()])
        .when(RouteCommand::Cancel)
        .then_expect_events(vec![cancelled()]);
    AggregateTest::<Route>::given(active())
        .when(RouteCommand::Cancel)
        .then_expect_events(vec![cancelled()]);
}

#[test]
fn a_completed_route_cannot_be_cancelled() {
    AggregateTest::<Route>::given([active(), vec![completed()]].concat())
        .when(RouteCommand::Cancel)
        .then_expect_error(invalid_transition(
            RouteStatus::Completed,
            RouteStatus::Cancelled,
        ));
}

#[test]
fn a_cancelled_route_cannot_be_activated() {
    AggregateTest::<Route>::given([planning(), vec![cancelled()]].concat())
        .when(RouteCommand::Activate)
        .then_expect_error(invalid_transition(
            RouteStatus::Cancelled,
            RouteStatus::Active,
        ));
}

#[test]
fn route_errors_have_stable_reasons_and_kinds() {
    use crate::shared::RuleKind;
    let cases = [
        (
            RouteError::AlreadyExists {
                route_id: route_id(),
            },
            "route_already_exists",
            RuleKind::AlreadyExists,
        ),
        (RouteError::NotFound, "route_not_found", RuleKind::NotFound),
        (
            RouteError::CheckpointNotFound { sequence: seq(1) },
            "checkpoint_not_found",
            RuleKind::NotFound,
        ),
        (
            invalid_transition(RouteStatus::Completed, RouteStatus::Cancelled),
            "invalid_route_transition",
            RuleKind::Violation,
        ),
        (
            RouteError::NotPlanning {
                status: RouteStatus::Active,
            },
            "route_not_planning",
            RuleKind::Violation,
        ),
    ];
    for (error, reason, kind) in cases {
        assert_eq!((error.reason(), error.kind()), (reason, kind), "{error}");
    }
}

#[test]
fn the_summary_carries_the_status_slot_and_checkpoints() {
    let summary = route_of(&[created(), added(1, 10), added(2, 20), activated()])
        .summary()
        .unwrap();
    assert_eq!(summary.route_id, route_id());
    assert_eq!(summary.status, RouteStatus::Active);
    let slot = summary.slot.unwrap();
    assert_eq!((slot.start(), slot.end()), (at(0), at(20)));
    let sequences: Vec<u32> = summary
        .checkpoints
        .iter()
        .map(|c| c.sequence.get())
        .collect();
    assert_eq!(sequences, vec![1, 2]);
}

fn any_route_command() -> impl Strategy<Value = RouteCommand> {
    prop_oneof![
        4 => (1u32..6, -10i64..200).prop_map(|(s, m)| add(s, m)),
        6 => (1u32..6, -10i64..200).prop_map(|(s, m)| update_checkpoint(s, m)),
        2 => (-30i64..100).prop_map(update_route),
        1 => Just(RouteCommand::Activate),
        1 => Just(RouteCommand::Complete),
        1 => Just(RouteCommand::Cancel),
    ]
}

proptest! {
    #[test]
    fn checkpoint_sequences_and_times_stay_strictly_increasing(
        commands in prop::collection::vec(any_route_command(), 5..40)
    ) {
        let mut route = route_of(&[created()]);
        for command in commands {
            let Ok(events) = route.handle(command) else { continue };
            events.iter().for_each(|event| route.apply(event));
            let state = route.state.as_ref().unwrap();
            let mut previous_time = state.scheduled_start;
            let mut previous_sequence = 0;
            for checkpoint in &state.checkpoints {
                prop_assert!(checkpoint.sequence.get() > previous_sequence);
                prop_assert!(checkpoint.expected_at > previous_time);
                previous_sequence = checkpoint.sequence.get();
                previous_time = checkpoint.expected_at;
            }
            let summary = route.summary().unwrap();
            let end = summary.slot.map(|slot| slot.end());
            prop_assert_eq!(end, state.checkpoints.last().map(|c| c.expected_at));
            for event in &events {
                if let RouteEvent::CheckpointAdded { scheduled_end, .. }
                | RouteEvent::CheckpointUpdated { scheduled_end, .. } = event
                {
                    prop_assert_eq!(Some(*scheduled_end), end);
                }
            }
        }
    }
}
