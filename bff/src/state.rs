//! What every handler shares: the upstream clients, the scheduling guard and config.

use std::sync::Arc;

use crate::config::Config;
use crate::scheduling::Scheduler;
use crate::upstream::Upstreams;

#[derive(Clone)]
pub struct AppState {
    pub upstreams: Upstreams,
    pub scheduler: Arc<Scheduler>,
    pub config: Arc<Config>,
}
