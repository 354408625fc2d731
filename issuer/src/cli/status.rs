//! `passerelle-issuer revoke|suspend|unsuspend CREDENTIAL_ID [--reason …]`.

use std::path::Path;

use anyhow::{Context, Result};
use passerelle_issuer::auth::CLI_ACTOR;
use passerelle_issuer::issuance::StatusChange;
use passerelle_issuer::store::CredentialId;

pub fn change(
    dir: &Path,
    id: &str,
    change: StatusChange,
    reason: Option<&str>,
    passphrase_stdin: bool,
) -> Result<()> {
    let id = CredentialId::parse(id.trim())
        .with_context(|| format!("{id:?} is not a credential id (urn:uuid:…)"))?;
    super::runtime()?.block_on(async {
        let issuer = super::unlock::open_issuer(dir, passphrase_stdin).await?;
        // An endorsement this issuer signed is revoked the same way (it has no suspension entry).
        if change == StatusChange::Revoke && issuer.store().endorsement(&id).await?.is_some() {
            let result = issuer.revoke_endorsement(&id, reason, CLI_ACTOR).await;
            issuer.store().close().await;
            println!("{} revoked", result?.id);
            eprintln!("verifiers see the change once their cached status list expires");
            return Ok(());
        }
        let result = issuer.set_status(&id, change, reason, CLI_ACTOR).await;
        issuer.store().close().await;
        let credential = result?;
        let state = if credential.revoked_at.is_some() {
            "revoked"
        } else if credential.suspended {
            "suspended"
        } else {
            "active"
        };
        println!("{} {state}", credential.id);
        eprintln!("verifiers see the change once their cached status list expires");
        Ok(())
    })
}
