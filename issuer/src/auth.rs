//! Who is acting. Every change the issuer makes is recorded in the audit log with its actor: the
//! id of the API token that made the request (the admin API authenticates it), or
//! [`CLI_ACTOR`] for the command line, which is trusted as whoever can read the issuer
//! directory.

/// The audit actor for the command line.
pub const CLI_ACTOR: &str = "cli";

/// The one acting on a request: its audit actor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor(String);

impl Actor {
    /// The command line ([`CLI_ACTOR`]).
    pub fn cli() -> Self {
        Self(CLI_ACTOR.to_owned())
    }

    /// The API token with this id (once it has been authenticated).
    pub fn api_token(id: impl Into<String>) -> Self {
        Self(id.into())
    }

    /// What the audit log records.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}
