//! # passerelle-wallet
//!
//! The learner's command-line wallet: an encrypted store of Open Badges 3.0 / W3C Verifiable
//! Credentials on the learner's own machine, verified offline with what it cached, presented to a
//! verifier with the holder's did:key.
//!
//! Every rule (formats, proofs, verification, baking, QR codes) comes from `passerelle-core`; this
//! crate is I/O and user experience:
//! - [`store`]: the encrypted store on disk (sealed index + one sealed file per credential),
//!   atomic writes, the lock, passphrase change, backup and restore;
//! - [`source`]: from what `import` is given (file, image, QR text, link) to credential texts;
//! - [`fetch`]: HTTP GET with timeouts, a size cap and the core's address policy (https, public
//!   addresses only, unless `--allow-private-network`);
//! - [`checking`]: verification with cached and fetched documents.
#![forbid(unsafe_code)]

pub mod checking;
pub mod fetch;
pub mod source;
pub mod store;
