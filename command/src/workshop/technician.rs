//! The `Technician` aggregate: who can work on jobs, and in which service categories.
//!
//! Rules:
//! - registering an id that is already registered is rejected (`technician_already_registered`);
//! - any other command on an unregistered id is not found (`technician_not_found`);
//! - a technician holds at least one skill, on registration and on every update
//!   (`technician_needs_a_skill`; `convert.rs` already rejects it as field `skills`);
//! - only an active technician can be deactivated (`technician_already_inactive`) and only
//!   an inactive one reactivated (`technician_already_active`).
//!
//! Decided where DOMAIN.md is silent:
//! - a technician is registered active;
//! - an inactive technician can still be updated (name and skills are facts about the
//!   person, not permission to work);
//! - an update replaces name and skills as a whole and is recorded even when nothing
//!   changed (the command is idempotent; no "nothing to update" error);
//! - whether an inactive technician may be given jobs is checked by the BFF against the
//!   read model, like the skills it passes to the planning.

pub mod messages;
mod rules;

use std::collections::BTreeSet;

use es_core::Aggregate;
use serde::{Deserialize, Serialize};

pub use messages::{TechnicianCommand, TechnicianError, TechnicianEvent};
use rules::non_empty;

use super::ServiceCategory;
use crate::shared::{TechnicianId, Text};

/// State of one technician; `None` until registered.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Technician {
    profile: Option<Profile>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Profile {
    id: TechnicianId,
    name: Text<200>,
    skills: BTreeSet<ServiceCategory>,
    active: bool,
}

impl Aggregate for Technician {
    const TYPE: &'static str = "technician";

    type Command = TechnicianCommand;
    type Event = TechnicianEvent;
    type Error = TechnicianError;

    fn handle(&self, command: TechnicianCommand) -> Result<Vec<TechnicianEvent>, TechnicianError> {
        let registered = self.profile.as_ref();
        let event = match (command, registered) {
            (TechnicianCommand::Register { .. }, Some(profile)) => {
                return Err(TechnicianError::AlreadyRegistered(profile.id));
            }
            (
                TechnicianCommand::Register {
                    technician_id,
                    name,
                    skills,
                },
                None,
            ) => TechnicianEvent::Registered {
                technician_id,
                name,
                skills: non_empty(skills)?,
            },
            (_, None) => return Err(TechnicianError::NotFound),
            (TechnicianCommand::Update { name, skills }, Some(profile)) => {
                TechnicianEvent::Updated {
                    technician_id: profile.id,
                    name,
                    skills: non_empty(skills)?,
                }
            }
            (TechnicianCommand::Deactivate, Some(profile)) if !profile.active => {
                return Err(TechnicianError::AlreadyInactive(profile.id));
            }
            (TechnicianCommand::Deactivate, Some(profile)) => TechnicianEvent::Deactivated {
                technician_id: profile.id,
            },
            (TechnicianCommand::Reactivate, Some(profile)) if profile.active => {
                return Err(TechnicianError::AlreadyActive(profile.id));
            }
            (TechnicianCommand::Reactivate, Some(profile)) => TechnicianEvent::Reactivated {
                technician_id: profile.id,
            },
        };
        Ok(vec![event])
    }

    fn apply(&mut self, event: &TechnicianEvent) {
        match event {
            TechnicianEvent::Registered {
                technician_id,
                name,
                skills,
            } => {
                self.profile = Some(Profile {
                    id: *technician_id,
                    name: name.clone(),
                    skills: skills.clone(),
                    active: true,
                });
            }
            TechnicianEvent::Updated { name, skills, .. } => {
                if let Some(profile) = &mut self.profile {
                    profile.name = name.clone();
                    profile.skills = skills.clone();
                }
            }
            TechnicianEvent::Deactivated { .. } => self.set_active(false),
            TechnicianEvent::Reactivated { .. } => self.set_active(true),
        }
    }
}

impl Technician {
    /// The technician's skills; empty until registered.
    pub fn skills(&self) -> BTreeSet<ServiceCategory> {
        self.profile
            .as_ref()
            .map(|p| p.skills.clone())
            .unwrap_or_default()
    }

    pub fn is_active(&self) -> bool {
        self.profile.as_ref().is_some_and(|p| p.active)
    }

    fn set_active(&mut self, active: bool) {
        if let Some(profile) = &mut self.profile {
            profile.active = active;
        }
    }
}

#[cfg(test)]
mod tests;
