//! End-to-end tests: the real binaries in scratch directories, every negative vector, and
//! interoperability with the reference JavaScript implementations.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests, benches and examples: a panic is a failed run, with its message"
)]

mod broken_pipe;
mod cli;
mod first_hour;
mod https_issuer;
mod inputs;
mod interop;
mod issuer_bulk;
mod issuer_cli;
mod issuer_serve;
mod negative;
mod obapi;
mod obapi_conformance;
mod oid4vci;
mod presentation;
mod verifier_load;
mod verifier_serve;
mod wallet;
