//! The production shape's identity provider as the repository ships it (issue 12): the
//! Keycloak realm imported by docker-compose.yaml, checked against what the services
//! expect of its tokens. Keycloak cannot run here, so this is what can fail in CI when
//! the realm, the compose file and `.env.example` drift apart.

use std::collections::BTreeSet;

use serde_json::Value;

fn repo_file(path: &str) -> String {
    let full = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()))
}

fn realm() -> Value {
    serde_json::from_str(&repo_file("deploy/keycloak/pitlane-realm.json")).unwrap()
}

fn list<'a>(value: &'a Value, key: &str) -> &'a Vec<Value> {
    value[key]
        .as_array()
        .unwrap_or_else(|| panic!("a list {key}"))
}

fn client<'a>(realm: &'a Value, id: &str) -> &'a Value {
    list(realm, "clients")
        .iter()
        .find(|c| c["clientId"] == id)
        .unwrap_or_else(|| panic!("a client {id}"))
}

/// The value of `name:` in the compose file's shared service environment.
fn compose_value(compose: &str, name: &str) -> String {
    let prefix = format!("{name}: ");
    compose
        .lines()
        .find_map(|line| line.trim().strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("{name} in docker-compose.yaml"))
        .trim_matches('"')
        .to_owned()
}

#[test]
fn every_role_of_the_platform_has_one_demo_user_holding_only_that_role() {
    let realm = realm();
    let roles: BTreeSet<&str> = list(&realm["roles"], "realm")
        .iter()
        .filter_map(|r| r["name"].as_str())
        .collect();
    for role in identity::Role::ALL {
        assert!(roles.contains(role.as_str()), "realm role {role}");
        if role == identity::Role::Service {
            continue;
        }
        let holders: Vec<&Value> = list(&realm, "users")
            .iter()
            .filter(|u| u.get("serviceAccountClientId").is_none())
            .filter(|u| list(u, "realmRoles").iter().any(|r| r == role.as_str()))
            .collect();
        assert_eq!(holders.len(), 1, "one demo user holds {role}");
        assert_eq!(list(holders[0], "realmRoles").len(), 1, "{role} alone");
    }
}

#[test]
fn the_realm_holds_no_secret_only_placeholders_that_env_example_and_compose_provide() {
    let realm = realm();
    let compose = repo_file("docker-compose.yaml");
    let example = repo_file(".env.example");
    let mut placeholders = BTreeSet::new();
    for user in list(&realm, "users") {
        for credential in user["credentials"].as_array().into_iter().flatten() {
            placeholders.insert(credential["value"].as_str().unwrap().to_owned());
        }
    }
    for client in list(&realm, "clients") {
        if client["publicClient"] == false {
            placeholders.insert(client["secret"].as_str().unwrap().to_owned());
        }
    }
    assert!(placeholders.len() >= 3, "{placeholders:?}");
    for placeholder in placeholders {
        let name = placeholder
            .strip_prefix("${")
            .and_then(|p| p.strip_suffix('}'))
            .unwrap_or_else(|| panic!("`{placeholder}` is a secret, not a ${{VARIABLE}}"));
        assert!(
            example.contains(&format!("\n{name}=change-me\n")),
            ".env.example documents {name}"
        );
        assert!(
            compose.contains(&format!("{name}: ${{{name}:?")),
            "docker-compose.yaml passes {name} to Keycloak, required"
        );
    }
}

#[test]
fn every_client_puts_the_services_audience_in_its_tokens() {
    let realm = realm();
    let audience = compose_value(&repo_file("docker-compose.yaml"), "AUTH_AUDIENCE");
    for client in list(&realm, "clients") {
        let mapped = list(client, "protocolMappers").iter().any(|m| {
            m["protocolMapper"] == "oidc-audience-mapper"
                && m["config"]["included.custom.audience"] == audience.as_str()
                && m["config"]["access.token.claim"] == "true"
        });
        assert!(mapped, "{} puts aud={audience}", client["clientId"]);
    }
}

#[test]
fn the_browser_client_is_public_with_pkce_s256_and_no_implicit_flow() {
    let realm = realm();
    let web = client(&realm, "pitlane-web");
    assert_eq!(web["publicClient"], true);
    assert_eq!(web["implicitFlowEnabled"], false);
    assert_eq!(web["attributes"]["pkce.code.challenge.method"], "S256");
    let driver_claim = compose_value(&repo_file("docker-compose.yaml"), "AUTH_DRIVER_CLAIM");
    assert!(
        list(web, "protocolMappers")
            .iter()
            .any(|m| m["config"]["claim.name"] == driver_claim.as_str()
                && m["config"]["access.token.claim"] == "true"),
        "the driver's id travels in {driver_claim}"
    );
    let driver = list(&realm, "users")
        .iter()
        .find(|u| u["username"] == "driver")
        .unwrap();
    let id = driver["attributes"]["driver_id"][0].as_str().unwrap();
    uuid::Uuid::parse_str(id).expect("the demo driver names a driver id");
}

#[test]
fn service_accounts_hold_their_own_role_and_the_audit_client_only_reads() {
    let realm = realm();
    let account = |client: &str| -> Vec<String> {
        let user = list(&realm, "users")
            .iter()
            .find(|u| u["serviceAccountClientId"] == client)
            .unwrap_or_else(|| panic!("a service account for {client}"));
        list(user, "realmRoles")
            .iter()
            .map(|r| r.as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(account("pitlane-query"), ["service"]);
    assert_eq!(account("pitlane-audit"), ["auditor"]);
    for id in ["pitlane-query", "pitlane-audit"] {
        let confidential = client(&realm, id);
        assert_eq!(confidential["publicClient"], false, "{id}");
        assert_eq!(confidential["serviceAccountsEnabled"], true, "{id}");
        assert_eq!(confidential["standardFlowEnabled"], false, "{id}");
        assert_eq!(confidential["directAccessGrantsEnabled"], false, "{id}");
    }
}

#[test]
fn compose_publishes_no_grpc_port_and_everything_it_publishes_on_loopback_only() {
    let compose = repo_file("docker-compose.yaml");
    let mut in_ports = false;
    let mut published = 0;
    for line in compose.lines() {
        let trimmed = line.trim();
        if trimmed == "ports:" {
            in_ports = true;
            continue;
        }
        if in_ports && trimmed.starts_with("- ") {
            let mapping = trimmed.trim_start_matches("- ").trim_matches('"');
            assert!(
                mapping.starts_with("127.0.0.1:"),
                "{mapping} beyond loopback"
            );
            for grpc in [":50051", ":50052"] {
                assert!(!mapping.contains(grpc), "gRPC published: {mapping}");
            }
            published += 1;
        } else {
            in_ports = false;
        }
    }
    assert!(published >= 3, "the BFF, Keycloak and Kafka UI at least");
}
