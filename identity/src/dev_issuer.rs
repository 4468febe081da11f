//! The embedded default's own issuer (DESIGN §9): an Ed25519 key in the data
//! directory (created on first start, mode 0600), tokens minted with it by
//! `pitlane token`, and a verifier that trusts only that key. It is an issuer like
//! any other to the rest of the code: tokens still go through the same verifier.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::{
    AlgorithmParameters, CommonParameters, EllipticCurve, Jwk, JwkSet, KeyAlgorithm,
    OctetKeyPairParameters, OctetKeyPairType, PublicKeyUse,
};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::config::AuthConfig;
use crate::keys::JwksSource;
use crate::role::Role;
use crate::verifier::Verifier;

/// The `iss` of development tokens.
pub const DEV_ISSUER: &str = "pitlane-dev";
/// The `aud` of development tokens (and the default audience of every issuer).
pub const DEV_AUDIENCE: &str = "pitlane";

const PEM_LABEL: &str = "PITLANE DEVELOPMENT ISSUER KEY (PKCS#8, Ed25519)";
const WHAT: &str = "a development issuer key";

/// What a minted token says.
#[derive(Debug, Clone)]
pub struct TokenRequest {
    pub subject: String,
    pub roles: Vec<Role>,
    pub driver_id: Option<String>,
    pub ttl: Duration,
}

impl TokenRequest {
    pub fn new(subject: impl Into<String>, role: Role) -> Self {
        TokenRequest {
            subject: subject.into(),
            roles: vec![role],
            driver_id: None,
            ttl: Duration::from_secs(8 * 3600),
        }
    }

    pub fn driver(mut self, driver_id: impl Into<String>) -> Self {
        self.driver_id = Some(driver_id.into());
        self
    }

    pub fn ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }
}

/// The development issuer.
pub struct DevIssuer {
    path: PathBuf,
    kid: String,
    public: Vec<u8>,
    encoding: EncodingKey,
}

impl std::fmt::Debug for DevIssuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DevIssuer")
            .field("path", &self.path)
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl DevIssuer {
    /// Opens the key at `path`, creating it (0600, never overwritten) when missing.
    pub fn load_or_create(path: &Path) -> std::io::Result<Self> {
        let pkcs8 = es_core::keyfile::load_or_create(path, PEM_LABEL, WHAT)?;
        Self::from_pkcs8(path, &pkcs8)
    }

    /// Opens an existing key.
    pub fn open(path: &Path) -> std::io::Result<Self> {
        Self::from_pkcs8(path, &es_core::keyfile::open(path, WHAT)?)
    }

    fn from_pkcs8(path: &Path, pkcs8: &[u8]) -> std::io::Result<Self> {
        let pair = Ed25519KeyPair::from_pkcs8(pkcs8)
            .map_err(|_| std::io::Error::other(format!("{WHAT} is not Ed25519")))?;
        let public = pair.public_key().as_ref().to_vec();
        let kid = hex_prefix(&Sha256::digest(&public));
        Ok(DevIssuer {
            path: path.to_owned(),
            kid,
            public,
            encoding: EncodingKey::from_ed_der(pkcs8),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The public key as a JWKS, as an issuer would publish it.
    pub fn jwks(&self) -> JwkSet {
        JwkSet {
            keys: vec![Jwk {
                common: CommonParameters {
                    public_key_use: Some(PublicKeyUse::Signature),
                    key_algorithm: Some(KeyAlgorithm::EdDSA),
                    key_id: Some(self.kid.clone()),
                    ..CommonParameters::default()
                },
                algorithm: AlgorithmParameters::OctetKeyPair(OctetKeyPairParameters {
                    key_type: OctetKeyPairType::OctetKeyPair,
                    curve: EllipticCurve::Ed25519,
                    x: URL_SAFE_NO_PAD.encode(&self.public),
                }),
            }],
        }
    }

    /// A verifier that trusts this issuer only.
    pub fn verifier(&self) -> Verifier {
        Verifier::new(
            &AuthConfig::new(DEV_ISSUER, DEV_AUDIENCE),
            JwksSource::Static(self.jwks()),
        )
    }

    /// A signed token.
    pub fn mint(&self, request: &TokenRequest) -> String {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        let roles: Vec<&str> = request.roles.iter().map(|r| r.as_str()).collect();
        let mut claims = json!({
            "iss": DEV_ISSUER,
            "aud": DEV_AUDIENCE,
            "sub": request.subject,
            "iat": now,
            "nbf": now,
            "exp": now + request.ttl.as_secs(),
            "jti": uuid::Uuid::now_v7().to_string(),
            "roles": roles,
        });
        if let Some(driver) = &request.driver_id {
            claims["driver_id"] = json!(driver);
        }
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, &claims, &self.encoding)
            .expect("an Ed25519 key read back from its PKCS#8 signs")
    }
}

fn hex_prefix(bytes: &[u8]) -> String {
    bytes[..8].iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_file_is_created_once_private_to_its_owner_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("issuer.key");
        let first = DevIssuer::load_or_create(&path).unwrap();
        let again = DevIssuer::load_or_create(&path).unwrap();
        assert_eq!(
            first.kid(),
            again.kid(),
            "an existing key is never replaced"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[tokio::test]
    async fn a_minted_token_verifies_with_its_subject_roles_and_driver() {
        let dir = tempfile::tempdir().unwrap();
        let issuer = DevIssuer::load_or_create(&dir.path().join("k")).unwrap();
        let token = issuer.mint(&TokenRequest::new("grace", Role::Driver).driver("d-1"));
        let identity = issuer.verifier().verify(&token).await.unwrap();
        assert_eq!(identity.subject, "grace");
        assert_eq!(identity.roles, vec![Role::Driver]);
        assert_eq!(identity.driver_id.as_deref(), Some("d-1"));
    }

    #[tokio::test]
    async fn a_token_of_another_data_directory_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let ours = DevIssuer::load_or_create(&dir.path().join("a")).unwrap();
        let theirs = DevIssuer::load_or_create(&dir.path().join("b")).unwrap();
        let token = theirs.mint(&TokenRequest::new("mallory", Role::Admin));
        assert!(ours.verifier().verify(&token).await.is_err());
    }
}
