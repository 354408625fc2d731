//! The wallet's messages: the core's report catalogues ([`passerelle_core::i18n`]) with this
//! layer on top — one TOML file per language in `wallet-cli/i18n/`, for the wallet's own words
//! (card labels, prompts, what an import or a command did, the common errors) — and the choice
//! of language: `--lang`, else the POSIX locale variables. A test keeps every language
//! complete, placeholders exact.
//!
//! Only what a person reads is translated: `--json` output and clap's `--help` stay English.

pub use passerelle_core::i18n::{Catalogue, CatalogueError, Catalogues, Messages, LANGUAGES};

/// The wallet's layer, compiled in: (language tag, TOML).
pub const LAYER: [(&str, &str); 6] = passerelle_core::i18n_layer!("i18n");

/// The report catalogues with the wallet's layer.
pub fn builtin() -> Result<Catalogues, CatalogueError> {
    Catalogues::with_layer(&LAYER)
}

/// `--lang` named a language the wallet does not speak.
#[derive(Debug, thiserror::Error)]
#[error("--lang {given}: the wallet speaks {supported}")]
pub struct UnknownLanguage {
    pub given: String,
    /// The supported tags with their names: `en (English), fr (Français), …`.
    pub supported: String,
}

/// The locale the environment names for messages, in the POSIX order: the first non-empty of
/// `LC_ALL`, `LC_MESSAGES` and `LANG` (`var` reads a variable).
pub fn environment_locale(var: impl Fn(&str) -> Option<String>) -> Option<String> {
    ["LC_ALL", "LC_MESSAGES", "LANG"]
        .iter()
        .filter_map(|name| var(name))
        .find(|value| !value.trim().is_empty())
}

/// The language to speak: `explicit` (`--lang`) when given, which must be one the wallet
/// speaks; else the environment's `locale` (`fr_FR.UTF-8` → French; `C`, `POSIX` and any
/// language the wallet does not speak → English).
pub fn choose<'a>(
    all: &'a Catalogues,
    explicit: Option<&str>,
    locale: Option<&str>,
) -> Result<Messages<'a>, UnknownLanguage> {
    let english = all.negotiate(None, None);
    if let Some(given) = explicit {
        return all.get(given.trim()).ok_or_else(|| UnknownLanguage {
            given: given.to_owned(),
            supported: all
                .languages()
                .iter()
                .map(|c| format!("{} ({})", c.lang, c.name))
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    let Some(locale) = locale else {
        return Ok(english);
    };
    // `fr_FR.UTF-8@euro` → `fr_FR`; `C.UTF-8` → `C`.
    let name = locale.split(['.', '@']).next().unwrap_or("").trim();
    if name.is_empty() || name == "C" || name == "POSIX" {
        return Ok(english);
    }
    Ok(all.get(name).unwrap_or(english))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_has_every_key_with_exact_placeholders() {
        let all = builtin().unwrap();
        assert_eq!(all.problems(), Vec::<String>::new());
    }

    /// A translation is not the English text copied; the few identical ones are words French
    /// or Spanish share with English, punctuation or a pattern of placeholders, listed here.
    #[test]
    fn every_language_translates_the_wallets_words() {
        const SAME: &[&str] = &[
            "wallet.card.imported.text",
            "wallet.card.description",
            "wallet.card.format",
            "wallet.offer.absent",
            "wallet.error",
            "wallet.report.check",
            "wallet.list_comma",
            "wallet.list_semicolon",
        ];
        let english = Catalogue::parse("en", LAYER[0].1).unwrap();
        for (lang, text) in &LAYER[1..] {
            let catalogue = Catalogue::parse(lang, text).unwrap();
            let all = builtin().unwrap();
            let m = all.get(lang).unwrap();
            let en = all.get("en").unwrap();
            let same: Vec<&str> = english
                .keys()
                .filter(|key| !SAME.contains(key) && m.t(key) == en.t(key))
                .collect();
            assert!(same.is_empty(), "{lang}: untranslated: {same:?}");
            assert!(catalogue.keys().count() > 0);
        }
    }

    #[test]
    fn the_language_follows_lang_then_the_posix_variables() {
        let all = builtin().unwrap();
        let pick = |explicit: Option<&str>, locale: Option<&str>| {
            choose(&all, explicit, locale).map(|m| m.lang().to_owned())
        };
        assert_eq!(pick(None, Some("fr_FR.UTF-8")).unwrap(), "fr");
        assert_eq!(pick(None, Some("ru_RU.UTF-8")).unwrap(), "ru");
        assert_eq!(pick(None, Some("ar_EG.UTF-8@latin")).unwrap(), "ar");
        assert_eq!(pick(None, Some("zh_CN")).unwrap(), "zh");
        assert_eq!(pick(None, Some("es.UTF-8")).unwrap(), "es");
        for english in ["C", "POSIX", "C.UTF-8", "de_DE.UTF-8", "", "en_US.UTF-8"] {
            assert_eq!(pick(None, Some(english)).unwrap(), "en", "{english:?}");
        }
        assert_eq!(pick(None, None).unwrap(), "en");
        assert_eq!(pick(Some("zh"), Some("fr_FR.UTF-8")).unwrap(), "zh");
        assert_eq!(pick(Some("pt-BR"), None).unwrap_err().given, "pt-BR");
        let error = pick(Some("xx"), Some("fr_FR.UTF-8"))
            .unwrap_err()
            .to_string();
        for lang in LANGUAGES {
            assert!(error.contains(lang), "{error}");
        }

        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        assert_eq!(
            environment_locale(env(&[("LANG", "fr_FR.UTF-8"), ("LC_MESSAGES", "ru_RU")])),
            Some("ru_RU".into())
        );
        assert_eq!(
            environment_locale(env(&[("LANG", "fr_FR.UTF-8"), ("LC_ALL", "C")])),
            Some("C".into())
        );
        assert_eq!(
            environment_locale(env(&[
                ("LANG", "es_ES"),
                ("LC_ALL", ""),
                ("LC_MESSAGES", " ")
            ])),
            Some("es_ES".into())
        );
        assert_eq!(environment_locale(env(&[])), None);
    }
}
