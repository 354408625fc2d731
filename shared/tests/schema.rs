//! JSON Schema validation (filled in next).
