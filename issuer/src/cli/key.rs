//! `passerelle-issuer key rotate`: a new signing key; the old one stays published.

use std::path::Path;

use anyhow::{bail, Result};
use passerelle_issuer::auth::CLI_ACTOR;
use passerelle_issuer::config::{IssuerConfig, KeyStorage};

pub fn rotate(dir: &Path, passphrase_stdin: bool) -> Result<()> {
    // Refuse what cannot work before asking for a passphrase.
    let config = IssuerConfig::load(dir)?;
    if config.did.starts_with("did:key:") {
        bail!(
            "this issuer's DID is a did:key, which IS its key: a new key would be a new issuer \
             that no verifier links to this one. Credentials already issued stay valid; to be \
             able to change keys, initialise a did:web issuer"
        );
    }
    if config.key.storage != KeyStorage::Sealed {
        bail!("key rotation needs a sealed key; this issuer keeps a plain key file (--plain-key)");
    }
    super::runtime()?.block_on(async {
        let secret = super::unlock::passphrase(passphrase_stdin)?;
        let issuer = passerelle_issuer::issuance::Issuer::open(dir, Some(&secret)).await?;
        for note in issuer.start_notes() {
            eprintln!("note: {note}");
        }
        let old = issuer.verification_method();
        let result = issuer.rotate_key(&secret, CLI_ACTOR).await;
        issuer.store().close().await;
        result?;
        println!("{}", issuer.verification_method());
        eprintln!(
            "the new key signs from now on; {old} is retired but stays in the DID document, \
             so credentials it signed keep verifying. Restart running `serve` instances."
        );
        Ok(())
    })
}
