//! The report: one [`Check`] per rule, each named by a [`CheckId`], and the [`Verdict`] that
//! only [`Report`] computes.
//!
//! **Invariant:** a report's verdict always agrees with its checks. The checks and the verdict
//! are private; every way of adding or replacing a check recomputes the verdict, so no caller
//! (the verifier service replacing the `challenge` check after consuming a nonce, say) can
//! leave a report that says `verified` over a failed check.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::ser::{SerializeStruct, Serializer};
use serde::Serialize;
use serde_json::Value;

use super::card::{display_lines, CardDates};
use super::details::CardDetails;
use super::endorsement::EndorsementReport;
use super::messages::{self, Message};
use crate::model::CredentialModel;

/// Declares the check ids: variant and stable name.
macro_rules! check_ids {
    ($( $(#[$doc:meta])* $variant:ident = $name:literal, )*) => {
        /// Which rule a [`Check`] is about. The stable name (`proof`, `status`, …) is what the
        /// JSON report, the catalogues (`check.<name>.<outcome>`) and the page use.
        ///
        /// Deliberately exhaustive (not `#[non_exhaustive]`): a new check must be placed by
        /// every `match` over the ids (the VC-API problem types, the page), so the compiler
        /// finds each place that has to decide about it.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum CheckId {
            $( $(#[$doc])* $variant, )*
        }

        impl CheckId {
            /// Every check id, in the order a report lists them.
            pub const ALL: &'static [CheckId] = &[ $( CheckId::$variant, )* ];

            /// The stable name, e.g. `verification_method`.
            pub fn as_str(self) -> &'static str {
                match self { $( CheckId::$variant => $name, )* }
            }

            /// The id with this stable name.
            pub fn from_name(name: &str) -> Option<CheckId> {
                match name { $( $name => Some(CheckId::$variant), )* _ => None }
            }
        }
    };
}

check_ids! {
    /// The signature (Data Integrity proof or JWS).
    Proof = "proof",
    /// The signing key: resolved, and the issuer's (or holder's) for this purpose.
    VerificationMethod = "verification_method",
    /// JSON-LD in safe mode: every term defined by the contexts.
    JsonLd = "json_ld",
    /// The VC Data Model (2.0 or 1.1).
    DataModel = "data_model",
    /// The Open Badges 3.0 shape.
    OpenBadges = "open_badges",
    /// The JSON Schemas the credential names.
    JsonSchema = "json_schema",
    /// `validFrom` / `validUntil` against the time of the check.
    ValidityPeriod = "validity_period",
    /// Revocation and suspension (Bitstring Status List, 1EdTech revocation list).
    Status = "status",
    /// A presentation's challenge and domain.
    Challenge = "challenge",
    /// A presentation's credentials, each with its own report.
    Credentials = "credentials",
    /// A credential inside a presentation: is its subject the presenter?
    HolderBinding = "holder_binding",
    /// Whether a trust registry the verifier relies on lists the issuer.
    IssuerRecognised = "issuer_recognised",
    /// An embedded endorsement: is it about the thing it is attached to?
    EndorsedSubject = "endorsed_subject",
}

impl fmt::Display for CheckId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for CheckId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// The result of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Pass,
    Fail,
    Warning,
    NotChecked,
}

impl Outcome {
    fn rank(self) -> u8 {
        match self {
            Outcome::Pass => 0,
            Outcome::NotChecked => 1,
            Outcome::Warning => 2,
            Outcome::Fail => 3,
        }
    }

    /// The worse of two outcomes (fail > warning > not checked > pass).
    pub fn worst(self, other: Outcome) -> Outcome {
        if other.rank() > self.rank() {
            other
        } else {
            self
        }
    }

    /// A short label for tables.
    pub fn label(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Fail => "FAIL",
            Outcome::Warning => "warning",
            Outcome::NotChecked => "not checked",
        }
    }
}

/// The overall answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Every check that applies passed (warnings allowed).
    Verified,
    /// At least one check failed.
    NotVerified,
    /// No check failed, but one that must pass could not be done (e.g. the status list could not
    /// be fetched, or the issuer's DID document).
    Incomplete,
}

/// One check in a report.
///
/// Its JSON form keeps the English text under `message` and `details` and adds the stable
/// `code` and `args` of the message, and `detail_codes` (one `{code, args}` per detail, in the
/// same order), so a client can show every sentence in its own language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// Which rule this is.
    pub id: CheckId,
    pub outcome: Outcome,
    /// One plain-language sentence (`message.english()` is the English text).
    pub message: Message,
    /// Supporting facts, one per line.
    pub details: Vec<Message>,
    /// Whether the verdict requires this check to pass (a `not_checked` here means incomplete).
    pub required: bool,
}

impl Check {
    /// A check with its outcome, message, details and whether it is required.
    pub fn new(
        id: CheckId,
        outcome: Outcome,
        message: Message,
        details: Vec<Message>,
        required: bool,
    ) -> Self {
        Self {
            id,
            outcome,
            message,
            details,
            required,
        }
    }

    /// A passed check.
    pub fn pass(id: CheckId, message: Message, details: Vec<Message>, required: bool) -> Self {
        Self::new(id, Outcome::Pass, message, details, required)
    }

    /// A failed check.
    pub fn fail(id: CheckId, message: Message, details: Vec<Message>, required: bool) -> Self {
        Self::new(id, Outcome::Fail, message, details, required)
    }

    /// A check that could not be made (or does not apply, when not `required`).
    pub fn not_checked(
        id: CheckId,
        message: Message,
        details: Vec<Message>,
        required: bool,
    ) -> Self {
        Self::new(id, Outcome::NotChecked, message, details, required)
    }

    /// A warning: not a failure, but something the reader should know.
    pub fn warning(id: CheckId, message: Message, details: Vec<Message>, required: bool) -> Self {
        Self::new(id, Outcome::Warning, message, details, required)
    }
}

impl Serialize for Check {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let fields = if self.details.is_empty() { 6 } else { 8 };
        let mut out = serializer.serialize_struct("Check", fields)?;
        out.serialize_field("id", self.id.as_str())?;
        out.serialize_field("outcome", &self.outcome)?;
        out.serialize_field("message", &self.message.english())?;
        out.serialize_field("code", &self.message.code)?;
        out.serialize_field("args", &messages::ArgsMap(&self.message.args))?;
        if !self.details.is_empty() {
            let english: Vec<String> = self.details.iter().map(Message::english).collect();
            out.serialize_field("details", &english)?;
            out.serialize_field("detail_codes", &self.details)?;
        }
        out.serialize_field("required", &self.required)?;
        out.end()
    }
}

/// Every message of a report, nested credential reports included: each check's message and
/// details.
pub fn report_messages(report: &Report) -> Vec<&Message> {
    let mut all = Vec::new();
    for check in &report.checks {
        all.push(&check.message);
        all.extend(check.details.iter());
    }
    for inner in &report.credentials {
        all.extend(report_messages(inner));
    }
    for endorsement in &report.endorsements {
        all.extend(report_messages(&endorsement.report));
    }
    all
}

/// What was presented.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    Credential,
    Presentation,
    /// An endorsement embedded in a credential (its report is nested in the credential's).
    Endorsement,
}

/// How the document is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SecuringMechanism {
    DataIntegrity,
    VcJose,
    VcJwt11,
    Unsecured,
}

/// A verification report: what the web page, the API, the wallet and the tests all show.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    verdict: Verdict,
    pub kind: DocumentKind,
    pub secured_by: SecuringMechanism,
    /// The moment the time-dependent checks were made against.
    pub checked_at: String,
    checks: Vec<Check>,
    /// What the credential says, for display (absent when it could not be read).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<CredentialModel>,
    /// The dates to show for a credential ([`card_dates`]); absent for a presentation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dates: Option<CardDates>,
    /// What a reader needs beyond the summary — type, level, credits, skills, results,
    /// evidence, the learner's name ([`card_details`](super::card_details)) — with text in the
    /// credential's own language; a page in another language reads them again in its own.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<CardDetails>,
    /// For a presentation: one report per credential inside.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    credentials: Vec<Report>,
    /// For a credential: one report per embedded endorsement. They never count towards the
    /// credential's verdict.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    endorsements: Vec<EndorsementReport>,
    /// Embedded endorsements beyond the limit
    /// ([`MAX_ENDORSEMENTS`](super::MAX_ENDORSEMENTS)), not checked.
    #[serde(skip_serializing_if = "is_zero")]
    pub endorsements_not_checked: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl Report {
    /// An empty report about a document of this kind, checked at `now`. Until a check is added
    /// its verdict is [`Verdict::Incomplete`]: nothing was checked.
    pub fn new(kind: DocumentKind, secured_by: SecuringMechanism, now: DateTime<Utc>) -> Self {
        Self {
            verdict: Verdict::Incomplete,
            kind,
            secured_by,
            checked_at: now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            checks: Vec::new(),
            summary: None,
            dates: None,
            details: None,
            credentials: Vec::new(),
            endorsements: Vec::new(),
            endorsements_not_checked: 0,
        }
    }

    /// The overall answer, computed from the checks.
    pub fn verdict(&self) -> Verdict {
        self.verdict
    }

    /// The checks, in the order they were made.
    pub fn checks(&self) -> &[Check] {
        &self.checks
    }

    /// For a presentation: one report per credential inside, in order.
    pub fn credentials(&self) -> &[Report] {
        &self.credentials
    }

    /// The check with this id, if it was made.
    pub fn check(&self, id: CheckId) -> Option<&Check> {
        self.checks.iter().find(|c| c.id == id)
    }

    /// Adds a check (after the others) and recomputes the verdict.
    pub fn push(&mut self, check: Check) {
        self.checks.push(check);
        self.verdict = verdict_of(&self.checks);
    }

    /// Replaces the check with the same id (or adds it, when there is none) and recomputes the
    /// verdict.
    pub fn replace_check(&mut self, check: Check) {
        match self.checks.iter_mut().find(|c| c.id == check.id) {
            Some(existing) => *existing = check,
            None => self.checks.push(check),
        }
        self.verdict = verdict_of(&self.checks);
    }

    /// Adds a supporting fact to the check with this id, if it was made (details never change
    /// the verdict).
    pub fn add_detail(&mut self, id: CheckId, detail: Message) {
        if let Some(check) = self.checks.iter_mut().find(|c| c.id == id) {
            check.details.push(detail);
        }
    }

    /// Adds the report of a credential inside this presentation. It counts towards the verdict
    /// through the presentation's `credentials` check, which summarises them.
    pub fn push_credential(&mut self, report: Report) {
        self.credentials.push(report);
    }

    /// The reports of the credentials inside, to add checks to (each recomputes its own
    /// verdict).
    pub(super) fn credentials_mut(&mut self) -> &mut [Report] {
        &mut self.credentials
    }

    /// For a credential: the reports of its embedded endorsements, in document order.
    pub fn endorsements(&self) -> &[EndorsementReport] {
        &self.endorsements
    }

    /// Adds the report of an embedded endorsement. It does not change this report's verdict.
    pub fn push_endorsement(&mut self, endorsement: EndorsementReport) {
        self.endorsements.push(endorsement);
    }

    /// The reports of the embedded endorsements, to add checks to.
    pub(super) fn endorsements_mut(&mut self) -> &mut [EndorsementReport] {
        &mut self.endorsements
    }

    /// Whether the verdict is [`Verdict::Verified`].
    pub fn is_verified(&self) -> bool {
        self.verdict == Verdict::Verified
    }

    /// The report as JSON.
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

/// `not_verified` if any check failed; else `incomplete` if a required check could not be
/// made, or if nothing was checked at all; else `verified` (warnings allowed).
fn verdict_of(checks: &[Check]) -> Verdict {
    if checks.iter().any(|c| c.outcome == Outcome::Fail) {
        Verdict::NotVerified
    } else if checks.is_empty()
        || checks
            .iter()
            .any(|c| c.required && c.outcome == Outcome::NotChecked)
    {
        Verdict::Incomplete
    } else {
        Verdict::Verified
    }
}

impl fmt::Display for Report {
    /// A plain-text rendering for terminals.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        render(self, f, 0)
    }
}

fn render(report: &Report, f: &mut fmt::Formatter<'_>, indent: usize) -> fmt::Result {
    let pad = " ".repeat(indent);
    let verdict = match report.verdict {
        Verdict::Verified => "VERIFIED",
        Verdict::NotVerified => "NOT VERIFIED",
        Verdict::Incomplete => "INCOMPLETE: no check failed, but not everything could be checked",
    };
    writeln!(f, "{pad}{verdict}")?;
    if let Some(summary) = &report.summary {
        let dates = report.dates.clone().unwrap_or_default();
        for (label, value) in display_lines(summary, &dates) {
            writeln!(f, "{pad}  {label:<12} {}", terminal_safe(&value))?;
        }
    }
    if let Some(details) = &report.details {
        for (label, value) in details.lines() {
            writeln!(f, "{pad}  {label:<12} {}", terminal_safe(&value))?;
        }
    }
    writeln!(f)?;
    for check in &report.checks {
        writeln!(
            f,
            "{pad}  [{:<11}] {:<20} {}",
            check.outcome.label(),
            check.id,
            terminal_safe(&check.message.english())
        )?;
        for detail in &check.details {
            let detail = terminal_safe(&detail.english());
            writeln!(f, "{pad}  {:<14}{:<20}   · {detail}", "", "")?;
        }
    }
    for (n, credential) in report.credentials.iter().enumerate() {
        writeln!(f, "\n{pad}  Credential {} in the presentation:", n + 1)?;
        render(credential, f, indent + 4)?;
    }
    if !report.endorsements.is_empty() || report.endorsements_not_checked > 0 {
        writeln!(f, "\n{pad}  Endorsements:")?;
    }
    for endorsement in &report.endorsements {
        writeln!(f, "{pad}    {}", terminal_safe(&endorsement.headline()))?;
        if let Some(endorsed) = &endorsement.endorsed {
            writeln!(
                f,
                "{pad}      {:<12} {}",
                "endorses",
                terminal_safe(endorsed)
            )?;
        }
        writeln!(
            f,
            "{pad}      {:<12} {}",
            "found at",
            terminal_safe(&endorsement.found_at)
        )?;
        if let Some(comment) = &endorsement.comment {
            writeln!(f, "{pad}      {:<12} {}", "comment", terminal_safe(comment))?;
        }
        render(&endorsement.report, f, indent + 6)?;
    }
    if report.endorsements_not_checked > 0 {
        writeln!(
            f,
            "{pad}    {} more endorsements were not checked (at most {} are)",
            report.endorsements_not_checked,
            super::MAX_ENDORSEMENTS
        )?;
    }
    Ok(())
}

/// Text for a terminal: control characters (escape sequences, carriage returns, line breaks)
/// and bidirectional overrides, which a credential could use to rewrite what the reader sees,
/// are shown as `\u{..}` escapes.
pub fn terminal_safe(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}') {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::MessageCode;

    fn at() -> DateTime<Utc> {
        DateTime::from_timestamp(1_780_000_000, 0).unwrap_or_default()
    }

    fn check(id: CheckId, outcome: Outcome, required: bool) -> Check {
        let message = Message::new(MessageCode::ProofNotChecked);
        Check::new(id, outcome, message, vec![], required)
    }

    #[test]
    fn the_verdict_follows_every_change_of_the_checks() {
        let mut report = Report::new(
            DocumentKind::Credential,
            SecuringMechanism::DataIntegrity,
            at(),
        );
        assert_eq!(report.verdict(), Verdict::Incomplete, "nothing checked yet");
        report.push(check(CheckId::Proof, Outcome::Pass, true));
        report.push(check(CheckId::IssuerRecognised, Outcome::Warning, false));
        assert_eq!(report.verdict(), Verdict::Verified);
        report.push(check(CheckId::Status, Outcome::NotChecked, true));
        assert_eq!(report.verdict(), Verdict::Incomplete);
        report.replace_check(check(CheckId::Status, Outcome::Fail, true));
        assert_eq!(report.verdict(), Verdict::NotVerified);
        assert_eq!(report.checks().len(), 3, "replaced, not added");
        report.replace_check(check(CheckId::Status, Outcome::Pass, true));
        assert_eq!(report.verdict(), Verdict::Verified);
        report.replace_check(check(CheckId::JsonSchema, Outcome::NotChecked, false));
        assert_eq!(
            report.verdict(),
            Verdict::Verified,
            "an optional check may be missing"
        );
        assert_eq!(
            report.checks().len(),
            4,
            "a check that was not there is added"
        );
        report.add_detail(CheckId::Proof, Message::new(MessageCode::ProofNotChecked));
        assert_eq!(
            report.check(CheckId::Proof).map(|c| c.details.len()),
            Some(1)
        );
        assert_eq!(report.to_json()["verdict"], "verified");
    }

    #[test]
    fn check_ids_have_one_stable_name_each() {
        for &id in CheckId::ALL {
            assert_eq!(CheckId::from_name(id.as_str()), Some(id));
            assert_eq!(
                serde_json::to_value(id).ok(),
                Some(Value::from(id.as_str()))
            );
        }
        let mut names: Vec<&str> = CheckId::ALL.iter().map(|id| id.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), CheckId::ALL.len());
        assert_eq!(CheckId::from_name("signature"), None);
    }
}
