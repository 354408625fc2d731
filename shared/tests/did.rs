//! DIDs: did:key vectors (w3c-ccg), did:web mapping, DID documents, and verification-method
//! dereferencing against the 1EdTech validator's positive and negative samples.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Value};

use passerelle_core::did::{
    self, build_did_document, dereference, did_key, did_key_public_key,
    did_key_verification_method, did_web_from_url, did_web_url, document_needed, parse_did_key,
    parse_verification_method, resolve_did_key, x25519_from_ed25519, x25519_multibase, Did,
    DidError, DidUrl, DocumentKey, FetchedDocuments, KeyReference, Relationship, ResolvedVia,
};
use passerelle_core::keys::{KeyError, KeyPair, PublicKey};
use passerelle_core::multibase;

use crate::util::json as read_json;

fn key(seed: u8) -> KeyPair {
    KeyPair::from_seed(&[seed; 32])
}

#[test]
fn did_key_vectors_from_seeds() {
    let vectors = read_json("did-key/ed25519-x25519.json");
    let cases = vectors
        .as_object()
        .expect("vector file is an object of DIDs");
    assert_eq!(cases.len(), 5);
    for (expected_did, case) in cases {
        let seed = hex::decode(case["seed"].as_str().unwrap()).unwrap();
        let pair = KeyPair::from_seed_slice(&seed).unwrap();
        let public = pair.public();
        let did = did_key(&public);
        assert_eq!(did.as_str(), expected_did, "seed {}", case["seed"]);
        assert_eq!(did.method(), "key");
        assert_eq!(parse_did_key(expected_did).unwrap(), public);

        let vm = &case["verificationKeyPair"];
        let vm_id = did_key_verification_method(&public);
        assert_eq!(vm_id, format!("{expected_did}#{}", public.to_multikey()));
        assert!(
            vm["id"] == json!(vm_id) || vm["id"] == json!(format!("#{}", public.to_multikey())),
            "{expected_did}: vm id {}",
            vm["id"]
        );
        // The vector's own verification method (Ed25519VerificationKey2018 with base58, or
        // JsonWebKey2020) must read back to the same key.
        let public_part = {
            let mut m = vm.clone();
            m.as_object_mut().unwrap().remove("privateKeyJwk");
            m
        };
        assert_eq!(
            did::method_public_key(&vm_id, &public_part).unwrap(),
            public,
            "{expected_did}"
        );

        // X25519 key agreement key, derived from the Ed25519 key.
        let x25519 = x25519_from_ed25519(&public).unwrap();
        let ka = &case["keyAgreementKeyPair"];
        let ka_fragment = ka["id"].as_str().unwrap().rsplit('#').next().unwrap();
        assert_eq!(x25519_multibase(&x25519), ka_fragment, "{expected_did}");
        match ka.get("publicKeyBase58") {
            Some(b58) => assert_eq!(bs58::encode(x25519).into_string(), b58.as_str().unwrap()),
            None => assert_eq!(
                URL_SAFE_NO_PAD.encode(x25519),
                ka["publicKeyJwk"]["x"].as_str().unwrap()
            ),
        }

        // Our resolution lists the same Ed25519 key under the same relationships.
        let document = resolve_did_key(&did).unwrap();
        let theirs = &case["didDocument"];
        for relationship in [
            "assertionMethod",
            "authentication",
            "capabilityInvocation",
            "capabilityDelegation",
        ] {
            assert_eq!(
                document[relationship], theirs[relationship],
                "{relationship}"
            );
        }
    }
}

#[test]
fn did_key_test_suite_dids() {
    let suite = read_json("did-key/did-key-test-suite-dids.json");
    let cases = suite["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 4);
    for case in cases {
        let did = case["did"].as_str().unwrap();
        let result = Did::parse(did).and_then(|d| resolve_did_key(&d));
        if case["negative"].as_bool().unwrap() {
            assert!(result.is_err(), "{} must be rejected", case["file"]);
        } else {
            let doc = result.unwrap_or_else(|e| panic!("{}: {e}", case["file"]));
            assert_eq!(doc["id"], json!(did));
        }
    }
    // And with the specific reasons.
    assert!(matches!(
        parse_did_key("did:key:tKwz7Ge1Yxzr4JHavN33wiwa8y81QdcMRLXQsrH9T53b"),
        Err(DidError::DidKeyNotBase58 { prefix: 't', .. })
    ));
    assert!(matches!(
        parse_did_key(
            "did:key:z6MkNCwzLDQsNSw3LDcsNSw1LDAsMyw0LDUsMCwzLDQsMywxLDMsNCw1LDAsMyw0LDUsMCwzLDQsNSw3LDAsMCwxMDA="
        ),
        Err(DidError::Syntax { .. })
    ));
}

#[test]
fn did_key_document_shape() {
    let public = key(1).public();
    let did = did_key(&public);
    let doc = resolve_did_key(&did).unwrap();
    assert_eq!(
        doc["@context"],
        json!([
            "https://www.w3.org/ns/did/v1",
            "https://w3id.org/security/multikey/v1"
        ])
    );
    let vm_id = did_key_verification_method(&public);
    assert_eq!(
        doc["verificationMethod"],
        json!([{
            "id": vm_id,
            "type": "Multikey",
            "controller": did.as_str(),
            "publicKeyMultibase": public.to_multikey(),
        }])
    );
    for relationship in Relationship::ALL {
        assert_eq!(doc[relationship.as_str()], json!([vm_id]));
    }
}

#[test]
fn did_key_rejections_are_specific() {
    let pair = key(2);
    let good = did_key(&pair.public()).to_string();
    // Wrong multibase prefix.
    let base64 = format!(
        "did:key:{}",
        multibase::encode_base64url(&[0xed, 0x01, 1, 2])
    );
    assert!(matches!(
        parse_did_key(&base64),
        Err(DidError::DidKeyNotBase58 { prefix: 'u', .. })
    ));
    // Wrong codec (0x1200 = p256-pub).
    let mut p256 = vec![0x80, 0x24];
    p256.extend_from_slice(&[3u8; 33]);
    let wrong_codec = format!("did:key:{}", multibase::encode_base58btc(&p256));
    assert!(matches!(
        parse_did_key(&wrong_codec),
        Err(DidError::DidKeyWrongCodec { ref found, .. }) if found == "8024"
    ));
    // Wrong length.
    let short = format!(
        "did:key:{}",
        multibase::encode_base58btc(&[0xed, 0x01, 1, 2, 3])
    );
    assert!(matches!(
        parse_did_key(&short),
        Err(DidError::DidKeyWrongLength { found: 3, .. })
    ));
    // Bad base58 ('0' and 'l' are not in the alphabet).
    assert!(matches!(
        parse_did_key("did:key:z6Mk0l"),
        Err(DidError::DidKeyBadEncoding { .. })
    ));
    // Not a did:key at all.
    assert!(matches!(
        did_key_public_key(&Did::parse("did:web:example.com").unwrap()),
        Err(DidError::WrongMethod {
            expected: "key",
            ..
        })
    ));
    assert!(parse_did_key(&good).is_ok());
    // A DID URL fragment that is not the key itself.
    let other = key(3).public().to_multikey();
    assert!(matches!(
        parse_verification_method(&format!("{good}#{other}")),
        Err(DidError::DidKeyFragmentMismatch { .. })
    ));
}

#[test]
fn did_syntax() {
    for ok in [
        "did:key:z6Mk",
        "did:web:example.com",
        "did:web:localhost%3A8080",
        "did:example:a:b:c",
        "did:ex1:a_b.c-d",
    ] {
        let did = Did::parse(ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
        assert_eq!(did.to_string(), ok);
    }
    for bad in [
        "",
        "did:",
        "did:key",
        "did:key:",
        "did::abc",
        "did:KEY:abc",
        "did:web:example.com:",
        "did:web:exa mple.com",
        "did:web:a%zz",
        "did:web:a#b",
        "did:web:a/b",
        "DID:web:example.com",
        "urn:uuid:1234",
    ] {
        assert!(Did::parse(bad).is_err(), "{bad:?} must be rejected");
    }
    let url = DidUrl::parse("did:web:example.com:u:alice/path/x?service=files#key-1").unwrap();
    assert_eq!(url.did().as_str(), "did:web:example.com:u:alice");
    assert_eq!(url.path(), Some("/path/x"));
    assert_eq!(url.query(), Some("service=files"));
    assert_eq!(url.fragment(), Some("key-1"));
    assert_eq!(
        url.to_string(),
        "did:web:example.com:u:alice/path/x?service=files#key-1"
    );
    assert!(DidUrl::parse("did:web:example.com#").is_err());
    assert!(DidUrl::parse("did:web:example.com#a b").is_err());
    assert!(DidUrl::parse("did:web:example.com#a#b").is_err());
}

#[test]
fn did_web_urls() {
    let cases = [
        (
            "did:web:example.com",
            "https://example.com/.well-known/did.json",
        ),
        (
            "did:web:example.com:user:alice",
            "https://example.com/user/alice/did.json",
        ),
        (
            "did:web:localhost%3A8080",
            "https://localhost:8080/.well-known/did.json",
        ),
        (
            "did:web:w3c-ccg.github.io:user:alice",
            "https://w3c-ccg.github.io/user/alice/did.json",
        ),
        (
            "did:web:Example.COM%3a8443:a",
            "https://example.com:8443/a/did.json",
        ),
    ];
    for (did, url) in cases {
        assert_eq!(
            did_web_url(&Did::parse(did).unwrap()).unwrap(),
            url,
            "{did}"
        );
    }
    for bad in [
        "did:web:example.com::alice",
        "did:web:example.com:..:secret",
        "did:web:example.com:%2E%2E:secret",
        "did:web:example.com:a%2Fb",
        "did:web:user%40example.com",
        "did:web:example.com%3A",
        "did:web:example.com%3A99999",
        "did:web:example.com%3Aabc",
        "did:web:.example.com",
        "did:web:example..com",
        "did:web:exa_mple.com",
        "did:web:%65xample.com",
        "did:web:example.com%3F",
        "did:web:127.0.0.1",
        "did:web:127.1",
        "did:web:0x7f.1",
    ] {
        let parsed = Did::parse(bad);
        let result = parsed.and_then(|d| did_web_url(&d));
        assert!(result.is_err(), "{bad} must be rejected, got {result:?}");
    }
    // Query or fragment belong to DID URLs, never to the DID.
    assert!(Did::parse("did:web:example.com?x=1").is_err());
    assert!(Did::parse("did:web:example.com#key").is_err());
    assert!(matches!(
        did_web_url(&Did::parse("did:key:z6Mk").unwrap()),
        Err(DidError::WrongMethod {
            expected: "web",
            ..
        })
    ));
}

#[test]
fn did_web_from_issuer_urls() {
    let cases = [
        ("https://learn.example", "did:web:learn.example"),
        ("https://learn.example/", "did:web:learn.example"),
        ("https://Learn.Example:8443", "did:web:learn.example%3A8443"),
        (
            "https://example.com/org/open-lab/",
            "did:web:example.com:org:open-lab",
        ),
        (
            "https://localhost:3000/issuers/a",
            "did:web:localhost%3A3000:issuers:a",
        ),
    ];
    for (url, did) in cases {
        let made = did_web_from_url(url).unwrap_or_else(|e| panic!("{url}: {e}"));
        assert_eq!(made.as_str(), did, "{url}");
        did_web_url(&made).unwrap();
    }
    for bad in [
        "http://learn.example",
        "https://user:pw@learn.example",
        "https://learn.example/?q=1",
        "https://learn.example/#f",
        "https://[::1]/",
        "https://127.0.0.1:8443/",
        "not a url",
        "ftp://learn.example",
    ] {
        assert!(did_web_from_url(bad).is_err(), "{bad} must be rejected");
    }
}

#[test]
fn documents_with_current_and_retired_keys_dereference() {
    let did = did_web_from_url("https://learn.example").unwrap();
    let current = key(10).public();
    let retired = key(11).public();
    let document = build_did_document(
        &did,
        &[
            DocumentKey {
                fragment: "key-2026".into(),
                public_key: current,
                relationships: Relationship::ALL.to_vec(),
            },
            DocumentKey {
                fragment: "key-2025".into(),
                public_key: retired,
                relationships: vec![Relationship::AssertionMethod],
            },
        ],
    )
    .unwrap();
    assert_eq!(document["id"], json!("did:web:learn.example"));
    assert_eq!(document["verificationMethod"].as_array().unwrap().len(), 2);
    assert_eq!(
        document["assertionMethod"],
        json!([
            "did:web:learn.example#key-2026",
            "did:web:learn.example#key-2025"
        ])
    );
    assert_eq!(
        document["authentication"],
        json!(["did:web:learn.example#key-2026"])
    );

    let vm = "did:web:learn.example#key-2025";
    let request = document_needed(vm).expect("did:web needs a document");
    assert_eq!(request.did, did);
    assert_eq!(request.url, "https://learn.example/.well-known/did.json");

    let mut fetched = FetchedDocuments::new();
    assert!(matches!(
        dereference(vm, &fetched),
        Err(DidError::DocumentMissing { .. })
    ));
    fetched.insert(&did, document.clone());
    let old = dereference(vm, &fetched).unwrap();
    assert_eq!(old.public_key, retired);
    assert_eq!(old.controller, "did:web:learn.example");
    assert_eq!(old.relationships, vec!["assertionMethod".to_owned()]);
    assert!(old.has_relationship(Relationship::AssertionMethod));
    assert!(!old.has_relationship(Relationship::Authentication));
    assert_eq!(old.via, ResolvedVia::DidWebDocument);
    let new = dereference("did:web:learn.example#key-2026", &fetched).unwrap();
    assert_eq!(new.public_key, current);
    assert_eq!(new.relationships.len(), 4);
    assert!(matches!(
        dereference("did:web:learn.example#key-1999", &fetched),
        Err(DidError::MethodNotFound { .. })
    ));

    // Duplicate or bad fragments are refused when building.
    let dup = DocumentKey {
        fragment: "k".into(),
        public_key: current,
        relationships: vec![],
    };
    assert!(build_did_document(&did, &[dup.clone(), dup.clone()]).is_err());
    let bad = DocumentKey {
        fragment: "a b".into(),
        ..dup
    };
    assert!(build_did_document(&did, &[bad]).is_err());
}

#[test]
fn dereference_understands_every_supported_method_shape() {
    let did = Did::parse("did:web:example.com:issuers:1").unwrap();
    let public = key(20).public();
    let id = |f: &str| format!("{did}#{f}");
    let document = json!({
        "@context": ["https://www.w3.org/ns/did/v1"],
        "id": did.as_str(),
        "verificationMethod": [
            {"id": id("multikey"), "type": "Multikey", "controller": did.as_str(),
             "publicKeyMultibase": public.to_multikey()},
            {"id": "#ed2020", "type": "Ed25519VerificationKey2020", "controller": did.as_str(),
             "publicKeyMultibase": public.to_multikey()},
            {"id": id("jwk"), "type": "JsonWebKey2020", "controller": did.as_str(),
             "publicKeyJwk": public.to_jwk()},
            {"id": id("jwk2"), "type": "JsonWebKey", "controller": did.as_str(),
             "publicKeyJwk": public.to_jwk()},
            {"id": id("ed2018"), "type": "Ed25519VerificationKey2018", "controller": did.as_str(),
             "publicKeyBase58": bs58::encode(public.to_bytes()).into_string()},
            {"id": id("other-controller"), "type": "Multikey", "controller": "did:web:evil.example",
             "publicKeyMultibase": public.to_multikey()},
            {"id": id("p256"), "type": "JsonWebKey2020", "controller": did.as_str(),
             "publicKeyJwk": {"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA"}},
            {"id": id("secret"), "type": "JsonWebKey2020", "controller": did.as_str(),
             "publicKeyJwk": key(20).to_private_jwk()},
            {"id": id("rsa"), "type": "RsaVerificationKey2018", "controller": did.as_str(),
             "publicKeyPem": "-----BEGIN PUBLIC KEY-----"},
            {"id": id("bad-multibase"), "type": "Multikey", "controller": did.as_str(),
             "publicKeyMultibase": "z6MkjZRsdas"}
        ],
        "assertionMethod": [
            id("multikey"), "#ed2020", id("jwk"),
            {"id": id("embedded"), "type": "Multikey", "controller": did.as_str(),
             "publicKeyMultibase": public.to_multikey()}
        ],
        "authentication": id("multikey")
    });
    let mut fetched = FetchedDocuments::new();
    fetched.insert(&did, document);
    for (fragment, relationships) in [
        ("multikey", vec!["assertionMethod", "authentication"]),
        ("ed2020", vec!["assertionMethod"]),
        ("jwk", vec!["assertionMethod"]),
        ("jwk2", vec![]),
        ("ed2018", vec![]),
        ("embedded", vec!["assertionMethod"]),
    ] {
        let resolved =
            dereference(&id(fragment), &fetched).unwrap_or_else(|e| panic!("{fragment}: {e}"));
        assert_eq!(resolved.public_key, public, "{fragment}");
        assert_eq!(resolved.id, id(fragment));
        assert_eq!(resolved.relationships, relationships, "{fragment}");
    }
    assert!(matches!(
        dereference(&id("other-controller"), &fetched),
        Err(DidError::ControllerMismatch { .. })
    ));
    assert!(matches!(
        dereference(&id("p256"), &fetched),
        Err(DidError::BadKey {
            member: "publicKeyJwk",
            ..
        })
    ));
    assert!(matches!(
        dereference(&id("secret"), &fetched),
        Err(DidError::BadMethod { .. })
    ));
    assert!(matches!(
        dereference(&id("rsa"), &fetched),
        Err(DidError::UnsupportedMethodType { .. })
    ));
    assert!(matches!(
        dereference(&id("bad-multibase"), &fetched),
        Err(DidError::BadKey {
            member: "publicKeyMultibase",
            ..
        })
    ));

    // An id defined twice with different keys is ambiguous; the same definition twice is not.
    let twice = |second: Value| {
        let mut fetched = FetchedDocuments::new();
        fetched.insert(
            &did,
            json!({
                "id": did.as_str(),
                "verificationMethod": [{"id": id("k"), "type": "Multikey", "controller": did.as_str(),
                                        "publicKeyMultibase": public.to_multikey()}],
                "assertionMethod": [second]
            }),
        );
        dereference(&id("k"), &fetched)
    };
    let other = key(21).public();
    assert!(matches!(
        twice(
            json!({"id": id("k"), "type": "Multikey", "controller": did.as_str(),
                     "publicKeyMultibase": other.to_multikey()})
        ),
        Err(DidError::BadDocument { .. })
    ));
    let same = twice(
        json!({"id": "#k", "type": "Ed25519VerificationKey2020", "controller": did.as_str(),
                           "publicKeyMultibase": public.to_multikey()}),
    )
    .unwrap();
    assert_eq!(same.public_key, public);
    assert_eq!(same.relationships, vec!["assertionMethod".to_owned()]);

    // The document must be the one for the DID asked about.
    let mut wrong = FetchedDocuments::new();
    wrong.insert(
        &did,
        json!({"id": "did:web:other.example", "verificationMethod": []}),
    );
    assert!(matches!(
        dereference(&id("multikey"), &wrong),
        Err(DidError::DocumentIdMismatch { .. })
    ));
    let mut not_doc = FetchedDocuments::new();
    not_doc.insert(&did, json!(["not", "a", "document"]));
    assert!(matches!(
        dereference(&id("multikey"), &not_doc),
        Err(DidError::BadDocument { .. })
    ));
    // Key references carry a fragment only.
    for vm in [
        format!("{did}/path#multikey"),
        format!("{did}?versionId=1#multikey"),
        format!(
            "{}/x",
            did_key_verification_method(&public)
                .split('#')
                .next()
                .unwrap()
        ),
    ] {
        assert!(
            matches!(
                parse_verification_method(&vm),
                Err(DidError::UrlSyntax { .. })
            ),
            "{vm}"
        );
    }
    // did:web needs a fragment.
    assert!(matches!(
        parse_verification_method(did.as_str()),
        Err(DidError::FragmentRequired { .. })
    ));
}

#[test]
fn did_key_and_https_fragment_dereference_without_fetching() {
    let public = key(30).public();
    let vm = did_key_verification_method(&public);
    assert_eq!(document_needed(&vm), None);
    let resolved = dereference(&vm, &FetchedDocuments::new()).unwrap();
    assert_eq!(resolved.public_key, public);
    assert_eq!(resolved.via, ResolvedVia::DidKey);
    assert!(resolved.has_relationship(Relationship::AssertionMethod));

    // A bare did:key (no fragment) is a verification method too, as 1EdTech samples use it.
    let sample = read_json("openbadges/validator-samples/simple-did-key-method.json");
    let vm = proof_vms(&sample).remove(0);
    let pair = read_json("openbadges/ldp-eddsa-rdfc-2022/key-pair.json");
    let ob_key = PublicKey::from_multikey(pair["publicKeyMultibase"].as_str().unwrap()).unwrap();
    assert!(matches!(
        parse_verification_method(&vm).unwrap(),
        KeyReference::DidKey { public_key, .. } if public_key == ob_key
    ));

    // OB style: the fragment of an https URL is the Multikey.
    let sample = read_json("openbadges/validator-samples/simple.json");
    let vm = proof_vms(&sample).remove(0);
    let resolved = dereference(&vm, &FetchedDocuments::new()).unwrap();
    assert_eq!(resolved.public_key, ob_key);
    assert_eq!(resolved.controller, "https://example.com/issuers/876543");
    assert_eq!(resolved.via, ResolvedVia::HttpsFragment);
    assert!(resolved.relationships.is_empty());
    assert_eq!(document_needed(&vm), None);

    // An https URL without a key fragment would need fetching: recognised, unsupported.
    assert!(matches!(
        parse_verification_method("https://example.com/keys/1").unwrap(),
        KeyReference::Unsupported { .. }
    ));
    assert!(matches!(
        dereference("https://example.com/keys/1", &FetchedDocuments::new()),
        Err(DidError::Unsupported { .. })
    ));
    // So does a method in an https controller document.
    assert!(matches!(
        parse_verification_method("https://example.com/issuers/1#key-1").unwrap(),
        KeyReference::Unsupported { .. }
    ));

    // Did round-trips through serde, validating on the way in.
    let did: Did = serde_json::from_value(json!("did:web:learn.example")).unwrap();
    assert_eq!(
        serde_json::to_value(&did).unwrap(),
        json!("did:web:learn.example")
    );
    assert!(serde_json::from_value::<Did>(json!("did:web:")).is_err());
}

fn proof_vms(credential: &Value) -> Vec<String> {
    let proofs = match &credential["proof"] {
        Value::Array(items) => items.clone(),
        other => vec![other.clone()],
    };
    proofs
        .iter()
        .map(|p| p["verificationMethod"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn onedtech_negative_verification_methods_fail_specifically() {
    type Expectation = fn(&DidError) -> bool;
    let cases: [(&str, Expectation); 4] = [
        ("simple-err-proof-method-no-scheme.json", |e| {
            matches!(e, DidError::NoScheme { .. })
        }),
        (
            "simple-err-proof-method-unknown-scheme.json",
            |e| matches!(e, DidError::UnknownScheme { scheme, .. } if scheme == "xxx"),
        ),
        (
            "simple-err-proof-method-unknown-did-method.json",
            |e| matches!(e, DidError::UnknownDidMethod { method, .. } if method == "example"),
        ),
        ("simple-err-proof-method.json", |e| {
            matches!(e, DidError::FragmentNotAKey { .. })
        }),
    ];
    for (file, expected) in cases {
        let credential = read_json(&format!("negative/1edtech-ob30/{file}"));
        let vms = proof_vms(&credential);
        assert!(!vms.is_empty(), "{file}: no verificationMethod");
        for vm in vms {
            let parsed = parse_verification_method(&vm);
            let err = parsed.expect_err(&format!("{file}: {vm} must be rejected"));
            assert!(expected(&err), "{file}: unexpected error {err:?}");
            let deref = dereference(&vm, &FetchedDocuments::new()).unwrap_err();
            assert_eq!(deref, err, "{file}");
            assert_eq!(document_needed(&vm), None);
            assert!(!err.to_string().is_empty());
        }
    }
    // The garbage fragment decodes as base58 but is not a 34-byte ed25519-pub Multikey.
    let credential = read_json("negative/1edtech-ob30/simple-err-proof-method.json");
    let vm = proof_vms(&credential).remove(0);
    match parse_verification_method(&vm) {
        Err(DidError::FragmentNotAKey { reason, .. }) => assert!(
            matches!(
                reason,
                KeyError::WrongMulticodec { .. }
                    | KeyError::WrongLength { .. }
                    | KeyError::InvalidPublicKey
                    | KeyError::Multibase(_)
            ),
            "{reason:?}"
        ),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn hostile_verification_methods_never_panic() {
    let inputs = [
        "",
        ":",
        "#",
        "did:",
        "did:key:",
        "did:key:z",
        "did:key:z#",
        "did:web:#x",
        "did:web::#x",
        "https://#z6Mk",
        "https://example.com#",
        "https://example.com#z",
        "http://example.com#z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi",
        "did:key:z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi%",
        "did:web:example.com%3A%3A1#a",
        "did:web:ex\u{e9}.com#a",
        "\u{0}",
        "d\u{301}id:web:x#a",
    ];
    for input in inputs {
        let _ = parse_verification_method(input);
        let _ = dereference(input, &FetchedDocuments::new());
        let _ = document_needed(input);
        let _ = DidUrl::parse(input);
    }
    // Plain http key URLs are recognised but refused.
    assert!(matches!(
        parse_verification_method(
            "http://example.com#z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi"
        ),
        Ok(KeyReference::Unsupported { .. })
    ));
}

#[test]
fn random_identifiers_never_panic() {
    use rand::{Rng, SeedableRng};
    let mut rng = rand::rngs::StdRng::seed_from_u64(0xD1D);
    let alphabet: Vec<char> = "did:keywb%3A#/?.-_zZ6Mk09@\\ é".chars().collect();
    let prefixes = [
        "",
        "did:",
        "did:key:z",
        "did:web:",
        "https://",
        "did:web:a%3A",
    ];
    for round in 0..2_000 {
        let len = rng.gen_range(0..40);
        let tail: String = (0..len)
            .map(|_| alphabet[rng.gen_range(0..alphabet.len())])
            .collect();
        let input = format!("{}{tail}", prefixes[round % prefixes.len()]);
        let _ = parse_verification_method(&input);
        let _ = dereference(&input, &FetchedDocuments::new());
        let _ = DidUrl::parse(&input);
        if let Ok(did) = Did::parse(&input) {
            let _ = did_web_url(&did);
            let _ = did_key_public_key(&did);
        }
        let _ = did_web_from_url(&input);
    }
}
