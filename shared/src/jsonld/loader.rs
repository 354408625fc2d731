//! The only document loader: the bundled contexts, nothing fetched; and the processor's
//! warnings, collected.

use std::cell::RefCell;
use std::sync::OnceLock;

use json_ld::syntax::Parse;
use json_ld::{IriBuf, LoadError, Loader, RemoteDocument};

use crate::contexts::{self, ContextError};

/// Serves only the bundled contexts; remembers the first URL it could not serve.
#[derive(Default)]
pub(crate) struct BundledLoader {
    pub(super) refused: RefCell<Option<ContextError>>,
}

impl Loader for BundledLoader {
    async fn load(&self, url: &json_ld::Iri) -> Result<RemoteDocument<IriBuf>, LoadError> {
        let bundled = match contexts::resolve(url.as_str()) {
            Ok(bundled) => bundled,
            Err(e) => {
                self.refused.borrow_mut().get_or_insert(e.clone());
                return Err(LoadError::new(url.to_owned(), e));
            }
        };
        let json = parsed_bundled(bundled).map_err(|reason| {
            LoadError::new(
                url.to_owned(),
                BundledContextUnreadable {
                    reason: reason.to_owned(),
                },
            )
        })?;
        Ok(RemoteDocument::new(
            Some(url.to_owned()),
            None,
            json.clone(),
        ))
    }
}

/// The bundled context's JSON, parsed once per process (in the order of [`contexts::all`]).
fn parsed_bundled(
    bundled: &contexts::BundledContext,
) -> Result<&'static json_syntax::Value, &'static str> {
    static PARSED: OnceLock<Vec<Result<json_syntax::Value, String>>> = OnceLock::new();
    let parsed = PARSED.get_or_init(|| {
        contexts::all()
            .iter()
            .map(|context| {
                json_syntax::Value::parse_str(context.json)
                    .map(|(json, _)| json)
                    .map_err(|e| e.to_string())
            })
            .collect()
    });
    let index = contexts::all()
        .iter()
        .position(|context| context.url == bundled.url)
        .ok_or("bundled context missing from the table")?;
    match parsed.get(index) {
        Some(Ok(json)) => Ok(json),
        Some(Err(reason)) => Err(reason.as_str()),
        None => Err("bundled context missing from the table"),
    }
}

#[derive(Debug, thiserror::Error)]
#[error("bundled context is not valid JSON: {reason}")]
struct BundledContextUnreadable {
    reason: String,
}

/// Collects the expansion warnings that mean data would be lost.
#[derive(Default)]
pub(super) struct Warnings {
    pub(super) malformed_language_tag: Option<String>,
}

impl<N> json_ld::warning::Handler<N, json_ld::expansion::Warning<json_ld::BlankIdBuf>>
    for Warnings
{
    fn handle(&mut self, _: &N, warning: json_ld::expansion::Warning<json_ld::BlankIdBuf>) {
        if let json_ld::expansion::Warning::MalformedLanguageTag(tag, _) = warning {
            self.malformed_language_tag.get_or_insert(tag);
        }
    }
}

impl<N> json_ld::warning::Handler<N, json_ld::context_processing::Warning> for Warnings {
    fn handle(&mut self, _: &N, _: json_ld::context_processing::Warning) {}
}
