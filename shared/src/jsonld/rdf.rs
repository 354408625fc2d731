//! The `json-ld` crate's RDF quads as `oxrdf` quads (what RDFC-1.0 canonicalises).

use json_ld::rdf_types::{Id as RdfId, LiteralType, Quad as RdfQuad, Term as RdfTerm};
use json_ld::{IriBuf, ValidId};
use oxrdf::{BlankNode, GraphName, Literal, NamedNode, Quad, Subject, Term};
use serde_json::Value;

use super::{JsonLdError, I18N_PREFIX, RDF_JSON};

type CrateQuad = RdfQuad<
    ValidId<IriBuf, json_ld::BlankIdBuf>,
    ValidId<IriBuf, json_ld::BlankIdBuf>,
    RdfTerm<ValidId<IriBuf, json_ld::BlankIdBuf>, json_ld::rdf_types::Literal>,
    ValidId<IriBuf, json_ld::BlankIdBuf>,
>;

pub(super) fn convert_quad(quad: CrateQuad) -> Result<Quad, JsonLdError> {
    let RdfQuad(subject, predicate, object, graph) = quad;
    let subject = match convert_id(subject) {
        RdfResource::Named(n) => Subject::NamedNode(n),
        RdfResource::Blank(b) => Subject::BlankNode(b),
    };
    let predicate = match convert_id(predicate) {
        RdfResource::Named(n) => n,
        // Generalized RDF is switched off, so a predicate is always an IRI.
        RdfResource::Blank(b) => {
            return Err(JsonLdError::InvalidIri {
                iri: b.to_string(),
                path: "(document)".into(),
            })
        }
    };
    let object = match object {
        RdfTerm::Id(id) => match convert_id(id) {
            RdfResource::Named(n) => Term::NamedNode(n),
            RdfResource::Blank(b) => Term::BlankNode(b),
        },
        RdfTerm::Literal(literal) => Term::Literal(convert_literal(literal)?),
    };
    let graph = match graph {
        None => GraphName::DefaultGraph,
        Some(id) => match convert_id(id) {
            RdfResource::Named(n) => GraphName::NamedNode(n),
            RdfResource::Blank(b) => GraphName::BlankNode(b),
        },
    };
    Ok(Quad::new(subject, predicate, object, graph))
}

enum RdfResource {
    Named(NamedNode),
    Blank(BlankNode),
}

fn convert_id(id: ValidId<IriBuf, json_ld::BlankIdBuf>) -> RdfResource {
    match id {
        // The json-ld crate only builds `IriBuf`s from valid IRIs.
        RdfId::Iri(iri) => RdfResource::Named(NamedNode::new_unchecked(iri.into_string())),
        RdfId::Blank(blank) => {
            RdfResource::Blank(BlankNode::new_unchecked(blank.suffix().to_owned()))
        }
    }
}

fn convert_literal(literal: json_ld::rdf_types::Literal) -> Result<Literal, JsonLdError> {
    match literal.type_ {
        LiteralType::LangString(tag) => Ok(Literal::new_language_tagged_literal_unchecked(
            literal.value,
            tag.as_str().to_ascii_lowercase(),
        )),
        LiteralType::Any(datatype) => {
            let datatype = datatype.as_str();
            if datatype == RDF_JSON {
                let parsed: Value = serde_json::from_str(&literal.value).map_err(|e| {
                    JsonLdError::InvalidDocument {
                        code: "invalid @json literal".into(),
                        message: e.to_string(),
                    }
                })?;
                let canonical =
                    serde_jcs::to_string(&parsed).map_err(|e| JsonLdError::InvalidDocument {
                        code: "invalid @json literal".into(),
                        message: e.to_string(),
                    })?;
                return Ok(Literal::new_typed_literal(
                    canonical,
                    NamedNode::new_unchecked(RDF_JSON),
                ));
            }
            let datatype = match datatype.strip_prefix(I18N_PREFIX) {
                // `i18n#en-US_rtl`: the language part is lowercased like any language tag.
                Some(suffix) => format!("{I18N_PREFIX}{}", lowercase_i18n(suffix)),
                None => datatype.to_owned(),
            };
            Ok(Literal::new_typed_literal(
                literal.value,
                NamedNode::new_unchecked(datatype),
            ))
        }
    }
}

/// `lang_dir` with the language lowercased; JSON-LD 1.1 keeps the `_` when there is no language
/// (`i18n#_rtl`), which the `json-ld` crate leaves out.
fn lowercase_i18n(suffix: &str) -> String {
    match suffix.rsplit_once('_') {
        Some((language, direction)) => format!("{}_{direction}", language.to_ascii_lowercase()),
        None => format!("_{suffix}"),
    }
}
