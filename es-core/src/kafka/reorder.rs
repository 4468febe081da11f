//! Putting Kafka's events back into `$all` order, and knowing which offsets are done.
//!
//! Events of different partitions (and topics) arrive in no global order, but the
//! projector runtime deduplicates by position and its checkpoint is a position: fed
//! position 10 before position 8, it would take 8 for a duplicate and drop it. So the
//! source releases events strictly along the chain the relay wrote into each record's
//! `prev-position` header: the next event released is the one whose predecessor is the
//! last one released. Positions may have gaps (a MongoDB store's may); the chain has
//! none.
//!
//! Offsets: Kafka commits "everything below offset N of this partition". A message is
//! done once the runtime has committed its position (a duplicate's too: its original
//! is then committed), or as soon as it was dead-lettered. The offset committed per
//! partition is one past the longest done prefix of the messages received there.

use std::collections::{BTreeMap, VecDeque};

use crate::envelope::EventEnvelope;

/// Events waiting for their predecessor.
#[derive(Debug, Default)]
pub struct Chain {
    /// The position of the last event released (or the runtime's checkpoint).
    released: u64,
    /// By the position of their predecessor.
    waiting: BTreeMap<u64, EventEnvelope>,
}

impl Chain {
    /// A chain that continues after `position` (the runtime's checkpoint).
    pub fn after(position: u64) -> Self {
        Self {
            released: position,
            waiting: BTreeMap::new(),
        }
    }

    /// Takes an event whose predecessor is at `prev`. False when it is a duplicate of
    /// one released or already waiting.
    pub fn offer(&mut self, prev: u64, event: EventEnvelope) -> bool {
        if event.position <= self.released || prev < self.released {
            return false;
        }
        match self.waiting.get(&prev) {
            Some(waiting) => {
                if waiting.position != event.position {
                    tracing::warn!(
                        prev,
                        kept = waiting.position,
                        dropped = event.position,
                        "two events claim the same predecessor; keeping the first"
                    );
                }
                false
            }
            None => {
                self.waiting.insert(prev, event);
                true
            }
        }
    }

    /// The next event in `$all` order, if it has arrived.
    pub fn next_ready(&mut self) -> Option<EventEnvelope> {
        let event = self.waiting.remove(&self.released)?;
        self.released = event.position;
        Some(event)
    }

    /// The position of the last event released.
    pub fn released(&self) -> u64 {
        self.released
    }

    /// Events received but not yet released (waiting for an earlier one).
    pub fn waiting(&self) -> usize {
        self.waiting.len()
    }
}

/// A partition of a topic.
pub type Partition = (String, i32);

/// Received offsets per partition, and when each is done.
#[derive(Debug, Default)]
pub struct Offsets {
    /// Per partition, in the order received: (offset, done once the runtime has
    /// committed this position).
    received: BTreeMap<Partition, VecDeque<(i64, u64)>>,
}

impl Offsets {
    /// Records a message; `done_at` = its event's position, or 0 when it is done
    /// already (dead-lettered).
    pub fn track(&mut self, topic: &str, partition: i32, offset: i64, done_at: u64) {
        self.received
            .entry((topic.to_owned(), partition))
            .or_default()
            .push_back((offset, done_at));
    }

    /// The offsets to commit now that the runtime has committed every position up to
    /// `committed`: per partition that moved, one past its last done message.
    pub fn committable(&mut self, committed: u64) -> Vec<(Partition, i64)> {
        let mut commits = Vec::new();
        for (partition, messages) in &mut self.received {
            let mut next = None;
            while let Some(&(offset, done_at)) = messages.front() {
                if done_at > committed {
                    break;
                }
                next = Some(offset + 1);
                messages.pop_front();
            }
            if let Some(next) = next {
                commits.push((partition.clone(), next));
            }
        }
        commits
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::envelope::{Actor, now};
    use crate::hash::Hash;

    fn event(position: u64) -> EventEnvelope {
        EventEnvelope {
            event_id: uuid::Uuid::now_v7(),
            stream_id: format!("s-{position}"),
            aggregate_type: "s".into(),
            aggregate_id: position.to_string(),
            version: 1,
            position,
            event_type: "s.e.v1".into(),
            schema_version: 1,
            occurred_at: now(),
            recorded_at: now(),
            correlation_id: String::new(),
            causation_id: String::new(),
            actor: Actor::system(),
            traceparent: None,
            payload: serde_json::json!({}),
            prev_hash: Hash::ZERO,
            hash: Hash::ZERO,
        }
    }

    fn drain(chain: &mut Chain) -> Vec<u64> {
        std::iter::from_fn(|| chain.next_ready())
            .map(|e| e.position)
            .collect()
    }

    #[test]
    fn an_event_waits_until_its_predecessor_from_another_partition_is_released() {
        let mut chain = Chain::after(0);
        assert!(chain.offer(2, event(3)));
        assert!(chain.offer(1, event(2)));
        assert_eq!(drain(&mut chain), Vec::<u64>::new(), "1 has not arrived");
        assert!(chain.offer(0, event(1)));
        assert_eq!(drain(&mut chain), vec![1, 2, 3]);
    }

    #[test]
    fn gaps_in_positions_do_not_stall_the_chain() {
        let mut chain = Chain::after(10);
        chain.offer(17, event(30));
        chain.offer(10, event(17));
        assert_eq!(drain(&mut chain), vec![17, 30]);
    }

    #[test]
    fn an_event_at_or_below_the_checkpoint_is_a_duplicate() {
        let mut chain = Chain::after(5);
        assert!(!chain.offer(4, event(5)));
        assert!(!chain.offer(2, event(3)));
        assert_eq!(chain.waiting(), 0);
    }

    #[test]
    fn a_redelivered_event_still_waiting_is_taken_once() {
        let mut chain = Chain::after(0);
        assert!(chain.offer(1, event(2)));
        assert!(!chain.offer(1, event(2)));
        chain.offer(0, event(1));
        assert_eq!(drain(&mut chain), vec![1, 2]);
        assert_eq!(chain.released(), 2);
    }

    #[test]
    fn offsets_are_committed_only_up_to_the_first_message_not_yet_committed() {
        let mut offsets = Offsets::default();
        offsets.track("t", 0, 10, 4);
        offsets.track("t", 0, 11, 7);
        offsets.track("t", 0, 12, 5);
        offsets.track("t", 1, 3, 6);
        assert_eq!(offsets.committable(5), vec![(("t".to_owned(), 0), 11)]);
        assert_eq!(
            offsets.committable(7),
            vec![(("t".to_owned(), 0), 13), (("t".to_owned(), 1), 4)]
        );
        assert!(offsets.committable(7).is_empty(), "nothing moved since");
    }

    #[test]
    fn a_dead_lettered_message_is_done_at_once() {
        let mut offsets = Offsets::default();
        offsets.track("t", 0, 0, 0);
        assert_eq!(offsets.committable(0), vec![(("t".to_owned(), 0), 1)]);
    }
}
