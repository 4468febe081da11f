use std::sync::Arc;
use std::time::Duration;

use jsonwebtoken::Algorithm;
use serde_json::json;

use super::*;
use crate::testing::{SigningKey, TestIssuer, claims, forged_tokens};

#[tokio::test]
async fn tokens_signed_with_rs256_es256_and_eddsa_are_accepted() {
    let issuer = TestIssuer::start().await;
    let verifier = issuer.verifier(Duration::from_secs(60));
    for algorithm in [Algorithm::RS256, Algorithm::ES256, Algorithm::EdDSA] {
        let token = issuer.key(algorithm).sign(&claims("ada", &["planner"]));
        let identity = verifier.verify(&token).await.unwrap_or_else(|e| {
            panic!("{algorithm:?}: {e}");
        });
        assert_eq!(identity.subject, "ada");
        assert_eq!(identity.roles, vec![Role::Planner]);
    }
}

#[tokio::test]
async fn every_forged_token_is_refused_with_its_reason() {
    let issuer = TestIssuer::start().await;
    let verifier = issuer.verifier(Duration::from_secs(60));
    let expected = |name: &str| match name {
        "expired" => AuthError::Expired,
        "not yet valid" => AuthError::NotYetValid,
        "wrong issuer" => AuthError::WrongIssuer,
        "wrong audience" => AuthError::WrongAudience,
        "unknown kid" => AuthError::UnknownKey,
        "bad signature" | "tampered payload" => AuthError::BadSignature,
        "alg none" => AuthError::Algorithm("none".into()),
        "HS256 with the public key" => AuthError::Algorithm("HS256".into()),
        other => panic!("no expectation for {other}"),
    };
    for (name, token) in forged_tokens(&issuer, &["admin"]) {
        let refused = verifier.verify(&token).await;
        assert_eq!(refused, Err(expected(name)), "{name}");
    }
}

#[tokio::test]
async fn a_header_that_is_not_a_bearer_token_is_refused() {
    let issuer = TestIssuer::start().await;
    let verifier = issuer.verifier(Duration::from_secs(60));
    assert_eq!(verifier.verify_header(None).await, Err(AuthError::Missing));
    let basic = verifier.verify_header(Some("Basic YWRhOnB3")).await;
    assert_eq!(basic, Err(AuthError::NotBearer));
    let garbage = verifier.verify_header(Some("Bearer not.a.jwt")).await;
    assert_eq!(garbage, Err(AuthError::Malformed));
}

#[tokio::test]
async fn a_key_added_to_the_jwks_is_accepted_without_restart() {
    let issuer = TestIssuer::start().await;
    let verifier = issuer.verifier(Duration::from_secs(3600));
    verifier
        .verify(&issuer.token("ada", &["planner"]))
        .await
        .unwrap();
    let rotated = SigningKey::generate("rsa-2", Algorithm::RS256);
    let token = rotated.sign(&claims("ada", &["planner"]));
    assert_eq!(verifier.verify(&token).await, Err(AuthError::UnknownKey));
    issuer.publish(&rotated);
    let identity = verifier.verify(&token).await.unwrap();
    assert_eq!(identity.subject, "ada");
}

#[tokio::test]
async fn a_key_removed_from_the_jwks_is_refused_once_the_cache_expires() {
    let issuer = TestIssuer::start().await;
    let verifier = issuer.verifier(Duration::from_millis(300));
    let token = issuer.token("ada", &["planner"]);
    verifier.verify(&token).await.unwrap();
    issuer.withdraw("rsa-1");
    // Still cached: a removed key is trusted until the cache lifetime ends…
    verifier.verify(&token).await.unwrap();
    tokio::time::sleep(Duration::from_millis(400)).await;
    // …and refused after.
    assert_eq!(verifier.verify(&token).await, Err(AuthError::UnknownKey));
}

#[tokio::test]
async fn unknown_kids_do_not_make_the_verifier_hammer_the_issuer() {
    let issuer = TestIssuer::start().await;
    let mut config = AuthConfig::new(crate::testing::ISSUER, crate::testing::AUDIENCE);
    config.jwks_min_refresh = Duration::from_secs(60);
    let verifier = Verifier::new(&config, JwksSource::Url(issuer.jwks_url.clone()));
    verifier.verify(&issuer.token("ada", &[])).await.unwrap();
    let stranger = SigningKey::generate("forged", Algorithm::EdDSA);
    for _ in 0..20 {
        let token = stranger.sign(&claims("mallory", &["admin"]));
        assert_eq!(verifier.verify(&token).await, Err(AuthError::UnknownKey));
    }
    let fetches = issuer.fetches.load(std::sync::atomic::Ordering::SeqCst);
    assert!(fetches <= 2, "{fetches} fetches for 20 unknown kids");
}

#[tokio::test]
async fn keycloak_realm_roles_are_read_from_a_claim_path() {
    let issuer = TestIssuer::start().await;
    let mut config = AuthConfig::new(crate::testing::ISSUER, crate::testing::AUDIENCE);
    config.roles_claim = "realm_access.roles".into();
    let verifier = Verifier::new(&config, JwksSource::Url(issuer.jwks_url.clone()));
    let mut keycloak = claims("kc-user", &[]);
    keycloak["realm_access"] = json!({"roles": ["offline_access", "auditor", "dispatcher"]});
    let token = issuer.key(Algorithm::ES256).sign(&keycloak);
    let identity = verifier.verify(&token).await.unwrap();
    assert_eq!(identity.roles, vec![Role::Dispatcher, Role::Auditor]);
}

#[tokio::test]
async fn an_unreachable_issuer_is_unavailable_not_an_invalid_token() {
    let config = AuthConfig::new("https://id.example", "pitlane");
    let verifier = Verifier::new(&config, JwksSource::Url("http://127.0.0.1:9/jwks".into()));
    let issuer = TestIssuer::start().await;
    let refused = verifier.verify(&issuer.token("ada", &[])).await;
    assert_eq!(refused, Err(AuthError::KeysUnavailable));
}

#[tokio::test]
async fn a_token_without_a_subject_is_refused() {
    let issuer = TestIssuer::start().await;
    let verifier = issuer.verifier(Duration::from_secs(60));
    let mut anonymous = claims("x", &["admin"]);
    anonymous.as_object_mut().unwrap().remove("sub");
    let token = issuer.key(Algorithm::EdDSA).sign(&anonymous);
    assert_eq!(
        verifier.verify(&token).await,
        Err(AuthError::MissingClaim("sub".into()))
    );
}

#[tokio::test]
async fn a_remembered_token_still_expires_on_time() {
    let issuer = TestIssuer::start().await;
    let mut config = AuthConfig::new(crate::testing::ISSUER, crate::testing::AUDIENCE);
    config.leeway = Duration::from_secs(0);
    let verifier = Verifier::new(&config, JwksSource::Url(issuer.jwks_url.clone()));
    let mut short = claims("ada", &["planner"]);
    short["exp"] = json!(jsonwebtoken::get_current_timestamp() + 2);
    let token = issuer.key(Algorithm::EdDSA).sign(&short);
    verifier.verify(&token).await.unwrap();
    verifier.verify(&token).await.expect("remembered");
    tokio::time::sleep(Duration::from_millis(3_100)).await;
    assert_eq!(verifier.verify(&token).await, Err(AuthError::Expired));
}

#[tokio::test]
async fn only_the_exact_token_that_was_verified_is_remembered() {
    let issuer = TestIssuer::start().await;
    let verifier = issuer.verifier(Duration::from_secs(60));
    let token = issuer.token("ada", &["planner"]);
    verifier.verify(&token).await.unwrap();
    // The same header and claims with one signature byte changed.
    let mut forged = token.clone().into_bytes();
    let last = forged.len() - 2;
    forged[last] = if forged[last] == b'A' { b'B' } else { b'A' };
    let forged = String::from_utf8(forged).unwrap();
    assert!(verifier.verify(&forged).await.is_err());
}

#[tokio::test]
async fn a_driver_id_claim_is_read_in_its_canonical_form() {
    let issuer = TestIssuer::start().await;
    let verifier = issuer.verifier(Duration::from_secs(60));
    let mut upper = claims("grace", &["driver"]);
    upper["driver_id"] = json!("0193A000-0000-7000-8000-00000000000D");
    let token = issuer.key(Algorithm::ES256).sign(&upper);
    let identity = verifier.verify(&token).await.unwrap();
    assert_eq!(
        identity.driver_id.as_deref(),
        Some("0193a000-0000-7000-8000-00000000000d")
    );
}

/// A verifier configured as `AUTH_*` would, with `extra` variables besides the issuer.
fn from_settings(extra: &[(&str, &str)]) -> Arc<Verifier> {
    let vars: std::collections::HashMap<String, String> = [("AUTH_ISSUER", crate::testing::ISSUER)]
        .iter()
        .chain(extra)
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let settings =
        crate::AuthSettings::from_lookup(|name| vars.get(name).cloned(), std::path::Path::new("."))
            .unwrap();
    settings.open("test").unwrap().verifier
}

#[tokio::test]
async fn a_token_signed_by_a_key_of_the_jwks_file_is_accepted_and_one_of_another_kid_is_unknown() {
    let dir = tempfile::tempdir().unwrap();
    let ours = SigningKey::generate("file-ec-1", Algorithm::ES256);
    let file = dir.path().join("jwks.json");
    let jwks = jsonwebtoken::jwk::JwkSet {
        keys: vec![ours.jwk.clone()],
    };
    std::fs::write(&file, serde_json::to_vec(&jwks).unwrap()).unwrap();
    let verifier = from_settings(&[("AUTH_JWKS_FILE", file.to_str().unwrap())]);
    let identity = verifier
        .verify(&ours.sign(&claims("ada", &["planner"])))
        .await
        .unwrap();
    assert_eq!(identity.subject, "ada");
    let stranger = SigningKey::generate("not-in-the-file", Algorithm::ES256);
    let refused = verifier
        .verify(&stranger.sign(&claims("mallory", &["admin"])))
        .await;
    assert_eq!(refused, Err(AuthError::UnknownKey));
}

/// A token signed with `key` but naming the key `kid` in its header.
fn naming(key: &SigningKey, kid: &str, claims: &serde_json::Value) -> String {
    let mut impostor = key.clone();
    impostor.kid = kid.to_owned();
    impostor.sign(claims)
}

#[tokio::test]
async fn a_token_naming_a_key_of_another_algorithm_is_refused_as_badly_signed() {
    let issuer = TestIssuer::start().await;
    let verifier = issuer.verifier(Duration::from_secs(60));
    let (rsa, ec, ed) = (
        issuer.key(Algorithm::RS256),
        issuer.key(Algorithm::ES256),
        issuer.key(Algorithm::EdDSA),
    );
    // Genuine keys of the issuer, each signing under another key's kid.
    let cases = [
        (ec, "rsa-1"),
        (ed, "rsa-1"),
        (rsa, "ec-1"),
        (rsa, "ed-1"),
        (ec, "ed-1"),
    ];
    for (signer, kid) in cases {
        let token = naming(signer, kid, &claims("mallory", &["admin"]));
        let refused = verifier.verify(&token).await;
        assert_eq!(
            refused,
            Err(AuthError::BadSignature),
            "{:?} naming {kid}",
            signer.algorithm
        );
    }
}

#[tokio::test]
async fn with_the_default_leeway_a_token_expired_10s_ago_is_accepted_and_60s_ago_refused() {
    let issuer = TestIssuer::start().await;
    let verifier = from_settings(&[("AUTH_JWKS_URL", &issuer.jwks_url)]);
    let now = jsonwebtoken::get_current_timestamp();
    let expired = |seconds_ago: u64| {
        let mut claims = claims("ada", &["planner"]);
        claims["nbf"] = json!(now - 600);
        claims["exp"] = json!(now - seconds_ago);
        issuer.key(Algorithm::EdDSA).sign(&claims)
    };
    verifier
        .verify(&expired(10))
        .await
        .expect("within the leeway");
    assert_eq!(verifier.verify(&expired(60)).await, Err(AuthError::Expired));
}

#[tokio::test]
async fn with_the_default_leeway_a_token_valid_in_10s_is_accepted_and_in_60s_refused() {
    let issuer = TestIssuer::start().await;
    let verifier = from_settings(&[("AUTH_JWKS_URL", &issuer.jwks_url)]);
    let now = jsonwebtoken::get_current_timestamp();
    let early = |seconds_ahead: u64| {
        let mut claims = claims("ada", &["planner"]);
        claims["nbf"] = json!(now + seconds_ahead);
        issuer.key(Algorithm::EdDSA).sign(&claims)
    };
    verifier
        .verify(&early(10))
        .await
        .expect("within the leeway");
    assert_eq!(
        verifier.verify(&early(60)).await,
        Err(AuthError::NotYetValid)
    );
}

#[tokio::test]
async fn an_issuer_that_is_down_is_asked_once_per_refresh_interval_however_many_tokens_arrive() {
    let issuer = TestIssuer::start().await;
    issuer.set_down(true);
    let mut config = AuthConfig::new(crate::testing::ISSUER, crate::testing::AUDIENCE);
    config.jwks_min_refresh = Duration::from_secs(60);
    let verifier = Arc::new(Verifier::new(
        &config,
        JwksSource::Url(issuer.jwks_url.clone()),
    ));
    let stranger = SigningKey::generate("forged", Algorithm::EdDSA);
    // Waves of concurrent tokens, each naming a kid never seen before.
    for wave in 0..10 {
        let calls: Vec<_> = (0..20)
            .map(|n| {
                let token = naming(&stranger, &format!("kid-{wave}-{n}"), &claims("m", &[]));
                let verifier = verifier.clone();
                tokio::spawn(async move { verifier.verify(&token).await })
            })
            .collect();
        for call in calls {
            assert_eq!(call.await.unwrap(), Err(AuthError::KeysUnavailable));
        }
    }
    let fetches = issuer.fetches.load(std::sync::atomic::Ordering::SeqCst);
    assert!(
        fetches <= 2,
        "{fetches} fetches for 200 tokens while the issuer is down"
    );
}

#[tokio::test]
async fn an_issuer_back_after_an_outage_is_asked_again_once_the_refresh_interval_passed() {
    let issuer = TestIssuer::start().await;
    issuer.set_down(true);
    let mut config = AuthConfig::new(crate::testing::ISSUER, crate::testing::AUDIENCE);
    config.jwks_min_refresh = Duration::from_millis(300);
    let verifier = Verifier::new(&config, JwksSource::Url(issuer.jwks_url.clone()));
    let token = issuer.token("ada", &["planner"]);
    assert_eq!(
        verifier.verify(&token).await,
        Err(AuthError::KeysUnavailable)
    );
    issuer.set_down(false);
    tokio::time::sleep(Duration::from_millis(400)).await;
    let identity = verifier
        .verify(&token)
        .await
        .expect("the issuer's keys again");
    assert_eq!(identity.subject, "ada");
}
