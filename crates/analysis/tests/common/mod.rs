//! A chat-completions server on 127.0.0.1 for the tests: it replays scripted answers, records
//! what it was sent, and injects faults (status codes, `Retry-After`, delays).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a broken expectation fails the test"
)]
#![allow(dead_code)]

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::Value;

/// A recorded answer in tests/llm.
pub fn fixture(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/llm").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A chat-completions answer whose message content is `content`.
pub fn completion(content: &Value) -> String {
    serde_json::json!({
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": content.to_string()}}],
        "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120}
    })
    .to_string()
}

pub struct Reply {
    pub status: u16,
    pub retry_after: Option<&'static str>,
    pub body: String,
    pub delay: Duration,
}

impl Reply {
    pub fn fixture(name: &str) -> Reply {
        Reply { status: 200, retry_after: None, body: fixture(name), delay: Duration::ZERO }
    }
    pub fn status(status: u16) -> Reply {
        Reply { status, retry_after: None, body: format!("{{\"error\":\"replayed {status}\"}}"), delay: Duration::ZERO }
    }
    pub fn with_retry_after(mut self, value: &'static str) -> Reply {
        self.retry_after = Some(value);
        self
    }
    pub fn delayed(mut self, delay: Duration) -> Reply {
        self.delay = delay;
        self
    }
}

pub struct Received {
    pub body: Value,
    pub authorization: Option<String>,
}

/// Answers a request from its body.
pub type Responder = Box<dyn Fn(&Value) -> Reply + Send>;

/// Replies in order; when they run out, the responder answers (if any) from the request body.
#[derive(Default)]
pub struct Script {
    replies: VecDeque<Reply>,
    responder: Option<Responder>,
    pub received: Vec<Received>,
    in_flight: usize,
    pub max_in_flight: usize,
}

pub type Shared = Arc<Mutex<Script>>;

/// Counts the request out even when the client gave up and the handler was dropped mid-sleep.
struct InFlight(Shared);

impl Drop for InFlight {
    fn drop(&mut self) {
        if let Ok(mut s) = self.0.lock() {
            s.in_flight -= 1;
        }
    }
}

async fn chat_completions(State(shared): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let reply = {
        let mut s = shared.lock().unwrap();
        s.in_flight += 1;
        s.max_in_flight = s.max_in_flight.max(s.in_flight);
        s.received.push(Received {
            body: serde_json::from_slice(&body).unwrap_or(Value::Null),
            authorization: headers.get("authorization").and_then(|v| v.to_str().ok()).map(str::to_string),
        });
        let body = s.received.last().map(|r| r.body.clone()).unwrap_or(Value::Null);
        s.replies.pop_front().or_else(|| s.responder.as_ref().map(|answer| answer(&body)))
    };
    let _guard = InFlight(shared.clone());
    let Some(reply) = reply else {
        return (StatusCode::GONE, "the script has no more replies").into_response();
    };
    tokio::time::sleep(reply.delay).await;
    let mut response =
        (StatusCode::from_u16(reply.status).unwrap(), [("content-type", "application/json")], reply.body)
            .into_response();
    if let Some(v) = reply.retry_after {
        response.headers_mut().insert("retry-after", v.parse().unwrap());
    }
    response
}

pub struct Server {
    pub shared: Shared,
    pub base_url: String,
}

impl Server {
    pub async fn start(replies: Vec<Reply>) -> Server {
        Server::with_script(Script { replies: replies.into(), ..Script::default() }).await
    }

    /// A server that answers every request with `responder`.
    pub async fn answering(responder: impl Fn(&Value) -> Reply + Send + 'static) -> Server {
        Server::with_script(Script { responder: Some(Box::new(responder)), ..Script::default() }).await
    }

    async fn with_script(script: Script) -> Server {
        let shared: Shared = Arc::new(Mutex::new(script));
        let app = Router::new().route("/v1/chat/completions", post(chat_completions)).with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        Server { shared, base_url: format!("http://{addr}/v1") }
    }

    pub fn received(&self) -> usize {
        self.shared.lock().unwrap().received.len()
    }

    pub fn first_request(&self) -> (Value, Option<String>) {
        let s = self.shared.lock().unwrap();
        let r = &s.received[0];
        (r.body.clone(), r.authorization.clone())
    }
}
