//! Keys in memory, for unit tests and in-memory event stores: the whole contract of
//! [`KeyStore`], none of the durability.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use async_trait::async_trait;

use super::{DataKey, KeyStore, VaultError};

#[derive(Default)]
struct Keys {
    live: HashMap<String, DataKey>,
    erased: HashSet<String>,
}

#[derive(Default)]
pub struct InMemoryKeyStore {
    keys: Mutex<Keys>,
}

impl InMemoryKeyStore {
    pub fn new() -> Self {
        Self::default()
    }

    fn keys(&self) -> std::sync::MutexGuard<'_, Keys> {
        // Every change is one insert or removal: a poisoned map is still consistent.
        self.keys.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[async_trait]
impl KeyStore for InMemoryKeyStore {
    async fn get(&self, subject: &str) -> Result<Option<DataKey>, VaultError> {
        Ok(self.keys().live.get(subject).cloned())
    }

    async fn get_or_create(
        &self,
        subject: &str,
        candidate: DataKey,
    ) -> Result<DataKey, VaultError> {
        let mut keys = self.keys();
        if keys.erased.contains(subject) {
            return Err(VaultError::Erased {
                subject: subject.to_owned(),
            });
        }
        Ok(keys
            .live
            .entry(subject.to_owned())
            .or_insert(candidate)
            .clone())
    }

    async fn erase(&self, subject: &str) -> Result<(), VaultError> {
        let mut keys = self.keys();
        keys.live.remove(subject);
        keys.erased.insert(subject.to_owned());
        Ok(())
    }
}
