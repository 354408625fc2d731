//! Metadata, the whole flow for both formats and proof algorithms, claim pages and bulk runs.

use std::sync::Arc;

use axum::http::{Method, StatusCode};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use passerelle_core::did;
use passerelle_core::keys::KeyPair;
use passerelle_core::oid4vci::{self, OfferLink};
use passerelle_core::verify::{CheckId, Outcome, Verdict};
use serde_json::{json, Value};

use crate::common::{rand_seed, TestDb, BASE, DID};
use crate::{check, es256_proof, Fixture};

pub(crate) async fn metadata_is_served_and_reads_back(db: &TestDb) {
    let f = Fixture::new(db).await;
    let reply = f.get("/.well-known/openid-credential-issuer").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let metadata = oid4vci::parse_issuer_metadata(&reply.body, BASE).unwrap();
    assert_eq!(
        metadata.credential_endpoint,
        format!("{BASE}/oid4vci/credential")
    );
    assert_eq!(
        metadata.nonce_endpoint.as_deref(),
        Some(format!("{BASE}/oid4vci/nonce").as_str())
    );
    assert!(metadata.deferred_credential_endpoint.is_none());
    assert_eq!(metadata.display[0].locale.as_deref(), Some("en"));
    assert_eq!(
        metadata.display[0].name.as_deref(),
        Some("Open Learning Lab")
    );
    let ids: Vec<&String> = metadata
        .credential_configurations_supported
        .keys()
        .collect();
    assert_eq!(ids, ["data-101.jwt_vc_json", "data-101.ldp_vc"]);
    let ldp = &metadata.credential_configurations_supported["data-101.ldp_vc"];
    assert_eq!(ldp.format, "ldp_vc");
    assert_eq!(ldp.jwt_proof_algorithms().unwrap(), ["EdDSA", "ES256"]);
    let display = ldp.display();
    assert_eq!(display[0].name.as_deref(), Some("Data literacy 101"));
    assert!(display[0].description.is_some());
    let raw = reply.json();
    assert!(raw.get("batch_credential_issuance").is_none());
    assert_eq!(
        raw["credential_configurations_supported"]["data-101.ldp_vc"]
            ["credential_signing_alg_values_supported"],
        json!(["eddsa-rdfc-2022"])
    );
    let as_reply = f.get("/.well-known/oauth-authorization-server").await;
    assert_eq!(as_reply.status, StatusCode::OK);
    let as_metadata = oid4vci::parse_authorization_server_metadata(&as_reply.body, BASE).unwrap();
    // RFC 8414 §2: required; `code`, for the OB 3.0 API's authorization endpoint (issue 15).
    assert_eq!(
        as_metadata.other["response_types_supported"],
        json!(["code"])
    );
    assert_eq!(
        as_metadata.pre_authorized_grant_anonymous_access_supported,
        Some(true)
    );
    assert_eq!(
        as_metadata.pre_authorized_token_endpoint().unwrap(),
        // One token endpoint for OpenID4VCI and the OB 3.0 API (issue 15); /oid4vci/token
        // stays as its alias.
        format!("{BASE}/oauth/token")
    );
}

pub(crate) async fn an_issuer_url_with_a_path_has_path_aware_metadata(db: &TestDb) {
    let url = format!("{BASE}/tenant/a");
    let f = Fixture::at(db, &url).await;
    // §12.2.2 and RFC 8414 §3.1: the well-known segment goes between the host and the path —
    // where the core's wallet-side functions look for it.
    let issuer_path = oid4vci::credential_issuer_metadata_url(&url).unwrap();
    assert_eq!(
        issuer_path,
        format!("{BASE}/.well-known/openid-credential-issuer/tenant/a")
    );
    let reply = f.get(issuer_path.strip_prefix(BASE).unwrap()).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let metadata = oid4vci::parse_issuer_metadata(&reply.body, &url).unwrap();
    assert_eq!(
        metadata.credential_endpoint,
        format!("{url}/oid4vci/credential")
    );
    let as_path = oid4vci::authorization_server_metadata_url(&url).unwrap();
    let reply = f.get(as_path.strip_prefix(BASE).unwrap()).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let as_metadata = oid4vci::parse_authorization_server_metadata(&reply.body, &url).unwrap();
    assert_eq!(
        as_metadata.pre_authorized_token_endpoint().unwrap(),
        format!("{url}/oauth/token")
    );
    // An offer names the issuer with its path.
    let claim = f.issue("ada@example.org", None).await;
    let by_value = claim["credential_offer_by_value"].as_str().unwrap();
    let OfferLink::ByValue(offer) = oid4vci::parse_offer_link(by_value).unwrap() else {
        panic!("by value expected")
    };
    assert_eq!(offer.credential_issuer, url);
}

pub(crate) async fn embedded_images_are_logos_served_by_url(db: &TestDb) {
    let f = Fixture::new(db).await;
    let svg = r#"<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"><rect width="8" height="8" fill="teal"/></svg>"#;
    let image = format!(
        "data:image/svg+xml;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(svg)
    );
    let created = f
        .send(
            Method::POST,
            "/api/v1/achievements",
            &[("content-type", "application/json")],
            json!({"slug": "art-1", "name": "Art", "description": "Draws.", "criteria": "Drew.",
                   "image": image, "image_caption": "A teal square"})
            .to_string()
            .into_bytes(),
            true,
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    let reply = f.get("/.well-known/openid-credential-issuer").await;
    let metadata: Value = serde_json::from_slice(&reply.body).unwrap();
    // A data: image would be repeated in every display entry (up to 256 KiB each): the logo is
    // the URL where the issuer serves it.
    let logo = &metadata["credential_configurations_supported"]["art-1.ldp_vc"]
        ["credential_metadata"]["display"][0]["logo"];
    assert_eq!(
        logo,
        &json!({"uri": format!("{BASE}/achievements/art-1/image"), "alt_text": "A teal square"})
    );
    assert!(!reply.text().contains("data:image"), "{}", reply.text());
    let served = f.get("/achievements/art-1/image").await;
    assert_eq!(served.status, StatusCode::OK);
    assert_eq!(served.body, svg.as_bytes());
    assert_eq!(
        served.header(axum::http::header::CONTENT_TYPE),
        Some("image/svg+xml")
    );
    assert!(served
        .header(axum::http::header::CONTENT_SECURITY_POLICY)
        .is_some_and(|csp| csp.contains("sandbox")));
    // No image: 404, as for an unknown achievement.
    assert_eq!(
        f.get("/achievements/data-101/image").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        f.get("/achievements/nope/image").await.status,
        StatusCode::NOT_FOUND
    );
}

pub(crate) async fn the_whole_flow_for_both_formats_and_algorithms(db: &TestDb) {
    let f = Fixture::new(db).await;
    let holder = KeyPair::from_seed(&rand_seed());
    let holder_did = did::did_key(&holder.public()).as_str().to_owned();
    // ldp_vc, EdDSA proof by a did:key.
    let answer = f.collect(&holder, "data-101.ldp_vc").await;
    assert!(answer["notification_id"]
        .as_str()
        .unwrap()
        .starts_with("ntf_"));
    let credential = &answer["credentials"][0]["credential"];
    assert_eq!(credential["credentialSubject"]["id"], holder_did.as_str());
    assert!(
        credential["credentialSubject"]["identifier"].is_array()
            || credential["credentialSubject"]["identifier"].is_object(),
        "the salted email hash is kept: {credential}"
    );
    // One proof, as every credential of this issuer carries it.
    let proofs = match &credential["proof"] {
        Value::Array(items) => items.clone(),
        other => vec![other.clone()],
    };
    assert_eq!(proofs.len(), 1, "{credential}");
    assert_eq!(proofs[0]["cryptosuite"], "eddsa-rdfc-2022", "{credential}");
    let report = f.report(credential).await;
    assert_eq!(report.verdict(), Verdict::Verified, "{}", report.to_json());
    // jwt_vc_json, ES256 proof with a jwk: bound to its did:jwk.
    let claim = f.issue("grace@example.org", None).await;
    let (code, _) = f
        .code_from_reference(claim["credential_offer"].as_str().unwrap())
        .await;
    let token = f.access_token(&code).await;
    let nonce = f.nonce().await;
    let (proof, _) = es256_proof([9; 32], BASE, &nonce);
    let reply = f.credential(&token, "data-101.jwt_vc_json", &proof).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let jws = reply.json()["credentials"][0]["credential"].clone();
    let compact = jws.as_str().expect("a compact JWS");
    let header: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(compact.split('.').next().unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(header["typ"], "vc+jwt");
    assert_eq!(header["alg"], "EdDSA");
    assert_eq!(header["kid"], format!("{DID}#key-1"));
    let report = f.report(&jws).await;
    assert_eq!(report.verdict(), Verdict::Verified, "{}", report.to_json());
    // The same token serves a second request (the other format), each with a fresh nonce.
    let nonce = f.nonce().await;
    let (proof, _) = es256_proof([9; 32], BASE, &nonce);
    let reply = f.credential(&token, "data-101.ldp_vc", &proof).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let delivered = reply.json()["credentials"][0]["credential"].clone();
    let subject = delivered["credentialSubject"]["id"].as_str().unwrap();
    assert!(subject.starts_with("did:jwk:"), "{subject}");
    // Same status entries as the award: revoking it revokes the delivered copies.
    let award_id = f
        .issuer
        .store()
        .audit_entries(0, 1000)
        .await
        .unwrap()
        .into_iter()
        .rev()
        .find(|e| e.action == "oid4vci.credential")
        .unwrap()
        .details["credential"]
        .as_str()
        .unwrap()
        .to_owned();
    let revoked = f
        .send(
            Method::POST,
            &format!("/api/v1/credentials/{award_id}/revoke"),
            &[],
            Vec::new(),
            true,
        )
        .await;
    assert_eq!(revoked.status, StatusCode::OK, "{}", revoked.text());
    let report = f.report(&delivered).await;
    assert_eq!(
        check(&report, CheckId::Status),
        Outcome::Fail,
        "{}",
        report.to_json()
    );
    assert_ne!(delivered["id"], credential["id"]);
    // A revoked badge cannot be collected again.
    let nonce = f.nonce().await;
    let (proof, _) = es256_proof([9; 32], BASE, &nonce);
    let reply = f.credential(&token, "data-101.ldp_vc", &proof).await;
    assert_eq!(
        reply.error(StatusCode::BAD_REQUEST),
        "credential_request_denied"
    );
    // The audit log names the steps, never a secret.
    let audit = f.issuer.store().audit_entries(0, 1000).await.unwrap();
    let text =
        serde_json::to_string(&audit.iter().map(|e| &e.details).collect::<Vec<_>>()).unwrap();
    for secret in ["pac_", "oat_", "cn_", "ntf_", "ofr_"] {
        assert!(!text.contains(secret), "{secret} in the audit log");
    }
    assert!(audit.iter().any(|e| e.action == "oid4vci.token"));
}

pub(crate) async fn claim_pages_offer_the_wallet(db: &TestDb) {
    let f = Fixture::new(db).await;
    let claim = f.issue("ada@example.org", Some(true)).await;
    let pin = claim["tx_code"].as_str().unwrap().to_owned();
    let path = claim["url"]
        .as_str()
        .unwrap()
        .strip_prefix(BASE)
        .unwrap()
        .to_owned();
    let page = f.get(&path).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(html.contains("Open in your wallet"), "{html}");
    assert!(html.contains("href=\"openid-credential-offer://?credential_offer="));
    // Low bandwidth (issue 17): with both QR codes inline, the page stays under 60 KB.
    assert!(
        html.len() < 60 * 1024,
        "the claim page is {} bytes",
        html.len()
    );
    assert!(html.contains("6-digit code"));
    assert!(
        !html.contains(&pin),
        "the tx_code is never on the claim page"
    );
    // The wallet section in every language (issue 17), each page under 60 KB with both QR
    // codes (sizes printed), and working without a script: a plain link and an inline SVG.
    let all = passerelle_issuer::i18n::builtin().unwrap();
    for lang in passerelle_issuer::i18n::LANGUAGES {
        let m = all.negotiate(Some(lang), None);
        let html = f.get(&format!("{path}?lang={lang}")).await.text();
        println!(
            "claim page with the wallet offer, {lang}: {} bytes",
            html.len()
        );
        assert!(
            html.len() < 60 * 1024,
            "the {lang} claim page is {} bytes",
            html.len()
        );
        for key in [
            "offer.title",
            "offer.open",
            "offer.tx_code",
            "offer.qr_caption",
        ] {
            let text = passerelle_issuer::server::claim::escape(m.t(key));
            assert!(html.contains(&text), "{lang}: {key} ({text})");
        }
        assert!(html.contains("href=\"openid-credential-offer://?credential_offer="));
        assert!(!html.contains("<script"), "{lang}");
        assert!(!html.contains(&pin), "{lang}");
    }
    // The page's offer works, and needs the tx_code; each view mints a new code.
    let start = html.find("openid-credential-offer://").unwrap();
    let end = start + html[start..].find('"').unwrap();
    let link = html[start..end].replace("&amp;", "&");
    let OfferLink::ByValue(offer) = oid4vci::parse_offer_link(&link).unwrap() else {
        panic!("not by value")
    };
    let grant = offer.pre_authorized().unwrap();
    assert!(grant.tx_code.is_some());
    let again = f.get(&path).await.text();
    assert!(!again.contains(&grant.pre_authorized_code));
    // The page's code was replaced by the second view's: only the latest works.
    assert_eq!(
        f.token(&grant.pre_authorized_code, Some(&pin))
            .await
            .error(StatusCode::BAD_REQUEST),
        "invalid_grant"
    );
}

pub(crate) async fn bulk_runs_hand_out_offers_and_tx_codes(db: &TestDb) {
    use passerelle_issuer::bulk::{self, BulkOptions, ExistingClaims, Progress, RowOutcome};
    let f = Fixture::new(db).await;
    let lines = "{\"email\":\"a@example.org\",\"completion_date\":\"2026-03-01\"}\n\
                 {\"email\":\"b@example.org\",\"completion_date\":\"2026-03-01\"}\n";
    let run = |tx_code, existing_claims| {
        let issuer = Arc::clone(&f.issuer);
        async move {
            let mut seen = Vec::new();
            let options = BulkOptions {
                tx_code,
                existing_claims,
                ..BulkOptions::default()
            };
            bulk::run(
                &issuer,
                "data-101",
                bulk::json_lines_rows(lines, "data-101"),
                &options,
                &Progress::default(),
                |r| seen.push(r.clone()),
            )
            .await
            .unwrap();
            seen
        }
    };
    let offer_of = |r: &bulk::RowResult| match &r.outcome {
        RowOutcome::Issued {
            credential_offer,
            tx_code,
            ..
        } => (
            credential_offer.clone(),
            tx_code.as_ref().map(|p| p.expose().to_owned()),
        ),
        other => panic!("{other:?}"),
    };
    let seen = run(Some(true), ExistingClaims::Keep).await;
    assert_eq!(seen.len(), 2);
    for row in &seen {
        let (offer, pin) = offer_of(row);
        let (code, needs_tx) = f.code_from_reference(&offer.unwrap()).await;
        assert!(needs_tx);
        let pin = pin.expect("a tx_code per row");
        assert_eq!(f.token(&code, Some(&pin)).await.status, StatusCode::OK);
    }
    // A re-run with new claim links: new offers, and no tx_code when asked for none.
    let again = run(Some(false), ExistingClaims::Replace).await;
    let (offer, pin) = offer_of(&again[0]);
    assert!(pin.is_none());
    let (_, needs_tx) = f.code_from_reference(&offer.unwrap()).await;
    assert!(!needs_tx);
    let (old_offer, _) = offer_of(&seen[0]);
    let OfferLink::ByReference(url) = oid4vci::parse_offer_link(&old_offer.unwrap()).unwrap()
    else {
        panic!()
    };
    assert_eq!(
        f.get(url.strip_prefix(BASE).unwrap()).await.status,
        StatusCode::NOT_FOUND,
        "replaced claim links take their offers with them"
    );
}
