//! Where the brokers are, which topic an event goes to, and how topics are created.

use std::collections::BTreeMap;

use rdkafka::ClientConfig;

use super::KafkaError;

/// Connection settings shared by the relay, the source and the admin client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KafkaConfig {
    /// `bootstrap.servers`, e.g. `127.0.0.1:19092` (the `KAFKA_BROKERS` variable).
    pub brokers: String,
    /// Extra librdkafka properties (security, timeouts), applied last so they win.
    pub properties: Vec<(String, String)>,
}

impl KafkaConfig {
    pub fn new(brokers: impl Into<String>) -> Self {
        Self {
            brokers: brokers.into(),
            properties: Vec::new(),
        }
    }

    /// Adds (or overrides) one librdkafka property.
    pub fn with(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.properties.push((key.into(), value.into()));
        self
    }

    /// A client config with the brokers, then `defaults`, then the overrides (for the
    /// relay, the source, and any other client: tests, tools).
    pub fn client(&self, defaults: &[(&str, &str)]) -> ClientConfig {
        let mut config = ClientConfig::new();
        config.set("bootstrap.servers", &self.brokers);
        for (key, value) in defaults {
            config.set(*key, *value);
        }
        for (key, value) in &self.properties {
            config.set(key, value);
        }
        config
    }
}

/// A broker list as configured (`KAFKA_BROKERS`: `host:port[,host:port…]`), trimmed,
/// or why it is not one.
pub fn parse_brokers(raw: &str) -> Result<String, String> {
    let brokers: Vec<&str> = raw.split(',').map(str::trim).collect();
    for broker in &brokers {
        let valid = !broker.contains("://")
            && broker
                .rsplit_once(':')
                .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok());
        if !valid {
            return Err(format!(
                "`{broker}` is not a broker address like kafka:9092 (a comma-separated list)"
            ));
        }
    }
    Ok(brokers.join(","))
}

/// How topics are created when missing (they are never altered once they exist).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TopicSettings {
    pub partitions: i32,
    pub replication: i32,
}

impl Default for TopicSettings {
    fn default() -> Self {
        Self {
            partitions: 6,
            replication: 1,
        }
    }
}

/// Which topic each aggregate type is published to: one topic per bounded context
/// (DESIGN §4). es-core knows no context, so the command service supplies the routes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TopicMap {
    routes: BTreeMap<String, String>,
    fallback: Option<String>,
}

impl TopicMap {
    pub fn new() -> Self {
        Self::default()
    }

    /// Events of `aggregate_type` go to `topic`.
    pub fn route(mut self, aggregate_type: impl Into<String>, topic: impl Into<String>) -> Self {
        self.routes.insert(aggregate_type.into(), topic.into());
        self
    }

    /// Events of any type without a route go to `topic`. Without a fallback, such an
    /// event stops the relay (reported in its status) rather than being skipped: a
    /// skipped event would be lost to every consumer.
    pub fn fallback(mut self, topic: impl Into<String>) -> Self {
        self.fallback = Some(topic.into());
        self
    }

    pub fn topic_for(&self, aggregate_type: &str) -> Result<&str, KafkaError> {
        self.routes
            .get(aggregate_type)
            .or(self.fallback.as_ref())
            .map(String::as_str)
            .ok_or_else(|| KafkaError::NoTopic(aggregate_type.to_owned()))
    }

    /// Every topic events can be published to, each once, sorted.
    pub fn topics(&self) -> Vec<String> {
        let mut topics: Vec<String> = self
            .routes
            .values()
            .chain(self.fallback.iter())
            .cloned()
            .collect();
        topics.sort();
        topics.dedup();
        topics
    }
}

/// The dead-letter topic of `topic` (DESIGN §4).
pub fn dead_letter_topic(topic: &str) -> String {
    format!("{topic}.dlq")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map() -> TopicMap {
        TopicMap::new()
            .route("delivery", "pitlane.deliveries.events")
            .route("route", "pitlane.deliveries.events")
            .route("customer", "pitlane.customers.events")
    }

    #[test]
    fn an_aggregate_type_goes_to_its_context_topic() {
        assert_eq!(
            map().topic_for("route").unwrap(),
            "pitlane.deliveries.events"
        );
        assert_eq!(
            map().topic_for("customer").unwrap(),
            "pitlane.customers.events"
        );
    }

    #[test]
    fn an_unrouted_type_is_an_error_without_a_fallback() {
        assert!(matches!(map().topic_for("driver"), Err(KafkaError::NoTopic(t)) if t == "driver"));
        let with_fallback = map().fallback("pitlane.other.events");
        assert_eq!(
            with_fallback.topic_for("driver").unwrap(),
            "pitlane.other.events"
        );
    }

    #[test]
    fn topics_lists_each_destination_once() {
        assert_eq!(
            map().fallback("pitlane.customers.events").topics(),
            vec!["pitlane.customers.events", "pitlane.deliveries.events"]
        );
    }

    #[test]
    fn the_dead_letter_topic_is_the_topic_with_a_dlq_suffix() {
        assert_eq!(
            dead_letter_topic("pitlane.fleet.events"),
            "pitlane.fleet.events.dlq"
        );
    }

    #[test]
    fn overrides_win_over_defaults() {
        let config = KafkaConfig::new("b:1")
            .with("acks", "1")
            .client(&[("acks", "all")]);
        assert_eq!(config.get("acks"), Some("1"));
        assert_eq!(config.get("bootstrap.servers"), Some("b:1"));
    }
}
