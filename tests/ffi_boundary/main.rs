//! Everything that crosses the C boundary is checked: NULL, invalid UTF-8, malformed, unknown or
//! missing fields, oversized payloads, small buffers, unknown kinds.

#[path = "../common/mod.rs"]
mod common;

mod cases;
mod entries;
mod messages;
mod utf16;
