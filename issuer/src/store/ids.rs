//! The store's identifiers: newtypes over `urn:uuid:` strings.

use super::{new_urn, StoreError};

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub(super) String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl From<String> for $name {
            fn from(value: String) -> Self {
                Self(value)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

string_id!(
    /// An issuer key's database id (`urn:uuid:…`).
    KeyId
);
string_id!(
    /// An achievement's id (`urn:uuid:…`).
    AchievementId
);
string_id!(
    /// A status list's id (`urn:uuid:…`); the list credential's URL is built from it.
    StatusListId
);

/// A credential's id: a `urn:uuid:` URN.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CredentialId(pub(super) String);

impl CredentialId {
    /// A fresh random `urn:uuid:` id.
    pub fn generate() -> Self {
        Self(new_urn())
    }

    /// Parses `urn:uuid:<uuid>`.
    pub fn parse(value: &str) -> Result<Self, StoreError> {
        let uuid = value
            .strip_prefix("urn:uuid:")
            .and_then(|u| uuid::Uuid::parse_str(u).ok());
        match uuid {
            Some(u) => Ok(Self(format!("urn:uuid:{u}"))),
            None => Err(StoreError::InvalidId {
                what: "credential id (urn:uuid:…)",
                value: value.to_owned(),
            }),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for CredentialId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
