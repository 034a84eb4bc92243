//! gcsync: a PureConnect (CIC) plugin that keeps a Genesys Cloud organization in step with the CIC
//! configuration. See README.md for the C API, settings and behaviour.

#![deny(missing_docs)]

pub mod genesys;
pub mod metrics;
pub mod result;
pub mod secret;
