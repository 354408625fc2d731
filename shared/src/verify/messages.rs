//! The messages of a verification report: every sentence a [`Check`](super::Check) carries is a
//! stable [`MessageCode`] with named arguments, so a verifier can show it in the viewer's
//! language; the English text is rendered from the code's template for the API and the CLI.
//!
//! [`MessageCode`] is the one list of codes: a report can only hold codes of this enum, and
//! [`MESSAGE_CODES`] lists their names for catalogues and tests. Each code's English template
//! names its arguments as `{placeholders}` ([`MessageCode::params`]); a translation may use any
//! of them and no other.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::ser::{Serialize, SerializeMap, Serializer};

/// Declares the message codes: variant, stable name and English template.
macro_rules! message_codes {
    ($( $(#[$doc:meta])* $variant:ident = $code:literal => $english:literal, )*) => {
        /// Every message a verification report can carry.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum MessageCode {
            $( $(#[$doc])* $variant, )*
        }

        impl MessageCode {
            /// Every code, in declaration order.
            pub const ALL: &'static [MessageCode] = &[ $( MessageCode::$variant, )* ];

            /// The stable name, e.g. `proof.signature_mismatch` (catalogue keys use it).
            pub fn as_str(self) -> &'static str {
                match self { $( MessageCode::$variant => $code, )* }
            }

            /// The English template, with `{name}` placeholders for the arguments.
            pub fn english(self) -> &'static str {
                match self { $( MessageCode::$variant => $english, )* }
            }
        }

        /// The names of every [`MessageCode`], in declaration order.
        pub const MESSAGE_CODES: &[&str] = &[ $( $code, )* ];
    };
}

message_codes! {
    // proof: the signature.
    ProofValidIssuer = "proof.valid.issuer" => "The issuer's signature is valid: the document has not been changed since it was signed.",
    ProofValidHolder = "proof.valid.holder" => "The holder's signature is valid: the document has not been changed since it was signed.",
    ProofCaveatIssuer = "proof.caveat.issuer" => "The issuer's signature is valid, with a caveat.",
    ProofCaveatHolder = "proof.caveat.holder" => "The holder's signature is valid, with a caveat.",
    ProofInvalid = "proof.invalid" => "The signature does not hold: the document was altered, or it was not signed by this key.",
    ProofNotChecked = "proof.not_checked" => "The signature could not be checked.",
    ProofUnreadable = "proof.unreadable" => "The proof cannot be read.",
    ProofMissing = "proof.missing" => "The document is not signed: it has no proof, so anyone could have written it.",
    ProofJwsNoKey = "proof.jws_no_key" => "The JWS signature cannot be checked: its header names no key (kid).",
    ProofJwsKeyUnusable = "proof.jws_key_unusable" => "The JWS signature was not checked: the key is unusable.",
    ProofJwsKeyUnavailable = "proof.jws_key_unavailable" => "The JWS signature could not be checked: the key is not available.",
    ProofEmbeddedJwsUnreadable = "proof.embedded_jws_unreadable" => "A credential in the presentation is not a readable JWS.",
    ProofEmbeddedUnreadable = "proof.embedded_unreadable" => "A credential in the presentation could not be read.",
    ProofDetailError = "proof.detail.error" => "{error}",
    ProofDetailUnsupportedSuite = "proof.detail.unsupported_suite" => "{path}: proof type {suite} is not one this verifier supports (eddsa-rdfc-2022, eddsa-jcs-2022, eddsa-2022, Ed25519Signature2020)",
    ProofDetailWrongPurpose = "proof.detail.wrong_purpose" => "proofPurpose is {found}, expected {expected}",
    ProofDetailKeyUnavailable = "proof.detail.key_unavailable" => "the {suite} signature was not checked: the key is not available",
    ProofDetailValid = "proof.detail.valid" => "{suite} signature is valid",
    ProofDetailValidLegacy = "proof.detail.valid_legacy" => "{suite} signature is valid, but this proof format predates the W3C Recommendation; ask the issuer to re-issue with eddsa-rdfc-2022",
    ProofDetailValidUtf16 = "proof.detail.valid_utf16" => "{suite} signature is valid over the statement order of the JavaScript reference implementation (UTF-16 code units) rather than RDFC-1.0's (code points); accepted for compatibility",
    ProofDetailNotJsonLd = "proof.detail.not_json_ld" => "the signed data cannot be computed because the document is not valid JSON-LD: {error}",
    /// An eddsa-rdfc-2022 (or other RDF-canonicalised) proof over a number whose RDF form
    /// implementations disagree on: not a failure of the document, a limit of the suite.
    ProofDetailAmbiguousNumber = "proof.detail.ambiguous_number" => "{path}: the number {number} has no single RDF form that implementations agree on ({reason}), so the data a {suite} signature covers cannot be computed unambiguously; the signature was not checked. This does not mean the document was altered: a signature over the JSON text (eddsa-jcs-2022, VC-JOSE) or the number written as a string avoids the ambiguity",
    ProofDetailSignatureMismatch = "proof.detail.signature_mismatch" => "{path}: the {suite} signature does not verify with the given key",
    ProofDetailJwsValid = "proof.detail.jws_valid" => "{form} compact JWS, EdDSA (Ed25519) signature is valid",
    ProofDetailJwsEmbeddedProofsIgnored = "proof.detail.jws_embedded_proofs_ignored" => "the credential also carries embedded proofs; only the JWS signature was checked",

    // verification_method: the signing key.
    KeyValidIssuer = "key.valid.issuer" => "The signing key belongs to the issuer and is authorised for this use.",
    KeyValidHolder = "key.valid.holder" => "The signing key belongs to the holder and is authorised for this use.",
    KeyUnvouchedIssuer = "key.unvouched.issuer" => "The signing key was found, but nothing published by the issuer vouches for it.",
    KeyUnvouchedHolder = "key.unvouched.holder" => "The signing key was found, but nothing published by the holder vouches for it.",
    KeyWrongIssuer = "key.wrong.issuer" => "The signing key does not belong to the issuer, or is not authorised for this use.",
    KeyWrongHolder = "key.wrong.holder" => "The signing key does not belong to the holder, or is not authorised for this use.",
    KeyNotChecked = "key.not_checked" => "The signing key could not be looked up.",
    KeyProofUnreadable = "key.proof_unreadable" => "The signing key could not be looked up because the proof cannot be read.",
    KeyNoProof = "key.no_proof" => "There is no signing key to look up (no proof).",
    KeyJwsNoKey = "key.jws_no_key" => "The JWS names no key, and the issuer is not a did:key.",
    KeyUnusable = "key.unusable" => "The signing key could not be used.",
    KeyDetailNoVerificationMethod = "key.detail.no_verification_method" => "the proof names no verificationMethod",
    KeyDetailInvalidReference = "key.detail.invalid_reference" => "{error}",
    KeyDetailUnsupported = "key.detail.unsupported" => "verification method {method}: {reason}",
    KeyDetailDocumentNotFetched = "key.detail.document_not_fetched" => "the DID document of {did} could not be fetched from {url}",
    KeyDetailDocumentUnavailable = "key.detail.document_unavailable" => "the DID document of {did} could not be fetched from {url}: {reason}",
    KeyDetailError = "key.detail.error" => "{error}",
    KeyDetailWrongControllerIssuer = "key.detail.wrong_controller.issuer" => "the key {key} is controlled by {controller}, not by {expected}: nothing ties it to the issuer",
    KeyDetailWrongControllerHolder = "key.detail.wrong_controller.holder" => "the key {key} is controlled by {controller}, not by {expected}: nothing ties it to the holder",
    KeyDetailUrlOnly = "key.detail.url_only" => "key {key} is given in the verification method URL itself; {controller} publishes no DID document listing it",
    KeyDetailNotListed = "key.detail.not_listed" => "key {key} is not listed under {relationship} in the DID document of {controller}",
    KeyDetailListedDidKey = "key.detail.listed.did_key" => "key {key} (did:key, self-certifying) is listed under {relationship}",
    KeyDetailListedDidWeb = "key.detail.listed.did_web" => "key {key} (from the did:web document) is listed under {relationship}",
    KeyDetailListed = "key.detail.listed" => "key {key} (resolved) is listed under {relationship}",

    // json_ld: the vocabulary.
    JsonLdValid = "json_ld.valid" => "Every property and type in the document is defined by its JSON-LD contexts.",
    JsonLdInvalid = "json_ld.invalid" => "The document uses terms its JSON-LD contexts do not define, or is not valid JSON-LD.",
    JsonLdDetailUndefinedTerm = "json_ld.detail.undefined_term" => "{path}: {term} is not defined by the document's @context",
    JsonLdDetailUnknownContext = "json_ld.detail.unknown_context" => "{error}",
    JsonLdDetailError = "json_ld.detail.error" => "{error}",

    // data_model and open_badges: the shape of the document.
    DataModelV2 = "data_model.v2" => "The credential follows the Verifiable Credentials 2.0 data model.",
    DataModelV1 = "data_model.v1" => "The credential follows the older Verifiable Credentials 1.1 data model; it is accepted, but issuers should move to 2.0.",
    DataModelValid = "data_model.valid" => "The credential follows the Verifiable Credentials data model.",
    DataModelInvalid = "data_model.invalid" => "The credential does not follow the Verifiable Credentials data model.",
    DataModelJwtClaims = "data_model.jwt_claims" => "The JWT's claims contradict the credential inside it.",
    DataModelPresentationValid = "data_model.presentation_valid" => "The presentation follows the Verifiable Credentials data model.",
    DataModelPresentationInvalid = "data_model.presentation_invalid" => "The presentation does not follow the Verifiable Credentials data model.",
    DataModelDetailJwtClaims = "data_model.detail.jwt_claims" => "{error}",
    /// A broken rule of the data model, `rule` being its English sentence. No longer emitted:
    /// each rule is now its own `model.rule.*` code; kept so that older reports still read.
    DataModelDetailViolation = "data_model.detail.violation" => "{path}: {rule}",
    OpenBadgesAchievement = "open_badges.achievement" => "The credential is a well-formed Open Badges 3.0 achievement credential.",
    OpenBadgesEndorsement = "open_badges.endorsement" => "The credential is a well-formed Open Badges 3.0 endorsement credential.",
    OpenBadgesNotABadge = "open_badges.not_a_badge" => "This is a Verifiable Credential, but not an Open Badge.",
    OpenBadgesInvalid = "open_badges.invalid" => "The credential claims to be an Open Badge but does not have the required shape.",

    // json_schema.
    SchemaNone = "json_schema.none" => "The credential names no JSON Schema to check it against.",
    SchemaValid = "json_schema.valid" => "The credential matches every JSON Schema it names.",
    SchemaInvalid = "json_schema.invalid" => "The credential does not match a JSON Schema it names.",
    SchemaIncomplete = "json_schema.incomplete" => "Not every JSON Schema the credential names could be checked.",
    SchemaDetailValid = "json_schema.detail.valid" => "valid against {schema}",
    SchemaDetailViolation = "json_schema.detail.violation" => "{schema}: {path}: {error}",
    SchemaDetailNotAvailable = "json_schema.detail.not_available" => "schema {schema} is not available here",
    SchemaDetailNotFetched = "json_schema.detail.not_fetched" => "schema {schema} is not available here ({reason})",
    SchemaDetailUnsupportedType = "json_schema.detail.unsupported_type" => "schema {schema} has type {schema_type}, which is not supported",

    // validity_period.
    ValidityValid = "validity.valid" => "The credential is within its validity period.",
    ValidityNotYet = "validity.not_yet" => "The credential is not valid yet: it becomes valid on {date}.",
    ValidityExpired = "validity.expired" => "The credential expired on {date}.",
    ValidityUnreadable = "validity.unreadable" => "The credential's validity dates cannot be read.",
    ValidityDetailBadDate = "validity.detail.bad_date" => "{field}: {error}",
    ValidityDetailNotAString = "validity.detail.not_a_string" => "{field} must be a date-time string",
    ValidityDetailField = "validity.detail.field" => "{field} {date}",
    ValidityDetailFrom = "validity.detail.from" => "valid from {date}",
    ValidityDetailUntil = "validity.detail.until" => "valid until {date}",
    ValidityDetailNoExpiry = "validity.detail.no_expiry" => "no expiry date",

    // status: revocation and suspension.
    StatusClear = "status.clear" => "The issuer has not revoked or suspended this credential.",
    StatusRevoked = "status.revoked" => "The issuer has revoked this credential.",
    StatusSuspended = "status.suspended" => "The issuer has suspended this credential.",
    StatusRevokedAndSuspended = "status.revoked_and_suspended" => "The issuer has revoked and suspended this credential.",
    StatusUntrustworthy = "status.untrustworthy" => "The credential's status list is not trustworthy.",
    StatusMessage = "status.message" => "The status list carries a message about this credential.",
    StatusNotChecked = "status.not_checked" => "Could not check whether the issuer revoked this credential.",
    StatusNone = "status.none" => "The issuer gave no way to revoke this credential (no credentialStatus).",
    StatusUnreadable = "status.unreadable" => "The credential's status entry cannot be read.",
    StatusDetailEntryError = "status.detail.entry_error" => "{error}",
    StatusDetailListNotFetched = "status.detail.list_not_fetched" => "status list {url} could not be read: it was not fetched",
    StatusDetailListUnreadable = "status.detail.list_unreadable" => "status list {url} could not be read: {reason}",
    StatusDetailListWrongIssuer = "status.detail.list_wrong_issuer" => "status list {url}: it was issued by {found}, not by the credential's issuer {expected}",
    StatusDetailListSignatureInvalid = "status.detail.list_signature_invalid" => "status list {url}: its signature does not hold; the reasons follow",
    StatusDetailListSignatureUnchecked = "status.detail.list_signature_unchecked" => "status list {url}: its signature could not be checked; the reasons follow",
    StatusDetailListOutOfDate = "status.detail.list_out_of_date" => "status list {url}: the list is out of date; the reason follows",
    StatusDetailNotRevoked = "status.detail.not_revoked" => "revocation: not revoked ({url}; {provenance}), index {index}",
    StatusDetailRevoked = "status.detail.revoked" => "revocation: revoked ({url}; {provenance}), index {index}",
    StatusDetailNotSuspended = "status.detail.not_suspended" => "suspension: not suspended ({url}; {provenance}), index {index}",
    StatusDetailSuspended = "status.detail.suspended" => "suspension: suspended ({url}; {provenance}), index {index}",
    /// Another purpose (message, refresh, …); `meaning` is the issuer's own status message
    /// when the list gives one.
    StatusDetailOther = "status.detail.other" => "{purpose}: {meaning} ({url}; {provenance}), index {index}",
    StatusDetailRevocationListClear = "status.detail.revocation_list_clear" => "revocation: not revoked ({url}; {provenance})",
    StatusDetailRevocationListRevoked = "status.detail.revocation_list_revoked" => "revocation: revoked ({url}; {provenance})",
    StatusDetailRevocationListFormat = "status.detail.revocation_list_format" => "1EdTechRevocationList (1EdTech's own revocation format)",
    StatusDetailListIdMismatch = "status.detail.list_id_mismatch" => "the list fetched from {url} calls itself {id}",
    StatusDetailCheckError = "status.detail.check_error" => "status list {url}: {error}",

    // challenge: a presentation's binding to this verifier.
    ChallengeNotRequired = "challenge.not_required" => "No challenge was required, so this presentation could be a replay of an old one.",
    ChallengeValid = "challenge.valid" => "The presentation answers this verifier's challenge and domain.",
    ChallengeInvalid = "challenge.invalid" => "The presentation was made for another request: its challenge or domain is not this verifier's.",
    /// The default: a presentation must answer a challenge the verifier issued.
    ChallengeNotGiven = "challenge.not_given" => "The challenge was not checked: no challenge issued by this verifier was given, so this presentation could be a replay of an old one.",
    /// Set by a verifier that signs its challenges, when the one given is not among them.
    ChallengeNotIssued = "challenge.not_issued" => "The challenge was not issued by this verifier, so this presentation could be a replay of an old one.",
    /// Set by a verifier whose replay set could not be consulted.
    ChallengeStoreUnavailable = "challenge.store_unavailable" => "Whether the challenge was already used could not be checked; try again.",
    /// Set by a verifier that issues single-use challenges.
    ChallengeReplayed = "challenge.replayed" => "The challenge was already used by an earlier presentation: this one is a replay.",
    /// Set by a verifier that issues expiring challenges.
    ChallengeExpired = "challenge.expired" => "The challenge has expired; ask the holder for a new presentation.",
    ChallengeDetailMissingChallenge = "challenge.detail.missing_challenge" => "the proof carries no challenge, but this verifier issued one",
    ChallengeDetailWrongChallenge = "challenge.detail.wrong_challenge" => "the proof's challenge {found} is not the one this verifier issued",
    ChallengeDetailMissingDomain = "challenge.detail.missing_domain" => "the proof names no domain, but it must include {expected}",
    ChallengeDetailWrongDomain = "challenge.detail.wrong_domain" => "the proof's domain {found} does not include {expected}",
    ChallengeDetailSingleUse = "challenge.detail.single_use" => "challenges issued by this verifier are single-use",
    ChallengeDetailUnchecked = "challenge.detail.unchecked" => "the proof carries the challenge {found}, which was not compared with one this verifier issued",
    ChallengeDetailNoneInProof = "challenge.detail.none_in_proof" => "the proof carries no challenge at all",

    // holder_binding: whether the presenter is the credential's subject.
    HolderBindingBound = "holder_binding.bound" => "The credential was issued to {subject}, who signed this presentation.",
    HolderBindingOther = "holder_binding.other" => "The credential was issued to {subject}, not to {presenter} who signed this presentation: the presenter is not its recipient.",
    HolderBindingHashedEmail = "holder_binding.hashed_email" => "The credential is not bound to the presenter: its recipient is known only by a hashed email address, so anyone with a copy can present it. Check the presenter's email address.",
    HolderBindingIdentifier = "holder_binding.identifier" => "The credential is not bound to the presenter: its recipient is known only by an identifier of type {identity_type}, so anyone with a copy can present it. Check that identifier.",
    HolderBindingNoRecipient = "holder_binding.no_recipient" => "The credential names no recipient, so nothing binds it to the presenter.",
    HolderBindingNoPresenter = "holder_binding.no_presenter" => "Whether the presenter is the credential's recipient could not be checked: the presentation's signature and key do not both hold.",

    // credentials: the credentials inside a presentation.
    CredentialsAllVerified = "credentials.all_verified" => "All {total} credentials in the presentation are verified.",
    CredentialsFailed = "credentials.failed" => "{failed} of the {total} credentials in the presentation failed verification.",
    CredentialsIncomplete = "credentials.incomplete" => "{incomplete} of the {total} credentials could not be fully checked.",
    CredentialsNone = "credentials.none" => "The presentation contains no credential.",

    // issuer_recognised: trust registries.
    TrustRecognised = "trust.recognised" => "The issuer is recognised by {registries}.",
    TrustNotCurrent = "trust.not_current" => "The issuer is listed in a registry you trust, but not for this date.",
    TrustUnknown = "trust.unknown" => "The issuer is not in any registry you trust (unknown is not invalid).",
    TrustDetailListed = "trust.detail.listed" => "{registry}: listed as {name}",
    TrustDetailListedIn = "trust.detail.listed_in" => "{registry}: listed as {name} ({jurisdiction})",
    TrustDetailListedDates = "trust.detail.listed_dates" => "{registry}: {name} listed from {from} to {until}",
    TrustDetailConsulted = "trust.detail.consulted" => "registries consulted: {registries}",
    TrustDetailNoRegistry = "trust.detail.no_registry" => "no trust registry is configured",
    TrustDetailIssuer = "trust.detail.issuer" => "issuer {issuer}",

    // endorsements embedded in a credential, and endorsed_subject.
    EndorsementJwsUnreadable = "endorsement.jws_unreadable" => "The embedded endorsement is not a readable JWS credential.",
    EndorsedSubjectMatches = "endorsed_subject.matches" => "The endorsement is about {subject}, the thing it is attached to.",
    EndorsedSubjectOther = "endorsed_subject.other" => "The endorsement is about {subject}, not about {expected} to which it is attached: it endorses something else.",
    EndorsedSubjectMissing = "endorsed_subject.missing" => "The endorsement does not say what it endorses (its credentialSubject has no id).",
    EndorsedSubjectNoTarget = "endorsed_subject.no_target" => "The endorsement is about {subject}, but the thing it is attached to has no id to compare it with.",

    // model.rule: the rules of the data-model check (`model::check`), each a detail of the
    // data_model or open_badges check. `{path}` is the JSON path of the offending value
    // (`(document)` for the document itself); `{found}` is the JSON type found, in English
    // ("a string", "an array", "the number 5").
    ModelRuleUnreadable = "model.rule.unreadable" => "{path}: the document could not be read",
    ModelRuleRequired = "model.rule.required" => "{path}: required",
    ModelRuleMustInclude = "model.rule.must_include" => "{path}: must include {wanted}",
    ModelRuleEmptyList = "model.rule.empty_list" => "{path}: must not be an empty list",
    ModelRuleCredentialNotObject = "model.rule.credential_not_object" => "{path}: must be a JSON object (a credential), not {found}",
    ModelRulePresentationNotObject = "model.rule.presentation_not_object" => "{path}: must be a JSON object (a presentation), not {found}",
    ModelRuleContextRequired = "model.rule.context.required" => "{path}: required: an ordered list of contexts starting with {context}",
    ModelRuleContextFirst = "model.rule.context.first" => "{path}: the first context must be {context} (or, for VCDM 1.1, {legacy_context})",
    ModelRuleContextEmpty = "model.rule.context.empty" => "{path}: must not be empty: the first context must be {context} (or, for VCDM 1.1, {legacy_context})",
    ModelRuleContextUrlInvalid = "model.rule.context.url_invalid" => "{path}: must be a context URL or a context object: the URL {error}",
    ModelRuleContextEntryType = "model.rule.context.entry_type" => "{path}: must be a context URL or a context object, not {found}",
    ModelRuleContextType = "model.rule.context.type" => "{path}: must be a list of contexts, not {found}",
    ModelRuleObContextMissing = "model.rule.context.ob_missing" => "{path}: an Open Badges 3.0 credential must include the OB 3.0 context ({context})",
    ModelRuleTypeEntry = "model.rule.type.entry" => "{path}: must be a type name or URL (a non-empty string), not {found}",
    ModelRuleTypeValue = "model.rule.type.value" => "{path}: must be a type name or a non-empty list of type names, not {found}",
    ModelRuleAchievementSubjectNotBadge = "model.rule.type.achievement_subject_not_badge" => "{path}: a credential whose subject is an AchievementSubject is an Open Badge: its type must include OpenBadgeCredential or AchievementCredential",
    ModelRuleTypeIdentityObject = "model.rule.type.identity_object" => "{path}: an identifier's type must include {wanted}",
    ModelRuleTypeResult = "model.rule.type.result" => "{path}: a result's type must include {wanted}",
    ModelRuleTypeAchievement = "model.rule.type.achievement" => "{path}: an achievement's type must include {wanted}",
    ModelRuleTypeResultDescription = "model.rule.type.result_description" => "{path}: a result description's type must include {wanted}",
    ModelRuleTypeAlignment = "model.rule.type.alignment" => "{path}: an alignment's type must include {wanted}",
    ModelRuleTypeImage = "model.rule.type.image" => "{path}: an image's type must include {wanted}",
    /// The issuer, source or creator, named by its property.
    ModelRuleTypeProfile = "model.rule.type.profile" => "{path}: the {property}'s type must include {wanted}",
    ModelRuleTypeAchievementSubject = "model.rule.type.achievement_subject" => "{path}: an Open Badge's credentialSubject's type must include {wanted}",
    ModelRuleTypeEndorsementSubject = "model.rule.type.endorsement_subject" => "{path}: an endorsement's credentialSubject's type must include {wanted}",
    ModelRuleTypeEvidence = "model.rule.type.evidence" => "{path}: an OB 3.0 evidence item's type must include {wanted}",
    ModelRuleTypeEmbeddedEndorsement = "model.rule.type.embedded_endorsement" => "{path}: an embedded endorsement's type must include {wanted}",
    ModelRuleUrlRequired = "model.rule.url.required" => "{path}: required: a URL",
    ModelRuleUrlInvalid = "model.rule.url.invalid" => "{path}: must be a URL: the value {error}",
    ModelRuleUrlList = "model.rule.url.list" => "{path}: must be a single URL, not a list",
    ModelRuleUrlType = "model.rule.url.type" => "{path}: must be a URL, not {found}",
    ModelRuleStringRequired = "model.rule.string.required" => "{path}: required: a string",
    ModelRuleString = "model.rule.string" => "{path}: must be a string",
    ModelRuleStringType = "model.rule.string.type" => "{path}: must be a string, not {found}",
    ModelRuleNumberType = "model.rule.number.type" => "{path}: must be a number, not {found}",
    ModelRuleBooleanRequired = "model.rule.boolean.required" => "{path}: required: true or false",
    ModelRuleBooleanType = "model.rule.boolean.type" => "{path}: must be true or false, not {found}",
    /// `shape` is the JSON shape of a language value object.
    ModelRuleTextType = "model.rule.text.type" => "{path}: must be a string or a language value object ({shape}), not {found}",
    ModelRuleTextDirection = "model.rule.text.direction" => "{path}: must be \"ltr\" or \"rtl\"",
    ModelRuleTextKeys = "model.rule.text.keys" => "{path}: a language value object may only carry @value, @language and @direction",
    ModelRuleDateTimeRequired = "model.rule.date_time.required" => "{path}: required: a date-time such as 2026-06-30T12:00:00Z",
    ModelRuleDateTimeInvalid = "model.rule.date_time.invalid" => "{path}: must be an xsd:dateTimeStamp with a time zone, such as 2026-06-30T12:00:00Z ({error})",
    ModelRuleDateTimeType = "model.rule.date_time.type" => "{path}: must be a date-time string, not {found}",
    ModelRuleDateInvalid = "model.rule.date.invalid" => "{path}: must be an xsd:date such as 2024-01-15, or a date-time with a time zone such as 2024-01-15T09:00:00Z ({error})",
    ModelRuleDateType = "model.rule.date.type" => "{path}: must be a date or date-time string, not {found}",
    ModelRuleNotEarlierThan = "model.rule.date.not_earlier_than" => "{path}: must not be earlier than {field}",
    ModelRuleIssuerRequired = "model.rule.issuer.required" => "{path}: required: the issuer's URL, or an object whose id is that URL",
    ModelRuleIssuerType = "model.rule.issuer.type" => "{path}: must be the issuer's URL or an object whose id is that URL, not {found}",
    /// `shape` is the JSON shape of an Image.
    ModelRuleImageType = "model.rule.image.type" => "{path}: must be an Image object ({shape}), not {found}",
    ModelRuleSubjectRequired = "model.rule.subject.required" => "{path}: required: the subject(s) of the credential's claims",
    ModelRuleSubjectType = "model.rule.subject.type" => "{path}: must be an object, not {found}",
    ModelRuleSubjectNoClaim = "model.rule.subject.no_claim" => "{path}: must make at least one claim about the subject (a property other than id)",
    ModelRuleBadgeOneSubject = "model.rule.subject.badge_one" => "{path}: an Open Badge has exactly one subject: an object, not a list",
    ModelRuleEndorsementOneSubject = "model.rule.subject.endorsement_one" => "{path}: an endorsement has exactly one subject: an object, not a list",
    ModelRuleTypedEntryType = "model.rule.typed_entry.type" => "{path}: must be an object with a type, not {found}",
    ModelRuleProofTypeRequired = "model.rule.proof.type_required" => "{path}: required: every proof names its type",
    ModelRuleProofTypeValue = "model.rule.proof.type_value" => "{path}: must be the proof type (a string), not {found}",
    ModelRuleProofType = "model.rule.proof.type" => "{path}: must be a proof object, not {found}",
    /// An OB object type whose English name takes "a" (Criteria, Result, ResultDescription).
    ModelRuleObjectTypeA = "model.rule.object.type_a" => "{path}: must be a {object} object, not {found}",
    /// An OB object type whose English name takes "an" (Achievement, Alignment).
    ModelRuleObjectTypeAn = "model.rule.object.type_an" => "{path}: must be an {object} object, not {found}",
    ModelRuleProfileType = "model.rule.object.profile_type" => "{path}: must be a Profile object or URL, not {found}",
    ModelRuleIdentityObjectType = "model.rule.identity.type" => "{path}: must be an IdentityObject, not {found}",
    ModelRuleLearnerUnnamed = "model.rule.identity.learner_unnamed" => "{path}: must name the learner: an id, or at least one identifier (IdentityObject)",
    ModelRuleIdentityHash = "model.rule.identity.hash" => "{path}: a hashed identity must be sha256$ followed by 64 hex digits (or md5$ and 32)",
    ModelRuleAchievementRequired = "model.rule.achievement.required" => "{path}: required: the Achievement this badge attests",
    ModelRuleCriteriaRequired = "model.rule.achievement.criteria_required" => "{path}: required: how the achievement is earned",
    ModelRuleOneOf = "model.rule.one_of" => "{path}: must be one of {values}",
    ModelRuleEndorsementDepth = "model.rule.endorsement.depth" => "{path}: endorsements nest more than {max} levels deep",
    ModelRuleCompactJws = "model.rule.endorsement.compact_jws" => "{path}: must be a compact JWS (header.payload.signature)",
    ModelRuleEnvelopedId = "model.rule.presentation.enveloped_id" => "{path}: an enveloped credential's id must be a data: URL holding it",
    ModelRulePresentedCredentialType = "model.rule.presentation.credential_type" => "{path}: must be a credential object, an enveloped credential or a compact JWS, not {found}",
}

impl MessageCode {
    /// The code with this name.
    pub fn from_name(name: &str) -> Option<MessageCode> {
        MessageCode::ALL
            .iter()
            .copied()
            .find(|c| c.as_str() == name)
    }

    /// The names of the arguments the code's English template uses, in order.
    pub fn params(self) -> Vec<&'static str> {
        placeholders(self.english())
    }
}

impl fmt::Display for MessageCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for MessageCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// The `{name}` placeholders of a template, in order of appearance (repeats included once).
pub fn placeholders(template: &str) -> Vec<&str> {
    let mut names = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else { break };
        let name = &after[..close];
        if !name.is_empty()
            && name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
            && !names.contains(&name)
        {
            names.push(name);
        }
        rest = &after[close + 1..];
    }
    names
}

/// What an argument holds, so a renderer can set it apart from the sentence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ArgKind {
    /// Words taken from a document or a registry (a name, a status message): shown as they are.
    Text,
    /// An identifier: a DID, URL, key id, JSON path, cryptosuite or property name.
    Identifier,
    /// Raw technical text from a lower layer (in English), e.g. a parser's error.
    Technical,
    /// A count or an index.
    Number,
    /// An RFC 3339 date-time (UTC, seconds).
    Date,
}

/// One named argument of a message.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Arg {
    pub name: &'static str,
    pub value: String,
    pub kind: ArgKind,
}

/// A sentence of a report: a code, its arguments, and (for a document with several proofs)
/// the proof it is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Message {
    pub code: MessageCode,
    pub args: Vec<Arg>,
    /// Which proof (1-based) the sentence is about, when the document has several.
    pub proof: Option<usize>,
}

impl Message {
    /// A message without arguments (add them with the builder methods).
    pub fn new(code: MessageCode) -> Self {
        Self {
            code,
            args: Vec::new(),
            proof: None,
        }
    }

    fn with(mut self, name: &'static str, value: impl Into<String>, kind: ArgKind) -> Self {
        self.args.push(Arg {
            name,
            value: value.into(),
            kind,
        });
        self
    }

    /// Adds words from a document or registry.
    pub fn text(self, name: &'static str, value: impl Into<String>) -> Self {
        self.with(name, value, ArgKind::Text)
    }

    /// Adds an identifier (DID, URL, path, …).
    pub fn id(self, name: &'static str, value: impl Into<String>) -> Self {
        self.with(name, value, ArgKind::Identifier)
    }

    /// Adds raw technical text from a lower layer.
    pub fn raw(self, name: &'static str, value: impl fmt::Display) -> Self {
        self.with(name, value.to_string(), ArgKind::Technical)
    }

    /// Adds a count or an index.
    pub fn number(self, name: &'static str, value: impl fmt::Display) -> Self {
        self.with(name, value.to_string(), ArgKind::Number)
    }

    /// Adds a date-time.
    pub fn date(self, name: &'static str, value: DateTime<Utc>) -> Self {
        self.with(
            name,
            value.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            ArgKind::Date,
        )
    }

    /// Marks the sentence as being about proof `n` (1-based) of several.
    pub fn about_proof(mut self, n: usize) -> Self {
        self.proof = Some(n);
        self
    }

    /// The value of an argument.
    pub fn arg(&self, name: &str) -> Option<&str> {
        self.args
            .iter()
            .find(|a| a.name == name)
            .map(|a| a.value.as_str())
    }

    /// The English sentence (the API and CLI text).
    pub fn english(&self) -> String {
        let body = fill(self.code.english(), |name| self.arg(name));
        match self.proof {
            Some(n) => format!("proof {n}: {body}"),
            None => body,
        }
    }
}

/// Replaces each `{name}` of `template` by `value(name)`; unknown placeholders stay as written.
pub fn fill<'a>(template: &str, value: impl Fn(&str) -> Option<&'a str>) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                let name = &after[..close];
                match value(name) {
                    Some(v) => out.push_str(v),
                    None => {
                        out.push('{');
                        out.push_str(name);
                        out.push('}');
                    }
                }
                rest = &after[close + 1..];
            }
            None => {
                out.push_str(&rest[open..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.english())
    }
}

/// The arguments as a JSON object (name → value), in order.
pub(crate) struct ArgsMap<'a>(pub(crate) &'a [Arg]);

impl Serialize for ArgsMap<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for arg in self.0 {
            map.serialize_entry(arg.name, &arg.value)?;
        }
        map.end()
    }
}

impl Serialize for Message {
    /// `{"code": "…", "args": {…}}`, plus `"proof": n` when the sentence is about one proof
    /// of several.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("code", self.code.as_str())?;
        map.serialize_entry("args", &ArgsMap(&self.args))?;
        if let Some(n) = self.proof {
            map.serialize_entry("proof", &n)?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_templates_name_their_arguments() {
        let mut names: Vec<&str> = MESSAGE_CODES.to_vec();
        names.sort_unstable();
        let before = names.len();
        names.dedup();
        assert_eq!(before, names.len(), "a code name appears twice");
        assert_eq!(MESSAGE_CODES.len(), MessageCode::ALL.len());
        for code in MessageCode::ALL {
            assert_eq!(MessageCode::from_name(code.as_str()), Some(*code));
            assert!(!code.english().trim().is_empty(), "{code}");
        }
        assert_eq!(
            MessageCode::StatusDetailListUnreadable.params(),
            ["url", "reason"]
        );
    }

    #[test]
    fn english_fills_arguments_and_prefixes_the_proof() {
        let message = Message::new(MessageCode::ProofDetailValid)
            .id("suite", "eddsa-rdfc-2022")
            .about_proof(2);
        assert_eq!(
            message.english(),
            "proof 2: eddsa-rdfc-2022 signature is valid"
        );
        assert_eq!(
            fill("{a} and {b}", |n| (n == "a").then_some("x")),
            "x and {b}"
        );
        assert_eq!(fill("open { brace", |_| None), "open { brace");
        assert_eq!(
            serde_json::to_value(&message).unwrap(),
            serde_json::json!({"code": "proof.detail.valid", "args": {"suite": "eddsa-rdfc-2022"}, "proof": 2})
        );
    }
}
