//! `rdfc_profile` with `mimalloc` as the global allocator: how much of an `eddsa-rdfc-2022`
//! signature is the system allocator's. Most of what is left after the context cache is the
//! `json-ld` crate copying active contexts (allocation-heavy), which a binary (the issuer or
//! verifier service) can make cheaper with its allocator choice; the core library itself does
//! not set one. Same workload, same environment variable (`PASSERELLE_PROFILE_ITERATIONS`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests, benches and examples: a panic is a failed run, with its message"
)]

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[path = "rdfc_profile.rs"]
mod workload;

fn main() {
    workload::main();
}
