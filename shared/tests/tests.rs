//! The single integration-test binary of passerelle-core: one module per area.

mod canon;
mod contexts;
mod did;
mod jose;
mod proofs;
mod status;
mod util;
