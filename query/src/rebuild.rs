//! Rebuilding read models without downtime: a second runtime replays the whole log
//! into the next generation of tables while the live runtime and the queries carry on
//! with the current one; each projection switches when its rebuild has caught up.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use es_core::projection::{
    EventSource, ProjectorStatus, RetryPolicy, RuntimeState, StatusBoard, run,
};

use crate::api::QueryError;
use crate::runtime::{ReadModelTarget, blocking};
use crate::store::{ReadModelStore, SwapWhen};

#[derive(Clone)]
pub struct Rebuilds {
    db: ReadModelStore,
    source: Arc<dyn EventSource>,
    policy: RetryPolicy,
    /// The live projections: a rebuild started while they have diverged from the log
    /// replaces them once it reaches the log's head.
    live: Arc<StatusBoard>,
    running: Arc<Mutex<HashMap<String, Arc<StatusBoard>>>>,
}

impl Rebuilds {
    pub fn new(
        db: impl Into<ReadModelStore>,
        source: Arc<dyn EventSource>,
        policy: RetryPolicy,
        live: Arc<StatusBoard>,
    ) -> Self {
        Self {
            db: db.into(),
            source,
            policy,
            live,
            running: Arc::default(),
        }
    }

    fn running(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<StatusBoard>>> {
        self.running.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Starts rebuilding `names` (all projections when empty). Unknown names and
    /// projections already rebuilding are refused, naming the field.
    ///
    /// The names are checked and reserved under one lock: two requests racing for the
    /// same read model must not both start, because each would create (and the second
    /// drop and recreate) the same next generation of its tables, under the other's feet.
    pub async fn start(&self, names: Vec<String>) -> Result<Vec<String>, QueryError> {
        let (names, status) = self.reserve(names)?;
        match self.launch(&names, status).await {
            Ok(()) => Ok(names),
            Err(error) => {
                let mut running = self.running();
                for name in &names {
                    running.remove(name);
                }
                Err(error)
            }
        }
    }

    /// Checks `names` (all projections when empty) and marks them running, at once,
    /// with the status board their rebuild reports on.
    fn reserve(&self, names: Vec<String>) -> Result<(Vec<String>, Arc<StatusBoard>), QueryError> {
        let known: Vec<String> = self
            .db
            .projections()
            .iter()
            .map(|p| p.name().to_owned())
            .collect();
        let mut names = if names.is_empty() {
            known.clone()
        } else {
            names
        };
        // A name given twice is one rebuild: twice, its next generation would be made
        // twice in one go, and the second switch would drop the tables the first made
        // active.
        let mut seen = std::collections::HashSet::new();
        names.retain(|name| seen.insert(name.clone()));
        let mut running = self.running();
        for name in &names {
            if !known.contains(name) {
                return Err(QueryError::invalid(
                    "projections",
                    format!("no read model named `{name}`; known: {}", known.join(", ")),
                ));
            }
            if running.contains_key(name) {
                return Err(QueryError::Refused {
                    reason: "rebuild_running",
                    field: "projections".into(),
                    message: format!("`{name}` is already being rebuilt"),
                });
            }
        }
        let status = Arc::new(StatusBoard::new(format!("rebuild:{}", names.join(","))));
        for name in &names {
            running.insert(name.clone(), status.clone());
        }
        Ok((names, status))
    }

    /// Creates the next generation of `names`' tables and runs their rebuild.
    async fn launch(&self, names: &[String], status: Arc<StatusBoard>) -> Result<(), QueryError> {
        // Live read models of a history the log no longer has are replaced once the
        // rebuild reaches the log's head; otherwise once it has caught up with them.
        let swap = if self.live.snapshot().state == RuntimeState::Diverged {
            let head =
                self.source.head().await.map_err(|e| {
                    QueryError::Db(crate::store::DbError::Unavailable(e.to_string()))
                })?;
            tracing::warn!(
                head,
                "rebuilding read models that diverged from the log; they are replaced once the rebuild reaches position {head}"
            );
            SwapWhen::Reached(head)
        } else {
            SwapWhen::CaughtUp
        };
        let members = blocking(|| self.db.begin_rebuild(names))?;
        let (done, mut finished) = tokio::sync::watch::channel(false);
        let target = ReadModelTarget::rebuild(self.db.clone(), members, swap, done);
        let (source, policy, running, started) = (
            self.source.clone(),
            self.policy,
            self.running.clone(),
            names.to_vec(),
        );
        tokio::spawn(async move {
            tracing::info!(projections = ?started, "rebuild started");
            run(source, target, status, policy, async move {
                let _ = finished.wait_for(|d| *d).await;
            })
            .await;
            let mut running = running.lock().unwrap_or_else(|p| p.into_inner());
            for name in &started {
                running.remove(name);
            }
            tracing::info!(projections = ?started, "rebuild finished");
        });
        Ok(())
    }

    /// Progress of running rebuilds, by projection.
    pub fn progress(&self) -> HashMap<String, ProjectorStatus> {
        self.running()
            .iter()
            .map(|(name, board)| (name.clone(), board.snapshot()))
            .collect()
    }
}
