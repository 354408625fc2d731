//! `passerelle-issuer key rotate`: a new signing key; the old one stays published.

use std::path::Path;

use anyhow::Result;
use passerelle_issuer::issuance::CLI_ACTOR;

pub fn rotate(dir: &Path, passphrase_stdin: bool) -> Result<()> {
    super::runtime()?.block_on(async {
        let secret = super::unlock::passphrase(passphrase_stdin)?;
        let issuer = passerelle_issuer::issuance::Issuer::open(dir, Some(&secret)).await?;
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
