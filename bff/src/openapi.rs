//! The OpenAPI 3.1 document, generated from the handlers' annotations (utoipa), and
//! Swagger UI beside it. The UI's assets are compiled into the binary
//! (`swagger-ui-dist`), so `/docs` works offline.

mod conventions;
mod examples;

pub use conventions::complete;
use utoipa::OpenApi;

use crate::problem::Problem;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Pitlane REST API",
        description = "The BFF of Pitlane, an event-sourced platform for an electric-vehicle \
service operator: workshops plan maintenance jobs on customers' vehicles; a delivery fleet \
runs routes with checkpoints.\n\n\
Authentication: every `/api/v1` operation needs `Authorization: Bearer <JWT>` (the \
`bearer` scheme; on the embedded default `pitlane token --role planner` prints one). Each \
operation lists the roles it admits (`admin` is admitted everywhere); without a valid token \
the answer is 401 with `WWW-Authenticate` naming the reason, with a role not admitted 403. \
A `driver` reaches only the deliveries assigned to the driver its token names.\n\n\
Conventions: errors are `application/problem+json` with a stable `type` (`/problems/<kind>`) \
and the `field` at fault. Every command answers an `ETag` (the aggregate version; send it \
back as `If-Match` → 412 on mismatch) and an `X-Consistency-Token` (send it back on a GET as \
the header or `?after=` to read your own write). POSTs take an `Idempotency-Key`. \
`X-Correlation-ID` is accepted (or minted) and echoed, and lands in every event recorded."
    ),
    components(schemas(Problem)),
    tags(
        (name = "customers", description = "Customers of the workshop"),
        (name = "fleet", description = "Vehicles and drivers"),
        (name = "workshop", description = "Technicians and the daily planning of maintenance jobs"),
        (name = "deliveries", description = "Routes with checkpoints, and deliveries on them"),
        (name = "views", description = "Screens composed from several reads in parallel"),
        (name = "schedules", description = "Booked slots per driver, vehicle and technician"),
        (name = "audit", description = "The event log replayed for auditors (read-only): history, state as of, diff, trace, verify, export; and the admin's rebuild of read models"),
        (name = "operations", description = "Running the platform: metrics, and dead letters (events a read model could not apply) to list, redrive after a fix, or discard with a reason"),
        (name = "health", description = "Liveness and readiness")
    )
)]
pub struct ApiDoc;
