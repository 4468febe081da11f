//! What lives beside the MongoDB event store, on a real MongoDB-wire server
//! (`MONGO_URL`; skipped with a printed reason when unset, failing under `CI=true`):
//! the relay's checkpoint and the keys of personal data (ADR 010, ADR 012).
#![cfg(all(feature = "mongo", feature = "kafka"))]

use std::sync::Arc;
use std::time::Duration;

use es_core::kafka::{RelayCheckpoint, checkpoint_contract};
use es_core::mongo::{MongoKeyStore, MongoRelayCheckpoint};
use es_core::testing::servers::server_url;
use es_core::vault::{DataKey, KeyStore};
use es_core::{MongoEventStore, Vault, VaultError};
use serde_json::json;

const ADA: &str = "customer-0190f5a4-7b1c-7c3e-9d2a-5f0e8b6c4a21";

/// A store on a database of its own (dropped at the end, best effort).
struct Fresh {
    store: MongoEventStore,
    url: String,
    name: String,
}

impl Drop for Fresh {
    fn drop(&mut self) {
        let (url, name) = (self.url.clone(), self.name.clone());
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async {
                let drop = async {
                    mongodb::Client::with_uri_str(&url)
                        .await?
                        .database(&name)
                        .drop()
                        .await
                };
                let _ = tokio::time::timeout(Duration::from_secs(5), drop).await;
            });
        })
        .join();
    }
}

async fn fresh() -> Option<Fresh> {
    let url = server_url("MONGO_URL")?;
    let name = format!("pitlane_test_{}", uuid::Uuid::now_v7().simple());
    let store = MongoEventStore::connect_within(&url, &name, Duration::from_secs(20))
        .await
        .expect("connect to MONGO_URL");
    Some(Fresh { store, url, name })
}

#[tokio::test]
async fn the_mongo_relay_checkpoint_keeps_the_checkpoint_contract() {
    let Some(db) = fresh().await else { return };
    checkpoint_contract(&MongoRelayCheckpoint::beside(&db.store)).await;
}

#[tokio::test]
async fn a_relay_checkpoint_saved_by_one_process_is_loaded_by_the_next() {
    let Some(db) = fresh().await else { return };
    MongoRelayCheckpoint::beside(&db.store)
        .save("relay", 1_234)
        .await
        .unwrap();
    let again = MongoEventStore::connect_within(&db.url, &db.name, Duration::from_secs(20))
        .await
        .unwrap();
    let loaded = MongoRelayCheckpoint::beside(&again).load("relay").await;
    assert_eq!(loaded, Ok(1_234));
}

#[tokio::test]
async fn a_subject_gets_one_key_however_many_candidates_race_for_it() {
    let Some(db) = fresh().await else { return };
    let keys = Arc::new(MongoKeyStore::beside(&db.store));
    let racers = (0..8).map(|_| {
        let keys = keys.clone();
        tokio::spawn(async move {
            keys.get_or_create(ADA, DataKey::generate().unwrap())
                .await
                .unwrap()
        })
    });
    let won: Vec<[u8; 32]> = futures::future::join_all(racers)
        .await
        .into_iter()
        .map(|k| *k.unwrap().as_bytes())
        .collect();
    assert!(
        won.windows(2).all(|w| w[0] == w[1]),
        "every racer got the same key"
    );
    let stored = keys.get(ADA).await.unwrap().expect("the key is stored");
    assert_eq!(stored.as_bytes(), &won[0]);
}

#[tokio::test]
async fn an_erased_subject_has_no_key_and_can_never_get_one_again() {
    let Some(db) = fresh().await else { return };
    let keys = MongoKeyStore::beside(&db.store);
    keys.get_or_create(ADA, DataKey::generate().unwrap())
        .await
        .unwrap();
    keys.erase(ADA).await.unwrap();
    keys.erase(ADA).await.expect("erasing twice is a no-op");
    assert!(keys.get(ADA).await.unwrap().is_none());
    let again = keys.get_or_create(ADA, DataKey::generate().unwrap()).await;
    assert!(matches!(again, Err(VaultError::Erased { .. })), "{again:?}");
    keys.erase("customer-never-seen").await.unwrap();
    assert!(
        keys.get_or_create("customer-never-seen", DataKey::generate().unwrap())
            .await
            .is_err(),
        "a subject erased before its first key stays erased"
    );
}

#[tokio::test]
async fn a_reader_vault_in_another_process_sees_an_erasure_at_its_next_open() {
    let Some(db) = fresh().await else { return };
    let writer = Vault::new(Arc::new(MongoKeyStore::beside(&db.store)), 100);
    let reader = Vault::reader(Arc::new(MongoKeyStore::beside(&db.store)));
    let data = json!({"name": "Ada Lovelace"});
    let sealed = writer.seal(ADA, &data).await.unwrap();
    assert_eq!(reader.open(ADA, &sealed).await.unwrap(), Some(data));

    writer.erase(ADA).await.unwrap();
    assert_eq!(
        reader.open(ADA, &sealed).await.unwrap(),
        None,
        "the reader kept no key to open it with"
    );
}
