use chrono::{TimeZone, Utc};
use es_core::testing::AggregateTest;
use uuid::Uuid;

use super::*;
use crate::shared::DomainRule;

fn driver() -> ScheduledResource {
    ScheduledResource {
        kind: ResourceKind::Driver,
        id: "0190a0c4-0000-7000-8000-000000000001".into(),
    }
}

fn slot(start_hour: u32, end_hour: u32) -> Timeslot {
    let at = |h| Utc.with_ymd_and_hms(2027, 3, 1, h, 0, 0).unwrap();
    Timeslot::new("slot", at(start_hour), at(end_hour)).unwrap()
}

fn delivery(n: u128) -> Holder {
    Holder::delivery(Uuid::from_u128(n))
}

fn reserve(holder: Holder, slot: Timeslot) -> ScheduleCommand {
    ScheduleCommand {
        resource: driver(),
        changes: vec![Change::Reserve { holder, slot }],
    }
}

fn reserved(holder: Holder, slot: Timeslot) -> ScheduleEvent {
    ScheduleEvent::SlotReserved {
        resource_kind: ResourceKind::Driver,
        resource_id: driver().id,
        holder_kind: holder.kind,
        holder_id: holder.id,
        slot,
    }
}

fn released(holder: Holder) -> ScheduleEvent {
    ScheduleEvent::SlotReleased {
        resource_kind: ResourceKind::Driver,
        resource_id: driver().id,
        holder_kind: holder.kind,
        holder_id: holder.id,
    }
}

#[test]
fn a_free_slot_is_reserved() {
    AggregateTest::<ResourceSchedule>::given_no_previous_events()
        .when(reserve(delivery(1), slot(8, 12)))
        .then_expect_events(vec![reserved(delivery(1), slot(8, 12))]);
}

#[test]
fn an_overlapping_slot_of_another_holder_is_refused_naming_the_holder_and_its_slot() {
    AggregateTest::<ResourceSchedule>::given(vec![reserved(delivery(1), slot(8, 12))])
        .when(reserve(delivery(2), slot(11, 14)))
        .then_expect_error(ScheduleError::SlotTaken {
            resource: driver(),
            holder: delivery(1),
            slot: slot(8, 12),
        });
}

#[test]
fn slots_that_only_touch_do_not_conflict() {
    AggregateTest::<ResourceSchedule>::given(vec![reserved(delivery(1), slot(8, 12))])
        .when(reserve(delivery(2), slot(12, 14)))
        .then_expect_events(vec![reserved(delivery(2), slot(12, 14))]);
}

#[test]
fn a_holder_reserving_its_own_slot_again_changes_nothing() {
    AggregateTest::<ResourceSchedule>::given(vec![reserved(delivery(1), slot(8, 12))])
        .when(reserve(delivery(1), slot(8, 12)))
        .then_expect_events(vec![]);
}

#[test]
fn a_released_slot_can_be_booked_by_another_holder() {
    AggregateTest::<ResourceSchedule>::given(vec![
        reserved(delivery(1), slot(8, 12)),
        released(delivery(1)),
    ])
    .when(reserve(delivery(2), slot(9, 10)))
    .then_expect_events(vec![reserved(delivery(2), slot(9, 10))]);
}

#[test]
fn releasing_a_slot_not_held_changes_nothing() {
    AggregateTest::<ResourceSchedule>::given_no_previous_events()
        .when(ScheduleCommand {
            resource: driver(),
            changes: vec![Change::Release {
                holder: delivery(1),
            }],
        })
        .then_expect_events(vec![]);
}

#[test]
fn changes_apply_in_order_so_a_release_then_a_reserve_of_one_command_both_hold() {
    AggregateTest::<ResourceSchedule>::given(vec![reserved(delivery(1), slot(8, 12))])
        .when(ScheduleCommand {
            resource: driver(),
            changes: vec![
                Change::Release {
                    holder: delivery(1),
                },
                Change::Reserve {
                    holder: delivery(2),
                    slot: slot(8, 12),
                },
            ],
        })
        .then_expect_events(vec![
            released(delivery(1)),
            reserved(delivery(2), slot(8, 12)),
        ]);
}

#[test]
fn the_refusal_reads_as_the_bff_words_it() {
    let error = ScheduleError::SlotTaken {
        resource: driver(),
        holder: Holder::job(Uuid::from_u128(7)),
        slot: slot(8, 12),
    };
    assert_eq!(
        error.to_string(),
        "driver 0190a0c4-0000-7000-8000-000000000001 is already booked on maintenance job \
         00000000-0000-0000-0000-000000000007 from 2027-03-01T08:00:00+00:00 to \
         2027-03-01T12:00:00+00:00"
    );
    assert_eq!(error.reason(), "schedule_conflict");
}
