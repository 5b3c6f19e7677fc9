//! Errors as pages: a 404 or 400 page that says what went wrong, JSON under `/api`; the same
//! for the errors the site's layers answer (busy, too slow, too large, no such method).

use askama::Template;
use axum::Json;
use axum::body::HttpBody;
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use lobbyscope_store::StoreError;

#[derive(Debug)]
pub enum WebError {
    NotFound(String),
    BadRequest(String),
    Store(StoreError),
    Render(askama::Error),
}

impl From<StoreError> for WebError {
    fn from(e: StoreError) -> Self {
        WebError::Store(e)
    }
}

impl From<askama::Error> for WebError {
    fn from(e: askama::Error) -> Self {
        WebError::Render(e)
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    title: &'a str,
    message: &'a str,
}

impl WebError {
    fn parts(&self) -> (StatusCode, &'static str, String) {
        match self {
            WebError::NotFound(m) => (StatusCode::NOT_FOUND, "Not found", m.clone()),
            WebError::BadRequest(m) => (StatusCode::BAD_REQUEST, "Bad request", m.clone()),
            WebError::Store(e @ StoreError::Unavailable(_)) => {
                tracing::error!(error = %e, "store unavailable");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Unavailable",
                    "The database cannot be reached: try again in a moment.".into(),
                )
            }
            WebError::Store(e @ StoreError::TooSlow(_)) => {
                tracing::warn!(error = %e, "store statement stopped");
                (
                    StatusCode::GATEWAY_TIMEOUT,
                    title(StatusCode::GATEWAY_TIMEOUT),
                    Failure::of(StatusCode::GATEWAY_TIMEOUT).message,
                )
            }
            WebError::Store(e) => {
                tracing::error!(error = %e, "store error");
                (StatusCode::INTERNAL_SERVER_ERROR, "Server error", "The database could not answer.".into())
            }
            WebError::Render(e) => {
                tracing::error!(error = %e, "template error");
                (StatusCode::INTERNAL_SERVER_ERROR, "Server error", "The page could not be drawn.".into())
            }
        }
    }

    /// The same error for the JSON API.
    pub fn json(self) -> Response {
        self.answer(true)
    }

    fn answer(self, api: bool) -> Response {
        let (status, title, message) = self.parts();
        let mut response = answer(status, Failure { title, message }, api);
        // A database that went away usually comes back: say when to ask again, as the busy
        // answer does (and a proxy may try another server meanwhile).
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response.headers_mut().insert(header::RETRY_AFTER, axum::http::HeaderValue::from_static("5"));
        }
        response
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        self.answer(false)
    }
}

/// What went wrong, kept on an error answer, so that [`bodies`] can tell an answer that says
/// it from one that a layer or axum left bare.
#[derive(Clone, Debug)]
pub(crate) struct Failure {
    title: &'static str,
    message: String,
}

impl Failure {
    /// What an error answer says when nothing of ours said more.
    fn of(status: StatusCode) -> Failure {
        let message = match status {
            StatusCode::NOT_FOUND => "There is no page at this address.",
            StatusCode::METHOD_NOT_ALLOWED => "This address answers GET and HEAD requests only.",
            StatusCode::PAYLOAD_TOO_LARGE => "This site takes no request bodies.",
            StatusCode::INTERNAL_SERVER_ERROR => "The page could not be made.",
            StatusCode::GATEWAY_TIMEOUT => "The answer took too long to make.",
            s if s.is_server_error() => "The server could not answer.",
            _ => "The request could not be answered.",
        };
        Failure { title: title(status), message: message.into() }
    }
}

/// An error page's heading and the API's `error`, in the words [`WebError`]'s have.
fn title(status: StatusCode) -> &'static str {
    match status {
        StatusCode::BAD_REQUEST => "Bad request",
        StatusCode::NOT_FOUND => "Not found",
        StatusCode::METHOD_NOT_ALLOWED => "Method not allowed",
        StatusCode::PAYLOAD_TOO_LARGE => "Request too large",
        StatusCode::URI_TOO_LONG => "Address too long",
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE => "Headers too large",
        StatusCode::SERVICE_UNAVAILABLE => "Busy",
        StatusCode::GATEWAY_TIMEOUT => "Too slow",
        s if s.is_server_error() => "Server error",
        s => s.canonical_reason().unwrap_or("Error"),
    }
}

/// An error answer: the site's error page, or under `/api` `{"error": title, "message": …}`.
fn answer(status: StatusCode, failure: Failure, api: bool) -> Response {
    let mut response = if api {
        (status, Json(serde_json::json!({ "error": failure.title, "message": failure.message }))).into_response()
    } else {
        match (ErrorPage { title: failure.title, message: &failure.message }).render() {
            Ok(html) => (status, Html(html)).into_response(),
            Err(_) => (status, failure.message.clone()).into_response(),
        }
    };
    response.extensions_mut().insert(failure);
    response
}

/// An error a layer answers, before it knows in which form: [`bodies`] writes it out as a
/// page or as JSON.
pub(crate) fn layer_error(status: StatusCode, message: &str) -> Response {
    let mut response = status.into_response();
    response.extensions_mut().insert(Failure { title: title(status), message: message.into() });
    response
}

/// Keeps an answer a handler wrote in its own form (a probe's short text) as it is.
pub(crate) fn as_written(mut response: Response, message: &str) -> Response {
    let title = title(response.status());
    response.extensions_mut().insert(Failure { title, message: message.into() });
    response
}

fn is_api(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/")
}

/// The middleware that gives every error answer a body in the form its address calls for: a
/// page on the site, JSON under `/api`, whether a handler, a layer (the time limit, the busy
/// server, the size limits, a panic) or axum (405, a path it could not decode) answered.
pub(crate) async fn bodies(request: Request, next: Next) -> Response {
    let api = is_api(request.uri().path());
    let response = next.run(request).await;
    let status = response.status();
    if !status.is_client_error() && !status.is_server_error() {
        return response;
    }
    let json =
        response.headers().get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    let failure = response.extensions().get::<Failure>().cloned();
    // Ours and already in its form: JSON under /api, a page or a probe's text elsewhere.
    if failure.is_some() && if api { json } else { !response.body().is_end_stream() } {
        return response;
    }
    let failure = failure.unwrap_or_else(|| Failure::of(status));
    let (parts, _) = response.into_parts();
    let mut written = answer(status, failure, api);
    // What the answer said besides its body stays (`Allow` on a 405, `Retry-After` on a 503).
    for name in parts.headers.keys() {
        if *name == header::CONTENT_TYPE || *name == header::CONTENT_LENGTH || written.headers().contains_key(name) {
            continue;
        }
        for value in parts.headers.get_all(name) {
            written.headers_mut().append(name.clone(), value.clone());
        }
    }
    written
}

/// A handler result for JSON routes: errors answer in JSON too.
pub struct ApiResult<T>(pub Result<T, WebError>);

impl<T: serde::Serialize> IntoResponse for ApiResult<T> {
    fn into_response(self) -> Response {
        match self.0 {
            Ok(v) => Json(v).into_response(),
            Err(e) => e.json(),
        }
    }
}
