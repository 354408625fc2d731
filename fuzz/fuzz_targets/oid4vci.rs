//! OpenID4VCI inputs an issuer or a wallet reads from the network: offer links and documents,
//! issuer and authorization-server metadata, credential request bodies and key proof JWTs.
//! None may panic; what is accepted must satisfy the checks the parsers promise.
#![no_main]

use libfuzzer_sys::fuzz_target;
use passerelle_core::oid4vci::{self, OfferLink, ProofExpectations};

const ISSUER: &str = "https://learn.example";

fuzz_target!(|data: &[u8]| {
    // The first byte picks the reader, so one corpus covers them all.
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    match selector % 5 {
        0 => {
            if let Ok(text) = std::str::from_utf8(rest) {
                if let Ok(OfferLink::ByValue(offer)) = oid4vci::parse_offer_link(text) {
                    assert!(offer.check().is_ok());
                    // The by-value URI of an accepted offer reads back as the same offer.
                    match oid4vci::parse_offer_link(&offer.to_uri()) {
                        Ok(OfferLink::ByValue(back)) => assert_eq!(back, offer),
                        other => panic!("offer did not round-trip: {other:?}"),
                    }
                }
            }
        }
        1 => {
            if let Ok(offer) = oid4vci::parse_offer_json(rest) {
                assert!(offer.check().is_ok());
            }
        }
        2 => {
            if let Ok(metadata) = oid4vci::parse_issuer_metadata(rest, ISSUER) {
                assert_eq!(metadata.credential_issuer, ISSUER);
            }
            if let Ok(metadata) = oid4vci::parse_authorization_server_metadata(rest, ISSUER) {
                assert_eq!(metadata.issuer, ISSUER);
                let _ = metadata.pre_authorized_token_endpoint();
            }
        }
        3 => {
            if let Ok(request) = oid4vci::parse_credential_request(rest) {
                assert!(!request.jwt_proofs.is_empty());
            }
        }
        _ => {
            if let Ok(text) = std::str::from_utf8(rest) {
                let expect = ProofExpectations {
                    audience: ISSUER,
                    now: 1_800_000_000,
                    max_age_seconds: 300,
                    max_skew_seconds: 60,
                };
                if let Ok(proof) = oid4vci::verify_proof_jwt(text, &expect) {
                    assert!((1_800_000_000 - 300..=1_800_000_060).contains(&proof.issued_at));
                }
            }
        }
    }
});
