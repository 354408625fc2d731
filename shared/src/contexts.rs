//! TEMPORARY stub of the bundled JSON-LD contexts (the real module is built elsewhere).
//!
//! It serves the files of `/work/shared/vectors/contexts/` per its `index.json`, with the same API
//! as the real module; it must never reach main.

/// One bundled context document.
#[derive(Debug)]
pub struct BundledContext {
    pub url: &'static str,
    pub json: &'static str,
    pub package: &'static str,
    pub version: &'static str,
    pub sha256: &'static str,
}

/// Why a context could not be served.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ContextError {
    #[error("JSON-LD context {url} is not bundled with Passerelle; contexts are never fetched")]
    Unknown { url: String },
}

static ALL: &[BundledContext] = &[
    BundledContext {
        url: "https://www.w3.org/ns/credentials/v2",
        json: include_str!("../../../shared/vectors/contexts/credentials-v2.jsonld"),
        package: "test-vectors",
        version: "0",
        sha256: "59955ced6697d61e03f2b2556febe5308ab16842846f5b586d7f1f7adec92734",
    },
    BundledContext {
        url: "https://www.w3.org/2018/credentials/v1",
        json: include_str!("../../../shared/vectors/contexts/credentials-v1.jsonld"),
        package: "test-vectors",
        version: "0",
        sha256: "ab4ddd9a531758807a79a5b450510d61ae8d147eab966cc9a200c07095b0cdcc",
    },
    BundledContext {
        url: "https://www.w3.org/ns/credentials/examples/v2",
        json: include_str!("../../../shared/vectors/contexts/credentials-examples-v2.jsonld"),
        package: "test-vectors",
        version: "0",
        sha256: "57393fbc69d6efb9b9b5dc9cb6b9880b0944360abfe2eaf459c9e58cf2279d7c",
    },
    BundledContext {
        url: "https://www.w3.org/2018/credentials/examples/v1",
        json: include_str!("../../../shared/vectors/contexts/credentials-examples-v1.jsonld"),
        package: "test-vectors",
        version: "0",
        sha256: "2070ae4e75bc3b4c2cfe2b8b6e86ec45119672bbb5da283f0399ea96c60a0104",
    },
    BundledContext {
        url: "https://w3id.org/security/data-integrity/v2",
        json: include_str!("../../../shared/vectors/contexts/data-integrity-v2.jsonld"),
        package: "test-vectors",
        version: "0",
        sha256: "67f21e6e33a6c14e5ccfd2fc7865f7474fb71a04af7e94136cb399dfac8ae8f4",
    },
    BundledContext {
        url: "https://w3id.org/security/data-integrity/v1",
        json: include_str!("../../../shared/vectors/contexts/data-integrity-v1.jsonld"),
        package: "test-vectors",
        version: "0",
        sha256: "b5d829bd09aa7c42abc6efa0c8ed7635313b5487f37ccfce3ecd149ca9418554",
    },
    BundledContext {
        url: "https://w3id.org/security/multikey/v1",
        json: include_str!("../../../shared/vectors/contexts/multikey-v1.jsonld"),
        package: "test-vectors",
        version: "0",
        sha256: "ba2c182de2d92f7e47184bcca8fcf0beaee6d3986c527bf664c195bbc7c58597",
    },
    BundledContext {
        url: "https://w3id.org/security/jwk/v1",
        json: include_str!("../../../shared/vectors/contexts/jwk-v1.jsonld"),
        package: "test-vectors",
        version: "0",
        sha256: "0f14b62f6071aafe00df265770ea0c7508e118247d79b7d861a406d2aa00bece",
    },
    BundledContext {
        url: "https://w3id.org/security/suites/ed25519-2020/v1",
        json: include_str!("../../../shared/vectors/contexts/ed25519-2020-v1.jsonld"),
        package: "test-vectors",
        version: "0",
        sha256: "3db5c19efb0047a6edfd3b36e24346a8a3caad369d749e3c2d69e862696403e5",
    },
    BundledContext {
        url: "https://www.w3.org/ns/credentials/status/v1",
        json: include_str!("../../../shared/vectors/contexts/bitstring-status-list-v1.jsonld"),
        package: "test-vectors",
        version: "0",
        sha256: "fda5add353231e6a6884a46b12e6c75464281900cb348284d9c360f62381d9f7",
    },
    BundledContext {
        url: "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        json: include_str!("../../../shared/vectors/contexts/ob-v3p0-context-3.0.3.json"),
        package: "test-vectors",
        version: "0",
        sha256: "ef2fa9c7846dce233cc166b43639027278be4ee44f00bb1d45c75de2dd0cd761",
    },
    BundledContext {
        url: "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.2.json",
        json: include_str!("../../../shared/vectors/contexts/ob-v3p0-context-3.0.2.json"),
        package: "test-vectors",
        version: "0",
        sha256: "00666ad080ba407687ed1846b7f5e7495f5019042b202a727de47c48a1755c53",
    },
    BundledContext {
        url: "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.1.json",
        json: include_str!("../../../shared/vectors/contexts/ob-v3p0-context-3.0.1.json"),
        package: "test-vectors",
        version: "0",
        sha256: "d582f3564282fb3b709136d28412e78e70b678b4dbc2f0221f67d84932748355",
    },
    BundledContext {
        url: "https://purl.imsglobal.org/spec/ob/v3p0/context.json",
        json: include_str!("../../../shared/vectors/contexts/ob-v3p0-context-3.0.0.json"),
        package: "test-vectors",
        version: "0",
        sha256: "b077fa134d909d92c1dcd1c153f2af1b244aeb415967fdc1467d7fc5dd48ac10",
    },
    BundledContext {
        url: "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json",
        json: include_str!("../../../shared/vectors/contexts/ob-v3p0-extensions.json"),
        package: "test-vectors",
        version: "0",
        sha256: "146f85aa16effd7ca1da8056eb443f53ce1eca8a34186cb062832c0a97d889c3",
    },
    BundledContext {
        url: "https://purl.imsglobal.org/spec/ob/v3p0/context/ob_v3p0.jsonld",
        json: include_str!("../../../shared/vectors/contexts/ob-v3p0-context-3.0.0.json"),
        package: "test-vectors",
        version: "0",
        sha256: "b077fa134d909d92c1dcd1c153f2af1b244aeb415967fdc1467d7fc5dd48ac10",
    },
];

/// The bundled context for `url`, or an error naming it.
pub fn resolve(url: &str) -> Result<&'static BundledContext, ContextError> {
    ALL.iter()
        .find(|c| c.url == url)
        .ok_or_else(|| ContextError::Unknown {
            url: url.to_owned(),
        })
}

/// Every bundled context.
pub fn all() -> &'static [BundledContext] {
    ALL
}
