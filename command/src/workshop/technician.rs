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

use std::collections::BTreeSet;

use es_core::{Aggregate, DomainEvent};
use serde::{Deserialize, Serialize};

use super::ServiceCategory;
use crate::shared::{DomainRule, RuleKind, TechnicianId, Text};

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

#[derive(Debug, Clone, PartialEq)]
pub enum TechnicianCommand {
    Register {
        technician_id: TechnicianId,
        name: Text<200>,
        skills: BTreeSet<ServiceCategory>,
    },
    Update {
        name: Text<200>,
        skills: BTreeSet<ServiceCategory>,
    },
    Deactivate,
    Reactivate,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event_type", content = "payload")]
pub enum TechnicianEvent {
    #[serde(rename = "technician.registered.v1")]
    Registered {
        technician_id: TechnicianId,
        name: Text<200>,
        skills: BTreeSet<ServiceCategory>,
    },
    #[serde(rename = "technician.updated.v1")]
    Updated {
        technician_id: TechnicianId,
        name: Text<200>,
        skills: BTreeSet<ServiceCategory>,
    },
    #[serde(rename = "technician.deactivated.v1")]
    Deactivated { technician_id: TechnicianId },
    #[serde(rename = "technician.reactivated.v1")]
    Reactivated { technician_id: TechnicianId },
}

impl DomainEvent for TechnicianEvent {}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TechnicianError {
    #[error("technician {0} is already registered")]
    AlreadyRegistered(TechnicianId),
    #[error("no such technician")]
    NotFound,
    #[error("a technician needs at least one skill")]
    NoSkills,
    #[error("technician {0} is already inactive")]
    AlreadyInactive(TechnicianId),
    #[error("technician {0} is already active")]
    AlreadyActive(TechnicianId),
}

impl DomainRule for TechnicianError {
    fn reason(&self) -> &'static str {
        match self {
            TechnicianError::AlreadyRegistered(_) => "technician_already_registered",
            TechnicianError::NotFound => "technician_not_found",
            TechnicianError::NoSkills => "technician_needs_a_skill",
            TechnicianError::AlreadyInactive(_) => "technician_already_inactive",
            TechnicianError::AlreadyActive(_) => "technician_already_active",
        }
    }

    fn kind(&self) -> RuleKind {
        match self {
            TechnicianError::AlreadyRegistered(_) => RuleKind::AlreadyExists,
            TechnicianError::NotFound => RuleKind::NotFound,
            _ => RuleKind::Violation,
        }
    }
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

fn non_empty(
    skills: BTreeSet<ServiceCategory>,
) -> Result<BTreeSet<ServiceCategory>, TechnicianError> {
    if skills.is_empty() {
        Err(TechnicianError::NoSkills)
    } else {
        Ok(skills)
    }
}

#[cfg(test)]
mod tests {
    use es_core::testing::AggregateTest;
    use uuid::Uuid;

    use super::*;
    use ServiceCategory::*;

    fn id() -> TechnicianId {
        TechnicianId::from(Uuid::from_u128(7))
    }

    fn name(raw: &str) -> Text<200> {
        Text::parse("name", raw).unwrap()
    }

    fn skills(categories: &[ServiceCategory]) -> BTreeSet<ServiceCategory> {
        categories.iter().copied().collect()
    }

    fn registered() -> TechnicianEvent {
        TechnicianEvent::Registered {
            technician_id: id(),
            name: name("Ada"),
            skills: skills(&[Repairs]),
        }
    }

    fn deactivated() -> TechnicianEvent {
        TechnicianEvent::Deactivated {
            technician_id: id(),
        }
    }

    #[test]
    fn registering_a_technician_records_name_and_skills() {
        AggregateTest::<Technician>::given_no_previous_events()
            .when(TechnicianCommand::Register {
                technician_id: id(),
                name: name("Ada"),
                skills: skills(&[Repairs]),
            })
            .then_expect_events(vec![registered()]);
    }

    #[test]
    fn a_registered_technician_is_active() {
        let mut technician = Technician::default();
        technician.apply(&registered());
        assert!(technician.is_active());
        assert_eq!(technician.skills(), skills(&[Repairs]));
    }

    #[test]
    fn registering_an_existing_technician_id_is_rejected() {
        AggregateTest::<Technician>::given(vec![registered()])
            .when(TechnicianCommand::Register {
                technician_id: id(),
                name: name("Bob"),
                skills: skills(&[Paint]),
            })
            .then_expect_error(TechnicianError::AlreadyRegistered(id()));
    }

    #[test]
    fn a_technician_is_registered_with_at_least_one_skill() {
        AggregateTest::<Technician>::given_no_previous_events()
            .when(TechnicianCommand::Register {
                technician_id: id(),
                name: name("Ada"),
                skills: BTreeSet::new(),
            })
            .then_expect_error(TechnicianError::NoSkills);
    }

    #[test]
    fn an_update_cannot_take_away_every_skill() {
        AggregateTest::<Technician>::given(vec![registered()])
            .when(TechnicianCommand::Update {
                name: name("Ada"),
                skills: BTreeSet::new(),
            })
            .then_expect_error(TechnicianError::NoSkills);
    }

    #[test]
    fn updating_a_technician_replaces_name_and_skills() {
        AggregateTest::<Technician>::given(vec![registered()])
            .when(TechnicianCommand::Update {
                name: name("Ada L."),
                skills: skills(&[Paint, Installation]),
            })
            .then_expect_events(vec![TechnicianEvent::Updated {
                technician_id: id(),
                name: name("Ada L."),
                skills: skills(&[Paint, Installation]),
            }]);
    }

    #[test]
    fn an_inactive_technician_can_still_be_updated() {
        AggregateTest::<Technician>::given(vec![registered(), deactivated()])
            .when(TechnicianCommand::Update {
                name: name("Ada"),
                skills: skills(&[Maintenance]),
            })
            .then_expect_events(vec![TechnicianEvent::Updated {
                technician_id: id(),
                name: name("Ada"),
                skills: skills(&[Maintenance]),
            }]);
    }

    #[test]
    fn commands_on_an_unregistered_technician_are_not_found() {
        for command in [
            TechnicianCommand::Update {
                name: name("Ada"),
                skills: skills(&[Paint]),
            },
            TechnicianCommand::Deactivate,
            TechnicianCommand::Reactivate,
        ] {
            AggregateTest::<Technician>::given_no_previous_events()
                .when(command)
                .then_expect_error(TechnicianError::NotFound);
        }
    }

    #[test]
    fn deactivating_an_active_technician_makes_them_inactive() {
        AggregateTest::<Technician>::given(vec![registered()])
            .when(TechnicianCommand::Deactivate)
            .then_expect_events(vec![deactivated()]);
        let mut technician = Technician::default();
        technician.apply(&registered());
        technician.apply(&deactivated());
        assert!(!technician.is_active());
    }

    #[test]
    fn deactivating_an_inactive_technician_is_rejected() {
        AggregateTest::<Technician>::given(vec![registered(), deactivated()])
            .when(TechnicianCommand::Deactivate)
            .then_expect_error(TechnicianError::AlreadyInactive(id()));
    }

    #[test]
    fn reactivating_an_inactive_technician_makes_them_active() {
        AggregateTest::<Technician>::given(vec![registered(), deactivated()])
            .when(TechnicianCommand::Reactivate)
            .then_expect_events(vec![TechnicianEvent::Reactivated {
                technician_id: id(),
            }]);
    }

    #[test]
    fn reactivating_an_active_technician_is_rejected() {
        AggregateTest::<Technician>::given(vec![
            registered(),
            deactivated(),
            TechnicianEvent::Reactivated {
                technician_id: id(),
            },
        ])
        .when(TechnicianCommand::Reactivate)
        .then_expect_error(TechnicianError::AlreadyActive(id()));
    }

    #[test]
    fn errors_have_stable_reasons_and_kinds() {
        let cases = [
            (
                TechnicianError::AlreadyRegistered(id()),
                "technician_already_registered",
                RuleKind::AlreadyExists,
            ),
            (
                TechnicianError::NotFound,
                "technician_not_found",
                RuleKind::NotFound,
            ),
            (
                TechnicianError::NoSkills,
                "technician_needs_a_skill",
                RuleKind::Violation,
            ),
            (
                TechnicianError::AlreadyInactive(id()),
                "technician_already_inactive",
                RuleKind::Violation,
            ),
            (
                TechnicianError::AlreadyActive(id()),
                "technician_already_active",
                RuleKind::Violation,
            ),
        ];
        for (error, reason, kind) in cases {
            assert_eq!((error.reason(), error.kind()), (reason, kind), "{error:?}");
        }
    }

    #[test]
    fn events_serialise_with_their_dotted_type_and_snake_case_skills() {
        let json = serde_json::to_value(registered()).unwrap();
        assert_eq!(json["event_type"], "technician.registered.v1");
        assert_eq!(json["payload"]["skills"], serde_json::json!(["repairs"]));
    }
}
