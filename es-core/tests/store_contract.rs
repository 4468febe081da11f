//! The `EventStore` contract suite, run against every embedded backend.

mod in_memory {
    use std::sync::Arc;

    use es_core::InMemoryEventStore;
    use es_core::testing::store_contract::StoreUnderTest;

    async fn fresh() -> StoreUnderTest {
        StoreUnderTest {
            store: Arc::new(InMemoryEventStore::new()),
            guard: Box::new(()),
        }
    }

    es_core::event_store_contract_tests!(fresh);
}

mod sqlite {
    use std::sync::Arc;

    use es_core::SqliteEventStore;
    use es_core::testing::store_contract::StoreUnderTest;

    async fn fresh() -> StoreUnderTest {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = SqliteEventStore::open(dir.path().join("events.db")).expect("open");
        StoreUnderTest {
            store: Arc::new(store),
            guard: Box::new(dir),
        }
    }

    es_core::event_store_contract_tests!(fresh);
}
