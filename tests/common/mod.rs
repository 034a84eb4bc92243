//! Shared test host: plays the CIC server through gcsync's real C API (the rlib exports), against
//! an in-process Genesys Cloud emulator. Settings and captured log lines live in statics because
//! the plugin is process-global; a mutex serialises tests that share one process (plain
//! `cargo test`), while nextest gives each test its own process.
#![allow(dead_code)]

mod c_api;
pub mod holds;
mod host;
mod org;
mod presence;
pub mod proxy;
pub mod rng;
pub mod routing;
pub mod secrets;
pub mod skills;
mod world;

// Every test binary takes `common::*`; not every one uses every topic.
#[allow(unused_imports)]
pub use {c_api::*, host::*, org::*, presence::*, world::*};
