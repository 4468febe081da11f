//! Generations on SQL Server: rebuilding into the next generation's tables, switching
//! to it in one transaction, and what operators inspect (positions, dead letters).
//! DDL is transactional in SQL Server, so a switch — new generation recorded, old
//! tables dropped — commits whole or not at all, as on SQLite.

use es_core::projection::Checkpoint;

use super::database::ReadModelDb;
use super::meta;
use super::render::{self, Read, Statement};
use super::session::Session;
use super::tx::{MssqlTx, Names};
use crate::projection::Projection;
use crate::store::batch::{generation_names, index_of};
use crate::store::dead_letters::{self, DeadLetterStore, Letters};
use crate::store::schema::generation_table;
use crate::store::{DbError, DeadLetter, DeadLetterError, Discarded, Members, SwapWhen};

/// Creates a generation's tables and indexes where missing, and its checkpoint.
pub(super) fn create_generation(
    session: &mut Session<'_>,
    projection: &dyn Projection,
    generation: i64,
) -> Result<(), DbError> {
    for table in projection.tables() {
        for statement in render::create_table(table, &generation_table(table.name, generation))? {
            session.batch(&statement)?;
        }
    }
    session
        .execute(&meta::start_checkpoint(projection.name(), generation)?)
        .map(drop)
}

fn drop_tables(projection: &dyn Projection, generation: i64) -> Vec<Statement> {
    projection
        .tables()
        .iter()
        .map(|table| {
            Statement::plain(render::drop_table(&generation_table(
                table.name, generation,
            )))
        })
        .collect()
}

/// Makes `generation` the active one of `projection` and drops what belonged to the
/// `active` one — its tables, checkpoint and dead letters — in the caller's transaction.
pub(super) fn switch(
    projection: &dyn Projection,
    active: i64,
    generation: i64,
) -> Result<Vec<Statement>, DbError> {
    let name = projection.name();
    let mut statements = vec![meta::switch_generation(name, generation)?];
    statements.extend(drop_tables(projection, active));
    statements.push(meta::delete_checkpoint(name, active)?);
    statements.push(meta::delete_dead_letters(name, active, None)?);
    Ok(statements)
}

fn run(session: &mut Session<'_>, statements: &[Statement]) -> Result<(), DbError> {
    statements
        .iter()
        .try_for_each(|statement| session.execute(statement).map(drop))
}

impl ReadModelDb {
    /// Creates the next generation of these projections' tables for a rebuild.
    pub fn begin_rebuild(&self, names: &[String]) -> Result<Members, DbError> {
        self.transaction(|session| {
            let mut shadow = Vec::new();
            for name in names {
                let projection = self.projections[index_of(&self.projections, name)?].as_ref();
                let generation = meta::active_generation(session, name)? + 1;
                // Leftovers of a rebuild that never switched.
                run(session, &drop_tables(projection, generation))?;
                create_generation(session, projection, generation)?;
                run(
                    session,
                    &[
                        meta::delete_dead_letters(name, generation, None)?,
                        meta::set_checkpoint(name, generation, Checkpoint::default())?,
                    ],
                )?;
                shadow.push((name.clone(), generation));
            }
            Ok(Members::Shadow(shadow))
        })
    }

    /// Switches every shadow member that has caught up with its active generation
    /// (same position or further) to active, drops the old tables, and returns the
    /// members still behind.
    pub fn try_swap(&self, shadow: &Members, when: SwapWhen) -> Result<Members, DbError> {
        let Members::Shadow(list) = shadow else {
            return Ok(shadow.clone());
        };
        self.transaction(|session| {
            let mut behind = Vec::new();
            for (name, generation) in list {
                let active = meta::active_generation(session, name)?;
                if active == *generation {
                    continue; // already switched: dropping "the old" tables would drop these
                }
                let live = meta::checkpoint_of(session, name, active)?;
                if when.behind(meta::checkpoint_of(session, name, *generation)?, live) {
                    behind.push((name.clone(), *generation));
                    continue;
                }
                let projection = self.projections[index_of(&self.projections, name)?].as_ref();
                run(session, &switch(projection, active, *generation)?)?;
                tracing::info!(projection = %name, generation, "rebuilt read model is now active");
            }
            Ok(Members::Shadow(behind))
        })
    }

    /// Per projection: name, active generation, position, dead letters.
    pub fn positions(&self) -> Result<Vec<(String, i64, u64, u64)>, DbError> {
        self.write(|session| {
            let generations = meta::generations(session)?;
            let checkpoints = meta::checkpoints(session, Read::Rows)?;
            self.projections
                .iter()
                .map(|p| {
                    let name = p.name().to_owned();
                    let generation = generations.get(&name).copied().unwrap_or(1);
                    let position = checkpoints
                        .get(&(name.clone(), generation))
                        .map_or(0, |c| c.position);
                    let dead = meta::dead_letter_count(session, &name, generation)?;
                    Ok((name, generation, position, dead))
                })
                .collect()
        })
    }

    /// The parked events of a projection's active generation, oldest first.
    pub fn dead_letters(&self, projection: &str) -> Result<Vec<DeadLetter>, DbError> {
        index_of(&self.projections, projection)?;
        self.write(|session| {
            let generation = meta::active_generation(session, projection)?;
            let mut letters = meta::dead_letters(session, projection, generation)?
                .iter()
                .map(|row| meta::letter(projection, row))
                .collect::<Result<Vec<_>, _>>()?;
            dead_letters::mark_held(&mut letters);
            Ok(letters)
        })
    }

    /// The discarded dead letters of a projection's active generation, oldest first.
    pub fn discarded(&self, projection: &str) -> Result<Vec<Discarded>, DbError> {
        index_of(&self.projections, projection)?;
        self.write(|session| {
            let generation = meta::active_generation(session, projection)?;
            meta::discarded(session, projection, generation)
        })
    }
}

impl DeadLetterStore for ReadModelDb {
    /// Runs `work` on `projection`'s active generation in one transaction.
    fn on_letters<T>(
        &self,
        projection: &str,
        work: impl FnOnce(&mut dyn Letters, &dyn Projection, i64) -> Result<T, DeadLetterError>,
    ) -> Result<T, DeadLetterError> {
        let index = index_of(&self.projections, projection)
            .map_err(|_| DeadLetterError::NoProjection(projection.to_owned()))?;
        let projection = self.projections[index].as_ref();
        self.transaction(|session| {
            let generation = meta::active_generation(session, projection.name())?;
            let names: Names = generation_names(projection, generation).collect();
            let mut tx = MssqlTx {
                session,
                names: &names,
            };
            work(&mut tx, projection, generation)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::store_contract::contract_projection;

    #[test]
    fn a_switch_activates_the_rebuilt_generation_and_drops_everything_of_the_old_one() {
        let projection = contract_projection();
        let statements = switch(projection.as_ref(), 1, 2).expect("rendered");
        let sql: Vec<&str> = statements.iter().map(|s| s.sql.as_str()).collect();
        assert_eq!(
            sql,
            vec![
                "UPDATE [rm_generations] SET [generation] = @P1 WHERE [projection] = @P2;",
                "DROP TABLE IF EXISTS [contract_parts__g1];",
                "DELETE FROM [rm_checkpoints] WHERE [projection] = @P1 AND [generation] = @P2;",
                "DELETE FROM [rm_dead_letters] WHERE [projection] = @P1 AND [generation] = @P2;",
            ]
        );
        let bound: Vec<_> = statements
            .iter()
            .map(|s| s.params.iter().map(|p| p.value.clone()).collect::<Vec<_>>())
            .collect();
        assert_eq!(
            bound,
            vec![
                vec![2.into(), "contract".into()],
                vec![],
                vec!["contract".into(), 1.into()],
                vec!["contract".into(), 1.into()],
            ]
        );
    }
}
