use serde::Deserialize;

use super::*;

#[derive(Debug, Deserialize)]
#[allow(dead_code)]
#[serde(deny_unknown_fields)]
struct Body {
    name: String,
    slot: Slot,
}

#[derive(Debug, Deserialize)]
#[allow(dead_code)]
#[serde(deny_unknown_fields)]
struct Slot {
    start: chrono::DateTime<chrono::Utc>,
    end: chrono::DateTime<chrono::Utc>,
}

fn refusal(json: &str) -> ApiError {
    parse_json::<Body>(json.as_bytes()).unwrap_err()
}

#[test]
fn malformed_json_is_a_400() {
    let error = refusal("{\"name\": ");
    assert_eq!(error.kind, ProblemKind::MalformedRequest);
}

#[test]
fn a_missing_nested_field_is_a_422_naming_its_path() {
    let error = refusal(r#"{"name": "x", "slot": {"start": "2026-05-04T09:00:00Z"}}"#);
    assert_eq!(error.kind, ProblemKind::InvalidField);
    assert_eq!(error.field.as_deref(), Some("slot.end"));
}

#[test]
fn a_bad_date_or_a_wrong_type_is_a_422_naming_the_field() {
    let bad_date =
        refusal(r#"{"name": "x", "slot": {"start": "tomorrow", "end": "2026-05-04T09:00:00Z"}}"#);
    assert_eq!(bad_date.field.as_deref(), Some("slot.start"));
    let wrong_type = refusal(
        r#"{"name": 7, "slot": {"start": "2026-05-04T09:00:00Z", "end": "2026-05-04T09:00:00Z"}}"#,
    );
    assert_eq!(wrong_type.field.as_deref(), Some("name"));
    assert_eq!(wrong_type.kind, ProblemKind::InvalidField);
}

#[test]
fn an_unknown_field_is_a_422_naming_it_at_its_path() {
    let top = refusal(
        r#"{"name": "x", "colour": "red", "slot": {"start": "2026-05-04T09:00:00Z", "end": "2026-05-04T10:00:00Z"}}"#,
    );
    assert_eq!(
        (top.kind, top.field.as_deref()),
        (ProblemKind::InvalidField, Some("colour"))
    );
    let nested = refusal(
        r#"{"name": "x", "slot": {"start": "2026-05-04T09:00:00Z", "end": "2026-05-04T10:00:00Z", "tz": "CET"}}"#,
    );
    assert_eq!(nested.field.as_deref(), Some("slot.tz"));
}

#[test]
fn a_body_that_is_valid_json_but_no_object_is_a_422_naming_the_body() {
    let positional = r#"["x", {"start": "2026-05-04T09:00:00Z", "end": "2026-05-04T10:00:00Z"}]"#;
    for body in [positional, "[]", "null", " 7"] {
        let error = refusal(body);
        assert_eq!(
            (error.kind, error.field.as_deref()),
            (ProblemKind::InvalidField, Some("body")),
            "{body}"
        );
    }
    assert_eq!(refusal("[1,").kind, ProblemKind::MalformedRequest);
}

#[tokio::test]
async fn a_position_beyond_int64_is_a_400_naming_it_and_int64_max_is_read() {
    #[derive(Debug, Deserialize)]
    struct Positions {
        #[serde(default, deserialize_with = "optional_int64")]
        to_position: Option<u64>,
    }
    async fn read(query: &str) -> Result<Option<u64>, ApiError> {
        let request = axum::http::Request::get(format!("/x?{query}"))
            .body(())
            .unwrap();
        let (mut parts, ()) = request.into_parts();
        let Query(positions) = Query::<Positions>::from_request_parts(&mut parts, &()).await?;
        Ok(positions.to_position)
    }
    assert_eq!(
        read("to_position=9223372036854775807").await.unwrap(),
        Some(i64::MAX as u64)
    );
    assert_eq!(read("").await.unwrap(), None);
    let error = read("to_position=9223372036854775808").await.unwrap_err();
    assert_eq!(
        (error.kind, error.field.as_deref()),
        (ProblemKind::MalformedRequest, Some("to_position"))
    );
}

#[test]
fn trailing_garbage_after_the_document_is_malformed() {
    let error = parse_json::<serde_json::Value>(b"{} {}").unwrap_err();
    assert_eq!(error.kind, ProblemKind::MalformedRequest);
}

#[test]
fn an_id_derived_from_an_idempotency_key_is_the_same_on_every_retry() {
    let keyed = RequestContext {
        idempotency_key: Some("k-1".into()),
        ..RequestContext::default()
    };
    assert_eq!(keyed.new_id("customer"), keyed.new_id("customer"));
    assert_ne!(keyed.new_id("customer"), keyed.new_id("driver"));
    let unkeyed = RequestContext::default();
    assert_ne!(unkeyed.new_id("customer"), unkeyed.new_id("customer"));
}

fn caller(subject: &str, role: Role) -> Caller {
    Caller {
        identity: identity::Identity {
            subject: subject.into(),
            roles: vec![role],
            driver_id: None,
            token: std::sync::Arc::from(format!("token-of-{subject}")),
        },
        role,
    }
}

fn keyed(subject: &str, key: &str) -> RequestContext {
    RequestContext {
        caller: Some(caller(subject, Role::Planner)),
        idempotency_key: Some(key.into()),
        ..RequestContext::default()
    }
}

#[test]
fn the_same_idempotency_key_of_two_subjects_derives_two_ids() {
    assert_ne!(
        keyed("alice", "k-1").new_id("customer"),
        keyed("bob", "k-1").new_id("customer")
    );
    assert_eq!(
        keyed("alice", "k-1").new_id("customer"),
        keyed("alice", "k-1").new_id("customer")
    );
    // No subject can borrow another's scope by ending in a newline.
    assert_ne!(
        keyed("a\ncustomer", "k").new_id("x"),
        keyed("a", "k").new_id("customer\nx")
    );
}

#[tokio::test]
async fn forged_actor_headers_are_not_forwarded_and_the_token_is() {
    let request = axum::http::Request::builder()
        .uri("/api/v1/customers")
        .header("x-actor-subject", "chief-auditor")
        .header("x-actor-role", "admin")
        .extension(caller("grace", Role::Planner))
        .body(())
        .unwrap();
    let (mut parts, ()) = request.into_parts();
    let ctx = RequestContext::from_request_parts(&mut parts, &())
        .await
        .unwrap();
    assert_eq!(ctx.subject(), Some("grace"));
    let request = ctx.command(());
    let metadata = request.metadata();
    assert_eq!(
        metadata.get("authorization").unwrap(),
        "Bearer token-of-grace"
    );
    assert!(metadata.get("x-actor-subject").is_none());
    assert!(metadata.get("x-actor-role").is_none());
}

#[tokio::test]
async fn a_request_without_a_verified_caller_gets_no_context() {
    let request = axum::http::Request::builder()
        .uri("/api/v1/customers")
        .header("x-actor-role", "admin")
        .body(())
        .unwrap();
    let (mut parts, ()) = request.into_parts();
    let refused = RequestContext::from_request_parts(&mut parts, &())
        .await
        .unwrap_err();
    assert_eq!(refused.kind, ProblemKind::Unauthenticated);
}

#[test]
fn etags_are_read_strong_weak_or_bare() {
    assert_eq!(parse_etag("\"3\""), Some(3));
    assert_eq!(parse_etag("W/\"12\""), Some(12));
    assert_eq!(parse_etag("7"), Some(7));
    assert_eq!(parse_etag("\"abc\""), None);
}

#[test]
fn a_whole_number_in_a_body_may_be_written_as_a_float_but_not_with_a_fraction() {
    #[derive(serde::Deserialize)]
    struct Body {
        #[serde(deserialize_with = "super::whole_u32")]
        sequence: u32,
    }
    let read = |json: &str| serde_json::from_str::<Body>(json).map(|b| b.sequence);
    assert_eq!(read(r#"{"sequence": 7}"#).ok(), Some(7));
    assert_eq!(read(r#"{"sequence": 7.0}"#).ok(), Some(7));
    for refused in [
        r#"{"sequence": 7.5}"#,
        r#"{"sequence": -1}"#,
        r#"{"sequence": 4294967296}"#,
        r#"{"sequence": "7"}"#,
    ] {
        assert!(read(refused).is_err(), "{refused}");
    }
}

#[test]
fn a_body_time_is_bounded_by_the_year_its_writer_wrote_not_by_utc() {
    #[derive(serde::Deserialize)]
    struct Body {
        #[serde(deserialize_with = "super::operation_time")]
        at: chrono::DateTime<chrono::Utc>,
    }
    let read = |at: &str| serde_json::from_str::<Body>(&format!(r#"{{"at": "{at}"}}"#));
    // Written in 2099 and 2000: read, though UTC says 2100 and 1999.
    let late = read("2099-12-31T23:00:00-05:00")
        .expect("written in 2099")
        .at;
    assert_eq!(late.to_rfc3339(), "2100-01-01T04:00:00+00:00");
    assert!(read("2000-01-01T00:30:00+01:00").is_ok());
    for refused in [
        "2100-01-01T00:00:00Z",
        "1999-12-31T23:59:59Z",
        "0001-01-01T00:00:00Z",
        "tomorrow",
    ] {
        assert!(read(refused).is_err(), "{refused}");
    }
}

#[tokio::test]
async fn a_request_context_never_shows_the_callers_token_when_printed() {
    let token = crate::testing::token(&["planner"]);
    let bearer = format!("Bearer {token}");
    let verifier = crate::testing::issuer().verifier(std::time::Duration::from_secs(60));
    let identity = verifier.verify_header(Some(&bearer)).await.unwrap();
    let request = axum::http::Request::get("/api/v1/customers")
        .header("authorization", &bearer)
        .extension(Caller {
            identity,
            role: Role::Planner,
        })
        .body(())
        .unwrap();
    let (mut parts, ()) = request.into_parts();
    let ctx = RequestContext::from_request_parts(&mut parts, &())
        .await
        .unwrap();
    let printed = format!("{ctx:?} {ctx:#?}");
    assert!(printed.contains("planner-user"), "{printed}");
    for part in token.split('.') {
        assert!(!printed.contains(part), "{printed}");
    }
}
