//! The single integration-test binary of passerelle-core: one module per area.

mod address_policy;
mod bake;
mod canon;
mod contexts;
mod did;
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
