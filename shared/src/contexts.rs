//! The JSON-LD contexts Passerelle knows, embedded in the binary.
//!
//! Every context a credential may use — VC Data Model 1.1 and 2.0 and their examples contexts,
//! Data Integrity v1/v2, Multikey v1, Ed25519Signature2020 v1, Bitstring Status List v1, Open
//! Badges 3.0.0–3.0.3 and the OB `extensions.json` — is compiled in from `shared/contexts/files/`
//! with `include_str!`. Contexts are **never fetched**: [`resolve`] answers from this table or
//! fails with [`ContextError::Unknown`], so a credential cannot make a verifier go to the network
//! and cannot change meaning because a server changed a file.
//!
//! Lookup is by exact URL. `http://…` does not match `https://…`, and a trailing `#` or `/`
//! makes a different URL; only the aliases listed in the table (e.g. the OB 3.0.0
//! `…/context/ob_v3p0.jsonld`) resolve to another entry's document.
//!
//! Where each file comes from (registry package, version, path, licence, SHA-256) is recorded in
//! `shared/contexts/SOURCES.md` and `sources.json`, both regenerated with the table by
//! `scripts/refresh-contexts.sh`. `https://w3id.org/security/jwk/v1` is deliberately absent:
//! no registry package carries it (see `SOURCES.md`).
//!
//! ```
//! use passerelle_core::contexts::{self, ContextError};
//!
//! let v2 = contexts::resolve("https://www.w3.org/ns/credentials/v2")?;
//! assert!(v2.json.contains("VerifiableCredential"));
//!
//! let err = contexts::resolve("https://example.com/my-context").unwrap_err();
//! assert_eq!(
//!     err,
//!     ContextError::Unknown { url: "https://example.com/my-context".into() }
//! );
//! # Ok::<(), ContextError>(())
//! ```

/// One bundled context document and where it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct BundledContext {
    /// The context URL, exactly as it appears in `@context`.
    pub url: &'static str,
    /// The document's bytes (UTF-8 JSON), as taken from the package.
    pub json: &'static str,
    /// The registry the package was taken from: `"npm"` or `"cargo"`.
    pub registry: &'static str,
    /// The registry package the file was taken from.
    pub package: &'static str,
    /// The pinned package version.
    pub version: &'static str,
    /// The file's path inside the package.
    pub path: &'static str,
    /// Lower-case hex SHA-256 of [`BundledContext::json`].
    pub sha256: &'static str,
    /// For an alias, the URL of the entry whose document it serves.
    pub alias_of: Option<&'static str>,
}

/// Why a context could not be provided.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ContextError {
    #[error("JSON-LD context {url} is not bundled with Passerelle; contexts are never fetched")]
    Unknown { url: String },
}

include!("../contexts/bundled.rs");

/// The bundled context for exactly `url`, or [`ContextError::Unknown`] naming it.
pub fn resolve(url: &str) -> Result<&'static BundledContext, ContextError> {
    BUNDLED
        .iter()
        .find(|context| context.url == url)
        .ok_or_else(|| ContextError::Unknown {
            url: url.to_owned(),
        })
}

/// Every bundled context, aliases included (one entry per resolvable URL).
pub fn all() -> &'static [BundledContext] {
    BUNDLED
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_unique() {
        for (i, a) in BUNDLED.iter().enumerate() {
            assert!(
                BUNDLED[i + 1..].iter().all(|b| b.url != a.url),
                "{} is listed twice",
                a.url
            );
        }
    }

    #[test]
    fn lookup_is_exact() {
        assert!(resolve("https://www.w3.org/ns/credentials/v2").is_ok());
        for near_miss in [
            "http://www.w3.org/ns/credentials/v2",
            "https://www.w3.org/ns/credentials/v2#",
            "https://www.w3.org/ns/credentials/v2/",
            "https://www.w3.org/ns/credentials/V2",
            " https://www.w3.org/ns/credentials/v2",
            "",
        ] {
            assert_eq!(
                resolve(near_miss),
                Err(ContextError::Unknown {
                    url: near_miss.to_owned()
                }),
                "{near_miss:?} must not resolve"
            );
        }
    }

    #[test]
    fn aliases_point_at_bundled_entries_with_the_same_bytes() {
        for alias in BUNDLED.iter().filter(|c| c.alias_of.is_some()) {
            let target = alias.alias_of.and_then(|url| resolve(url).ok());
            let target = target.unwrap_or_else(|| panic!("alias {} has no target", alias.url));
            assert_eq!(alias.json, target.json, "alias {}", alias.url);
            assert_eq!(
                target.alias_of, None,
                "alias {} points at an alias",
                alias.url
            );
        }
    }
}
