//! JOSE: the RFC 8037 known-answer test, VC-JOSE sign/verify, VC-JWT 1.1 claims, and refusal of
//! tampered, malformed and wrongly-signed tokens.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Map, Value};

use passerelle_core::input::InputError;
use passerelle_core::jose::{
    credential_from_vc_jwt_claims, jwk_thumbprint, parse_compact, parse_compact_raw, sign_compact,
    sign_vc_jwt, sign_vp_jwt, verify_compact, verify_compact_raw, JoseError, JwsAlgorithm, VcForm,
    MAX_JWS_BYTES,
};
use passerelle_core::keys::{KeyPair, PublicKey};

use crate::util::{json as read_json, text as read};

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn key() -> KeyPair {
    KeyPair::from_seed(&[42u8; 32])
}

fn credential() -> Value {
    read_json("openbadges/examples/basic-openbadgecredential.json")
}

/// A JWS over `header` and `payload` signed with our Ed25519 key, built by hand (to make
/// headers josekit would refuse to produce).
fn hand_signed(header: &Value, payload: &[u8], pair: &KeyPair) -> String {
    let input = format!(
        "{}.{}",
        b64(&serde_json::to_vec(header).unwrap()),
        b64(payload)
    );
    let signature = pair.sign(input.as_bytes());
    format!("{input}.{}", b64(&signature))
}

#[test]
fn rfc8037_known_answer() {
    let vector = read_json("jose/rfc8037-ed25519.json");
    let pair = KeyPair::from_jwk(&vector["privateKeyJwk"]).unwrap();
    let public = PublicKey::from_jwk(&vector["publicKeyJwk"]).unwrap();
    assert_eq!(pair.public(), public);

    let header: Map<String, Value> = vector["protectedHeader"].as_object().unwrap().clone();
    let payload = vector["payload"].as_str().unwrap().as_bytes();
    let jws = sign_compact(&header, payload, &pair).unwrap();
    assert_eq!(jws, vector["jwsCompact"].as_str().unwrap());

    let parts = verify_compact_raw(&jws, &public).unwrap();
    assert_eq!(
        parts.signing_input,
        vector["signingInput"].as_str().unwrap()
    );
    assert_eq!(parts.payload_bytes, payload);
    assert_eq!(parts.alg, JwsAlgorithm::EdDsa);
    assert_eq!(
        jwk_thumbprint(&public),
        vector["thumbprint"].as_str().unwrap()
    );

    // The payload is not JSON, so the credential-level parser refuses it, specifically.
    assert!(matches!(
        parse_compact(&jws),
        Err(JoseError::Json {
            part: "payload",
            ..
        })
    ));
}

#[test]
fn vc_jwt_sign_then_verify() {
    let pair = key();
    let kid = "did:web:learn.example#key-1";
    let credential = credential();
    let jws = sign_vc_jwt(&credential, &pair, kid).unwrap();

    let parsed = parse_compact(&jws).unwrap();
    assert_eq!(
        parsed.header,
        json!({"alg": "EdDSA", "typ": "vc+jwt", "cty": "vc", "kid": kid})
    );
    // Header members in the customary order.
    let header_text = URL_SAFE_NO_PAD
        .decode(jws.split('.').next().unwrap())
        .unwrap();
    assert_eq!(
        String::from_utf8(header_text).unwrap(),
        format!(r#"{{"alg":"EdDSA","typ":"vc+jwt","cty":"vc","kid":"{kid}"}}"#)
    );
    assert_eq!(parsed.kid.as_deref(), Some(kid));
    assert_eq!(parsed.typ.as_deref(), Some("vc+jwt"));
    assert_eq!(parsed.cty.as_deref(), Some("vc"));
    assert_eq!(
        parsed.payload, credential,
        "the payload is the credential itself"
    );
    assert!(parsed.payload.get("vc").is_none());

    let verified = verify_compact(&jws, &pair.public()).unwrap();
    assert_eq!(verified.form, VcForm::VcJose20);
    assert_eq!(verified.jws.payload, credential);
    assert_eq!(verified.credential().unwrap(), credential);

    // An independent check: josekit's own verifier accepts what we made.
    let jwk =
        josekit::jwk::Jwk::from_map(pair.public().to_jwk().as_object().unwrap().clone()).unwrap();
    let verifier = josekit::jws::EdDSA.verifier_from_jwk(&jwk).unwrap();
    let (payload, header) = josekit::jws::deserialize_compact(&jws, &verifier).unwrap();
    assert_eq!(
        serde_json::from_slice::<Value>(&payload).unwrap(),
        credential
    );
    assert_eq!(header.token_type(), Some("vc+jwt"));

    // Wrong key.
    assert_eq!(
        verify_compact(&jws, &KeyPair::from_seed(&[1u8; 32]).public()).unwrap_err(),
        JoseError::BadSignature
    );
}

#[test]
fn vp_jwt_sign_then_verify() {
    let pair = key();
    let presentation = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "holder": "did:key:z6Mk",
    });
    let jws = sign_vp_jwt(&presentation, &pair, "did:key:z6Mk#z6Mk").unwrap();
    let verified = verify_compact(&jws, &pair.public()).unwrap();
    assert_eq!(verified.jws.typ.as_deref(), Some("vp+jwt"));
    assert_eq!(verified.jws.cty.as_deref(), Some("vp"));
    assert_eq!(verified.jws.payload, presentation);
    // A presentation is not a credential and vice versa.
    assert!(matches!(
        sign_vc_jwt(&presentation, &pair, "k"),
        Err(JoseError::NotACredential { .. })
    ));
    assert!(matches!(
        sign_vp_jwt(&credential(), &pair, "k"),
        Err(JoseError::NotACredential { .. })
    ));
    assert!(matches!(
        sign_vc_jwt(&json!([1]), &pair, "k"),
        Err(JoseError::NotACredential { .. })
    ));
    assert!(matches!(
        sign_vc_jwt(&credential(), &pair, ""),
        Err(JoseError::HeaderMember { member: "kid", .. })
    ));
}

#[test]
fn ed25519_algorithm_name_is_accepted() {
    let pair = key();
    let jws = hand_signed(
        &json!({"alg": "Ed25519", "typ": "vc+jwt", "kid": "k"}),
        &serde_json::to_vec(&credential()).unwrap(),
        &pair,
    );
    let verified = verify_compact(&jws, &pair.public()).unwrap();
    assert_eq!(verified.jws.alg, JwsAlgorithm::Ed25519);
}

#[test]
fn tampering_is_detected() {
    let pair = key();
    let jws = sign_vc_jwt(&credential(), &pair, "k").unwrap();
    let [header, payload, signature]: [&str; 3] =
        jws.split('.').collect::<Vec<_>>().try_into().unwrap();

    // Payload: a changed credential under the original signature.
    let mut changed = credential();
    changed["name"] = json!("Forged");
    let forged = format!(
        "{header}.{}.{signature}",
        b64(&serde_json::to_vec(&changed).unwrap())
    );
    assert_eq!(
        verify_compact(&forged, &pair.public()).unwrap_err(),
        JoseError::BadSignature
    );

    // Header: a different kid under the original signature.
    let other_header = b64(br#"{"alg":"EdDSA","typ":"vc+jwt","cty":"vc","kid":"evil"}"#);
    let forged = format!("{other_header}.{payload}.{signature}");
    assert_eq!(
        verify_compact(&forged, &pair.public()).unwrap_err(),
        JoseError::BadSignature
    );

    // Signature: every byte position flipped in turn.
    let raw = URL_SAFE_NO_PAD.decode(signature).unwrap();
    for i in 0..raw.len() {
        let mut flipped = raw.clone();
        flipped[i] ^= 0x01;
        let forged = format!("{header}.{payload}.{}", b64(&flipped));
        assert_eq!(
            verify_compact(&forged, &pair.public()).unwrap_err(),
            JoseError::BadSignature,
            "byte {i}"
        );
    }
    // Truncated signature.
    let forged = format!("{header}.{payload}.{}", b64(&raw[..63]));
    assert_eq!(
        verify_compact(&forged, &pair.public()).unwrap_err(),
        JoseError::SignatureLength { found: 63 }
    );
}

#[test]
fn algorithms_other_than_eddsa_are_refused() {
    let pair = key();
    let payload = serde_json::to_vec(&credential()).unwrap();
    let none = format!("{}.{}.", b64(br#"{"alg":"none"}"#), b64(&payload));
    assert_eq!(parse_compact(&none).unwrap_err(), JoseError::AlgorithmNone);
    let hs256 = hand_signed(&json!({"alg": "HS256"}), &payload, &pair);
    assert_eq!(
        verify_compact(&hs256, &pair.public()).unwrap_err(),
        JoseError::UnsupportedAlgorithm {
            alg: "HS256".into()
        }
    );
    let missing = hand_signed(&json!({"typ": "vc+jwt"}), &payload, &pair);
    assert_eq!(
        parse_compact(&missing).unwrap_err(),
        JoseError::MissingAlgorithm
    );
    let numeric = hand_signed(&json!({"alg": 1}), &payload, &pair);
    assert!(matches!(
        parse_compact(&numeric),
        Err(JoseError::HeaderMember { member: "alg", .. })
    ));
    let crit = hand_signed(
        &json!({"alg": "EdDSA", "crit": ["exp"], "exp": 1}),
        &payload,
        &pair,
    );
    assert_eq!(
        verify_compact(&crit, &pair.public()).unwrap_err(),
        JoseError::UnsupportedCritical {
            names: vec!["exp".into()]
        }
    );
    let b64_false = hand_signed(&json!({"alg": "EdDSA", "b64": false}), &payload, &pair);
    assert!(matches!(
        parse_compact(&b64_false),
        Err(JoseError::HeaderMember { member: "b64", .. })
    ));
    let kid_number = hand_signed(&json!({"alg": "EdDSA", "kid": 7}), &payload, &pair);
    assert!(matches!(
        parse_compact(&kid_number),
        Err(JoseError::HeaderMember { member: "kid", .. })
    ));
}

#[test]
fn onedtech_rs256_sample_is_read_then_refused() {
    let jwt = read("openbadges/validator-samples/simple.jwt");
    let err = parse_compact(&jwt).unwrap_err();
    assert_eq!(
        err,
        JoseError::UnsupportedAlgorithm {
            alg: "RS256".into()
        }
    );
    assert_eq!(
        err.to_string(),
        "unsupported algorithm RS256 (only EdDSA / Ed25519 are accepted)"
    );

    // Its claims are a VC-JWT 1.1 credential, which we can still read (without trusting it).
    let payload: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(jwt.trim().split('.').nth(1).unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(VcForm::of(&payload), VcForm::VcJwt11);
    let credential = credential_from_vc_jwt_claims(&payload).unwrap();
    assert_eq!(
        credential["id"],
        json!("http://example.edu/credentials/3732")
    );
    assert_eq!(
        credential["issuer"]["id"],
        json!("https://example.edu/issuers/565049")
    );
    assert_eq!(credential["issuanceDate"], json!("2010-01-01T00:00:00Z"));
    assert_eq!(
        credential["credentialSubject"]["id"],
        json!("did:example:ebfeb1f712ebc6f1c276e12ec21")
    );
}

#[test]
fn vc_jwt_11_claims_rebuild_the_credential() {
    let pair = key();
    let claims = json!({
        "vc": {
            "@context": ["https://www.w3.org/2018/credentials/v1"],
            "type": ["VerifiableCredential"],
            "credentialSubject": {"name": "Ada"}
        },
        "iss": "did:web:learn.example",
        "sub": "did:key:z6MkSubject",
        "nbf": 1_700_000_000,
        "iat": 1_700_000_000,
        "exp": 1_800_000_000,
        "jti": "urn:uuid:5f0e7c1a-7d2b-4c8e-9d61-3f2a4b5c6d7e"
    });
    let mut header = Map::new();
    header.insert("typ".into(), json!("JWT"));
    let jws = sign_compact(&header, &serde_json::to_vec(&claims).unwrap(), &pair).unwrap();
    let verified = verify_compact(&jws, &pair.public()).unwrap();
    assert_eq!(verified.form, VcForm::VcJwt11);
    let rebuilt = credential_from_vc_jwt_claims(&verified.jws.payload).unwrap();
    assert_eq!(verified.credential().unwrap(), rebuilt);
    assert_eq!(
        rebuilt,
        json!({
            "@context": ["https://www.w3.org/2018/credentials/v1"],
            "type": ["VerifiableCredential"],
            "credentialSubject": {"name": "Ada", "id": "did:key:z6MkSubject"},
            "issuer": "did:web:learn.example",
            "id": "urn:uuid:5f0e7c1a-7d2b-4c8e-9d61-3f2a4b5c6d7e",
            "issuanceDate": "2023-11-14T22:13:20Z",
            "expirationDate": "2027-01-15T08:00:00Z"
        })
    );

    // Conflicts are errors, each naming the claim.
    let conflicts = [
        ("iss", json!({"issuer": "did:web:other.example"})),
        ("iss", json!({"issuer": {"id": "did:web:other.example"}})),
        ("jti", json!({"id": "urn:uuid:other"})),
        ("sub", json!({"credentialSubject": {"id": "did:key:other"}})),
        ("nbf", json!({"issuanceDate": "2020-01-01T00:00:00Z"})),
        ("exp", json!({"expirationDate": "2030-01-01T00:00:00Z"})),
    ];
    for (claim, vc_members) in conflicts {
        let mut payload = claims.clone();
        for (k, v) in vc_members.as_object().unwrap() {
            payload["vc"][k] = v.clone();
        }
        match credential_from_vc_jwt_claims(&payload) {
            Err(JoseError::ClaimConflict { claim: c, .. }) => assert_eq!(c, claim),
            other => panic!("{claim}: expected a conflict, got {other:?}"),
        }
    }
    // Agreeing duplicates are fine (dates compared as instants).
    let mut agreeing = claims.clone();
    agreeing["vc"]["issuanceDate"] = json!("2023-11-14T23:13:20+01:00");
    agreeing["vc"]["issuer"] = json!({"id": "did:web:learn.example", "name": "Lab"});
    let rebuilt = credential_from_vc_jwt_claims(&agreeing).unwrap();
    assert_eq!(rebuilt["issuer"]["name"], json!("Lab"));

    let mut bad = claims.clone();
    bad["nbf"] = json!("yesterday");
    assert!(matches!(
        credential_from_vc_jwt_claims(&bad),
        Err(JoseError::BadClaim { claim: "nbf", .. })
    ));
    let mut bad = claims.clone();
    bad["iss"] = json!(5);
    assert!(matches!(
        credential_from_vc_jwt_claims(&bad),
        Err(JoseError::BadClaim { claim: "iss", .. })
    ));
    let mut bad = claims.clone();
    bad["vc"]["credentialSubject"] = json!([{}, {}]);
    assert!(matches!(
        credential_from_vc_jwt_claims(&bad),
        Err(JoseError::BadClaim { claim: "sub", .. })
    ));
    assert!(matches!(
        credential_from_vc_jwt_claims(&credential()),
        Err(JoseError::NotACredential { .. })
    ));
}

/// Issue 10, point 3: the VCDM 1.1 JWT decoding rules apply to a VCDM 1.1 `vc` only. A VCDM 2.0
/// credential in a `vc` claim is taken as it is: no `issuanceDate` from `nbf` (not a VCDM 2.0
/// term), no `expirationDate` from `exp`, no `id` from `jti`, no subject id from `sub`; the
/// claims are still compared with what the credential says.
#[test]
fn vc_jwt_11_rules_apply_only_to_a_vcdm_11_vc() {
    let vc = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential"],
        "issuer": "did:web:learn.example",
        "validFrom": "2023-11-14T22:13:20Z",
        "credentialSubject": {"name": "Ada"}
    });
    let claims = json!({
        "vc": vc,
        "iss": "did:web:learn.example",
        "sub": "did:key:z6MkSubject",
        "nbf": 1_700_000_000,
        "iat": 1_700_000_000,
        "exp": 1_800_000_000,
        "jti": "urn:uuid:5f0e7c1a-7d2b-4c8e-9d61-3f2a4b5c6d7e"
    });
    assert_eq!(credential_from_vc_jwt_claims(&claims).unwrap(), vc);
    // No issuer in vc: iss is not added either (the rules are VCDM 1.1's).
    let mut no_issuer = claims.clone();
    no_issuer["vc"].as_object_mut().unwrap().remove("issuer");
    assert_eq!(
        credential_from_vc_jwt_claims(&no_issuer).unwrap(),
        no_issuer["vc"]
    );
    // Contradictions are still errors.
    for (claim, vc_members) in [
        ("iss", json!({"issuer": "did:web:other.example"})),
        ("jti", json!({"id": "urn:uuid:other"})),
        ("sub", json!({"credentialSubject": {"id": "did:key:other"}})),
    ] {
        let mut payload = claims.clone();
        for (k, v) in vc_members.as_object().unwrap() {
            payload["vc"][k] = v.clone();
        }
        match credential_from_vc_jwt_claims(&payload) {
            Err(JoseError::ClaimConflict { claim: c, .. }) => assert_eq!(c, claim),
            other => panic!("{claim}: expected a conflict, got {other:?}"),
        }
    }
    // Several subjects: nothing to compare sub with, and nothing is added.
    let mut several = claims.clone();
    several["vc"]["credentialSubject"] = json!([{"name": "Ada"}, {"name": "Grace"}]);
    assert_eq!(
        credential_from_vc_jwt_claims(&several).unwrap(),
        several["vc"]
    );
    // A VCDM 1.1 vc given as a single context string still gets the mapping.
    let mut v1 = claims.clone();
    v1["vc"] = json!({
        "@context": "https://www.w3.org/2018/credentials/v1",
        "type": "VerifiableCredential",
        "credentialSubject": {}
    });
    let rebuilt = credential_from_vc_jwt_claims(&v1).unwrap();
    assert_eq!(rebuilt["issuanceDate"], json!("2023-11-14T22:13:20Z"));
    assert_eq!(rebuilt["expirationDate"], json!("2027-01-15T08:00:00Z"));
    assert_eq!(rebuilt["id"], claims["jti"]);
    assert_eq!(rebuilt["issuer"], claims["iss"]);
    assert_eq!(rebuilt["credentialSubject"]["id"], claims["sub"]);
    assert!(rebuilt.get("iat").is_none());
}

/// The whole path: a badge (VCDM 2.0) in the `vc` claim of a JWT with registered claims verifies,
/// json_ld included (before, `nbf` became an `issuanceDate` the VCDM 2.0 context lacks).
#[test]
fn a_vcdm_20_badge_in_a_vc_claim_passes_json_ld() {
    use chrono::{DateTime, Utc};
    use passerelle_core::did;
    use passerelle_core::input::InputLimits;
    use passerelle_core::model::sample;
    use passerelle_core::verify::{self, CheckId, CheckOptions, Fetched, Outcome};

    let pair = key();
    let issuer = did::did_key(&pair.public()).to_string();
    let mut badge = sample::data_literacy_badge();
    badge["issuer"]["id"] = issuer.clone().into();
    badge.as_object_mut().unwrap().remove("credentialStatus");
    let claims = json!({
        "vc": badge,
        "iss": issuer,
        "nbf": 1_782_820_800,
        "exp": 1_940_587_200,
        "jti": badge["id"],
        "sub": "did:key:z6MkSubject"
    });
    let mut header = Map::new();
    header.insert("typ".into(), json!("JWT"));
    header.insert(
        "kid".into(),
        json!(did::did_key_verification_method(&pair.public())),
    );
    let jws = sign_compact(&header, &serde_json::to_vec(&claims).unwrap(), &pair).unwrap();
    let presented = verify::parse_input(jws.as_bytes(), &InputLimits::default()).unwrap();
    let now: DateTime<Utc> = DateTime::parse_from_rfc3339("2026-09-01T00:00:00Z")
        .unwrap()
        .into();
    let report = verify::check(
        &presented,
        &Fetched::default(),
        now,
        &CheckOptions::default(),
    );
    for id in [
        CheckId::Proof,
        CheckId::JsonLd,
        CheckId::DataModel,
        CheckId::OpenBadges,
    ] {
        assert_eq!(
            report.check(id).map(|c| c.outcome),
            Some(Outcome::Pass),
            "{id}: {report}"
        );
    }
}

#[test]
fn malformed_compact_strings_fail_specifically() {
    let header = b64(br#"{"alg":"EdDSA"}"#);
    let payload = b64(b"{}");
    let sig = b64(&[0u8; 64]);
    type Expectation = fn(&JoseError) -> bool;
    let cases: Vec<(String, Expectation)> = vec![
        (format!("{header}.{payload}"), |e| {
            matches!(e, JoseError::PartCount { found: 2 })
        }),
        (format!("{header}.{payload}.{sig}.x"), |e| {
            matches!(e, JoseError::PartCount { found: 4 })
        }),
        (String::new(), |e| {
            matches!(e, JoseError::PartCount { found: 1 })
        }),
        (format!("{header}!.{payload}.{sig}"), |e| {
            matches!(e, JoseError::Base64 { part: "header", .. })
        }),
        (format!("{header}.{payload}=.{sig}"), |e| {
            matches!(
                e,
                JoseError::Base64 {
                    part: "payload",
                    ..
                }
            )
        }),
        (format!("{header}.{payload}.{sig}=="), |e| {
            matches!(
                e,
                JoseError::Base64 {
                    part: "signature",
                    ..
                }
            )
        }),
        // Standard (non-URL) alphabet.
        (format!("{header}.{payload}.+/+/"), |e| {
            matches!(
                e,
                JoseError::Base64 {
                    part: "signature",
                    ..
                }
            )
        }),
        (format!(".{payload}.{sig}"), |e| {
            matches!(e, JoseError::Base64 { part: "header", .. })
        }),
        (format!("{header}.{payload}."), |e| {
            matches!(
                e,
                JoseError::Base64 {
                    part: "signature",
                    ..
                }
            )
        }),
        (format!("{}.{payload}.{sig}", b64(b"not json")), |e| {
            matches!(
                e,
                JoseError::Json {
                    part: "header",
                    reason: InputError::InvalidJson { .. }
                }
            )
        }),
        (format!("{}.{payload}.{sig}", b64(b"[1,2]")), |e| {
            matches!(
                e,
                JoseError::Json {
                    part: "header",
                    reason: InputError::NotAnObject { .. }
                }
            )
        }),
        (format!("{}.{payload}.{sig}", b64(&[0xff, 0xfe])), |e| {
            matches!(
                e,
                JoseError::Json {
                    part: "header",
                    reason: InputError::NotUtf8 { .. }
                }
            )
        }),
        (
            format!("{}.{payload}.{sig}", b64("[".repeat(100).as_bytes())),
            |e| {
                matches!(
                    e,
                    JoseError::Json {
                        part: "header",
                        reason: InputError::TooDeep { .. }
                    }
                )
            },
        ),
        (format!("{header}.{}.{sig}", b64(b"[]")), |e| {
            matches!(
                e,
                JoseError::Json {
                    part: "payload",
                    ..
                }
            )
        }),
        ("a".repeat(MAX_JWS_BYTES + 1), |e| {
            matches!(e, JoseError::TooLarge { .. })
        }),
    ];
    for (input, expected) in cases {
        let err = parse_compact(&input).unwrap_err();
        assert!(
            expected(&err),
            "{}: unexpected {err:?}",
            &input[..input.len().min(60)]
        );
    }
    // Trailing bits in the last base64 character are refused (strict decoding): "AB" decodes
    // to one byte only if the low bits of 'B' are zero.
    let err = parse_compact_raw(&format!("{header}.{payload}.AB")).unwrap_err();
    assert!(matches!(
        err,
        JoseError::Base64 {
            part: "signature",
            ..
        }
    ));
}

#[test]
fn garbage_never_panics() {
    let pair = key();
    let jws = sign_vc_jwt(&credential(), &pair, "k").unwrap();
    // Every truncation and a sweep of single-character substitutions.
    for cut in (0..jws.len()).step_by(7) {
        let _ = verify_compact(&jws[..cut], &pair.public());
    }
    let bytes = jws.as_bytes();
    for i in (0..bytes.len()).step_by(11) {
        for replacement in [b'.', b'A', b'-', b'=', b'~'] {
            let mut mutated = bytes.to_vec();
            mutated[i] = replacement;
            let text = String::from_utf8(mutated).unwrap();
            assert!(verify_compact(&text, &pair.public()).is_err() || text == jws);
        }
    }
}
