//! End-to-end tests: the real binaries in scratch directories, every negative vector, and
//! interoperability with the reference JavaScript implementations.

mod broken_pipe;
mod cli;
mod first_hour;
mod inputs;
mod interop;
mod issuer_bulk;
mod issuer_cli;
mod issuer_serve;
mod negative;
mod presentation;
mod verifier_load;
mod verifier_serve;
mod wallet;
