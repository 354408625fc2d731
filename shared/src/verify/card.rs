//! The dates and lines of a badge card, the same for every front end.

use chrono::{DateTime, FixedOffset};
use serde::Serialize;
use serde_json::Value;

use super::input::{JwsCredential, Presented};
use crate::model::{self, CredentialModel};

/// The lines of a badge card, for terminals.
pub(super) fn display_lines(
    model: &CredentialModel,
    dates: &CardDates,
) -> Vec<(&'static str, String)> {
    let mut lines = Vec::new();
    if let Some(achievement) = &model.achievement {
        lines.push(("Achievement", achievement.name.clone()));
    } else if let Some(name) = &model.name {
        lines.push(("Credential", name.clone()));
    }
    let issuer = match &model.issuer.name {
        Some(name) => format!("{name} ({})", model.issuer.id.as_str()),
        None => model.issuer.id.as_str().to_owned(),
    };
    lines.push(("Issuer", issuer));
    for recipient in &model.recipients {
        let who = match (
            &recipient.name,
            &recipient.id,
            recipient.identifiers.first(),
        ) {
            (Some(name), _, _) => name.clone(),
            (None, Some(id), _) => id.as_str().to_owned(),
            (None, None, Some(identity)) => format!(
                "{} identified by a hashed {}",
                "a learner",
                identity.identity_type()
            ),
            _ => "(not named)".into(),
        };
        lines.push(("Recipient", who));
    }
    if let Some(issued) = &dates.issued {
        lines.push(("Issued", issued.format("%Y-%m-%d").to_string()));
    }
    if let Some(signed) = &dates.signed {
        lines.push(("Signed", signed.format("%Y-%m-%d %H:%M:%S %:z").to_string()));
    }
    if let Some(until) = &model.valid_until {
        lines.push(("Expires", until.format("%Y-%m-%d").to_string()));
    }
    lines
}

/// Where a credential's "Issued" date comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum IssuedFrom {
    /// OB 3.0 `awardedDate`: when the achievement was awarded.
    #[serde(rename = "awardedDate")]
    AwardedDate,
    /// VCDM 2.0 `validFrom`.
    #[serde(rename = "validFrom")]
    ValidFrom,
    /// VCDM 1.1 `issuanceDate`.
    #[serde(rename = "issuanceDate")]
    IssuanceDate,
}

/// The dates a badge card shows. Every front end (the verifier's terminal report and page, the
/// wallet's `show` and `list`) takes them from here, so they agree on which date is which.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CardDates {
    /// "Issued": the award date — `awardedDate`, else `validFrom`, else `issuanceDate`.
    pub issued: Option<DateTime<FixedOffset>>,
    pub issued_from: Option<IssuedFrom>,
    /// "Signed": the (first) proof's `created`, or the JWS `iat` claim.
    pub signed: Option<DateTime<FixedOffset>>,
}

/// The [`CardDates`] of a presented credential (all `None` for a presentation, and for a date
/// that is not an RFC 3339 date-time with a time zone: the data-model check reports those).
pub fn card_dates(presented: &Presented) -> CardDates {
    match presented {
        Presented::Credential(doc) => credential_dates(doc, proof_created(doc)),
        Presented::Jws(jws) => jws_dates(jws),
        Presented::Presentation(_) => CardDates::default(),
    }
}

pub(super) fn jws_dates(jws: &JwsCredential) -> CardDates {
    let iat = jws
        .parsed
        .payload
        .get("iat")
        .or_else(|| jws.parsed.header.get("iat"))
        .and_then(Value::as_i64)
        .and_then(|t| DateTime::from_timestamp(t, 0))
        .map(|t| t.fixed_offset());
    match &jws.credential {
        Some(credential) => credential_dates(credential, iat),
        None => CardDates {
            signed: iat,
            ..CardDates::default()
        },
    }
}

/// The `created` of a document's (first) proof.
pub(super) fn proof_created(doc: &Value) -> Option<DateTime<FixedOffset>> {
    doc.get("proof")
        .and_then(|p| match p {
            Value::Array(list) => list.first(),
            other => Some(other),
        })
        .and_then(|p| p.get("created"))
        .and_then(date_value)
}

pub(super) fn credential_dates(
    credential: &Value,
    signed: Option<DateTime<FixedOffset>>,
) -> CardDates {
    let (issued, issued_from) = [
        ("awardedDate", IssuedFrom::AwardedDate),
        ("validFrom", IssuedFrom::ValidFrom),
        ("issuanceDate", IssuedFrom::IssuanceDate),
    ]
    .into_iter()
    .find_map(|(name, from)| {
        credential
            .get(name)
            .and_then(date_value)
            .map(|d| (Some(d), Some(from)))
    })
    .unwrap_or((None, None));
    CardDates {
        issued,
        issued_from,
        signed,
    }
}

fn date_value(value: &Value) -> Option<DateTime<FixedOffset>> {
    value
        .as_str()
        .and_then(|s| model::parse_date_time_stamp(s).ok())
}
