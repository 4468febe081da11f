use serde_json::json;

use super::*;

const ADA: &str = "customer-0190f5a4-7b1c-7c3e-9d2a-5f0e8b6c4a21";
const GRACE: &str = "customer-0190f5a4-7b1c-7c3e-9d2a-5f0e8b6c4a22";

fn ada() -> Value {
    json!({"name": "Ada Lovelace", "email": "ada@example.com", "address": null})
}

/// Every backend of the port behaves the same (the contract), through a vault.
async fn contract(keys: Arc<dyn KeyStore>) {
    let vault = Vault::new(keys.clone(), 2);
    let sealed = vault.seal(ADA, &ada()).await.unwrap();
    assert_eq!(vault.open(ADA, &sealed).await.unwrap(), Some(ada()));

    // The store answers the same key to every caller, created once.
    let key = keys
        .get(ADA)
        .await
        .unwrap()
        .expect("a key after the first seal");
    let again = keys
        .get_or_create(ADA, DataKey::generate().unwrap())
        .await
        .unwrap();
    assert_eq!(key.as_bytes(), again.as_bytes());
    assert!(keys.get(GRACE).await.unwrap().is_none());

    vault.erase(ADA).await.unwrap();
    assert!(keys.get(ADA).await.unwrap().is_none());
    assert_eq!(vault.open(ADA, &sealed).await.unwrap(), None);
    vault.erase(ADA).await.unwrap();
    assert_eq!(
        keys.get_or_create(ADA, DataKey::generate().unwrap())
            .await
            .unwrap_err(),
        VaultError::Erased {
            subject: ADA.into()
        }
    );
    assert!(matches!(
        vault.seal(ADA, &ada()).await,
        Err(VaultError::Erased { .. })
    ));
    // Erasing a subject that never had a key is fine, and final too.
    keys.erase(GRACE).await.unwrap();
    assert!(keys.get(GRACE).await.unwrap().is_none());
}

#[tokio::test]
async fn the_in_memory_key_store_keeps_the_contract() {
    contract(Arc::new(InMemoryKeyStore::new())).await;
}

#[cfg(feature = "sqlite")]
#[tokio::test]
async fn the_sqlite_key_store_keeps_the_contract() {
    let dir = tempfile::tempdir().unwrap();
    contract(Arc::new(
        SqliteKeyStore::open(dir.path().join("keys.db")).unwrap(),
    ))
    .await;
}

#[tokio::test]
async fn sealed_data_opens_back_to_the_same_value() {
    let vault = Vault::in_memory();
    let sealed = vault.seal(ADA, &ada()).await.unwrap();
    assert_eq!(sealed["alg"], "A256GCM");
    assert_eq!(sealed["subject"], ADA);
    assert!(!sealed.to_string().contains("Ada"), "{sealed}");
    assert_eq!(vault.open(ADA, &sealed).await.unwrap(), Some(ada()));
}

#[tokio::test]
async fn every_seal_uses_a_fresh_nonce() {
    let vault = Vault::in_memory();
    let one = vault.seal(ADA, &ada()).await.unwrap();
    let two = vault.seal(ADA, &ada()).await.unwrap();
    assert_ne!(one["sealed"], two["sealed"]);
}

#[tokio::test]
async fn sealed_data_does_not_open_for_another_subject() {
    let vault = Vault::in_memory();
    let sealed = vault.seal(ADA, &ada()).await.unwrap();
    vault.seal(GRACE, &json!({"name": "Grace"})).await.unwrap();
    assert!(matches!(
        vault.open(GRACE, &sealed).await,
        Err(VaultError::Malformed { .. })
    ));
    // Relabelled as Grace's, it still fails: the subject is authenticated data.
    let mut relabelled = sealed.clone();
    relabelled["subject"] = json!(GRACE);
    assert_eq!(
        vault.open(GRACE, &relabelled).await,
        Err(VaultError::Undecryptable {
            subject: GRACE.into()
        })
    );
}

#[tokio::test]
async fn erased_data_opens_as_none() {
    let vault = Vault::in_memory();
    let sealed = vault.seal(ADA, &ada()).await.unwrap();
    vault.erase(ADA).await.unwrap();
    assert_eq!(vault.open(ADA, &sealed).await.unwrap(), None);
}

#[tokio::test]
async fn tampered_ciphertext_is_an_error_not_a_panic() {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;

    let vault = Vault::in_memory();
    let sealed = vault.seal(ADA, &ada()).await.unwrap();
    let mut bytes = STANDARD.decode(sealed["sealed"].as_str().unwrap()).unwrap();
    let last = bytes.len() - 1;
    bytes[20] ^= 0x01;
    bytes[last] ^= 0x80;
    let mut tampered = sealed.clone();
    tampered["sealed"] = json!(STANDARD.encode(&bytes));
    assert_eq!(
        vault.open(ADA, &tampered).await,
        Err(VaultError::Undecryptable {
            subject: ADA.into()
        })
    );

    for broken in [
        json!({"alg": "A256GCM", "subject": ADA, "sealed": "not base64!"}),
        json!({"alg": "A256GCM", "subject": ADA, "sealed": "c2hvcnQ="}),
        json!({"alg": "ROT13", "subject": ADA, "sealed": sealed["sealed"]}),
        json!("Ada Lovelace"),
    ] {
        assert!(
            matches!(
                vault.open(ADA, &broken).await,
                Err(VaultError::Malformed { .. })
            ),
            "{broken}"
        );
    }
}

#[tokio::test]
async fn only_the_top_level_personal_data_of_a_payload_is_sealed() {
    let vault = Vault::in_memory();
    let mut payload = json!({"customer_id": "c-1", "personal_data": ada()});
    vault.seal_payload(ADA, &mut payload).await.unwrap();
    assert_eq!(payload["customer_id"], "c-1");
    assert!(has_sealed_personal_data(&payload));
    let sealed = payload.clone();
    // Sealing twice changes nothing.
    vault.seal_payload(ADA, &mut payload).await.unwrap();
    assert_eq!(payload, sealed);

    vault.open_payload(ADA, &mut payload).await.unwrap();
    assert_eq!(
        payload,
        json!({"customer_id": "c-1", "personal_data": ada()})
    );

    let mut erased = sealed.clone();
    vault.erase(ADA).await.unwrap();
    vault.open_payload(ADA, &mut erased).await.unwrap();
    assert_eq!(erased, json!({"customer_id": "c-1", "personal_data": null}));

    for mut untouched in [
        json!({"customer_id": "c-1"}),
        json!({"customer_id": "c-1", "personal_data": null}),
        json!({"nested": {"personal_data": {"name": "x"}}}),
    ] {
        let before = untouched.clone();
        vault.seal_payload(GRACE, &mut untouched).await.unwrap();
        vault.open_payload(GRACE, &mut untouched).await.unwrap();
        assert_eq!(untouched, before);
    }
}

#[tokio::test]
async fn an_erasure_evicts_the_cached_key() {
    let keys = Arc::new(InMemoryKeyStore::new());
    let vault = Vault::new(keys.clone(), 10);
    let sealed = vault.seal(ADA, &ada()).await.unwrap();
    assert_eq!(vault.open(ADA, &sealed).await.unwrap(), Some(ada()));
    vault.erase(ADA).await.unwrap();
    assert_eq!(vault.open(ADA, &sealed).await.unwrap(), None);
}

#[test]
fn a_key_never_prints_its_bytes() {
    let key = DataKey::from_bytes(&[7; 32]).unwrap();
    assert_eq!(format!("{key:?}"), "DataKey(..)");
    assert!(DataKey::from_bytes(&[7; 31]).is_none());
}
