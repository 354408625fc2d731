//! The flow's pure pieces; the requests themselves are tested against an in-process issuer in
//! `tests/oid4vci`.

use std::collections::BTreeMap;

use passerelle_core::oid4vci::{CredentialConfiguration, Display, IssuerMetadata, TxCode};
use serde_json::json;

use super::metadata::{choose, pick_display, ChoiceError, CredentialFormat};
use super::*;

#[test]
fn offers_are_told_apart_from_other_links() {
    for offer in [
        "openid-credential-offer://?credential_offer_uri=https%3A%2F%2Fa.example%2Fo%2F1",
        "  openid-credential-offer://?credential_offer=%7B%7D\n",
        "haip://?credential_offer_uri=https%3A%2F%2Fa.example%2Fo%2F1",
        "https://wallet.example/receive?credential_offer=%7B%7D",
        "https://wallet.example/?x=1&credential_offer_uri=https://a.example/o/1#top",
    ] {
        assert!(looks_like_offer(offer), "{offer}");
    }
    for other in [
        "https://issuer.example/claim/abc",
        "https://issuer.example/claim?token=credential_offer",
        "VC1:ABC",
        "{\"credential_offer\": 1}",
        "badge.png",
        "https://a.example/?credential_offer_uri=x y",
    ] {
        assert!(!looks_like_offer(other), "{other}");
    }
}

#[test]
fn the_offer_uri_is_shown_without_its_secret_reference() {
    assert_eq!(
        shown_offer_uri("https://learn.example:8443/oid4vci/offers/s3cr3t?x=1"),
        "https://learn.example:8443/oid4vci/offers/…"
    );
    assert_eq!(shown_offer_uri("not a url"), "(an unreadable URI)");
}

fn configuration(format: &str, name: Option<&str>) -> CredentialConfiguration {
    let mut value = json!({
        "format": format,
        "credential_definition": {"type": ["VerifiableCredential", "OpenBadgeCredential"]},
    });
    if let Some(name) = name {
        value["credential_metadata"] = json!({"display": [
            {"name": name, "locale": "en"},
            {"name": format!("{name} (fr)"), "locale": "fr-FR"},
        ]});
    }
    serde_json::from_value(value).unwrap()
}

fn configurations() -> BTreeMap<String, CredentialConfiguration> {
    [
        ("a.ldp_vc", configuration("ldp_vc", Some("Data literacy"))),
        ("a.jwt", configuration("jwt_vc_json", Some("Data literacy"))),
        ("b.jwt", configuration("jwt_vc_json", Some("Statistics"))),
        ("c.mdoc", configuration("mso_mdoc", Some("Licence"))),
        ("d.ldp_vc", configuration("ldp_vc", None)),
        ("e.ldp_vc", configuration("ldp_vc", None)),
    ]
    .into_iter()
    .map(|(id, c)| (id.to_owned(), c))
    .collect()
}

fn ids(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

#[test]
fn one_format_is_chosen_per_credential_ldp_vc_first_unless_asked() {
    let all = configurations();
    let offered = ids(&[
        "a.jwt", "a.ldp_vc", "b.jwt", "c.mdoc", "d.ldp_vc", "e.ldp_vc",
    ]);
    let (chosen, skipped) = choose(&offered, &all, None, &["fr".into()]).unwrap();
    let chosen_ids: Vec<&str> = chosen.iter().map(|c| c.id.as_str()).collect();
    // One per credential; unnamed configurations are never merged.
    assert_eq!(chosen_ids, ["a.ldp_vc", "b.jwt", "d.ldp_vc", "e.ldp_vc"]);
    assert_eq!(chosen[0].name.as_deref(), Some("Data literacy (fr)"));
    let skipped_ids: Vec<&str> = skipped.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(skipped_ids, ["c.mdoc", "a.jwt"]);
    assert!(skipped[0].reason.contains("mso_mdoc"), "{:?}", skipped[0]);
    assert!(
        skipped[1].reason.contains("--format jwt_vc_json"),
        "{:?}",
        skipped[1]
    );

    let (chosen, _) = choose(&offered, &all, Some(CredentialFormat::JwtVcJson), &[]).unwrap();
    let chosen_ids: Vec<&str> = chosen.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(chosen_ids, ["a.jwt", "b.jwt"]);
}

#[test]
fn an_unknown_or_unstorable_offer_is_refused_with_what_it_offers() {
    let all = configurations();
    assert_eq!(
        choose(&ids(&["zzz"]), &all, None, &[]),
        Err(ChoiceError::Unknown { id: "zzz".into() })
    );
    assert_eq!(
        choose(&ids(&["c.mdoc"]), &all, None, &[]),
        Err(ChoiceError::NoSupportedFormat {
            offered: "mso_mdoc".into()
        })
    );
    assert_eq!(
        choose(
            &ids(&["a.ldp_vc"]),
            &all,
            Some(CredentialFormat::JwtVcJson),
            &[]
        ),
        Err(ChoiceError::FormatNotOffered {
            format: CredentialFormat::JwtVcJson,
            offered: "ldp_vc".into()
        })
    );
}

#[test]
fn display_names_follow_the_learners_languages() {
    let displays: Vec<Display> = serde_json::from_value(json!([
        {"locale": "en"},
        {"name": "Data School", "locale": "en-GB"},
        {"name": "École des données", "locale": "fr"},
        {"name": "Default"},
    ]))
    .unwrap();
    let name = |languages: &[&str]| {
        let languages: Vec<String> = languages.iter().map(|s| s.to_string()).collect();
        pick_display(&displays, &languages).and_then(|d| d.name)
    };
    assert_eq!(name(&["fr-CA"]).as_deref(), Some("École des données"));
    assert_eq!(name(&["en-GB"]).as_deref(), Some("Data School"));
    // The unnamed "en" entry is passed over for a named one.
    assert_eq!(name(&["en"]).as_deref(), Some("Data School"));
    assert_eq!(name(&["de"]).as_deref(), Some("Default"));
    assert_eq!(name(&[]).as_deref(), Some("Default"));
}

fn offer_with(tx_code: Option<TxCode>) -> Offer {
    let metadata: IssuerMetadata = serde_json::from_value(json!({
        "credential_issuer": "https://learn.example",
        "credential_endpoint": "https://learn.example/credential",
        "display": [{"name": "Learn", "locale": "en"}],
        "credential_configurations_supported": {},
    }))
    .unwrap();
    Offer {
        credential_issuer: "https://learn.example".into(),
        metadata,
        metadata_url: "https://learn.example/.well-known/openid-credential-issuer".into(),
        token_endpoint: "https://learn.example/token".into(),
        pre_authorized_code: Secret::new("the-code".into()),
        tx_code,
        chosen: Vec::new(),
        skipped: Vec::new(),
    }
}

#[test]
fn a_transaction_code_is_checked_against_the_offers_shape_before_it_is_sent() {
    let numeric = offer_with(Some(TxCode {
        input_mode: None,
        length: Some(6),
        description: None,
    }));
    assert!(numeric.check_tx_code("493817").is_ok());
    for (bad, why) in [
        ("49381", "6 characters long (got 5)"),
        ("49381a", "digits only"),
        ("", "empty"),
    ] {
        let text = numeric.check_tx_code(bad).unwrap_err().to_string();
        assert!(text.contains(why), "{bad}: {text}");
    }
    let text = offer_with(Some(TxCode {
        input_mode: Some("text".into()),
        length: None,
        description: None,
    }));
    assert!(text.check_tx_code("ab-12").is_ok());
    assert!(offer_with(None).check_tx_code("anything").is_ok());
    // The code never shows in a debug print.
    assert!(!format!("{numeric:?}").contains("the-code"));
    assert_eq!(numeric.issuer_name(&["en".into()]), "Learn");
}

#[test]
fn only_a_refused_transaction_code_invites_another_try() {
    let refused = |what: &str, code: &str, endpoint| Oid4vciError::Refused {
        endpoint,
        url: "https://learn.example/token".into(),
        what: what.into(),
        code: code.into(),
        description: String::new(),
        advice: "",
    };
    assert!(refused("the transaction code", "invalid_grant", Endpoint::Token).is_refused_tx_code());
    assert!(!refused(
        "the offer's pre-authorized code",
        "invalid_grant",
        Endpoint::Token
    )
    .is_refused_tx_code());
    assert!(
        !refused("the transaction code", "invalid_request", Endpoint::Token).is_refused_tx_code()
    );
    assert!(!refused("the key proof", "invalid_grant", Endpoint::Credential).is_refused_tx_code());
}

#[test]
fn an_offer_without_a_pre_authorized_code_is_refused_before_any_request() {
    let offer = json!({
        "credential_issuer": "https://learn.example",
        "credential_configuration_ids": ["a.ldp_vc"],
        "grants": {"authorization_code": {"issuer_state": "x"}},
    });
    let link = format!(
        "openid-credential-offer://?credential_offer={}",
        url::form_urlencoded::byte_serialize(offer.to_string().as_bytes()).collect::<String>()
    );
    // A strict fetcher: nothing here may be contacted anyway.
    let fetcher = Fetcher::new(false, &crate::fetch::ExtraRoots::default()).unwrap();
    let error = resolve(&link, &fetcher, &Preferences::default()).unwrap_err();
    assert!(matches!(error, Oid4vciError::NotPreAuthorized), "{error:?}");
    assert!(
        error.to_string().contains("authorization code flow"),
        "{error}"
    );
}
