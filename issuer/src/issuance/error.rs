//! Why an issuance operation failed: [`IssueError`].

use crate::config::ConfigError;
use crate::secret::{NoRandomness, SecretError};
use crate::store::StoreError;

/// Why an issuance operation failed. `Invalid` and `NotFound` are the caller's to fix and say
/// exactly what is wrong; the others are internal and their text reveals no secret.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IssueError {
    /// A field of the request (or of the credential it would make) is wrong.
    #[error("{field}: {reason}")]
    Invalid { field: String, reason: String },
    /// Something the request names does not exist.
    #[error("no {what} {id:?}")]
    NotFound { what: &'static str, id: String },
    /// The request contradicts the current state (e.g. suspending a credential that has no
    /// suspension entry, or rotating a did:key issuer's key).
    #[error("{reason}")]
    Conflict { reason: String },
    /// The signing key is sealed and no passphrase was given, or the passphrase is wrong.
    #[error("cannot unlock the issuer key: {reason}")]
    Locked { reason: String },
    /// The configuration could not be read or written.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A file of the issuer directory is readable by others and could not be made private.
    #[error(transparent)]
    FileMode(#[from] crate::files::ModeError),
    /// The database failed.
    #[error("database: {0}")]
    Store(#[source] StoreError),
    /// Signing failed although the credential was valid (a bug, not the caller's fault).
    #[error("signing failed: {source}")]
    Signing {
        #[source]
        source: passerelle_core::proof::ProofError,
    },
    /// Securing a valid credential as VC-JOSE failed (a bug, not the caller's fault).
    #[error("VC-JOSE signing failed: {source}")]
    Jose {
        #[source]
        source: passerelle_core::jose::JoseError,
    },
    /// The signed credential could not be written as JSON text (a bug).
    #[error("cannot encode the signed credential: {source}")]
    Encoding {
        #[source]
        source: serde_json::Error,
    },
    /// The issuer's own DID (`did` in issuer.toml) cannot give a DID document: the operator's
    /// setup is at fault, never the request's (an HTTP 500, not a 400).
    #[error("the issuer's DID {did:?} is misconfigured: {source}")]
    MisconfiguredDid {
        did: String,
        #[source]
        source: passerelle_core::did::DidError,
    },
    /// The operating system's random source failed (a credential's salt, a new key).
    #[error("no randomness for {what}")]
    Randomness {
        what: &'static str,
        #[source]
        source: NoRandomness,
    },
    /// A background task died.
    #[error("internal task failed: {source}")]
    Task {
        #[source]
        source: tokio::task::JoinError,
    },
    /// The database committed a batch but answered no row for it (a bug).
    #[error("the commit returned no result")]
    NothingCommitted,
    /// The OB 3.0 JSON Schema every credential is checked against is not installed, and the
    /// configuration requires it (`[issuance] require_ob_schema`).
    #[error(
        "the OB 3.0 JSON Schema is not installed{where_}, and every credential must be checked \
         against it before signing: run `passerelle-issuer schema install` (it fetches {url} \
         once), or `passerelle-issuer schema install --from FILE` on a machine without network"
    )]
    SchemaMissing { where_: String, url: &'static str },
    /// An installed schema could not be read or is damaged.
    #[error("installed schemas: {source}")]
    Schema {
        #[source]
        source: crate::schemas::SchemaStoreError,
    },
}

impl From<StoreError> for IssueError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound { what, id } => Self::NotFound { what, id },
            StoreError::InvalidId { what, value } => Self::Invalid {
                field: what.to_owned(),
                reason: format!("{value:?} is not a valid {what}"),
            },
            StoreError::NoStatusEntry {
                credential,
                purpose: "suspension",
            } => Self::Conflict {
                reason: format!(
                    "credential {credential} has no suspension status entry, so it cannot be \
                     suspended or reinstated: it was issued while suspension was off (it can still be revoked). \
                     To make credentials issued from now on suspendable, set `suspension = true` \
                     under `[issuance]` in issuer.toml"
                ),
            },
            StoreError::NoStatusEntry {
                credential,
                purpose,
            } => Self::Conflict {
                reason: format!("credential {credential} has no {purpose} status entry"),
            },
            StoreError::Secret(SecretError::WrongPassphrase) => Self::Locked {
                reason: "wrong passphrase".into(),
            },
            other => Self::Store(other),
        }
    }
}

impl IssueError {
    pub(crate) fn invalid(field: &str, reason: impl Into<String>) -> Self {
        Self::Invalid {
            field: field.to_owned(),
            reason: reason.into(),
        }
    }

    /// True for errors that are the caller's to fix (an HTTP 4xx).
    pub fn is_client_error(&self) -> bool {
        matches!(
            self,
            Self::Invalid { .. } | Self::NotFound { .. } | Self::Conflict { .. }
        )
    }
}
