//! Errors as pages: a 404 or 400 page that says what went wrong, JSON under `/api`.

use askama::Template;
use axum::Json;
use axum::http::StatusCode;
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
        let (status, title, message) = self.parts();
        (status, Json(serde_json::json!({ "error": title, "message": message }))).into_response()
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let (status, title, message) = self.parts();
        let page = ErrorPage { title, message: &message };
        match page.render() {
            Ok(html) => (status, Html(html)).into_response(),
            Err(_) => (status, message).into_response(),
        }
    }
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
