//! The Kafka topics events are published to (DESIGN §4): one per bounded context,
//! `<prefix>.<context>.events`, each carrying the aggregate types of that context. The
//! command service's relay routes by this table and the query service subscribes to
//! every topic in it, so the two can never disagree about where an event goes. The
//! prefix is `pitlane` in production (`KAFKA_TOPIC_PREFIX`); tests that share a broker
//! each take their own.

/// The production prefix: `pitlane.customers.events`, `pitlane.fleet.events`, …
pub const DEFAULT_PREFIX: &str = "pitlane";

/// `(aggregate_type, bounded context)` for every aggregate type of the platform.
pub const CONTEXTS: &[(&str, &str)] = &[
    ("customer", "customers"),
    ("vehicle", "fleet"),
    ("driver", "fleet"),
    // What each driver and vehicle is booked for (the write side's final word on
    // bookings, ADR 016): the fleet's resources, so the fleet's topic.
    ("resource_schedule", "fleet"),
    ("technician", "workshop"),
    ("workshop_planning", "workshop"),
    ("route", "deliveries"),
    ("delivery", "deliveries"),
];

/// The topic of a bounded context.
pub fn topic(prefix: &str, context: &str) -> String {
    format!("{prefix}.{context}.events")
}

/// A topic prefix as configured (`KAFKA_TOPIC_PREFIX`), trimmed, or why it is not one:
/// Kafka's topic characters only (letters, digits, `.`, `_`, `-`).
pub fn parse_prefix(raw: &str) -> Result<String, String> {
    let prefix = raw.trim();
    let valid = !prefix.is_empty()
        && prefix.len() <= 200
        && prefix
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if valid {
        Ok(prefix.to_owned())
    } else {
        Err(format!(
            "`{prefix}` is not a topic prefix (letters, digits, `.`, `_`, `-`)"
        ))
    }
}

/// `(aggregate_type, topic)` for every aggregate type.
pub fn routes(prefix: &str) -> Vec<(&'static str, String)> {
    CONTEXTS
        .iter()
        .map(|(aggregate_type, context)| (*aggregate_type, topic(prefix, context)))
        .collect()
}

/// Every event topic, each once, sorted.
pub fn all(prefix: &str) -> Vec<String> {
    let mut topics: Vec<String> = routes(prefix).into_iter().map(|(_, t)| t).collect();
    topics.sort();
    topics.dedup();
    topics
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn production_topics_are_the_four_of_design_section_4() {
        assert_eq!(
            all(DEFAULT_PREFIX),
            [
                "pitlane.customers.events",
                "pitlane.deliveries.events",
                "pitlane.fleet.events",
                "pitlane.workshop.events"
            ]
        );
    }

    #[test]
    fn a_prefix_holds_only_kafka_topic_characters() {
        assert_eq!(parse_prefix(" ci-7.run_2 "), Ok("ci-7.run_2".into()));
        assert!(parse_prefix("").is_err());
        assert!(parse_prefix("a/b").is_err());
        assert!(parse_prefix("a b").is_err());
    }

    #[test]
    fn a_context_s_aggregates_share_its_topic() {
        let routes = routes("t");
        let topic_of = |t: &str| routes.iter().find(|(a, _)| *a == t).unwrap().1.clone();
        assert_eq!(topic_of("route"), topic_of("delivery"));
        assert_eq!(topic_of("driver"), "t.fleet.events");
    }
}
