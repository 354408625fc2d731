//! Which network destinations a Passerelle fetcher (the verifier's, the wallet's) may contact.
//!
//! Pure: it takes a URL, a host name or an [`IpAddr`] and answers allowed or a typed refusal that
//! names the range (and, for IPv6 forms that embed an IPv4 address, the embedded address and its
//! range). The fetchers check a URL before connecting, every address a name resolves to, and every
//! redirect target.
//!
//! The address table is the IANA IPv4 and IPv6 Special-Purpose Address Registries (RFC 6890 and
//! its updates), followed as of their 2025 state: IPv4 last changed by RFC 8880 (192.0.0.170/31),
//! IPv6 by RFC 9602 (5f00::/16), RFC 9637 (3fff::/20), RFC 9665 (2001:1::3) and RFC 9780
//! (100:0:0:1::/64). Added beside them: IPv4 multicast 224.0.0.0/4, IPv6 multicast ff00::/8,
//! the deprecated site-local fec0::/10 and IPv4-compatible ::/96 (RFC 4291), and everything
//! outside the global unicast space 2000::/3 that no entry names.
//!
//! Decision on entries IANA marks "globally reachable: true" (PCP/TURN/DNS-SD anycast, AS112,
//! AMT, ORCHIDv2, DETs, 64:ff9b::/96): they are refused too. None of them serves a credential,
//! a DID document or a status list, and a fetcher driven by a credential's content has no
//! business contacting network infrastructure. The one exception is 64:ff9b::/96 (NAT64 well-known
//! prefix): an IPv6-only host behind DNS64 sees every IPv4 site there, so it is allowed exactly
//! when the embedded IPv4 address is itself public. 6to4 (2002::/16) and Teredo (2001::/32) are
//! deprecated transition forms and always refused, naming the embedded addresses.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use url::{Host, Url};

/// How an IPv6 range carries an IPv4 address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Embedding {
    /// No IPv4 address inside.
    None,
    /// `::ffff:a.b.c.d` — the address *is* the IPv4 one: judged as that address.
    Mapped,
    /// `::a.b.c.d` (deprecated): refused, naming the embedded address.
    Compatible,
    /// `64:ff9b::a.b.c.d`: allowed when the embedded address is public.
    Nat64,
    /// `2002:AABB:CCDD::/48`: refused, naming the embedded address.
    SixToFour,
    /// `2001:0:SSSS:SSSS:flags:port:~CCCC:~CCCC`: refused, naming server and client.
    Teredo,
}

/// One entry of the address table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    /// The first address of the range.
    pub network: IpAddr,
    /// Prefix length in bits.
    pub prefix: u8,
    /// The registry's name for it.
    pub name: &'static str,
    /// IANA's "globally reachable" column (`None`: N/A, or not from the registry).
    pub globally_reachable: Option<bool>,
    /// How an IPv4 address is carried inside, for IPv6 ranges.
    pub embedding: Embedding,
}

impl Range {
    /// Does the range contain `address`?
    pub fn contains(&self, address: IpAddr) -> bool {
        match (self.network, address) {
            (IpAddr::V4(net), IpAddr::V4(a)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(a)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }
}

impl fmt::Display for Range {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{} ({})", self.network, self.prefix, self.name)
    }
}

const fn v4(
    a: u8,
    b: u8,
    c: u8,
    d: u8,
    prefix: u8,
    name: &'static str,
    global: Option<bool>,
) -> Range {
    Range {
        network: IpAddr::V4(Ipv4Addr::new(a, b, c, d)),
        prefix,
        name,
        globally_reachable: global,
        embedding: Embedding::None,
    }
}

#[allow(clippy::too_many_arguments)]
const fn v6(
    s: [u16; 8],
    prefix: u8,
    name: &'static str,
    global: Option<bool>,
    embedding: Embedding,
) -> Range {
    Range {
        network: IpAddr::V6(Ipv6Addr::new(
            s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7],
        )),
        prefix,
        name,
        globally_reachable: global,
        embedding,
    }
}

const T: Option<bool> = Some(true);
const F: Option<bool> = Some(false);
const NA: Option<bool> = None;

/// The IPv4 table: every entry of the IANA IPv4 Special-Purpose Address Registry, plus multicast.
pub const IPV4_TABLE: &[Range] = &[
    v4(0, 0, 0, 0, 8, "this network", F),
    v4(0, 0, 0, 0, 32, "this host on this network", F),
    v4(10, 0, 0, 0, 8, "private-use", F),
    v4(100, 64, 0, 0, 10, "shared address space", F),
    v4(127, 0, 0, 0, 8, "loopback", F),
    v4(169, 254, 0, 0, 16, "link-local", F),
    v4(172, 16, 0, 0, 12, "private-use", F),
    v4(192, 0, 0, 0, 24, "IETF protocol assignments", NA),
    v4(192, 0, 0, 0, 29, "IPv4 service continuity prefix", F),
    v4(192, 0, 0, 8, 32, "IPv4 dummy address", F),
    v4(192, 0, 0, 9, 32, "port control protocol anycast", T),
    v4(
        192,
        0,
        0,
        10,
        32,
        "traversal using relays around NAT anycast",
        T,
    ),
    v4(192, 0, 0, 170, 32, "NAT64/DNS64 discovery", F),
    v4(192, 0, 0, 171, 32, "NAT64/DNS64 discovery", F),
    v4(192, 0, 2, 0, 24, "documentation (TEST-NET-1)", F),
    v4(192, 31, 196, 0, 24, "AS112-v4", T),
    v4(192, 52, 193, 0, 24, "AMT", T),
    v4(192, 88, 99, 0, 24, "deprecated 6to4 relay anycast", NA),
    v4(192, 168, 0, 0, 16, "private-use", F),
    v4(192, 175, 48, 0, 24, "direct delegation AS112 service", T),
    v4(198, 18, 0, 0, 15, "benchmarking", F),
    v4(198, 51, 100, 0, 24, "documentation (TEST-NET-2)", F),
    v4(203, 0, 113, 0, 24, "documentation (TEST-NET-3)", F),
    v4(224, 0, 0, 0, 4, "multicast", NA),
    v4(240, 0, 0, 0, 4, "reserved", F),
    v4(255, 255, 255, 255, 32, "limited broadcast", F),
];

use Embedding as E;

/// The IPv6 table: every entry of the IANA IPv6 Special-Purpose Address Registry, plus
/// multicast, site-local and IPv4-compatible addresses.
pub const IPV6_TABLE: &[Range] = &[
    v6([0; 8], 128, "unspecified", F, E::None),
    v6([0, 0, 0, 0, 0, 0, 0, 1], 128, "loopback", F, E::None),
    v6(
        [0; 8],
        96,
        "IPv4-compatible (deprecated)",
        NA,
        E::Compatible,
    ),
    v6(
        [0, 0, 0, 0, 0, 0xffff, 0, 0],
        96,
        "IPv4-mapped",
        F,
        E::Mapped,
    ),
    v6(
        [0x64, 0xff9b, 0, 0, 0, 0, 0, 0],
        96,
        "NAT64 well-known prefix",
        T,
        E::Nat64,
    ),
    v6(
        [0x64, 0xff9b, 1, 0, 0, 0, 0, 0],
        48,
        "local-use IPv4/IPv6 translation",
        F,
        E::None,
    ),
    v6([0x100, 0, 0, 0, 0, 0, 0, 0], 64, "discard-only", F, E::None),
    v6(
        [0x100, 0, 0, 1, 0, 0, 0, 0],
        64,
        "dummy IPv6 prefix",
        F,
        E::None,
    ),
    v6(
        [0x2001, 0, 0, 0, 0, 0, 0, 0],
        23,
        "IETF protocol assignments",
        F,
        E::None,
    ),
    v6([0x2001, 0, 0, 0, 0, 0, 0, 0], 32, "Teredo", NA, E::Teredo),
    v6(
        [0x2001, 1, 0, 0, 0, 0, 0, 1],
        128,
        "port control protocol anycast",
        T,
        E::None,
    ),
    v6(
        [0x2001, 1, 0, 0, 0, 0, 0, 2],
        128,
        "TURN anycast",
        T,
        E::None,
    ),
    v6(
        [0x2001, 1, 0, 0, 0, 0, 0, 3],
        128,
        "DNS-SD service registration protocol anycast",
        T,
        E::None,
    ),
    v6(
        [0x2001, 2, 0, 0, 0, 0, 0, 0],
        48,
        "benchmarking",
        F,
        E::None,
    ),
    v6([0x2001, 3, 0, 0, 0, 0, 0, 0], 32, "AMT", T, E::None),
    v6(
        [0x2001, 4, 0x112, 0, 0, 0, 0, 0],
        48,
        "AS112-v6",
        T,
        E::None,
    ),
    v6(
        [0x2001, 0x10, 0, 0, 0, 0, 0, 0],
        28,
        "deprecated (previously ORCHID)",
        F,
        E::None,
    ),
    v6([0x2001, 0x20, 0, 0, 0, 0, 0, 0], 28, "ORCHIDv2", T, E::None),
    v6(
        [0x2001, 0x30, 0, 0, 0, 0, 0, 0],
        28,
        "drone remote ID protocol entity tags",
        T,
        E::None,
    ),
    v6(
        [0x2001, 0xdb8, 0, 0, 0, 0, 0, 0],
        32,
        "documentation",
        F,
        E::None,
    ),
    v6([0x2002, 0, 0, 0, 0, 0, 0, 0], 16, "6to4", NA, E::SixToFour),
    v6(
        [0x2620, 0x4f, 0x8000, 0, 0, 0, 0, 0],
        48,
        "direct delegation AS112 service",
        T,
        E::None,
    ),
    v6(
        [0x3fff, 0, 0, 0, 0, 0, 0, 0],
        20,
        "documentation",
        F,
        E::None,
    ),
    v6(
        [0x5f00, 0, 0, 0, 0, 0, 0, 0],
        16,
        "segment routing (SRv6) SIDs",
        F,
        E::None,
    ),
    v6([0xfc00, 0, 0, 0, 0, 0, 0, 0], 7, "unique-local", F, E::None),
    v6(
        [0xfe80, 0, 0, 0, 0, 0, 0, 0],
        10,
        "link-local unicast",
        F,
        E::None,
    ),
    v6(
        [0xfec0, 0, 0, 0, 0, 0, 0, 0],
        10,
        "site-local (deprecated)",
        NA,
        E::None,
    ),
    v6([0xff00, 0, 0, 0, 0, 0, 0, 0], 8, "multicast", NA, E::None),
];

/// IPv6 addresses outside every table entry must still be global unicast (RFC 4291 §2.4).
pub const GLOBAL_UNICAST: Range = v6(
    [0x2000, 0, 0, 0, 0, 0, 0, 0],
    3,
    "global unicast",
    NA,
    E::None,
);

/// Host names that never name a public server (RFC 6761 `localhost`, RFC 6762 `local`,
/// RFC 8375 `home.arpa`, ICANN's private-use `internal`), with or without a trailing dot, and
/// every name below them.
pub const PRIVATE_NAMES: &[&str] = &["localhost", "local", "home.arpa", "internal"];

/// The most specific table entry containing `address`, if any.
pub fn range_of(address: IpAddr) -> Option<&'static Range> {
    let table = match address {
        IpAddr::V4(_) => IPV4_TABLE,
        IpAddr::V6(_) => IPV6_TABLE,
    };
    table
        .iter()
        .filter(|r| r.contains(address))
        .max_by_key(|r| r.prefix)
}

/// An IPv4 address found inside an IPv6 one, and the range it falls in (if non-public).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Embedded {
    /// "server", "client" or "" (the only one).
    pub role: &'static str,
    pub address: Ipv4Addr,
    pub range: Option<&'static Range>,
}

impl fmt::Display for Embedded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.role.is_empty() {
            write!(f, "{} ", self.role)?;
        }
        write!(f, "{}", self.address)?;
        if let Some(range) = self.range {
            write!(f, " ({range})")?;
        }
        Ok(())
    }
}

/// The IPv4 addresses carried by `address` under `embedding`.
pub fn embedded_ipv4(address: Ipv6Addr, embedding: Embedding) -> Vec<Embedded> {
    let bits = u128::from(address);
    let low = Ipv4Addr::from((bits & 0xffff_ffff) as u32);
    let one = |role, a: Ipv4Addr| Embedded {
        role,
        address: a,
        range: range_of(IpAddr::V4(a)),
    };
    match embedding {
        Embedding::None => Vec::new(),
        Embedding::Mapped | Embedding::Compatible | Embedding::Nat64 => vec![one("", low)],
        Embedding::SixToFour => vec![one("", Ipv4Addr::from(((bits >> 80) & 0xffff_ffff) as u32))],
        Embedding::Teredo => vec![
            one(
                "server",
                Ipv4Addr::from(((bits >> 64) & 0xffff_ffff) as u32),
            ),
            one("client", Ipv4Addr::from(!((bits & 0xffff_ffff) as u32))),
        ],
    }
}

/// Why an address is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddressRefusal {
    pub address: IpAddr,
    /// The range refused, or [`GLOBAL_UNICAST`] for an IPv6 address outside it.
    pub range: &'static Range,
    /// For ranges that carry IPv4 addresses: those addresses.
    pub embedded: Vec<Embedded>,
}

impl fmt::Display for AddressRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if std::ptr::eq(self.range, &GLOBAL_UNICAST) {
            return write!(f, "{} is outside 2000::/3 (global unicast)", self.address);
        }
        write!(f, "{} is in {}", self.address, self.range)?;
        for (i, e) in self.embedded.iter().enumerate() {
            f.write_str(if i == 0 { " embedding " } else { ", " })?;
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

/// Why a URL or host is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    #[error("{url}: only https URLs are fetched{}", if *.http_allowed { " (or http)" } else { "" })]
    Scheme { url: String, http_allowed: bool },
    #[error("{url} has no host")]
    NoHost { url: String },
    #[error("{host} is a local or private-use name (.{suffix}), not a public server")]
    PrivateName { host: String, suffix: &'static str },
    #[error("{host}: {refusal}, not a public address")]
    NonPublicAddress {
        host: String,
        refusal: AddressRefusal,
    },
}

impl PolicyError {
    /// The refused address, when the refusal is about one.
    pub fn address(&self) -> Option<IpAddr> {
        match self {
            PolicyError::NonPublicAddress { refusal, .. } => Some(refusal.address),
            _ => None,
        }
    }
}

/// Is `address` public, and if not, why?
pub fn check_public(address: IpAddr) -> Result<(), AddressRefusal> {
    let Some(range) = range_of(address) else {
        return match address {
            IpAddr::V6(_) if !GLOBAL_UNICAST.contains(address) => Err(AddressRefusal {
                address,
                range: &GLOBAL_UNICAST,
                embedded: Vec::new(),
            }),
            _ => Ok(()),
        };
    };
    let IpAddr::V6(v6) = address else {
        return Err(AddressRefusal {
            address,
            range,
            embedded: Vec::new(),
        });
    };
    let embedded = embedded_ipv4(v6, range.embedding);
    let embedded_public = embedded.iter().all(|e| e.range.is_none());
    match range.embedding {
        Embedding::Mapped | Embedding::Nat64 if embedded_public => Ok(()),
        _ => Err(AddressRefusal {
            address,
            range,
            embedded,
        }),
    }
}

/// Is `address` public?
pub fn is_public(address: IpAddr) -> bool {
    check_public(address).is_ok()
}

/// Is `address` a loopback address (127/8, ::1, or IPv4-mapped loopback)?
pub fn is_loopback(address: IpAddr) -> bool {
    match address {
        IpAddr::V4(a) => a.is_loopback(),
        IpAddr::V6(a) => a.is_loopback() || a.to_ipv4_mapped().is_some_and(|m| m.is_loopback()),
    }
}

/// The private-use suffix `host` falls under, if any (`localhost`, `a.localhost.`, `printer.local`).
pub fn private_name(host: &str) -> Option<&'static str> {
    let host = host.strip_suffix('.').unwrap_or(host).to_ascii_lowercase();
    PRIVATE_NAMES.iter().copied().find(|suffix| {
        host == *suffix
            || host
                .strip_suffix(suffix)
                .is_some_and(|rest| rest.ends_with('.'))
    })
}

/// What a fetcher allows: the same rules for the verifier and the wallet.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AddressPolicy {
    /// Allow plain `http` everywhere (the verifier's operator flag).
    pub allow_http: bool,
    /// Allow every address and name (tests, intranets).
    pub allow_private_network: bool,
    /// Allow `http` and loopback destinations (`127/8`, `::1`, `localhost`) only: a URL the user
    /// typed themselves, for development. Other private addresses stay refused.
    pub allow_loopback: bool,
}

impl AddressPolicy {
    /// Is this address allowed?
    pub fn check_address(&self, host: &str, address: IpAddr) -> Result<(), PolicyError> {
        if self.allow_private_network || (self.allow_loopback && is_loopback(address)) {
            return Ok(());
        }
        check_public(address).map_err(|refusal| PolicyError::NonPublicAddress {
            host: host.to_owned(),
            refusal,
        })
    }

    /// Checks a host name before it is resolved (a literal IP is checked as an address).
    pub fn check_host(&self, host: &Host<&str>) -> Result<(), PolicyError> {
        match host {
            Host::Ipv4(a) => self.check_address(&a.to_string(), IpAddr::V4(*a)),
            Host::Ipv6(a) => self.check_address(&a.to_string(), IpAddr::V6(*a)),
            Host::Domain(name) => match private_name(name) {
                None => Ok(()),
                Some(_) if self.allow_private_network => Ok(()),
                Some("localhost") if self.allow_loopback => Ok(()),
                Some(suffix) => Err(PolicyError::PrivateName {
                    host: (*name).to_owned(),
                    suffix,
                }),
            },
        }
    }

    /// Checks a URL before any connection: scheme, then host. Resolved addresses are checked
    /// with [`AddressPolicy::check_resolved`].
    pub fn check_url(&self, url: &Url) -> Result<(), PolicyError> {
        let host = url.host();
        let scheme_ok = match url.scheme() {
            "https" => true,
            "http" => {
                self.allow_http
                    || (self.allow_loopback && host.as_ref().is_some_and(host_is_loopback))
            }
            _ => false,
        };
        if !scheme_ok {
            return Err(PolicyError::Scheme {
                url: url.to_string(),
                http_allowed: self.allow_http,
            });
        }
        let host = host.ok_or_else(|| PolicyError::NoHost {
            url: url.to_string(),
        })?;
        self.check_host(&host)
    }

    /// Keeps the allowed addresses among those `host` resolved to; if none is left, the refusal
    /// of the first one refused.
    pub fn check_resolved(
        &self,
        host: &str,
        resolved: impl IntoIterator<Item = IpAddr>,
    ) -> Result<Vec<IpAddr>, Option<PolicyError>> {
        let mut first_refusal = None;
        let mut allowed = Vec::new();
        for address in resolved {
            match self.check_address(host, address) {
                Ok(()) => allowed.push(address),
                Err(e) => {
                    first_refusal.get_or_insert(e);
                }
            }
        }
        if allowed.is_empty() {
            return Err(first_refusal);
        }
        Ok(allowed)
    }
}

/// Is the URL's host a loopback address or a `localhost` name?
pub fn host_is_loopback(host: &Host<&str>) -> bool {
    match host {
        Host::Ipv4(a) => is_loopback(IpAddr::V4(*a)),
        Host::Ipv6(a) => is_loopback(IpAddr::V6(*a)),
        Host::Domain(name) => private_name(name) == Some("localhost"),
    }
}
