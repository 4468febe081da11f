//! Screens composed from several gRPC reads made in parallel. When a secondary read
//! fails, the view still answers, with `partial: true` and the parts `missing`;
//! only the view's main entity failing fails the request.

pub mod deliveries;
pub mod workshop_day;

use utoipa_axum::router::OpenApiRouter;

use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(deliveries::routes())
        .merge(workshop_day::routes())
}
