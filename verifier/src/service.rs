//! The verification service the page, the API and the CLI share: turn what a user gave (text,
//! a file, a QR code's content) into a document, fetch what the core says it needs, and run the
//! core check off the async workers. Every caller renders the same [`verify::Report`].

use std::collections::HashMap;
use std::panic::{self, AssertUnwindSafe};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;

use chrono::{DateTime, Utc};
use serde_json::Value;
use tokio::sync::{oneshot, Semaphore};

use passerelle_core::did::Did;
use passerelle_core::input::{InputError, InputLimits};
use passerelle_core::qr::{self, QrError, DECODE_BUDGET_BYTES};
use passerelle_core::schema::SchemaSet;
use passerelle_core::trust::TrustRegistries;
use passerelle_core::verify::{
    self, CheckOptions, Fetched, Form, Presented, RecogniseError, Recognised, Report,
    VerifyInputError,
};

use crate::fetch::{FetchError, Fetcher};

/// Memory ceiling for image decoding when the operator names none (`--decode-memory-mb`).
pub const DEFAULT_DECODE_MEMORY_BYTES: u64 = 512 * 1024 * 1024;
/// Memory the ceiling keeps for the rest of the service (the process itself, request bodies
/// being read, verifications); image decodes share what is left.
pub const SERVICE_RESERVE_BYTES: u64 = 128 * 1024 * 1024;
/// Seconds a client refused with [`InputProblem::Busy`] is asked to wait (`Retry-After`).
pub const BUSY_RETRY_AFTER_SECS: u64 = 2;

/// How many rounds of "needs → fetch" a verification may take (a fetched status list can name
/// another did:web key, whose document is fetched in the next round).
const MAX_FETCH_ROUNDS: usize = 4;

/// Why what the user gave could not be turned into a document to check.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InputProblem {
    /// The core's recognition of the input (or of what its link answered) failed.
    #[error("{0}")]
    Input(#[from] RecogniseError),
    #[error("the link in the QR code could not be followed: {0}")]
    Fetch(#[from] FetchError),
    #[error("{0}")]
    Document(#[from] VerifyInputError),
    #[error("the verification task stopped unexpectedly")]
    Internal,
    /// Every decode slot is taken ([`DecodeGate`]): the request is refused rather than queued.
    #[error(
        "the verifier is reading as many images as its memory allows; try again in \
         {BUSY_RETRY_AFTER_SECS} seconds"
    )]
    Busy,
}

impl InputProblem {
    /// Whether the input was refused for its size alone.
    pub fn is_too_large(&self) -> bool {
        matches!(
            self,
            InputProblem::Input(
                RecogniseError::TooLarge { .. }
                    | RecogniseError::QrImage {
                        source: QrError::ImageTooLarge { .. } | QrError::OverBudget { .. },
                        ..
                    }
            ) | InputProblem::Document(VerifyInputError::Input(InputError::TooLarge { .. }))
        )
    }
}

/// Where the document came from, for the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Text,
    BakedImage,
    QrImage,
    QrText,
    QrLink,
}

impl Source {
    fn of(form: Form) -> Self {
        match form {
            Form::BakedPng | Form::BakedSvg => Source::BakedImage,
            Form::QrImage => Source::QrImage,
            Form::QrText => Source::QrText,
            Form::Link => Source::QrLink,
            _ => Source::Text,
        }
    }
}

/// A document recovered from the user's input: its exact text, and what the core parsed it into
/// (so a verification parses it once).
#[derive(Debug, Clone)]
pub struct Recovered {
    pub text: String,
    pub source: Source,
    pub presented: Presented,
}

impl Recovered {
    /// A document given as text (the VC-API's bodies), parsed with the service's caps.
    pub fn from_text(
        text: String,
        source: Source,
        limits: &InputLimits,
    ) -> Result<Self, InputProblem> {
        let presented = verify::parse_input(text.as_bytes(), limits)?;
        Ok(Self {
            text,
            source,
            presented,
        })
    }
}

/// A finished verification: the core report and the credential JSON it is about (for display).
#[derive(Debug, Clone)]
pub struct Verification {
    pub report: Report,
    /// The credential (or presentation) JSON; for a JWS, the credential inside it.
    pub document: Option<Value>,
    pub source: Source,
    /// The exact text verified (so the page can offer to verify it again).
    pub text: String,
}

/// Verification with fetching and trust, shared by every request.
#[derive(Debug)]
pub struct Service {
    fetcher: Fetcher,
    trust: Arc<TrustRegistries>,
    limits: InputLimits,
    /// The threads the checks run on.
    checks: CheckPool,
    /// Fetched JSON Schemas, compiled once per fetched copy (compiling the OB 3.0 schema costs
    /// far more than a verification).
    schemas: Mutex<HashMap<String, CompiledSchema>>,
    /// The slots image decodes run in.
    decodes: DecodeGate,
}

/// A schema compiled from one fetched copy (the fetcher's cache hands out the same `Arc` until
/// it fetches again).
#[derive(Debug)]
struct CompiledSchema {
    source: Arc<Value>,
    set: SchemaSet,
}

/// Compiled schemas kept at most (a verifier meets few distinct schemas).
const MAX_COMPILED_SCHEMAS: usize = 64;

impl Service {
    pub fn new(fetcher: Fetcher, trust: TrustRegistries) -> Self {
        let cores = thread::available_parallelism().map_or(1, std::num::NonZero::get);
        Self::with_check_threads(fetcher, trust, cores)
    }

    /// A service running its checks on `threads` threads of its own (at least one).
    ///
    /// A check is CPU-bound (JSON-LD, canonicalisation, signatures). With more checks than
    /// cores running at once they only share the cores: each one takes longer and the tail
    /// latency grows, for no more throughput. Extra requests wait in arrival order without
    /// holding a thread; fetching is done before, on the async workers.
    pub fn with_check_threads(fetcher: Fetcher, trust: TrustRegistries, threads: usize) -> Self {
        Self {
            fetcher,
            trust: Arc::new(trust),
            limits: InputLimits::default(),
            checks: CheckPool::new(threads),
            schemas: Mutex::new(HashMap::new()),
            decodes: DecodeGate::for_ceiling(DEFAULT_DECODE_MEMORY_BYTES),
        }
    }

    /// Holds image decoding to `ceiling` bytes of memory (see [`DecodeGate::for_ceiling`]).
    pub fn with_decode_memory(mut self, ceiling: u64) -> Self {
        self.decodes = DecodeGate::for_ceiling(ceiling);
        self
    }

    /// How many images may be decoded at once.
    pub fn decode_slots(&self) -> usize {
        self.decodes.slots
    }

    /// The QR codes in an image (`POST /api/v1/scan`), decoded in a decode slot.
    pub async fn scan(&self, image: Vec<u8>) -> Result<Result<Vec<String>, QrError>, InputProblem> {
        self.decodes.run(move || qr::scan(&image)).await
    }

    /// [`verify::recognise`], in a decode slot when the input is an image (its recognition
    /// may decode pixels), else right here (text is cheap to recognise).
    async fn recognise(&self, bytes: &[u8]) -> Result<Recognised, InputProblem> {
        if verify::image_kind(bytes).is_none() {
            return Ok(verify::recognise(bytes, &self.limits)?);
        }
        let (owned, limits) = (bytes.to_vec(), self.limits);
        Ok(self
            .decodes
            .run(move || verify::recognise(&owned, &limits))
            .await??)
    }

    pub fn trust(&self) -> &TrustRegistries {
        &self.trust
    }

    pub fn limits(&self) -> &InputLimits {
        &self.limits
    }

    /// Recovers the document from raw input, recognised by the core ([`verify::recognise`]):
    /// a baked PNG or SVG, a photo or screenshot of a QR code, a QR code's text (`VC2:…`, `VC1:…` or a
    /// link, fetched with the safe fetcher), an enveloped credential, or the document itself.
    pub async fn recover(&self, bytes: &[u8]) -> Result<Recovered, InputProblem> {
        match self.recognise(bytes).await? {
            Recognised::Document(recovered) => Ok(Recovered {
                source: Source::of(recovered.form),
                text: recovered.text,
                presented: recovered.presented,
            }),
            Recognised::Link { url, .. } => {
                let body = self
                    .fetcher
                    .get_bytes(
                        &url,
                        "application/vc+ld+json, application/vc+jwt, application/ld+json, application/json, image/png, image/svg+xml;q=0.8, */*;q=0.1",
                    )
                    .await?;
                let recovered = if verify::image_kind(&body).is_some() {
                    let limits = self.limits;
                    self.decodes
                        .run(move || verify::recognise_fetched(&url, &body, &limits))
                        .await??
                } else {
                    verify::recognise_fetched(&url, &body, &self.limits)?
                };
                Ok(Recovered {
                    text: recovered.text,
                    source: Source::QrLink,
                    presented: recovered.presented,
                })
            }
        }
    }

    /// Follows a QR code's text: a compact document, or a link fetched with the safe fetcher.
    pub async fn from_qr_text(&self, text: &str) -> Result<Recovered, InputProblem> {
        self.recover(text.trim().as_bytes()).await
    }

    /// Verifies a document's exact text at `now`; a presentation must answer `challenge` (and
    /// `domain`), and without a challenge it is at best incomplete unless `allow_unchallenged`.
    pub async fn verify_text(
        &self,
        recovered: Recovered,
        now: DateTime<Utc>,
        challenge: Option<String>,
        domain: Option<String>,
        allow_unchallenged: bool,
    ) -> Result<Verification, InputProblem> {
        let Recovered {
            text,
            source,
            presented,
        } = recovered;
        let fetched = self.gather(&presented).await;
        let options = CheckOptions {
            challenge,
            domain,
            allow_unchallenged,
            trust: Some(Arc::clone(&self.trust)),
        };
        // The check is CPU work (canonicalisation, signatures): keep it off the async workers.
        let (report, presented) = self
            .checks
            .run(move || {
                let report = verify::check(&presented, &fetched, now, &options);
                (report, presented)
            })
            .await?;
        let document = match presented {
            Presented::Credential(doc) | Presented::Presentation(doc) => Some(doc),
            Presented::Jws(jws) => jws.credential,
            _ => None,
        };
        Ok(Verification {
            report,
            document,
            source,
            text,
        })
    }

    /// The schema fetched from `url` as `source`, compiled (once per fetched copy).
    fn compiled_schema(&self, url: &str, source: Arc<Value>) -> Result<SchemaSet, String> {
        let mut cache = self.schemas.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(hit) = cache.get(url) {
            if Arc::ptr_eq(&hit.source, &source) {
                return Ok(hit.set.clone());
            }
        }
        let mut set = SchemaSet::new();
        set.insert((*source).clone(), &[url])
            .map_err(|e| e.to_string())?;
        if cache.len() >= MAX_COMPILED_SCHEMAS && !cache.contains_key(url) {
            cache.clear();
        }
        cache.insert(
            url.to_owned(),
            CompiledSchema {
                source,
                set: set.clone(),
            },
        );
        Ok(set)
    }

    /// Fetches what the core needs, round after round, recording failures for the report.
    pub async fn gather(&self, presented: &Presented) -> Fetched {
        let mut fetched = Fetched::default();
        for _ in 0..MAX_FETCH_ROUNDS {
            let needs = verify::needs(presented, &fetched);
            if needs.is_empty() {
                break;
            }
            for need in needs.did_documents {
                let did = match Did::parse(&need.did) {
                    Ok(did) => did,
                    Err(e) => {
                        fetched.failures.insert(need.url, e.to_string());
                        continue;
                    }
                };
                match self.fetcher.get_json(&need.url).await {
                    Ok((document, _)) => fetched.did_documents.insert(&did, (*document).clone()),
                    Err(e) => {
                        fetched.failures.insert(need.url, e.to_string());
                    }
                }
            }
            for url in needs.status_lists {
                match self.fetcher.get_json(&url).await {
                    Ok((document, freshness)) => {
                        let provenance = freshness.describe(&url);
                        fetched.add_status_list(&url, (*document).clone(), &provenance);
                    }
                    Err(e) => {
                        fetched
                            .failures
                            .insert(url, format!("could not be checked: {e}"));
                    }
                }
            }
            for url in needs.schemas {
                let outcome = match self.fetcher.get_json(&url).await {
                    Ok((schema, _)) => self.compiled_schema(&url, schema).map(|compiled| {
                        fetched.schemas.adopt(&url, &compiled);
                    }),
                    Err(e) => Err(e.to_string()),
                };
                if let Err(reason) = outcome {
                    fetched.failures.insert(url, reason);
                }
            }
        }
        fetched
    }
}

type Job = Box<dyn FnOnce() + Send>;

/// A fixed set of threads that run the checks, first come first served.
///
/// Each thread has the stack JSON-LD processing wants
/// ([`passerelle_core::jsonld::PROCESSING_STACK_BYTES`]) plus room for the check around it,
/// so the core processes documents in place instead of mapping a fresh stack for each one (as
/// it must on a thread of tokio's blocking pool, whose stacks are 2 MiB). The stacks are
/// reserved address space; only the pages used are ever backed by memory.
#[derive(Debug)]
struct CheckPool {
    jobs: mpsc::Sender<Job>,
    /// Threads actually started; with none (the system refused them all), jobs run on
    /// tokio's blocking pool instead.
    threads: usize,
}

/// Stack of a check thread: JSON-LD processing's, and the check's own frames.
const CHECK_STACK_BYTES: usize = passerelle_core::jsonld::PROCESSING_STACK_BYTES + 8 * 1024 * 1024;

// JSON-LD processing runs in place on a check thread (no stack mapped per call) only with at
// least `PROCESSING_STACK_BYTES` left when it starts.
const _: () = assert!(CHECK_STACK_BYTES > passerelle_core::jsonld::PROCESSING_STACK_BYTES);

impl CheckPool {
    fn new(threads: usize) -> Self {
        let (sender, receiver) = mpsc::channel::<Job>();
        let receiver = Arc::new(Mutex::new(receiver));
        let mut started = 0;
        for n in 0..threads.max(1) {
            let receiver = Arc::clone(&receiver);
            let spawned = thread::Builder::new()
                .name(format!("passerelle-check-{n}"))
                .stack_size(CHECK_STACK_BYTES)
                .spawn(move || loop {
                    // The lock is held only to take the next job, never while running it.
                    let next = receiver
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .recv();
                    let Ok(job) = next else {
                        return; // the service is gone
                    };
                    // A panicking check drops its answer channel (the request gets
                    // `Internal`); the thread goes on with the next job.
                    let _ = panic::catch_unwind(AssertUnwindSafe(job));
                });
            if spawned.is_ok() {
                started += 1;
            }
        }
        Self {
            jobs: sender,
            threads: started,
        }
    }

    /// Runs `work` on a check thread and waits for its result without blocking the caller's
    /// async worker.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, InputProblem> {
        if self.threads == 0 {
            return tokio::task::spawn_blocking(work)
                .await
                .map_err(|_| InputProblem::Internal);
        }
        let (answer, result) = oneshot::channel();
        let job: Job = Box::new(move || {
            // The request may have been dropped meanwhile: then nobody wants the answer.
            let _ = answer.send(work());
        });
        self.jobs.send(job).map_err(|_| InputProblem::Internal)?;
        result.await.map_err(|_| InputProblem::Internal)
    }
}

/// The slots image decodes run in, sized so that decoding stays under a memory ceiling
/// whatever arrives: each image may take at most [`DECODE_BUDGET_BYTES`] (128 MiB, checked
/// from its header before decoding), and at most
/// `slots = max(1, (ceiling − SERVICE_RESERVE_BYTES) / DECODE_BUDGET_BYTES)` decode at once —
/// with the default 512 MiB ceiling, (512 − 128) / 128 = 3 slots, so decoding holds at most
/// 384 MiB and 128 MiB are left for the rest of the service. Decodes run on tokio's blocking
/// pool, never on the async workers (the page and the API keep answering meanwhile); a
/// request that finds every slot taken is refused with [`InputProblem::Busy`] (503 with
/// `Retry-After`) instead of waiting in an unbounded queue. A slot is held until its decode
/// finishes, even if the client has gone.
#[derive(Debug)]
struct DecodeGate {
    permits: Arc<Semaphore>,
    slots: usize,
}

impl DecodeGate {
    fn for_ceiling(ceiling: u64) -> Self {
        let slots = ceiling.saturating_sub(SERVICE_RESERVE_BYTES) / DECODE_BUDGET_BYTES;
        let slots = usize::try_from(slots).unwrap_or(usize::MAX).clamp(1, 1024);
        Self {
            permits: Arc::new(Semaphore::new(slots)),
            slots,
        }
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, InputProblem> {
        let permit = Arc::clone(&self.permits)
            .try_acquire_owned()
            .map_err(|_| InputProblem::Busy)?;
        tokio::task::spawn_blocking(move || {
            let answer = work();
            drop(permit);
            answer
        })
        .await
        .map_err(|_| InputProblem::Internal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panicking_check_answers_internal_and_its_thread_goes_on() {
        let pool = CheckPool::new(1);
        assert_eq!(pool.threads, 1);
        let panicked: Result<(), InputProblem> = pool
            .run(|| panic!("a check that panics (expected in this test)"))
            .await;
        assert!(
            matches!(panicked, Err(InputProblem::Internal)),
            "{panicked:?}"
        );
        // The one thread survived and takes the next jobs, in order.
        let (a, b) = tokio::join!(pool.run(|| 1), pool.run(|| 2));
        assert_eq!((a.unwrap(), b.unwrap()), (1, 2));
    }

    #[tokio::test]
    async fn checks_run_on_the_pool_threads_with_room_for_json_ld() {
        let pool = CheckPool::new(2);
        let name = pool
            .run(|| thread::current().name().map(str::to_owned))
            .await
            .unwrap();
        assert!(
            name.as_deref()
                .is_some_and(|n| n.starts_with("passerelle-check-")),
            "{name:?}"
        );
    }

    #[test]
    fn decode_slots_follow_the_memory_ceiling() {
        // (512 − 128) / 128 MiB per image.
        assert_eq!(
            DecodeGate::for_ceiling(DEFAULT_DECODE_MEMORY_BYTES).slots,
            3
        );
        assert_eq!(DecodeGate::for_ceiling(1024 * 1024 * 1024).slots, 7);
        // Below the reserve, one decode at a time still.
        assert_eq!(DecodeGate::for_ceiling(64 * 1024 * 1024).slots, 1);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_full_decode_gate_refuses_instead_of_queueing_and_frees_its_slot() {
        let gate = Arc::new(DecodeGate::for_ceiling(0));
        assert_eq!(gate.slots, 1);
        let (release, wait) = std::sync::mpsc::channel::<()>();
        let (started, running) = oneshot::channel::<()>();
        let held = tokio::spawn({
            let gate = Arc::clone(&gate);
            async move {
                gate.run(move || {
                    let _ = started.send(());
                    let _ = wait.recv();
                    "first"
                })
                .await
            }
        });
        running.await.unwrap();
        let refused = gate.run(|| "second").await;
        assert!(matches!(refused, Err(InputProblem::Busy)), "{refused:?}");
        release.send(()).unwrap();
        assert_eq!(held.await.unwrap().unwrap(), "first");
        assert_eq!(gate.run(|| "third").await.unwrap(), "third");
    }
}
