//! The single integration-test binary of passerelle-core: one module per area.

mod contexts;
mod did;
mod jose;
mod status;
