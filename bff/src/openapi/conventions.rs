//! The REST conventions every operation shares, written into the OpenAPI document once
//! instead of on each of the 66 operations: the headers that travel with requests and
//! answers, the problem answers each kind of operation can give, and the formats and
//! bounds the server enforces on identifiers, ETags, tokens and positions.
//!
//! [`complete`] runs on the document's JSON after [`crate::auth::secure`]. What an
//! operation declares itself (a more precise description of its 404, say) is kept; the
//! conventions only add what is missing. The rules, by kind of operation:
//!
//! | operation | request headers | answers added |
//! |---|---|---|
//! | every `/api/v1` one | `X-Correlation-ID` | 422, 429, 503; 400 with parameters or a body |
//! | with a path parameter | | 404 |
//! | with a body | | 413, 415 |
//! | command (POST, PUT) | `Idempotency-Key` | 409; `ETag` and `X-Consistency-Token` on its 2xx, `Location` on its 201 (not the audit's rebuilds nor the dead letters' redrives and discards: no aggregate) |
//! | command on an aggregate the path names | `If-Match` | 412 |
//! | read (GET) | `X-Consistency-Token` | `ETag` on a single resource's 200 |
//!
//! Every answer carries `X-Correlation-ID`; 429 and 503 may carry `Retry-After`. An
//! error answer an operation declares with a description only (`(status = 404,
//! description = "No such customer")`) is given the problem+json body.

use serde_json::{Map, Value, json};

use crate::auth::document::API;

const COMPONENT_HEADERS: &str = "#/components/headers/";
const COMPONENT_PARAMETERS: &str = "#/components/parameters/";
const COMPONENT_RESPONSES: &str = "#/components/responses/";

/// `"3"`, `W/"3"` or a bare `3` (what `extract::parse_etag` reads); empty is the same
/// as no `If-Match`.
const ETAG_PATTERN: &str = r#"^((W/)?"?[0-9]{1,19}"?)?$"#;
/// A consistency token (`consistency::decode`); comma-separated in a header.
const TOKEN: &str = crate::consistency::PATTERN;
/// A license number: three groups of 1–3 digits or 1–3 letters.
const LICENSE_NUMBER_PATTERN: &str =
    "^([0-9]{1,3}|[A-Za-z]{1,3})-([0-9]{1,3}|[A-Za-z]{1,3})-([0-9]{1,3}|[A-Za-z]{1,3})$";
/// Path parameters that are UUIDs.
const UUID_PARAMETERS: [&str; 7] = [
    "customer_id",
    "delivery_id",
    "driver_id",
    "incident_id",
    "job_id",
    "route_id",
    "technician_id",
];
const LICENSE_NUMBER_PARAMETERS: [&str; 2] = ["license_number", "vehicle_license_number"];

/// Writes the conventions into `document` (the JSON of the OpenAPI document).
pub fn complete(document: &mut Value) {
    merge_flattened(document);
    constrain_bodies(document);
    attach_examples(document);
    let Some(root) = document.as_object_mut() else {
        return;
    };
    let components = object(root, "components");
    object(components, "headers").extend(headers());
    object(components, "parameters").extend(parameters());
    let responses = object(components, "responses");
    for response in responses.values_mut() {
        with_correlation_header(response);
    }
    responses.extend(problem_responses());
    let Some(paths) = root.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for (method, operation) in item.iter_mut() {
            if let Some(operation) = operation.as_object_mut() {
                complete_operation(path, method, operation);
            }
        }
    }
}

fn complete_operation(path: &str, method: &str, operation: &mut Map<String, Value>) {
    let command = matches!(method, "post" | "put" | "patch" | "delete");
    let api = path.starts_with(API);
    let parameters = array(operation, "parameters");
    for parameter in parameters.iter_mut() {
        bound(parameter);
    }
    let has_path_parameter = path.contains('{');
    if api {
        add_parameter(parameters, "X-Correlation-ID", "CorrelationId");
        if command {
            add_parameter(parameters, "Idempotency-Key", "IdempotencyKey");
        } else {
            add_parameter(parameters, "X-Consistency-Token", "ConsistencyToken");
        }
    }
    // Rebuilds and dead letters are the read models', not an aggregate's: no ETag, no
    // token, no `If-Match`.
    let on_read_models = path.contains("/audit/") || path.contains("/ops/");
    let writes_aggregate = api && command && !on_read_models;
    if writes_aggregate && has_path_parameter {
        add_parameter(parameters, "If-Match", "IfMatch");
    }
    let has_parameters = !array(operation, "parameters").is_empty();
    let has_body = operation.contains_key("requestBody");
    let single_resource = !command
        && api
        && path.ends_with('}')
        && !on_read_models
        && !path.contains("/views/")
        && !path.contains("/schedules/");
    let responses = object(operation, "responses");
    for (status, response) in responses.iter_mut() {
        with_correlation_header(response);
        if status.starts_with(['4', '5']) {
            with_problem_body(response);
        }
        let Some(headers) = response
            .as_object_mut()
            .filter(|r| !r.contains_key("$ref"))
            .map(|r| object(r, "headers"))
        else {
            continue;
        };
        if writes_aggregate && status.starts_with('2') {
            headers.insert("ETag".into(), header_ref("ETag"));
            headers.insert("X-Consistency-Token".into(), header_ref("ConsistencyToken"));
        }
        if writes_aggregate && status == "201" {
            headers.insert("Location".into(), header_ref("Location"));
        }
        if single_resource && status == "200" {
            headers.insert("ETag".into(), header_ref("ETag"));
        }
    }
    if !api {
        return;
    }
    let mut add = |status: &str, name: &str| {
        responses
            .entry(status.to_owned())
            .or_insert_with(|| json!({ "$ref": format!("{COMPONENT_RESPONSES}{name}") }));
    };
    if has_parameters || has_body {
        add("400", "BadRequest");
    }
    if has_path_parameter {
        add("404", "NotFound");
    }
    if command {
        add("409", "Conflict");
    }
    if writes_aggregate && has_path_parameter {
        add("412", "PreconditionFailed");
    }
    if has_body {
        add("413", "PayloadTooLarge");
        add("415", "UnsupportedMediaType");
    }
    add("422", "Unprocessable");
    add("429", "TooManyRequests");
    add("503", "Unavailable");
}

/// The formats and bounds the server enforces on a parameter, by its name and type.
fn bound(parameter: &mut Value) {
    let name = parameter["name"].as_str().unwrap_or_default().to_owned();
    let location = parameter["in"].as_str().unwrap_or_default().to_owned();
    let Some(schema) = parameter.get_mut("schema").and_then(Value::as_object_mut) else {
        return;
    };
    let string = schema_type_is(schema, "string");
    let integer = schema_type_is(schema, "integer");
    if name == "after" && string {
        schema.insert("pattern".into(), format!("^{TOKEN}$").into());
    } else if name == "search" && string {
        // The query service refuses control characters (a NUL would cut the database's
        // pattern short and match everyone).
        schema.insert("pattern".into(), "^[^\\x00-\\x1F\\x7F-\\x9F]*$".into());
    } else if location == "path" && UUID_PARAMETERS.contains(&name.as_str()) {
        schema.insert("format".into(), "uuid".into());
    } else if location == "path" && (name == "stream_id" || name == "correlation_id") {
        // Read as given, but not blank (a blank one is a 400 naming it): at least one
        // character that is neither a space nor a control character (U+0085 is both
        // to Rust's `trim`, and only a control character to a JSON Schema `\s`).
        schema.insert("pattern".into(), r"[^\s\x00-\x1F\x7F-\x9F]".into());
    } else if location == "path" && name == "date" {
        schema.insert("format".into(), "date".into());
        schema.insert("pattern".into(), WITHIN_OPERATION.into());
    } else if LICENSE_NUMBER_PARAMETERS.contains(&name.as_str()) && string {
        // A filter left empty (`?vehicle_license_number=`) filters nothing.
        let pattern = match location.as_str() {
            "query" => format!("^$|{LICENSE_NUMBER_PATTERN}"),
            _ => LICENSE_NUMBER_PATTERN.to_owned(),
        };
        schema.insert("pattern".into(), pattern.into());
    } else if integer {
        if let Some((minimum, maximum)) = INTEGER_BOUNDS
            .iter()
            .find(|(bounded, ..)| *bounded == name)
            .map(|(_, minimum, maximum)| (*minimum, *maximum))
        {
            schema.insert("minimum".into(), minimum.into());
            schema.insert("maximum".into(), maximum.into());
        } else if schema.get("format") == Some(&json!("int64")) {
            schema
                .entry("maximum")
                .or_insert_with(|| Value::from(i64::MAX));
        }
    }
}

/// `(parameter or property, minimum, maximum)` of the integers the server bounds more
/// tightly than their type: a page of at most 500, an audit page of 1 to 1000, an upper
/// end or a sequence counted from 1.
const INTEGER_BOUNDS: [(&str, i64, i64); 5] = [
    ("page_size", 0, 500),
    ("limit", 1, 1000),
    ("to_position", 1, i64::MAX),
    ("to", 1, i64::MAX),
    ("sequence", 1, u32::MAX as i64),
];

/// The longest value of each free-text property of a request body, in characters (the
/// command side's `Text<N>` of the field).
const TEXT_LIMITS: [(&str, u64); 17] = [
    ("name", 200),
    ("address", 300),
    ("postal_code", 20),
    ("city", 100),
    ("driving_licence_number", 50),
    ("brand", 200),
    ("model", 200),
    ("origin", 200),
    ("destination", 200),
    ("location", 200),
    ("description", 2000),
    ("reason", 2000),
    ("notes", 2000),
    ("resolution", 2000),
    ("incident_type", 100),
    ("receiver_name", 200),
    ("signature_reference", 500),
];

/// Dates and times the platform operates in: years 2000 to 2099 (`within_operation` of
/// the command side), for planning dates and route and checkpoint times.
const WITHIN_OPERATION: &str = "^20[0-9]{2}-";
const OPERATION_TIMES: [&str; 6] = [
    "scheduled_start",
    "expected_at",
    "start",
    "end",
    "actual_start",
    "actual_end",
];
/// A telephone number: digits, spaces and `+ - ( ) .`, a `+` only first, 6 to 20 digits.
const TELEPHONE_PATTERN: &str = r"^ *\+?[ ().-]*([0-9][ ().-]*){6,20}$";

/// An email address as `command::shared::Email` reads it (after trimming): ASCII, a
/// local part of 1 to 64 visible characters other than `@`, two or more domain labels of
/// letters, digits and inner hyphens; at most 254 characters.
const EMAIL_PATTERN: &str = r"^\s*[!-?A-~]{1,64}@([A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?\s*$";

/// Free text: no control character but tab and newline.
const NO_CONTROL: &str = r"[^\x00-\x08\x0B-\x1F\x7F-\x9F]";

/// Writes the server's rules on request bodies into their schemas: free text is not
/// blank when required, has no control characters and has a maximum length; a
/// sequence counts from 1; a technician has at least one skill.
fn constrain_bodies(document: &mut Value) {
    let mut names = Vec::new();
    for item in document["paths"]
        .as_object()
        .into_iter()
        .flat_map(|p| p.values())
    {
        for operation in item.as_object().into_iter().flat_map(|o| o.values()) {
            let schema = &operation["requestBody"]["content"]["application/json"]["schema"];
            collect_refs(schema, &mut names);
        }
    }
    let Some(schemas) = document["components"]["schemas"].as_object_mut() else {
        return;
    };
    let mut index = 0;
    while index < names.len() {
        let nested = schemas.get(&names[index]).cloned().unwrap_or_default();
        collect_refs(&nested, &mut names);
        index += 1;
    }
    for name in names {
        let Some(schema) = schemas.get_mut(&name).and_then(Value::as_object_mut) else {
            continue;
        };
        let required: Vec<String> = schema
            .get("required")
            .and_then(Value::as_array)
            .map(|r| {
                r.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        let Some(properties) = schema.get_mut("properties").and_then(Value::as_object_mut) else {
            continue;
        };
        for (property, rules) in properties.iter_mut() {
            let Some(rules) = rules.as_object_mut() else {
                continue;
            };
            if let Some((_, limit)) = TEXT_LIMITS.iter().find(|(p, _)| p == property)
                && schema_type_is(rules, "string")
                && !rules.contains_key("format")
            {
                rules.insert("maxLength".into(), (*limit).into());
                let pattern = if required.contains(property) {
                    format!(r"^{NO_CONTROL}*[^\s\x00-\x1F\x7F-\x9F]{NO_CONTROL}*$")
                } else {
                    format!("^{NO_CONTROL}*$")
                };
                rules.insert("pattern".into(), pattern.into());
            } else if LICENSE_NUMBER_PARAMETERS.contains(&property.as_str())
                && schema_type_is(rules, "string")
            {
                rules.insert("pattern".into(), LICENSE_NUMBER_PATTERN.into());
            } else if OPERATION_TIMES.contains(&property.as_str()) {
                rules.insert("pattern".into(), WITHIN_OPERATION.into());
            } else if property == "email" && schema_type_is(rules, "string") {
                rules.insert("pattern".into(), EMAIL_PATTERN.into());
                rules.insert("maxLength".into(), 254.into());
            } else if property == "telephone" && schema_type_is(rules, "string") {
                rules.insert("pattern".into(), TELEPHONE_PATTERN.into());
            } else if property == "sequence" && schema_type_is(rules, "integer") {
                // A u32: utoipa calls it int32, whose maximum is half of what it takes.
                rules.insert("minimum".into(), 1.into());
                rules.insert("maximum".into(), u32::MAX.into());
                rules.insert("format".into(), "int64".into());
            } else if property == "skills" && schema_type_is(rules, "array") {
                rules.insert("minItems".into(), 1.into());
            } else if property == "read_models" && schema_type_is(rules, "array") {
                rules.insert(
                    "items".into(),
                    json!({ "type": "string", "enum": contracts::READ_MODELS }),
                );
            }
        }
    }
}

/// A body that flattens another (`#[serde(flatten)]`, e.g. `RegisterCustomer` = its id +
/// `Contact`) comes out of utoipa as `allOf` of the two; when the flattened one refuses
/// unknown fields (`additionalProperties: false`), no value satisfies the `allOf`, since
/// each member refuses the other's properties. The server reads one object, so the
/// document says one object: the members' properties and required names merged, unknown
/// fields refused when a member refused them.
fn merge_flattened(document: &mut Value) {
    let Some(schemas) = document["components"]["schemas"].as_object() else {
        return;
    };
    let mut merged = Vec::new();
    for (name, schema) in schemas {
        let Some(members) = schema["allOf"].as_array() else {
            continue;
        };
        let members: Option<Vec<&Value>> = members
            .iter()
            .map(|member| match member["$ref"].as_str() {
                Some(reference) => {
                    schemas.get(reference.trim_start_matches("#/components/schemas/"))
                }
                None => Some(member),
            })
            .collect();
        let Some(members) = members else { continue };
        if !members
            .iter()
            .all(|m| m["type"] == "object" || m["properties"].is_object())
        {
            continue;
        }
        let mut properties = Map::new();
        let mut required = Vec::new();
        let mut closed = false;
        for member in &members {
            properties.extend(
                member["properties"]
                    .as_object()
                    .cloned()
                    .unwrap_or_default(),
            );
            required.extend(member["required"].as_array().cloned().unwrap_or_default());
            closed |= member["additionalProperties"] == false;
        }
        let mut object =
            json!({ "type": "object", "properties": properties, "required": required });
        if closed {
            object["additionalProperties"] = false.into();
        }
        if let Some(description) = schema.get("description") {
            object["description"] = description.clone();
        }
        merged.push((name.clone(), object));
    }
    if let Some(schemas) = document["components"]["schemas"].as_object_mut() {
        schemas.extend(merged);
    }
}

/// Each schema's example ([`super::examples`]), as the schema's `examples`.
fn attach_examples(document: &mut Value) {
    let Some(schemas) = document["components"]["schemas"].as_object_mut() else {
        return;
    };
    for (name, example) in super::examples::all() {
        if let Some(schema) = schemas.get_mut(name).and_then(Value::as_object_mut) {
            schema.insert("examples".into(), json!([example]));
        }
    }
}

fn collect_refs(schema: &Value, names: &mut Vec<String>) {
    match schema {
        Value::Object(map) => {
            if let Some(name) = map
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix("#/components/schemas/"))
                && !names.iter().any(|n| n == name)
            {
                names.push(name.to_owned());
            }
            map.values().for_each(|v| collect_refs(v, names));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, names)),
        _ => {}
    }
}

/// Whether a schema's `type` is `kind` (alone, or beside `null`).
fn schema_type_is(schema: &Map<String, Value>, kind: &str) -> bool {
    match schema.get("type") {
        Some(Value::String(t)) => t == kind,
        Some(Value::Array(types)) => types.iter().any(|t| t == kind),
        _ => false,
    }
}

fn add_parameter(parameters: &mut Vec<Value>, name: &str, component: &str) {
    let declared = parameters.iter().any(|p| {
        p["name"]
            .as_str()
            .is_some_and(|n| n.eq_ignore_ascii_case(name))
    });
    if !declared {
        parameters.push(json!({ "$ref": format!("{COMPONENT_PARAMETERS}{component}") }));
    }
}

fn with_correlation_header(response: &mut Value) {
    if let Some(response) = response.as_object_mut().filter(|r| !r.contains_key("$ref")) {
        object(response, "headers").insert("X-Correlation-ID".into(), header_ref("CorrelationId"));
    }
}

/// An error answer declared with a description only gets the problem+json body.
fn with_problem_body(response: &mut Value) {
    if let Some(response) = response.as_object_mut().filter(|r| !r.contains_key("$ref")) {
        response.entry("content").or_insert_with(|| {
            json!({ "application/problem+json": {
                "schema": { "$ref": "#/components/schemas/Problem" } } })
        });
    }
}

fn header_ref(name: &str) -> Value {
    json!({ "$ref": format!("{COMPONENT_HEADERS}{name}") })
}

fn object<'a>(map: &'a mut Map<String, Value>, key: &str) -> &'a mut Map<String, Value> {
    let value = map.entry(key).or_insert_with(|| json!({}));
    if !value.is_object() {
        *value = json!({});
    }
    value.as_object_mut().expect("an object was just put there")
}

fn array<'a>(map: &'a mut Map<String, Value>, key: &str) -> &'a mut Vec<Value> {
    let value = map.entry(key).or_insert_with(|| json!([]));
    if !value.is_array() {
        *value = json!([]);
    }
    value.as_array_mut().expect("an array was just put there")
}

fn headers() -> Map<String, Value> {
    let header = |description: &str, required: bool, schema: Value| json!({ "description": description, "required": required, "schema": schema });
    let mut headers = Map::new();
    headers.insert(
        "CorrelationId".into(),
        header(
            "The request's correlation id: the one sent, or one minted for it. Every event \
             the request records carries it.",
            true,
            json!({ "type": "string" }),
        ),
    );
    headers.insert(
        "ETag".into(),
        header(
            "The aggregate's version, quoted (`\"3\"`): send it back as `If-Match`.",
            true,
            json!({ "type": "string", "pattern": r#"^"[0-9]+"$"# }),
        ),
    );
    headers.insert(
        "ConsistencyToken".into(),
        header(
            "Where the write landed (`<stream>:<version>:<position>`): send it back on a \
             GET, as `X-Consistency-Token` or `?after=`, to read your own write.",
            true,
            json!({ "type": "string", "pattern": format!("^{TOKEN}$") }),
        ),
    );
    headers.insert(
        "Location".into(),
        header("The created resource.", true, json!({ "type": "string" })),
    );
    headers.insert(
        "RetryAfter".into(),
        header(
            "Seconds to wait before trying again, when the server knows.",
            false,
            json!({ "type": "string", "pattern": "^[0-9]+$" }),
        ),
    );
    headers
}

fn parameters() -> Map<String, Value> {
    // A schema's first example is also the parameter's `example`, which is where tools
    // (Swagger UI's "try it out", schemathesis' coverage phase) look for one.
    let header = |name: &str, description: &str, schema: Value| {
        let mut parameter = json!({ "name": name, "in": "header", "required": false,
                                    "description": description, "schema": schema });
        if let Some(example) = parameter["schema"]["examples"].get(0).cloned() {
            parameter["example"] = example;
        }
        parameter
    };
    let mut parameters = Map::new();
    parameters.insert(
        "CorrelationId".into(),
        header(
            "X-Correlation-ID",
            "Ties this request to others of one business action: 1 to 200 visible ASCII \
             characters, else (or when absent) one is minted.",
            json!({ "type": "string" }),
        ),
    );
    parameters.insert(
        "IdempotencyKey".into(),
        header(
            "Idempotency-Key",
            "Makes a retried command safe: the same key (per token subject) with the same \
             request answers the first reply and appends nothing; with another request, 422. \
             Up to 200 characters of printable ASCII, spaces and tabs (a structured-field \
             string's characters); an empty key is no key.",
            json!({ "type": "string", "pattern": "^[\\t -~]{0,200}$",
                    "examples": ["0190a4a0-plan-tire-rotation-ada"] }),
        ),
    );
    parameters.insert(
        "IfMatch".into(),
        header(
            "If-Match",
            "The ETag last read of the aggregate the command changes (for a job, its \
             planning's; for a checkpoint, its route's or delivery's): if it changed since, \
             the command is refused with 412 and appends nothing. Empty is the same as none.",
            json!({ "type": "string", "pattern": ETAG_PATTERN, "examples": ["\"3\""] }),
        ),
    );
    parameters.insert(
        "ConsistencyToken".into(),
        header(
            "X-Consistency-Token",
            "Tokens of earlier commands (comma-separated): the read waits until the read \
             models hold those writes (503 after the wait times out, 422 for a position \
             beyond the log's head).",
            json!({ "type": "string", "pattern": format!("^ *{TOKEN} *(, *{TOKEN} *)*$"),
                    "examples": ["customer-0190a4a0-0000-7000-8000-000000000001:1:1"] }),
        ),
    );
    parameters
}

fn problem_responses() -> Map<String, Value> {
    let problem = |description: &str, retry: bool| {
        let mut headers = json!({ "X-Correlation-ID": header_ref("CorrelationId") });
        if retry {
            headers["Retry-After"] = header_ref("RetryAfter");
        }
        json!({
            "description": description,
            "headers": headers,
            "content": { "application/problem+json": {
                "schema": { "$ref": "#/components/schemas/Problem" } } }
        })
    };
    let mut responses = Map::new();
    for (name, description, retry) in [
        (
            "BadRequest",
            "A malformed request: a path segment, parameter, header or JSON body \
          that does not parse (`field` names it).",
            false,
        ),
        (
            "NotFound",
            "What the path (or a reference in the body) names does not exist.",
            false,
        ),
        (
            "Conflict",
            "A rule of the domain refuses the command in the aggregate's current \
          state (`reason` says which), or the schedule is taken (`conflicting_id` and \
          `conflicting_slot` name the holder).",
            false,
        ),
        (
            "PreconditionFailed",
            "The aggregate changed since the `If-Match` version: read it again.",
            false,
        ),
        (
            "PayloadTooLarge",
            "The body is larger than the configured limit.",
            false,
        ),
        (
            "UnsupportedMediaType",
            "The body is not `application/json`.",
            false,
        ),
        (
            "Unprocessable",
            "Well-formed, but a value is invalid (`field` names it), an \
          `Idempotency-Key` was reused for another request, or a consistency token is \
          beyond the log's head.",
            false,
        ),
        ("TooManyRequests", "The caller's rate limit is spent.", true),
        (
            "Unavailable",
            "A service behind the BFF is unavailable or slow, or a \
          consistency wait timed out: try again.",
            true,
        ),
    ] {
        responses.insert(name.into(), problem(description, retry));
    }
    responses
}

#[cfg(test)]
mod tests;
