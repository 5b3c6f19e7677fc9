//! Shared by the web tests: the site over a store loaded from the real demo data.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use http_body_util::BodyExt;
use lobbyscope_store_sqlite::SqliteStore;
use tower::ServiceExt;

pub fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(rel)
}

/// A fresh store in a temporary folder, loaded with `paths`.
pub async fn store_with(paths: &[PathBuf]) -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("web.sqlite")).await.unwrap();
    let report = lobbyscope_ingest::import_paths(&store, paths, &lobbyscope_ingest::Quiet).await.unwrap();
    assert!(!report.failed(), "{report:?}");
    (dir, store)
}

/// The site over the whole demo data set.
pub async fn demo_app() -> (tempfile::TempDir, Router) {
    let (dir, store) = store_with(&[repo("demo")]).await;
    (dir, lobbyscope_web::router(Arc::new(store)))
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

pub async fn get(app: &Router, uri: &str) -> Reply {
    let response = app.clone().oneshot(Request::get(uri).body(Body::empty()).unwrap()).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    Reply { status, headers, body: String::from_utf8(bytes.to_vec()).unwrap() }
}

/// The text of an HTML page with tags dropped and whitespace collapsed, for asserting what a
/// reader sees.
pub fn visible_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => {
                in_tag = true;
                out.push(' ');
            }
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    let text = out.split_whitespace().collect::<Vec<_>>().join(" ");
    // The entities askama writes; `&amp;` last so that it cannot make new ones.
    [
        ("&#34;", "\""),
        ("&quot;", "\""),
        ("&#39;", "'"),
        ("&lt;", "<"),
        ("&#60;", "<"),
        ("&gt;", ">"),
        ("&#62;", ">"),
        ("&amp;", "&"),
        ("&#38;", "&"),
    ]
    .iter()
    .fold(text, |t, (entity, c)| t.replace(entity, c))
}
