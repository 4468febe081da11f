//! The operators' dead-letter RPCs (ADR 021): list, show, redrive, discard. The store
//! does the work in one transaction ([`crate::store::dead_letters`]); here requests
//! are checked, answers shaped for the caller (personal data redacted for roles that
//! do not open it), metrics and the live status moved, and each settlement recorded
//! on the source's own dead-letter channel (Kafka's `.dlq`) once the store committed.

use contracts::v1::{self, DiscardedDeadLetter};
use es_core::EventEnvelope;
use es_core::projection::Settlement;
use es_core::telemetry::names;
use identity::Caller;
use serde_json::Value;

use super::QueryError;
use super::scope::REDACTED;
use super::service::QueryService;
use crate::runtime::blocking;
use crate::store::{DeadLetter, DeadLetterError, Discarded, Redrive};

/// The longest discard reason kept.
const MAX_REASON: usize = 2_000;

impl From<DeadLetterError> for QueryError {
    fn from(error: DeadLetterError) -> Self {
        match error {
            DeadLetterError::NoProjection(_) => {
                QueryError::invalid("projection", error.to_string())
            }
            DeadLetterError::NotParked { .. } => QueryError::NotFound(error.to_string()),
            DeadLetterError::Held { .. } => QueryError::Refused {
                reason: "held_behind_an_earlier_event",
                field: "position".to_owned(),
                message: error.to_string(),
            },
            DeadLetterError::Db(error) => QueryError::Db(error),
        }
    }
}

/// A dead letter on the wire; the envelope only when `envelope` is given.
fn to_proto(letter: DeadLetter, envelope: Option<String>) -> v1::DeadLetter {
    v1::DeadLetter {
        projection: letter.projection,
        position: letter.position,
        event_id: letter.event_id,
        stream_id: letter.stream_id,
        version: letter.version,
        event_type: letter.event_type,
        reason: letter.reason,
        attempts: letter.attempts,
        parked_at: letter.parked_at,
        held_behind: letter.held_behind,
        envelope_json: envelope.unwrap_or_default(),
    }
}

fn discarded_to_proto(discarded: Discarded) -> DiscardedDeadLetter {
    DiscardedDeadLetter {
        dead_letter: Some(to_proto(discarded.letter, None)),
        discarded_at: discarded.discarded_at,
        discarded_by: discarded.discarded_by,
        discard_reason: discarded.discard_reason,
    }
}

/// The parked envelope as `caller` may see it: its payload's `personal_data` redacted
/// unless the caller's role opens personal data.
pub fn envelope_for(caller: &Caller, envelope: &str) -> String {
    if caller.opens_personal_data() {
        return envelope.to_owned();
    }
    let Ok(mut json) = serde_json::from_str::<Value>(envelope) else {
        return REDACTED.to_owned();
    };
    if let Some(personal) = json.pointer_mut("/payload/personal_data")
        && !personal.is_null()
    {
        *personal = Value::String(REDACTED.to_owned());
    }
    json.to_string()
}

/// Each read model's parked events as a gauge, from the store's `positions()` (name,
/// generation, position, dead letters).
pub fn export_parked(positions: &[(String, i64, u64, u64)]) {
    for (name, _, _, dead) in positions {
        metrics::gauge!(names::READ_MODEL_DEAD_LETTERS, "read_model" => name.clone())
            .set(*dead as f64);
    }
}

impl QueryService {
    /// The read models asked for: one by name, or all.
    fn read_models(&self, projection: &str) -> Result<Vec<String>, QueryError> {
        let all = self.db().projections().iter().map(|p| p.name().to_owned());
        match projection.trim() {
            "" => Ok(all.collect()),
            name if all.clone().any(|known| known == name) => Ok(vec![name.to_owned()]),
            name => Err(QueryError::invalid(
                "projection",
                format!("no read model named `{name}`"),
            )),
        }
    }

    pub(super) async fn list_dead_letters_for(
        &self,
        request: v1::ListDeadLettersRequest,
    ) -> Result<v1::ListDeadLettersReply, QueryError> {
        let names = self.read_models(&request.projection)?;
        let db = self.db().clone();
        blocking(move || {
            let mut reply = v1::ListDeadLettersReply::default();
            for name in names {
                let parked = db.dead_letters(&name)?;
                reply
                    .dead_letters
                    .extend(parked.into_iter().map(|l| to_proto(l, None)));
                let discarded = db.discarded(&name)?;
                reply
                    .discarded
                    .extend(discarded.into_iter().map(discarded_to_proto));
            }
            Ok::<_, crate::store::DbError>(reply)
        })
        .map_err(QueryError::from)
    }

    pub(super) async fn get_dead_letter_for(
        &self,
        caller: &Caller,
        request: v1::GetDeadLetterRequest,
    ) -> Result<v1::DeadLetter, QueryError> {
        let name = self.one_read_model(&request.projection)?;
        let db = self.db().clone();
        let parked = blocking(move || db.dead_letters(&name))?;
        let letter = parked
            .into_iter()
            .find(|l| l.position == request.position)
            .ok_or_else(|| {
                QueryError::from(DeadLetterError::NotParked {
                    projection: request.projection.trim().to_owned(),
                    position: request.position,
                })
            })?;
        let envelope = envelope_for(caller, &letter.envelope);
        Ok(to_proto(letter, Some(envelope)))
    }

    pub(super) async fn redrive_dead_letters_for(
        &self,
        caller: &Caller,
        request: v1::RedriveDeadLettersRequest,
    ) -> Result<v1::RedriveDeadLettersReply, QueryError> {
        let name = self.one_read_model(&request.projection)?;
        let which = request.position.map_or(Redrive::All, Redrive::From);
        let db = self.db().clone();
        let on = name.clone();
        let redriven = blocking(move || db.redrive(&on, which))?;
        let count = |outcome: &'static str, n: usize| {
            metrics::counter!(names::DEAD_LETTERS_SETTLED, "read_model" => name.clone(), "outcome" => outcome)
                .increment(n as u64);
        };
        count("redriven", redriven.applied.len());
        count("failed", redriven.failed.len());
        tracing::info!(read_model = %name, redriven = redriven.applied.len(), failed = redriven.failed.len(), by = %caller.subject(), "dead letters redriven");
        let settlement = Settlement {
            outcome: "redriven",
            by: caller.subject().to_owned(),
            reason: None,
        };
        for letter in &redriven.applied {
            self.record_settlement(letter, &settlement).await;
        }
        self.count_parked().await;
        Ok(v1::RedriveDeadLettersReply {
            redriven: redriven
                .applied
                .into_iter()
                .map(|l| to_proto(l, None))
                .collect(),
            failed: redriven
                .failed
                .into_iter()
                .map(|l| to_proto(l, None))
                .collect(),
        })
    }

    pub(super) async fn discard_dead_letter_for(
        &self,
        caller: &Caller,
        request: v1::DiscardDeadLetterRequest,
    ) -> Result<DiscardedDeadLetter, QueryError> {
        let name = self.one_read_model(&request.projection)?;
        let reason = request.reason.trim().to_owned();
        if !reason
            .chars()
            .any(|c| !c.is_whitespace() && !c.is_control())
        {
            return Err(QueryError::invalid(
                "reason",
                "say why the event is discarded",
            ));
        }
        if reason.chars().count() > MAX_REASON {
            return Err(QueryError::invalid(
                "reason",
                format!("at most {MAX_REASON} characters"),
            ));
        }
        let db = self.db().clone();
        let by = caller.subject().to_owned();
        let (on, why) = (name.clone(), reason.clone());
        let discarded = blocking(move || db.discard(&on, request.position, &why, &by))?;
        metrics::counter!(names::DEAD_LETTERS_SETTLED, "read_model" => name.clone(), "outcome" => "discarded")
            .increment(1);
        tracing::warn!(read_model = %name, position = request.position, by = %caller.subject(), %reason, "dead letter discarded");
        let settlement = Settlement {
            outcome: "discarded",
            by: caller.subject().to_owned(),
            reason: Some(reason),
        };
        self.record_settlement(&discarded.letter, &settlement).await;
        self.count_parked().await;
        Ok(discarded_to_proto(discarded))
    }

    /// `projection` named and known (`INVALID_ARGUMENT` naming it otherwise).
    fn one_read_model(&self, projection: &str) -> Result<String, QueryError> {
        if projection.trim().is_empty() {
            return Err(QueryError::invalid("projection", "name a read model"));
        }
        Ok(self.read_models(projection)?.remove(0))
    }

    /// Tells the live source (Kafka records it on `.dlq`); the store has committed, so
    /// a failure here is logged, not undone.
    async fn record_settlement(&self, letter: &DeadLetter, settlement: &Settlement) {
        let Ok(event) = serde_json::from_str::<EventEnvelope>(&letter.envelope) else {
            return;
        };
        if let Err(error) = self.dead_letter_channel().settled(&event, settlement).await {
            tracing::warn!(%error, position = letter.position, outcome = settlement.outcome, "the settlement is not recorded on the source's dead-letter channel");
        }
    }

    /// The live status (and the gauges) count what is parked now.
    async fn count_parked(&self) {
        let db = self.db().clone();
        match blocking(move || db.positions()) {
            Ok(positions) => {
                export_parked(&positions);
                let parked = positions.iter().map(|(_, _, _, dead)| dead).sum();
                self.live().parked_now(parked);
            }
            Err(error) => tracing::warn!(%error, "cannot count the dead letters"),
        }
    }
}

#[cfg(test)]
mod tests {
    use identity::{Identity, Role};

    use super::*;

    fn caller(role: Role) -> Caller {
        Caller {
            identity: Identity {
                subject: "ops".into(),
                roles: vec![role],
                driver_id: None,
                token: "t".into(),
            },
            role,
        }
    }

    #[test]
    fn a_parked_envelope_shows_personal_data_only_to_roles_that_open_it() {
        let envelope = r#"{"payload":{"personal_data":{"name":"Ada"},"brand":"Polestar"}}"#;
        let operator = envelope_for(&caller(Role::Operator), envelope);
        assert!(!operator.contains("Ada"), "{operator}");
        assert!(operator.contains(REDACTED) && operator.contains("Polestar"));
        assert_eq!(envelope_for(&caller(Role::Auditor), envelope), envelope);
    }
}
