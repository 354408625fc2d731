//! The issuer as an Open Badges 3.0 API provider (issue 15): the decisions the HTTP layer
//! ([`crate::server::obapi`]) makes around the pure rules of [`passerelle_core::obapi`] and the
//! records of [`crate::store::obapi`].
//!
//! - which scopes are granted ([`SUPPORTED`]; an authorization request gets the supported
//!   subset of what it asks and the client registered, [`authorization_scope`]; a token
//!   request at most what was granted, [`token_scope`]);
//! - client authentication with `client_secret_basic` ([`parse_basic_auth`], RFC 6749 §2.3.1);
//! - how the learner proves who they are on the consent page: a claim link or the bare claim
//!   token in it ([`claim_token_from_input`]); the grant then covers every credential of that
//!   credential's learner key;
//! - the pairwise subject id of `getProfile` ([`pairwise_subject`]) and the claim page's
//!   disconnect CSRF token ([`disconnect_csrf`]), both keyed MACs under the issuer's learner
//!   secret, so two apps cannot correlate a learner and no form can be forged without it;
//! - redirects back to the client ([`redirect_to`]).
//!
//! **Invariant:** no token, code, secret, claim token or learner key is ever logged, written to
//! the audit log or put in an error; audit entries name the client (`oauth-client:<id>`) or
//! `learner`, and a grant by its id.

use passerelle_core::obapi::{parse_scope, scope_string, Scope};

use crate::issuance::Issuer;

/// The scopes this provider grants. `credential.upsert` and `profile.update` belong to a
/// backpack; the issuer is not one.
pub const SUPPORTED: [Scope; 2] = [Scope::CredentialReadonly, Scope::ProfileReadonly];

/// Seconds a pending authorization request (the consent page) stays usable.
pub const REQUEST_TTL_SECONDS: i64 = 600;
/// Seconds an authorization code works.
pub const CODE_TTL_SECONDS: i64 = 600;
/// Wrong claim links after which a pending request is dead.
pub const MAX_CLAIM_ATTEMPTS: u32 = 5;
/// The cookie carrying the consent form's CSRF token.
pub const CSRF_COOKIE: &str = "passerelle_oauth_csrf";

/// The audit actor of a client.
pub fn client_actor(client_id: &str) -> String {
    format!("oauth-client:{client_id}")
}

/// The audit actor of the learner (never their key).
pub const LEARNER_ACTOR: &str = "learner";

/// Why a scope list cannot be granted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeRefusal(pub String);

/// What an authorization request is granted: the supported scopes it asks for that the client
/// registered (`scope` omitted: everything the client registered, RFC 6749 §3.3), and the
/// scopes asked for that will not be granted (shown on the consent page).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeDecision {
    pub granted: Vec<Scope>,
    pub refused: Vec<String>,
}

/// See [`ScopeDecision`]; `invalid_scope` when nothing would be granted.
pub fn authorization_scope(
    requested: Option<&str>,
    registered: &str,
) -> Result<ScopeDecision, ScopeRefusal> {
    let registered = parse_scope(registered).supported(&SUPPORTED);
    let asked = parse_scope(requested.unwrap_or(&scope_string(&registered)));
    let mut granted = Vec::new();
    let mut refused = Vec::new();
    for scope in asked.known {
        if SUPPORTED.contains(&scope) && registered.contains(&scope) {
            granted.push(scope);
        } else {
            refused.push(scope.uri().to_owned());
        }
    }
    refused.extend(asked.unknown);
    if granted.is_empty() {
        return Err(ScopeRefusal(
            "none of the requested scopes can be granted: this provider grants credential.readonly \
             and profile.readonly, for the scopes the client registered"
                .into(),
        ));
    }
    Ok(ScopeDecision { granted, refused })
}

/// The scope of tokens issued at the token endpoint: omitted → all of `granted`; otherwise the
/// requested scopes (`offline_access` ignored). With `strict` (a refresh, RFC 6749 §6) each must
/// have been granted; without (a code exchange) the granted part of the request is issued, and
/// only a request with nothing granted is refused.
pub fn token_scope(
    requested: Option<&str>,
    granted: &str,
    strict: bool,
) -> Result<String, ScopeRefusal> {
    let granted_scopes = parse_scope(granted).known;
    let Some(requested) = requested else {
        return Ok(scope_string(&granted_scopes));
    };
    let asked = parse_scope(requested);
    let within: Vec<Scope> = asked
        .known
        .iter()
        .copied()
        .filter(|s| granted_scopes.contains(s))
        .collect();
    let beyond = asked.known.len() - within.len() + asked.unknown.len();
    if within.is_empty() && (beyond > 0 || !asked.offline_access) {
        return Err(ScopeRefusal(
            "the requested scope was not granted by the learner".into(),
        ));
    }
    if within.is_empty() {
        // Only offline_access: the granted scopes.
        return Ok(scope_string(&granted_scopes));
    }
    if strict && beyond > 0 {
        return Err(ScopeRefusal(
            "a refresh may only ask for scopes the learner granted".into(),
        ));
    }
    Ok(scope_string(&within))
}

/// Whether a token's scope list includes `scope`.
pub fn has_scope(list: &str, scope: Scope) -> bool {
    parse_scope(list).known.contains(&scope)
}

/// `Authorization: Basic …` → (client id, secret), read by the core's RFC 6749 §2.3.1 rule;
/// `None` for any other shape, and for an empty secret (this provider issues none).
pub fn parse_basic_auth(header: &str) -> Option<(String, String)> {
    passerelle_core::obapi::token::parse_basic_authorization(header)
        .filter(|(_, secret)| !secret.is_empty())
}

/// The claim token a learner typed or pasted on the consent page: the bare `clm_…` token, or a
/// claim link `…/claim/clm_…` (any host: the token decides; with a trailing slash, query or
/// fragment left over from copying). `None` when there is no token of the right shape.
pub fn claim_token_from_input(input: &str) -> Option<String> {
    let input = input.trim();
    let candidate = match input.rfind("/claim/") {
        Some(at) => &input[at + "/claim/".len()..],
        None => input,
    };
    let token: String = candidate
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    let ok = token
        .strip_prefix("clm_")
        .is_some_and(|hex| hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()));
    ok.then_some(token)
}

/// The `getProfile` id of a learner for one client: a UUID made from a keyed MAC of (client
/// id, learner key), so it is stable for that app and unrelated across apps.
pub fn pairwise_subject(issuer: &Issuer, client_id: &str, learner_key: &str) -> String {
    let mac = issuer.purpose_mac(
        "passerelle obapi pairwise subject v1",
        &[client_id.as_bytes(), learner_key.as_bytes()],
    );
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&mac[..16]);
    format!(
        "urn:uuid:{}",
        uuid::Builder::from_random_bytes(bytes).into_uuid()
    )
}

/// The CSRF token of the claim page's disconnect form for one grant: a keyed MAC of the claim
/// token's hash and the grant id (hex).
pub fn disconnect_csrf(issuer: &Issuer, claim_token: &str, grant_id: &str) -> String {
    let claim_hash = crate::store::tokens::claim_hash(claim_token);
    hex::encode(issuer.purpose_mac(
        "passerelle obapi disconnect csrf v1",
        &[&claim_hash, grant_id.as_bytes()],
    ))
}

/// Whether `presented` is [`disconnect_csrf`] for this claim token and grant (constant time).
pub fn disconnect_csrf_matches(
    issuer: &Issuer,
    claim_token: &str,
    grant_id: &str,
    presented: &str,
) -> bool {
    use subtle::ConstantTimeEq;
    let expected = disconnect_csrf(issuer, claim_token, grant_id);
    expected.len() == presented.len() && bool::from(expected.as_bytes().ct_eq(presented.as_bytes()))
}

/// `redirect_uri` with `params` added to its query (its own query kept, RFC 6749 §4.1.2);
/// `None` when it is not a URL.
pub fn redirect_to(redirect_uri: &str, params: &[(&str, &str)]) -> Option<String> {
    let mut url = url::Url::parse(redirect_uri).ok()?;
    {
        let mut query = url.query_pairs_mut();
        for (name, value) in params {
            query.append_pair(name, value);
        }
    }
    Some(url.into())
}

/// The origin (`scheme://host[:port]`) of a URL, for a CSP `form-action` source.
pub fn origin_of(uri: &str) -> Option<String> {
    let url = url::Url::parse(uri).ok()?;
    let origin = url.origin();
    origin.is_tuple().then(|| origin.ascii_serialization())
}

/// The shape of every secret of the provider: its prefix and 64 hex digits.
pub fn well_formed(secret: &str, prefix: &str) -> bool {
    crate::oid4vci::well_formed(secret, prefix)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CR: &str = "https://purl.imsglobal.org/spec/ob/v3p0/scope/credential.readonly";
    const CU: &str = "https://purl.imsglobal.org/spec/ob/v3p0/scope/credential.upsert";
    const PR: &str = "https://purl.imsglobal.org/spec/ob/v3p0/scope/profile.readonly";

    #[test]
    fn authorization_grants_the_supported_registered_subset() {
        let registered = format!("{CR} {PR}");
        let d =
            authorization_scope(Some(&format!("{CR} {CU} offline_access x")), &registered).unwrap();
        assert_eq!(d.granted, [Scope::CredentialReadonly]);
        assert_eq!(d.refused, [CU.to_owned(), "x".to_owned()]);
        // Omitted: what the client registered.
        let d = authorization_scope(None, &registered).unwrap();
        assert_eq!(
            d.granted,
            [Scope::CredentialReadonly, Scope::ProfileReadonly]
        );
        // Only unsupported scopes: invalid_scope.
        assert!(authorization_scope(Some(CU), &registered).is_err());
        // A supported scope the client did not register is not granted.
        assert!(authorization_scope(Some(PR), CR).is_err());
        assert!(authorization_scope(Some(""), &registered).is_err());
    }

    #[test]
    fn token_scope_stays_within_the_grant() {
        let granted = format!("{CR} {PR}");
        assert_eq!(token_scope(None, &granted, true).unwrap(), granted);
        assert_eq!(token_scope(Some(PR), &granted, true).unwrap(), PR);
        assert_eq!(
            token_scope(Some("offline_access"), &granted, true).unwrap(),
            granted
        );
        assert!(token_scope(Some(CU), &granted, false).is_err());
        assert!(token_scope(Some(&format!("{CR} {CU}")), &granted, true).is_err());
        assert_eq!(
            token_scope(Some(&format!("{CR} {CU}")), &granted, false).unwrap(),
            CR
        );
        assert!(token_scope(Some(PR), CR, true).is_err());
        assert!(has_scope(&granted, Scope::ProfileReadonly));
        assert!(!has_scope(CR, Scope::ProfileReadonly));
    }

    #[test]
    fn basic_auth_is_form_urlencoded_inside_base64() {
        use base64::Engine;
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        assert_eq!(
            parse_basic_auth(&format!("Basic {}", b64("obc_1:obs_2"))),
            Some(("obc_1".into(), "obs_2".into()))
        );
        // RFC 6749 §2.3.1: "%3A" is a colon inside the id, "+" a space.
        assert_eq!(
            parse_basic_auth(&format!("basic {}", b64("a%3Ab:c+d%25"))),
            Some(("a:b".into(), "c d%".into()))
        );
        assert_eq!(parse_basic_auth(&format!("Bearer {}", b64("a:b"))), None);
        assert_eq!(parse_basic_auth("Basic !!!"), None);
        assert_eq!(parse_basic_auth(&format!("Basic {}", b64("nocolon"))), None);
        assert_eq!(parse_basic_auth(&format!("Basic {}", b64(":b"))), None);
    }

    #[test]
    fn claim_links_and_bare_tokens() {
        let token = format!("clm_{}", "ab".repeat(32));
        for input in [
            token.clone(),
            format!("  {token}\n"),
            format!("https://learn.example/claim/{token}"),
            format!("https://learn.example/tenant/claim/{token}/"),
            format!("https://learn.example/claim/{token}?x=1#top"),
        ] {
            assert_eq!(
                claim_token_from_input(&input).as_deref(),
                Some(token.as_str()),
                "{input}"
            );
        }
        for input in [
            "clm_short".to_owned(),
            format!("pat_{}", "ab".repeat(32)),
            format!("https://learn.example/claim/clm_{}", "zz".repeat(32)),
            String::new(),
            format!("{token}0"),
        ] {
            assert_eq!(claim_token_from_input(&input), None, "{input}");
        }
    }

    #[test]
    fn redirects_keep_the_clients_query() {
        assert_eq!(
            redirect_to(
                "https://app.example/cb?x=1",
                &[("code", "oac_1"), ("state", "a b")]
            )
            .unwrap(),
            "https://app.example/cb?x=1&code=oac_1&state=a+b"
        );
        assert_eq!(
            origin_of("http://127.0.0.1:5000/callback").unwrap(),
            "http://127.0.0.1:5000"
        );
        assert!(redirect_to("not a url", &[]).is_none());
    }
}
