//! Credential offers (§4.1): for a claim link, by reference (`GET /oid4vci/offers/<ref>`) or by
//! value (the claim page's QR code, the admin API's answer). Each offer made mints a fresh
//! pre-authorized code bound to the award, replacing the award's earlier unused code.

use chrono::{DateTime, Utc};
use passerelle_core::oid4vci::{CredentialOffer, Grants, PreAuthorizedCodeGrant, TxCode};

use crate::issuance::{Issuer, TX_CODE_LENGTH};
use crate::store::oid4vci::{OfferRecord, OFFER_PREFIX};
use crate::store::{AchievementId, CredentialId, IssuedCredential, TxCodeCheck};

use super::{configuration_id, well_formed, Format, Oid4vciError};

/// An offer just made, with its fresh pre-authorized code inside.
#[derive(Debug, Clone)]
pub struct MintedOffer {
    pub offer: CredentialOffer,
    /// `openid-credential-offer://?credential_offer=…` (by value).
    pub uri: String,
    /// When its pre-authorized code stops working.
    pub code_expires_at: DateTime<Utc>,
}

impl MintedOffer {
    /// Whether redeeming the code needs the transaction code.
    pub fn needs_tx_code(&self) -> bool {
        self.offer
            .pre_authorized()
            .is_some_and(|grant| grant.tx_code.is_some())
    }
}

/// The offer JSON for an achievement, a code and whether a transaction code is needed.
fn offer_json(base_url: &str, slug: &str, code: String, tx_code: bool) -> CredentialOffer {
    CredentialOffer {
        credential_issuer: base_url.to_owned(),
        credential_configuration_ids: Format::ALL
            .into_iter()
            .map(|format| configuration_id(slug, format))
            .collect(),
        grants: Some(Grants {
            pre_authorized_code: Some(PreAuthorizedCodeGrant {
                pre_authorized_code: code,
                tx_code: tx_code.then(|| TxCode {
                    input_mode: Some("numeric".into()),
                    length: Some(TX_CODE_LENGTH),
                    description: Some(
                        "The 6-digit code the organisation that awarded the badge sent you \
                         separately"
                            .into(),
                    ),
                }),
                authorization_server: None,
            }),
            authorization_code: None,
        }),
    }
}

async fn mint(
    issuer: &Issuer,
    credential_id: &CredentialId,
    achievement_id: &AchievementId,
    tx_code: Option<&TxCodeCheck>,
) -> Result<MintedOffer, Oid4vciError> {
    let store = issuer.store();
    let award = store
        .credential(credential_id)
        .await?
        .ok_or(Oid4vciError::OfferNotFound)?;
    if award.revoked_at.is_some() {
        return Err(Oid4vciError::OfferGone {
            reason: "this badge has been revoked by its issuer; it can no longer be collected"
                .into(),
        });
    }
    let achievement = store
        .achievement(achievement_id)
        .await?
        .ok_or(Oid4vciError::OfferNotFound)?;
    let ttl = issuer.config().oid4vci.pre_authorized_code_ttl_seconds;
    let expires = crate::store::now_seconds() + chrono::Duration::seconds(i64::from(ttl));
    let code = store
        .mint_pre_authorized_code(credential_id, tx_code, expires)
        .await?;
    let offer = offer_json(
        &issuer.base_url(),
        &achievement.slug,
        code.expose().to_owned(),
        tx_code.is_some(),
    );
    Ok(MintedOffer {
        uri: offer.to_uri(),
        offer,
        code_expires_at: expires,
    })
}

async fn mint_from(issuer: &Issuer, record: &OfferRecord) -> Result<MintedOffer, Oid4vciError> {
    mint(
        issuer,
        &record.credential_id,
        &record.achievement_id,
        record.tx_code.as_ref(),
    )
    .await
}

/// The offer a reference names (`GET /oid4vci/offers/<ref>`), with a fresh code; refused when
/// unknown, expired with its claim link, or revoked.
pub async fn offer_by_reference(
    issuer: &Issuer,
    reference: &str,
    now: DateTime<Utc>,
) -> Result<MintedOffer, Oid4vciError> {
    if !well_formed(reference, OFFER_PREFIX) {
        return Err(Oid4vciError::OfferNotFound);
    }
    let record = issuer
        .store()
        .offer_by_reference(reference)
        .await?
        .ok_or(Oid4vciError::OfferNotFound)?;
    if record.expires_at.is_some_and(|at| at <= now) {
        return Err(Oid4vciError::OfferGone {
            reason: "this credential offer expired with its claim link; ask the organisation \
                     that awarded the badge for a new one"
                .into(),
        });
    }
    mint_from(issuer, &record).await
}

/// The offer to show on a claim page (by value, with a fresh code). A claim link made before
/// OpenID4VCI has no offer of its own: its offer needs no transaction code.
pub async fn offer_for_claim(
    issuer: &Issuer,
    claim_token: &str,
    award: &IssuedCredential,
) -> Result<MintedOffer, Oid4vciError> {
    match issuer.store().offer_for_claim(claim_token).await? {
        Some(record) => mint_from(issuer, &record).await,
        None => mint(issuer, &award.id, &award.achievement_id, None).await,
    }
}

/// The by-value offer for a reference just handed out (the admin API's answer).
pub async fn offer_for_reference_secret(
    issuer: &Issuer,
    reference: &str,
) -> Result<MintedOffer, Oid4vciError> {
    offer_by_reference(issuer, reference, crate::store::now_seconds()).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offers_list_both_formats_and_describe_the_tx_code() {
        let offer = offer_json("https://learn.example", "data-101", "pac_1".into(), true);
        offer.check().unwrap();
        assert_eq!(
            offer.credential_configuration_ids,
            ["data-101.ldp_vc", "data-101.jwt_vc_json"]
        );
        let grant = offer.pre_authorized().unwrap();
        let tx = grant.tx_code.as_ref().unwrap();
        assert_eq!(tx.length, Some(6));
        assert!(tx.is_numeric());
        let plain = offer_json("https://learn.example", "data-101", "pac_1".into(), false);
        assert!(plain.pre_authorized().unwrap().tx_code.is_none());
        let json = serde_json::to_value(&plain).unwrap();
        assert_eq!(
            json["grants"]["urn:ietf:params:oauth:grant-type:pre-authorized_code"]
                ["pre-authorized_code"],
            "pac_1"
        );
    }
}
