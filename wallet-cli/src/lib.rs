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
//! - [`fetch`]: HTTP GET (and POST, for OpenID4VCI) with timeouts, a size cap and the core's address policy (https, public
//!   addresses only, unless `--allow-private-network`);
//! - [`checking`]: verification with cached and fetched documents, and what a verification
//!   records in the index;
//! - [`import`]: the import policy (what is kept, what is marked forced or unchecked, the index
//!   entry of a found credential);
//! - [`oid4vci`]: the OpenID4VCI 1.0 client (pre-authorized code flow): from a credential offer
//!   to credentials for the import policy, proving possession of the holder key;
//! - [`obapi`]: the Open Badges 3.0 API client: discovery, registration, the authorization code
//!   grant with PKCE through a loopback redirect, refresh, revocation, and every page of the
//!   learner's credentials for the import policy;
//! - [`present`]: a presentation of stored credentials, signed for a verifier's challenge;
//! - [`export`]: a credential baked into a PNG or SVG, with the fallback images;
//! - [`card`]: what `list`, `show` and `confirm-email` say about a credential, as data, in the
//!   reader's language;
//! - [`i18n`]: the wallet's messages in six languages (the core's report catalogues with the
//!   wallet's layer) and the choice of language (`--lang`, else `LC_ALL`, `LC_MESSAGES`, `LANG`).
//!
//! One module per command that has rules of its own, rather than one `commands` module: each is
//! small, has its own error type where it can fail, and is tested without the binary. The
//! binary (`main.rs`) is glue: arguments, passphrase and yes/no prompts, terminal output (colour,
//! escaping) and exit codes. Nothing in this library prints or asks.
#![forbid(unsafe_code)]

pub mod card;
pub mod checking;
pub mod export;
pub mod fetch;
pub mod i18n;
pub mod import;
pub mod obapi;
pub mod oid4vci;
pub mod present;
pub mod source;
pub mod store;
