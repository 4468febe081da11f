//! The read-model store contract, run against the SQLite backend (the SQL Server backend
//! runs the same cases when it lands).

use query::testing::TestDb;
use query::testing::store_contract::contract_projection;

fn sqlite() -> TestDb {
    TestDb::new(vec![contract_projection()])
}

query::read_model_store_contract_tests!(sqlite);
