//! The checks of what a credential says, whatever secures it: JSON-LD, the data model, the
//! Open Badges shape, JSON Schema, the validity period and the status lists.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::issuer_id;
use super::messages::{Message, MessageCode as C};
use super::needs::Fetched;
use super::report::{Check, CheckId, Outcome, Report};
use super::signature::{data_integrity_checks, Signer};
use crate::did::Relationship;
use crate::jsonld::{self, JsonLdError};
use crate::model::{self, has_type, CredentialKind, VcVersion};
use crate::proof;
use crate::schema::SchemaOutcome;
use crate::status::{self, StatusEntry};

/// A broken data-model rule as a detail.
pub(super) fn violation_detail(violation: &model::ModelViolation) -> Message {
    // The rule is its own `model.rule.*` message with the path as its first argument, so a
    // catalogue translates the whole sentence.
    violation.rule.clone()
}

pub(super) fn credential_content_checks(
    doc: &Value,
    fetched: &Fetched,
    now: DateTime<Utc>,
    report: &mut Report,
) {
    match model::check_credential(doc) {
        Ok(parsed) => {
            report.push(match parsed.version {
                VcVersion::V2 => Check::pass(
                    CheckId::DataModel,
                    Message::new(C::DataModelV2),
                    vec![],
                    true,
                ),
                VcVersion::V1 => Check::warning(
                    CheckId::DataModel,
                    Message::new(C::DataModelV1),
                    vec![],
                    true,
                ),
            });
            let profile = match parsed.kind {
                CredentialKind::OpenBadge => Some(C::OpenBadgesAchievement),
                CredentialKind::Endorsement => Some(C::OpenBadgesEndorsement),
                _ => None,
            };
            report.push(match profile {
                Some(code) => Check::pass(CheckId::OpenBadges, Message::new(code), vec![], false),
                None => Check::warning(
                    CheckId::OpenBadges,
                    Message::new(C::OpenBadgesNotABadge),
                    vec![],
                    false,
                ),
            });
            report.summary = Some(parsed);
        }
        Err(violations) => {
            let (ob, vc): (Vec<_>, Vec<_>) = violations.iter().partition(|v| v.open_badges);
            if vc.is_empty() {
                report.push(Check::pass(
                    CheckId::DataModel,
                    Message::new(C::DataModelValid),
                    vec![],
                    true,
                ));
            } else {
                report.push(Check::fail(
                    CheckId::DataModel,
                    Message::new(C::DataModelInvalid),
                    vc.iter().map(|v| violation_detail(v)).collect(),
                    true,
                ));
            }
            if !ob.is_empty() {
                report.push(Check::fail(
                    CheckId::OpenBadges,
                    Message::new(C::OpenBadgesInvalid),
                    ob.iter().map(|v| violation_detail(v)).collect(),
                    true,
                ));
            }
        }
    }
    report.push(schema_check(doc, fetched));
    report.push(validity_check(doc, now, chrono::TimeDelta::zero()));
    report.push(status_check(doc, fetched, now));
}

/// A JSON-LD error as a detail: an undefined term names the term and where it is.
fn json_ld_detail(error: &JsonLdError) -> Message {
    match error {
        JsonLdError::UndefinedTerm { term, path } => Message::new(C::JsonLdDetailUndefinedTerm)
            .id("path", path)
            .id("term", term),
        JsonLdError::UnknownContext(e) => {
            Message::new(C::JsonLdDetailUnknownContext).raw("error", e)
        }
        other => Message::new(C::JsonLdDetailError).raw("error", other),
    }
}

/// Data Integrity "safe mode" for the whole document: every term and type must be defined by the
/// contexts, or it would be silently dropped. An RDFC signature check already established it;
/// otherwise (JCS, JOSE, unsigned, or an RDFC proof that stopped at an ambiguous number) the
/// document is expanded here, its numbers not judged: their RDF form matters only to an RDFC
/// signature, which reports it itself.
pub(super) fn json_ld_check(doc: &Value, from_signature: Option<Result<(), JsonLdError>>) -> Check {
    let result = match from_signature {
        Some(result) => result,
        None => jsonld::check_terms(doc),
    };
    match result {
        Ok(()) => Check::pass(CheckId::JsonLd, Message::new(C::JsonLdValid), vec![], true),
        Err(error) => Check::fail(
            CheckId::JsonLd,
            Message::new(C::JsonLdInvalid),
            vec![json_ld_detail(&error)],
            true,
        ),
    }
}

fn schema_check(doc: &Value, fetched: &Fetched) -> Check {
    let cited = crate::schema::credential_schemas(doc);
    if cited.is_empty() {
        return Check::not_checked(
            CheckId::JsonSchema,
            Message::new(C::SchemaNone),
            vec![],
            false,
        );
    }
    let mut outcome = Outcome::Pass;
    let mut details = Vec::new();
    for result in fetched.schemas.check(doc) {
        let id = &result.id;
        match result.outcome {
            SchemaOutcome::Validated => {
                details.push(Message::new(C::SchemaDetailValid).id("schema", id))
            }
            SchemaOutcome::Failed(violations) => {
                outcome = outcome.worst(Outcome::Fail);
                details.extend(violations.iter().map(|v| {
                    let path = if v.instance_path.is_empty() {
                        "(document)"
                    } else {
                        v.instance_path.as_str()
                    };
                    Message::new(C::SchemaDetailViolation)
                        .id("schema", id)
                        .id("path", path)
                        .raw("error", &v.message)
                }));
            }
            SchemaOutcome::NotChecked { .. } => {
                outcome = outcome.worst(Outcome::NotChecked);
                details.push(match fetched.failures.get(id) {
                    Some(reason) => Message::new(C::SchemaDetailNotFetched)
                        .id("schema", id)
                        .raw("reason", reason),
                    None => Message::new(C::SchemaDetailNotAvailable).id("schema", id),
                });
            }
            SchemaOutcome::UnsupportedType { schema_type } => {
                outcome = outcome.worst(Outcome::NotChecked);
                details.push(
                    Message::new(C::SchemaDetailUnsupportedType)
                        .id("schema", id)
                        .id("schema_type", schema_type),
                );
            }
        }
    }
    let message = match outcome {
        Outcome::Pass => C::SchemaValid,
        Outcome::Fail => C::SchemaInvalid,
        _ => C::SchemaIncomplete,
    };
    Check::new(
        CheckId::JsonSchema,
        outcome,
        Message::new(message),
        details,
        false,
    )
}

/// How far in the future a fetched status list's `validFrom` may be. Issuers re-sign lists as
/// they change, so a list fetched at once is often a few hundred milliseconds "newer" than the
/// verifier's `now` (taken before fetching), or than a verifier whose clock is a little behind:
/// that list is current, not "not valid yet".
pub const STATUS_LIST_CLOCK_LEEWAY: chrono::TimeDelta = chrono::TimeDelta::seconds(60);

/// The validity period at `now`; `leeway` is how far in the future `validFrom` may be.
fn validity_check(doc: &Value, now: DateTime<Utc>, leeway: chrono::TimeDelta) -> Check {
    let from_key = if doc.get("validFrom").is_some() {
        "validFrom"
    } else {
        "issuanceDate"
    };
    let until_key = if doc.get("validUntil").is_some() {
        "validUntil"
    } else {
        "expirationDate"
    };
    let read = |key: &'static str| -> Result<Option<DateTime<Utc>>, Message> {
        match doc.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => model::parse_date_time_stamp(s)
                .map(|d| Some(d.with_timezone(&Utc)))
                .map_err(|e| {
                    Message::new(C::ValidityDetailBadDate)
                        .id("field", key)
                        .raw("error", e)
                }),
            Some(_) => Err(Message::new(C::ValidityDetailNotAString).id("field", key)),
        }
    };
    let (from, until) = match (read(from_key), read(until_key)) {
        (Ok(f), Ok(u)) => (f, u),
        (Err(e), _) | (_, Err(e)) => {
            return Check::fail(
                CheckId::ValidityPeriod,
                Message::new(C::ValidityUnreadable),
                vec![e],
                true,
            )
        }
    };
    if let Some(from) = from {
        if now + leeway < from {
            return Check::fail(
                CheckId::ValidityPeriod,
                Message::new(C::ValidityNotYet).date("date", from),
                vec![Message::new(C::ValidityDetailField)
                    .id("field", from_key)
                    .date("date", from)],
                true,
            );
        }
    }
    if let Some(until) = until {
        if now > until {
            return Check::fail(
                CheckId::ValidityPeriod,
                Message::new(C::ValidityExpired).date("date", until),
                vec![Message::new(C::ValidityDetailField)
                    .id("field", until_key)
                    .date("date", until)],
                true,
            );
        }
    }
    let mut details = Vec::new();
    if let Some(from) = from {
        details.push(Message::new(C::ValidityDetailFrom).date("date", from));
    }
    details.push(match until {
        Some(until) => Message::new(C::ValidityDetailUntil).date("date", until),
        None => Message::new(C::ValidityDetailNoExpiry),
    });
    Check::pass(
        CheckId::ValidityPeriod,
        Message::new(C::ValidityValid),
        details,
        true,
    )
}

/// The detail line of one status entry's answer.
fn status_entry_detail(result: &status::StatusOutcome, url: &str, provenance: &str) -> Message {
    use crate::status::StatusPurpose;
    let set = result.value != 0;
    let Some(index) = result.index else {
        // 1EdTechRevocationList: the list names revoked credential ids, not indices.
        let code = if set {
            C::StatusDetailRevocationListRevoked
        } else {
            C::StatusDetailRevocationListClear
        };
        return Message::new(code)
            .id("url", url)
            .raw("provenance", provenance);
    };
    let message = match (&result.purpose, set) {
        (StatusPurpose::Revocation, false) => Message::new(C::StatusDetailNotRevoked),
        (StatusPurpose::Revocation, true) => Message::new(C::StatusDetailRevoked),
        (StatusPurpose::Suspension, false) => Message::new(C::StatusDetailNotSuspended),
        (StatusPurpose::Suspension, true) => Message::new(C::StatusDetailSuspended),
        (purpose, _) => Message::new(C::StatusDetailOther)
            .id("purpose", purpose.as_str())
            .text("meaning", &result.meaning),
    };
    message
        .id("url", url)
        .raw("provenance", provenance)
        .number("index", index)
}

fn status_check(doc: &Value, fetched: &Fetched, now: DateTime<Utc>) -> Check {
    if doc.get("credentialStatus").is_none() {
        return Check::new(
            CheckId::Status,
            Outcome::NotChecked,
            Message::new(C::StatusNone),
            vec![],
            false,
        );
    }
    let entries = match status::parse_status_entries(doc) {
        Ok(entries) => entries,
        Err(e) => {
            return Check::fail(
                CheckId::Status,
                Message::new(C::StatusUnreadable),
                vec![Message::new(C::StatusDetailEntryError).raw("error", e)],
                true,
            )
        }
    };
    let issuer = issuer_id(doc);
    let mut outcome = Outcome::Pass;
    let mut details = Vec::new();
    let (mut revoked, mut suspended) = (false, false);
    for entry in &entries {
        let url = entry.list_url().to_owned();
        let Some(list) = fetched.status_lists.get(&url) else {
            outcome = outcome.worst(Outcome::NotChecked);
            details.push(match fetched.failures.get(&url) {
                Some(why) => Message::new(C::StatusDetailListUnreadable)
                    .id("url", &url)
                    .raw("reason", why),
                None => Message::new(C::StatusDetailListNotFetched).id("url", &url),
            });
            continue;
        };
        // The list must itself be genuine: signed by the credential's issuer, and current.
        if let Err((o, problem)) =
            check_status_list_credential(&list.document, &url, issuer.as_deref(), fetched, now)
        {
            outcome = outcome.worst(o);
            details.extend(problem);
            continue;
        }
        match status::check_entry(entry, &list.document) {
            Ok(result) => {
                if result.is_invalidating() {
                    outcome = outcome.worst(Outcome::Fail);
                    match result.purpose {
                        status::StatusPurpose::Suspension => suspended = true,
                        _ => revoked = true,
                    }
                } else if result.purpose.as_str() == "message" && result.value != 0 {
                    outcome = outcome.worst(Outcome::Warning);
                }
                details.push(status_entry_detail(&result, &url, &list.provenance));
                if let Some(id) = &result.list_id_mismatch {
                    outcome = outcome.worst(Outcome::Warning);
                    details.push(
                        Message::new(C::StatusDetailListIdMismatch)
                            .id("url", &url)
                            .id("id", id),
                    );
                }
            }
            Err(e) => {
                outcome = outcome.worst(Outcome::Fail);
                details.push(
                    Message::new(C::StatusDetailCheckError)
                        .id("url", &url)
                        .raw("error", e),
                );
            }
        }
        if let StatusEntry::OneEdTechRevocationList(_) = entry {
            details.push(Message::new(C::StatusDetailRevocationListFormat));
        }
    }
    let message = match outcome {
        Outcome::Pass => C::StatusClear,
        Outcome::Fail => match (revoked, suspended) {
            (true, true) => C::StatusRevokedAndSuspended,
            (true, false) => C::StatusRevoked,
            (false, true) => C::StatusSuspended,
            (false, false) => C::StatusUntrustworthy,
        },
        Outcome::Warning => C::StatusMessage,
        Outcome::NotChecked => C::StatusNotChecked,
    };
    Check::new(
        CheckId::Status,
        outcome,
        Message::new(message),
        details,
        true,
    )
}

/// Checks a status list credential's own proof, issuer and validity period; on failure, the
/// outcome and the detail lines that explain it.
fn check_status_list_credential(
    list: &Value,
    url: &str,
    credential_issuer: Option<&str>,
    fetched: &Fetched,
    now: DateTime<Utc>,
) -> Result<(), (Outcome, Vec<Message>)> {
    // 1EdTechRevocationList documents are plain JSON, not credentials: nothing to check here.
    if !has_type(list, "VerifiableCredential") {
        return Ok(());
    }
    let list_issuer = issuer_id(list);
    if let (Some(expected), Some(found)) = (credential_issuer, list_issuer.as_deref()) {
        if expected != found {
            return Err((
                Outcome::Fail,
                vec![Message::new(C::StatusDetailListWrongIssuer)
                    .id("url", url)
                    .id("found", found)
                    .id("expected", expected)],
            ));
        }
    }
    let signature = data_integrity_checks(
        list,
        proof::proofs(list),
        fetched,
        Relationship::AssertionMethod,
        list_issuer.as_deref(),
        Signer::Issuer,
    );
    for check in [&signature.proof, &signature.key] {
        let code = match check.outcome {
            Outcome::Fail => C::StatusDetailListSignatureInvalid,
            Outcome::NotChecked => C::StatusDetailListSignatureUnchecked,
            _ => continue,
        };
        let mut lines = vec![Message::new(code).id("url", url)];
        lines.extend(check.details.iter().cloned());
        return Err((check.outcome, lines));
    }
    let validity = validity_check(list, now, STATUS_LIST_CLOCK_LEEWAY);
    if validity.outcome == Outcome::Fail {
        return Err((
            Outcome::NotChecked,
            vec![
                Message::new(C::StatusDetailListOutOfDate).id("url", url),
                validity.message,
            ],
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_status_list_a_few_seconds_newer_than_now_is_current_a_credential_is_not() {
        let now = DateTime::from_timestamp(1_780_000_000, 0).unwrap_or_default();
        let in_30_s = (now + chrono::TimeDelta::seconds(30)).to_rfc3339();
        let in_2_min = (now + chrono::TimeDelta::seconds(120)).to_rfc3339();
        let list = json!({"validFrom": in_30_s});
        let outcome = |doc: &Value, leeway| validity_check(doc, now, leeway).outcome;
        assert_eq!(outcome(&list, STATUS_LIST_CLOCK_LEEWAY), Outcome::Pass);
        assert_eq!(outcome(&list, chrono::TimeDelta::zero()), Outcome::Fail);
        let later = json!({"validFrom": in_2_min});
        assert_eq!(outcome(&later, STATUS_LIST_CLOCK_LEEWAY), Outcome::Fail);
    }
}
