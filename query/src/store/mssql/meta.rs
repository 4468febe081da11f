//! The store's own tables — which generation of each projection is active, how far
//! each generation has applied, and parked events — declared like any read-model table
//! so their T-SQL comes from the same renderer. Writes are built as statements (pure,
//! so tests see their exact T-SQL); reads run on a session.

use std::collections::HashMap;

use es_core::EventEnvelope;
use es_core::projection::Checkpoint;

use super::render::{self, Read, Statement};
use super::session::Session;
use crate::store::batch::stored_hash;
use crate::store::{Column, DbError, DeadLetter, Discarded, Order, Row, Select, Table, Value};

pub(super) static GENERATIONS: Table = Table {
    name: "rm_generations",
    columns: &[Column::text("projection"), Column::int("generation")],
    key: &["projection"],
    indexes: &[],
};

pub(super) static CHECKPOINTS: Table = Table {
    name: "rm_checkpoints",
    columns: &[
        Column::text("projection"),
        Column::int("generation"),
        Column::int("position"),
        // The hash of the event at `position` (hex), to notice a different event there.
        Column::opt_text("hash"),
    ],
    key: &["projection", "generation"],
    indexes: &[],
};

pub(super) static DEAD_LETTERS: Table = Table {
    name: "rm_dead_letters",
    columns: &[
        Column::text("projection"),
        Column::int("generation"),
        Column::int("position"),
        Column::text("event_id"),
        Column::text("stream_id"),
        Column::int("version"),
        Column::text("event_type"),
        Column::text("reason"),
        Column::int("attempts"),
        Column::text("envelope"),
        Column::text("parked_at"),
    ],
    key: &["projection", "generation", "position"],
    indexes: &[],
};

/// Dead letters operators discarded, with who and why (kept across rebuilds).
pub(super) static DISCARDED: Table = Table {
    name: "rm_discarded_letters",
    columns: &[
        Column::text("projection"),
        Column::int("generation"),
        Column::int("position"),
        Column::text("event_id"),
        Column::text("stream_id"),
        Column::int("version"),
        Column::text("event_type"),
        Column::text("reason"),
        Column::int("attempts"),
        Column::text("envelope"),
        Column::text("parked_at"),
        Column::text("discarded_at"),
        Column::text("discarded_by"),
        Column::text("discard_reason"),
    ],
    key: &["projection", "generation", "position"],
    indexes: &[],
};

/// `rm_*` tables are not generation-suffixed: their physical name is their name.
fn rows(session: &mut Session<'_>, query: &Select, read: Read) -> Result<Vec<Row>, DbError> {
    session.rows(&render::select(query, query.table.name, read)?, query.table)
}

fn at(projection: &str, generation: i64) -> Vec<(&'static str, Value)> {
    vec![
        ("projection", projection.into()),
        ("generation", generation.into()),
    ]
}

pub(super) fn create_tables(session: &mut Session<'_>) -> Result<(), DbError> {
    for table in [&GENERATIONS, &CHECKPOINTS, &DEAD_LETTERS, &DISCARDED] {
        for statement in render::create_table(table, table.name)? {
            session.batch(&statement)?;
        }
    }
    session.batch(ADD_CHECKPOINT_HASHES)
}

/// A database made before checkpoints kept their event's hash gets the column (empty:
/// those checkpoints are not compared until they next move).
const ADD_CHECKPOINT_HASHES: &str = "IF COL_LENGTH(N'rm_checkpoints', N'hash') IS NULL \
     ALTER TABLE [rm_checkpoints] ADD [hash] NVARCHAR(MAX) COLLATE Latin1_General_100_BIN2 NULL;";

/// Every projection's active generation.
pub(super) fn generations(session: &mut Session<'_>) -> Result<HashMap<String, i64>, DbError> {
    rows(session, &Select::from(&GENERATIONS), Read::Rows)?
        .iter()
        .map(|row| Ok((row.text("projection")?, row.int("generation")?)))
        .collect()
}

pub(super) fn active_generation(
    session: &mut Session<'_>,
    projection: &str,
) -> Result<i64, DbError> {
    let key = [("projection", Value::from(projection))];
    rows(
        session,
        &Select::from(&GENERATIONS).filter_eq(&key),
        Read::Rows,
    )?
    .first()
    .map(|row| row.int("generation"))
    .unwrap_or_else(|| {
        Err(DbError::Database(format!(
            "no generation recorded for `{projection}`"
        )))
    })
}

/// Every generation's checkpoint; `Read::RowsForUpdate` keeps them locked until the
/// transaction ends, so a second writer waits and then sees the moved positions.
pub(super) fn checkpoints(
    session: &mut Session<'_>,
    read: Read,
) -> Result<HashMap<(String, i64), Checkpoint>, DbError> {
    rows(session, &Select::from(&CHECKPOINTS), read)?
        .iter()
        .map(|row| {
            let key = (row.text("projection")?, row.int("generation")?);
            Ok((key, checkpoint(row)?))
        })
        .collect()
}

fn checkpoint(row: &Row) -> Result<Checkpoint, DbError> {
    Ok(Checkpoint {
        position: row.uint("position")?,
        hash: stored_hash(row.opt_text("hash")?)?,
    })
}

pub(super) fn checkpoint_of(
    session: &mut Session<'_>,
    projection: &str,
    generation: i64,
) -> Result<u64, DbError> {
    let query = Select::from(&CHECKPOINTS).filter_eq(&at(projection, generation));
    match rows(session, &query, Read::Rows)?.first() {
        Some(row) => row.uint("position"),
        None => Ok(0),
    }
}

/// Moves a generation's checkpoint (creating it if missing) to `to`.
pub(super) fn set_checkpoint(
    projection: &str,
    generation: i64,
    to: Checkpoint,
) -> Result<Statement, DbError> {
    let mut row = at(projection, generation);
    row.push(("position", to.position.into()));
    let hash = to.hash.map_or(Value::Null, |h| Value::Text(h.to_hex()));
    row.push(("hash", hash));
    render::upsert(&CHECKPOINTS, CHECKPOINTS.name, &row)
}

/// A generation starts at position 0, unless it already has a checkpoint.
pub(super) fn start_checkpoint(projection: &str, generation: i64) -> Result<Statement, DbError> {
    let mut row = at(projection, generation);
    row.push(("position", 0.into()));
    render::insert_ignore(&CHECKPOINTS, CHECKPOINTS.name, &row)
}

pub(super) fn delete_checkpoint(projection: &str, generation: i64) -> Result<Statement, DbError> {
    render::delete(&CHECKPOINTS, CHECKPOINTS.name, &at(projection, generation))
}

/// Records `generation` as active unless the projection has one already.
pub(super) fn adopt_generation(projection: &str, generation: i64) -> Result<Statement, DbError> {
    render::insert_ignore(&GENERATIONS, GENERATIONS.name, &at(projection, generation))
}

/// Makes `generation` the one queries read.
pub(super) fn switch_generation(projection: &str, generation: i64) -> Result<Statement, DbError> {
    let key = [("projection", Value::from(projection))];
    let set = [("generation", Value::from(generation))];
    render::update(&GENERATIONS, GENERATIONS.name, &key, &set)
}

/// Parks `event` (replacing an earlier parking of the same position).
pub(super) fn park(
    projection: &str,
    generation: i64,
    event: &EventEnvelope,
    reason: &str,
    attempts: u32,
) -> Result<Statement, DbError> {
    let envelope = serde_json::to_string(event).map_err(|e| DbError::Database(e.to_string()))?;
    let mut row = at(projection, generation);
    row.extend([
        ("position", event.position.into()),
        ("event_id", event.event_id.to_string().into()),
        ("stream_id", event.stream_id.as_str().into()),
        ("version", event.version.into()),
        ("event_type", event.event_type.as_str().into()),
        ("reason", reason.into()),
        ("attempts", attempts.into()),
        ("envelope", envelope.into()),
        (
            "parked_at",
            es_core::time::format(&es_core::envelope::now()).into(),
        ),
    ]);
    render::upsert(&DEAD_LETTERS, DEAD_LETTERS.name, &row)
}

/// Forgets a generation's parked events, or (with `position`) one of them.
pub(super) fn delete_dead_letters(
    projection: &str,
    generation: i64,
    position: Option<u64>,
) -> Result<Statement, DbError> {
    let mut filter = at(projection, generation);
    if let Some(position) = position {
        filter.push(("position", position.into()));
    }
    render::delete(&DEAD_LETTERS, DEAD_LETTERS.name, &filter)
}

/// A generation's parked events, oldest first.
pub(super) fn dead_letters(
    session: &mut Session<'_>,
    projection: &str,
    generation: i64,
) -> Result<Vec<Row>, DbError> {
    let query = Select::from(&DEAD_LETTERS)
        .filter_eq(&at(projection, generation))
        .order_by("position", Order::Asc);
    rows(session, &query, Read::Rows)
}

/// Every parked event, of every projection and generation (few: for holding streams).
pub(super) fn all_dead_letters(session: &mut Session<'_>) -> Result<Vec<Row>, DbError> {
    rows(session, &Select::from(&DEAD_LETTERS), Read::Rows)
}

/// A parked event read back.
pub(super) fn letter(projection: &str, row: &Row) -> Result<DeadLetter, DbError> {
    Ok(DeadLetter {
        projection: projection.to_owned(),
        position: row.uint("position")?,
        event_id: row.text("event_id")?,
        stream_id: row.text("stream_id")?,
        version: row.uint("version")?,
        event_type: row.text("event_type")?,
        reason: row.text("reason")?,
        attempts: u32::try_from(row.int("attempts")?).unwrap_or(u32::MAX),
        parked_at: row.text("parked_at")?,
        held_behind: None,
        envelope: row.text("envelope")?,
    })
}

/// A parked event's new reason and attempts, after it failed again.
pub(super) fn repark(
    projection: &str,
    generation: i64,
    letter: &DeadLetter,
) -> Result<Statement, DbError> {
    let mut filter = at(projection, generation);
    filter.push(("position", letter.position.into()));
    let set = [
        ("reason", letter.reason.as_str().into()),
        ("attempts", letter.attempts.into()),
        (
            "parked_at",
            es_core::time::format(&es_core::envelope::now()).into(),
        ),
    ];
    render::update(&DEAD_LETTERS, DEAD_LETTERS.name, &filter, &set)
}

/// Records a discarded dead letter.
pub(super) fn record_discard(generation: i64, discarded: &Discarded) -> Result<Statement, DbError> {
    let letter = &discarded.letter;
    let mut row = at(&letter.projection, generation);
    row.extend([
        ("position", letter.position.into()),
        ("event_id", letter.event_id.as_str().into()),
        ("stream_id", letter.stream_id.as_str().into()),
        ("version", letter.version.into()),
        ("event_type", letter.event_type.as_str().into()),
        ("reason", letter.reason.as_str().into()),
        ("attempts", letter.attempts.into()),
        ("envelope", letter.envelope.as_str().into()),
        ("parked_at", letter.parked_at.as_str().into()),
        ("discarded_at", discarded.discarded_at.as_str().into()),
        ("discarded_by", discarded.discarded_by.as_str().into()),
        ("discard_reason", discarded.discard_reason.as_str().into()),
    ]);
    render::upsert(&DISCARDED, DISCARDED.name, &row)
}

/// A generation's discarded dead letters, oldest first.
pub(super) fn discarded(
    session: &mut Session<'_>,
    projection: &str,
    generation: i64,
) -> Result<Vec<Discarded>, DbError> {
    let query = Select::from(&DISCARDED)
        .filter_eq(&at(projection, generation))
        .order_by("position", Order::Asc);
    rows(session, &query, Read::Rows)?
        .iter()
        .map(|row| {
            Ok(Discarded {
                letter: letter(projection, row)?,
                discarded_at: row.text("discarded_at")?,
                discarded_by: row.text("discarded_by")?,
                discard_reason: row.text("discard_reason")?,
            })
        })
        .collect()
}

pub(super) fn dead_letter_count(
    session: &mut Session<'_>,
    projection: &str,
    generation: i64,
) -> Result<u64, DbError> {
    let query = Select::from(&DEAD_LETTERS).filter_eq(&at(projection, generation));
    session.count(&render::select(&query, DEAD_LETTERS.name, Read::Count)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Kind;

    fn texts_and_ints(statement: &Statement) -> Vec<(Kind, Value)> {
        statement
            .params
            .iter()
            .map(|p| (p.kind, p.value.clone()))
            .collect()
    }

    #[test]
    fn a_checkpoint_moves_by_merge_on_projection_and_generation_with_its_events_hash() {
        let hash = es_core::Hash([7; 32]);
        let to = Checkpoint {
            position: 41,
            hash: Some(hash),
        };
        let statement = set_checkpoint("customers", 2, to).expect("rendered");
        assert_eq!(
            statement.sql,
            "MERGE INTO [rm_checkpoints] WITH (HOLDLOCK) AS [target] USING (SELECT @P1 AS \
             [projection], @P2 AS [generation], @P3 AS [position], @P4 AS [hash]) AS [source] \
             ON [target].[projection] = [source].[projection] AND [target].[generation] = \
             [source].[generation] WHEN MATCHED THEN UPDATE SET [target].[position] = \
             [source].[position], [target].[hash] = [source].[hash] WHEN NOT MATCHED THEN \
             INSERT ([projection], [generation], [position], [hash]) VALUES \
             ([source].[projection], [source].[generation], [source].[position], \
             [source].[hash]);"
        );
        assert_eq!(
            texts_and_ints(&statement),
            vec![
                (Kind::Text, "customers".into()),
                (Kind::Int, 2.into()),
                (Kind::Int, 41.into()),
                (Kind::Text, Value::Text(hash.to_hex())),
            ]
        );
    }

    #[test]
    fn a_new_generation_starts_at_zero_without_resetting_an_existing_checkpoint() {
        let statement = start_checkpoint("customers", 1).expect("rendered");
        assert_eq!(
            statement.sql,
            "INSERT INTO [rm_checkpoints] ([projection], [generation], [position]) SELECT @P1, \
             @P2, @P3 WHERE NOT EXISTS (SELECT 1 FROM [rm_checkpoints] WITH (UPDLOCK, \
             HOLDLOCK) WHERE [projection] = @P1 AND [generation] = @P2);"
        );
        assert_eq!(statement.params[2].value, Value::Int(0));
    }

    #[test]
    fn the_first_start_adopts_generation_one_and_later_starts_keep_the_recorded_one() {
        let statement = adopt_generation("fleet_drivers", 1).expect("rendered");
        assert_eq!(
            statement.sql,
            "INSERT INTO [rm_generations] ([projection], [generation]) SELECT @P1, @P2 WHERE \
             NOT EXISTS (SELECT 1 FROM [rm_generations] WITH (UPDLOCK, HOLDLOCK) WHERE \
             [projection] = @P1);"
        );
    }

    #[test]
    fn a_switch_updates_the_projections_one_generation_row() {
        let statement = switch_generation("customers", 3).expect("rendered");
        assert_eq!(
            statement.sql,
            "UPDATE [rm_generations] SET [generation] = @P1 WHERE [projection] = @P2;"
        );
        assert_eq!(
            texts_and_ints(&statement),
            vec![(Kind::Int, 3.into()), (Kind::Text, "customers".into())]
        );
    }

    #[test]
    fn dead_letters_are_forgotten_per_generation_or_one_position() {
        let all = delete_dead_letters("customers", 1, None).expect("rendered");
        assert_eq!(
            all.sql,
            "DELETE FROM [rm_dead_letters] WHERE [projection] = @P1 AND [generation] = @P2;"
        );
        let one = delete_dead_letters("customers", 1, Some(7)).expect("rendered");
        assert_eq!(
            one.sql,
            "DELETE FROM [rm_dead_letters] WHERE [projection] = @P1 AND [generation] = @P2 \
             AND [position] = @P3;"
        );
    }

    #[test]
    fn parking_keeps_the_whole_envelope_and_replaces_an_earlier_parking() {
        let mut events = crate::testing::EventFactory::new();
        let event = events.event(
            "customer",
            "c1",
            "customer.registered.v1",
            serde_json::json!({"x": 1}),
        );
        let statement = park("customers", 1, &event, "bad payload", 3).expect("rendered");
        assert!(
            statement
                .sql
                .starts_with("MERGE INTO [rm_dead_letters] WITH (HOLDLOCK)")
        );
        assert!(statement.sql.contains(
            "ON [target].[projection] = [source].[projection] AND [target].[generation] = \
             [source].[generation] AND [target].[position] = [source].[position]"
        ));
        let values: Vec<Value> = statement.params.iter().map(|p| p.value.clone()).collect();
        assert_eq!(values[2], Value::Int(1), "position");
        assert_eq!(values[7], Value::Text("bad payload".into()));
        assert_eq!(values[8], Value::Int(3), "attempts");
        let Value::Text(envelope) = &values[9] else {
            panic!("envelope is text: {:?}", values[9]);
        };
        let back: EventEnvelope = serde_json::from_str(envelope).expect("an envelope");
        assert_eq!(back.event_id, event.event_id);
    }

    #[test]
    fn the_store_tables_are_created_like_read_model_tables() {
        let statements = render::create_table(&CHECKPOINTS, CHECKPOINTS.name).expect("rendered");
        assert_eq!(
            statements,
            vec![
                "IF OBJECT_ID(N'[rm_checkpoints]', N'U') IS NULL CREATE TABLE [rm_checkpoints] \
                 ([projection] NVARCHAR(100) COLLATE Latin1_General_100_BIN2 NOT NULL, \
                 [generation] BIGINT NOT NULL, [position] BIGINT NOT NULL, [hash] \
                 NVARCHAR(MAX) COLLATE Latin1_General_100_BIN2 NULL, PRIMARY KEY \
                 ([projection], [generation]));"
            ]
        );
        let letters = render::create_table(&DEAD_LETTERS, DEAD_LETTERS.name).expect("rendered");
        assert!(letters[0].contains("[envelope] NVARCHAR(MAX) COLLATE"));
        assert!(letters[0].ends_with("PRIMARY KEY ([projection], [generation], [position]));"));
    }
}
