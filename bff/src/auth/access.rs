//! Who may call what, read from the OpenAPI document the router serves: each
//! operation's `security` (declared next to its handler) is its rule, keyed by method
//! and path template, the way axum's `MatchedPath` names a route. No separate list
//! exists that could drift from the routes: what the document shows is what is enforced.

use std::collections::HashMap;

use axum::http::Method;
use identity::Role;
use utoipa::openapi::OpenApi;

use super::document::{declared_roles, guarded, operations};

/// The rule of one operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    /// Callers holding one of these roles (`admin` always among them once the document
    /// is [secured](super::document::secure)).
    Roles(Vec<Role>),
    /// The operation declares no `security`: nobody may call it until it does.
    Undeclared,
}

/// What the table says about one request.
#[derive(Debug, PartialEq, Eq)]
pub enum Lookup<'a> {
    /// Not an `/api/v1` route (health, OpenAPI, docs, the 404 fallback): no token.
    Public,
    Rule(&'a Access),
    /// An `/api/v1` path the document does not know (a route added without its
    /// annotation): refused like an undeclared operation.
    Unknown,
    /// The path is known, but not with this method: these are.
    OtherMethods(Vec<Method>),
}

/// Every `/api/v1` operation's rule.
#[derive(Debug, Default)]
pub struct AccessTable {
    paths: HashMap<String, HashMap<Method, Access>>,
    /// Role names the document declares that are no [`Role`] (typos): never admitted.
    unknown_roles: Vec<String>,
}

impl AccessTable {
    pub fn from_openapi(document: &OpenApi) -> Self {
        let mut table = AccessTable::default();
        for (path, item) in &document.paths.paths {
            if !guarded(path) {
                continue;
            }
            let methods = table.paths.entry(path.clone()).or_default();
            for (method, operation) in operations(item) {
                let access = match declared_roles(operation) {
                    None => Access::Undeclared,
                    Some(names) => {
                        let mut roles = Vec::new();
                        for name in names {
                            match Role::parse(&name) {
                                Some(role) => roles.push(role),
                                None => {
                                    table.unknown_roles.push(format!("{method} {path}: {name}"))
                                }
                            }
                        }
                        Access::Roles(roles)
                    }
                };
                methods.insert(method, access);
            }
        }
        table
    }

    /// The rule of `method` on the route `matched` (axum's `MatchedPath`; `None` when
    /// no route matched). `HEAD` follows `GET`, as axum routes it.
    pub fn lookup(&self, method: &Method, matched: Option<&str>) -> Lookup<'_> {
        let Some(path) = matched.filter(|path| guarded(path)) else {
            return Lookup::Public;
        };
        let Some(methods) = self.paths.get(path) else {
            return Lookup::Unknown;
        };
        let method = if method == Method::HEAD {
            &Method::GET
        } else {
            method
        };
        match methods.get(method) {
            Some(access) => Lookup::Rule(access),
            None => {
                let mut allowed: Vec<Method> = methods.keys().cloned().collect();
                allowed.sort_by(|a, b| a.as_str().cmp(b.as_str()));
                Lookup::OtherMethods(allowed)
            }
        }
    }

    /// Every operation, as `METHOD /path`, with its rule.
    pub fn operations(&self) -> impl Iterator<Item = (String, &Access)> {
        self.paths.iter().flat_map(|(path, methods)| {
            methods
                .iter()
                .map(move |(method, access)| (format!("{method} {path}"), access))
        })
    }

    /// Declared role names that are no role, as `METHOD /path: name`.
    pub fn unknown_roles(&self) -> &[String] {
        &self.unknown_roles
    }
}

#[cfg(test)]
mod tests {
    use utoipa::openapi::OpenApiBuilder;
    use utoipa::openapi::path::{HttpMethod, OperationBuilder, PathItem, PathsBuilder};
    use utoipa::openapi::security::SecurityRequirement;

    use super::*;

    fn document() -> OpenApi {
        let secured = OperationBuilder::new()
            .security(SecurityRequirement::new(
                "bearer",
                ["planner", "auditor", "clerk"],
            ))
            .build();
        let bare = OperationBuilder::new().build();
        OpenApiBuilder::new()
            .paths(
                PathsBuilder::new()
                    .path("/api/v1/customers", PathItem::new(HttpMethod::Get, secured))
                    .path(
                        "/api/v1/secret",
                        PathItem::new(HttpMethod::Post, bare.clone()),
                    )
                    .path("/health/live", PathItem::new(HttpMethod::Get, bare)),
            )
            .build()
    }

    #[test]
    fn a_declared_operation_admits_its_roles_and_head_follows_get() {
        let table = AccessTable::from_openapi(&document());
        let roles = Access::Roles(vec![Role::Planner, Role::Auditor]);
        for method in [Method::GET, Method::HEAD] {
            assert_eq!(
                table.lookup(&method, Some("/api/v1/customers")),
                Lookup::Rule(&roles)
            );
        }
    }

    #[test]
    fn an_operation_without_security_or_a_route_without_a_document_is_refused() {
        let table = AccessTable::from_openapi(&document());
        assert_eq!(
            table.lookup(&Method::POST, Some("/api/v1/secret")),
            Lookup::Rule(&Access::Undeclared)
        );
        assert_eq!(
            table.lookup(&Method::GET, Some("/api/v1/undocumented")),
            Lookup::Unknown
        );
    }

    #[test]
    fn routes_outside_the_api_and_unmatched_paths_are_public() {
        let table = AccessTable::from_openapi(&document());
        assert_eq!(
            table.lookup(&Method::GET, Some("/health/live")),
            Lookup::Public
        );
        assert_eq!(table.lookup(&Method::GET, None), Lookup::Public);
    }

    #[test]
    fn another_method_on_a_known_path_names_the_methods_it_takes() {
        let table = AccessTable::from_openapi(&document());
        assert_eq!(
            table.lookup(&Method::DELETE, Some("/api/v1/customers")),
            Lookup::OtherMethods(vec![Method::GET])
        );
    }

    #[test]
    fn a_role_name_that_is_no_role_is_reported_and_never_admitted() {
        let table = AccessTable::from_openapi(&document());
        assert_eq!(table.unknown_roles(), ["GET /api/v1/customers: clerk"]);
    }
}
