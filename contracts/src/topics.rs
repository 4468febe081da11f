//! The Kafka topics events are published to (DESIGN §4): one per bounded context, each
//! carrying the aggregate types of that context. The command service's relay routes by
//! this table and the query service subscribes to every topic in it, so the two can
//! never disagree about where an event goes.

/// `(aggregate_type, topic)` for every aggregate type of the platform.
pub const ROUTES: &[(&str, &str)] = &[
    ("customer", CUSTOMERS),
    ("vehicle", FLEET),
    ("driver", FLEET),
    ("technician", WORKSHOP),
    ("workshop_planning", WORKSHOP),
    ("route", DELIVERIES),
    ("delivery", DELIVERIES),
];

pub const CUSTOMERS: &str = "pitlane.customers.events";
pub const FLEET: &str = "pitlane.fleet.events";
pub const WORKSHOP: &str = "pitlane.workshop.events";
pub const DELIVERIES: &str = "pitlane.deliveries.events";

/// Every event topic, each once.
pub const ALL: &[&str] = &[CUSTOMERS, FLEET, WORKSHOP, DELIVERIES];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_routed_topic_is_listed_and_every_listed_topic_is_routed() {
        for (_, topic) in ROUTES {
            assert!(ALL.contains(topic), "{topic} is not in ALL");
        }
        for topic in ALL {
            assert!(
                ROUTES.iter().any(|(_, t)| t == topic),
                "{topic} has no route"
            );
        }
    }
}
