//! The `ResourceSchedule` aggregate: the slots one driver or vehicle is booked for.
//!
//! Rules it enforces (each has a test):
//! - a reservation overlapping another holder's slot refuses the whole command
//!   (`schedule_conflict`), naming that holder and its slot; slots that only touch do
//!   not overlap;
//! - a holder holds at most one slot: reserving replaces the slot it held, reserving
//!   the slot it already holds changes nothing, and releasing a slot not held changes
//!   nothing;
//! - a command's changes apply in order, each against the schedule as the earlier ones
//!   left it.

pub mod messages;

use es_core::Aggregate;
use serde::{Deserialize, Serialize};

pub use messages::{
    Change, Holder, HolderKind, ResourceKind, ScheduleCommand, ScheduleError, ScheduleEvent,
    ScheduledResource,
};

use crate::shared::Timeslot;

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
        let holder = event.holder();
        self.bookings.retain(|b| b.holder != holder);
        if let ScheduleEvent::SlotReserved { slot, .. } = event {
            self.bookings.push(Booking {
                holder,
                slot: *slot,
            });
        }
    }
}

#[cfg(test)]
mod tests;
