//! Typed fields: URLs, strings, numbers, language-tagged text and dates, each with its rule.

use chrono::{DateTime, FixedOffset};
use serde_json::{Map, Value};

use super::{describe, index, key, Checker};
use crate::input::json_type_name;
use crate::model::datetime::{parse_date_or_date_time_stamp, parse_date_time_stamp};
use crate::model::Iri;
use crate::verify::{Message, MessageCode as C};

impl Checker {
    pub(super) fn iri_value(&mut self, value: &Value, path: &str) -> Option<Iri> {
        match value {
            Value::String(s) => match Iri::parse(s) {
                Ok(iri) => Some(iri),
                Err(err) => {
                    self.fail(path, Message::new(C::ModelRuleUrlInvalid).raw("error", err));
                    None
                }
            },
            Value::Array(_) => {
                self.fail(path, Message::new(C::ModelRuleUrlList));
                None
            }
            other => {
                self.fail(
                    path,
                    Message::new(C::ModelRuleUrlType).raw("found", json_type_name(other)),
                );
                None
            }
        }
    }

    pub(super) fn iri_field(
        &mut self,
        obj: &Map<String, Value>,
        base: &str,
        name: &str,
        required: bool,
    ) -> Option<Iri> {
        let path = key(base, name);
        match obj.get(name) {
            Some(value) => self.iri_value(value, &path),
            None => {
                if required {
                    self.fail(&path, Message::new(C::ModelRuleUrlRequired));
                }
                None
            }
        }
    }

    pub(super) fn string_field(
        &mut self,
        obj: &Map<String, Value>,
        base: &str,
        name: &str,
        required: bool,
    ) -> Option<String> {
        let path = key(base, name);
        match obj.get(name) {
            Some(Value::String(s)) => Some(s.clone()),
            Some(other) => {
                self.fail(
                    &path,
                    Message::new(C::ModelRuleStringType).raw("found", json_type_name(other)),
                );
                None
            }
            None => {
                if required {
                    self.fail(&path, Message::new(C::ModelRuleStringRequired));
                }
                None
            }
        }
    }

    pub(super) fn number_field(
        &mut self,
        obj: &Map<String, Value>,
        base: &str,
        name: &str,
    ) -> Option<f64> {
        match obj.get(name) {
            None => None,
            Some(Value::Number(n)) => n.as_f64(),
            Some(other) => {
                self.fail(
                    &key(base, name),
                    Message::new(C::ModelRuleNumberType).raw("found", json_type_name(other)),
                );
                None
            }
        }
    }

    /// A human-readable text: a string, a language value object, or a list of them (the first
    /// is returned).
    pub(super) fn text_field(
        &mut self,
        obj: &Map<String, Value>,
        base: &str,
        name: &str,
        required: bool,
    ) -> Option<String> {
        let path = key(base, name);
        match obj.get(name) {
            None => {
                if required {
                    self.fail(&path, Message::new(C::ModelRuleStringRequired));
                }
                None
            }
            Some(Value::Array(list)) if !list.is_empty() => {
                let mut first = None;
                for (i, item) in list.iter().enumerate() {
                    let text = self.text_value(item, &index(&path, i));
                    if first.is_none() {
                        first = text;
                    }
                }
                first
            }
            Some(value) => self.text_value(value, &path),
        }
    }

    pub(super) fn text_value(&mut self, value: &Value, path: &str) -> Option<String> {
        const SHAPE: &str = "{\"@value\", \"@language\", \"@direction\"}";
        match value {
            Value::String(s) => Some(s.clone()),
            Value::Object(map) if map.contains_key("@value") => {
                let mut ok = true;
                for (k, v) in map {
                    match (k.as_str(), v) {
                        ("@value", Value::String(_)) | ("@language", Value::String(_)) => {}
                        ("@direction", Value::String(d)) if d == "ltr" || d == "rtl" => {}
                        ("@value" | "@language", _) => {
                            ok = false;
                            self.fail(&key(path, k), Message::new(C::ModelRuleString));
                        }
                        ("@direction", _) => {
                            ok = false;
                            self.fail(&key(path, k), Message::new(C::ModelRuleTextDirection));
                        }
                        _ => {
                            ok = false;
                            self.fail(&key(path, k), Message::new(C::ModelRuleTextKeys));
                        }
                    }
                }
                ok.then(|| map.get("@value").and_then(Value::as_str).map(str::to_owned))
                    .flatten()
            }
            other => {
                self.fail(
                    path,
                    Message::new(C::ModelRuleTextType)
                        .id("shape", SHAPE)
                        .raw("found", describe(other)),
                );
                None
            }
        }
    }

    pub(super) fn date_field(
        &mut self,
        obj: &Map<String, Value>,
        base: &str,
        name: &str,
        required: bool,
    ) -> Option<DateTime<FixedOffset>> {
        let path = key(base, name);
        match obj.get(name) {
            None => {
                if required {
                    self.fail(&path, Message::new(C::ModelRuleDateTimeRequired));
                }
                None
            }
            Some(Value::String(s)) => match parse_date_time_stamp(s) {
                Ok(date) => Some(date),
                Err(err) => {
                    self.fail(
                        &path,
                        Message::new(C::ModelRuleDateTimeInvalid).raw("error", err),
                    );
                    None
                }
            },
            Some(other) => {
                self.fail(
                    &path,
                    Message::new(C::ModelRuleDateTimeType).raw("found", json_type_name(other)),
                );
                None
            }
        }
    }

    /// A term the OB 3.0 context types as `xsd:date` (`activityStartDate`, `activityEndDate`,
    /// `dateOfBirth`). The OB JSON Schema says date-time; the context decides what the
    /// credential means, so both an `xsd:date` and an `xsd:dateTimeStamp` are accepted (what
    /// the schema says is the `json_schema` check's to report).
    pub(super) fn date_or_date_time_field(
        &mut self,
        obj: &Map<String, Value>,
        base: &str,
        name: &str,
    ) {
        let path = key(base, name);
        match obj.get(name) {
            None => {}
            Some(Value::String(s)) => {
                if let Err(err) = parse_date_or_date_time_stamp(s) {
                    self.fail(
                        &path,
                        Message::new(C::ModelRuleDateInvalid).raw("error", err),
                    );
                }
            }
            Some(other) => {
                self.fail(
                    &path,
                    Message::new(C::ModelRuleDateType).raw("found", json_type_name(other)),
                );
            }
        }
    }
}
