//! What `list`, `show` and `confirm-email` say about a stored credential, as data: the
//! `--json` record of an entry, the labelled lines of its card, who its recipient is in the
//! wallet's words, and whether it is addressed to an email address. The binary adds colour,
//! escapes the text for the terminal and prints.

use chrono::{DateTime, Utc};
use passerelle_core::model;
use passerelle_core::verify::{self, CheckOptions, Fetched, Presented};
use serde_json::{json, Value};

use crate::checking::credential_of;
use crate::store::{Entry, Format};

/// The `list --json` record of an entry.
pub fn entry_json(entry: &Entry) -> Value {
    json!({
        "number": entry.number,
        "achievement": entry.achievement,
        "issuer": {"name": entry.issuer_name, "id": entry.issuer_id},
        "issued": entry.issued,
        "expires": entry.expires,
        "credential_id": entry.credential_id,
        "format": entry.format,
        "status": entry.verdict,
        "checked_at": entry.verified_at,
        "forced": entry.forced,
        "unchecked": entry.unchecked,
        "link": entry.link,
        "source": entry.source,
        "imported_at": entry.imported_at,
    })
}

/// The issuer as `list` names it: its name, else its id, else `?`.
pub fn issuer_short(entry: &Entry) -> &str {
    entry
        .issuer_name
        .as_deref()
        .or(entry.issuer_id.as_deref())
        .unwrap_or("?")
}

/// The labelled lines of `show`'s card for `entry`, whose stored text reads as `presented`
/// (the status line, which the binary colours, is not among them). `holder` gives the holder's
/// DID; it is asked for only when the credential names recipients. `confirmed`: the addresses
/// the learner confirmed (`confirm-email`).
pub fn lines<E>(
    entry: &Entry,
    presented: &Presented,
    holder: impl FnOnce() -> Result<String, E>,
    confirmed: &[String],
) -> Result<Vec<(&'static str, String)>, E> {
    let credential = credential_of(presented).unwrap_or(Value::Null);
    let model = model::check_credential(&credential).ok();
    let mut lines: Vec<(&'static str, String)> = Vec::new();
    lines.push((
        "Achievement",
        entry
            .achievement
            .clone()
            .unwrap_or_else(|| "(unnamed)".into()),
    ));
    if let Some(achievement) = model.as_ref().and_then(|m| m.achievement.as_ref()) {
        lines.push(("Description", achievement.description.clone()));
        if let Some(narrative) = &achievement.criteria_narrative {
            lines.push(("Criteria", narrative.clone()));
        }
    }
    lines.push((
        "Issuer",
        match (&entry.issuer_name, &entry.issuer_id) {
            (Some(name), Some(id)) => format!("{name} ({id})"),
            (None, Some(id)) => id.clone(),
            (Some(name), None) => name.clone(),
            (None, None) => "?".into(),
        },
    ));
    if let Some(model) = &model {
        let holder = holder()?;
        for recipient in &model.recipients {
            lines.push(("Recipient", recipient_text(recipient, &holder, confirmed)));
        }
    }
    // Read from the credential (not the index, which wallets written before issue 12.6 filled
    // from `validFrom`): the award date as "Issued", the signing date as "Signed".
    let dates = verify::card_dates(presented);
    match (dates.issued, &entry.issued) {
        (Some(issued), _) => lines.push(("Issued", issued.to_rfc3339())),
        (None, Some(issued)) => lines.push(("Issued", issued.clone())),
        (None, None) => {}
    }
    if let Some(signed) = dates.signed {
        lines.push(("Signed", signed.to_rfc3339()));
    }
    if let Some(expires) = &entry.expires {
        lines.push(("Expires", expires.clone()));
    }
    // What an employer reads: type, level, credits, results, skills, evidence (the core's
    // reading, as on the verifier's page).
    if let Some(details) = verify::card_details(&credential, None) {
        lines.extend(details.lines());
    }
    lines.push((
        "Format",
        match entry.format {
            Format::Jws => "compact JWS (VC-JOSE)".into(),
            Format::Json => "JSON with an embedded proof".into(),
        },
    ));
    if entry.unchecked {
        lines.push((
            "Not checked",
            format!(
                "its signature or status could not be checked when it was imported; \
                 run `passerelle-wallet verify {} --online`",
                entry.number
            ),
        ));
    }
    lines.push((
        "Imported",
        format!("{} ({})", entry.imported_at, entry.source),
    ));
    if let Some(link) = &entry.link {
        lines.push(("Link", link.clone()));
    }
    Ok(lines)
}

/// The `Endorsement` lines of `show`'s card: each endorsement embedded in the credential,
/// checked offline at `now` (the wallet loads no trust registry and fetches nothing here, so
/// none is ever "endorsed by"; one with a status list says it could not be fully checked —
/// `passerelle-verifier` checks them with registries and status lists).
pub fn endorsement_lines(presented: &Presented, now: DateTime<Utc>) -> Vec<(&'static str, String)> {
    let report = verify::check(
        presented,
        &Fetched::default(),
        now,
        &CheckOptions::default(),
    );
    let mut lines: Vec<(&'static str, String)> = Vec::new();
    for endorsement in report.endorsements() {
        lines.push(("Endorsement", endorsement.headline()));
        if let Some(comment) = &endorsement.comment {
            lines.push(("", format!("“{comment}”")));
        }
    }
    if report.endorsements_not_checked > 0 {
        lines.push((
            "Endorsement",
            format!(
                "{} more endorsements were not checked",
                report.endorsements_not_checked
            ),
        ));
    }
    lines
}

/// Who a credential names, in the wallet's words: "you" only when the subject is the holder's
/// DID or a hashed email the learner confirmed (`confirm-email`) matches it.
pub fn recipient_text(recipient: &model::Recipient, holder: &str, confirmed: &[String]) -> String {
    let named = recipient
        .name
        .clone()
        .or(recipient.id.as_ref().map(|i| i.as_str().to_owned()));
    if recipient
        .id
        .as_ref()
        .is_some_and(|id| id.as_str() == holder)
    {
        return match recipient.name.as_ref() {
            Some(name) => format!("you ({name}; your holder DID)"),
            None => "you (your holder DID)".into(),
        };
    }
    let email = confirmed
        .iter()
        .find(|address| names_address(recipient, address));
    match (email, named) {
        (Some(address), Some(name)) => format!("you ({name}; {address}, confirmed)"),
        (Some(address), None) => format!("you ({address}, confirmed)"),
        (None, Some(name)) => name,
        (None, None) if !recipient.identifiers.is_empty() => {
            "someone identified by a hashed email address, not confirmed as yours \
             (`passerelle-wallet confirm-email ADDRESS` checks it)"
                .into()
        }
        (None, None) => "(not named)".into(),
    }
}

/// Whether the credential read as `presented` is addressed to `address`: one of its
/// recipients' (hashed) identifiers matches it. `false` for anything unreadable.
pub fn addressed_to(presented: &Presented, address: &str) -> bool {
    let Some(credential) = credential_of(presented) else {
        return false;
    };
    let Ok(model) = model::check_credential(&credential) else {
        return false;
    };
    model
        .recipients
        .iter()
        .any(|recipient| names_address(recipient, address))
}

fn names_address(recipient: &model::Recipient, address: &str) -> bool {
    recipient
        .identifiers
        .iter()
        .any(|identity| model::identity_matches(address, identity))
}

#[cfg(test)]
mod tests {
    use passerelle_core::did;
    use passerelle_core::keys::KeyPair;
    use passerelle_core::model::{EndorsementCredential, Iri, Profile};
    use passerelle_core::proof::{self, Cryptosuite, ProofOptions};
    use serde_json::json;

    use super::*;

    #[test]
    fn show_lists_endorsements_checked_offline_and_never_says_endorsed_by() {
        let issuer = KeyPair::from_seed(&[3; 32]);
        let agency = KeyPair::from_seed(&[5; 32]);
        let sign = |doc: &Value, key: &KeyPair| {
            let options = ProofOptions::assertion(
                Cryptosuite::EddsaRdfc2022,
                did::did_key_verification_method(&key.public()),
                "2026-06-30T12:00:00Z",
            );
            proof::sign(doc, key, &options).expect("signed")
        };
        let iri = |s: &str| Iri::parse(s).expect("an IRI");
        let endorsement = EndorsementCredential::builder(
            iri("urn:uuid:00000000-0000-4000-8000-000000000001"),
            Profile::new(
                iri(did::did_key(&agency.public()).as_ref()),
                "Example Quality Agency",
                iri("https://qa-agency.example"),
            ),
            "Recognised course",
            iri("https://learn.example/achievements/data-literacy-foundations"),
            DateTime::parse_from_rfc3339("2026-01-15T00:00:00Z").expect("a date"),
        )
        .endorsement_comment("Meets our criteria.")
        .build()
        .expect("an endorsement");
        let valid = sign(&endorsement, &agency);
        let mut tampered = valid.clone();
        tampered["credentialSubject"]["endorsementComment"] = "Changed.".into();
        let mut badge = model::sample::data_literacy_badge();
        badge["issuer"]["id"] = did::did_key(&issuer.public()).to_string().into();
        badge.as_object_mut().map(|b| b.remove("credentialStatus"));
        badge["credentialSubject"]["achievement"]["endorsement"] = json!([valid, tampered]);
        let badge = sign(&badge, &issuer);
        let presented = crate::checking::parse(&badge.to_string()).expect("readable");
        let now = DateTime::parse_from_rfc3339("2026-09-01T00:00:00Z")
            .expect("a date")
            .into();
        let lines = endorsement_lines(&presented, now);
        assert_eq!(
            lines,
            [
                (
                    "Endorsement",
                    "Endorsement by Example Quality Agency (not in your trust registries)".into()
                ),
                ("", "“Meets our criteria.”".into()),
                (
                    "Endorsement",
                    "INVALID endorsement by Example Quality Agency: proof failed: The signature \
                     does not hold: the document was altered, or it was not signed by this key."
                        .into()
                ),
                ("", "“Changed.”".into()),
            ]
        );
    }
}
