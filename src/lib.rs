//! gcsync: a PureConnect (CIC) plugin that keeps a Genesys Cloud organization in step with the CIC
//! configuration. See README.md for the C API, settings and behaviour.
//!
//! Modules: `ffi` (the C API) over `runtime` (lifecycle and operations); hooks feed the `queue`;
//! the `worker` drains it, using the pure `mapping` and `diff` and the I/O edges `user_sync` /
//! `genesys` (network) and `store` (disk).

#![deny(missing_docs)]

pub mod assignments;
pub mod audit;
pub mod batch;
pub mod cancel;
pub mod cic;
pub mod clock;
pub mod diff;
pub mod engine;
pub mod ffi;
pub mod fullsync;
pub mod genesys;
pub mod host;
pub mod json_out;
pub mod kinds;
pub mod logging;
pub mod mapping;
pub mod metrics;
pub mod object;
pub mod objects;
pub mod overview;
pub mod payloads;
pub mod platform;
pub mod presence;
pub mod queue;
pub mod result;
pub mod runtime;
pub mod secret;
pub mod settings;
pub mod status;
pub mod store;
pub mod threads;
pub mod usage;
pub mod user_sync;
pub mod waiting;
pub mod worker;
pub mod writer;
