//! Trust registries: operator-chosen lists of issuers someone vouches for.
//!
//! A registry answers "who recognises this issuer?", never "is this credential valid?": an
//! issuer in no registry is *unknown*, which the report shows as a warning, not a failure.
//!
//! Two file formats are read (the caller reads the file; this module only parses JSON):
//! - Passerelle's own:
//!   `{"name": "…", "entries": [{"id": "did:web:…", "name": "…", "jurisdiction": "FR",
//!   "validFrom": "2026-01-01T00:00:00Z", "validUntil": "…"}]}`;
//! - the Digital Credentials Consortium issuer registry ("legacy" static list):
//!   `{"meta": {"created": "…", "updated": "…"}, "registry": {"did:…": {"name": "…",
//!   "location": "…", "url": "…"}}}` (older copies call the map `entries`). It names no
//!   registry, so the caller supplies one (typically the file name).

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

/// Why a registry file could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TrustError {
    #[error("a trust registry must be a JSON object with `entries` (a list) or `registry` (a map from DID to issuer)")]
    UnknownFormat,
    #[error("trust registry field `{path}`: expected {expected}")]
    Field {
        path: String,
        expected: &'static str,
    },
}

/// One recognised issuer, as a registry lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecognisedIssuer {
    /// The issuer's id (usually a DID) exactly as credentials name it.
    pub id: String,
    pub name: String,
    /// The registry that lists it.
    pub registry: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jurisdiction: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<DateTime<Utc>>,
}

impl RecognisedIssuer {
    /// Whether the listing applies at `now`.
    pub fn is_current(&self, now: DateTime<Utc>) -> bool {
        self.valid_from.is_none_or(|from| from <= now)
            && self.valid_until.is_none_or(|until| now <= until)
    }
}

/// What the registries say about one issuer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrustDecision<'a> {
    /// Listed, and the listing applies now.
    Recognised(Vec<&'a RecognisedIssuer>),
    /// Listed only outside the listing's validity dates.
    NotCurrent(Vec<&'a RecognisedIssuer>),
    /// In no registry.
    Unknown,
}

/// All the registries an operator trusts, in the order given (most authoritative first).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustRegistries {
    registries: Vec<String>,
    entries: Vec<RecognisedIssuer>,
}

impl TrustRegistries {
    /// No registry: every issuer is unknown.
    pub fn new() -> Self {
        Self::default()
    }

    /// The names of the registries loaded.
    pub fn registry_names(&self) -> &[String] {
        &self.registries
    }

    /// Every listing, in load order.
    pub fn entries(&self) -> &[RecognisedIssuer] {
        &self.entries
    }

    /// Adds a registry from its JSON. `fallback_name` names it when the file does not (the DCC
    /// format never does). Returns how many issuers it listed.
    pub fn load(&mut self, document: &Value, fallback_name: &str) -> Result<usize, TrustError> {
        let Value::Object(root) = document else {
            return Err(TrustError::UnknownFormat);
        };
        let name = match root.get("name") {
            None => fallback_name.to_owned(),
            Some(Value::String(name)) if !name.trim().is_empty() => name.clone(),
            Some(_) => {
                return Err(TrustError::Field {
                    path: "name".into(),
                    expected: "a non-empty string",
                })
            }
        };
        let entries = match (root.get("entries"), root.get("registry")) {
            (Some(Value::Array(items)), _) => own_format(items, &name)?,
            (Some(Value::Object(map)), None) => dcc_format(map, "entries", &name)?,
            (None, Some(Value::Object(map))) => dcc_format(map, "registry", &name)?,
            _ => return Err(TrustError::UnknownFormat),
        };
        let count = entries.len();
        self.entries.extend(entries);
        self.registries.push(name);
        Ok(count)
    }

    /// What the registries say about `issuer` at `now`. A listed DID also covers its own
    /// verification methods' base (`did:web:x` matches an issuer written `did:web:x`, not
    /// `did:web:x:y`): ids are compared exactly, after dropping a fragment.
    pub fn decide(&self, issuer: &str, now: DateTime<Utc>) -> TrustDecision<'_> {
        let issuer = issuer.split('#').next().unwrap_or(issuer);
        let listed: Vec<&RecognisedIssuer> =
            self.entries.iter().filter(|e| e.id == issuer).collect();
        if listed.is_empty() {
            return TrustDecision::Unknown;
        }
        let current: Vec<&RecognisedIssuer> = listed
            .iter()
            .copied()
            .filter(|e| e.is_current(now))
            .collect();
        if current.is_empty() {
            TrustDecision::NotCurrent(listed)
        } else {
            TrustDecision::Recognised(current)
        }
    }
}

fn own_format(items: &[Value], registry: &str) -> Result<Vec<RecognisedIssuer>, TrustError> {
    items
        .iter()
        .enumerate()
        .map(|(n, item)| {
            let path = |field: &str| format!("entries[{n}].{field}");
            if !item.is_object() {
                return Err(TrustError::Field {
                    path: format!("entries[{n}]"),
                    expected: "an object",
                });
            }
            Ok(RecognisedIssuer {
                id: required_string(item, "id", &path("id"))?,
                name: required_string(item, "name", &path("name"))?,
                registry: registry.to_owned(),
                jurisdiction: optional_string(item, "jurisdiction", &path("jurisdiction"))?,
                url: optional_string(item, "url", &path("url"))?,
                valid_from: optional_date(item, "validFrom", &path("validFrom"))?,
                valid_until: optional_date(item, "validUntil", &path("validUntil"))?,
            })
        })
        .collect()
}

fn dcc_format(
    map: &serde_json::Map<String, Value>,
    key: &str,
    registry: &str,
) -> Result<Vec<RecognisedIssuer>, TrustError> {
    map.iter()
        .map(|(did, item)| {
            let path = |field: &str| format!("{key}[{did:?}].{field}");
            if did.trim().is_empty() || !item.is_object() {
                return Err(TrustError::Field {
                    path: format!("{key}[{did:?}]"),
                    expected: "an issuer object under a non-empty DID",
                });
            }
            Ok(RecognisedIssuer {
                id: did.clone(),
                name: required_string(item, "name", &path("name"))?,
                registry: registry.to_owned(),
                jurisdiction: optional_string(item, "location", &path("location"))?,
                url: optional_string(item, "url", &path("url"))?,
                valid_from: None,
                valid_until: None,
            })
        })
        .collect()
}

fn required_string(item: &Value, field: &str, path: &str) -> Result<String, TrustError> {
    match item.get(field) {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.clone()),
        _ => Err(TrustError::Field {
            path: path.to_owned(),
            expected: "a non-empty string",
        }),
    }
}

fn optional_string(item: &Value, field: &str, path: &str) -> Result<Option<String>, TrustError> {
    match item.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(TrustError::Field {
            path: path.to_owned(),
            expected: "a string",
        }),
    }
}

fn optional_date(
    item: &Value,
    field: &str,
    path: &str,
) -> Result<Option<DateTime<Utc>>, TrustError> {
    match optional_string(item, field, path)? {
        None => Ok(None),
        Some(text) => DateTime::parse_from_rfc3339(&text)
            .map(|d| Some(d.with_timezone(&Utc)))
            .map_err(|_| TrustError::Field {
                path: path.to_owned(),
                expected: "an RFC 3339 date-time",
            }),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .map(|d| d.with_timezone(&Utc))
            .unwrap_or_default()
    }

    #[test]
    fn own_format_with_validity_dates() {
        let mut trust = TrustRegistries::new();
        let n = trust
            .load(
                &json!({"name": "Pilot", "entries": [
                    {"id": "did:web:a.example", "name": "A", "jurisdiction": "FR",
                     "validFrom": "2026-01-01T00:00:00Z", "validUntil": "2026-12-31T00:00:00Z"}
                ]}),
                "file.json",
            )
            .unwrap();
        assert_eq!(n, 1);
        assert_eq!(trust.registry_names(), ["Pilot"]);
        match trust.decide("did:web:a.example", at("2026-06-01T00:00:00Z")) {
            TrustDecision::Recognised(list) => assert_eq!(list[0].registry, "Pilot"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            trust.decide("did:web:a.example", at("2027-06-01T00:00:00Z")),
            TrustDecision::NotCurrent(_)
        ));
        assert_eq!(
            trust.decide("did:web:b.example", at("2026-06-01T00:00:00Z")),
            TrustDecision::Unknown
        );
    }

    #[test]
    fn dcc_format_takes_the_fallback_name() {
        let mut trust = TrustRegistries::new();
        trust
            .load(
                &json!({"meta": {"created": "2020-12-02T02:32:16+0000"}, "registry": {
                    "did:key:z6Mkexample": {"name": "Example University", "location": "Cambridge, MA, USA", "url": "https://example.edu"}
                }}),
                "dcc-registry.json",
            )
            .unwrap();
        let TrustDecision::Recognised(list) = trust.decide("did:key:z6Mkexample", Utc::now())
        else {
            panic!("not recognised")
        };
        assert_eq!(list[0].registry, "dcc-registry.json");
        assert_eq!(list[0].jurisdiction.as_deref(), Some("Cambridge, MA, USA"));
    }

    #[test]
    fn bad_files_name_the_field() {
        let mut trust = TrustRegistries::new();
        assert_eq!(trust.load(&json!([1]), "x"), Err(TrustError::UnknownFormat));
        assert_eq!(
            trust.load(&json!({"entries": [{"id": "did:web:a"}]}), "x"),
            Err(TrustError::Field {
                path: "entries[0].name".into(),
                expected: "a non-empty string"
            })
        );
        assert!(matches!(
            trust.load(&json!({"entries": [{"id": "did:web:a", "name": "A", "validFrom": "soon"}]}), "x"),
            Err(TrustError::Field { path, .. }) if path == "entries[0].validFrom"
        ));
        assert!(trust.entries().is_empty());
    }
}
