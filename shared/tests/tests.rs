//! The single integration-test binary of passerelle-core: one module per area.

mod did;
mod jose;
mod status;
