//! The POST steps of the pre-authorized code flow: token (OpenID4VCI 1.0 §6), nonce (§7),
//! credential (§8) and notification (§11), and the reading of their error answers (RFC 6749
//! §5.2, OpenID4VCI §8.3.1.2 and §11.3, RFC 6750 §3 for a refused bearer token).

use passerelle_core::keys::KeyPair;
use passerelle_core::oid4vci::{self, CredentialErrorCode, NotificationEvent, TokenErrorCode};
use passerelle_core::{input, verify};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{read_json, CredentialFormat, Endpoint, Offer, Oid4vciError, Secret, JSON};
use crate::fetch::{Answer, Fetcher, Post, PostBody};
use crate::oid4vci::metadata::Chosen;
use crate::source::Found;

/// The access the token endpoint granted: a bearer token, and the credential identifiers it
/// names per configuration (`authorization_details`, §6.2), which the credential request must
/// then use.
#[derive(Debug)]
pub struct Access {
    token: Secret,
    identifiers: Vec<(String, Vec<String>)>,
}

/// What a credential request gave.
#[derive(Debug, Clone)]
pub struct Received {
    /// The credentials, as texts for the import policy (JSON for ldp_vc, the compact JWS for
    /// jwt_vc_json).
    pub found: Vec<Found>,
    /// The `notification_id` to report what became of them, if the issuer wants to know.
    pub notification_id: Option<String>,
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    token_type: String,
    #[serde(default)]
    authorization_details: Vec<AuthorizationDetail>,
}

#[derive(Deserialize)]
struct AuthorizationDetail {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    credential_configuration_id: Option<String>,
    #[serde(default)]
    credential_identifiers: Vec<String>,
}

#[derive(Deserialize)]
struct NonceAnswer {
    c_nonce: String,
}

#[derive(Deserialize)]
struct CredentialAnswer {
    #[serde(default)]
    credentials: Vec<IssuedCredential>,
    #[serde(default)]
    transaction_id: Option<Value>,
    #[serde(default)]
    notification_id: Option<String>,
}

#[derive(Deserialize)]
struct IssuedCredential {
    credential: Value,
}

/// An error answer's members (RFC 6749 §5.2).
#[derive(Deserialize)]
struct ErrorAnswer {
    error: String,
    #[serde(default)]
    error_description: Option<String>,
}

/// How many characters of a server's `error_description` are shown.
const MAX_DESCRIPTION_CHARS: usize = 300;

impl Offer {
    /// The token request (§6.1): `grant_type`, `pre-authorized_code` and `tx_code` (when
    /// given), form-encoded.
    pub fn request_token(
        &self,
        fetcher: &Fetcher,
        tx_code: Option<&str>,
    ) -> Result<Access, Oid4vciError> {
        if let Some(code) = tx_code {
            self.check_tx_code(code)?;
        }
        let mut fields = vec![
            ("grant_type", oid4vci::PRE_AUTHORIZED_GRANT_TYPE),
            ("pre-authorized_code", self.pre_authorized_code.expose()),
        ];
        if let Some(code) = tx_code {
            fields.push(("tx_code", code));
        }
        let url = self.token_endpoint.as_str();
        let answer = post(
            fetcher,
            Endpoint::Token,
            Post {
                url,
                accept: JSON,
                body: PostBody::Form(&fields),
                bearer: None,
            },
        )?;
        let secrets = [Some(self.pre_authorized_code.expose()), tx_code];
        if !is_success(answer.status) {
            return Err(refusal(Endpoint::Token, url, &answer, &secrets, |code| {
                token_refusal(code, tx_code.is_some())
            }));
        }
        let token: TokenAnswer = read_json(Endpoint::Token, url, &answer.body)?;
        if !token.token_type.eq_ignore_ascii_case("bearer") {
            return Err(Oid4vciError::Unusable {
                endpoint: Endpoint::Token,
                url: url.to_owned(),
                reason: format!(
                    "the token type is {:?}; this wallet uses Bearer tokens only (no DPoP)",
                    verify::terminal_safe(&token.token_type)
                ),
            });
        }
        let identifiers = token
            .authorization_details
            .into_iter()
            .filter(|d| d.kind == "openid_credential")
            .filter_map(|d| Some((d.credential_configuration_id?, d.credential_identifiers)))
            .collect();
        Ok(Access {
            token: Secret::new(token.access_token),
            identifiers,
        })
    }

    /// Asks for the credential(s) of `chosen`, proving possession of `holder` (a fresh nonce
    /// first, when the issuer has a nonce endpoint), once more with a fresh nonce if the issuer
    /// answers `invalid_nonce`. `now`: unix seconds, the proof's `iat`.
    pub fn request_credential(
        &self,
        fetcher: &Fetcher,
        access: &Access,
        chosen: &Chosen,
        holder: &KeyPair,
        now: i64,
    ) -> Result<Received, Oid4vciError> {
        let proving = self.needs_proof(chosen)?;
        let mut retried = false;
        loop {
            let nonce = match (&self.metadata.nonce_endpoint, proving) {
                (Some(endpoint), true) => Some(self.nonce(fetcher, endpoint)?),
                _ => None,
            };
            match self.credential_once(fetcher, access, chosen, holder, now, nonce.as_ref()) {
                Err(Oid4vciError::Refused { code, .. })
                    if !retried
                        && nonce.is_some()
                        && code == CredentialErrorCode::InvalidNonce.as_str() =>
                {
                    retried = true;
                }
                Err(mut refused) => {
                    if let Oid4vciError::Refused { what, code, .. } = &mut refused {
                        if retried && code == CredentialErrorCode::InvalidNonce.as_str() {
                            what.push_str(" twice, each time a fresh one");
                        }
                    }
                    return Err(refused);
                }
                Ok(received) => return Ok(received),
            }
        }
    }

    /// Whether `chosen` wants a key proof (`proof_types_supported` present), and whether this
    /// wallet can make one it accepts (a `jwt` proof, EdDSA, did:key binding).
    fn needs_proof(&self, chosen: &Chosen) -> Result<bool, Oid4vciError> {
        let Some(configuration) = self
            .metadata
            .credential_configurations_supported
            .get(&chosen.id)
        else {
            return Err(Oid4vciError::UnknownConfiguration {
                id: chosen.id.clone(),
                url: self.metadata_url.clone(),
            });
        };
        let cannot = |reason: String| {
            Err(Oid4vciError::CannotProve {
                id: chosen.id.clone(),
                reason,
            })
        };
        if let Some(methods) = &configuration.cryptographic_binding_methods_supported {
            let did_key = methods.iter().any(|m| m == "did:key" || m == "did");
            if !methods.is_empty() && !did_key {
                return cannot(format!(
                    "the issuer binds it only to {} (this wallet's holder key is a did:key)",
                    verify::terminal_safe(&methods.join(", "))
                ));
            }
        }
        let Some(types) = &configuration.proof_types_supported else {
            return Ok(false);
        };
        if !types.contains_key("jwt") {
            let offered: Vec<&str> = types.keys().map(String::as_str).collect();
            return cannot(format!(
                "the issuer accepts only {} proofs; this wallet signs jwt proofs",
                verify::terminal_safe(&offered.join(", "))
            ));
        }
        let algorithms = configuration.jwt_proof_algorithms().unwrap_or_default();
        if !algorithms.is_empty() && !algorithms.contains(&"EdDSA") {
            return cannot(format!(
                "the issuer accepts proofs signed with {} only; this wallet's key signs EdDSA",
                verify::terminal_safe(&algorithms.join(", "))
            ));
        }
        Ok(true)
    }

    /// A fresh `c_nonce` (§7.1: an empty POST).
    fn nonce(&self, fetcher: &Fetcher, url: &str) -> Result<Secret, Oid4vciError> {
        let answer = post(
            fetcher,
            Endpoint::Nonce,
            Post {
                url,
                accept: JSON,
                body: PostBody::Empty,
                bearer: None,
            },
        )?;
        if !is_success(answer.status) {
            return Err(refusal(Endpoint::Nonce, url, &answer, &[], |_| {
                ("the nonce request".into(), "")
            }));
        }
        let nonce: NonceAnswer = read_json(Endpoint::Nonce, url, &answer.body)?;
        Ok(Secret::new(nonce.c_nonce))
    }

    fn credential_once(
        &self,
        fetcher: &Fetcher,
        access: &Access,
        chosen: &Chosen,
        holder: &KeyPair,
        now: i64,
        nonce: Option<&Secret>,
    ) -> Result<Received, Oid4vciError> {
        let url = self.metadata.credential_endpoint.as_str();
        let mut request = match access.identifier_for(&chosen.id) {
            Some(identifier) => json!({ "credential_identifier": identifier }),
            None => json!({ "credential_configuration_id": chosen.id }),
        };
        if self.needs_proof(chosen)? {
            let jwt = oid4vci::sign_proof_jwt(
                holder,
                &self.credential_issuer,
                nonce.map(Secret::expose),
                now,
            );
            request["proofs"] = json!({ "jwt": [jwt] });
        }
        let answer = post(
            fetcher,
            Endpoint::Credential,
            Post {
                url,
                accept: JSON,
                body: PostBody::Json(&request),
                bearer: Some(access.token.expose()),
            },
        )?;
        let secrets = [Some(access.token.expose()), nonce.map(Secret::expose)];
        if !is_success(answer.status) {
            return Err(refusal(
                Endpoint::Credential,
                url,
                &answer,
                &secrets,
                |code| credential_refusal(code, chosen),
            ));
        }
        if answer
            .content_type
            .as_deref()
            .is_some_and(|t| t.starts_with("application/jwt"))
        {
            return Err(Oid4vciError::Unusable {
                endpoint: Endpoint::Credential,
                url: url.to_owned(),
                reason:
                    "an encrypted response (application/jwt), which this wallet did not ask for"
                        .into(),
            });
        }
        let issued: CredentialAnswer = read_json(Endpoint::Credential, url, &answer.body)?;
        if issued.transaction_id.is_some() {
            return Err(Oid4vciError::Deferred);
        }
        let how = format!(
            "received over OpenID4VCI from {}, {}",
            self.credential_issuer, chosen.format
        );
        let mut found = Vec::new();
        for item in issued.credentials {
            let text = match (chosen.format, item.credential) {
                (CredentialFormat::LdpVc, credential @ Value::Object(_)) => credential.to_string(),
                (CredentialFormat::JwtVcJson, Value::String(jws)) => jws,
                (format, other) => {
                    return Err(Oid4vciError::Unusable {
                        endpoint: Endpoint::Credential,
                        url: url.to_owned(),
                        reason: format!(
                            "a {format} credential should be {}, not {}",
                            match format {
                                CredentialFormat::LdpVc => "a JSON object",
                                CredentialFormat::JwtVcJson => "a string (a compact JWS)",
                            },
                            kind_of(&other)
                        ),
                    })
                }
            };
            found.push(Found {
                text,
                how: how.clone(),
                link: None,
            });
        }
        if found.is_empty() {
            return Err(Oid4vciError::Unusable {
                endpoint: Endpoint::Credential,
                url: url.to_owned(),
                reason: "no credential in \"credentials\"".into(),
            });
        }
        Ok(Received {
            found,
            notification_id: issued.notification_id,
        })
    }

    /// Tells the issuer what became of the credentials of `notification_id` (§11.1). Nothing
    /// to do when the issuer has no notification endpoint.
    pub fn notify(
        &self,
        fetcher: &Fetcher,
        access: &Access,
        notification_id: &str,
        event: NotificationEvent,
        description: Option<&str>,
    ) -> Result<(), Oid4vciError> {
        let Some(url) = self.metadata.notification_endpoint.as_deref() else {
            return Ok(());
        };
        let mut body = json!({ "notification_id": notification_id, "event": event.as_str() });
        if let Some(description) = description {
            body["event_description"] = description.into();
        }
        let answer = post(
            fetcher,
            Endpoint::Notification,
            Post {
                url,
                accept: JSON,
                body: PostBody::Json(&body),
                bearer: Some(access.token.expose()),
            },
        )?;
        if is_success(answer.status) {
            return Ok(());
        }
        Err(refusal(
            Endpoint::Notification,
            url,
            &answer,
            &[Some(access.token.expose())],
            |_| (format!("the {event} notification"), ""),
        ))
    }
}

impl Access {
    /// The first credential identifier the token response named for `configuration`, if any.
    fn identifier_for(&self, configuration: &str) -> Option<&str> {
        self.identifiers
            .iter()
            .find(|(id, _)| id == configuration)
            .and_then(|(_, identifiers)| identifiers.first())
            .map(String::as_str)
    }
}

fn is_success(status: u16) -> bool {
    (200..300).contains(&status)
}

fn post(fetcher: &Fetcher, endpoint: Endpoint, request: Post<'_>) -> Result<Answer, Oid4vciError> {
    fetcher.post(request).map_err(|source| Oid4vciError::Fetch {
        endpoint,
        url: request.url.to_owned(),
        source,
    })
}

/// What a token error code refused, and what to do (`with_tx_code`: one was sent).
fn token_refusal(code: &str, with_tx_code: bool) -> (String, &'static str) {
    let is = |c: TokenErrorCode| code == c.as_str();
    if is(TokenErrorCode::InvalidGrant) && with_tx_code {
        (
            "the transaction code".into(),
            ". Check the code the issuer sent you; if it is right, the offer has expired or was \
             used already: ask the issuer for a new one",
        )
    } else if is(TokenErrorCode::InvalidGrant) {
        (
            "the offer's pre-authorized code".into(),
            ". The offer has expired or was used already: ask the issuer for a new one",
        )
    } else if is(TokenErrorCode::UnsupportedGrantType) {
        (
            "the pre-authorized code flow".into(),
            ". This issuer does not accept it",
        )
    } else {
        ("the token request".into(), "")
    }
}

/// What a credential error code refused, and what to do.
fn credential_refusal(code: &str, chosen: &Chosen) -> (String, &'static str) {
    let is = |c: CredentialErrorCode| code == c.as_str();
    if code == "invalid_token" {
        (
            "the access token".into(),
            ". The offer's access expired or was withdrawn: ask the issuer for a new offer",
        )
    } else if is(CredentialErrorCode::InvalidProof) {
        ("the key proof".into(), "")
    } else if is(CredentialErrorCode::InvalidNonce) {
        (
            "the key proof's nonce".into(),
            ". Check that this computer's clock is right, then try again",
        )
    } else if is(CredentialErrorCode::UnknownCredentialConfiguration)
        || is(CredentialErrorCode::UnknownCredentialIdentifier)
    {
        (
            format!("the credential configuration {:?}", chosen.id),
            ". The issuer no longer offers it: ask for a new offer",
        )
    } else if is(CredentialErrorCode::CredentialRequestDenied) {
        ("to issue the credential".into(), "")
    } else {
        ("the credential request".into(), "")
    }
}

/// The error of a non-2xx `answer`: the specification's error (`Refused`) when the body or the
/// `WWW-Authenticate` header names one, else the HTTP status. `describe`: what the code refused.
fn refusal(
    endpoint: Endpoint,
    url: &str,
    answer: &Answer,
    secrets: &[Option<&str>],
    describe: impl Fn(&str) -> (String, &'static str),
) -> Oid4vciError {
    let from_body = input::parse_json_object(&answer.body, &input::InputLimits::default())
        .ok()
        .and_then(|v| serde_json::from_value::<ErrorAnswer>(v).ok())
        .map(|e| (e.error, e.error_description));
    let from_header = answer.www_authenticate.as_deref().and_then(bearer_error);
    match from_body.or(from_header) {
        Some((code, description)) => {
            let code = clean(&code, secrets);
            let (what, advice) = describe(&code);
            Oid4vciError::Refused {
                endpoint,
                url: url.to_owned(),
                what,
                description: description
                    .map(|d| format!(": {}", clean(&d, secrets)))
                    .unwrap_or_default(),
                code,
                advice,
            }
        }
        None => Oid4vciError::Status {
            endpoint,
            url: url.to_owned(),
            status: answer.status,
        },
    }
}

/// `error` and `error_description` of a `WWW-Authenticate: Bearer …` header (RFC 6750 §3).
fn bearer_error(header: &str) -> Option<(String, Option<String>)> {
    let rest = header.trim().strip_prefix("Bearer")?.trim();
    let mut error = None;
    let mut description = None;
    for part in split_params(rest) {
        let Some((name, value)) = part.split_once('=') else {
            continue;
        };
        let value = value.trim().trim_matches('"').to_owned();
        match name.trim() {
            "error" => error = Some(value),
            "error_description" => description = Some(value),
            _ => {}
        }
    }
    Some((error?, description))
}

/// `a="x, y", b=z` → `a="x, y"`, `b=z` (commas inside quotes kept).
fn split_params(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut quoted = false;
    for (i, c) in text.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

/// Server text made safe to show: any secret the wallet sent replaced, control characters
/// escaped, length capped.
fn clean(text: &str, secrets: &[Option<&str>]) -> String {
    let mut text = text.to_owned();
    for secret in secrets.iter().flatten().filter(|s| !s.is_empty()) {
        text = text.replace(secret, "[redacted]");
    }
    let mut text = verify::terminal_safe(&text);
    if text.chars().count() > MAX_DESCRIPTION_CHARS {
        text = text.chars().take(MAX_DESCRIPTION_CHARS).collect();
        text.push('…');
    }
    text
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn a_bearer_challenge_gives_its_error_and_description() {
        assert_eq!(
            bearer_error(
                r#"Bearer realm="x", error="invalid_token", error_description="expired, sorry""#
            ),
            Some(("invalid_token".into(), Some("expired, sorry".into())))
        );
        assert_eq!(bearer_error(r#"Bearer realm="x""#), None);
        assert_eq!(bearer_error("Basic realm=x"), None);
    }

    #[test]
    fn server_text_loses_the_secrets_and_control_characters_it_echoes() {
        let cleaned = clean(
            "code 123456 wrong for \u{1b}[31mtoken-abc",
            &[Some("123456"), Some("token-abc"), None],
        );
        assert!(!cleaned.contains("123456") && !cleaned.contains("token-abc"));
        assert!(!cleaned.contains('\u{1b}'), "{cleaned}");
        assert_eq!(clean(&"x".repeat(1000), &[]).chars().count(), 301);
    }
}
