//! The signing pool: the threads that check and sign credentials (eddsa-rdfc-2022 is CPU work
//! that must stay off the async workers). [`crate::issuance::Issuer::issue`] signs one
//! credential on it from a blocking task; [`crate::bulk`] runs whole batches on it with rayon.
//! Kept apart from both so neither needs the other for it.

use std::num::NonZeroUsize;
use std::sync::OnceLock;

/// The threads that check and sign: one per core, each with a stack large enough for JSON-LD
/// processing ([`passerelle_core::jsonld::PROCESSING_STACK_BYTES`]) so that it runs in place
/// instead of mapping a fresh stack for every credential (system calls and page faults each
/// time). The stack is reserved address space; only the pages used become memory.
fn signing_pool() -> Option<&'static rayon::ThreadPool> {
    static POOL: OnceLock<Option<rayon::ThreadPool>> = OnceLock::new();
    POOL.get_or_init(|| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(std::thread::available_parallelism().map_or(1, NonZeroUsize::get))
            .stack_size(passerelle_core::jsonld::PROCESSING_STACK_BYTES + (8 << 20))
            .thread_name(|i| format!("passerelle-sign-{i}"))
            .build()
            .ok()
    })
    .as_ref()
}

/// Runs `work` (rayon parallel iterators inside it included) on [`signing_pool`]; on the
/// global rayon pool if that pool could not be started.
pub(crate) fn on_signing_pool<R: Send>(work: impl FnOnce() -> R + Send) -> R {
    match signing_pool() {
        Some(pool) => pool.install(work),
        None => work(),
    }
}
