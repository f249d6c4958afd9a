//! The service's clients' side: find the running service of a state directory (`service.json`
//! and a live answer), call its API with the token, and follow its events.

use std::io;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use crate::control::discovery::{self, ServiceInfo};
use crate::service::hub::Published;

/// Why a call to the service did not give an answer.
#[derive(Debug, thiserror::Error)]
pub(crate) enum RemoteError {
    #[error("cannot reach the hotelcare service at {address}: {error}")]
    Unreachable {
        address: std::net::SocketAddr,
        error: String,
    },
    /// The service answered with an error (`body` is its JSON).
    #[error("the hotelcare service answered {status}: {message}")]
    Answer {
        status: u16,
        message: String,
        body: Value,
    },
    #[error(
        "a hotelcare service runs for this state directory, but its token cannot be read: {0}; run this command as the service's user"
    )]
    Token(io::Error),
}

/// A running service.
pub(crate) struct Remote {
    pub(crate) info: ServiceInfo,
    base: String,
    token: String,
    http: reqwest::Client,
}

impl Remote {
    /// The service of `state_dir`, if one runs and answers. `Ok(None)`: none (or a stale
    /// `service.json` of one that is gone): work in-process.
    pub(crate) async fn find(state_dir: &Path) -> Result<Option<Self>, RemoteError> {
        let Some(info) = ServiceInfo::read(state_dir) else {
            return Ok(None);
        };
        let Ok(http) = client() else {
            return Ok(None);
        };
        if !info.address.ip().is_loopback() {
            return Ok(None);
        }
        let base = format!("http://{}", info.address);
        // The token goes only to the start of the service that wrote `service.json`: a stale
        // file's address may be taken by another program since.
        let answer = http
            .get(format!("{base}/v1/instance"))
            .timeout(Duration::from_secs(2))
            .send()
            .await;
        let instance = match answer {
            Ok(answer) if answer.status().is_success() => answer
                .bytes()
                .await
                .ok()
                .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok())
                .and_then(|v| v.get("instance").and_then(Value::as_str).map(str::to_owned)),
            _ => None,
        };
        if instance.as_deref() != Some(info.instance.as_str()) || info.instance.is_empty() {
            return Ok(None);
        }
        let token = discovery::read_token(state_dir).map_err(RemoteError::Token)?;
        Ok(Some(Self {
            info,
            base,
            token,
            http,
        }))
    }

    pub(crate) async fn get(&self, path: &str) -> Result<Value, RemoteError> {
        self.call(self.http.get(self.url(path))).await
    }

    pub(crate) async fn post(&self, path: &str, body: Vec<u8>) -> Result<Value, RemoteError> {
        self.call(
            self.http
                .post(self.url(path))
                .header(reqwest::header::CONTENT_TYPE, "text/plain; charset=utf-8")
                .body(body),
        )
        .await
    }

    pub(crate) async fn delete(&self, path: &str) -> Result<Value, RemoteError> {
        self.call(self.http.delete(self.url(path))).await
    }

    /// Subscribes to the service's events (before anything is submitted, so none is missed).
    pub(crate) async fn events(&self, raw: bool) -> Result<Events, RemoteError> {
        let answer = self
            .http
            .get(self.url(&format!("/v1/events?raw={raw}")))
            .bearer_auth(&self.token)
            .send()
            .await
            .map_err(|e| self.unreachable(&e))?;
        if !answer.status().is_success() {
            return Err(RemoteError::Answer {
                status: answer.status().as_u16(),
                message: "the event stream was refused".into(),
                body: Value::Null,
            });
        }
        Ok(Events {
            answer,
            buffer: Vec::new(),
        })
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn unreachable(&self, error: &reqwest::Error) -> RemoteError {
        RemoteError::Unreachable {
            address: self.info.address,
            error: error.to_string(),
        }
    }

    async fn call(&self, request: reqwest::RequestBuilder) -> Result<Value, RemoteError> {
        let answer = request
            .bearer_auth(&self.token)
            .send()
            .await
            .map_err(|e| self.unreachable(&e))?;
        let status = answer.status();
        let bytes = answer.bytes().await.map_err(|e| self.unreachable(&e))?;
        let body: Value = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
        if status.is_success() {
            Ok(body)
        } else {
            let message = body
                .get("error")
                .and_then(Value::as_str)
                .map_or_else(|| status.to_string(), str::to_owned);
            Err(RemoteError::Answer {
                status: status.as_u16(),
                message,
                body,
            })
        }
    }
}

/// An HTTP client for loopback: no proxy (an `HTTP_PROXY` must not see the token), no
/// redirects, TLS set up explicitly (the API is plain HTTP on loopback; no certificate is
/// ever trusted through it).
fn client() -> Result<reqwest::Client, String> {
    let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| e.to_string())?
    .with_root_certificates(rustls::RootCertStore::empty())
    .with_no_client_auth();
    reqwest::Client::builder()
        .use_preconfigured_tls(tls)
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(5))
        .build()
        .map_err(|e| e.to_string())
}

/// What the event stream brings.
#[derive(Debug)]
pub(crate) enum Item {
    Event(Box<Published>),
    /// The listener fell behind and lost this many events.
    Lagged(u64),
}

/// The service's events (Server-Sent Events).
pub(crate) struct Events {
    answer: reqwest::Response,
    buffer: Vec<u8>,
}

impl Events {
    /// The next event; `None` when the service closed the stream (it stopped, or is gone).
    pub(crate) async fn next(&mut self) -> Option<Item> {
        loop {
            if let Some(end) = find_blank_line(&self.buffer) {
                let block: Vec<u8> = self.buffer.drain(..end).collect();
                if let Some(item) = parse_block(&String::from_utf8_lossy(&block)) {
                    return Some(item);
                }
                continue;
            }
            match self.answer.chunk().await {
                Ok(Some(chunk)) => self.buffer.extend_from_slice(&chunk),
                Ok(None) | Err(_) => return None,
            }
        }
    }
}

/// Where the first event block ends (after its blank line).
fn find_blank_line(buffer: &[u8]) -> Option<usize> {
    buffer
        .windows(2)
        .position(|w| w == b"\n\n")
        .map(|at| at + 2)
}

/// One SSE block: `event:` and `data:` lines; comments (keep-alives) give nothing.
fn parse_block(block: &str) -> Option<Item> {
    let mut event = "message";
    let mut data = String::new();
    for line in block.lines() {
        if let Some(value) = line.strip_prefix("event:") {
            event = value.trim();
        } else if let Some(value) = line.strip_prefix("data:") {
            if !data.is_empty() {
                data.push('\n');
            }
            data.push_str(value.strip_prefix(' ').unwrap_or(value));
        }
    }
    match event {
        "lagged" => Some(Item::Lagged(data.trim().parse().unwrap_or(0))),
        _ if data.is_empty() => None,
        _ => serde_json::from_str(&data)
            .ok()
            .map(|published| Item::Event(Box::new(published))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sse_blocks_are_read_as_events_lags_and_keep_alives() {
        assert!(parse_block(":\n\n").is_none(), "a keep-alive comment");
        assert!(matches!(
            parse_block("event: lagged\ndata: 12\n\n"),
            Some(Item::Lagged(12))
        ));
        let data = r#"data: {"id":3,"type":"finished","seq":7,"source":"x.hc:1","room":"1000","command":"CHECKOUT","outcome":"done","reason":null,"lines":["done"]}"#;
        match parse_block(&format!("{data}\n\n")) {
            Some(Item::Event(event)) => {
                assert_eq!(event.seq, Some(7));
                assert_eq!(event.outcome.as_deref(), Some("done"));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(find_blank_line(b"data: x\n\ndata: y"), Some(9));
    }
}
