//! The relay inside the command service (`KAFKA_BROKERS`): its state in the gRPC health
//! service as `pitlane.Relay`, and commands that never wait for Kafka.

use std::time::Duration;

use command::config::{Config, KafkaSettings};
use command::startup::{RELAY_HEALTH, build};
use contracts::v1::customer_commands_client::CustomerCommandsClient;
use es_core::testing::servers::server_url;
use tokio::sync::oneshot;
use tonic::transport::Channel;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

use crate::helpers::{as_subject, config_in, customer, new_id, serve};

struct Running {
    channel: Channel,
    /// Calls as a planner.
    planner: crate::helpers::AuthedChannel,
    _stop: oneshot::Sender<()>,
    _dir: tempfile::TempDir,
}

async fn start_with_kafka(brokers: &str) -> Running {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = Config {
        aggregate_cache: 100,
        kafka: Some(KafkaSettings {
            brokers: brokers.to_owned(),
            partitions: 1,
            replication: 1,
            topic_prefix: format!("relay-health-{}", uuid::Uuid::now_v7().simple()),
            properties: vec![("socket.connection.setup.timeout.ms".into(), "1000".into())],
        }),
        ..config_in(dir.path())
    };
    let auth = config.auth.open("test").expect("issuer");
    let app = build(config)
        .await
        .expect("the service starts whatever Kafka does");
    let (channel, stop) = serve(app).await;
    Running {
        planner: as_subject(&channel, &auth, "alice", &[identity::Role::Planner]),
        channel,
        _stop: stop,
        _dir: dir,
    }
}

async fn relay_health(channel: &Channel) -> ServingStatus {
    let reply = HealthClient::new(channel.clone())
        .check(HealthCheckRequest {
            service: RELAY_HEALTH.into(),
        })
        .await
        .expect("the relay is registered with the health service")
        .into_inner();
    ServingStatus::try_from(reply.status).expect("a known status")
}

/// Polls the relay's health until it is `wanted`; the last status seen otherwise.
async fn relay_becomes(channel: &Channel, wanted: ServingStatus) -> ServingStatus {
    let mut seen = relay_health(channel).await;
    for _ in 0..100 {
        if seen == wanted {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        seen = relay_health(channel).await;
    }
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_kafka_unreachable_commands_still_append_and_the_relay_reports_not_serving() {
    // Port 9 (discard) on loopback: nothing listens, connections are refused.
    let app = start_with_kafka("127.0.0.1:9").await;
    let reply = CustomerCommandsClient::new(app.planner.clone())
        .register_customer(customer(&new_id()))
        .await
        .expect("the append does not wait for Kafka");
    assert_eq!(reply.into_inner().token.expect("a token").version, 1);
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(relay_health(&app.channel).await, ServingStatus::NotServing);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_kafka_up_the_relay_reports_serving() {
    let Some(brokers) = server_url("KAFKA_BROKERS") else {
        return;
    };
    let app = start_with_kafka(&brokers).await;
    CustomerCommandsClient::new(app.planner.clone())
        .register_customer(customer(&new_id()))
        .await
        .expect("appended");
    assert_eq!(
        relay_becomes(&app.channel, ServingStatus::Serving).await,
        ServingStatus::Serving
    );
}
