//! The single integration-test binary of passerelle-core: one module per area.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests, benches and examples: a panic is a failed run, with its message"
)]

mod address_policy;
mod bake;
mod canon;
mod contexts;
mod did;
mod endorsement;
mod jose;
mod model;
mod proofs;
mod qr;
mod recognise;
mod schema;
mod status;
mod typed_terms;
mod util;
mod verify;
mod vp1;
