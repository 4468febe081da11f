//! The routes read model: the `routes` table (one row per route) and the
//! `route_checkpoints` table (one row per planned checkpoint), answering `ListRoutes` and
//! `GetRoute`: each route with its checkpoints and each checkpoint's status, read from
//! the delivery read model's `delivery_checkpoints` at query time.

pub mod projection;
pub mod queries;

pub use projection::{ROUTE_CHECKPOINTS, ROUTES, RouteProjection};
pub use queries::{get_route, list_routes};
