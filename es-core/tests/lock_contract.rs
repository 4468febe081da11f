//! The `LockManager` contract suite, run against the in-process backend.

use std::sync::Arc;

use es_core::lock::InProcessLocks;
use es_core::testing::lock_contract::LocksUnderTest;

async fn fresh() -> LocksUnderTest {
    LocksUnderTest {
        locks: Arc::new(InProcessLocks::new()),
        guard: Box::new(()),
    }
}

es_core::lock_manager_contract_tests!(fresh);
