//! The learner pages' messages (claim page, its wallet offer and connected apps, the OB 3.0 API
//! consent page): the core's report catalogues ([`passerelle_core::i18n`]) with this layer on
//! top — one TOML file per language in `issuer/i18n/`, for the pages' own words. The badge's
//! details reuse the core's `card.*`, `result.*`, `achievement_type.*` and `endorsements.*`
//! keys. A test keeps every language complete, placeholders exact. The admin API and the CLI
//! stay English.

pub use passerelle_core::i18n::{Catalogue, CatalogueError, Catalogues, Messages, LANGUAGES};

/// The pages' layer, compiled in: (language tag, TOML).
pub const PAGE: [(&str, &str); 6] = passerelle_core::i18n_layer!("i18n");

/// The report catalogues with the pages' layer.
pub fn builtin() -> Result<Catalogues, CatalogueError> {
    Catalogues::with_layer(&PAGE)
}

/// The printed certificate's words in `m`'s language (`certificate.*` keys), with its
/// direction.
pub fn certificate_labels(m: &Messages<'_>) -> crate::certificate::CertificateLabels {
    use crate::certificate::{CertificateLabels, Direction};
    let text = |key: &str| m.t(key).to_owned();
    CertificateLabels {
        lang: m.lang().to_owned(),
        dir: if m.dir() == "rtl" {
            Direction::Rtl
        } else {
            Direction::Ltr
        },
        title: text("certificate.title"),
        awarded_to: text("certificate.awarded_to"),
        for_achievement: text("certificate.for"),
        awarded_without_name: text("certificate.awarded_without_name"),
        issued_by: text("certificate.issued_by"),
        issued_on: text("certificate.issued_on"),
        credential_id: text("certificate.credential"),
        scan_to_verify: text("certificate.scan"),
        qr_holds_credential: text("certificate.holds_credential"),
        no_qr: text("certificate.no_qr"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_has_every_key_with_exact_placeholders() {
        let all = builtin().unwrap();
        assert_eq!(all.problems(), Vec::<String>::new());
    }

    /// Texts of this layer that may equal the English one in a language: names of products and
    /// formats, and a lone placeholder.
    const SAME_AS_ENGLISH: [&str; 6] = [
        // Two placeholders; only the brackets differ (full-width in Chinese).
        "claim.downloads.link",
        "offer.openid",
        // "Description" is the French word too.
        "claim.description",
        "claim.downloads.json_format",
        "claim.downloads.png_format",
        "claim.downloads.svg_format",
    ];

    #[test]
    fn every_language_translates_the_pages() {
        let all = builtin().unwrap();
        let english = all.negotiate(Some("en"), None);
        let keys: Vec<&str> = PAGE[0]
            .1
            .lines()
            .filter_map(|line| line.strip_prefix('"')?.split_once('"').map(|(k, _)| k))
            .collect();
        assert!(keys.len() > 60, "the English layer looks truncated");
        for lang in &LANGUAGES[1..] {
            let m = all.negotiate(Some(lang), None);
            assert_eq!(m.lang(), *lang);
            let same: Vec<&&str> = keys
                .iter()
                .filter(|key| !SAME_AS_ENGLISH.contains(key) && m.t(key) == english.t(key))
                .collect();
            assert!(same.is_empty(), "{lang}: untranslated: {same:?}");
        }
    }
}
