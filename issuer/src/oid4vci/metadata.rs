//! The credential issuer metadata (§12.2) and the OAuth 2.0 authorization server metadata
//! (RFC 8414), both built from the stored issuer profile and achievements at each request (they
//! change when an achievement does).
//!
//! `display` is given in every language the issuer's achievements are written in (their
//! `inLanguage`; one entry without locale when none says). No `deferred_credential_endpoint`
//! (deferred issuance is not offered), no `batch_credential_issuance`, no encryption, no
//! `authorization_servers` (the credential issuer is its own authorization server).

use std::collections::BTreeSet;

use passerelle_core::model::{OB_CONTEXT, VC_V2_CONTEXT};
use passerelle_core::oid4vci::{self, OfferError, ProofAlgorithm, PRE_AUTHORIZED_GRANT_TYPE};
use serde_json::{json, Map, Value};

use crate::issuance::Issuer;
use crate::store::Achievement;

use super::{configuration_id, Format, Oid4vciError};

/// How a credential can be bound to its holder.
const BINDING_METHODS: [&str; 3] = ["did:key", "did:jwk", "jwk"];

/// The paths at which a well-known document is served: the path of the URL where the core says
/// a client looks for it (§12.2.2, RFC 8414 §3.1: the well-known segment before the issuer
/// URL's path), and the bare `root` too when that differs, for a deployment that serves the
/// issuer at the root of its host.
fn served_paths(client_url: Result<String, OfferError>, root: &str) -> Vec<String> {
    let path = client_url
        .ok()
        .and_then(|url| url::Url::parse(&url).ok())
        .map(|url| url.path().to_owned());
    match path {
        Some(path) if path != root => vec![path, root.to_owned()],
        _ => vec![root.to_owned()],
    }
}

/// Where the credential issuer metadata is served: `/.well-known/openid-credential-issuer`
/// followed by the issuer URL's path, if it has one.
pub fn issuer_metadata_paths(base_url: &str) -> Vec<String> {
    served_paths(
        oid4vci::credential_issuer_metadata_url(base_url),
        "/.well-known/openid-credential-issuer",
    )
}

/// Where the authorization server metadata is served (RFC 8414 §3.1 path insertion).
pub fn authorization_server_metadata_paths(base_url: &str) -> Vec<String> {
    served_paths(
        oid4vci::authorization_server_metadata_url(base_url),
        "/.well-known/oauth-authorization-server",
    )
}

/// `{"uri", "alt_text"}` of an OB `image` (`{id, caption}` or a bare IRI), if any. An image
/// embedded as a `data:` URL (up to 256 KiB, repeated in every display entry, and a form many
/// wallets do not load) is given as `served_at`, where the issuer serves it.
fn logo(image: Option<&Value>, alt: &str, served_at: &str) -> Option<Value> {
    let image = image?;
    let (uri, caption) = match image {
        Value::String(uri) => (uri.as_str(), None),
        Value::Object(object) => (
            object.get("id").and_then(Value::as_str)?,
            object.get("caption").and_then(Value::as_str),
        ),
        _ => return None,
    };
    let uri = if uri.starts_with("data:") {
        served_at
    } else {
        uri
    };
    Some(json!({ "uri": uri, "alt_text": caption.unwrap_or(alt) }))
}

fn text<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    value.get(key).and_then(Value::as_str)
}

/// The display entry of one achievement (in its own language).
fn achievement_display(achievement: &Achievement, base: &str) -> Value {
    let def = &achievement.definition;
    let name = text(def, "name").unwrap_or(&achievement.slug);
    let mut entry = Map::new();
    entry.insert("name".into(), json!(name));
    if let Some(locale) = text(def, "inLanguage") {
        entry.insert("locale".into(), json!(locale));
    }
    if let Some(description) = text(def, "description") {
        entry.insert("description".into(), json!(description));
    }
    let served_at = format!("{base}/achievements/{}/image", achievement.slug);
    if let Some(logo) = logo(def.get("image"), name, &served_at) {
        entry.insert("logo".into(), logo);
    }
    Value::Object(entry)
}

fn configuration(achievement: &Achievement, format: Format, base: &str) -> Value {
    let types = json!(["VerifiableCredential", "OpenBadgeCredential"]);
    let (algorithms, definition) = match format {
        Format::LdpVc => (
            json!(["eddsa-rdfc-2022"]),
            json!({ "@context": [VC_V2_CONTEXT, OB_CONTEXT], "type": types }),
        ),
        Format::JwtVcJson => (json!(["EdDSA"]), json!({ "type": types })),
    };
    json!({
        "format": format.as_str(),
        "cryptographic_binding_methods_supported": BINDING_METHODS,
        "credential_signing_alg_values_supported": algorithms,
        "proof_types_supported": {
            "jwt": {
                "proof_signing_alg_values_supported": ProofAlgorithm::ALL.map(ProofAlgorithm::as_str)
            }
        },
        "credential_definition": definition,
        "credential_metadata": { "display": [achievement_display(achievement, base)] },
    })
}

/// The issuer's display entries: its name and logo in each language its achievements use.
fn issuer_display(profile: &Value, achievements: &[Achievement], base: &str) -> Vec<Value> {
    let name = text(profile, "name").unwrap_or("Open Badges issuer");
    let logo = logo(profile.get("image"), name, &format!("{base}/issuer/image"));
    let languages: BTreeSet<&str> = achievements
        .iter()
        .filter_map(|a| text(&a.definition, "inLanguage"))
        .collect();
    let entry = |locale: Option<&str>| {
        let mut entry = Map::new();
        entry.insert("name".into(), json!(name));
        if let Some(locale) = locale {
            entry.insert("locale".into(), json!(locale));
        }
        if let Some(logo) = &logo {
            entry.insert("logo".into(), logo.clone());
        }
        Value::Object(entry)
    };
    if languages.is_empty() {
        vec![entry(None)]
    } else {
        languages.into_iter().map(|l| entry(Some(l))).collect()
    }
}

/// The credential issuer metadata (§12.2.4).
pub async fn issuer_metadata(issuer: &Issuer) -> Result<Value, Oid4vciError> {
    let base = issuer.base_url();
    let achievements = issuer.store().achievements().await?;
    let mut configurations = Map::new();
    for achievement in &achievements {
        for format in Format::ALL {
            configurations.insert(
                configuration_id(&achievement.slug, format),
                configuration(achievement, format, &base),
            );
        }
    }
    Ok(json!({
        "credential_issuer": base,
        "credential_endpoint": format!("{base}/oid4vci/credential"),
        "nonce_endpoint": format!("{base}/oid4vci/nonce"),
        "notification_endpoint": format!("{base}/oid4vci/notification"),
        "display": issuer_display(&issuer.profile(), &achievements, &base),
        "credential_configurations_supported": configurations,
    }))
}

/// The authorization server metadata (RFC 8414 §2, OpenID4VCI §12.3) of the one authorization
/// server behind OpenID4VCI and the Open Badges 3.0 API: one token endpoint for the
/// pre-authorized code (no client authentication: `none`), the authorization code (PKCE S256)
/// and refresh grants (`client_secret_basic`).
pub fn authorization_server_metadata(issuer: &Issuer) -> Value {
    let base = issuer.base_url();
    json!({
        "issuer": base,
        "authorization_endpoint": format!("{base}/oauth/authorize"),
        "token_endpoint": format!("{base}/oauth/token"),
        "registration_endpoint": format!("{base}/oauth/register"),
        "revocation_endpoint": format!("{base}/oauth/revoke"),
        "grant_types_supported": [PRE_AUTHORIZED_GRANT_TYPE, "authorization_code", "refresh_token"],
        "response_types_supported": ["code"],
        "code_challenge_methods_supported": ["S256"],
        "scopes_supported": crate::obapi::SUPPORTED.map(|s| s.uri()),
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "none"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic"],
        "pre-authorized_grant_anonymous_access_supported": true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_known_paths_are_path_aware() {
        assert_eq!(
            issuer_metadata_paths("https://learn.example"),
            ["/.well-known/openid-credential-issuer"]
        );
        assert_eq!(
            issuer_metadata_paths("https://learn.example/tenant/"),
            [
                "/.well-known/openid-credential-issuer/tenant",
                "/.well-known/openid-credential-issuer"
            ]
        );
        assert_eq!(
            authorization_server_metadata_paths("https://learn.example/t"),
            [
                "/.well-known/oauth-authorization-server/t",
                "/.well-known/oauth-authorization-server"
            ]
        );
    }

    #[test]
    fn logos_from_ob_images() {
        let image = json!({"id": "data:image/png;base64,AA==", "type": "Image", "caption": "Seal"});
        assert_eq!(
            logo(Some(&image), "x", "https://x.example/issuer/image").unwrap(),
            json!({"uri": "https://x.example/issuer/image", "alt_text": "Seal"})
        );
        assert_eq!(
            logo(Some(&json!("https://x.example/a.png")), "Lab", "unused").unwrap(),
            json!({"uri": "https://x.example/a.png", "alt_text": "Lab"})
        );
        assert!(logo(None, "x", "unused").is_none());
    }
}
