//! The wallet's integration tests: one binary, a module per area (the flows that need a server;
//! the library's pure pieces are tested in their modules).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests: a panic is a failed run, with its message"
)]

mod languages;
mod obapi;
mod oid4vci;
