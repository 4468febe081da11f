//! A producer that sends a batch in order and reports only when every record of it has
//! an outcome.
//!
//! Why "every record has an outcome" before returning, even on failure: the caller
//! retries a failed batch from its start. If some records were still queued inside
//! librdkafka, they could land after the retried ones and put a stream out of order.

use std::time::Duration;

use futures::future::join_all;
use rdkafka::error::KafkaError as RdKafkaError;
use rdkafka::producer::{DeliveryFuture, FutureProducer, FutureRecord};
use rdkafka::types::RDKafkaErrorCode;

use super::wire::Record;
use super::{KafkaConfig, KafkaError};

/// How the producer is set up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProducerSettings {
    /// `enable.idempotence`: the brokers drop a retried duplicate and keep each
    /// partition in send order with up to 5 requests in flight. Turn it off only for a
    /// broker without `InitProducerId`; the producer then keeps order by sending one
    /// request at a time per connection.
    pub idempotence: bool,
    /// How long a record may wait for its acknowledgement (`message.timeout.ms`).
    pub delivery_timeout: Duration,
}

impl Default for ProducerSettings {
    fn default() -> Self {
        Self {
            idempotence: true,
            delivery_timeout: Duration::from_secs(30),
        }
    }
}

pub struct OrderedProducer {
    producer: FutureProducer,
}

impl OrderedProducer {
    /// Creates the client (it connects lazily: a broker that is down is not an error
    /// here, but at the first send).
    pub fn new(kafka: &KafkaConfig, settings: ProducerSettings) -> Result<Self, KafkaError> {
        let timeout = settings.delivery_timeout.as_millis().max(1).to_string();
        let in_flight = if settings.idempotence { "5" } else { "1" };
        let producer = kafka
            .client(&[
                ("enable.idempotence", bool_text(settings.idempotence)),
                ("acks", "all"),
                ("max.in.flight.requests.per.connection", in_flight),
                ("message.timeout.ms", &timeout),
                ("linger.ms", "5"),
            ])
            .create()
            .map_err(KafkaError::client)?;
        Ok(Self { producer })
    }

    /// Sends `records` in order; Ok once Kafka acknowledged all of them (`acks=all`).
    pub async fn send_all(&self, records: &[Record]) -> Result<(), KafkaError> {
        let mut pending: Vec<DeliveryFuture> = Vec::with_capacity(records.len());
        for record in records {
            loop {
                match self.enqueue(record) {
                    Ok(delivery) => {
                        pending.push(delivery);
                        break;
                    }
                    // librdkafka's queue is full: let what is queued drain, then go on
                    // (records still go in order).
                    Err(RdKafkaError::MessageProduction(RDKafkaErrorCode::QueueFull)) => {
                        settle(std::mem::take(&mut pending)).await?;
                    }
                    Err(error) => {
                        settle(pending).await?;
                        return Err(delivery_error(record, error));
                    }
                }
            }
        }
        settle(pending).await
    }

    fn enqueue(&self, record: &Record) -> Result<DeliveryFuture, RdKafkaError> {
        let message = FutureRecord::to(&record.topic)
            .key(&record.key)
            .payload(&record.value)
            .headers(record.kafka_headers());
        self.producer
            .send_result(message)
            .map_err(|(error, _)| error)
    }

    /// The producer's fatal error, if it had one (it must then be recreated).
    pub fn fatal_error(&self) -> Option<String> {
        use rdkafka::producer::Producer;
        self.producer
            .client()
            .fatal_error()
            .map(|(code, reason)| format!("{code}: {reason}"))
    }
}

fn bool_text(value: bool) -> &'static str {
    if value { "true" } else { "false" }
}

/// Waits for every delivery; the first failure, once all have an outcome.
async fn settle(pending: Vec<DeliveryFuture>) -> Result<(), KafkaError> {
    let mut first_error = None;
    for outcome in join_all(pending).await {
        let error = match outcome {
            Ok(Ok(_)) => continue,
            Ok(Err((error, message))) => KafkaError::Delivery {
                what: describe(&message),
                reason: error.to_string(),
            },
            Err(_) => KafkaError::Delivery {
                what: "a record".into(),
                reason: "the producer was dropped".into(),
            },
        };
        first_error.get_or_insert(error);
    }
    first_error.map_or(Ok(()), Err)
}

fn describe(message: &rdkafka::message::OwnedMessage) -> String {
    use rdkafka::Message;
    let key = message
        .key()
        .map(String::from_utf8_lossy)
        .unwrap_or_default();
    format!("a record for {} (key {key})", message.topic())
}

fn delivery_error(record: &Record, error: RdKafkaError) -> KafkaError {
    KafkaError::Delivery {
        what: format!(
            "a record for {} (key {})",
            record.topic,
            String::from_utf8_lossy(&record.key)
        ),
        reason: error.to_string(),
    }
}
