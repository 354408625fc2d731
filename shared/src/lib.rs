//! # passerelle-core
//!
//! Everything Passerelle knows about the standards, in one pure crate: no async, no network, no
//! filesystem, no clock and no randomness of its own (callers pass `now` and random bytes in).
//!
//! - [`model`]: Open Badges 3.0 / VC Data Model 2.0 builders and the strict data-model check.
//! - [`contexts`]: the bundled JSON-LD contexts; an unknown URL is an error, never a fetch.
//! - [`jsonld`]: JSON-LD → RDF in "safe mode" and RDFC-1.0 canonical N-Quads.
//! - [`proof`]: Data Integrity (eddsa-rdfc-2022, eddsa-jcs-2022, legacy suites) sign and verify.
//! - [`jose`]: VC-JOSE (`application/vc+jwt`, EdDSA) and VC-JWT 1.1 verification.
//! - [`did`]: did:key and did:web.
//! - [`schema`]: JSON Schema validation against caller-supplied schemas; nothing is fetched.
//! - [`status`]: Bitstring Status List and 1EdTechRevocationList.
//! - [`verify`]: sans-I/O verification: [`verify::needs`] then [`verify::check`] → a report.
//! - [`oid4vci`]: OpenID4VCI 1.0 offers, metadata, key proofs and error codes (issuer and wallet).
//! - [`obapi`]: the Open Badges 3.0 API: discovery document, client registration, PKCE, paging,
//!   `imsx_StatusInfo` and token responses (provider and consumer).
//! - [`trust`]: trust registries (ours and the DCC issuer-registry format): who recognises an issuer.
//! - [`bake`]: baked badge images: the credential inside a PNG (`iTXt`) or an SVG.
//! - [`qr`]: credentials in QR codes (compact `VC2:`/`VC1:` form or a link), rendering and scanning.
//! - [`sealed`]: passphrase-sealed bytes (Argon2id + XChaCha20-Poly1305), for keys and wallets.
//! - [`keys`], [`multibase`], [`data_url`], [`input`]: Ed25519 keys, encodings and caps on
//!   untrusted input.
//! - [`i18n`]: message catalogues in the six UN languages, negotiation, dates and numbers, and
//!   the card words every front end shares (achievement and result types, credits, language).
//! - [`error_text`]: an error and its causes on one line, each cause said once.
//!
//! Cargo features (all on by default): `jose` (VC-JOSE signing, through josekit and OpenSSL),
//! `images` (QR codes read from images and rendered as PNG), `sealed` (the [`sealed`] module).
//! Verifying JSON credentials, JWSs included, needs none of them.
#![forbid(unsafe_code)]

pub mod address_policy;
pub mod bake;
pub mod contexts;
pub mod data_url;
pub mod did;
pub mod error_text;
pub mod i18n;
pub mod input;
pub mod jose;
pub mod jsonld;
pub mod keys;
pub mod model;
pub mod multibase;
pub mod obapi;
pub mod oid4vci;
pub mod proof;
pub mod qr;
pub mod schema;
#[cfg(feature = "sealed")]
pub mod sealed;
pub mod status;
pub mod trust;
pub mod verify;
