//! The rules Open Badges 3.0 adds: achievement subjects, identity objects, results,
//! achievements, alignments and endorsements.

use serde_json::{Map, Value};

use super::{
    is_compact_jws, items, key, AchievementSummary, Checker, CredentialKind, EndorsementSummary,
    MAX_ENDORSEMENT_DEPTH,
};
use crate::input::json_type_name;
use crate::model::identity::is_identity_hash;
use crate::verify::{Message, MessageCode as C};

impl Checker {
    pub(super) fn achievement_subject(
        &mut self,
        subject: &Map<String, Value>,
        path: &str,
        depth: usize,
    ) -> Option<AchievementSummary> {
        self.require_type(
            subject,
            path,
            "AchievementSubject",
            Message::new(C::ModelRuleTypeAchievementSubject),
        );
        if !subject.contains_key("id") && !subject.contains_key("identifier") {
            self.fail(path, Message::new(C::ModelRuleLearnerUnnamed));
        }
        if let Some(value) = subject.get("identifier") {
            let ids_path = key(path, "identifier");
            if matches!(value, Value::Array(list) if list.is_empty()) {
                self.fail(&ids_path, Message::new(C::ModelRuleEmptyList));
            }
            for (item_path, item) in items(value, &ids_path) {
                self.identity_object(item, &item_path);
            }
        }
        if let Some(value) = subject.get("result") {
            for (item_path, item) in items(value, &key(path, "result")) {
                self.result(item, &item_path);
            }
        }
        if let Some(image) = subject.get("image") {
            self.image(image, &key(path, "image"));
        }
        if let Some(Value::Object(source)) = subject.get("source") {
            self.profile(source, &key(path, "source"), "source", depth);
        }
        self.number_field(subject, path, "creditsEarned");
        self.date_or_date_time_field(subject, path, "activityStartDate");
        self.date_or_date_time_field(subject, path, "activityEndDate");
        let achievement_path = key(path, "achievement");
        match subject.get("achievement") {
            Some(Value::Object(achievement)) => {
                self.achievement(achievement, &achievement_path, depth)
            }
            Some(other) => {
                self.fail(
                    &achievement_path,
                    Message::new(C::ModelRuleObjectTypeAn)
                        .id("object", "Achievement")
                        .raw("found", json_type_name(other)),
                );
                None
            }
            None => {
                self.fail(
                    &achievement_path,
                    Message::new(C::ModelRuleAchievementRequired),
                );
                None
            }
        }
    }

    pub(super) fn identity_object(&mut self, value: &Value, path: &str) {
        let Some(obj) = value.as_object() else {
            self.fail(
                path,
                Message::new(C::ModelRuleIdentityObjectType).raw("found", json_type_name(value)),
            );
            return;
        };
        self.require_type(
            obj,
            path,
            "IdentityObject",
            Message::new(C::ModelRuleTypeIdentityObject),
        );
        let hashed = match obj.get("hashed") {
            Some(Value::Bool(b)) => Some(*b),
            Some(other) => {
                self.fail(
                    &key(path, "hashed"),
                    Message::new(C::ModelRuleBooleanType).raw("found", json_type_name(other)),
                );
                None
            }
            None => {
                self.fail(
                    &key(path, "hashed"),
                    Message::new(C::ModelRuleBooleanRequired),
                );
                None
            }
        };
        let hash = self.string_field(obj, path, "identityHash", true);
        self.string_field(obj, path, "identityType", true);
        self.string_field(obj, path, "salt", false);
        if let (Some(true), Some(hash)) = (hashed, hash) {
            if !is_identity_hash(&hash) {
                self.fail(
                    &key(path, "identityHash"),
                    Message::new(C::ModelRuleIdentityHash),
                );
            }
        }
    }

    pub(super) fn result(&mut self, value: &Value, path: &str) {
        const STATUSES: &[&str] = crate::verify::RESULT_STATUSES;
        let Some(obj) = value.as_object() else {
            self.fail(
                path,
                Message::new(C::ModelRuleObjectTypeA)
                    .id("object", "Result")
                    .raw("found", json_type_name(value)),
            );
            return;
        };
        self.require_type(obj, path, "Result", Message::new(C::ModelRuleTypeResult));
        if let Some(status) = self.string_field(obj, path, "status", false) {
            if !STATUSES.contains(&status.as_str()) {
                self.fail(
                    &key(path, "status"),
                    Message::new(C::ModelRuleOneOf).id("values", STATUSES.join(", ")),
                );
            }
        }
    }

    pub(super) fn achievement(
        &mut self,
        obj: &Map<String, Value>,
        path: &str,
        depth: usize,
    ) -> Option<AchievementSummary> {
        let id = self.iri_field(obj, path, "id", true);
        self.require_type(
            obj,
            path,
            "Achievement",
            Message::new(C::ModelRuleTypeAchievement),
        );
        let name = self.text_field(obj, path, "name", true);
        let description = self.text_field(obj, path, "description", true);
        let criteria_path = key(path, "criteria");
        let (criteria_id, criteria_narrative) = match obj.get("criteria") {
            Some(Value::Object(criteria)) => (
                self.iri_field(criteria, &criteria_path, "id", false),
                self.string_field(criteria, &criteria_path, "narrative", false),
            ),
            Some(other) => {
                self.fail(
                    &criteria_path,
                    Message::new(C::ModelRuleObjectTypeA)
                        .id("object", "Criteria")
                        .raw("found", json_type_name(other)),
                );
                (None, None)
            }
            None => {
                self.fail(&criteria_path, Message::new(C::ModelRuleCriteriaRequired));
                (None, None)
            }
        };
        let image = obj
            .get("image")
            .and_then(|v| self.image(v, &key(path, "image")));
        let credits_available = self.number_field(obj, path, "creditsAvailable");
        let achievement_type = self.string_field(obj, path, "achievementType", false);
        let mut alignment_count = 0;
        if let Some(value) = obj.get("alignment") {
            for (item_path, item) in items(value, &key(path, "alignment")) {
                alignment_count += 1;
                self.alignment(item, &item_path);
            }
        }
        if let Some(value) = obj.get("resultDescription") {
            for (item_path, item) in items(value, &key(path, "resultDescription")) {
                match item.as_object() {
                    Some(rd) => {
                        self.iri_field(rd, &item_path, "id", true);
                        self.require_type(
                            rd,
                            &item_path,
                            "ResultDescription",
                            Message::new(C::ModelRuleTypeResultDescription),
                        );
                        self.text_field(rd, &item_path, "name", true);
                        self.string_field(rd, &item_path, "resultType", true);
                    }
                    None => self.fail(
                        &item_path,
                        Message::new(C::ModelRuleObjectTypeA)
                            .id("object", "ResultDescription")
                            .raw("found", json_type_name(item)),
                    ),
                }
            }
        }
        if let Some(Value::Object(creator)) = obj.get("creator") {
            self.profile(creator, &key(path, "creator"), "creator", depth);
        } else if let Some(other) = obj.get("creator") {
            if !other.is_string() {
                self.fail(
                    &key(path, "creator"),
                    Message::new(C::ModelRuleProfileType).raw("found", json_type_name(other)),
                );
            }
        }
        self.endorsements(obj, path, depth);
        Some(AchievementSummary {
            id: id?,
            name: name?,
            description: description?,
            criteria_id,
            criteria_narrative,
            image,
            achievement_type,
            credits_available,
            alignment_count,
        })
    }

    pub(super) fn alignment(&mut self, value: &Value, path: &str) {
        let Some(obj) = value.as_object() else {
            self.fail(
                path,
                Message::new(C::ModelRuleObjectTypeAn)
                    .id("object", "Alignment")
                    .raw("found", json_type_name(value)),
            );
            return;
        };
        self.require_type(
            obj,
            path,
            "Alignment",
            Message::new(C::ModelRuleTypeAlignment),
        );
        self.string_field(obj, path, "targetName", true);
        self.iri_field(obj, path, "targetUrl", true);
    }

    pub(super) fn endorsement_subject(
        &mut self,
        subject: &Map<String, Value>,
        path: &str,
    ) -> Option<EndorsementSummary> {
        self.require_type(
            subject,
            path,
            "EndorsementSubject",
            Message::new(C::ModelRuleTypeEndorsementSubject),
        );
        let subject_id = self.iri_field(subject, path, "id", true);
        let comment = self.string_field(subject, path, "endorsementComment", false);
        Some(EndorsementSummary {
            subject_id: subject_id?,
            comment,
        })
    }

    /// Embedded `endorsement` credentials and `endorsementJwt` strings of a credential,
    /// profile or achievement.
    pub(super) fn endorsements(&mut self, obj: &Map<String, Value>, base: &str, depth: usize) {
        if let Some(value) = obj.get("endorsement") {
            let path = key(base, "endorsement");
            if depth >= MAX_ENDORSEMENT_DEPTH {
                self.fail(
                    &path,
                    Message::new(C::ModelRuleEndorsementDepth).number("max", MAX_ENDORSEMENT_DEPTH),
                );
                return;
            }
            for (item_path, item) in items(value, &path) {
                if let Some(model) = self.credential(item, &item_path, depth + 1) {
                    if model.kind != CredentialKind::Endorsement {
                        self.fail(
                            &key(&item_path, "type"),
                            Message::new(C::ModelRuleTypeEmbeddedEndorsement)
                                .id("wanted", "EndorsementCredential"),
                        );
                    }
                }
            }
        }
        if let Some(value) = obj.get("endorsementJwt") {
            for (item_path, item) in items(value, &key(base, "endorsementJwt")) {
                if !item.as_str().is_some_and(is_compact_jws) {
                    self.fail(&item_path, Message::new(C::ModelRuleCompactJws));
                }
            }
        }
    }
}
