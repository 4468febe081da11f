//! The driver rule (DESIGN §9): a caller acting as `driver` touches only the
//! deliveries assigned to the driver its token names (claim `driver_id`). Routes with a
//! `{delivery_id}` are checked before their handler runs, by reading the delivery with
//! the caller's own token; lists without an id ask the query service for the driver's
//! own.
//!
//! The command and query services enforce the same rule; checking here too gives a
//! precise 403 before any booking lock is taken or any view composed.

use contracts::v1 as pb;
use identity::Role;
use uuid::Uuid;

use crate::extract::{RequestContext, read_segment};
use crate::problem::{ApiError, ProblemKind};
use crate::query;
use crate::state::AppState;

/// The path parameter of the routes the rule guards.
pub const DELIVERY_PARAM: &str = "delivery_id";

/// The driver id a request acting as `driver` is confined to; `None` for other roles.
/// A driver token that names no driver may act on no delivery.
pub fn scope(ctx: &RequestContext) -> Result<Option<String>, ApiError> {
    let Some(caller) = ctx.caller.as_ref().filter(|c| c.role == Role::Driver) else {
        return Ok(None);
    };
    match caller.driver_id() {
        Some(id) if !id.trim().is_empty() => Ok(Some(normalized(id))),
        _ => Err(forbidden(
            "no_driver_id",
            "this driver token names no driver (claim driver_id), so it may act on no delivery",
        )),
    }
}

/// The driver filter of a delivery list: a driver's own id (403 when it asked for
/// another driver's), else what the client asked for.
pub fn confine(ctx: &RequestContext, asked: Option<String>) -> Result<Option<String>, ApiError> {
    match (scope(ctx)?, asked) {
        (None, asked) => Ok(asked),
        (Some(own), Some(asked)) if normalized(&asked) != own => Err(forbidden(
            "not_assigned_driver",
            "a driver may list only its own deliveries",
        )),
        (Some(own), _) => Ok(Some(own)),
    }
}

/// 403 unless the delivery `raw_id` is assigned to the calling driver; nothing for
/// other roles. A malformed id is the handler's 400, an unknown one its 404.
pub async fn check_own_delivery(
    state: &AppState,
    ctx: &RequestContext,
    raw_id: &str,
) -> Result<(), ApiError> {
    let Some(own) = scope(ctx)? else {
        return Ok(());
    };
    let delivery_id = read_segment::<Uuid>(DELIVERY_PARAM, raw_id)?.to_string();
    let delivery = query!(
        state,
        ctx,
        get_delivery(pb::GetDeliveryRequest {
            wait_for: ctx.wait_for.clone(),
            delivery_id,
        })
    )
    .await
    .map_err(|problem| match problem.kind {
        // The query service applies the same rule to the driver's token, and refuses
        // first: the same answer, whoever refused.
        ProblemKind::Forbidden => not_assigned(),
        _ => problem,
    })?;
    match delivery.driver_id.as_deref().map(normalized) {
        Some(assigned) if assigned == own => Ok(()),
        _ => Err(not_assigned()),
    }
}

/// Whose it is stays unsaid.
fn not_assigned() -> ApiError {
    forbidden(
        "not_assigned_driver",
        "this delivery is not assigned to the driver this token names",
    )
}

/// Driver ids compare as UUIDs when they are (any case, braces, hyphens), else as text.
fn normalized(id: &str) -> String {
    let id = id.trim();
    Uuid::parse_str(id).map_or_else(|_| id.to_owned(), |uuid| uuid.to_string())
}

fn forbidden(reason: &str, detail: &str) -> ApiError {
    ApiError::new(ProblemKind::Forbidden, detail).with_reason(reason)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use identity::{Caller, Identity};

    use super::*;

    const OWN: &str = "0190a4a0-0000-7000-8000-00000000000d";

    fn acting_as(role: Role, driver_id: Option<&str>) -> RequestContext {
        RequestContext {
            caller: Some(Caller {
                identity: Identity {
                    subject: "grace".into(),
                    roles: vec![role],
                    driver_id: driver_id.map(str::to_owned),
                    token: Arc::from("t"),
                },
                role,
            }),
            ..RequestContext::default()
        }
    }

    #[test]
    fn a_driver_list_is_confined_to_the_token_s_driver_and_others_are_not() {
        let driver = acting_as(Role::Driver, Some(&OWN.to_uppercase()));
        assert_eq!(confine(&driver, None).unwrap().as_deref(), Some(OWN));
        assert_eq!(
            confine(&driver, Some(OWN.into())).unwrap().as_deref(),
            Some(OWN)
        );
        let dispatcher = acting_as(Role::Dispatcher, None);
        assert_eq!(confine(&dispatcher, None).unwrap(), None);
    }

    #[test]
    fn a_driver_asking_for_another_driver_s_deliveries_is_a_403() {
        let driver = acting_as(Role::Driver, Some(OWN));
        let refused = confine(&driver, Some(Uuid::nil().to_string())).unwrap_err();
        assert_eq!(refused.kind, ProblemKind::Forbidden);
        assert_eq!(refused.reason.as_deref(), Some("not_assigned_driver"));
    }

    #[test]
    fn a_driver_token_without_a_driver_id_may_act_on_no_delivery() {
        let nameless = acting_as(Role::Driver, None);
        let refused = confine(&nameless, None).unwrap_err();
        assert_eq!(refused.reason.as_deref(), Some("no_driver_id"));
    }

    #[test]
    fn a_drivers_scope_is_its_own_canonical_id_and_other_roles_have_none() {
        let driver = scope(&acting_as(Role::Driver, Some(&OWN.to_uppercase()))).unwrap();
        assert_eq!(driver.as_deref(), Some(OWN));
        let auditor = scope(&acting_as(Role::Auditor, None)).unwrap();
        assert_eq!(auditor, None);
    }
}
