//! The OpenID4VCI credential offer handed out with every claim link (issue 14): its reference
//! URI, and the optional transaction code (a 6-digit PIN the provider delivers to the learner
//! on another channel than the offer).

use passerelle_core::oid4vci;

use crate::secret;
use crate::store::{ClaimSecrets, TxCodeCheck};

use super::error::IssueError;
use super::issue::{claim_url, ClaimLink};
use super::{read_lock, Issuer};

/// Digits of a transaction code.
pub const TX_CODE_LENGTH: u32 = 6;

/// A transaction code in clear, shown once to the provider. `Debug` is redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct TxCodePin(String);

impl TxCodePin {
    /// The digits, to hand to the learner on another channel than the offer.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for TxCodePin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TxCodePin(<redacted>)")
    }
}

/// `{base}/oid4vci/offers/{reference}`: where the offer is served by reference.
pub fn offer_reference_url(base_url: &str, reference: &str) -> String {
    format!(
        "{}/oid4vci/offers/{reference}",
        base_url.trim_end_matches('/')
    )
}

/// `openid-credential-offer://?credential_offer_uri=…` for an offer reference.
pub fn credential_offer_uri(base_url: &str, reference: &str) -> String {
    oid4vci::offer_uri_by_reference(&offer_reference_url(base_url, reference))
}

/// Six uniformly random decimal digits.
fn random_digits() -> Result<String, IssueError> {
    // Rejection sampling: values of the top partial range would favour low codes.
    const SPACE: u32 = 1_000_000;
    const LIMIT: u32 = u32::MAX - (u32::MAX % SPACE);
    loop {
        let mut bytes = [0u8; 4];
        secret::fill_random(&mut bytes).map_err(|source| IssueError::Randomness {
            what: "a transaction code",
            source,
        })?;
        let n = u32::from_be_bytes(bytes);
        if n < LIMIT {
            return Ok(format!("{:06}", n % SPACE));
        }
    }
}

impl Issuer {
    /// Whether an issuance asking `wanted` gets a transaction code (`None`: the config).
    pub fn wants_tx_code(&self, wanted: Option<bool>) -> bool {
        wanted.unwrap_or_else(|| read_lock(&self.config).oid4vci.tx_code)
    }

    /// A new transaction code and its stored form, if the issuance wants one.
    pub fn new_tx_code(
        &self,
        wanted: Option<bool>,
    ) -> Result<Option<(TxCodePin, TxCodeCheck)>, IssueError> {
        if !self.wants_tx_code(wanted) {
            return Ok(None);
        }
        let pin = random_digits()?;
        let mut salt = vec![0u8; 16];
        secret::fill_random(&mut salt).map_err(|source| IssueError::Randomness {
            what: "a transaction code's salt",
            source,
        })?;
        let mac = secret::tx_code_mac(&self.learner_secret, &salt, &pin);
        Ok(Some((TxCodePin(pin), TxCodeCheck { salt, mac })))
    }

    /// Whether `presented` is the transaction code `check` was made from.
    pub fn tx_code_matches(&self, check: &TxCodeCheck, presented: &str) -> bool {
        secret::tx_code_matches(&self.learner_secret, &check.salt, presented, &check.mac)
    }

    /// The claim link and credential offer to hand out for `secrets`.
    pub fn claim_link(
        &self,
        secrets: &ClaimSecrets,
        expires_at: Option<chrono::DateTime<chrono::Utc>>,
        tx_code: Option<TxCodePin>,
    ) -> ClaimLink {
        let base = self.base_url();
        ClaimLink {
            url: claim_url(&base, secrets.claim.expose()),
            expires_at,
            credential_offer: credential_offer_uri(&base, secrets.offer.expose()),
            offer_reference: secrets.offer.expose().to_owned(),
            tx_code,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_are_six_and_vary() {
        let codes: std::collections::HashSet<String> =
            (0..50).map(|_| random_digits().unwrap()).collect();
        assert!(codes.len() > 40);
        assert!(codes
            .iter()
            .all(|c| c.len() == 6 && c.bytes().all(|b| b.is_ascii_digit())));
    }

    #[test]
    fn reference_urls() {
        assert_eq!(
            offer_reference_url("https://learn.example/", "ofr_1"),
            "https://learn.example/oid4vci/offers/ofr_1"
        );
        let uri = credential_offer_uri("https://learn.example", "ofr_1");
        assert!(uri.starts_with("openid-credential-offer://?credential_offer_uri=https%3A%2F%2F"));
    }
}
