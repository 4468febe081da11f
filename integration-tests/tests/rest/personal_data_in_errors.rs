//! "Personal data in reads is opened only for the roles that need it; others get it
//! redacted, never an error page with it" (DESIGN §3, §9), for error answers: a
//! dispatcher, a driver, an operator or a caller without a token, refused or failed on
//! a route that touches a customer or a customer's car, reads none of her name, street
//! address, postal code, city, telephone or e-mail in the answer's body or headers, and
//! neither do the gRPC statuses the services answer those roles.
//!
//! The customer's details are unusual on purpose, so a match is hers and nothing else.
//! Each answer is checked byte for byte (and each JSON string decoded), headers included;
//! the first test shows the check finds her details where an answer does carry them, so
//! a refusal that ever quoted her (a `detail` naming the owner of a car, a conflict
//! quoting a job's description, a 404 echoing a stored record) fails the test naming the
//! field and where it appeared. What a caller sent itself may come back (a serde
//! rejection quotes the sender's own body): the bodies here never carry her details.

use contracts::errors::ErrorDetail;
use contracts::v1::audit_client::AuditClient;
use contracts::v1::customer_commands_client::CustomerCommandsClient;
use contracts::v1::delivery_commands_client::DeliveryCommandsClient;
use contracts::v1::query_client::QueryClient;
use contracts::v1::{
    AssignVehicleRequest, AuditHistoryRequest, GetCustomerRequest, GetDeadLetterRequest,
    GetVehicleRequest, GetWorkshopPlanningRequest, ListCustomersRequest, StateAsOfRequest,
    UpdateCustomerContactRequest,
};
use identity::grpc::AuthedChannel;
use identity::{Role, TokenRequest};
use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tonic::Code;

use crate::helpers::{Rest, TestPlatform, active_route, driver_and_van, spawn_platform, token_for};

const DAY: &str = "2026-12-03";

const NAME: &str = "Augusta Ada King";
const STREET: &str = "12 St James's Square";
const POSTAL_CODE: &str = "SW1Y 4JH";
const CITY: &str = "Marylebone";
const TELEPHONE: &str = "+44 20 7946 0958";
const EMAIL: &str = "augusta.king@example.org";

/// What would betray her, whole or in part, with the field it comes from.
const PERSONAL: [(&str, &str); 11] = [
    ("name", NAME),
    ("name", "Augusta"),
    ("street address", STREET),
    ("street address", "St James"),
    ("postal code", POSTAL_CODE),
    ("city", CITY),
    ("telephone", TELEPHONE),
    ("telephone", "7946 0958"),
    ("telephone", "2079460958"),
    ("email", EMAIL),
    ("email", "augusta.king"),
];

/// Her fields quoted in `text`, as `field `value``.
fn quoted_in(text: &str) -> Vec<String> {
    let text = text.to_lowercase();
    PERSONAL
        .iter()
        .filter(|(_, value)| text.contains(&value.to_lowercase()))
        .map(|(field, value)| format!("{field} `{value}`"))
        .collect()
}

/// Every string of a JSON document, decoded (an escape cannot hide a value).
fn strings(value: &Value, into: &mut Vec<String>) {
    match value {
        Value::String(s) => into.push(s.clone()),
        Value::Array(items) => items.iter().for_each(|v| strings(v, into)),
        Value::Object(fields) => fields.iter().for_each(|(k, v)| {
            into.push(k.clone());
            strings(v, into);
        }),
        _ => {}
    }
}

/// Where an answer quotes her: in the body (as sent, and its JSON strings decoded) or
/// in a header.
fn leaks(headers: &HeaderMap, text: &str) -> Vec<String> {
    let mut found: Vec<String> = quoted_in(text)
        .into_iter()
        .map(|what| format!("{what} in the body"))
        .collect();
    if let Ok(json) = serde_json::from_str::<Value>(text) {
        let mut decoded = Vec::new();
        strings(&json, &mut decoded);
        for what in quoted_in(&decoded.join("\n")) {
            let what = format!("{what} in the body");
            if !found.contains(&what) {
                found.push(what);
            }
        }
    }
    for (name, value) in headers {
        let value = String::from_utf8_lossy(value.as_bytes());
        for what in quoted_in(&format!("{name}: {value}")) {
            found.push(format!("{what} in header `{name}`"));
        }
    }
    found
}

/// An answer as it came over the wire: status, headers and the body's exact text.
struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    text: String,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or(Value::Null)
    }

    /// Asserts the answer is the refusal `status`, as problem+json, and quotes none of
    /// her personal data; returns the problem.
    #[track_caller]
    fn refused_without_her(&self, status: u16, what: &str) -> Value {
        assert_eq!(
            self.status.as_u16(),
            status,
            "{what}: expected {status}, got {}: {}",
            self.status,
            self.text
        );
        assert_eq!(
            self.headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()),
            Some("application/problem+json"),
            "{what}: {}",
            self.text
        );
        self.without_her(what);
        self.json()
    }

    /// Asserts nothing in the answer quotes her personal data.
    #[track_caller]
    fn without_her(&self, what: &str) {
        let leaks = leaks(&self.headers, &self.text);
        assert!(
            leaks.is_empty(),
            "{what} answered {} quoting the customer's personal data ({}): {}",
            self.status,
            leaks.join(", "),
            self.text
        );
    }
}

async fn ask(
    rest: &Rest,
    method: Method,
    path: &str,
    body: Option<Value>,
    headers: &[(&str, &str)],
) -> Reply {
    let answer = rest.send(method, path, body, headers).await;
    Reply {
        status: answer.status,
        headers: answer.headers,
        text: answer.text,
    }
}

/// Where her details could surface on a dispatcher's, a driver's or an operator's way:
/// her record, her car, a fleet van her workshop job holds, a route, a driver.
struct Setting {
    app: TestPlatform,
    customer: String,
    /// Her car's license number.
    car: String,
    /// A fleet van booked in the workshop for her, 09:00–10:00.
    van: String,
    /// The van's job, whose description names her and her telephone.
    van_job: String,
    driver: String,
    /// An active route, 08:00–10:00: it overlaps the van's job.
    route: String,
    /// The global position of her registration.
    registered_at: u64,
    /// The correlation id her registration was sent with.
    correlation: String,
}

fn position_of(token: &str) -> u64 {
    token
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("a consistency token ends with its position")
}

/// Registered by the default caller, who acts as planner for customers and the workshop
/// and as dispatcher for drivers and routes.
async fn setting() -> Setting {
    let app = spawn_platform().await;
    let correlation = uuid::Uuid::now_v7().to_string();
    let registered = app
        .send(
            Method::POST,
            "/api/v1/customers",
            Some(
                json!({"name": NAME, "address": STREET, "postal_code": POSTAL_CODE,
                        "city": CITY, "telephone": TELEPHONE, "email": EMAIL}),
            ),
            &[("x-correlation-id", &correlation)],
        )
        .await
        .expect(201);
    let customer = registered.body["id"].as_str().unwrap().to_owned();
    let registered_at = position_of(&registered.token());
    let car = "PD-1-A".to_owned();
    app.post(
        "/api/v1/vehicles",
        json!({"license_number": car, "brand": "Jaguar", "model": "I-Pace",
               "owner_customer_id": customer, "usage": "customer"}),
    )
    .await
    .expect(201);
    let (driver, van) = driver_and_van(&app, "PD-2-V").await;
    let route = active_route(&app, DAY, 8).await;
    let job = |license: &str, from: u32, description: String| {
        json!({"slot": {"start": format!("{DAY}T{from:02}:00:00Z"), "end": format!("{DAY}T{:02}:00:00Z", from + 1)},
               "vehicle_license_number": license, "customer_id": customer,
               "service": "tire_rotation", "description": description})
    };
    // A planner's note naming her, as planners write them: a refusal quoting the job
    // would quote her.
    let van_job = app
        .post(
            &format!("/api/v1/workshop/plannings/{DAY}/jobs"),
            job(&van, 9, format!("loan van for {NAME}, call {TELEPHONE}")),
        )
        .await
        .expect(201);
    let van_job = van_job.body["id"].as_str().unwrap().to_owned();
    app.post(
        &format!("/api/v1/workshop/plannings/{DAY}/jobs"),
        job(&car, 13, format!("winter tyres, {NAME} waits")),
    )
    .await
    .expect(201);
    Setting {
        app,
        customer,
        car,
        van,
        van_job,
        driver,
        route,
        registered_at,
        correlation,
    }
}

impl Setting {
    fn as_role(&self, subject: &str, role: Role) -> Rest {
        self.app
            .with_token(token_for(&self.app.platform, subject, &[role]))
    }

    fn as_driver(&self) -> Rest {
        let request = TokenRequest::new("dave", Role::Driver).driver(&self.driver);
        self.app
            .with_token(self.app.platform.token(&request).expect("a token"))
    }

    /// A gRPC channel to `address` with `token`.
    async fn channel(&self, address: std::net::SocketAddr, token: &str) -> AuthedChannel {
        let channel = tonic::transport::Channel::from_shared(format!("http://{address}"))
            .unwrap()
            .connect()
            .await
            .expect("the service answers");
        identity::grpc::authed(channel, token).expect("a header value")
    }

    async fn grpc_as(&self, address: std::net::SocketAddr, role: Role) -> AuthedChannel {
        let token = token_for(&self.app.platform, role.as_str(), &[role]);
        self.channel(address, &token).await
    }
}

/// Where a gRPC status quotes her: its message, its details, its metadata.
fn status_leaks(status: &tonic::Status) -> Vec<String> {
    let mut text = format!(
        "{}\n{}\n{:?}",
        status.message(),
        String::from_utf8_lossy(status.details()),
        status.metadata()
    );
    if let Some(detail) = ErrorDetail::of(status) {
        text.push_str(&format!("\n{detail:?}"));
    }
    quoted_in(&text)
}

/// Asserts `result` is the refusal `code` and quotes none of her personal data.
#[track_caller]
fn grpc_refused_without_her<T: std::fmt::Debug>(
    result: Result<tonic::Response<T>, tonic::Status>,
    code: Code,
    what: &str,
) -> tonic::Status {
    let status = result.expect_err(what);
    assert_eq!(status.code(), code, "{what}: {status:?}");
    let leaks = status_leaks(&status);
    assert!(
        leaks.is_empty(),
        "{what} answered {:?} quoting the customer's personal data ({}): {}",
        status.code(),
        leaks.join(", "),
        status.message()
    );
    status
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_check_finds_the_customers_personal_data_wherever_an_answer_would_quote_it() {
    let setting = setting().await;
    // Her record as a planner reads it: the check sees each field as the platform holds it.
    let planner = setting.as_role("pat", Role::Planner);
    let opened = ask(
        &planner,
        Method::GET,
        &format!("/api/v1/customers/{}", setting.customer),
        None,
        &[],
    )
    .await;
    assert_eq!(opened.status, StatusCode::OK, "{}", opened.text);
    let found = leaks(&opened.headers, &opened.text).join(", ");
    for field in [
        "name",
        "street address",
        "postal code",
        "city",
        "telephone",
        "email",
    ] {
        assert!(found.contains(field), "{field} not found in: {found}");
    }
    // A refusal quoting her, in a detail or a header, would be named.
    let problem = json!({"type": "/problems/rule-violation", "status": 409,
                         "detail": format!("vehicle PD-1-A belongs to {NAME} ({EMAIL})")});
    let mut headers = HeaderMap::new();
    headers.insert("x-owner", HeaderValue::from_static("+44 20 7946 0958"));
    let found = leaks(&headers, &problem.to_string());
    assert!(
        found.contains(&format!("name `{NAME}` in the body"))
            && found.contains(&format!("email `{EMAIL}` in the body"))
            && found.contains(&format!("telephone `{TELEPHONE}` in header `x-owner`")),
        "{found:?}"
    );
    // Also escaped in JSON (`\u0041` for `A`), or in another case.
    let escaped = r#"{"detail": "owner \u0041ugusta ADA KING"}"#;
    assert!(!leaks(&HeaderMap::new(), escaped).is_empty());
    let status = ErrorDetail::new("owner_named", format!("owned by {NAME}"))
        .into_status(Code::FailedPrecondition);
    assert!(!status_leaks(&status).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_caller_who_does_not_open_personal_data_is_refused_her_records_without_them() {
    let setting = setting().await;
    let id = &setting.customer;
    let stream = format!("customer-{id}");
    // Another person's details, as the caller's own body: what it sent may come back.
    let own = json!({"name": "Bob Other", "telephone": "+1 555 0100", "email": "bob@example.net"});
    let routes: Vec<(Method, String, Option<Value>)> = vec![
        (Method::GET, format!("/api/v1/customers/{id}"), None),
        (Method::GET, "/api/v1/customers?search=a".into(), None),
        (Method::POST, "/api/v1/customers".into(), Some(own.clone())),
        (
            Method::PUT,
            format!("/api/v1/customers/{id}/contact"),
            Some(own),
        ),
        (
            Method::POST,
            format!("/api/v1/customers/{id}/erasure"),
            None,
        ),
        (
            Method::GET,
            format!("/api/v1/workshop/plannings/{DAY}"),
            None,
        ),
        (Method::GET, format!("/api/v1/views/workshop/{DAY}"), None),
        (
            Method::GET,
            format!("/api/v1/audit/streams/{stream}/events"),
            None,
        ),
        (
            Method::GET,
            format!("/api/v1/audit/streams/{stream}/state"),
            None,
        ),
        (
            Method::GET,
            format!("/api/v1/audit/streams/{stream}/diff"),
            None,
        ),
        (Method::GET, "/api/v1/audit/events".into(), None),
        (Method::GET, "/api/v1/audit/export".into(), None),
        (
            Method::GET,
            format!("/api/v1/audit/verify?stream_id={stream}"),
            None,
        ),
        (
            Method::GET,
            format!("/api/v1/audit/traces/{}", setting.correlation),
            None,
        ),
    ];
    let callers = [
        (
            "a dispatcher",
            setting.as_role("dan", Role::Dispatcher),
            403,
        ),
        ("a driver", setting.as_driver(), 403),
        (
            "an operator",
            setting.as_role("olivia", Role::Operator),
            403,
        ),
        ("a caller without a token", setting.app.anonymous(), 401),
    ];
    for (who, rest, status) in &callers {
        for (method, path, body) in &routes {
            let reply = ask(rest, method.clone(), path, body.clone(), &[]).await;
            reply.refused_without_her(*status, &format!("{who} on {method} {path}"));
        }
    }
}

/// A request a dispatcher sends: method, path, body, extra headers, and the status
/// that refuses it.
type Refusal = (
    Method,
    String,
    Value,
    &'static [(&'static str, &'static str)],
    u16,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dispatcher_refused_a_change_to_a_customers_car_hears_why_not_without_the_owner() {
    let setting = setting().await;
    let dispatcher = setting.as_role("dan", Role::Dispatcher);
    let car = &setting.car;
    let owner = &setting.customer;
    let unknown = uuid::Uuid::now_v7().to_string();
    let refusals: Vec<Refusal> = vec![
        // Her car's license number again, naming her.
        (
            Method::POST,
            "/api/v1/vehicles".into(),
            json!({"license_number": car, "brand": "Jaguar", "model": "I-Pace",
                   "owner_customer_id": owner, "usage": "customer"}),
            &[],
            403,
        ),
        // Her car's license number again, as a van.
        (
            Method::POST,
            "/api/v1/vehicles".into(),
            json!({"license_number": car, "brand": "Jaguar", "model": "I-Pace", "usage": "fleet"}),
            &[],
            409,
        ),
        (
            Method::PUT,
            format!("/api/v1/vehicles/{car}/status"),
            json!({"status": "out_of_service"}),
            &[],
            403,
        ),
        // Her car without its owner, and with her as owner at a stale version.
        (
            Method::PUT,
            format!("/api/v1/vehicles/{car}"),
            json!({"brand": "Jaguar", "model": "I-Pace"}),
            &[],
            403,
        ),
        (
            Method::PUT,
            format!("/api/v1/vehicles/{car}"),
            json!({"brand": "Jaguar", "model": "E-Pace", "owner_customer_id": owner}),
            &[("if-match", "\"99\"")],
            403,
        ),
        // A van cannot be hers; a car cannot be nobody's.
        (
            Method::POST,
            "/api/v1/vehicles".into(),
            json!({"license_number": "PD-9-Z", "brand": "Ford", "model": "E-Transit",
                   "owner_customer_id": owner, "usage": "fleet"}),
            &[],
            403,
        ),
        (
            Method::POST,
            "/api/v1/vehicles".into(),
            json!({"license_number": "PD-8-Z", "brand": "Kia", "model": "EV6",
                   "owner_customer_id": unknown, "usage": "customer"}),
            &[],
            403,
        ),
    ];
    for (method, path, body, headers, status) in refusals {
        let what = format!("a dispatcher's {method} {path} {body}");
        ask(&dispatcher, method, &path, Some(body), headers)
            .await
            .refused_without_her(status, &what);
    }
    ask(
        &dispatcher,
        Method::GET,
        "/api/v1/vehicles/NO-0-NE",
        None,
        &[],
    )
    .await
    .refused_without_her(404, "an unknown vehicle");
    // serde's rejections quote the sender's own body (`rental`, `Bob Other`), and only
    // that: these bodies carry nothing of hers.
    for (body, field) in [
        (
            json!({"license_number": "PD-7-Z", "brand": "Kia", "model": "EV6", "usage": "rental"}),
            "usage",
        ),
        (
            json!({"license_number": "PD-7-Z", "brand": "Kia", "model": "EV6",
                   "owner_customer_id": "Bob Other", "usage": "customer"}),
            "owner_customer_id",
        ),
    ] {
        let reply = ask(
            &dispatcher,
            Method::POST,
            "/api/v1/vehicles",
            Some(body),
            &[],
        )
        .await;
        let problem = reply.refused_without_her(422, &format!("a bad {field}"));
        assert_eq!(problem["field"], field, "{problem:#}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dispatcher_refused_her_car_or_the_van_her_job_holds_is_told_the_job_not_her_details() {
    let setting = setting().await;
    let dispatcher = setting.as_role("dan", Role::Dispatcher);
    let route = &setting.route;
    // Booking her car, or the van her workshop job holds 09:00–10:00, on a new delivery.
    for (vehicle, status, reason) in [
        (&setting.car, 409, "not_a_fleet_vehicle"),
        (&setting.van, 409, "schedule_conflict"),
    ] {
        let reply = ask(
            &dispatcher,
            Method::POST,
            "/api/v1/deliveries",
            Some(json!({"route_id": route, "vehicle_license_number": vehicle})),
            &[],
        )
        .await;
        let problem = reply.refused_without_her(status, &format!("booking {vehicle}"));
        assert_eq!(problem["reason"], reason, "{problem:#}");
        if reason == "schedule_conflict" {
            assert_eq!(problem["conflicting_id"], setting.van_job.as_str());
        }
    }
    // And on a delivery made without them.
    let delivery = ask(
        &dispatcher,
        Method::POST,
        "/api/v1/deliveries",
        Some(json!({"route_id": route})),
        &[],
    )
    .await;
    assert_eq!(delivery.status, StatusCode::CREATED, "{}", delivery.text);
    let delivery = delivery.json()["id"].as_str().unwrap().to_owned();
    for (vehicle, reason) in [
        (&setting.car, "not_a_fleet_vehicle"),
        (&setting.van, "schedule_conflict"),
    ] {
        let reply = ask(
            &dispatcher,
            Method::PUT,
            &format!("/api/v1/deliveries/{delivery}/vehicle"),
            Some(json!({"vehicle_license_number": vehicle})),
            &[],
        )
        .await;
        let problem = reply.refused_without_her(409, &format!("assigning {vehicle}"));
        assert_eq!(problem["reason"], reason, "{problem:#}");
    }
    // The command service's own last line of defence, asked directly by the dispatcher.
    let mut commands = DeliveryCommandsClient::new(
        setting
            .grpc_as(setting.app.platform.command_addr, Role::Dispatcher)
            .await,
    );
    let refused = grpc_refused_without_her(
        commands
            .assign_vehicle(AssignVehicleRequest {
                delivery_id: delivery.clone(),
                vehicle_license_number: setting.van.clone(),
                idempotency_key: None,
            })
            .await,
        Code::FailedPrecondition,
        "the command service assigning the van her job holds",
    );
    let detail = ErrorDetail::of(&refused).expect("a detail");
    assert_eq!(detail.reason, "schedule_conflict");
    assert_eq!(detail.conflicting_id, setting.van_job);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_services_refuse_callers_who_do_not_open_personal_data_without_quoting_her() {
    let setting = setting().await;
    let platform = &setting.app.platform;
    let stream = format!("customer-{}", setting.customer);
    for role in [Role::Dispatcher, Role::Operator] {
        let mut query = QueryClient::new(setting.grpc_as(platform.query_addr, role).await);
        grpc_refused_without_her(
            query
                .list_customers(ListCustomersRequest {
                    search: "a".into(),
                    ..Default::default()
                })
                .await,
            Code::PermissionDenied,
            &format!("{role} listing customers"),
        );
        grpc_refused_without_her(
            query
                .get_workshop_planning(GetWorkshopPlanningRequest {
                    date: DAY.into(),
                    ..Default::default()
                })
                .await,
            Code::PermissionDenied,
            &format!("{role} reading the workshop's day"),
        );
        let mut audit = AuditClient::new(setting.grpc_as(platform.command_addr, role).await);
        grpc_refused_without_her(
            audit
                .history(AuditHistoryRequest {
                    stream_id: stream.clone(),
                    ..Default::default()
                })
                .await,
            Code::PermissionDenied,
            &format!("{role} reading her history"),
        );
        grpc_refused_without_her(
            audit
                .state_as_of(StateAsOfRequest {
                    stream_id: stream.clone(),
                    ..Default::default()
                })
                .await,
            Code::PermissionDenied,
            &format!("{role} reading her state"),
        );
        let mut customers =
            CustomerCommandsClient::new(setting.grpc_as(platform.command_addr, role).await);
        grpc_refused_without_her(
            customers
                .update_customer_contact(UpdateCustomerContactRequest {
                    customer_id: setting.customer.clone(),
                    name: "Bob Other".into(),
                    telephone: "+1 555 0100".into(),
                    email: "bob@example.net".into(),
                    ..Default::default()
                })
                .await,
            Code::PermissionDenied,
            &format!("{role} changing her contact"),
        );
    }
    // A dispatcher or an operator asking the query service for a customer, hers, an
    // unknown one or a malformed id: refused, without her.
    for role in [Role::Dispatcher, Role::Operator] {
        let mut query = QueryClient::new(setting.grpc_as(platform.query_addr, role).await);
        for id in [
            setting.customer.clone(),
            uuid::Uuid::now_v7().to_string(),
            "not-a-uuid".to_owned(),
        ] {
            grpc_refused_without_her(
                query
                    .get_customer(GetCustomerRequest {
                        wait_for: Vec::new(),
                        customer_id: id.clone(),
                    })
                    .await,
                Code::PermissionDenied,
                &format!("{role} asking for customer {id}"),
            );
        }
    }
    // A driver may not read her car, and is told so without her.
    let token = platform
        .token(&TokenRequest::new("dave", Role::Driver).driver(&setting.driver))
        .unwrap();
    let mut as_driver = QueryClient::new(setting.channel(platform.query_addr, &token).await);
    grpc_refused_without_her(
        as_driver
            .get_vehicle(GetVehicleRequest {
                wait_for: Vec::new(),
                license_number: setting.car.clone(),
            })
            .await,
        Code::PermissionDenied,
        "a driver reading her car",
    );
    // An operator asking for her registration among the dead letters: none is parked.
    let mut as_operator =
        QueryClient::new(setting.grpc_as(platform.query_addr, Role::Operator).await);
    grpc_refused_without_her(
        as_operator
            .get_dead_letter(GetDeadLetterRequest {
                projection: "customers".into(),
                position: setting.registered_at,
            })
            .await,
        Code::NotFound,
        "an operator asking for her registration's dead letter",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn her_car_is_refused_on_a_delivery_and_to_a_driver_without_her_details() {
    let setting = setting().await;
    let dispatcher = setting.as_role("dan", Role::Dispatcher);
    let booked = ask(
        &dispatcher,
        Method::POST,
        "/api/v1/deliveries",
        Some(json!({"route_id": setting.route, "driver_id": setting.driver})),
        &[],
    )
    .await;
    assert_eq!(booked.status, StatusCode::CREATED, "{}", booked.text);
    let delivery = booked.json()["id"].as_str().unwrap().to_owned();
    // The command service, asked directly, refuses her car on a delivery too, and its
    // refusal names the car, never her.
    let mut commands = DeliveryCommandsClient::new(
        setting
            .grpc_as(setting.app.platform.command_addr, Role::Dispatcher)
            .await,
    );
    grpc_refused_without_her(
        commands
            .assign_vehicle(AssignVehicleRequest {
                delivery_id: delivery.clone(),
                vehicle_license_number: setting.car.clone(),
                idempotency_key: None,
            })
            .await,
        Code::FailedPrecondition,
        "a dispatcher putting her car on a delivery",
    );
    ask(
        &setting.as_driver(),
        Method::GET,
        &format!("/api/v1/vehicles/{}", setting.car),
        None,
        &[],
    )
    .await
    .refused_without_her(403, "a driver reading her car");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_refused_on_her_registrations_dead_letter_hears_no_personal_data() {
    let setting = setting().await;
    let ops = setting.as_role("olivia", Role::Operator);
    let at = setting.registered_at;
    let refusals: Vec<(Method, String, Option<Value>, u16)> = vec![
        (
            Method::GET,
            format!("/api/v1/ops/dead-letters/customers/{at}"),
            None,
            404,
        ),
        (
            Method::POST,
            format!("/api/v1/ops/dead-letters/customers/{at}/redrive"),
            None,
            404,
        ),
        (
            Method::POST,
            format!("/api/v1/ops/dead-letters/customers/{at}/discard"),
            Some(json!({"reason": "duplicate"})),
            404,
        ),
        (
            Method::POST,
            format!("/api/v1/ops/dead-letters/customers/{at}/discard"),
            Some(json!({"reason": " "})),
            422,
        ),
        (
            Method::GET,
            format!("/api/v1/ops/dead-letters/workshop_planning/{at}"),
            None,
            404,
        ),
    ];
    for (method, path, body, status) in refusals {
        let what = format!("{method} {path}");
        ask(&ops, method, &path, body, &[])
            .await
            .refused_without_her(status, &what);
    }
}
