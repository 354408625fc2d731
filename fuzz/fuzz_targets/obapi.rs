//! Open Badges 3.0 API inputs a provider or a consumer reads from the network: service
//! description documents, client registration requests, `Link` headers and getCredentials
//! response bodies. None may panic; what is accepted must satisfy the checks the parsers promise.
#![no_main]

use libfuzzer_sys::fuzz_target;
use passerelle_core::input::{self, InputLimits};
use passerelle_core::obapi::{self, Scope};
use url::Url;

const BASE: &str = "https://learn.example/tenant";

fuzz_target!(|data: &[u8]| {
    // The first byte picks the reader, so one corpus covers them all.
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let limits = InputLimits {
        max_bytes: 256 * 1024,
        max_depth: 32,
    };
    match selector % 4 {
        0 => {
            let Ok(doc) = input::parse_json(rest, &limits) else {
                return;
            };
            let Ok(base) = Url::parse(BASE) else {
                return;
            };
            if let Ok((sdd, _)) = obapi::parse_service_description(&doc, &base) {
                // Every OAuth endpoint read is https, or http on a loopback address.
                for url in [&sdd.registration_url, &sdd.authorization_url, &sdd.token_url] {
                    assert!(matches!(url.scheme(), "https" | "http"), "{url}");
                }
                assert!(!sdd.title.trim().is_empty());
            }
        }
        1 => {
            let Ok(doc) = input::parse_json(rest, &limits) else {
                return;
            };
            let supported = [Scope::CredentialReadonly, Scope::ProfileReadonly];
            if let Ok(registration) = obapi::validate_registration(&doc, &supported) {
                // Accepted: at least one supported scope, 1..=10 redirect URIs that are https or
                // loopback, and a hostname shared by the client's URLs.
                assert!(!obapi::parse_scope(&registration.scope).supported(&supported).is_empty());
                assert!((1..=10).contains(&registration.redirect_uris.len()));
                let host = registration.hostname();
                assert!(host.is_some());
                for uri in &registration.redirect_uris {
                    assert!(
                        obapi::is_loopback_redirect_uri(uri) || uri.starts_with("https://"),
                        "{uri}"
                    );
                    assert!(obapi::redirect_uri_matches(uri, uri));
                }
            }
        }
        2 => {
            if let Ok(text) = std::str::from_utf8(rest) {
                for (rel, target) in obapi::parse_link_header(text) {
                    assert!(!rel.is_empty() && !rel.contains(char::is_whitespace));
                    let _ = target;
                }
            }
        }
        _ => {
            let Ok(doc) = input::parse_json(rest, &limits) else {
                return;
            };
            if let Ok((page, _)) = obapi::parse_credentials_response(&doc) {
                assert!(page.credential.iter().all(|c| c.is_object()));
                assert!(page.compact_jws.iter().all(|j| j.split('.').count() == 3));
                // What was read writes back and reads again the same.
                let again = obapi::parse_credentials_response(&obapi::credentials_response(&page));
                assert_eq!(again.map(|(p, _)| p).ok().as_ref(), Some(&page));
            }
        }
    }
});
