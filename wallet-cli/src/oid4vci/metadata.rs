//! The two choices the wallet makes from the issuer's metadata (parsed and checked by the core,
//! `oid4vci::parse_issuer_metadata`): which display to show in the learner's language, and which
//! of the offered credential configurations to ask for.

use std::collections::BTreeMap;

use passerelle_core::oid4vci::{
    self, CredentialConfiguration, Display, FORMAT_JWT_VC_JSON, FORMAT_LDP_VC,
};
use serde_json::Value;

/// The formats this wallet stores, in its order of preference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum CredentialFormat {
    /// The OB 3.0 credential with its Data Integrity proof (JSON).
    LdpVc,
    /// The credential as a VC-JOSE compact JWS.
    JwtVcJson,
}

impl CredentialFormat {
    /// The format identifier of OpenID4VCI 1.0 Appendix A.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::LdpVc => FORMAT_LDP_VC,
            Self::JwtVcJson => FORMAT_JWT_VC_JSON,
        }
    }

    fn from_identifier(format: &str) -> Option<Self> {
        if format == FORMAT_LDP_VC {
            Some(Self::LdpVc)
        } else if format == FORMAT_JWT_VC_JSON {
            Some(Self::JwtVcJson)
        } else {
            None
        }
    }
}

impl std::fmt::Display for CredentialFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The named display entry for the learner's `languages` (BCP 47 tags, most wanted first): the
/// core's choice ([`oid4vci::display_for`]) among the entries that have a name.
pub fn pick_display(displays: &[Display], languages: &[String]) -> Option<Display> {
    let named: Vec<Display> = displays
        .iter()
        .filter(|d| d.name.is_some())
        .cloned()
        .collect();
    let tags: Vec<&str> = languages.iter().map(String::as_str).collect();
    oid4vci::display_for(&named, &tags).cloned()
}

/// One credential configuration the wallet will ask for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chosen {
    /// Its `credential_configuration_id`.
    pub id: String,
    pub format: CredentialFormat,
    /// Its display name in the learner's language, if the metadata gives one.
    pub name: Option<String>,
    pub description: Option<String>,
}

/// Why an offered configuration is not asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub id: String,
    pub reason: String,
}

/// The configurations to ask for among those `offered` (all described in `configurations`):
/// those of a format this wallet stores; where one credential is offered in both formats (same
/// display name and type), only the preferred one (`wanted`, else ldp_vc). The others are listed
/// with why. `wanted` set and matched by nothing: `Err` with the formats offered.
pub fn choose(
    offered: &[String],
    configurations: &BTreeMap<String, CredentialConfiguration>,
    wanted: Option<CredentialFormat>,
    languages: &[String],
) -> Result<(Vec<Chosen>, Vec<Skipped>), ChoiceError> {
    let mut skipped = Vec::new();
    // Offered order kept; one group per credential (display name + types).
    let mut groups: Vec<(String, Vec<Chosen>)> = Vec::new();
    for id in offered {
        let Some(configuration) = configurations.get(id) else {
            return Err(ChoiceError::Unknown { id: id.clone() });
        };
        let Some(format) = CredentialFormat::from_identifier(&configuration.format) else {
            skipped.push(Skipped {
                id: id.clone(),
                reason: format!(
                    "its format {:?} is not one this wallet stores (ldp_vc, jwt_vc_json)",
                    configuration.format
                ),
            });
            continue;
        };
        let display = pick_display(&configuration.display(), languages);
        let chosen = Chosen {
            id: id.clone(),
            format,
            name: display.as_ref().and_then(|d| d.name.clone()),
            description: display.and_then(|d| d.description),
        };
        let key = group_key(configuration, &chosen);
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, members)) => members.push(chosen),
            None => groups.push((key, vec![chosen])),
        }
    }
    let offered_formats = || {
        let mut formats: Vec<&str> = offered
            .iter()
            .filter_map(|id| configurations.get(id))
            .map(|c| c.format.as_str())
            .collect();
        formats.sort_unstable();
        formats.dedup();
        formats.join(", ")
    };
    let mut chosen = Vec::new();
    for (_, members) in groups {
        let best = match wanted {
            Some(format) => Some(format),
            None => members.iter().map(|m| m.format).min(),
        };
        for member in members {
            if Some(member.format) == best {
                chosen.push(member);
            } else {
                let reason = match wanted {
                    Some(format) => format!("--format {format} asks for the other format"),
                    None => format!(
                        "the same credential is offered as {}, which this wallet prefers \
                         (--format {} chooses this one)",
                        best.map_or("", CredentialFormat::as_str),
                        member.format
                    ),
                };
                skipped.push(Skipped {
                    id: member.id,
                    reason,
                });
            }
        }
    }
    if chosen.is_empty() {
        return Err(match wanted {
            Some(format) => ChoiceError::FormatNotOffered {
                format,
                offered: offered_formats(),
            },
            None => ChoiceError::NoSupportedFormat {
                offered: offered_formats(),
            },
        });
    }
    Ok((chosen, skipped))
}

/// What makes two configurations the same credential in two formats: the display name and the
/// credential types (any format's `credential_definition.type`); without a name, the id itself
/// (nothing says they are the same).
fn group_key(configuration: &CredentialConfiguration, chosen: &Chosen) -> String {
    let Some(name) = &chosen.name else {
        return format!("id:{}", chosen.id);
    };
    let mut types: Vec<String> = configuration
        .other
        .get("credential_definition")
        .and_then(|d| d.get("type"))
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    types.sort_unstable();
    format!("name:{name}\u{0}types:{}", types.join(","))
}

/// Why no configuration could be chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChoiceError {
    /// The offer names a configuration the metadata does not describe.
    Unknown { id: String },
    /// None of the offered formats is one the wallet stores.
    NoSupportedFormat { offered: String },
    /// `--format` asked for a format not offered.
    FormatNotOffered {
        format: CredentialFormat,
        offered: String,
    },
}
