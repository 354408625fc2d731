//! Message catalogues for the page: one TOML file per language in `verifier/i18n/`, a flat map
//! from key to text, plus `_name` (the language's own name, for the switcher) and `_dir`
//! (`ltr` or `rtl`). English is the fallback for a missing key; a test checks that every
//! language has every key, so the fallback never shows in a shipped language.
//!
//! Adding a language: copy `en.toml`, translate it, add it to [`BUILTIN`].

use std::collections::BTreeMap;

/// The catalogues compiled into the binary: (language tag, TOML).
/// English first (the fallback), then the other official languages of the United Nations.
pub const BUILTIN: [(&str, &str); 6] = [
    ("en", include_str!("../i18n/en.toml")),
    ("fr", include_str!("../i18n/fr.toml")),
    ("ar", include_str!("../i18n/ar.toml")),
    ("es", include_str!("../i18n/es.toml")),
    ("ru", include_str!("../i18n/ru.toml")),
    ("zh", include_str!("../i18n/zh.toml")),
];

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
}

/// One language's messages.
#[derive(Debug, Clone)]
pub struct Catalogue {
    pub lang: String,
    /// `ltr` or `rtl`.
    pub dir: &'static str,
    /// The language's own name.
    pub name: String,
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
        Ok(Self {
            lang: lang.to_owned(),
            dir,
            name: messages
                .get("_name")
                .cloned()
                .unwrap_or_else(|| lang.to_owned()),
            messages,
        })
    }

    /// The keys this catalogue defines.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.messages.keys().map(String::as_str)
    }

    fn get(&self, key: &str) -> Option<&str> {
        self.messages.get(key).map(String::as_str)
    }
}

/// Every language the page speaks; the first is the fallback.
#[derive(Debug, Clone)]
pub struct Catalogues {
    languages: Vec<Catalogue>,
}

/// A catalogue chosen for one request, with the fallback behind it.
#[derive(Debug, Clone, Copy)]
pub struct Messages<'a> {
    pub catalogue: &'a Catalogue,
    fallback: &'a Catalogue,
    all: &'a Catalogues,
}

impl Catalogues {
    /// The built-in catalogues.
    pub fn builtin() -> Result<Self, CatalogueError> {
        let languages = BUILTIN
            .iter()
            .map(|(lang, text)| Catalogue::parse(lang, text))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self { languages })
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_has_every_key() {
        let all = Catalogues::builtin().unwrap();
        let english: Vec<&str> = all.languages()[0].keys().collect();
        assert!(english.len() > 50, "the English catalogue looks truncated");
        for catalogue in all.languages() {
            let keys: Vec<&str> = catalogue.keys().collect();
            let missing: Vec<&&str> = english.iter().filter(|k| !keys.contains(k)).collect();
            let extra: Vec<&&str> = keys.iter().filter(|k| !english.contains(k)).collect();
            assert!(missing.is_empty(), "{} lacks {missing:?}", catalogue.lang);
            assert!(
                extra.is_empty(),
                "{} has unknown keys {extra:?}",
                catalogue.lang
            );
            for key in &keys {
                assert!(
                    !catalogue.t_raw(key).trim().is_empty(),
                    "{}: {key} is empty",
                    catalogue.lang
                );
            }
        }
    }

    impl Catalogue {
        fn t_raw(&self, key: &str) -> &str {
            self.get(key).unwrap_or("")
        }
    }

    /// Every report message code has a non-empty text in every language, using only the
    /// arguments the code provides; no catalogue has a message the core does not know.
    #[test]
    fn every_message_code_is_translated_with_its_own_arguments() {
        use passerelle_core::verify::{placeholders, MessageCode, MESSAGE_CODES};

        let all = Catalogues::builtin().unwrap();
        for catalogue in all.languages() {
            for code in MessageCode::ALL {
                let key = format!("msg.{code}");
                let text = catalogue.t_raw(&key);
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
        use passerelle_core::verify::MessageCode;

        let all = Catalogues::builtin().unwrap();
        let english = &all.languages()[0];
        for catalogue in &all.languages()[1..] {
            let same: Vec<String> = MessageCode::ALL
                .iter()
                .map(|code| format!("msg.{code}"))
                .filter(|key| english.t_raw(key) == catalogue.t_raw(key))
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
        let all = Catalogues::builtin().unwrap();
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
        // The other UN languages, by primary subtag.
        for (header, lang) in [
            ("ar-EG,ar;q=0.9", "ar"),
            ("zh-CN,zh;q=0.9,en;q=0.5", "zh"),
            ("ru-RU", "ru"),
            ("es-419,es;q=0.9", "es"),
        ] {
            assert_eq!(all.negotiate(None, Some(header)).lang(), lang, "{header}");
        }
    }

    #[test]
    fn right_to_left_catalogues_are_supported() {
        let rtl = Catalogue::parse("ar", "_name = \"العربية\"\n_dir = \"rtl\"\n").unwrap();
        assert_eq!(rtl.dir, "rtl");
        assert!(Catalogue::parse("xx", "_dir = \"up\"").is_err());
        assert!(Catalogue::parse("xx", "a = 1").is_err());
    }
}
