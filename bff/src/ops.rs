//! Dead letters for operators (ADR 021): the events a read model could not apply, to
//! list, look at, redrive after a fix, or discard with a reason that stays recorded.
//! The query service does the work (one transaction per request, serialized with the
//! running projections); here the REST shapes, and who may: operators, and the admin.
//! Auditors may look.

use axum::extract::State;
use contracts::v1 as pb;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::audit::context::{non_blank, renamed};
use crate::extract::{Json, Path, Query, RequestContext};
use crate::problem::ApiError;
use crate::state::AppState;
use crate::{maintain, query};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(show))
        .routes(routes!(redrive_all))
        .routes(routes!(redrive_one))
        .routes(routes!(discard))
}

/// The query service names read models `projection`.
const NAMES: &[(&str, &str)] = &[("projection", "read_model")];

/// A read model's name: one of the platform's ([`contracts::READ_MODELS`]).
pub struct ReadModelName;

impl utoipa::PartialSchema for ReadModelName {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .enum_values(Some(contracts::READ_MODELS))
            .description(Some("A read model's name, as in `/audit/rebuilds`"))
            .into()
    }
}

impl ToSchema for ReadModelName {}

/// Which read model's dead letters.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// A read model's name (as in `/audit/rebuilds`); absent: every read model.
    #[param(value_type = Option<ReadModelName>, inline)]
    pub read_model: Option<String>,
}

/// An event a read model could not apply, parked.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeadLetterView {
    pub read_model: String,
    /// The event's global position (its id among the dead letters).
    pub position: u64,
    pub event_id: String,
    pub stream_id: String,
    pub version: u64,
    pub event_type: String,
    /// Why the read model could not apply it, as of the last attempt.
    pub reason: String,
    /// Attempts so far, redrives included.
    pub attempts: u32,
    /// When it was parked, or last failed again (RFC 3339).
    pub parked_at: String,
    /// The position of an earlier parked event of the same stream this one waits
    /// behind (a stream's events apply in order); `null` for the first of its stream.
    #[schema(required = true)]
    pub held_behind: Option<u64>,
}

impl From<pb::DeadLetter> for DeadLetterView {
    fn from(l: pb::DeadLetter) -> Self {
        DeadLetterView {
            read_model: l.projection,
            position: l.position,
            event_id: l.event_id,
            stream_id: l.stream_id,
            version: l.version,
            event_type: l.event_type,
            reason: l.reason,
            attempts: l.attempts,
            parked_at: l.parked_at,
            held_behind: l.held_behind,
        }
    }
}

/// A parked event with its envelope.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeadLetterDetail {
    #[serde(flatten)]
    pub dead_letter: DeadLetterView,
    /// The envelope as the read model received it; personal data redacted for roles
    /// that do not open it.
    #[schema(value_type = Object)]
    pub envelope: Value,
}

/// A dead letter an operator discarded, with who and why.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DiscardedView {
    pub dead_letter: DeadLetterView,
    pub discarded_at: String,
    /// The subject of the token that discarded it.
    pub discarded_by: String,
    pub discard_reason: String,
}

impl From<pb::DiscardedDeadLetter> for DiscardedView {
    fn from(d: pb::DiscardedDeadLetter) -> Self {
        DiscardedView {
            dead_letter: d.dead_letter.unwrap_or_default().into(),
            discarded_at: d.discarded_at,
            discarded_by: d.discarded_by,
            discard_reason: d.discard_reason,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeadLetterList {
    /// Parked now, by read model, then position.
    pub dead_letters: Vec<DeadLetterView>,
    /// Discarded earlier, with who and why.
    pub discarded: Vec<DiscardedView>,
}

/// What a redrive did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RedriveResult {
    /// Applied and no longer parked, in the order applied.
    pub redriven: Vec<DeadLetterView>,
    /// Failed again: still parked with the new reason; the rest of each one's stream
    /// stays held behind it.
    pub failed: Vec<DeadLetterView>,
}

impl From<pb::RedriveDeadLettersReply> for RedriveResult {
    fn from(r: pb::RedriveDeadLettersReply) -> Self {
        RedriveResult {
            redriven: r.redriven.into_iter().map(DeadLetterView::from).collect(),
            failed: r.failed.into_iter().map(DeadLetterView::from).collect(),
        }
    }
}

/// Why a dead letter is discarded.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DiscardRequest {
    /// Required, not blank; kept with the record.
    #[schema(
        min_length = 1,
        max_length = 2000,
        pattern = "[^\\s\\x00-\\x1F\\x7F-\\x9F]"
    )]
    pub reason: String,
}

/// Every parked event (of one read model, or all), and those discarded.
#[utoipa::path(get, path = "/ops/dead-letters", tag = "operations",
    security(("bearer" = ["operator", "auditor"])),
    params(ListParams),
    responses((status = 200, description = "Parked and discarded events", body = DeadLetterList)))]
pub async fn list(
    State(state): State<AppState>,
    ctx: RequestContext,
    Query(params): Query<ListParams>,
) -> Result<axum::Json<DeadLetterList>, ApiError> {
    // Blank would mean "every read model" to the query service: refused, not widened.
    let projection = match params.read_model {
        Some(name) => non_blank("read_model", &name)?,
        None => String::new(),
    };
    let request = pb::ListDeadLettersRequest { projection };
    let reply = query!(state, ctx, list_dead_letters(request))
        .await
        .map_err(|e| renamed(e, NAMES))?;
    Ok(axum::Json(DeadLetterList {
        dead_letters: reply.dead_letters.into_iter().map(Into::into).collect(),
        discarded: reply.discarded.into_iter().map(Into::into).collect(),
    }))
}

/// One parked event, with its envelope.
#[utoipa::path(get, path = "/ops/dead-letters/{read_model}/{position}", tag = "operations",
    security(("bearer" = ["operator", "auditor"])),
    params(("read_model" = inline(ReadModelName), Path, description = "A read model's name"),
        ("position" = u64, Path, description = "The parked event's global position")),
    responses(
        (status = 200, description = "The parked event", body = DeadLetterDetail),
        (status = 404, description = "No event parked there")))]
pub async fn show(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path((read_model, position)): Path<(String, u64)>,
) -> Result<axum::Json<DeadLetterDetail>, ApiError> {
    let request = pb::GetDeadLetterRequest {
        projection: read_model,
        position,
    };
    let mut letter: pb::DeadLetter = query!(state, ctx, get_dead_letter(request))
        .await
        .map_err(|e| renamed(e, NAMES))?;
    let envelope = std::mem::take(&mut letter.envelope_json);
    Ok(axum::Json(DeadLetterDetail {
        envelope: serde_json::from_str(&envelope).unwrap_or(Value::String(envelope)),
        dead_letter: letter.into(),
    }))
}

/// Redrive every parked event of a read model, after a fix: each stream's events in
/// position order, stopping a stream at its first failure. Idempotent: what applied
/// is no longer parked, so a second redrive has nothing of it to apply.
#[utoipa::path(post, path = "/ops/dead-letters/{read_model}/redrive", tag = "operations",
    security(("bearer" = ["operator"])),
    params(("read_model" = inline(ReadModelName), Path, description = "A read model's name")),
    responses((status = 200, description = "What applied and what failed again", body = RedriveResult)))]
pub async fn redrive_all(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path(read_model): Path<String>,
) -> Result<axum::Json<RedriveResult>, ApiError> {
    redrive(state, ctx, read_model, None).await
}

/// Redrive one parked event and the events of its stream held behind it. Refused
/// (409) while an earlier event of its stream is parked: that one first.
#[utoipa::path(post, path = "/ops/dead-letters/{read_model}/{position}/redrive", tag = "operations",
    security(("bearer" = ["operator"])),
    params(("read_model" = inline(ReadModelName), Path, description = "A read model's name"),
        ("position" = u64, Path, description = "The parked event's global position")),
    responses(
        (status = 200, description = "What applied and what failed again", body = RedriveResult),
        (status = 404, description = "No event parked there"),
        (status = 409, description = "An earlier event of its stream is parked")))]
pub async fn redrive_one(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path((read_model, position)): Path<(String, u64)>,
) -> Result<axum::Json<RedriveResult>, ApiError> {
    redrive(state, ctx, read_model, Some(position)).await
}

async fn redrive(
    state: AppState,
    ctx: RequestContext,
    read_model: String,
    position: Option<u64>,
) -> Result<axum::Json<RedriveResult>, ApiError> {
    let request = pb::RedriveDeadLettersRequest {
        projection: read_model,
        position,
    };
    let reply = maintain!(state, ctx, redrive_dead_letters(request))
        .await
        .map_err(|e| renamed(e, NAMES))?;
    Ok(axum::Json(reply.into()))
}

/// Discard a parked event: no longer parked, recorded with who discarded it and why.
/// Events of its stream held behind it stay parked.
#[utoipa::path(post, path = "/ops/dead-letters/{read_model}/{position}/discard", tag = "operations",
    security(("bearer" = ["operator"])),
    params(("read_model" = inline(ReadModelName), Path, description = "A read model's name"),
        ("position" = u64, Path, description = "The parked event's global position")),
    request_body = DiscardRequest,
    responses(
        (status = 200, description = "Discarded, as recorded", body = DiscardedView),
        (status = 404, description = "No event parked there")))]
pub async fn discard(
    State(state): State<AppState>,
    ctx: RequestContext,
    Path((read_model, position)): Path<(String, u64)>,
    Json(body): Json<DiscardRequest>,
) -> Result<axum::Json<DiscardedView>, ApiError> {
    let request = pb::DiscardDeadLetterRequest {
        projection: read_model,
        position,
        reason: body.reason,
    };
    let reply = maintain!(state, ctx, discard_dead_letter(request))
        .await
        .map_err(|e| renamed(e, NAMES))?;
    Ok(axum::Json(reply.into()))
}
