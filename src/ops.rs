//! `pitlane ops …`: what operators run against a running platform. For now the dead
//! letters (ADR 021): `list`, `show`, `redrive`, `discard`, over the query service's
//! gRPC API, as an operator (a token from `--token`/`PITLANE_TOKEN`, or minted by the
//! embedded platform's development issuer).

use std::io::Write;

use anyhow::Context;
use clap::{Args, Subcommand};
use contracts::v1::query_client::QueryClient;
use contracts::v1::{
    DeadLetter, DiscardDeadLetterRequest, GetDeadLetterRequest, ListDeadLettersRequest,
    RedriveDeadLettersRequest,
};
use tonic::transport::Channel;

use crate::audit::Credentials;

#[derive(Debug, Subcommand)]
pub enum OpsCommand {
    /// Events a read model could not apply: list, show, redrive after a fix, discard.
    #[command(subcommand, name = "dead-letters")]
    DeadLetters(DeadLettersCommand),
}

#[derive(Debug, Subcommand)]
pub enum DeadLettersCommand {
    /// Parked events (of one read model, or all) with reason and attempts, then those
    /// discarded with who and why.
    List {
        /// A read model's name (e.g. `customers`); absent: every read model.
        read_model: Option<String>,
        /// Also list what the `<topic>.dlq` topics of these brokers hold: the records of
        /// the events parked with Kafka as the source, messages that were no event at
        /// all, and operators' settlements.
        #[arg(long, value_name = "BROKERS")]
        kafka: Option<String>,
        /// The topics' prefix, with --kafka.
        #[arg(long, env = "KAFKA_TOPIC_PREFIX", default_value = contracts::topics::DEFAULT_PREFIX,
              value_parser = contracts::topics::parse_prefix)]
        topic_prefix: String,
        #[command(flatten)]
        at: QueryAt,
    },
    /// One parked event with its envelope (JSON).
    Show {
        read_model: String,
        position: u64,
        #[command(flatten)]
        at: QueryAt,
    },
    /// Apply parked events again after a fix, each stream's in order: the one at
    /// POSITION and those of its stream held behind it, or (without POSITION) all of
    /// the read model's. Exits 1 when some failed again.
    Redrive {
        read_model: String,
        position: Option<u64>,
        #[command(flatten)]
        at: QueryAt,
    },
    /// Forget a parked event, recording who discarded it and why.
    Discard {
        read_model: String,
        position: u64,
        /// Why (required; kept with the record).
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        at: QueryAt,
    },
}

/// The running query service, and who asks it (`ops`, and `audit rebuild`).
#[derive(Debug, Args)]
pub struct QueryAt {
    #[arg(
        long,
        env = "PITLANE_QUERY_URL",
        default_value = "http://127.0.0.1:50052"
    )]
    query_url: String,
    #[command(flatten)]
    credentials: Credentials,
}

impl QueryAt {
    /// The query service, asked as `role` (the token given, or one minted for `role`).
    pub(crate) async fn client_as(
        &self,
        role: identity::Role,
    ) -> anyhow::Result<QueryClient<identity::grpc::AuthedChannel>> {
        let token = self.credentials.token(role).await?;
        let channel: Channel = crate::token::endpoint(&self.query_url)?
            .connect()
            .await
            .with_context(|| format!("no query service answers at {}", self.query_url))?;
        let channel = identity::grpc::authed(channel, &token)
            .ok_or_else(|| anyhow::anyhow!("the token is not a valid header value"))?;
        Ok(QueryClient::new(channel))
    }
}

fn refused(status: tonic::Status) -> anyhow::Error {
    anyhow::anyhow!("the query service refused: {}", status.message())
}

impl OpsCommand {
    pub async fn run(self) -> anyhow::Result<()> {
        let OpsCommand::DeadLetters(command) = self;
        let mut out = std::io::stdout().lock();
        match command {
            DeadLettersCommand::List {
                read_model,
                kafka,
                topic_prefix,
                at,
            } => {
                let request = ListDeadLettersRequest {
                    projection: read_model.unwrap_or_default(),
                };
                let reply = at
                    .client_as(identity::Role::Operator)
                    .await?
                    .list_dead_letters(request)
                    .await
                    .map_err(refused)?
                    .into_inner();
                if reply.dead_letters.is_empty() {
                    writeln!(out, "no dead letters")?;
                }
                for letter in &reply.dead_letters {
                    writeln!(out, "{}", line(letter))?;
                }
                for discarded in &reply.discarded {
                    let letter = discarded.dead_letter.clone().unwrap_or_default();
                    writeln!(
                        out,
                        "discarded {} {} by {} at {}: {}",
                        letter.projection,
                        letter.position,
                        discarded.discarded_by,
                        discarded.discarded_at,
                        discarded.discard_reason
                    )?;
                }
                if let Some(brokers) = kafka {
                    for record in kafka_records(brokers, &topic_prefix).await? {
                        writeln!(out, "{record}")?;
                    }
                }
            }
            DeadLettersCommand::Show {
                read_model,
                position,
                at,
            } => {
                let request = GetDeadLetterRequest {
                    projection: read_model,
                    position,
                };
                let letter = at
                    .client_as(identity::Role::Operator)
                    .await?
                    .get_dead_letter(request)
                    .await
                    .map_err(refused)?
                    .into_inner();
                writeln!(out, "{}", line(&letter))?;
                let envelope: serde_json::Value = serde_json::from_str(&letter.envelope_json)
                    .unwrap_or(serde_json::Value::String(letter.envelope_json.clone()));
                writeln!(out, "{}", serde_json::to_string_pretty(&envelope)?)?;
            }
            DeadLettersCommand::Redrive {
                read_model,
                position,
                at,
            } => {
                let request = RedriveDeadLettersRequest {
                    projection: read_model,
                    position,
                };
                let reply = at
                    .client_as(identity::Role::Operator)
                    .await?
                    .redrive_dead_letters(request)
                    .await
                    .map_err(refused)?
                    .into_inner();
                for letter in &reply.redriven {
                    writeln!(out, "redriven {}", line(letter))?;
                }
                for letter in &reply.failed {
                    writeln!(out, "failed again {}", line(letter))?;
                }
                writeln!(
                    out,
                    "{} redriven, {} failed again",
                    reply.redriven.len(),
                    reply.failed.len()
                )?;
                if !reply.failed.is_empty() {
                    out.flush()?;
                    std::process::exit(1);
                }
            }
            DeadLettersCommand::Discard {
                read_model,
                position,
                reason,
                at,
            } => {
                let request = DiscardDeadLetterRequest {
                    projection: read_model,
                    position,
                    reason,
                };
                let discarded = at
                    .client_as(identity::Role::Operator)
                    .await?
                    .discard_dead_letter(request)
                    .await
                    .map_err(refused)?
                    .into_inner();
                writeln!(
                    out,
                    "discarded {} by {} at {}",
                    line(&discarded.dead_letter.unwrap_or_default()),
                    discarded.discarded_by,
                    discarded.discarded_at
                )?;
            }
        }
        Ok(())
    }
}

/// One dead letter on one line: where, what, how often, why.
fn line(letter: &DeadLetter) -> String {
    let held = letter
        .held_behind
        .map(|behind| format!(" (held behind {behind})"))
        .unwrap_or_default();
    format!(
        "{} {} {} v{} {} attempts={}{}: {}",
        letter.projection,
        letter.position,
        letter.stream_id,
        letter.version,
        letter.event_type,
        letter.attempts,
        held,
        letter.reason
    )
}

/// The `.dlq` records of every event topic under `prefix`, one line each: where it is,
/// its key, and what its headers say (a dead letter's projector, attempts and error, or
/// a settlement's outcome and operator).
async fn kafka_records(brokers: String, prefix: &str) -> anyhow::Result<Vec<String>> {
    let topics = contracts::topics::all(prefix);
    let kafka = es_core::kafka::KafkaConfig::new(brokers);
    let records =
        tokio::task::spawn_blocking(move || es_core::kafka::read_dead_letters(&kafka, &topics))
            .await??;
    let text = |record: &es_core::kafka::wire::Received, key: &str| {
        record
            .header(key)
            .map(|value| String::from_utf8_lossy(value).into_owned())
    };
    Ok(records
        .iter()
        .map(|record| {
            let key = String::from_utf8_lossy(record.key.as_deref().unwrap_or_default());
            let place = format!(
                "{} {}@{} {key}",
                record.topic, record.partition, record.offset
            );
            let event = text(record, es_core::kafka::wire::EVENT_ID).unwrap_or_default();
            match text(record, es_core::kafka::SETTLED) {
                Some(outcome) => format!(
                    "{place}: {outcome} by {} (event {event})",
                    text(record, es_core::kafka::SETTLED_BY).unwrap_or_default()
                ),
                None => format!(
                    "{place}: dead letter of {} after {} attempts (event {event}): {}",
                    text(record, es_core::kafka::PROJECTOR).unwrap_or_default(),
                    text(record, es_core::kafka::ATTEMPTS).unwrap_or_default(),
                    text(record, es_core::kafka::ERROR).unwrap_or_default()
                ),
            }
        })
        .collect())
}
