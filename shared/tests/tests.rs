//! The passerelle-core integration tests: one binary, one module per area.

mod model;
mod schema;
