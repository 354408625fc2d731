//! Message catalogues: one TOML file per language, a flat map from key to text, plus `_name`
//! (the language's own name, for a switcher), `_dir` (`ltr` or `rtl`) and `_locale` (the POSIX
//! locale whose month names dates use). English is the fallback for a missing key; tests check
//! that every language has every key, so the fallback never shows in a shipped language.
//!
//! The core's own layer, in `shared/i18n/`, holds what every reader of a report needs: the
//! message codes of [`crate::verify`], check titles, verdicts and the badge card. Each program
//! adds its own layer (the verifier's page, the issuer's pages, the wallet) with
//! [`Catalogues::with_layer`]; a key defined twice is an error, so layers cannot shadow each
//! other. Dates and numbers are formatted for the language ([`Messages::date`],
//! [`Messages::number`]) from patterns in the catalogue and chrono's locale data.
//!
//! Adding a language: copy every layer's `en.toml`, translate it, add it to [`LANGUAGES`],
//! [`REPORT`] and each program's layer.

use std::collections::BTreeMap;

/// The languages every layer must provide: English first (the fallback), French, then the
/// other official languages of the United Nations.
pub const LANGUAGES: [&str; 6] = ["en", "fr", "ar", "es", "ru", "zh"];

/// A layer compiled into the calling crate: `i18n_layer!("i18n")` is `[(language, TOML); 6]`
/// for `<crate>/i18n/<language>.toml`, in the order of [`LANGUAGES`].
#[macro_export]
macro_rules! i18n_layer {
    ($dir:literal) => {
        [
            (
                "en",
                include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/", $dir, "/en.toml")),
            ),
            (
                "fr",
                include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/", $dir, "/fr.toml")),
            ),
            (
                "ar",
                include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/", $dir, "/ar.toml")),
            ),
            (
                "es",
                include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/", $dir, "/es.toml")),
            ),
            (
                "ru",
                include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/", $dir, "/ru.toml")),
            ),
            (
                "zh",
                include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/", $dir, "/zh.toml")),
            ),
        ]
    };
}

/// The core's layer, compiled in: (language tag, TOML).
pub const REPORT: [(&str, &str); 6] = crate::i18n_layer!("i18n");

/// One program's layer: (language tag, TOML) for every language of [`LANGUAGES`].
pub type Layer<'a> = [(&'a str, &'a str)];

/// Why a catalogue could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CatalogueError {
    #[error("catalogue {lang}: not valid TOML: {reason}")]
    Toml { lang: String, reason: String },
    #[error("catalogue {lang}: key {key:?} must be a string")]
    NotText { lang: String, key: String },
    #[error("catalogue {lang}: `_dir` must be \"ltr\" or \"rtl\"")]
    Direction { lang: String },
    #[error("catalogue {lang}: `_locale` {locale:?} is not a locale chrono knows")]
    Locale { lang: String, locale: String },
    #[error("catalogue {lang}: key {key:?} is defined by two layers")]
    Duplicate { lang: String, key: String },
    #[error("layer for {lang}: no such language in the core catalogues")]
    UnknownLanguage { lang: String },
    #[error("layer: no catalogue for {lang}")]
    MissingLanguage { lang: String },
}

/// One language's messages.
#[derive(Debug, Clone)]
pub struct Catalogue {
    pub lang: String,
    /// `ltr` or `rtl`.
    pub dir: &'static str,
    /// The language's own name.
    pub name: String,
    locale: chrono::Locale,
    messages: BTreeMap<String, String>,
}

impl Catalogue {
    /// Parses a catalogue.
    pub fn parse(lang: &str, toml_text: &str) -> Result<Self, CatalogueError> {
        let table: toml::Table =
            toml_text
                .parse()
                .map_err(|e: toml::de::Error| CatalogueError::Toml {
                    lang: lang.to_owned(),
                    reason: e.message().to_owned(),
                })?;
        let mut messages = BTreeMap::new();
        for (key, value) in table {
            let toml::Value::String(text) = value else {
                return Err(CatalogueError::NotText {
                    lang: lang.to_owned(),
                    key,
                });
            };
            messages.insert(key, text);
        }
        let dir = match messages.get("_dir").map(String::as_str) {
            None | Some("ltr") => "ltr",
            Some("rtl") => "rtl",
            Some(_) => {
                return Err(CatalogueError::Direction {
                    lang: lang.to_owned(),
                })
            }
        };
        let locale = match messages.get("_locale") {
            None => chrono::Locale::POSIX,
            Some(name) => {
                chrono::Locale::try_from(name.as_str()).map_err(|_| CatalogueError::Locale {
                    lang: lang.to_owned(),
                    locale: name.clone(),
                })?
            }
        };
        Ok(Self {
            lang: lang.to_owned(),
            dir,
            name: messages
                .get("_name")
                .cloned()
                .unwrap_or_else(|| lang.to_owned()),
            locale,
            messages,
        })
    }

    /// Adds a layer's messages; a key this catalogue already has is an error.
    fn extend(&mut self, layer: Catalogue) -> Result<(), CatalogueError> {
        for (key, text) in layer.messages {
            if key.starts_with('_') {
                continue;
            }
            if self.messages.contains_key(&key) {
                return Err(CatalogueError::Duplicate {
                    lang: self.lang.clone(),
                    key,
                });
            }
            self.messages.insert(key, text);
        }
        Ok(())
    }

    /// The keys this catalogue defines.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.messages.keys().map(String::as_str)
    }

    fn get(&self, key: &str) -> Option<&str> {
        self.messages.get(key).map(String::as_str)
    }
}

/// Every language a program speaks; the first is the fallback.
#[derive(Debug, Clone)]
pub struct Catalogues {
    languages: Vec<Catalogue>,
}

/// The `{name}` placeholders of a text, in order.
fn placeholders(text: &str) -> Vec<&str> {
    crate::verify::placeholders(text)
}

/// A catalogue chosen for one request, with the fallback behind it.
#[derive(Debug, Clone, Copy)]
pub struct Messages<'a> {
    pub catalogue: &'a Catalogue,
    fallback: &'a Catalogue,
    all: &'a Catalogues,
}

impl Catalogues {
    /// The core's catalogues alone: report messages, checks, verdicts and the badge card.
    pub fn report() -> Result<Self, CatalogueError> {
        let languages = REPORT
            .iter()
            .map(|(lang, text)| Catalogue::parse(lang, text))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self { languages })
    }

    /// The core's catalogues with a program's layer on top: the layer must cover every
    /// language of [`LANGUAGES`] and define no key the core (or itself, twice) defines.
    pub fn with_layer(layer: &Layer<'_>) -> Result<Self, CatalogueError> {
        let mut all = Self::report()?;
        for (lang, text) in layer {
            let catalogue = all
                .languages
                .iter_mut()
                .find(|c| c.lang == *lang)
                .ok_or_else(|| CatalogueError::UnknownLanguage {
                    lang: (*lang).to_owned(),
                })?;
            catalogue.extend(Catalogue::parse(lang, text)?)?;
        }
        if let Some(lang) = LANGUAGES
            .iter()
            .find(|lang| !layer.iter().any(|(l, _)| l == *lang))
        {
            return Err(CatalogueError::MissingLanguage {
                lang: (*lang).to_owned(),
            });
        }
        Ok(all)
    }

    /// What is wrong with these catalogues as a set, one sentence per problem: a key English
    /// has and a language lacks (or the reverse), an empty text, or a text whose `{placeholders}`
    /// differ from the English text's. Each program's tests assert this is empty.
    pub fn problems(&self) -> Vec<String> {
        let english = &self.languages[0];
        let mut problems = Vec::new();
        for catalogue in &self.languages {
            for (key, text) in &catalogue.messages {
                let Some(reference) = english.messages.get(key) else {
                    problems.push(format!("{}: {key} is not an English key", catalogue.lang));
                    continue;
                };
                if text.trim().is_empty() && !key.starts_with("number.") {
                    problems.push(format!("{}: {key} is empty", catalogue.lang));
                }
                let mut ours = placeholders(text);
                let mut theirs = placeholders(reference);
                ours.sort_unstable();
                theirs.sort_unstable();
                ours.dedup();
                theirs.dedup();
                if ours != theirs {
                    problems.push(format!(
                        "{}: {key} uses {ours:?}, English uses {theirs:?}",
                        catalogue.lang
                    ));
                }
            }
            for key in english.messages.keys() {
                if !catalogue.messages.contains_key(key) {
                    problems.push(format!("{} lacks {key}", catalogue.lang));
                }
            }
        }
        problems
    }

    /// The catalogue of `tag`'s primary language, if this program speaks it.
    pub fn get(&self, tag: &str) -> Option<Messages<'_>> {
        let catalogue = self.find(tag)?;
        Some(Messages {
            catalogue,
            fallback: &self.languages[0],
            all: self,
        })
    }

    pub fn languages(&self) -> &[Catalogue] {
        &self.languages
    }

    /// Picks a language: an explicit choice (`?lang=`) if supported, else the best match in an
    /// `Accept-Language` header, else the fallback.
    pub fn negotiate(&self, explicit: Option<&str>, accept_language: Option<&str>) -> Messages<'_> {
        let chosen = explicit
            .and_then(|tag| self.find(tag))
            .or_else(|| accept_language.and_then(|header| self.best_for_header(header)));
        let fallback = &self.languages[0];
        Messages {
            catalogue: chosen.unwrap_or(fallback),
            fallback,
            all: self,
        }
    }

    fn find(&self, tag: &str) -> Option<&Catalogue> {
        let primary = tag.split(['-', '_']).next().unwrap_or(tag).trim();
        self.languages
            .iter()
            .find(|c| c.lang.eq_ignore_ascii_case(primary))
    }

    fn best_for_header(&self, header: &str) -> Option<&Catalogue> {
        let mut ranked: Vec<(f32, usize, &str)> = header
            .split(',')
            .enumerate()
            .filter_map(|(position, part)| {
                let mut pieces = part.split(';');
                let tag = pieces.next()?.trim();
                let quality = pieces
                    .find_map(|p| p.trim().strip_prefix("q="))
                    .map_or(Some(1.0), |q| q.trim().parse::<f32>().ok())?;
                (quality > 0.0 && !tag.is_empty()).then_some((quality, position, tag))
            })
            .collect();
        ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        ranked.into_iter().find_map(|(_, _, tag)| self.find(tag))
    }
}

impl<'a> Messages<'a> {
    /// The text for `key`, falling back to English, then to the key itself.
    pub fn t(&self, key: &str) -> &'a str {
        self.catalogue
            .get(key)
            .or_else(|| self.fallback.get(key))
            .unwrap_or("")
    }

    /// The text for `key` with `{name}` placeholders replaced.
    pub fn format(&self, key: &str, args: &[(&str, &str)]) -> String {
        let mut text = self.t(key).to_owned();
        for (name, value) in args {
            text = text.replace(&format!("{{{name}}}"), value);
        }
        text
    }

    pub fn lang(&self) -> &'a str {
        &self.catalogue.lang
    }

    pub fn dir(&self) -> &'static str {
        self.catalogue.dir
    }

    /// Every language, for the switcher.
    pub fn languages(&self) -> &'a [Catalogue] {
        self.all.languages()
    }

    /// A date for a reader of this language: `2026-12-06`, or the date part of an
    /// RFC 3339 timestamp (`2026-12-06T10:00:00Z`, shown as the day in its own offset), written
    /// with the catalogue's `date.long` pattern and the locale's month names ("6 December 2026",
    /// "6 décembre 2026", "2026年12月6日"). Text that is not a date comes back unchanged.
    pub fn date(&self, text: &str) -> String {
        let day = chrono::DateTime::parse_from_rfc3339(text)
            .map(|t| t.date_naive())
            .ok()
            .or_else(|| chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").ok());
        let Some(day) = day else {
            return text.to_owned();
        };
        let pattern = self.t("date.long");
        let items: Vec<chrono::format::Item<'_>> =
            chrono::format::StrftimeItems::new_with_locale(pattern, self.catalogue.locale)
                .collect();
        if items.contains(&chrono::format::Item::Error) {
            return day.format("%Y-%m-%d").to_string();
        }
        day.format_localized_with_items(items.into_iter(), self.catalogue.locale)
            .to_string()
    }

    /// The name of the language `tag` names, in this catalogue's language (`language.<tag>`:
    /// "French" for `fr-CA` in English, "français" in French) when it is one of
    /// [`LANGUAGES`], else the tag as written.
    pub fn language_name(&self, tag: &str) -> String {
        match self.all.find(tag) {
            Some(c) => self.t(&format!("language.{}", c.lang)).to_owned(),
            None => tag.to_owned(),
        }
    }

    /// An OB 3.0 `achievementType` in this language (`achievement_type.<Type>`); one outside
    /// the spec's list (`ext:Bootcamp`) in the core's words.
    pub fn achievement_type(&self, kind: &str) -> String {
        self.term("achievement_type", kind)
            .unwrap_or_else(|| crate::verify::achievement_type_words(kind))
    }

    /// An OB 3.0 result type (`result_type.<Type>`), else the core's words.
    pub fn result_type(&self, kind: &str) -> String {
        self.term("result_type", kind)
            .unwrap_or_else(|| crate::verify::result_type_words(kind))
    }

    /// An OB 3.0 result status (`result_status.<Status>`), else the core's words.
    pub fn result_status(&self, status: &str) -> String {
        self.term("result_status", status)
            .unwrap_or_else(|| crate::verify::result_status_words(status))
    }

    /// The parts of a result's scale, in this language: its type, its range, the value required
    /// (`result.*`), numbers written the reader's way. Each front end joins them as it shows
    /// them.
    pub fn result_scale(&self, result: &crate::verify::ResultDetail) -> Vec<String> {
        let mut scale = Vec::new();
        if let Some(kind) = &result.result_type {
            scale.push(self.result_type(kind));
        }
        match (&result.value_min, &result.value_max) {
            (Some(min), Some(max)) => {
                scale.push(format!("{}–{}", self.number(min), self.number(max)))
            }
            (Some(min), None) => {
                scale.push(self.format("result.from", &[("min", &self.number(min))]))
            }
            (None, Some(max)) => {
                scale.push(self.format("result.up_to", &[("max", &self.number(max))]))
            }
            (None, None) => {}
        }
        if let Some(required) = &result.required {
            scale.push(self.format("result.required", &[("required", &self.number(required))]));
        }
        scale
    }

    /// `prefix.value` from the catalogue, when the value is a plain term that has one.
    pub fn term(&self, prefix: &str, value: &str) -> Option<String> {
        if value.is_empty() || !value.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return None;
        }
        let text = self.t(&format!("{prefix}.{value}"));
        (!text.is_empty()).then(|| text.to_owned())
    }

    /// A number of the credential (credits, a level) as a reader of the language writes it:
    /// `2`, `2.5`, `2,5`.
    pub fn decimal(&self, value: f64) -> String {
        if value.fract() == 0.0 && value.abs() < 1e15 {
            self.number(&format!("{value:.0}"))
        } else {
            self.number(&value.to_string())
        }
    }

    /// The card's credits line: earned of available, earned, or available (`card.credits_*`).
    pub fn credits(&self, details: &crate::verify::CardDetails) -> Option<String> {
        match (details.credits_earned, details.credits_available) {
            (Some(earned), Some(available)) => Some(self.format(
                "card.credits_of",
                &[
                    ("earned", &self.decimal(earned)),
                    ("available", &self.decimal(available)),
                ],
            )),
            (Some(earned), None) => {
                Some(self.format("card.credits_earned", &[("earned", &self.decimal(earned))]))
            }
            (None, Some(available)) => Some(self.format(
                "card.credits_available",
                &[("available", &self.decimal(available))],
            )),
            (None, None) => None,
        }
    }

    /// What a card says of the language of the badge's text, if anything: which language it is
    /// in when not this one (`card.language.other`); on a page not in English, that the
    /// credential does not say (most credentials say nothing of their language, and such text
    /// is most often English). Every front end (verifier page, claim page, wallet) shows this.
    pub fn language_remark(&self, details: &crate::verify::CardDetails) -> Option<String> {
        use crate::verify::TextLanguage;
        match details.text_language_for(self.lang()) {
            TextLanguage::Reader => None,
            TextLanguage::Other(tag) => Some(self.format(
                "card.language.other",
                &[
                    ("language", &self.language_name(&tag)),
                    ("reader", &self.language_name(self.lang())),
                ],
            )),
            TextLanguage::Unstated if self.lang() != "en" => {
                Some(self.t("card.language.unstated").to_owned())
            }
            TextLanguage::Unstated => None,
        }
    }

    /// A moment of a report (an RFC 3339 date-time): the day as [`Self::date`] writes it, and
    /// the UTC time when it is not midnight ("6 December 2026, 14:30 UTC"). Text that is not a
    /// date-time comes back unchanged.
    pub fn moment(&self, text: &str) -> String {
        let Ok(at) = chrono::DateTime::parse_from_rfc3339(text) else {
            return self.date(text);
        };
        let utc = at.with_timezone(&chrono::Utc);
        let day = self.date(&utc.format("%Y-%m-%d").to_string());
        if utc.format("%H:%M:%S").to_string() == "00:00:00" {
            day
        } else {
            self.format(
                "date.moment",
                &[("date", &day), ("time", &utc.format("%H:%M").to_string())],
            )
        }
    }

    /// A report sentence as plain text in this language: the catalogue's `msg.<code>` template
    /// (the core's English one if a catalogue lacks it), the proof prefix, dates and numbers
    /// written for the language. `special` may give its own text for an argument (the verifier
    /// describes where a status list came from); `None` means the default.
    pub fn message_with(
        &self,
        message: &crate::verify::Message,
        special: impl Fn(&crate::verify::Arg) -> Option<String>,
    ) -> String {
        use crate::verify::ArgKind;
        let translated = self.t(&format!("msg.{}", message.code));
        let template = if translated.is_empty() {
            message.code.english()
        } else {
            translated
        };
        let args: Vec<(String, String)> = message
            .args
            .iter()
            .map(|arg| {
                let text = special(arg).unwrap_or_else(|| match arg.kind {
                    ArgKind::Date => self.moment(&arg.value),
                    ArgKind::Number => self.number(&arg.value),
                    _ => arg.value.clone(),
                });
                (arg.name.to_owned(), text)
            })
            .collect();
        let body = crate::verify::fill(template, |name| {
            args.iter()
                .find(|(n, _)| n == name)
                .map(|(_, text)| text.as_str())
        });
        match message.proof {
            Some(n) => self.format("report.proof_prefix", &[("n", &n.to_string())]) + &body,
            None => body,
        }
    }

    /// [`Self::message_with`] with no special arguments.
    pub fn message(&self, message: &crate::verify::Message) -> String {
        self.message_with(message, |_| None)
    }

    /// A decimal number (`1234`, `-7.5`) written with the catalogue's digit group separator
    /// (`number.group`, groups of three once the integer part has `number.group_from` digits) and decimal mark
    /// (`number.decimal`): `1,234.5`, `1 234,5`. Text that is not a plain decimal number comes
    /// back unchanged, so a credential's free text is never altered.
    pub fn number(&self, text: &str) -> String {
        let (sign, unsigned) = match text.strip_prefix('-') {
            Some(rest) => ("-", rest),
            None => ("", text),
        };
        let (integer, fraction) = match unsigned.split_once('.') {
            Some((i, f)) => (i, Some(f)),
            None => (unsigned, None),
        };
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(integer) || fraction.is_some_and(|f| !digits(f)) {
            return text.to_owned();
        }
        let group = self.t("number.group");
        let group_from = self.t("number.group_from").parse::<usize>().unwrap_or(4);
        let mut out = String::from(sign);
        if integer.len() >= group_from {
            for (i, digit) in integer.chars().enumerate() {
                if i > 0 && (integer.len() - i) % 3 == 0 {
                    out.push_str(group);
                }
                out.push(digit);
            }
        } else {
            out.push_str(integer);
        }
        if let Some(fraction) = fraction {
            out.push_str(self.t("number.decimal"));
            out.push_str(fraction);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_report_catalogues_are_complete_with_exact_placeholders() {
        let all = Catalogues::report().unwrap();
        assert!(
            all.languages()[0].keys().count() > 300,
            "the English catalogue looks truncated"
        );
        let languages: Vec<&str> = all.languages().iter().map(|c| c.lang.as_str()).collect();
        assert_eq!(languages, LANGUAGES);
        assert_eq!(all.problems(), Vec::<String>::new());
    }

    #[test]
    fn problems_name_the_language_and_key() {
        let english = Catalogue::parse("en", "a = \"Hello {name}\"\nb = \"x\"").unwrap();
        let french = Catalogue::parse("fr", "a = \"Bonjour {nom}\"\nc = \"y\"").unwrap();
        let all = Catalogues {
            languages: vec![english, french],
        };
        let problems = all.problems();
        assert!(problems
            .iter()
            .any(|p| p.starts_with("fr: a uses [\"nom\"]")));
        assert!(problems.contains(&"fr: c is not an English key".to_owned()));
        assert!(problems.contains(&"fr lacks b".to_owned()));
    }

    /// Every report message code has a text in every language, using only the arguments the
    /// code provides; no catalogue has a message the core does not know.
    #[test]
    fn every_message_code_is_translated_with_its_own_arguments() {
        use crate::verify::{MessageCode, MESSAGE_CODES};

        let all = Catalogues::report().unwrap();
        for catalogue in all.languages() {
            for code in MessageCode::ALL {
                let key = format!("msg.{code}");
                let text = catalogue.get(&key).unwrap_or("");
                assert!(
                    !text.trim().is_empty(),
                    "{}: {key} is missing or empty",
                    catalogue.lang
                );
                let params = code.params();
                for used in placeholders(text) {
                    assert!(
                        params.contains(&used),
                        "{}: {key} uses {{{used}}}, but the code provides only {params:?}",
                        catalogue.lang
                    );
                }
            }
            for key in catalogue.keys() {
                if let Some(code) = key.strip_prefix("msg.") {
                    assert!(
                        MESSAGE_CODES.contains(&code),
                        "{}: {key} is not a code of the core",
                        catalogue.lang
                    );
                }
            }
        }
    }

    /// A translation is not the English text copied (a few identical ones are technical:
    /// a lone argument, a format name), in every language.
    #[test]
    fn every_language_translates_the_messages() {
        use crate::verify::MessageCode;

        let all = Catalogues::report().unwrap();
        let english = &all.languages()[0];
        for catalogue in &all.languages()[1..] {
            let same: Vec<String> = MessageCode::ALL
                .iter()
                .map(|code| format!("msg.{code}"))
                .filter(|key| english.get(key) == catalogue.get(key))
                .collect();
            assert!(
                same.len() <= 3,
                "{}: untranslated: {same:?}",
                catalogue.lang
            );
        }
        let arabic = all.languages().iter().find(|c| c.lang == "ar").unwrap();
        assert_eq!(arabic.dir, "rtl");
        assert!(all
            .languages()
            .iter()
            .filter(|c| c.lang != "ar")
            .all(|c| c.dir == "ltr"));
    }

    #[test]
    fn accept_language_is_negotiated_by_quality() {
        let all = Catalogues::report().unwrap();
        assert_eq!(
            all.negotiate(None, Some("fr-CA,fr;q=0.9,en;q=0.8")).lang(),
            "fr"
        );
        assert_eq!(
            all.negotiate(None, Some("de,en;q=0.5,fr;q=0.4")).lang(),
            "en"
        );
        assert_eq!(all.negotiate(None, Some("de, fr;q=0.2")).lang(), "fr");
        assert_eq!(all.negotiate(None, Some("fr;q=0")).lang(), "en");
        assert_eq!(all.negotiate(Some("en"), Some("fr")).lang(), "en");
        assert_eq!(all.negotiate(Some("xx"), Some("fr")).lang(), "fr");
        assert_eq!(all.negotiate(None, None).lang(), "en");
        for (header, lang) in [
            ("ar-EG,ar;q=0.9", "ar"),
            ("zh-CN,zh;q=0.9,en;q=0.5", "zh"),
            ("ru-RU", "ru"),
            ("es-419,es;q=0.9", "es"),
        ] {
            assert_eq!(all.negotiate(None, Some(header)).lang(), lang, "{header}");
        }
        assert_eq!(all.get("zh_CN.UTF-8").map(|m| m.lang()), Some("zh"));
        assert!(all.get("de").is_none());
        let french = all.negotiate(Some("fr"), None);
        assert_eq!(french.language_name("en-GB"), "anglais");
        assert_eq!(french.language_name("de"), "de");
    }

    #[test]
    fn right_to_left_catalogues_are_supported() {
        let rtl = Catalogue::parse("ar", "_name = \"العربية\"\n_dir = \"rtl\"\n").unwrap();
        assert_eq!(rtl.dir, "rtl");
        assert!(Catalogue::parse("xx", "_dir = \"up\"").is_err());
        assert!(Catalogue::parse("xx", "a = 1").is_err());
        assert!(matches!(
            Catalogue::parse("xx", "_locale = \"xx_YY\""),
            Err(CatalogueError::Locale { .. })
        ));
    }

    #[test]
    fn layers_cover_every_language_and_never_shadow_the_core() {
        let layer: Vec<(&str, &str)> = LANGUAGES.iter().map(|l| (*l, "\"x.y\" = \"z\"")).collect();
        let all = Catalogues::with_layer(&layer).unwrap();
        assert_eq!(all.negotiate(Some("ru"), None).t("x.y"), "z");
        assert!(!all
            .negotiate(Some("ru"), None)
            .t("verdict.verified")
            .is_empty());
        assert!(matches!(
            Catalogues::with_layer(&layer[..5]),
            Err(CatalogueError::MissingLanguage { lang }) if lang == "zh"
        ));
        let shadow: Vec<(&str, &str)> = LANGUAGES
            .iter()
            .map(|l| (*l, "\"verdict.verified\" = \"OK\""))
            .collect();
        assert!(matches!(
            Catalogues::with_layer(&shadow),
            Err(CatalogueError::Duplicate { .. })
        ));
        let mut unknown = layer.clone();
        unknown.push(("de", ""));
        assert!(matches!(
            Catalogues::with_layer(&unknown),
            Err(CatalogueError::UnknownLanguage { .. })
        ));
    }

    #[test]
    fn dates_are_written_for_each_language() {
        let all = Catalogues::report().unwrap();
        let day = |lang: &str, text: &str| all.negotiate(Some(lang), None).date(text);
        assert_eq!(day("en", "2026-12-06"), "6 December 2026");
        assert_eq!(day("fr", "2026-12-06T23:30:00+01:00"), "6 décembre 2026");
        assert_eq!(day("es", "2026-05-01"), "1 de mayo de 2026");
        assert_eq!(day("ru", "2026-05-01"), "1 мая 2026 г.");
        assert_eq!(day("zh", "2026-05-01"), "2026年5月1日");
        assert_eq!(day("ar", "2026-12-06"), "6 ديسمبر 2026");
        // Not a date: unchanged, never guessed at.
        assert_eq!(day("fr", "next Tuesday"), "next Tuesday");
        assert_eq!(day("fr", "2026-13-01"), "2026-13-01");
    }

    #[test]
    fn report_sentences_are_written_in_the_language_with_its_dates() {
        use crate::verify::{Message, MessageCode};
        let all = Catalogues::report().unwrap();
        let at = chrono::DateTime::parse_from_rfc3339("2026-05-01T00:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        let expired = Message::new(MessageCode::ValidityExpired).date("date", at);
        let english = all.negotiate(Some("en"), None).message(&expired);
        assert!(english.contains("1 May 2026"), "{english}");
        let french = all.negotiate(Some("fr"), None).message(&expired);
        assert!(french.contains("1 mai 2026"), "{french}");
        assert_ne!(english, french);
        let later = Message::new(MessageCode::ValidityExpired)
            .date("date", at + chrono::Duration::minutes(90))
            .about_proof(2);
        let russian = all.negotiate(Some("ru"), None).message(&later);
        assert!(russian.contains("1 мая 2026 г., 01:30 UTC"), "{russian}");
        assert!(!russian.contains("{"), "{russian}");
    }

    #[test]
    fn numbers_are_written_for_each_language() {
        let all = Catalogues::report().unwrap();
        let number = |lang: &str, text: &str| all.negotiate(Some(lang), None).number(text);
        assert_eq!(number("en", "1234567.25"), "1,234,567.25");
        assert_eq!(number("fr", "7.5"), "7,5");
        assert_eq!(number("fr", "12345"), "12\u{202f}345");
        assert_eq!(number("ru", "-1234"), "-1\u{a0}234");
        assert_eq!(number("es", "1234"), "1234");
        assert_eq!(number("es", "12345"), "12.345");
        assert_eq!(number("zh", "999"), "999");
        for text in ["", "1e5", "1.2.3", "12 ECTS", "-", ".5", "5."] {
            assert_eq!(number("fr", text), text, "{text:?}");
        }
    }
}
