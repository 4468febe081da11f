//! A test issuer (feature `test-util`): signing keys of every accepted algorithm, a
//! JWKS served over real HTTP on port 0 (keys can be added and removed while it runs),
//! and tokens forged every way an attacker would try.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeyPair as RsaKeyPair, KeySize};
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair, KeyPair,
};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::config::AuthConfig;
use crate::keys::JwksSource;
use crate::verifier::Verifier;

pub const ISSUER: &str = "https://id.test.pitlane";
pub const AUDIENCE: &str = "pitlane";

/// One signing key.
#[derive(Clone)]
pub struct SigningKey {
    pub kid: String,
    pub algorithm: Algorithm,
    encoding: EncodingKey,
    /// The public key as a JWK (with `kid`, `alg`, `use`).
    pub jwk: Jwk,
    /// The public key as the PEM an issuer publishes (SubjectPublicKeyInfo).
    pub public_pem: Vec<u8>,
}

fn pem(label: &str, der: &[u8]) -> Vec<u8> {
    let body = STANDARD.encode(der);
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap_or_default())
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        lines.join("\n")
    )
    .into_bytes()
}

impl SigningKey {
    /// A fresh key of `algorithm` (RS256, ES256 or EdDSA).
    pub fn generate(kid: &str, algorithm: Algorithm) -> Self {
        let rng = SystemRandom::new();
        let mut public_pem = Vec::new();
        let encoding = match algorithm {
            Algorithm::RS256 => {
                let pair = RsaKeyPair::generate(KeySize::Rsa2048).expect("an RSA key");
                let der = pair.as_der().expect("PKCS#8");
                let public = pair.public_key().as_der().expect("SubjectPublicKeyInfo");
                public_pem = pem("PUBLIC KEY", public.as_ref());
                EncodingKey::from_rsa_pem(&pem("PRIVATE KEY", der.as_ref())).expect("RSA PEM")
            }
            Algorithm::ES256 => {
                let doc = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
                    .expect("a P-256 key");
                EncodingKey::from_ec_der(doc.as_ref())
            }
            Algorithm::EdDSA => {
                let doc = Ed25519KeyPair::generate_pkcs8(&rng).expect("an Ed25519 key");
                EncodingKey::from_ed_der(doc.as_ref())
            }
            other => panic!("{other:?} is not a signing algorithm Pitlane accepts"),
        };
        let mut jwk = match algorithm {
            Algorithm::EdDSA => ed_jwk(&encoding),
            _ => Jwk::from_encoding_key(&encoding, algorithm).expect("a public JWK"),
        };
        jwk.common.key_id = Some(kid.to_owned());
        jwk.common.public_key_use = Some(jsonwebtoken::jwk::PublicKeyUse::Signature);
        SigningKey {
            kid: kid.to_owned(),
            algorithm,
            encoding,
            jwk,
            public_pem,
        }
    }

    /// Signs `claims` with this key, naming its kid.
    pub fn sign(&self, claims: &Value) -> String {
        let mut header = Header::new(self.algorithm);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.encoding).expect("signs")
    }
}

/// jsonwebtoken's own JWK of an Ed25519 key wants a PKCS#8 v1 document; ours is v2.
fn ed_jwk(encoding: &EncodingKey) -> Jwk {
    let pair = Ed25519KeyPair::from_pkcs8(encoding.as_bytes()).expect("Ed25519 PKCS#8");
    let x = URL_SAFE_NO_PAD.encode(aws_lc_rs::signature::KeyPair::public_key(&pair).as_ref());
    serde_json::from_value(json!({"kty": "OKP", "crv": "Ed25519", "x": x, "alg": "EdDSA"}))
        .expect("an OKP JWK")
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs()
}

/// Claims a valid token for `subject` with `roles` carries (`roles` at the top level).
pub fn claims(subject: &str, roles: &[&str]) -> Value {
    let now = now();
    json!({
        "iss": ISSUER, "aud": AUDIENCE, "sub": subject,
        "iat": now, "nbf": now, "exp": now + 600, "roles": roles,
    })
}

/// Claims as Keycloak writes them: the roles in `realm_access.roles`
/// (`AUTH_ROLES_CLAIM=realm_access.roles`), the client in `azp`.
pub fn keycloak_claims(subject: &str, roles: &[&str]) -> Value {
    let now = now();
    json!({
        "iss": ISSUER, "aud": AUDIENCE, "sub": subject, "azp": CLIENT_ID,
        "iat": now, "nbf": now, "exp": now + 600, "realm_access": { "roles": roles },
    })
}

/// The confidential client [`TestIssuer`]'s token endpoint knows, as the query service's
/// is in the realm; its service account holds the role `service`.
pub const CLIENT_ID: &str = "pitlane-query";
pub const CLIENT_SECRET: &str = "a-test-client-secret";

/// The token endpoint's answer to `request` (the whole HTTP request): a Keycloak-shaped
/// token for the service account of [`CLIENT_ID`] when the client-credentials grant
/// names it and its secret, else `401`.
fn token_answer(request: &str, key: &SigningKey) -> (&'static str, String) {
    let form = request.split("\r\n\r\n").nth(1).unwrap_or_default();
    let has = |pair: &str| form.split('&').any(|p| p == pair);
    if has("grant_type=client_credentials")
        && has(&format!("client_id={CLIENT_ID}"))
        && has(&format!("client_secret={CLIENT_SECRET}"))
    {
        let subject = format!("service-account-{CLIENT_ID}");
        let token = key.sign(&keycloak_claims(&subject, &["service"]));
        let body = json!({"access_token": token, "token_type": "Bearer", "expires_in": 600});
        ("200 OK", body.to_string())
    } else {
        (
            "401 Unauthorized",
            json!({"error": "unauthorized_client"}).to_string(),
        )
    }
}

/// One HTTP request read whole: its head and a body of its `content-length` (the token
/// endpoints tests serve).
pub async fn read_request(socket: &mut tokio::net::TcpStream) -> String {
    let mut request = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = socket.read(&mut chunk).await.unwrap_or(0);
        request.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&request).into_owned();
        let complete = text.split_once("\r\n\r\n").is_some_and(|(head, body)| {
            let length = head
                .lines()
                .filter_map(|line| line.split_once(':'))
                .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
                .and_then(|(_, value)| value.trim().parse::<usize>().ok())
                .unwrap_or(0);
            body.len() >= length
        });
        if n == 0 || complete || request.len() > 65_536 {
            return text;
        }
    }
}

/// Log lines written by a `tracing_subscriber::fmt()` given
/// `.with_writer(move || log.clone())`, kept for the test to read.
#[derive(Clone, Default)]
pub struct CapturedLog(Arc<Mutex<Vec<u8>>>);

impl CapturedLog {
    /// The lines written since the last call.
    pub fn take(&self) -> Vec<String> {
        let bytes = std::mem::take(&mut *self.0.lock().expect("log"));
        String::from_utf8_lossy(&bytes)
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

impl std::io::Write for CapturedLog {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log").extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A JWKS on a real HTTP server, whose keys tests can change while it runs, and a token
/// endpoint for the client-credentials grant of [`CLIENT_ID`] (`token_url`).
pub struct TestIssuer {
    pub keys: Vec<SigningKey>,
    published: Arc<Mutex<JwkSet>>,
    pub jwks_url: String,
    pub token_url: String,
    /// How many tokens the token endpoint issued.
    pub grants: Arc<std::sync::atomic::AtomicUsize>,
    /// How many times the JWKS was fetched (answered or not).
    pub fetches: Arc<std::sync::atomic::AtomicUsize>,
    /// While set, every fetch is answered `500 Internal Server Error`.
    down: Arc<AtomicBool>,
}

impl TestIssuer {
    /// An issuer with an RS256, an ES256 and an EdDSA key, all published.
    pub async fn start() -> Self {
        let keys = vec![
            SigningKey::generate("rsa-1", Algorithm::RS256),
            SigningKey::generate("ec-1", Algorithm::ES256),
            SigningKey::generate("ed-1", Algorithm::EdDSA),
        ];
        let published = Arc::new(Mutex::new(JwkSet {
            keys: keys.iter().map(|k| k.jwk.clone()).collect(),
        }));
        let fetches = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("binds");
        let jwks_url = format!("http://{}/jwks.json", listener.local_addr().expect("addr"));
        let token_url = format!("http://{}/token", listener.local_addr().expect("addr"));
        let signer = keys[0].clone();
        let grants = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let issued = grants.clone();
        let serving = published.clone();
        let counter = fetches.clone();
        let down = Arc::new(AtomicBool::new(false));
        let failing = down.clone();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let (serving, counter, failing, signer, issued) = (
                    serving.clone(),
                    counter.clone(),
                    failing.clone(),
                    signer.clone(),
                    issued.clone(),
                );
                tokio::spawn(async move {
                    let request = read_request(&mut socket).await;
                    let (status, body) = if request.starts_with("POST /token") {
                        let answer = token_answer(&request, &signer);
                        if answer.0.starts_with("200") {
                            issued.fetch_add(1, Ordering::SeqCst);
                        }
                        answer
                    } else {
                        counter.fetch_add(1, Ordering::SeqCst);
                        if failing.load(Ordering::SeqCst) {
                            ("500 Internal Server Error", String::new())
                        } else {
                            let keys = serving.lock().expect("jwks");
                            ("200 OK", serde_json::to_string(&*keys).expect("json"))
                        }
                    };
                    let response = format!(
                        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = socket.write_all(response.as_bytes()).await;
                    let _ = socket.shutdown().await;
                });
            }
        });
        TestIssuer {
            keys,
            published,
            jwks_url,
            token_url,
            grants,
            fetches,
            down,
        }
    }

    /// Makes the issuer answer every fetch with a 500 (`true`), or serve again.
    pub fn set_down(&self, down: bool) {
        self.down.store(down, Ordering::SeqCst);
    }

    /// The key of `algorithm`.
    pub fn key(&self, algorithm: Algorithm) -> &SigningKey {
        self.keys
            .iter()
            .find(|k| k.algorithm == algorithm)
            .expect("a key of that algorithm")
    }

    /// A valid RS256 token.
    pub fn token(&self, subject: &str, roles: &[&str]) -> String {
        self.key(Algorithm::RS256).sign(&claims(subject, roles))
    }

    /// Publishes one more key.
    pub fn publish(&self, key: &SigningKey) {
        self.published
            .lock()
            .expect("jwks")
            .keys
            .push(key.jwk.clone());
    }

    /// Stops publishing the key `kid`.
    pub fn withdraw(&self, kid: &str) {
        self.published
            .lock()
            .expect("jwks")
            .keys
            .retain(|k| k.common.key_id.as_deref() != Some(kid));
    }

    /// A verifier fetching this issuer's JWKS, with the given cache lifetime.
    pub fn verifier(&self, ttl: Duration) -> Verifier {
        let mut config = AuthConfig::new(ISSUER, AUDIENCE);
        config.jwks_ttl = ttl;
        config.jwks_min_refresh = Duration::from_millis(0);
        Verifier::new(&config, JwksSource::Url(self.jwks_url.clone()))
    }
}

/// Tokens that must all be refused, by name: expired, not yet valid, wrong issuer,
/// wrong audience, unknown kid, bad signature, `alg: none`, HS256 signed with the
/// RSA public key (algorithm confusion).
pub fn forged_tokens(issuer: &TestIssuer, roles: &[&str]) -> Vec<(&'static str, String)> {
    let rsa = issuer.key(Algorithm::RS256);
    let now = now();
    let with = |patch: Value| {
        let mut claims = claims("mallory", roles);
        for (k, v) in patch.as_object().expect("object") {
            claims[k] = v.clone();
        }
        rsa.sign(&claims)
    };
    let stranger = SigningKey::generate("rsa-1", Algorithm::RS256);
    let unknown = SigningKey::generate("who-is-this", Algorithm::EdDSA);
    let valid = issuer.token("mallory", roles);
    let (head_and_body, _) = valid.rsplit_once('.').expect("three parts");
    let b64 = |v: &Value| URL_SAFE_NO_PAD.encode(v.to_string());
    let body = b64(&claims("mallory", roles));
    let none = format!("{}.{body}.", b64(&json!({"alg": "none", "typ": "JWT"})));
    // The classic confusion: the issuer's public RSA key, as published, used as an
    // HMAC secret by whoever knows it (everyone).
    let confused = {
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(rsa.kid.clone());
        jsonwebtoken::encode(
            &header,
            &claims("mallory", roles),
            &EncodingKey::from_secret(&rsa.public_pem).expect("secret"),
        )
        .expect("signs")
    };
    vec![
        (
            "expired",
            with(json!({"exp": now - 3600, "nbf": now - 7200})),
        ),
        (
            "not yet valid",
            with(json!({"nbf": now + 3600, "exp": now + 7200})),
        ),
        ("wrong issuer", with(json!({"iss": "https://evil.example"}))),
        ("wrong audience", with(json!({"aud": "someone-else"}))),
        ("unknown kid", unknown.sign(&claims("mallory", roles))),
        ("bad signature", stranger.sign(&claims("mallory", roles))),
        (
            "tampered payload",
            format!(
                "{head_and_body}x.{}",
                valid.rsplit('.').next().unwrap_or("")
            ),
        ),
        ("alg none", none),
        ("HS256 with the public key", confused),
    ]
}
