use super::*;

fn operations(document: &Value) -> Vec<(String, String, &Value)> {
    let mut all = Vec::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            all.push((path.clone(), method.clone(), operation));
        }
    }
    all
}

fn parameter_names(document: &Value, operation: &Value) -> Vec<String> {
    operation["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| match p["$ref"].as_str() {
            Some(reference) => {
                let name = reference.trim_start_matches(COMPONENT_PARAMETERS);
                document["components"]["parameters"][name]["name"].to_string()
            }
            None => p["name"].to_string(),
        })
        .map(|name| name.trim_matches('"').to_owned())
        .collect()
}

/// The schemas of every request body and success response of the API.
fn bodies(document: &Value) -> Vec<String> {
    let mut names = Vec::new();
    for (path, _, operation) in operations(document) {
        if !path.starts_with(API) {
            continue;
        }
        let mut contents = vec![&operation["requestBody"]["content"]];
        for (status, response) in operation["responses"].as_object().into_iter().flatten() {
            if status.starts_with('2') {
                contents.push(&response["content"]);
            }
        }
        for content in contents.into_iter().filter_map(Value::as_object) {
            for media in content.values() {
                if let Some(name) = media["schema"]["$ref"].as_str() {
                    names.push(name.trim_start_matches("#/components/schemas/").to_owned());
                }
            }
        }
    }
    names.sort();
    names.dedup();
    names
}

#[test]
fn every_request_body_and_success_response_has_an_example() {
    let document = crate::router::document();
    let names = bodies(&document);
    assert!(names.len() > 50, "{names:?}");
    let missing: Vec<_> = names
        .iter()
        .filter(|name| document["components"]["schemas"][name.as_str()]["examples"][0].is_null())
        .collect();
    assert!(missing.is_empty(), "no example for {missing:?}");
    let unknown: Vec<_> = super::super::examples::all()
        .into_iter()
        .map(|(name, _)| name)
        .filter(|name| document["components"]["schemas"][*name].is_null())
        .collect();
    assert!(
        unknown.is_empty(),
        "examples of schemas the document lacks: {unknown:?}"
    );
}

#[test]
fn every_api_operation_documents_the_shared_answers_and_headers() {
    let document = crate::router::document();
    let api: Vec<_> = operations(&document)
        .into_iter()
        .filter(|(path, _, _)| path.starts_with(API))
        .collect();
    assert!(api.len() > 60, "{} operations", api.len());
    for (path, method, operation) in api {
        let statuses = operation["responses"].as_object().unwrap();
        for status in ["401", "403", "422", "429", "503"] {
            assert!(
                statuses.contains_key(status),
                "{method} {path} lacks {status}"
            );
        }
        let parameters = parameter_names(&document, operation);
        assert!(
            parameters.contains(&"X-Correlation-ID".to_owned()),
            "{method} {path}"
        );
        let command = method != "get";
        if command {
            assert!(
                parameters.contains(&"Idempotency-Key".to_owned()),
                "{method} {path}"
            );
            assert!(statuses.contains_key("409"), "{method} {path} lacks 409");
            let success = statuses.iter().find(|(s, _)| s.starts_with('2')).unwrap().1;
            // A rebuild, a redrive, a discard: the read models', not an aggregate's.
            let headers: &[&str] = if path.contains("/audit/") || path.contains("/ops/") {
                &["X-Correlation-ID"]
            } else {
                &["ETag", "X-Consistency-Token", "X-Correlation-ID"]
            };
            for header in headers {
                assert!(
                    success["headers"].get(header).is_some(),
                    "{method} {path}: {header}"
                );
            }
        } else {
            assert!(
                parameters.contains(&"X-Consistency-Token".to_owned()),
                "{method} {path}"
            );
        }
        if operation.get("requestBody").is_some() {
            for status in ["400", "413", "415"] {
                assert!(
                    statuses.contains_key(status),
                    "{method} {path} lacks {status}"
                );
            }
        }
        // A path parameter, or `?stream=`, names something that may not exist.
        if path.contains('{') || parameters.contains(&"stream".to_owned()) {
            assert!(statuses.contains_key("404"), "{method} {path} lacks 404");
        }
        let on_read_models = path.contains("/audit/") || path.contains("/ops/");
        if command && path.contains('{') && !on_read_models {
            assert!(
                parameters.contains(&"If-Match".to_owned()),
                "{method} {path} lacks If-Match"
            );
            assert!(statuses.contains_key("412"), "{method} {path} lacks 412");
        }
        for (status, response) in statuses {
            let response = match response["$ref"].as_str() {
                Some(reference) => {
                    let name = reference.trim_start_matches(COMPONENT_RESPONSES);
                    &document["components"]["responses"][name]
                }
                None => response,
            };
            if status.starts_with(['4', '5']) {
                assert!(
                    response["content"]["application/problem+json"]["schema"]["$ref"]
                        == "#/components/schemas/Problem",
                    "{method} {path}: {status} is not problem+json"
                );
            }
        }
        if let Some(created) = statuses.get("201") {
            assert!(
                created["headers"].get("Location").is_some(),
                "{method} {path}"
            );
        }
    }
}

#[test]
fn identifiers_etags_and_positions_carry_the_bounds_the_server_enforces() {
    let document = crate::router::document();
    let parameter = |path: &str, method: &str, name: &str| -> Value {
        document["paths"][path][method]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("{method} {path} has no {name}"))["schema"]
            .clone()
    };
    assert_eq!(
        parameter("/api/v1/customers/{customer_id}", "get", "customer_id")["format"],
        "uuid"
    );
    assert_eq!(
        parameter("/api/v1/vehicles/{license_number}", "get", "license_number")["pattern"],
        LICENSE_NUMBER_PATTERN
    );
    assert_eq!(
        parameter("/api/v1/audit/events", "get", "to_position")["maximum"],
        json!(i64::MAX)
    );
    // A checkpoint's sequence is a u32, not the int32 utoipa calls it.
    let sequence = &document["components"]["schemas"]["AddCheckpoint"]["properties"]["sequence"];
    assert_eq!(sequence["maximum"], json!(u32::MAX), "{sequence}");
    let if_match = &document["components"]["parameters"]["IfMatch"];
    assert_eq!(if_match["name"], "If-Match");
    assert_eq!(if_match["schema"]["pattern"], ETAG_PATTERN);
}
