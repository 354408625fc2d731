//! The OB 3.0 `IdentityObject`: how a learner without a DID is named in a credential — by a
//! salted hash of their email address, never the address itself.
//!
//! OB 3.0 §B "IdentityHash": a string made of an algorithm identifier (`sha256` or `md5`), a `$`,
//! and the hexadecimal hash (upper- or lowercase) of the identifier with the salt appended, both
//! encoded in UTF-8. The spec's example: `sha256$b5809d8a…f399` is SHA-256 of
//! `"a@example.comKosher"` (identifier `a@example.com`, salt `Kosher`). The spec does **not**
//! normalise the address before hashing, so [`identity_hash`] hashes exactly what it is given;
//! [`identity_matches`] is the tolerant side (see its documentation).

use md5::Md5;
use serde::Serialize;
use sha2::{Digest, Sha256};

/// `identityType` for email addresses.
pub const EMAIL_ADDRESS: &str = "emailAddress";

/// An OB 3.0 `IdentityObject` (`credentialSubject.identifier[]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IdentityObject {
    #[serde(rename = "type")]
    kind: &'static str,
    hashed: bool,
    identity_hash: String,
    identity_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    salt: Option<String>,
}

impl IdentityObject {
    /// A hashed email identity: `identityHash` = [`identity_hash`]`(email, salt)`.
    ///
    /// The salt should be random per credential (the caller supplies it: the core has no
    /// randomness), so the same learner's badges can't be linked by their hash.
    pub fn hashed_email(email: &str, salt: &str) -> Self {
        Self {
            kind: "IdentityObject",
            hashed: true,
            identity_hash: identity_hash(email, salt),
            identity_type: EMAIL_ADDRESS.to_owned(),
            salt: Some(salt.to_owned()),
        }
    }

    /// Any identity object, as read from a credential. `identity_type` is one of the OB 3.0
    /// `IdentifierTypeEnum` values (`emailAddress`, `sourcedId`, …) or an `ext:` extension.
    pub fn new(
        hashed: bool,
        identity_hash: impl Into<String>,
        identity_type: impl Into<String>,
        salt: Option<String>,
    ) -> Self {
        Self {
            kind: "IdentityObject",
            hashed,
            identity_hash: identity_hash.into(),
            identity_type: identity_type.into(),
            salt,
        }
    }

    /// Whether `identity_hash` is a hash (`true`) or the plain identifier (`false`).
    pub fn hashed(&self) -> bool {
        self.hashed
    }

    /// `sha256$<hex>` / `md5$<hex>` when hashed, the plain identifier otherwise.
    pub fn identity_hash(&self) -> &str {
        &self.identity_hash
    }

    /// `emailAddress`, `sourcedId`, …
    pub fn identity_type(&self) -> &str {
        &self.identity_type
    }

    /// The salt appended to the identifier before hashing, if any.
    pub fn salt(&self) -> Option<&str> {
        self.salt.as_deref()
    }
}

/// `sha256$` + lowercase hex SHA-256 of `email ‖ salt` (UTF-8), exactly as OB 3.0 specifies.
///
/// The address is hashed as given: the issuer decides how it normalises addresses before
/// calling this (Passerelle's verifier side, [`identity_matches`], copes with case changes).
pub fn identity_hash(email: &str, salt: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(email.as_bytes());
    hasher.update(salt.as_bytes());
    format!("sha256${}", hex::encode(hasher.finalize()))
}

/// Does this email address belong to the learner named by `identity`?
///
/// Only `emailAddress` identities can match. For a hashed identity the candidate is hashed with
/// the object's salt using its algorithm (`sha256` or `md5`, the two OB 3.0 allows) and the hex
/// compared case-insensitively; a plain identity is compared directly. The candidates are the
/// address with surrounding whitespace removed and, failing that, its lowercase form: OB 3.0
/// does not say whether issuers normalise, mail providers treat addresses case-insensitively, and
/// issuers commonly hash the lowercase form.
pub fn identity_matches(email: &str, identity: &IdentityObject) -> bool {
    if identity.identity_type != EMAIL_ADDRESS {
        return false;
    }
    let trimmed = email.trim();
    if trimmed.is_empty() {
        return false;
    }
    let lower = trimmed.to_lowercase();
    let candidates: &[&str] = if lower == trimmed {
        &[trimmed]
    } else {
        &[trimmed, lower.as_str()]
    };
    if !identity.hashed {
        return candidates
            .iter()
            .any(|c| c.eq_ignore_ascii_case(identity.identity_hash.trim()));
    }
    let Some((algorithm, expected_hex)) = identity.identity_hash.split_once('$') else {
        return false;
    };
    let salt = identity.salt.as_deref().unwrap_or("");
    candidates.iter().any(|candidate| {
        let digest = match algorithm {
            "sha256" => hex::encode(
                Sha256::new_with_prefix(candidate)
                    .chain_update(salt)
                    .finalize(),
            ),
            "md5" => hex::encode(
                Md5::new_with_prefix(candidate)
                    .chain_update(salt)
                    .finalize(),
            ),
            _ => return false,
        };
        digest.eq_ignore_ascii_case(expected_hex)
    })
}

/// Is `value` a well-formed hashed identity: `sha256$` + 64 hex digits or `md5$` + 32?
pub(crate) fn is_identity_hash(value: &str) -> bool {
    let Some((algorithm, hex_digits)) = value.split_once('$') else {
        return false;
    };
    let expected_len = match algorithm {
        "sha256" => 64,
        "md5" => 32,
        _ => return false,
    };
    hex_digits.len() == expected_len && hex_digits.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spec_example() {
        // OB 3.0 §B, IdentityHash: SHA-256 of "a@example.comKosher".
        assert_eq!(
            identity_hash("a@example.com", "Kosher"),
            "sha256$b5809d8a92f8858436d7e6b87c12ebc0ae1eac4baecc2c0b913aee2c922ef399"
        );
    }

    #[test]
    fn matching() {
        let id = IdentityObject::hashed_email("ada@example.org", "s4lt");
        assert!(identity_matches("ada@example.org", &id));
        assert!(identity_matches("  Ada@Example.ORG ", &id));
        assert!(!identity_matches("ada@example.com", &id));
        assert!(!identity_matches("", &id));
        // The hash is case-sensitive on its input: a mixed-case address hashed as given still
        // matches when typed the same way, and not through the lowercase fallback.
        let mixed = IdentityObject::hashed_email("Ada@Example.org", "s4lt");
        assert!(identity_matches("Ada@Example.org", &mixed));
        assert!(!identity_matches("ada@example.org", &mixed));

        let upper_hex = IdentityObject::new(
            true,
            identity_hash("a@example.com", "Kosher")
                .to_uppercase()
                .replace("SHA256", "sha256"),
            EMAIL_ADDRESS,
            Some("Kosher".into()),
        );
        assert!(identity_matches("a@example.com", &upper_hex));

        // md5("a@example.comKosher")
        let md5 = IdentityObject::new(
            true,
            format!("md5${}", hex::encode(Md5::digest(b"a@example.comKosher"))),
            EMAIL_ADDRESS,
            Some("Kosher".into()),
        );
        assert!(identity_matches("a@example.com", &md5));

        let plain = IdentityObject::new(false, "student@1edtech.edu", EMAIL_ADDRESS, None);
        assert!(identity_matches("Student@1edtech.edu", &plain));
        let not_email = IdentityObject::new(false, "student@1edtech.edu", "sourcedId", None);
        assert!(!identity_matches("student@1edtech.edu", &not_email));
        let unknown_alg = IdentityObject::new(true, "sha1$00", EMAIL_ADDRESS, None);
        assert!(!identity_matches("a@example.com", &unknown_alg));
    }

    #[test]
    fn hash_shape() {
        assert!(is_identity_hash(&identity_hash("a", "b")));
        assert!(!is_identity_hash("sha256$abc"));
        assert!(!is_identity_hash("a@example.com"));
        assert!(!is_identity_hash(&format!("sha512${}", "0".repeat(128))));
    }

    #[test]
    fn serialises_as_ob_identity_object() {
        let value =
            serde_json::to_value(IdentityObject::hashed_email("a@example.com", "Kosher")).unwrap();
        assert_eq!(
            value,
            serde_json::json!({
                "type": "IdentityObject",
                "hashed": true,
                "identityHash": "sha256$b5809d8a92f8858436d7e6b87c12ebc0ae1eac4baecc2c0b913aee2c922ef399",
                "identityType": "emailAddress",
                "salt": "Kosher"
            })
        );
    }
}
