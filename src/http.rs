//! A small REST client for the platform's own tools (benchmarks, the demo data): one
//! keep-alive HTTP/1.1 connection to the BFF, driven with hyper directly.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};

/// The BFF and the `Authorization` header its clients send.
pub struct Target {
    pub base: String,
    pub authorization: String,
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.base)
    }
}

/// One keep-alive HTTP/1.1 connection, driven with hyper directly: a load generator
/// should spend as little of the two cores as it can (like `wrk`).
pub struct Client {
    sender: hyper::client::conn::http1::SendRequest<Full<Bytes>>,
    host: String,
    authorization: String,
    /// Sent as `X-Consistency-Token` when set: reads (the BFF's own checks included)
    /// wait for that write.
    pub consistency: Option<String>,
}

/// A response: status, `X-Consistency-Token`, body.
pub struct Answer {
    pub status: hyper::StatusCode,
    pub token: Option<String>,
    pub body: Bytes,
}

impl Client {
    pub async fn connect(target: &Target) -> anyhow::Result<Self> {
        let host = target.base.trim_start_matches("http://").to_owned();
        let stream = tokio::net::TcpStream::connect(&host).await?;
        stream.set_nodelay(true)?;
        let (sender, connection) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await?;
        tokio::spawn(connection);
        Ok(Client {
            sender,
            host,
            authorization: target.authorization.clone(),
            consistency: None,
        })
    }

    pub async fn send(
        &mut self,
        method: hyper::Method,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> anyhow::Result<Answer> {
        let body = match body {
            Some(json) => Bytes::from(serde_json::to_vec(json)?),
            None => Bytes::new(),
        };
        let mut request = hyper::Request::builder()
            .method(method)
            .uri(path)
            .header(hyper::header::HOST, &self.host)
            .header(hyper::header::AUTHORIZATION, &self.authorization)
            .header(hyper::header::CONTENT_TYPE, "application/json");
        if let Some(token) = &self.consistency {
            request = request.header("x-consistency-token", token);
        }
        let request = request.body(Full::new(body))?;
        self.sender.ready().await?;
        let response = self.sender.send_request(request).await?;
        let status = response.status();
        let token = response
            .headers()
            .get("x-consistency-token")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = response.into_body().collect().await?.to_bytes();
        Ok(Answer {
            status,
            token,
            body,
        })
    }
}
