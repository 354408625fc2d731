//! What `list`, `show` and `confirm-email` say about a stored credential, as data: the
//! `--json` record of an entry, the labelled lines of its card, who its recipient is in the
//! wallet's words, and whether it is addressed to an email address. The binary adds colour,
//! escapes the text for the terminal and prints.

use chrono::{DateTime, Utc};
use passerelle_core::i18n::Messages;
use passerelle_core::model;
use passerelle_core::verify::{
    self, CardDetails, CheckOptions, EndorsementReport, Fetched, FrameworkKind, Outcome, Presented,
    ResultDetail, Standing,
};
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

/// The labelled lines of `show`'s card for `entry`, whose stored text reads as `presented`, in
/// the reader's language `m` (labels, dates, numbers, and the credential's own texts in that
/// language when it carries them); the status line, which the binary colours, is not among
/// them. `holder` gives the holder's DID; it is asked for only when the credential names
/// recipients. `confirmed`: the addresses the learner confirmed (`confirm-email`).
pub fn lines<E>(
    entry: &Entry,
    presented: &Presented,
    holder: impl FnOnce() -> Result<String, E>,
    confirmed: &[String],
    m: &Messages<'_>,
) -> Result<Vec<(String, String)>, E> {
    let credential = credential_of(presented).unwrap_or(Value::Null);
    let model = model::check_credential(&credential).ok();
    let lang = Some(m.lang());
    let achievement_json = credential.pointer("/credentialSubject/achievement");
    let text_of = |field: &str| {
        achievement_json
            .and_then(|a| a.get(field))
            .and_then(|v| verify::localized_text(v, lang))
    };
    let mut lines: Vec<(String, String)> = Vec::new();
    let mut line = |key: &str, value: String| lines.push((m.t(key).to_owned(), value));
    line(
        "wallet.card.achievement",
        text_of("name")
            .or_else(|| entry.achievement.clone())
            .unwrap_or_else(|| m.t("card.unnamed").to_owned()),
    );
    if let Some(achievement) = model.as_ref().and_then(|m| m.achievement.as_ref()) {
        line(
            "wallet.card.description",
            text_of("description").unwrap_or_else(|| achievement.description.clone()),
        );
        if let Some(narrative) = &achievement.criteria_narrative {
            let localized = achievement_json
                .and_then(|a| a.pointer("/criteria/narrative"))
                .and_then(|v| verify::localized_text(v, lang));
            line(
                "card.criteria",
                localized.unwrap_or_else(|| narrative.clone()),
            );
        }
    }
    line(
        "card.issuer",
        match (&entry.issuer_name, &entry.issuer_id) {
            (Some(name), Some(id)) => format!("{name} ({id})"),
            (None, Some(id)) => id.clone(),
            (Some(name), None) => name.clone(),
            (None, None) => "?".into(),
        },
    );
    if let Some(model) = &model {
        let holder = holder()?;
        for recipient in &model.recipients {
            line(
                "card.recipient",
                recipient_text(recipient, &holder, confirmed, m),
            );
        }
    }
    // Read from the credential (not the index, which wallets written before issue 12.6 filled
    // from `validFrom`): the award date as "Issued", the signing date as "Signed".
    let dates = verify::card_dates(presented);
    match (dates.issued, &entry.issued) {
        (Some(issued), _) => line("card.issued", m.date(&issued.to_rfc3339())),
        (None, Some(issued)) => line("card.issued", m.date(issued)),
        (None, None) => {}
    }
    if let Some(signed) = dates.signed {
        line("card.signed", m.moment(&signed.to_rfc3339()));
    }
    if let Some(expires) = &entry.expires {
        line("card.expires", m.date(expires));
    }
    // What an employer reads: type, level, credits, results, skills, evidence (the core's
    // reading, as on the verifier's page, in the reader's language).
    if let Some(details) = verify::card_details(&credential, lang) {
        lines.extend(detail_lines(&details, m));
    }
    let mut line = |key: &str, value: String| lines.push((m.t(key).to_owned(), value));
    line(
        "wallet.card.format",
        m.t(match entry.format {
            Format::Jws => "wallet.card.format.jws",
            Format::Json => "wallet.card.format.json",
        })
        .to_owned(),
    );
    if entry.unchecked {
        line(
            "wallet.card.not_checked",
            m.format(
                "wallet.card.not_checked.text",
                &[("number", &entry.number.to_string())],
            ),
        );
    }
    line(
        "wallet.card.imported",
        m.format(
            "wallet.card.imported.text",
            &[
                ("date", &m.moment(&entry.imported_at)),
                ("source", &entry.source),
            ],
        ),
    );
    if let Some(link) = &entry.link {
        line("wallet.card.link", link.clone());
    }
    Ok(lines)
}

/// The lines of the core's [`CardDetails`] in the reader's language: type, code, level, field,
/// credits, learner, study dates, results, skills, evidence, tags.
pub fn detail_lines(details: &CardDetails, m: &Messages<'_>) -> Vec<(String, String)> {
    let mut lines: Vec<(String, String)> = Vec::new();
    let mut line = |key: &str, value: String| lines.push((m.t(key).to_owned(), value));
    if let Some(kind) = &details.achievement_type {
        line("card.type", m.achievement_type(kind));
    }
    if let Some(code) = &details.human_code {
        line("card.code", code.clone());
    }
    if let Some(level) = details.eqf_level {
        line(
            "card.eqf",
            m.format("card.eqf_level", &[("level", &level.to_string())]),
        );
    }
    if let Some(field) = &details.field_of_study {
        line("card.field", field.clone());
    }
    if let Some(credits) = m.credits(details) {
        line("card.credits", credits);
    }
    if let Some(name) = &details.learner_name {
        line("wallet.card.learner", name.clone());
    }
    let start = details.activity_start.as_deref().map(|d| m.date(d));
    let end = details.activity_end.as_deref().map(|d| m.date(d));
    match (&start, &end) {
        (Some(start), Some(end)) => line(
            "card.studied",
            m.format("card.studied_from_to", &[("start", start), ("end", end)]),
        ),
        (Some(start), None) => line(
            "card.studied",
            m.format("card.studied_from", &[("start", start)]),
        ),
        (None, Some(end)) => line(
            "card.studied",
            m.format("card.studied_until", &[("end", end)]),
        ),
        (None, None) => {}
    }
    for result in &details.results {
        line("wallet.card.result", result_text(result, m));
    }
    for alignment in details
        .alignments
        .iter()
        .filter(|a| a.kind != FrameworkKind::Eqf)
    {
        let key = match alignment.kind {
            FrameworkKind::EscoSkill => "wallet.card.skill",
            FrameworkKind::EscoOccupation => "wallet.card.occupation",
            FrameworkKind::IscedF => "wallet.card.isced",
            _ => "wallet.card.aligns_to",
        };
        line(key, alignment.sentence());
    }
    for evidence in &details.evidence {
        let mut text = evidence
            .name
            .clone()
            .or_else(|| evidence.narrative.clone())
            .unwrap_or_else(|| m.t("card.unnamed").to_owned());
        if let Some(genre) = &evidence.genre {
            text.push_str(&format!(" ({genre})"));
        }
        if let Some(description) = &evidence.description {
            text.push_str(&format!(": {description}"));
        }
        if let Some(url) = &evidence.url {
            text.push_str(&format!(" <{url}>"));
        }
        line("wallet.card.evidence", text);
    }
    if !details.tags.is_empty() {
        line("card.tags", details.tags.join(", "));
    }
    // Which language the badge's text is in when it is not the reader's (as on the verifier's
    // page), and the achievement's other versions.
    let remark = m.language_remark(details);
    if let Some(remark) = remark {
        line("card.language", remark);
    }
    for related in &details.related {
        let mut text = match &related.language {
            Some(language) => format!("{}: {}", m.language_name(language), related.id),
            None => related.id.clone(),
        };
        if let Some(version) = &related.version {
            text.push_str(&format!(
                " ({})",
                m.format("card.related.version", &[("version", version)])
            ));
        }
        line("card.related", text);
    }
    lines
}

/// `Final grade: 86, Completed (Percent, 0–100; required: 70)` in the reader's language.
fn result_text(result: &ResultDetail, m: &Messages<'_>) -> String {
    let mut text = match &result.name {
        Some(name) => format!("{name}: "),
        None => String::new(),
    };
    let mut parts = Vec::new();
    if let Some(value) = &result.value {
        parts.push(m.number(value));
    }
    if let Some(level) = &result.achieved_level {
        parts.push(level.clone());
    }
    if let Some(status) = &result.status {
        parts.push(m.result_status(status));
    }
    if parts.is_empty() {
        parts.push(m.t("result.unnamed").to_owned());
    }
    text.push_str(&parts.join(m.t("wallet.list_comma")));
    let scale = m.result_scale(result);
    if !scale.is_empty() {
        text.push_str(&format!(" ({})", scale.join(m.t("wallet.list_semicolon"))));
    }
    if let Some(id) = &result.unresolved_description {
        text.push(' ');
        text.push_str(&m.format("result.dangling", &[("id", id)]));
    }
    text
}

/// The `Endorsement` lines of `show`'s card: each endorsement embedded in the credential,
/// checked offline at `now` (the wallet loads no trust registry and fetches nothing here, so
/// none is ever "endorsed by"; one with a status list says it could not be fully checked —
/// `passerelle-verifier` checks them with registries and status lists).
pub fn endorsement_lines(
    presented: &Presented,
    now: DateTime<Utc>,
    m: &Messages<'_>,
) -> Vec<(String, String)> {
    let report = verify::check(
        presented,
        &Fetched::default(),
        now,
        &CheckOptions::default(),
    );
    let label = m.t("wallet.card.endorsement").to_owned();
    let mut lines: Vec<(String, String)> = Vec::new();
    for endorsement in report.endorsements() {
        lines.push((label.clone(), endorsement_headline(endorsement, m)));
        if let Some(comment) = &endorsement.comment {
            lines.push((String::new(), format!("“{comment}”")));
        }
    }
    if report.endorsements_not_checked > 0 {
        lines.push((
            label,
            m.format(
                "endorsements.more",
                &[(
                    "count",
                    &m.number(&report.endorsements_not_checked.to_string()),
                )],
            ),
        ));
    }
    lines
}

/// How to take an endorsement, in the reader's language (the core's `endorsements.*` words):
/// "Endorsed by …" only when it is verified and its endorser recognised.
pub fn endorsement_headline(endorsement: &EndorsementReport, m: &Messages<'_>) -> String {
    let name = endorsement
        .endorser_name
        .as_deref()
        .or(endorsement.endorser.as_deref())
        .unwrap_or(m.t("endorsements.unknown_endorser"));
    let first = |outcome: Outcome| {
        endorsement
            .report
            .checks()
            .iter()
            .find(|c| c.outcome == outcome)
            .map(|c| m.message(&c.message))
            .unwrap_or_default()
    };
    match &endorsement.standing {
        Standing::Recognised { registries } => m.format(
            "endorsements.recognised",
            &[("name", name), ("registries", &registries.join(", "))],
        ),
        Standing::Invalid { .. } => m.format(
            "endorsements.invalid",
            &[("name", name), ("reason", &first(Outcome::Fail))],
        ),
        Standing::Incomplete { .. } => m.format(
            "endorsements.incomplete",
            &[("name", name), ("reason", &first(Outcome::NotChecked))],
        ),
        _ => m.format("endorsements.not_recognised", &[("name", name)]),
    }
}

/// Who a credential names, in the wallet's words: "you" only when the subject is the holder's
/// DID or a hashed email the learner confirmed (`confirm-email`) matches it.
pub fn recipient_text(
    recipient: &model::Recipient,
    holder: &str,
    confirmed: &[String],
    m: &Messages<'_>,
) -> String {
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
            Some(name) => m.format("wallet.recipient.you_named", &[("name", name)]),
            None => m.t("wallet.recipient.you").to_owned(),
        };
    }
    let email = confirmed
        .iter()
        .find(|address| names_address(recipient, address));
    match (email, named) {
        (Some(address), Some(name)) => m.format(
            "wallet.recipient.you_email_named",
            &[("name", &name), ("address", address)],
        ),
        (Some(address), None) => m.format("wallet.recipient.you_email", &[("address", address)]),
        (None, Some(name)) => name,
        (None, None) if !recipient.identifiers.is_empty() => {
            m.t("wallet.recipient.hashed").to_owned()
        }
        (None, None) => m.t("wallet.recipient.unnamed").to_owned(),
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
        let all = crate::i18n::builtin().unwrap();
        let lines = endorsement_lines(&presented, now, &all.negotiate(Some("en"), None));
        let lines: Vec<(&str, &str)> = lines
            .iter()
            .map(|(label, value)| (label.as_str(), value.as_str()))
            .collect();
        assert_eq!(
            lines,
            [
                (
                    "Endorsement",
                    "Endorsement by Example Quality Agency (not in your trust registries)"
                ),
                ("", "“Meets our criteria.”"),
                (
                    "Endorsement",
                    "Invalid endorsement by Example Quality Agency: The signature does not hold: \
                     the document was altered, or it was not signed by this key."
                ),
                ("", "“Changed.”"),
            ]
        );
        // In French, the same endorsements in the reader's words.
        let french = endorsement_lines(&presented, now, &all.negotiate(Some("fr"), None));
        assert!(french[0].1.contains("Example Quality Agency"), "{french:?}");
        assert_ne!(french[0].1, lines[0].1, "{french:?}");
    }
}
