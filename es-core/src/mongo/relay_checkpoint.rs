//! The relay's checkpoint beside a MongoDB event store (ADR 012): one document per
//! relay in `relay_checkpoints`, `{_id: relay, position, updated_at}`, upserted at
//! majority so a fail-over cannot take a save back.

use async_trait::async_trait;
use mongodb::Collection;
use mongodb::bson::{Document, doc};
use mongodb::options::{CollectionOptions, ReadConcern, WriteConcern};

use super::MongoEventStore;
use crate::kafka::{CheckpointError, RelayCheckpoint};

/// The collection's name, for operators.
pub const RELAY_CHECKPOINTS: &str = "relay_checkpoints";

pub struct MongoRelayCheckpoint {
    checkpoints: Collection<Document>,
}

impl MongoRelayCheckpoint {
    /// The checkpoints in the event store's own database.
    pub fn beside(store: &MongoEventStore) -> Self {
        let options = CollectionOptions::builder()
            .read_concern(ReadConcern::majority())
            .write_concern(WriteConcern::majority())
            .build();
        Self {
            checkpoints: store
                .database()
                .collection_with_options(RELAY_CHECKPOINTS, options),
        }
    }
}

fn failed(what: &str, error: mongodb::error::Error) -> CheckpointError {
    CheckpointError(format!("{what} in MongoDB failed: {error}"))
}

#[async_trait]
impl RelayCheckpoint for MongoRelayCheckpoint {
    async fn load(&self, relay: &str) -> Result<u64, CheckpointError> {
        let found = self
            .checkpoints
            .find_one(doc! { "_id": relay })
            .await
            .map_err(|e| failed("reading the relay checkpoint", e))?;
        let Some(document) = found else {
            return Ok(0);
        };
        let position = document.get_i64("position").map_err(|e| {
            CheckpointError(format!("the checkpoint of relay {relay} is malformed: {e}"))
        })?;
        u64::try_from(position).map_err(|_| {
            CheckpointError(format!(
                "the checkpoint of relay {relay} is negative ({position})"
            ))
        })
    }

    async fn save(&self, relay: &str, position: u64) -> Result<(), CheckpointError> {
        let position = i64::try_from(position)
            .map_err(|_| CheckpointError(format!("position {position} is out of range")))?;
        let now = crate::time::format(&crate::envelope::now());
        self.checkpoints
            .update_one(
                doc! { "_id": relay },
                doc! { "$set": { "position": position, "updated_at": now } },
            )
            .upsert(true)
            .await
            .map_err(|e| failed("saving the relay checkpoint", e))?;
        Ok(())
    }
}
