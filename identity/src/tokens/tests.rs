use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Form;
use axum::http::StatusCode;
use serde_json::json;

use super::*;

const SECRET: &str = "s3cret-of-the-query-service";

/// A token endpoint on port 0 answering every grant with `status` and a token of
/// `expires_in` seconds (`token-1`, `token-2`, …), and the forms it received.
struct TokenEndpoint {
    grant: ClientCredentials,
    forms: Arc<Mutex<Vec<HashMap<String, String>>>>,
}

impl TokenEndpoint {
    async fn start(status: StatusCode, expires_in: u64) -> Self {
        let forms = Arc::new(Mutex::new(Vec::new()));
        let received = forms.clone();
        let answer = move |Form(form): Form<HashMap<String, String>>| {
            let mut received = received.lock().expect("forms");
            received.push(form);
            let body = if status.is_success() {
                json!({
                    "access_token": format!("token-{}", received.len()),
                    "token_type": "Bearer",
                    "expires_in": expires_in,
                })
            } else {
                json!({"error": "invalid_client"})
            };
            std::future::ready((status, axum::Json(body)))
        };
        let router = axum::Router::new().route("/token", axum::routing::post(answer));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let token_url = format!("http://{}/token", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, router).await });
        TokenEndpoint {
            grant: ClientCredentials {
                token_url,
                client_id: "query-service".into(),
                client_secret: SECRET.into(),
            },
            forms,
        }
    }

    fn forms(&self) -> Vec<HashMap<String, String>> {
        self.forms.lock().expect("forms").clone()
    }
}

#[tokio::test]
async fn a_client_credentials_token_is_fetched_with_the_client_id_and_secret_and_reused_while_valid()
 {
    let endpoint = TokenEndpoint::start(StatusCode::OK, 3600).await;
    let tokens = TokenSource::client_credentials(endpoint.grant.clone());
    for _ in 0..3 {
        assert_eq!(tokens.token().await.unwrap(), "token-1");
    }
    let forms = endpoint.forms();
    assert_eq!(forms.len(), 1, "one request for three tokens");
    let field = |name: &str| forms[0].get(name).map(String::as_str);
    assert_eq!(field("grant_type"), Some("client_credentials"));
    assert_eq!(field("client_id"), Some("query-service"));
    assert_eq!(field("client_secret"), Some(SECRET));
}

#[tokio::test]
async fn a_client_credentials_token_near_its_expiry_is_replaced_by_a_new_one() {
    let endpoint = TokenEndpoint::start(StatusCode::OK, 1).await;
    let tokens = TokenSource::client_credentials(endpoint.grant.clone());
    assert_eq!(tokens.token().await.unwrap(), "token-1");
    assert_eq!(tokens.token().await.unwrap(), "token-1");
    // Renewed at two thirds of its lifetime: never handed out in its last third.
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(tokens.token().await.unwrap(), "token-2");
    assert_eq!(endpoint.forms().len(), 2);
}

#[tokio::test]
async fn a_refused_grant_is_an_error_naming_the_token_url_and_not_the_secret() {
    let endpoint = TokenEndpoint::start(StatusCode::UNAUTHORIZED, 0).await;
    let tokens = TokenSource::client_credentials(endpoint.grant.clone());
    let error = tokens.token().await.unwrap_err().to_string();
    assert!(error.contains(&endpoint.grant.token_url), "{error}");
    assert!(error.contains("401"), "{error}");
    assert!(!error.contains(SECRET), "{error}");
}
