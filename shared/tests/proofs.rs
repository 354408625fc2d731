//! Data Integrity proofs against the W3C vc-di-eddsa and 1EdTech Open Badges vectors.

use passerelle_core::jsonld::JsonLdError;
use passerelle_core::keys::{KeyPair, PublicKey};
use passerelle_core::proof::{
    self, hash_data, proofs, sign, verify_proof, Cryptosuite, ParsedProof, ProofError,
    ProofOptions, ProofPurpose, Suite,
};
use serde_json::{json, Value};

use crate::util;

fn w3c_key() -> KeyPair {
    let pair = util::json("vc-di-eddsa/keyPair.json");
    let key = KeyPair::from_secret_multikey(pair["privateKeyMultibase"].as_str().unwrap())
        .expect("W3C vector private key");
    assert_eq!(
        key.public().to_multikey(),
        pair["publicKeyMultibase"].as_str().unwrap()
    );
    key
}

fn ob_key() -> KeyPair {
    let pair = util::json("openbadges/ldp-eddsa-rdfc-2022/key-pair.json");
    KeyPair::from_secret_multikey(pair["secretKeyMultibase"].as_str().unwrap())
        .expect("OB vector secret key (64-byte form)")
}

fn only_proof(document: &Value) -> ParsedProof {
    let mut all = proofs(document).expect("proofs parse");
    assert_eq!(all.len(), 1, "expected exactly one proof");
    all.remove(0)
}

fn options_from(proof: &ParsedProof, cryptosuite: Cryptosuite) -> ProofOptions {
    ProofOptions {
        cryptosuite,
        verification_method: proof.verification_method.clone().unwrap(),
        created: proof.created.clone().unwrap(),
        proof_purpose: ProofPurpose::AssertionMethod,
        challenge: None,
        domain: None,
    }
}

fn hex_text(relative: &str) -> String {
    util::text(relative).trim().to_owned()
}

/// One W3C / OB vector family: files holding each intermediate value.
struct Vector {
    name: &'static str,
    signed: &'static str,
    unsigned: Option<&'static str>,
    canon_doc: &'static str,
    proof_canon: &'static str,
    doc_hash: &'static str,
    proof_hash: &'static str,
    combined: &'static str,
    sig_hex: &'static str,
    sig_b58: &'static str,
    suite: Suite,
    resign_with: Option<Cryptosuite>,
}

fn w3c_vectors() -> Vec<Vector> {
    vec![
        Vector {
            name: "W3C eddsa-rdfc-2022",
            signed: "vc-di-eddsa/rdfc-2022/signedDataInt.json",
            unsigned: Some("vc-di-eddsa/unsigned.json"),
            canon_doc: "vc-di-eddsa/rdfc-2022/canonDocDataInt.txt",
            proof_canon: "vc-di-eddsa/rdfc-2022/proofCanonDataInt.txt",
            doc_hash: "vc-di-eddsa/rdfc-2022/docHashDataInt.txt",
            proof_hash: "vc-di-eddsa/rdfc-2022/proofHashDataInt.txt",
            combined: "vc-di-eddsa/rdfc-2022/combinedHashDataInt.txt",
            sig_hex: "vc-di-eddsa/rdfc-2022/sigHexDataInt.txt",
            sig_b58: "vc-di-eddsa/rdfc-2022/sigBTC58DataInt.txt",
            suite: Suite::EddsaRdfc2022,
            resign_with: Some(Cryptosuite::EddsaRdfc2022),
        },
        Vector {
            name: "W3C eddsa-jcs-2022",
            signed: "vc-di-eddsa/jcs-2022/signedJCS.json",
            unsigned: Some("vc-di-eddsa/unsigned.json"),
            canon_doc: "vc-di-eddsa/jcs-2022/canonDocJCS.txt",
            proof_canon: "vc-di-eddsa/jcs-2022/proofCanonJCS.txt",
            doc_hash: "vc-di-eddsa/jcs-2022/docHashJCS.txt",
            proof_hash: "vc-di-eddsa/jcs-2022/proofHashJCS.txt",
            combined: "vc-di-eddsa/jcs-2022/combinedHashJCS.txt",
            sig_hex: "vc-di-eddsa/jcs-2022/sigHexJCS.txt",
            sig_b58: "vc-di-eddsa/jcs-2022/sigBTC58JCS.txt",
            suite: Suite::EddsaJcs2022,
            resign_with: Some(Cryptosuite::EddsaJcs2022),
        },
        Vector {
            name: "W3C Ed25519Signature2020",
            signed: "vc-di-eddsa/ed25519-signature-2020/signedEdSig.json",
            unsigned: None,
            canon_doc: "vc-di-eddsa/ed25519-signature-2020/canonDocEdSig.txt",
            proof_canon: "vc-di-eddsa/ed25519-signature-2020/proofCanonEdSig.txt",
            doc_hash: "vc-di-eddsa/ed25519-signature-2020/docHashEdSig.txt",
            proof_hash: "vc-di-eddsa/ed25519-signature-2020/proofHashEdSig.txt",
            combined: "vc-di-eddsa/ed25519-signature-2020/combinedHashEdSig.txt",
            sig_hex: "vc-di-eddsa/ed25519-signature-2020/sigHexEdSig.txt",
            sig_b58: "vc-di-eddsa/ed25519-signature-2020/sigBTC58EdSig.txt",
            suite: Suite::Ed25519Signature2020,
            resign_with: None,
        },
    ]
}

fn check_vector(v: &Vector) -> Result<(), String> {
    let key = w3c_key();
    let signed = util::json(v.signed);
    let proof = only_proof(&signed);
    if proof.suite != v.suite {
        return Err(format!("suite {:?}", proof.suite));
    }
    let data = hash_data(&signed, &proof).map_err(|e| format!("hash_data: {e}"))?;
    let expect = |what: &str, got: &str, file: &str, trim: bool| -> Result<(), String> {
        let want = if trim {
            hex_text(file)
        } else {
            util::text(file)
        };
        if got == want {
            Ok(())
        } else {
            Err(format!("{what} differs:\n got  {got}\n want {want}"))
        }
    };
    expect(
        "canonical document",
        &data.canonical_document,
        v.canon_doc,
        false,
    )?;
    expect(
        "canonical proof config",
        &data.canonical_proof_config,
        v.proof_canon,
        false,
    )?;
    expect(
        "document hash",
        &hex::encode(data.document_hash),
        v.doc_hash,
        true,
    )?;
    expect(
        "proof hash",
        &hex::encode(data.proof_hash),
        v.proof_hash,
        true,
    )?;
    expect(
        "combined hash",
        &hex::encode(data.combined()),
        v.combined,
        true,
    )?;
    let signature = key.sign(&data.combined());
    expect("signature", &hex::encode(signature), v.sig_hex, true)?;
    let b58 = passerelle_core::multibase::encode_base58btc(&signature);
    expect("proofValue", &b58, v.sig_b58, true)?;
    if proof.proof_value.as_deref() != Some(b58.as_str()) {
        return Err("signed document's proofValue differs from sigBTC58".into());
    }
    let verified =
        verify_proof(&signed, &proof, &key.public()).map_err(|e| format!("verify: {e}"))?;
    if verified.legacy != v.suite.is_legacy() {
        return Err("legacy flag".into());
    }
    if let (Some(unsigned), Some(suite)) = (v.unsigned, v.resign_with) {
        let resigned = sign(&util::json(unsigned), &key, &options_from(&proof, suite))
            .map_err(|e| format!("re-sign: {e}"))?;
        let new = only_proof(&resigned);
        if new.proof_value != proof.proof_value {
            return Err(format!("re-signing gave {:?}", new.proof_value));
        }
        if !resigned["proof"].is_array() {
            return Err("signing must emit proof as an array".into());
        }
    }
    Ok(())
}

#[test]
fn w3c_vc_di_eddsa_vectors() {
    let failures: Vec<String> = w3c_vectors()
        .iter()
        .filter_map(|v| check_vector(v).err().map(|e| format!("{}: {e}", v.name)))
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn w3c_employ_vector_hash_and_signature_steps() {
    let key = w3c_key();
    let dir = "vc-di-eddsa/rdfc-2022/employ";
    let doc_hash = hex::decode(hex_text(&format!("{dir}/docHashDataInt.txt"))).unwrap();
    let proof_hash = hex::decode(hex_text(&format!("{dir}/proofHashDataInt.txt"))).unwrap();
    let combined = hex::decode(hex_text(&format!("{dir}/combinedHashDataInt.txt"))).unwrap();
    assert_eq!([proof_hash, doc_hash].concat(), combined);
    // The hashes are those of the canonical files.
    use sha2::Digest;
    let canon_doc = util::text(&format!("{dir}/canonDocDataInt.txt"));
    let proof_canon = util::text(&format!("{dir}/proofCanonDataInt.txt"));
    let mut recomputed = sha2::Sha256::digest(proof_canon.as_bytes()).to_vec();
    recomputed.extend_from_slice(&sha2::Sha256::digest(canon_doc.as_bytes()));
    assert_eq!(recomputed, combined);
    let signature = key.sign(&combined);
    assert_eq!(
        hex::encode(signature),
        hex_text(&format!("{dir}/sigHexDataInt.txt"))
    );
    let b58 = passerelle_core::multibase::encode_base58btc(&signature);
    assert_eq!(b58, hex_text(&format!("{dir}/sigBTC58DataInt.txt")));
    let signed = util::json(&format!("{dir}/signedDataInt.json"));
    assert_eq!(signed["proof"]["proofValue"], json!(b58));
    key.public().verify(&combined, &signature).unwrap();
    // Its context is not bundled: verification must say so, not fetch it.
    let err = verify_proof(&signed, &only_proof(&signed), &key.public()).unwrap_err();
    assert!(
        matches!(err, ProofError::Document(JsonLdError::UnknownContext(_))),
        "{err}"
    );
}

#[test]
fn openbadges_ldp_vector() {
    let dir = "openbadges/ldp-eddsa-rdfc-2022";
    let key = ob_key();
    let hashes = util::json(&format!("{dir}/hashes.json"));
    let signed = util::json(&format!("{dir}/signed.json"));
    let proof = only_proof(&signed);
    let data = hash_data(&signed, &proof).unwrap();
    assert_eq!(
        data.canonical_document,
        util::text(&format!("{dir}/document-canon.nq"))
    );
    assert_eq!(
        data.canonical_proof_config,
        util::text(&format!("{dir}/proof-canon.nq"))
    );
    assert_eq!(
        json!(hex::encode(data.document_hash)),
        hashes["documentHashHex"]
    );
    assert_eq!(json!(hex::encode(data.proof_hash)), hashes["proofHashHex"]);
    assert_eq!(json!(hex::encode(data.combined())), hashes["dataToSignHex"]);
    let signature = key.sign(&data.combined());
    assert_eq!(json!(hex::encode(signature)), hashes["signatureHex"]);
    assert_eq!(
        json!(passerelle_core::multibase::encode_base58btc(&signature)),
        hashes["proofValue"]
    );
    assert_eq!(json!(proof.proof_value), hashes["proofValue"]);
    verify_proof(&signed, &proof, &key.public()).unwrap();

    let unsigned = util::json(&format!("{dir}/unsigned.json"));
    let resigned = sign(
        &unsigned,
        &key,
        &options_from(&proof, Cryptosuite::EddsaRdfc2022),
    )
    .unwrap();
    assert!(resigned["proof"].is_array());
    assert_eq!(
        json!(only_proof(&resigned).proof_value),
        hashes["proofValue"]
    );
}

fn fragment_key(proof: &ParsedProof) -> PublicKey {
    let vm = proof
        .verification_method
        .as_deref()
        .expect("verificationMethod");
    let fragment = vm.rsplit_once('#').map(|(_, f)| f).unwrap_or(vm);
    let fragment = fragment.strip_prefix("did:key:").unwrap_or(fragment);
    PublicKey::from_multikey(fragment).expect("VM fragment is a multikey")
}

#[test]
fn openbadges_validator_samples_verify() {
    let samples = [
        ("openbadges/validator-samples/simple.json", false),
        (
            "openbadges/validator-samples/simple-did-key-method.json",
            false,
        ),
        ("openbadges/validator-samples/endorsement-valid.json", false),
        (
            "status-list/1edtech-testlist-statuslist-credential.json",
            false,
        ),
        ("status-list/1edtech-credential-status-revoked.json", false),
        ("openbadges/validator-samples/simple_v1.json", true),
        ("openbadges/validator-samples/simple-eddsa-2022.json", true),
    ];
    let mut failures = Vec::new();
    for (file, legacy) in samples {
        let doc = util::json(file);
        let result = proofs(&doc).map_err(|e| e.to_string()).and_then(|all| {
            if all.is_empty() {
                return Err("no proof".into());
            }
            all.iter()
                .map(|p| verify_proof(&doc, p, &fragment_key(p)).map_err(|e| e.to_string()))
                .collect::<Result<Vec<_>, _>>()
        });
        match result {
            Ok(verified) if verified.iter().all(|v| v.legacy == legacy) => {}
            Ok(verified) => failures.push(format!("{file}: legacy flag {verified:?}")),
            Err(e) => failures.push(format!("{file}: {e}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn bad_proof_value_sample_fails() {
    let doc = util::json("negative/1edtech-ob30/simple-err-proof-value.json");
    let proof = &proofs(&doc).unwrap()[0];
    let err = verify_proof(&doc, proof, &fragment_key(proof)).unwrap_err();
    assert!(matches!(err, ProofError::BadSignature { .. }), "{err}");
}

type Tamper = Box<dyn Fn(&mut Value)>;

/// Small changes anywhere (credential data, proof options) break every suite's signature.
#[test]
fn tampering_is_detected() {
    let w3c = w3c_key().public();
    let ob = ob_key().public();
    let cases: Vec<(&str, PublicKey)> = vec![
        ("vc-di-eddsa/rdfc-2022/signedDataInt.json", w3c),
        ("vc-di-eddsa/jcs-2022/signedJCS.json", w3c),
        ("vc-di-eddsa/ed25519-signature-2020/signedEdSig.json", w3c),
        ("openbadges/ldp-eddsa-rdfc-2022/signed.json", ob),
    ];
    let mut failures = Vec::new();
    for (file, key) in cases {
        let original = util::json(file);
        let tampers: Vec<(&str, Tamper)> = vec![
            (
                "credentialSubject member",
                Box::new(|d: &mut Value| {
                    let subject = d["credentialSubject"].as_object_mut().unwrap();
                    let (k, _) = subject
                        .iter()
                        .find(|(k, _)| *k != "id" && *k != "type")
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .unwrap();
                    subject.insert(k, json!("tampered"));
                }),
            ),
            (
                "credentialSubject id",
                Box::new(|d: &mut Value| d["credentialSubject"]["id"] = json!("did:example:other")),
            ),
            (
                "proof created",
                Box::new(|d: &mut Value| d["proof"]["created"] = json!("2023-02-24T23:36:39Z")),
            ),
            (
                "proof purpose",
                Box::new(|d: &mut Value| d["proof"]["proofPurpose"] = json!("authentication")),
            ),
            (
                "issuer",
                Box::new(|d: &mut Value| {
                    if d["issuer"].is_string() {
                        d["issuer"] = json!("did:example:someone-else");
                    } else {
                        d["issuer"]["id"] = json!("did:example:someone-else");
                    }
                }),
            ),
        ];
        for (what, tamper) in tampers {
            let mut doc = original.clone();
            tamper(&mut doc);
            let proof = only_proof(&doc);
            match verify_proof(&doc, &proof, &key) {
                Err(ProofError::BadSignature { .. }) => {}
                other => failures.push(format!("{file} / {what}: {other:?}")),
            }
        }
        // A flipped character in proofValue.
        let mut doc = original.clone();
        let value = doc["proof"]["proofValue"].as_str().unwrap().to_owned();
        let flipped: String = value
            .char_indices()
            .map(|(i, c)| {
                if i == 10 {
                    if c == 'a' {
                        'b'
                    } else {
                        'a'
                    }
                } else {
                    c
                }
            })
            .collect();
        doc["proof"]["proofValue"] = json!(flipped);
        if verify_proof(&doc, &only_proof(&doc), &key).is_ok() {
            failures.push(format!("{file} / proofValue flip verified"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn safe_mode_with_multiple_proofs() {
    let doc = util::json("openbadges/validator-samples/simple-multiple-proofs.json");
    let err = sign(
        &doc,
        &ob_key(),
        &ProofOptions {
            cryptosuite: Cryptosuite::EddsaRdfc2022,
            verification_method: "https://example.com/issuers/876543#key".into(),
            created: "2025-01-01T00:00:00Z".into(),
            proof_purpose: ProofPurpose::AssertionMethod,
            challenge: None,
            domain: None,
        },
    )
    .unwrap_err();
    assert!(err.to_string().contains("SomeProofType"), "{err}");
    assert!(err.to_string().contains("proof[0].type"), "{err}");

    let all = proofs(&doc).unwrap();
    assert_eq!(all.len(), 2);
    assert!(matches!(all[0].suite, Suite::Unsupported { .. }));
    let err = verify_proof(&doc, &all[0], &ob_key().public()).unwrap_err();
    assert!(err.to_string().contains("SomeProofType"), "{err}");
    assert!(matches!(err, ProofError::UnsupportedSuite { .. }), "{err}");
    // The other proof of the set signs the document without any proof: it checks out alone.
    verify_proof(&doc, &all[1], &fragment_key(&all[1])).unwrap();
}

fn sample_credential() -> Value {
    json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential"],
        "issuer": "did:example:issuer",
        "validFrom": "2025-01-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:learner"}
    })
}

fn options(cryptosuite: Cryptosuite) -> ProofOptions {
    ProofOptions {
        cryptosuite,
        verification_method: "did:example:issuer#key-1".into(),
        created: "2025-01-01T00:00:00Z".into(),
        proof_purpose: ProofPurpose::AssertionMethod,
        challenge: None,
        domain: None,
    }
}

#[test]
fn proof_sets_and_round_trips() {
    let first = KeyPair::from_seed(&[1; 32]);
    let second = KeyPair::from_seed(&[2; 32]);
    let once = sign(
        &sample_credential(),
        &first,
        &options(Cryptosuite::EddsaRdfc2022),
    )
    .unwrap();
    let twice = sign(&once, &second, &options(Cryptosuite::EddsaJcs2022)).unwrap();
    let all = proofs(&twice).unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[1].path, "proof[1]");
    verify_proof(&twice, &all[0], &first.public()).unwrap();
    verify_proof(&twice, &all[1], &second.public()).unwrap();
    assert!(matches!(
        verify_proof(&twice, &all[0], &second.public()),
        Err(ProofError::BadSignature { .. })
    ));
    // A single-object proof is accepted too, and signing onto it keeps it.
    let mut single = once.clone();
    single["proof"] = once["proof"][0].clone();
    verify_proof(&single, &only_proof(&single), &first.public()).unwrap();
    let added = sign(&single, &second, &options(Cryptosuite::EddsaRdfc2022)).unwrap();
    assert_eq!(proofs(&added).unwrap().len(), 2);
}

#[test]
fn presentations_carry_challenge_and_domain() {
    let holder = KeyPair::from_seed(&[3; 32]);
    let vp = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "holder": "did:example:holder",
    });
    let mut opts = options(Cryptosuite::EddsaRdfc2022);
    opts.proof_purpose = ProofPurpose::Authentication;
    assert!(matches!(
        sign(&vp, &holder, &opts),
        Err(ProofError::MissingPresentationMember {
            member: "challenge",
            ..
        })
    ));
    opts.challenge = Some("n-0S6_WzA2Mj".into());
    opts.domain = Some("employer.example".into());
    let signed = sign(&vp, &holder, &opts).unwrap();
    let proof = only_proof(&signed);
    let verified = verify_proof(&signed, &proof, &holder.public()).unwrap();
    assert_eq!(verified.challenge.as_deref(), Some("n-0S6_WzA2Mj"));
    assert_eq!(verified.domain.as_deref(), Some("employer.example"));
    assert_eq!(verified.proof_purpose.as_deref(), Some("authentication"));
    let mut replayed = signed.clone();
    replayed["proof"][0]["challenge"] = json!("another-nonce");
    assert!(matches!(
        verify_proof(&replayed, &only_proof(&replayed), &holder.public()),
        Err(ProofError::BadSignature { .. })
    ));
}

#[test]
fn signing_refusals() {
    let key = KeyPair::from_seed(&[4; 32]);
    let opts = options(Cryptosuite::EddsaRdfc2022);
    let mut no_context = sample_credential();
    no_context.as_object_mut().unwrap().remove("@context");
    assert_eq!(
        sign(&no_context, &key, &opts),
        Err(ProofError::MissingContext)
    );
    let mut wrong_base = sample_credential();
    wrong_base["@context"] = json!(["https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]);
    assert!(matches!(
        sign(&wrong_base, &key, &opts),
        Err(ProofError::NotVcContext { .. })
    ));
    let mut undefined = sample_credential();
    undefined["credentialSubject"]["secret"] = json!("unsigned?");
    for suite in [Cryptosuite::EddsaRdfc2022, Cryptosuite::EddsaJcs2022] {
        match sign(&undefined, &key, &options(suite)) {
            Err(ProofError::Document(JsonLdError::UndefinedTerm { term, path })) => {
                assert_eq!(
                    (term.as_str(), path.as_str()),
                    ("secret", "credentialSubject.secret")
                )
            }
            other => panic!("{suite:?}: {other:?}"),
        }
    }
    let mut bad_created = opts.clone();
    bad_created.created = "yesterday".into();
    assert!(matches!(
        sign(&sample_credential(), &key, &bad_created),
        Err(ProofError::InvalidCreated { .. })
    ));
    assert!(matches!(
        sign(&json!([]), &key, &opts),
        Err(ProofError::DocumentNotObject { .. })
    ));
}

/// Hostile proofs give specific errors, never panics.
#[test]
fn malformed_proofs() {
    let key = KeyPair::from_seed(&[5; 32]);
    let signed = sign(
        &sample_credential(),
        &key,
        &options(Cryptosuite::EddsaRdfc2022),
    )
    .unwrap();
    let with = |proof: Value| {
        let mut d = signed.clone();
        d["proof"] = proof;
        d
    };
    assert!(matches!(
        proofs(&with(json!("text"))),
        Err(ProofError::ProofsNotObjectOrArray { .. })
    ));
    assert!(matches!(
        proofs(&with(json!([1]))),
        Err(ProofError::ProofNotObject { .. })
    ));
    assert!(matches!(
        proofs(&with(json!({}))),
        Err(ProofError::MissingMember { member: "type", .. })
    ));
    assert!(matches!(
        proofs(&with(json!({"type": 7}))),
        Err(ProofError::MemberNotString { member: "type", .. })
    ));
    assert!(proofs(&json!("not an object")).is_err());
    assert!(proofs(&sample_credential()).unwrap().is_empty());

    let good = signed["proof"][0].clone();
    let variant = |member: &str, value: Option<Value>| {
        let mut p = good.clone();
        match value {
            Some(v) => p[member] = v,
            None => {
                p.as_object_mut().unwrap().remove(member);
            }
        }
        let doc = with(json!([p]));
        let parsed = proofs(&doc).unwrap();
        verify_proof(&doc, &parsed[0], &key.public())
    };
    assert!(matches!(
        variant("proofValue", None),
        Err(ProofError::MissingMember {
            member: "proofValue",
            ..
        })
    ));
    assert!(matches!(
        variant("proofValue", Some(json!("not-multibase"))),
        Err(ProofError::ProofValueEncoding { .. })
    ));
    assert!(matches!(
        variant("proofValue", Some(json!("z0OIl"))),
        Err(ProofError::ProofValueEncoding { .. })
    ));
    assert!(matches!(
        variant(
            "proofValue",
            Some(json!(passerelle_core::multibase::encode_base58btc(
                &[1; 63]
            )))
        ),
        Err(ProofError::SignatureLength { found: 63, .. })
    ));
    assert!(matches!(
        variant(
            "proofValue",
            Some(json!(passerelle_core::multibase::encode_base64url(
                &[1; 64]
            )))
        ),
        Err(ProofError::ProofValueEncoding { .. })
    ));
    assert!(matches!(
        variant("cryptosuite", Some(json!("ecdsa-rdfc-2019"))),
        Err(ProofError::UnsupportedSuite { .. })
    ));
    let mut purpose_array = good.clone();
    purpose_array["proofPurpose"] = json!(["assertionMethod"]);
    assert!(matches!(
        proofs(&with(json!([purpose_array]))),
        Err(ProofError::MemberNotString {
            member: "proofPurpose",
            ..
        })
    ));
    // An `@type: @vocab` value the contexts don't define would be a relative IRI: refused.
    match variant("proofPurpose", Some(json!("madeUpPurpose"))) {
        Err(ProofError::ProofConfig {
            source: JsonLdError::RelativeIri { iri, path },
            ..
        }) => assert_eq!(
            (iri.as_str(), path.as_str()),
            ("madeUpPurpose", "proofPurpose")
        ),
        other => panic!("{other:?}"),
    }
    // A proof term the contexts don't define is named with its path in the proof configuration.
    match variant("undefinedOption", Some(json!("x"))) {
        Err(ProofError::ProofConfig {
            source: JsonLdError::UndefinedTerm { term, .. },
            ..
        }) => {
            assert_eq!(term, "undefinedOption")
        }
        other => panic!("{other:?}"),
    }
    // A document with no @context cannot be verified.
    let mut no_context = signed.clone();
    no_context.as_object_mut().unwrap().remove("@context");
    assert!(verify_proof(&no_context, &only_proof(&no_context), &key.public()).is_err());
    // JCS proof whose @context is not a prefix of the document's.
    let jcs = sign(
        &sample_credential(),
        &key,
        &options(Cryptosuite::EddsaJcs2022),
    )
    .unwrap();
    let mut mismatch = jcs.clone();
    mismatch["proof"][0]["@context"] = json!(["https://www.w3.org/2018/credentials/v1"]);
    assert!(matches!(
        verify_proof(&mismatch, &only_proof(&mismatch), &key.public()),
        Err(ProofError::ContextMismatch { .. })
    ));
    let _ = proof::VC_V2_CONTEXT;
}

/// RFC 8785 details, expected output from the `canonicalize` npm package (the RFC authors' JS).
#[test]
fn jcs_matches_reference() {
    let input = r#"{"big":9007199254740993,"neg":-9007199254740993,"u":18446744073709551615,"e21":1e21,"small":1e-7,"sum":0.30000000000000004,"negz":-0,"f":36.0,"s":"\u2028\u0007\u00e9\u007f","\ud83d\ude00":1,"\ufb01":2,"a":[1E2,5e-324,123456789012345680000]}"#;
    let expected = "{\"a\":[100,5e-324,123456789012345680000],\"big\":9007199254740992,\"e21\":1e+21,\"f\":36,\"neg\":-9007199254740992,\"negz\":0,\"s\":\"\u{2028}\\u0007é\u{7f}\",\"small\":1e-7,\"sum\":0.30000000000000004,\"u\":18446744073709552000,\"😀\":1,\"ﬁ\":2}";
    let value: Value = serde_json::from_str(input).unwrap();
    assert_eq!(proof::jcs(&value).unwrap(), expected);
}

/// Random single-byte edits of a signed credential: whatever parses must give an answer (an
/// error, or a signature failure), never a panic, and never a valid signature.
#[test]
fn random_edits_never_panic_or_verify() {
    let text = util::text("openbadges/ldp-eddsa-rdfc-2022/signed.json");
    let key = ob_key().public();
    let original: Value = serde_json::from_str(&text).unwrap();
    let bytes = text.as_bytes();
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        state >> 33
    };
    let alphabet = b"\"{}[],:0123456789abcdefXYZ@#- .\\";
    let mut verified_edits = Vec::new();
    for _ in 0..200 {
        let mut edited = bytes.to_vec();
        let at = (next() as usize) % edited.len();
        edited[at] = alphabet[(next() as usize) % alphabet.len()];
        let Ok(document) = serde_json::from_slice::<Value>(&edited) else {
            continue;
        };
        if document == original {
            continue; // the edit did not change the JSON value (e.g. whitespace)
        }
        let _ = passerelle_core::jsonld::canonical_nquads(&document);
        if let Ok(all) = proofs(&document) {
            for p in &all {
                if verify_proof(&document, p, &key).is_ok() {
                    verified_edits.push(
                        String::from_utf8_lossy(
                            &edited[at.saturating_sub(20)..(at + 20).min(edited.len())],
                        )
                        .into_owned(),
                    );
                }
            }
        }
    }
    assert!(
        verified_edits.is_empty(),
        "edits that still verify: {verified_edits:?}"
    );
}

/// jsonld.js 9 / rdf-canonize 5 sorts N-Quads by UTF-16 code units: for `"ﬁ"` (U+FB01) and
/// `"😀"` (U+1F600) it prints the emoji line first, RDFC-1.0 (code points) the other way round.
/// We sign per RDFC-1.0 and accept the JavaScript order when verifying, flagged.
#[test]
fn utf16_line_order_of_javascript_signers() {
    use sha2::Digest;

    let key = KeyPair::from_seed(&[6; 32]);
    let mut credential = sample_credential();
    credential["credentialSubject"]["name"] = json!(["\u{fb01}", "\u{1f600}"]);
    let signed = sign(&credential, &key, &options(Cryptosuite::EddsaRdfc2022)).unwrap();
    let proof = only_proof(&signed);
    let ours = verify_proof(&signed, &proof, &key.public()).unwrap();
    assert!(!ours.utf16_order);

    let data = hash_data(&signed, &proof).unwrap();
    let fi = data.canonical_document.find('\u{fb01}').unwrap();
    let emoji = data.canonical_document.find('\u{1f600}').unwrap();
    assert!(fi < emoji, "RDFC-1.0 sorts by code point");
    let mut lines: Vec<&str> = data.canonical_document.split_inclusive('\n').collect();
    lines.sort_by(|a, b| a.encode_utf16().cmp(b.encode_utf16()));
    let js_document = lines.concat();
    assert_ne!(js_document, data.canonical_document);
    let mut combined = data.proof_hash.to_vec();
    combined.extend_from_slice(&sha2::Sha256::digest(js_document.as_bytes()));
    let js_signature = key.sign(&combined);
    let mut js_signed = signed.clone();
    js_signed["proof"][0]["proofValue"] =
        json!(passerelle_core::multibase::encode_base58btc(&js_signature));
    let theirs = verify_proof(&js_signed, &only_proof(&js_signed), &key.public()).unwrap();
    assert!(theirs.utf16_order);
    // Still bound to the content.
    js_signed["credentialSubject"]["name"] = json!(["\u{fb01}", "\u{1f601}"]);
    assert!(verify_proof(&js_signed, &only_proof(&js_signed), &key.public()).is_err());
}
