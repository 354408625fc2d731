//! The verifier page's messages: the core's report catalogues ([`passerelle_core::i18n`]) with
//! this layer on top — one TOML file per language in `verifier/i18n/`, for the page's own words
//! (form, switcher, print view). A test keeps every language complete, placeholders exact.

pub use passerelle_core::i18n::{Catalogue, CatalogueError, Catalogues, Messages, LANGUAGES};

/// The page's layer, compiled in: (language tag, TOML).
pub const PAGE: [(&str, &str); 6] = passerelle_core::i18n_layer!("i18n");

/// The report catalogues with the page's layer.
pub fn builtin() -> Result<Catalogues, CatalogueError> {
    Catalogues::with_layer(&PAGE)
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_language_has_every_key_with_exact_placeholders() {
        let all = super::builtin().unwrap();
        assert_eq!(all.problems(), Vec::<String>::new());
    }
}
