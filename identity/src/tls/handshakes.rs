//! TLS round trips over real sockets: a tonic health service behind the listener
//! configuration of [`TlsSettings::server`], called through channels configured by
//! [`TlsSettings::client`], both read from `PITLANE_TLS_*` as a service reads them.

use std::path::Path;

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, ExtendedKeyUsagePurpose, IsCa, KeyPair,
};
use tonic::transport::server::TcpIncoming;
use tonic::transport::{Channel, Server};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;

use super::*;

/// A certificate (`<name>.pem`) and its key (`<name>.key`) in a directory.
struct Pem {
    cert: String,
    key: String,
}

/// A CA (`<name>-ca.pem`) issuing certificates into `dir`.
struct Ca<'d> {
    dir: &'d Path,
    issuer: CertifiedIssuer<'static, KeyPair>,
    path: String,
}

fn write(dir: &Path, name: &str, pem: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, pem).unwrap();
    path.to_string_lossy().into_owned()
}

impl<'d> Ca<'d> {
    fn new(dir: &'d Path, name: &str) -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let issuer = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
        let path = write(dir, &format!("{name}-ca.pem"), &issuer.pem());
        Ca { dir, issuer, path }
    }

    /// A certificate for `name` (a DNS name), for a server or a client.
    fn issue(&self, name: &str, purpose: ExtendedKeyUsagePurpose) -> Pem {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(vec![name.to_owned()]).unwrap();
        params.extended_key_usages = vec![purpose];
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        Pem {
            cert: write(self.dir, &format!("{name}.pem"), &cert.pem()),
            key: write(self.dir, &format!("{name}.key"), &key.serialize_pem()),
        }
    }
}

/// Settings read from the `PITLANE_TLS_*` variables given.
fn settings(vars: &[(&str, &str)]) -> TlsSettings {
    TlsSettings::from_lookup(|name| {
        vars.iter()
            .find(|(variable, _)| *variable == name)
            .map(|(_, value)| value.to_string())
    })
    .unwrap()
}

/// A health service on 127.0.0.1, port 0, serving TLS as `tls` says; its port.
async fn serve(tls: &TlsSettings) -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let config = tls.server(address).unwrap().expect("a TLS listener");
    let (_, health) = tonic_health::server::health_reporter();
    let server = Server::builder()
        .tls_config(config)
        .unwrap()
        .add_service(health)
        .serve_with_incoming(TcpIncoming::from(listener));
    tokio::spawn(server);
    address.port()
}

/// A health check at `https://localhost:<port>` over a channel configured by `tls`.
async fn check(tls: &TlsSettings, port: u16) -> Result<(), String> {
    let url = format!("https://localhost:{port}");
    let config = tls.client(&url).unwrap().expect("TLS for https://");
    let channel = Channel::from_shared(url)
        .unwrap()
        .tls_config(config)
        .unwrap()
        .connect()
        .await
        .map_err(|e| format!("connect: {e:?}"))?;
    HealthClient::new(channel)
        .check(HealthCheckRequest::default())
        .await
        .map(drop)
        .map_err(|e| format!("check: {e:?}"))
}

#[tokio::test]
async fn a_client_trusting_the_ca_of_pitlane_tls_ca_calls_a_tls_listener_and_one_trusting_another_ca_cannot()
 {
    let dir = tempfile::tempdir().unwrap();
    let ca = Ca::new(dir.path(), "pitlane");
    let server = ca.issue("localhost", ExtendedKeyUsagePurpose::ServerAuth);
    let port = serve(&settings(&[
        ("PITLANE_TLS_CERT", &server.cert),
        ("PITLANE_TLS_KEY", &server.key),
    ]))
    .await;
    let trusting = settings(&[("PITLANE_TLS_CA", &ca.path)]);
    check(&trusting, port).await.expect("a call over TLS");
    let other = Ca::new(dir.path(), "other");
    let stranger = settings(&[("PITLANE_TLS_CA", &other.path)]);
    assert!(check(&stranger, port).await.is_err());
}

#[tokio::test]
async fn where_client_certificates_are_required_only_a_client_with_one_from_the_ca_is_admitted() {
    let dir = tempfile::tempdir().unwrap();
    let ca = Ca::new(dir.path(), "pitlane");
    let server = ca.issue("localhost", ExtendedKeyUsagePurpose::ServerAuth);
    let port = serve(&settings(&[
        ("PITLANE_TLS_CERT", &server.cert),
        ("PITLANE_TLS_KEY", &server.key),
        ("PITLANE_TLS_CA", &ca.path),
        ("PITLANE_TLS_CLIENT_AUTH", "required"),
    ]))
    .await;
    let anonymous = settings(&[("PITLANE_TLS_CA", &ca.path)]);
    let refused = check(&anonymous, port).await;
    assert!(refused.is_err(), "a client without a certificate");
    let ours = ca.issue("query-service", ExtendedKeyUsagePurpose::ClientAuth);
    let client = settings(&[
        ("PITLANE_TLS_CA", &ca.path),
        ("PITLANE_TLS_CERT", &ours.cert),
        ("PITLANE_TLS_KEY", &ours.key),
    ]);
    check(&client, port)
        .await
        .expect("a client certified by the CA");
    let other = Ca::new(dir.path(), "other");
    let theirs = other.issue("mallory", ExtendedKeyUsagePurpose::ClientAuth);
    let impostor = settings(&[
        ("PITLANE_TLS_CA", &ca.path),
        ("PITLANE_TLS_CERT", &theirs.cert),
        ("PITLANE_TLS_KEY", &theirs.key),
    ]);
    assert!(
        check(&impostor, port).await.is_err(),
        "a certificate of another CA"
    );
}

#[tokio::test]
async fn where_client_certificates_are_optional_a_client_without_one_is_admitted() {
    let dir = tempfile::tempdir().unwrap();
    let ca = Ca::new(dir.path(), "pitlane");
    let server = ca.issue("localhost", ExtendedKeyUsagePurpose::ServerAuth);
    let port = serve(&settings(&[
        ("PITLANE_TLS_CERT", &server.cert),
        ("PITLANE_TLS_KEY", &server.key),
        ("PITLANE_TLS_CA", &ca.path),
    ]))
    .await;
    let anonymous = settings(&[("PITLANE_TLS_CA", &ca.path)]);
    check(&anonymous, port)
        .await
        .expect("no certificate asked for");
}
