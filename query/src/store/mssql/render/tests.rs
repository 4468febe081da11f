//! The exact T-SQL of every store operation. No SQL Server runs where these tests run,
//! so each string here was reviewed against T-SQL's rules (ADR 013), and the tests keep
//! it from drifting.

use super::*;
use crate::store::Column;

static PARTS: Table = Table {
    name: "parts",
    columns: &[
        Column::text("part_id"),
        Column::text("name"),
        Column::opt_text("note"),
        Column::int("stock"),
        Column::opt_int("weight"),
        Column::real("price"),
    ],
    key: &["part_id"],
    indexes: &[&["name"]],
};

static SLOTS: Table = Table {
    name: "slots",
    columns: &[
        Column::text("kind"),
        Column::text("id"),
        Column::text("holder"),
        Column::int("version"),
    ],
    key: &["kind", "id"],
    indexes: &[&["holder", "kind"], &["version"]],
};

const ALL_PARTS: &str = "[part_id], [name], [note], [stock], [weight], [price]";

fn int(value: i64) -> Param {
    Param {
        kind: Kind::Int,
        value: Value::Int(value),
    }
}

fn text(value: &str) -> Param {
    Param {
        kind: Kind::Text,
        value: Value::Text(value.into()),
    }
}

fn shape_error<T: std::fmt::Debug>(result: Result<T, DbError>, mentions: &str) {
    match result {
        Err(DbError::Shape { reason, .. }) => assert!(reason.contains(mentions), "{reason}"),
        other => panic!("expected a shape error mentioning {mentions}, got {other:?}"),
    }
}

#[test]
fn identifiers_are_bracket_quoted_with_closing_brackets_doubled() {
    assert_eq!(quoted("order"), "[order]");
    assert_eq!(quoted("we]ird"), "[we]]ird]");
    assert_eq!(literal("it's"), "N'it''s'");
}

#[test]
fn a_table_is_created_if_missing_with_bounded_key_and_index_text() {
    let statements = create_table(&PARTS, "parts__g1").expect("rendered");
    assert_eq!(
        statements,
        vec![
            "IF OBJECT_ID(N'[parts__g1]', N'U') IS NULL CREATE TABLE [parts__g1] (\
             [part_id] NVARCHAR(100) COLLATE Latin1_General_100_BIN2 NOT NULL, \
             [name] NVARCHAR(400) COLLATE Latin1_General_100_BIN2 NOT NULL, \
             [note] NVARCHAR(MAX) COLLATE Latin1_General_100_BIN2 NULL, \
             [stock] BIGINT NOT NULL, [weight] BIGINT NULL, [price] FLOAT NOT NULL, \
             PRIMARY KEY ([part_id]));",
            "IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE object_id = \
             OBJECT_ID(N'[parts__g1]') AND name = N'ix__name') AND EXISTS (SELECT 1 FROM \
             sys.columns WHERE object_id = OBJECT_ID(N'[parts__g1]') AND name = N'name' AND \
             max_length = -1) ALTER TABLE [parts__g1] ALTER COLUMN [name] NVARCHAR(400) \
             COLLATE Latin1_General_100_BIN2 NOT NULL;",
            "IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE object_id = \
             OBJECT_ID(N'[parts__g1]') AND name = N'ix__name') \
             CREATE INDEX [ix__name] ON [parts__g1] ([name]);",
        ]
    );
}

#[test]
fn a_composite_key_and_an_index_mixing_key_and_other_columns_render_in_order() {
    let statements = create_table(&SLOTS, "slots__g2").expect("rendered");
    assert_eq!(statements.len(), 4, "table, narrow holder, two indexes");
    assert!(
        statements[0].ends_with(
            "[holder] NVARCHAR(200) COLLATE Latin1_General_100_BIN2 NOT NULL, \
             [version] BIGINT NOT NULL, PRIMARY KEY ([kind], [id]));"
        ),
        "{}",
        statements[0]
    );
    // Only `holder` may have been created as MAX: `kind` is a key column.
    assert!(statements[1].contains("ALTER COLUMN [holder] NVARCHAR(200)"));
    assert!(
        statements[2]
            .ends_with("CREATE INDEX [ix__holder_kind] ON [slots__g2] ([holder], [kind]);")
    );
    assert!(statements[3].ends_with("CREATE INDEX [ix__version] ON [slots__g2] ([version]);"));
}

#[test]
fn names_longer_than_sql_server_allows_are_refused() {
    let long = "t".repeat(129);
    shape_error(create_table(&PARTS, &long), "128");
    assert!(create_table(&PARTS, &"t".repeat(128)).is_ok());
}

#[test]
fn tables_are_dropped_only_if_they_exist() {
    assert_eq!(drop_table("parts__g1"), "DROP TABLE IF EXISTS [parts__g1];");
}

#[test]
fn an_upsert_is_one_merge_under_holdlock_that_updates_only_the_given_columns() {
    let row = [
        ("part_id", Value::from("p1")),
        ("name", Value::from("Pad")),
        ("stock", Value::from(3)),
    ];
    let statement = upsert(&PARTS, "parts__g1", &row).expect("rendered");
    assert_eq!(
        statement.sql,
        "MERGE INTO [parts__g1] WITH (HOLDLOCK) AS [target] USING (SELECT @P1 AS [part_id], \
         @P2 AS [name], @P3 AS [stock]) AS [source] ON [target].[part_id] = [source].[part_id] \
         WHEN MATCHED THEN UPDATE SET [target].[name] = [source].[name], \
         [target].[stock] = [source].[stock] WHEN NOT MATCHED THEN INSERT ([part_id], [name], \
         [stock]) VALUES ([source].[part_id], [source].[name], [source].[stock]);"
    );
    assert_eq!(statement.params, vec![text("p1"), text("Pad"), int(3)]);
}

#[test]
fn an_upsert_of_only_the_key_inserts_when_missing_and_changes_nothing_otherwise() {
    let row = [("kind", Value::from("van")), ("id", Value::from("v1"))];
    let statement = upsert(&SLOTS, "slots__g1", &row).expect("rendered");
    assert_eq!(
        statement.sql,
        "MERGE INTO [slots__g1] WITH (HOLDLOCK) AS [target] USING (SELECT @P1 AS [kind], \
         @P2 AS [id]) AS [source] ON [target].[kind] = [source].[kind] AND [target].[id] = \
         [source].[id] WHEN NOT MATCHED THEN INSERT ([kind], [id]) VALUES ([source].[kind], \
         [source].[id]);"
    );
}

#[test]
fn an_upsert_without_its_whole_key_is_a_shape_error() {
    shape_error(
        upsert(&SLOTS, "slots__g1", &[("kind", Value::from("van"))]),
        "`id`",
    );
}

#[test]
fn insert_ignore_inserts_only_where_the_locked_key_range_is_empty() {
    let row = [
        ("kind", Value::from("van")),
        ("holder", Value::from("d1")),
        ("id", Value::from("v1")),
    ];
    let statement = insert_ignore(&SLOTS, "slots__g1", &row).expect("rendered");
    assert_eq!(
        statement.sql,
        "INSERT INTO [slots__g1] ([kind], [holder], [id]) SELECT @P1, @P2, @P3 WHERE NOT EXISTS \
         (SELECT 1 FROM [slots__g1] WITH (UPDLOCK, HOLDLOCK) WHERE [kind] = @P1 AND [id] = @P3);"
    );
    assert_eq!(statement.params, vec![text("van"), text("d1"), text("v1")]);
}

#[test]
fn update_binds_the_new_values_before_the_filter() {
    let statement = update(
        &PARTS,
        "parts__g1",
        &[("stock", 0.into()), ("name", "x".into())],
        &[("note", "reorder".into())],
    )
    .expect("rendered");
    assert_eq!(
        statement.sql,
        "UPDATE [parts__g1] SET [note] = @P1 WHERE [stock] = @P2 AND [name] = @P3;"
    );
    assert_eq!(statement.params, vec![text("reorder"), int(0), text("x")]);
}

#[test]
fn an_update_that_sets_nothing_is_a_shape_error() {
    shape_error(
        update(&PARTS, "parts__g1", &[("stock", 0.into())], &[]),
        "sets no column",
    );
}

#[test]
fn delete_filters_by_equalities_or_deletes_everything_without_them() {
    let statement = delete(&PARTS, "parts__g1", &[("part_id", "p4".into())]).expect("rendered");
    assert_eq!(
        statement.sql,
        "DELETE FROM [parts__g1] WHERE [part_id] = @P1;"
    );
    assert_eq!(statement.params, vec![text("p4")]);
    let all = delete(&PARTS, "parts__g1", &[]).expect("rendered");
    assert_eq!(all.sql, "DELETE FROM [parts__g1];");
}

#[test]
fn unknown_columns_are_refused_before_any_sql_exists() {
    let bad = "name; DROP TABLE x";
    shape_error(
        upsert(&PARTS, "p", &[("part_id", "1".into()), (bad, 1.into())]),
        bad,
    );
    shape_error(
        insert_ignore(&PARTS, "p", &[("part_id", "1".into()), (bad, 1.into())]),
        bad,
    );
    shape_error(
        update(&PARTS, "p", &[(bad, 1.into())], &[("stock", 1.into())]),
        bad,
    );
    shape_error(update(&PARTS, "p", &[], &[(bad, 1.into())]), bad);
    shape_error(delete(&PARTS, "p", &[(bad, 1.into())]), bad);
    let filtered = Select::from(&PARTS).filter(Filter::Contains(bad, "x".into()));
    shape_error(select(&filtered, "p", Read::Rows), bad);
    let ordered = Select::from(&PARTS).order_by(bad, Order::Asc);
    shape_error(select(&ordered, "p", Read::Rows), bad);
    let nested = Select::from(&PARTS).filter(Filter::AnyOf(vec![Filter::IsNull(bad)]));
    shape_error(select(&nested, "p", Read::Count), bad);
}

#[test]
fn a_plain_select_lists_every_column_in_declaration_order() {
    let query = Select::from(&PARTS)
        .filter(Filter::Gt("stock", 5.into()))
        .order_by("name", Order::Asc)
        .order_by("stock", Order::Desc);
    let statement = select(&query, "parts__g1", Read::Rows).expect("rendered");
    assert_eq!(
        statement.sql,
        format!(
            "SELECT {ALL_PARTS} FROM [parts__g1] WHERE [stock] > @P1 \
             ORDER BY [name] ASC, [stock] DESC;"
        )
    );
    assert_eq!(statement.params, vec![int(5)]);
}

#[test]
fn a_first_page_is_top_with_a_bound_limit() {
    let query = Select::from(&PARTS)
        .filter_eq(&[("part_id", "p1".into())])
        .limit(1);
    let statement = select(&query, "parts__g1", Read::Rows).expect("rendered");
    assert_eq!(
        statement.sql,
        format!("SELECT TOP (@P2) {ALL_PARTS} FROM [parts__g1] WHERE [part_id] = @P1;")
    );
    assert_eq!(statement.params, vec![text("p1"), int(1)]);
}

#[test]
fn a_later_page_is_offset_fetch_after_the_querys_order() {
    let query = Select::from(&PARTS)
        .order_by("stock", Order::Desc)
        .limit(2)
        .offset(1);
    let statement = select(&query, "parts__g1", Read::Rows).expect("rendered");
    assert_eq!(
        statement.sql,
        format!(
            "SELECT {ALL_PARTS} FROM [parts__g1] ORDER BY [stock] DESC \
             OFFSET @P1 ROWS FETCH NEXT @P2 ROWS ONLY;"
        )
    );
    assert_eq!(statement.params, vec![int(1), int(2)]);
}

#[test]
fn an_offset_without_an_order_pages_by_the_primary_key_since_offset_needs_one() {
    let query = Select::from(&SLOTS).offset(10);
    let statement = select(&query, "slots__g1", Read::Rows).expect("rendered");
    assert_eq!(
        statement.sql,
        "SELECT [kind], [id], [holder], [version] FROM [slots__g1] \
         ORDER BY [kind] ASC, [id] ASC OFFSET @P1 ROWS;"
    );
    assert_eq!(statement.params, vec![int(10)]);
}

#[test]
fn a_limit_of_zero_is_top_zero_because_fetch_next_zero_is_an_error() {
    let query = Select::from(&PARTS).limit(0).offset(5);
    let statement = select(&query, "parts__g1", Read::Rows).expect("rendered");
    assert_eq!(
        statement.sql,
        format!("SELECT TOP (@P1) {ALL_PARTS} FROM [parts__g1];")
    );
    assert_eq!(statement.params, vec![int(0)]);
}

#[test]
fn a_count_ignores_order_and_paging_and_counts_in_bigint() {
    let query = Select::from(&PARTS)
        .filter(Filter::NotNull("note"))
        .order_by("name", Order::Asc)
        .limit(2)
        .offset(4);
    let statement = select(&query, "parts__g1", Read::Count).expect("rendered");
    assert_eq!(
        statement.sql,
        "SELECT COUNT_BIG(*) FROM [parts__g1] WHERE [note] IS NOT NULL;"
    );
    assert!(statement.params.is_empty());
}

#[test]
fn a_select_for_update_holds_its_rows_until_the_transaction_ends() {
    let query = Select::from(&SLOTS).filter(Filter::IsNull("holder"));
    let statement = select(&query, "slots__g1", Read::RowsForUpdate).expect("rendered");
    assert_eq!(
        statement.sql,
        "SELECT [kind], [id], [holder], [version] FROM [slots__g1] WITH (UPDLOCK, HOLDLOCK) \
         WHERE [holder] IS NULL;"
    );
}

#[test]
fn every_filter_renders_with_its_values_bound_in_order() {
    let query = Select::from(&PARTS)
        .filter(Filter::In("part_id", vec!["p1".into(), "p4".into()]))
        .filter(Filter::In("name", vec![]))
        .filter(Filter::Gte("stock", 5.into()))
        .filter(Filter::Lt("weight", 9.into()))
        .filter(Filter::Lte("price", 2.5.into()))
        .filter(Filter::IsNull("note"))
        .filter(Filter::AnyOf(vec![
            Filter::Eq("part_id", "p2".into()),
            Filter::Gt("stock", 9.into()),
        ]))
        .filter(Filter::AnyOf(vec![]));
    let statement = select(&query, "parts__g1", Read::Count).expect("rendered");
    assert_eq!(
        statement.sql,
        "SELECT COUNT_BIG(*) FROM [parts__g1] WHERE [part_id] IN (@P1, @P2) AND 1 = 0 AND \
         [stock] >= @P3 AND [weight] < @P4 AND [price] <= @P5 AND [note] IS NULL AND \
         ([part_id] = @P6 OR [stock] > @P7) AND 1 = 0;"
    );
    assert_eq!(
        statement.params,
        vec![
            text("p1"),
            text("p4"),
            int(5),
            int(9),
            Param {
                kind: Kind::Real,
                value: Value::Real(2.5)
            },
            text("p2"),
            int(9),
        ]
    );
}

#[test]
fn contains_ignores_case_and_escapes_every_t_sql_wildcard() {
    let query = Select::from(&PARTS).filter(Filter::Contains("note", "100%_c[x]\\".into()));
    let statement = select(&query, "parts__g1", Read::Count).expect("rendered");
    assert_eq!(
        statement.sql,
        "SELECT COUNT_BIG(*) FROM [parts__g1] WHERE [note] COLLATE Latin1_General_100_CI_AS \
         LIKE @P1 ESCAPE N'\\';"
    );
    assert_eq!(statement.params, vec![text("%100\\%\\_c\\[x]\\\\%")]);
}

#[test]
fn values_are_never_written_into_the_sql() {
    let hostile = "'; DROP TABLE parts__g1; --";
    let row = [
        ("part_id", Value::from(hostile)),
        ("name", Value::from(hostile)),
    ];
    let statements = [
        upsert(&PARTS, "parts__g1", &row),
        insert_ignore(&PARTS, "parts__g1", &row),
        update(&PARTS, "parts__g1", &row[..1], &row[1..]),
        delete(&PARTS, "parts__g1", &row),
        select(
            &Select::from(&PARTS).filter(Filter::Contains("name", hostile.into())),
            "parts__g1",
            Read::Rows,
        ),
    ];
    for statement in statements {
        let statement = statement.expect("rendered");
        assert!(!statement.sql.contains("DROP"), "{}", statement.sql);
        assert!(!statement.params.is_empty());
    }
}

#[test]
fn more_values_than_sql_server_takes_in_one_request_are_refused() {
    let values = |n: usize| (0..n).map(|i| Value::from(i.to_string())).collect();
    let at_limit = Select::from(&PARTS).filter(Filter::In("part_id", values(MAX_PARAMS)));
    assert_eq!(
        select(&at_limit, "parts__g1", Read::Rows)
            .expect("at the limit")
            .params
            .len(),
        MAX_PARAMS
    );
    let over = Select::from(&PARTS).filter(Filter::In("part_id", values(MAX_PARAMS + 1)));
    shape_error(select(&over, "parts__g1", Read::Rows), "2098");
}

#[test]
fn transactions_abort_whole_on_any_error_and_roll_back_only_if_still_open() {
    assert_eq!(BEGIN, "SET XACT_ABORT ON; BEGIN TRANSACTION;");
    assert_eq!(COMMIT, "COMMIT TRANSACTION;");
    assert_eq!(ROLLBACK, "IF @@TRANCOUNT > 0 ROLLBACK TRANSACTION;");
    assert_eq!(SAVEPOINT, "SAVE TRANSACTION pitlane_event;");
    assert_eq!(UNDO_SAVEPOINT, "ROLLBACK TRANSACTION pitlane_event;");
    assert_eq!(
        BEGIN_SNAPSHOT,
        "SET TRANSACTION ISOLATION LEVEL SNAPSHOT; BEGIN TRANSACTION;"
    );
}

#[test]
fn migrations_take_an_exclusive_lock_and_fail_when_it_times_out() {
    assert!(MIGRATION_LOCK.contains("EXEC @granted = sp_getapplock"));
    assert!(MIGRATION_LOCK.contains("@LockOwner = N'Transaction'"));
    assert!(MIGRATION_LOCK.ends_with(
        "IF @granted < 0 THROW 50000, N'timed out waiting for the read-model migration lock', 1;"
    ));
    assert!(ALLOW_SNAPSHOT.contains("snapshot_isolation_state = 0"));
    assert!(ALLOW_SNAPSHOT.ends_with("ALTER DATABASE CURRENT SET ALLOW_SNAPSHOT_ISOLATION ON;"));
}

#[test]
fn test_databases_are_created_and_dropped_by_quoted_name() {
    assert_eq!(
        create_database("pitlane_test_1"),
        "IF DB_ID(N'pitlane_test_1') IS NULL CREATE DATABASE [pitlane_test_1];"
    );
    assert_eq!(
        drop_database("pitlane_test_1"),
        "IF DB_ID(N'pitlane_test_1') IS NOT NULL BEGIN ALTER DATABASE [pitlane_test_1] SET \
         SINGLE_USER WITH ROLLBACK IMMEDIATE; DROP DATABASE [pitlane_test_1]; END;"
    );
}

/// Bytes of a column in an index key: NVARCHAR is two bytes a code unit.
fn key_bytes(table: &Table, name: &str) -> u32 {
    match table.column(name) {
        Some(column) if column.kind == Kind::Text => {
            text_width(table, column).expect("an indexed column is bounded") * 2
        }
        _ => 8,
    }
}

#[test]
fn an_indexed_name_of_two_hundred_characters_outside_the_basic_plane_fits_its_column() {
    // Names are at most 200 characters (command side, `Text<200>`); each of these takes
    // two UTF-16 units, which `NVARCHAR(n)` counts.
    let name = "𠜎".repeat(200);
    assert_eq!(name.chars().count(), 200);
    assert!(name.encode_utf16().count() <= INDEXED_ALONE_TEXT as usize);
    let customers = crate::startup::all_projections()
        .iter()
        .flat_map(|p| p.tables().iter().copied())
        .find(|table| table.indexes.iter().any(|index| index == &["name"]))
        .expect("a table indexed by name");
    let statements = create_table(customers, "t__g1").unwrap().join("\n");
    assert!(
        statements.contains(&format!("[name] NVARCHAR({INDEXED_ALONE_TEXT})")),
        "{statements}"
    );
}

#[test]
fn every_declared_table_fits_sql_servers_index_key_limits() {
    let mut tables: Vec<&Table> = crate::startup::all_projections()
        .iter()
        .flat_map(|p| p.tables().iter().copied())
        .collect();
    tables.extend([
        &super::super::meta::GENERATIONS,
        &super::super::meta::CHECKPOINTS,
        &super::super::meta::DEAD_LETTERS,
    ]);
    assert!(tables.len() > 10, "the platform's tables were found");
    for table in tables {
        let key: u32 = table.key.iter().map(|k| key_bytes(table, k)).sum();
        assert!(key <= 900, "{}: clustered key of {key} bytes", table.name);
        for index in table.indexes {
            // A nonclustered index carries the clustered key too.
            let extra = table.key.iter().filter(|k| !index.contains(k));
            let bytes: u32 = index.iter().chain(extra).map(|c| key_bytes(table, c)).sum();
            assert!(
                bytes <= 1700,
                "{}: index {index:?} of {bytes} bytes",
                table.name
            );
        }
        let statements = create_table(table, &format!("{}__g99999", table.name))
            .unwrap_or_else(|e| panic!("{}: {e}", table.name));
        let indexed = table
            .key
            .iter()
            .chain(table.indexes.iter().flat_map(|i| i.iter()));
        for column in indexed {
            let unbounded = format!("{} NVARCHAR(MAX)", quoted(column));
            assert!(!statements[0].contains(&unbounded), "{}", statements[0]);
        }
    }
}
