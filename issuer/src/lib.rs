//! `passerelle-issuer` — the issuer service's library: everything that does I/O for a provider
//! (database, key storage) around the pure rules of `passerelle-core`. The binary (`main.rs`) is
//! thin glue over it.
//!
//! - [`auth`]: who is acting ([`auth::Actor`]), as the audit log records it.
//! - [`achievements`]: OB 3.0 Achievement definitions, built and checked (CLI and API share it).
//! - [`config`]: the issuer directory's `issuer.toml`.
//! - [`secret`]: issuer private keys encrypted at rest (Argon2id + XChaCha20-Poly1305).
//! - [`artifacts`]: baked PNG/SVG badges and claim-link QR codes.
//! - [`certificate`]: printable A4/Letter certificates (SVG) with a QR code of the credential.
//! - [`bulk`]: bulk issuance from CSV or JSON lines, with progress and per-row results.
//! - [`issuance`]: the issuance engine ([`issuance::Issuer`]) the CLI and the server share.
//! - [`oid4vci`]: OpenID4VCI 1.0 issuance (pre-authorized code flow) over the core's rules.
//! - [`obapi`]: the Open Badges 3.0 API provider (OAuth 2.0 grants of a learner's credentials to
//!   other platforms) over the core's rules.
//! - [`server`]: the HTTP service (`passerelle-issuer serve`).
//! - [`status_cache`]: signed status lists kept in memory, checked by one revision read.
//! - [`tls`]: TLS for `serve` (rustls) and a local development CA (rcgen).
//! - [`store`]: the database (SQLite by default, PostgreSQL at scale), behind one async [`Store`].
//!
//! ```no_run
//! # async fn demo() -> Result<(), passerelle_issuer::store::StoreError> {
//! use passerelle_issuer::store::{ListPurpose, Store};
//! let store = Store::connect("sqlite://issuer.db?mode=rwc").await?;
//! let slot = store.allocate_status_index(ListPurpose::Revocation).await?;
//! println!("{} #{}", slot.list_id, slot.index);
//! # Ok(()) }
//! ```

#![forbid(unsafe_code)]

pub mod achievements;
pub mod artifacts;
pub mod auth;
pub mod bulk;
pub mod certificate;
pub mod config;
pub mod endorsements;
pub mod files;
pub mod issuance;
pub mod obapi;
pub mod oid4vci;
pub mod runner;
pub mod schemas;
pub mod secret;
pub mod server;
mod signing_pool;
pub mod stats;
pub mod status_cache;
pub mod store;
pub mod tls;

pub use store::{Store, StoreError};
