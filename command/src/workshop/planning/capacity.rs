//! Workstation capacity: how many jobs are in progress at the same instant.
//!
//! The limit is on simultaneous jobs, not on jobs overlapping a new one: 08–09, 09–10
//! and 10–11 all overlap 08–11, yet at most two of the four ever run at once. So we
//! sweep over slot boundaries instead of counting overlaps.

use chrono::{DateTime, Utc};

use crate::shared::Timeslot;

/// The workshop has three workstations: at most three planned jobs at any instant.
pub const WORKSTATIONS: usize = 3;

/// The first instant at which more than `capacity` of `slots` are in progress.
pub fn first_overbooked_instant(
    slots: impl IntoIterator<Item = Timeslot>,
    capacity: usize,
) -> Option<DateTime<Utc>> {
    let mut boundaries: Vec<(DateTime<Utc>, i8)> = slots
        .into_iter()
        .flat_map(|slot| [(slot.start(), 1), (slot.end(), -1)])
        .collect();
    // At equal instants an end (-1) sorts before a start (+1): slots that only touch
    // do not overlap, so the ending job frees its workstation first.
    boundaries.sort_unstable();
    let mut in_progress = 0usize;
    for (at, step) in boundaries {
        if step > 0 {
            in_progress += 1;
            if in_progress > capacity {
                return Some(at);
            }
        } else {
            in_progress -= 1;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn slot(from: u32, to: u32) -> Timeslot {
        let at = |h| Utc.with_ymd_and_hms(2026, 11, 21, h, 0, 0).unwrap();
        Timeslot::new("slot", at(from), at(to)).unwrap()
    }

    #[test]
    fn a_chain_of_jobs_inside_a_long_one_never_runs_more_than_two_at_once() {
        let slots = [slot(8, 9), slot(9, 10), slot(10, 11), slot(8, 11)];
        assert_eq!(first_overbooked_instant(slots, 2), None);
        assert_eq!(first_overbooked_instant(slots, 1), Some(slot(8, 9).start()));
    }

    #[test]
    fn the_first_instant_past_capacity_is_reported() {
        let slots = [slot(8, 12), slot(9, 12), slot(10, 12), slot(11, 12)];
        assert_eq!(
            first_overbooked_instant(slots, 3),
            Some(slot(11, 12).start())
        );
    }

    #[test]
    fn jobs_that_only_touch_do_not_share_an_instant() {
        let slots = [slot(8, 10), slot(10, 12)];
        assert_eq!(first_overbooked_instant(slots, 1), None);
    }
}
