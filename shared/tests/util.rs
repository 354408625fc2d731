//! Helpers shared by the test modules: locating and reading the vectors.

use std::path::PathBuf;

use serde_json::Value;

/// The shared vectors folder; panics with a clear message when it is absent.
pub fn vectors() -> PathBuf {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/vectors"));
    assert!(
        dir.is_dir(),
        "test vectors folder {} is missing: these tests need the shared vectors checkout",
        dir.display()
    );
    dir
}

pub fn text(relative: &str) -> String {
    let path = vectors().join(relative);
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read vector {}: {e}", path.display()))
}

pub fn json(relative: &str) -> Value {
    serde_json::from_str(&text(relative))
        .unwrap_or_else(|e| panic!("vector {relative} is not JSON: {e}"))
}
