//! The site on a socket: HTTP/1 connections served by hyper with the bounds a public server
//! needs and `axum::serve` does not expose.
//!
//! - A request's head must arrive within the header timeout, counted from the connection's
//!   start or from the end of the previous answer: hyper's header-read timer starts again as
//!   soon as a connection falls idle, so the same bound closes half-sent requests and idle
//!   keep-alive connections alike.
//! - At most [`ServerOptions::max_connections`] connections are served at once; past that the
//!   server stops accepting, so that further clients wait in the kernel's queue (and time out
//!   there) instead of costing a task and buffers each. The header timeout frees the places
//!   of clients that connect and send nothing.
//! - A write that makes no progress for the send timeout (a client that stopped reading an
//!   export) ends the connection.
//! - hyper reads heads into a buffer of [`HEAD_BUFFER`] and answers a larger head (or more than
//!   [`HEAD_LINES`] lines) itself, with a bare 431 and none of the site's headers: that is the
//!   one answer not made by the router, so the router's own bounds ([`crate::MAX_URI`],
//!   [`crate::MAX_HEADER_BYTES`], [`crate::MAX_HEADERS`]) sit well inside it and answer 414
//!   and 431 as every other page is answered. hyper's other answer of its own is a bare 400
//!   to bytes that are not HTTP at all.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use lobbyscope_store::Store;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_io_timeout::TimeoutStream;
use tower::Service;

use crate::Limits;

/// How a server treats its connections, besides the site's own [`Limits`].
#[derive(Clone, Debug)]
pub struct ServerOptions {
    /// How long a client has to send a request's whole head, from the connection's start or
    /// the end of the previous answer (idle keep-alive connections are closed after as long).
    pub header_timeout: Duration,
    /// How long a write to the client may wait for it to read before the connection is closed.
    pub send_timeout: Duration,
    /// After the shutdown signal, how long answers under way may take to finish.
    pub shutdown_grace: Duration,
    /// Connections served at once; further ones wait to be accepted.
    pub max_connections: usize,
    pub limits: Limits,
    /// The search index the site answers searches from, if any.
    pub search: Option<std::sync::Arc<lobbyscope_index::SearchIndex>>,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            header_timeout: Duration::from_secs(10),
            send_timeout: Duration::from_secs(60),
            shutdown_grace: Duration::from_secs(10),
            // Below the usual soft limit on open files (1,024), which the store's own
            // connections and files share.
            max_connections: 900,
            limits: Limits::default(),
            search: None,
        }
    }
}

/// hyper's read buffer, which bounds a request head: larger than the router's bounds, so that
/// those answer, and small, since a head is read before anything else is known of a client.
const HEAD_BUFFER: usize = 64 << 10;
/// Header lines hyper parses at most (more is its bare 431); the router allows fewer.
const HEAD_LINES: usize = 2 * crate::MAX_HEADERS;

/// Serves the site over `store` on `listener` until `shutdown` completes; then accepts no more
/// connections, lets answers under way finish for [`ServerOptions::shutdown_grace`], and
/// returns.
pub async fn serve(
    listener: TcpListener,
    store: Arc<dyn Store>,
    options: &ServerOptions,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let app = crate::router_searching(store, options.search.clone(), &options.limits, crate::sources::wall_clock());
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(options.header_timeout)
        // The buffer bounds memory; the header size bounds the head exactly (a head that
        // arrives in one read can be larger than the buffer's nominal size).
        .max_buf_size(HEAD_BUFFER)
        .max_header_size(HEAD_BUFFER)
        .max_headers(HEAD_LINES);
    let graceful = GracefulShutdown::new();
    let places = Arc::new(Semaphore::new(options.max_connections));
    let mut shutdown = pin!(shutdown);
    loop {
        let place = tokio::select! {
            place = places.clone().acquire_owned() => match place {
                Ok(place) => place,
                Err(_) => break, // never closed
            },
            () = &mut shutdown => break,
        };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of file descriptors, most likely: wait for some to be closed
                    // rather than spin.
                    tracing::warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let mut io = TimeoutStream::new(stream);
        io.set_write_timeout(Some(options.send_timeout));
        let app = app.clone();
        let service = hyper::service::service_fn(move |request: Request<Incoming>| {
            let mut app = app.clone();
            app.call(request.map(Body::new))
        });
        let connection = graceful.watch(http.serve_connection(TokioIo::new(Box::pin(io)), service));
        tokio::spawn(async move {
            // A client gone, too slow or not speaking HTTP: nothing to do but close.
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "a connection ended");
            }
            drop(place);
        });
    }
    drop(listener);
    let open = graceful.count();
    tracing::info!(open, "shutting down: no new connections");
    if tokio::time::timeout(options.shutdown_grace, graceful.shutdown()).await.is_err() {
        tracing::warn!(grace = ?options.shutdown_grace, "answers still under way at the end of the grace were cut");
    }
    Ok(())
}
