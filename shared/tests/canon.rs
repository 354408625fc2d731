//! JSON-LD → RDF → RDFC-1.0 against the W3C and 1EdTech vectors, safe mode, toRdf pitfalls.

use passerelle_core::jsonld::{canonical_nquads, JsonLdError};
use serde_json::{json, Value};

use crate::util;

/// The proof options with the document's `@context`, as eddsa-rdfc-2022 canonicalizes them.
fn with_context(options: &Value, document: &Value) -> Value {
    let mut config = options.clone();
    if let Some(map) = config.as_object_mut() {
        map.remove("proofValue");
        map.insert("@context".into(), document["@context"].clone());
    }
    config
}

#[test]
fn rdfc_vectors_byte_for_byte() {
    let w3c_unsigned = util::json("vc-di-eddsa/unsigned.json");
    let ob_unsigned = util::json("openbadges/ldp-eddsa-rdfc-2022/unsigned.json");
    let cases: Vec<(&str, Value, String)> = vec![
        (
            "W3C rdfc-2022 canonDoc",
            w3c_unsigned.clone(),
            util::text("vc-di-eddsa/rdfc-2022/canonDocDataInt.txt"),
        ),
        (
            "W3C rdfc-2022 proofCanon",
            util::json("vc-di-eddsa/rdfc-2022/proofConfigDataInt.json"),
            util::text("vc-di-eddsa/rdfc-2022/proofCanonDataInt.txt"),
        ),
        (
            "W3C ed25519-signature-2020 canonDoc",
            w3c_unsigned.clone(),
            util::text("vc-di-eddsa/ed25519-signature-2020/canonDocEdSig.txt"),
        ),
        (
            "OB 3.0 LDP document-canon.nq",
            ob_unsigned.clone(),
            util::text("openbadges/ldp-eddsa-rdfc-2022/document-canon.nq"),
        ),
        (
            "OB 3.0 LDP proof-canon.nq",
            with_context(
                &util::json("openbadges/ldp-eddsa-rdfc-2022/proof-options.json"),
                &ob_unsigned,
            ),
            util::text("openbadges/ldp-eddsa-rdfc-2022/proof-canon.nq"),
        ),
    ];
    let mut failures = Vec::new();
    for (name, input, expected) in &cases {
        match canonical_nquads(input) {
            Ok(got) if &got == expected => {}
            Ok(got) => failures.push(format!(
                "{name}: differs\n--- got\n{got}--- expected\n{expected}"
            )),
            Err(e) => failures.push(format!("{name}: error {e}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
