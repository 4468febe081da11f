//! The `ResourceSchedule` aggregate: the slots one driver or vehicle is booked for.

use std::fmt;

use es_core::{Aggregate, DomainEvent};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::shared::{DomainRule, DriverId, LicenseNumber, Timeslot};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResourceKind {
    Driver,
    Vehicle,
}

impl ResourceKind {
    fn as_str(self) -> &'static str {
        match self {
            ResourceKind::Driver => "driver",
            ResourceKind::Vehicle => "vehicle",
        }
    }
}

/// A bookable resource: a driver (by id) or a vehicle (by license number).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ScheduledResource {
    pub kind: ResourceKind,
    pub id: String,
}

impl ScheduledResource {
    pub fn driver(id: DriverId) -> Self {
        Self {
            kind: ResourceKind::Driver,
            id: id.to_string(),
        }
    }

    pub fn vehicle(license_number: &LicenseNumber) -> Self {
        Self {
            kind: ResourceKind::Vehicle,
            id: license_number.as_str().to_owned(),
        }
    }

    /// The schedule's aggregate id: `driver:<uuid>`, `vehicle:<license number>`.
    pub fn aggregate_id(&self) -> String {
        format!("{}:{}", self.kind.as_str(), self.id)
    }
}

impl fmt::Display for ScheduledResource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.kind.as_str(), self.id)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HolderKind {
    /// A maintenance job of a workshop planning.
    Job,
    Delivery,
}

/// What holds a slot: a maintenance job or a delivery, by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Holder {
    pub kind: HolderKind,
    pub id: Uuid,
}

impl Holder {
    pub fn job(id: impl Into<Uuid>) -> Self {
        Self {
            kind: HolderKind::Job,
            id: id.into(),
        }
    }

    pub fn delivery(id: impl Into<Uuid>) -> Self {
        Self {
            kind: HolderKind::Delivery,
            id: id.into(),
        }
    }
}

impl fmt::Display for Holder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            HolderKind::Job => "maintenance job",
            HolderKind::Delivery => "delivery",
        };
        write!(f, "{what} {}", self.id)
    }
}

/// One change a booking makes to a resource's schedule.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// `holder` books the resource for `slot` (replacing any slot it held).
    Reserve { holder: Holder, slot: Timeslot },
    /// `holder` no longer needs the resource.
    Release { holder: Holder },
}

/// The changes one command makes to one resource's schedule, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct ScheduleCommand {
    pub resource: ScheduledResource,
    pub changes: Vec<Change>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event_type", content = "payload")]
pub enum ScheduleEvent {
    #[serde(rename = "schedule.slot_reserved.v1")]
    SlotReserved {
        resource_kind: ResourceKind,
        resource_id: String,
        holder_kind: HolderKind,
        holder_id: Uuid,
        slot: Timeslot,
    },
    #[serde(rename = "schedule.slot_released.v1")]
    SlotReleased {
        resource_kind: ResourceKind,
        resource_id: String,
        holder_kind: HolderKind,
        holder_id: Uuid,
    },
}

impl DomainEvent for ScheduleEvent {}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    #[error("{resource} is already booked on {holder} from {} to {}", .slot.start().to_rfc3339(), .slot.end().to_rfc3339())]
    SlotTaken {
        resource: ScheduledResource,
        holder: Holder,
        slot: Timeslot,
    },
}

impl DomainRule for ScheduleError {
    fn reason(&self) -> &'static str {
        "schedule_conflict"
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
struct Booking {
    holder: Holder,
    slot: Timeslot,
}

/// The slots a resource is booked for, one per holder.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ResourceSchedule {
    bookings: Vec<Booking>,
}

impl ResourceSchedule {
    /// The slot `holder` holds, if any.
    pub fn slot_of(&self, holder: &Holder) -> Option<Timeslot> {
        self.bookings
            .iter()
            .find(|b| b.holder == *holder)
            .map(|b| b.slot)
    }
}

impl Aggregate for ResourceSchedule {
    const TYPE: &'static str = "resource_schedule";

    type Command = ScheduleCommand;
    type Event = ScheduleEvent;
    type Error = ScheduleError;

    /// Each change in order, against the schedule as the earlier ones left it. A
    /// reservation that overlaps another holder's slot refuses the whole command; one
    /// its holder already holds, and a release of a slot not held, change nothing.
    fn handle(&self, command: ScheduleCommand) -> Result<Vec<ScheduleEvent>, ScheduleError> {
        let ScheduleCommand { resource, changes } = command;
        let mut schedule = self.clone();
        let mut events = Vec::new();
        for change in changes {
            let event = match change {
                Change::Reserve { holder, slot } => {
                    if schedule.slot_of(&holder) == Some(slot) {
                        continue;
                    }
                    if let Some(taken) = schedule
                        .bookings
                        .iter()
                        .find(|b| b.holder != holder && b.slot.overlaps(&slot))
                    {
                        return Err(ScheduleError::SlotTaken {
                            resource,
                            holder: taken.holder,
                            slot: taken.slot,
                        });
                    }
                    ScheduleEvent::SlotReserved {
                        resource_kind: resource.kind,
                        resource_id: resource.id.clone(),
                        holder_kind: holder.kind,
                        holder_id: holder.id,
                        slot,
                    }
                }
                Change::Release { holder } => {
                    if schedule.slot_of(&holder).is_none() {
                        continue;
                    }
                    ScheduleEvent::SlotReleased {
                        resource_kind: resource.kind,
                        resource_id: resource.id.clone(),
                        holder_kind: holder.kind,
                        holder_id: holder.id,
                    }
                }
            };
            schedule.apply(&event);
            events.push(event);
        }
        Ok(events)
    }

    fn apply(&mut self, event: &ScheduleEvent) {
        match event {
            ScheduleEvent::SlotReserved {
                holder_kind,
                holder_id,
                slot,
                ..
            } => {
                let holder = Holder {
                    kind: *holder_kind,
                    id: *holder_id,
                };
                self.bookings.retain(|b| b.holder != holder);
                self.bookings.push(Booking {
                    holder,
                    slot: *slot,
                });
            }
            ScheduleEvent::SlotReleased {
                holder_kind,
                holder_id,
                ..
            } => {
                let holder = Holder {
                    kind: *holder_kind,
                    id: *holder_id,
                };
                self.bookings.retain(|b| b.holder != holder);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use es_core::testing::AggregateTest;

    use super::*;

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
}
