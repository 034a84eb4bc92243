//! The client against loopback servers with scripted answers.

#[path = "../client_support/mod.rs"]
mod common;
#[path = "../common/proxy.rs"]
mod proxy;

mod requests;
mod retries;
mod tokens;
mod transport;

use gcsync::genesys::{ApiError, Client, Method};
use gcsync::metrics::Metrics;
use std::sync::Arc;

fn client(cfg: gcsync::genesys::ClientConfig) -> (Client, Arc<Metrics>) {
    let metrics = Arc::new(Metrics::default());
    (Client::new(cfg, metrics.clone()).unwrap(), metrics)
}

fn get(c: &Client, path: &str) -> Result<gcsync::genesys::ApiResponse, ApiError> {
    c.request(Method::Get, path, &[], None)
}
