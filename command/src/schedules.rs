//! Resource schedules: the write side's final word on bookings (ADR 016).
//!
//! "A driver or a vehicle is never booked on two overlapping slots" spans aggregates —
//! two deliveries, or a delivery and a workshop planning — so no booking aggregate can
//! enforce it alone. Each bookable resource therefore has its own small aggregate, a
//! [`ResourceSchedule`] (stream `resource_schedule-driver:<uuid>` or
//! `resource_schedule-vehicle:<license number>`), holding the slots booked on it. A
//! command whose events book or free a resource ([`Books`]) is appended atomically with
//! the schedule's reservation (`EventStore::append_atomically`, in
//! `CommandBus::run`): the booking and the reservation land together or not at all,
//! and of two overlapping bookings racing for one resource the schedule's expected
//! version lets exactly one through; the other is decided again and refused with
//! `schedule_conflict`, naming the job or delivery that holds the slot.
//!
//! The BFF's Redis locks stay the first line (early, precise 409s, less contention);
//! this is the last one, and it holds whatever a lock's lease or Redis loses.
//!
//! Technicians need no schedule of their own: a job's slot lies within its planning's
//! date, and all of a date's jobs are in one `WorkshopPlanning`, which already refuses a
//! technician on two overlapping jobs atomically (DOMAIN workshop rule 4).
//!
//! What holds a slot (as the BFF's checks read it): a planned job, and a delivery until
//! it is delivered (a failed delivery may be retried, so it keeps its driver and van).
//! Decided: a schedule starts empty, so bookings made before this version are not on
//! it; they are still seen by the BFF's checks against the read model.

mod books;
mod schedule;

pub use books::Books;
pub use schedule::{
    Change, Holder, HolderKind, ResourceKind, ResourceSchedule, ScheduleCommand, ScheduleError,
    ScheduleEvent, ScheduledResource,
};
