//! The address policy shared by the verifier's and the wallet's fetchers (issue 11.5, 11.10).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use passerelle_core::address_policy::{
    check_public, embedded_ipv4, is_public, private_name, range_of, AddressPolicy, Embedding,
    PolicyError, IPV4_TABLE, IPV6_TABLE,
};
use url::Url;

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn first_last(range: &passerelle_core::address_policy::Range) -> (IpAddr, IpAddr) {
    match range.network {
        IpAddr::V4(n) => {
            let host = u32::MAX.checked_shr(u32::from(range.prefix)).unwrap_or(0);
            (
                IpAddr::V4(n),
                IpAddr::V4(Ipv4Addr::from(u32::from(n) | host)),
            )
        }
        IpAddr::V6(n) => {
            let host = u128::MAX.checked_shr(u32::from(range.prefix)).unwrap_or(0);
            (
                IpAddr::V6(n),
                IpAddr::V6(Ipv6Addr::from(u128::from(n) | host)),
            )
        }
    }
}

/// Every entry of the policy's own table: its first and last address are refused, and the
/// refusal names that entry or a more specific one inside it.
#[test]
fn every_table_entry_is_refused_at_both_ends() {
    for range in IPV4_TABLE.iter().chain(IPV6_TABLE) {
        let (first, last) = first_last(range);
        for address in [first, last] {
            let refusal =
                check_public(address).expect_err(&format!("{address} in {range} must be refused"));
            assert!(
                range.contains(refusal.range.network) && refusal.range.prefix >= range.prefix
                    || refusal.range == range_of(address).unwrap(),
                "{address}: refusal names {} not inside {range}",
                refusal.range
            );
        }
    }
}

/// An independent, hand-written list: for each range a sample inside (refused, naming the
/// range) and the addresses just outside (allowed).
#[test]
fn hand_written_samples_inside_and_just_outside() {
    let inside: &[(&str, &str)] = &[
        ("0.1.2.3", "0.0.0.0/8"),
        ("0.0.0.0", "0.0.0.0/32"),
        ("10.200.0.1", "10.0.0.0/8"),
        ("100.64.0.0", "100.64.0.0/10"),
        ("100.127.255.255", "100.64.0.0/10"),
        ("127.0.0.1", "127.0.0.0/8"),
        ("127.255.255.254", "127.0.0.0/8"),
        ("169.254.169.254", "169.254.0.0/16"),
        ("172.16.0.1", "172.16.0.0/12"),
        ("172.31.255.255", "172.16.0.0/12"),
        ("192.0.0.1", "192.0.0.0/29"),
        ("192.0.0.8", "192.0.0.8/32"),
        ("192.0.0.9", "192.0.0.9/32"),
        ("192.0.0.10", "192.0.0.10/32"),
        ("192.0.0.100", "192.0.0.0/24"),
        ("192.0.0.170", "192.0.0.170/32"),
        ("192.0.0.171", "192.0.0.171/32"),
        ("192.0.0.255", "192.0.0.0/24"),
        ("192.0.2.77", "192.0.2.0/24"),
        ("192.31.196.1", "192.31.196.0/24"),
        ("192.52.193.1", "192.52.193.0/24"),
        ("192.88.99.1", "192.88.99.0/24"),
        ("192.168.1.1", "192.168.0.0/16"),
        ("192.175.48.6", "192.175.48.0/24"),
        ("198.18.0.1", "198.18.0.0/15"),
        ("198.19.255.255", "198.18.0.0/15"),
        ("198.51.100.7", "198.51.100.0/24"),
        ("203.0.113.9", "203.0.113.0/24"),
        ("224.0.0.1", "224.0.0.0/4"),
        ("239.255.255.255", "224.0.0.0/4"),
        ("240.0.0.1", "240.0.0.0/4"),
        ("255.255.255.254", "240.0.0.0/4"),
        ("255.255.255.255", "255.255.255.255/32"),
        ("::", "::/128"),
        ("::1", "::1/128"),
        ("::7f00:1", "::/96"),
        ("::ffff:127.0.0.1", "::ffff:0.0.0.0/96"),
        ("::ffff:10.0.0.1", "::ffff:0.0.0.0/96"),
        ("64:ff9b::a9fe:a9fe", "64:ff9b::/96"),
        ("64:ff9b::7f00:1", "64:ff9b::/96"),
        ("64:ff9b:1::1", "64:ff9b:1::/48"),
        ("100::1", "100::/64"),
        ("100::ffff:ffff:ffff:ffff", "100::/64"),
        ("100:0:0:1::1", "100:0:0:1::/64"),
        ("2001:1ff::1", "2001::/23"),
        ("2001::1", "2001::/32"),
        ("2001:0:ffff:ffff::", "2001::/32"),
        ("2001:1::1", "2001:1::1/128"),
        ("2001:1::2", "2001:1::2/128"),
        ("2001:1::3", "2001:1::3/128"),
        ("2001:2::1", "2001:2::/48"),
        ("2001:3::1", "2001:3::/32"),
        ("2001:4:112::1", "2001:4:112::/48"),
        ("2001:10::1", "2001:10::/28"),
        ("2001:20::1", "2001:20::/28"),
        ("2001:30::1", "2001:30::/28"),
        ("2001:db8::1", "2001:db8::/32"),
        ("2002:7f00:1::", "2002::/16"),
        ("2002:5db8:d70e::1", "2002::/16"),
        ("2620:4f:8000::1", "2620:4f:8000::/48"),
        ("3fff::1", "3fff::/20"),
        ("3fff:fff::1", "3fff::/20"),
        ("5f00::1", "5f00::/16"),
        ("fc00::1", "fc00::/7"),
        ("fdff::1", "fc00::/7"),
        ("fe80::1", "fe80::/10"),
        ("febf::1", "fe80::/10"),
        ("fec0::1", "fec0::/10"),
        ("ff02::1", "ff00::/8"),
    ];
    for (address, range) in inside {
        let refusal = check_public(ip(address)).expect_err(&format!("{address} must be refused"));
        let named = format!("{}/{}", refusal.range.network, refusal.range.prefix);
        assert_eq!(&named, range, "{address}");
        assert!(refusal.to_string().contains(range), "{refusal}");
    }
    let just_outside = [
        "1.0.0.0",
        "9.255.255.255",
        "11.0.0.0",
        "100.63.255.255",
        "100.128.0.0",
        "126.255.255.255",
        "128.0.0.0",
        "169.253.255.255",
        "169.255.0.0",
        "172.15.255.255",
        "172.32.0.0",
        "191.255.255.255",
        "192.0.1.0",
        "192.0.3.0",
        "192.31.195.255",
        "192.31.197.0",
        "192.52.192.255",
        "192.52.194.0",
        "192.88.98.255",
        "192.88.100.0",
        "192.167.255.255",
        "192.169.0.0",
        "192.175.47.255",
        "192.175.49.0",
        "198.17.255.255",
        "198.20.0.0",
        "198.51.99.255",
        "198.51.101.0",
        "203.0.112.255",
        "203.0.114.0",
        "223.255.255.255",
        "::ffff:93.184.215.14",
        "64:ff9b::5db8:d70e",
        "2000::1",
        "2001:200::1",
        "2001:db7:ffff::1",
        "2001:db9::1",
        "2003::1",
        "2620:4f:7fff::1",
        "2620:4f:8001::1",
        "2606:4700::1111",
        "3ffe:ffff::1",
        "3fff:1000::1",
    ];
    for address in just_outside {
        assert!(
            is_public(ip(address)),
            "{address} must be allowed: {:?}",
            check_public(ip(address))
        );
    }
    // Outside every entry but not global unicast either.
    for address in [
        "1::1", "4000::1", "5eff::1", "5f01::1", "fb00::1", "fe00::1",
    ] {
        let refusal = check_public(ip(address)).expect_err(address);
        assert!(
            refusal.to_string().contains("outside 2000::/3"),
            "{refusal}"
        );
    }
}

/// The refusal names the IPv4 address an IPv6 form carries, and its range.
#[test]
fn embedded_ipv4_is_decoded_and_named() {
    let said = |a: &str| check_public(ip(a)).unwrap_err().to_string();
    assert_eq!(
        said("2002:7f00:1::"),
        "2002:7f00:1:: is in 2002::/16 (6to4) embedding 127.0.0.1 (127.0.0.0/8 (loopback))"
    );
    // A 6to4 address embedding a public address is refused all the same, naming it.
    assert_eq!(
        said("2002:5db8:d70e::1"),
        "2002:5db8:d70e::1 is in 2002::/16 (6to4) embedding 93.184.215.14"
    );
    // Teredo: server in bits 32-63, client the bitwise NOT of the last 32 bits.
    // Client 127.0.0.1 = !0x7f000001 = 0x80fffffe.
    assert_eq!(
        said("2001:0:4136:e378:8000:63bf:80ff:fffe"),
        "2001:0:4136:e378:8000:63bf:80ff:fffe is in 2001::/32 (Teredo) embedding server \
         65.54.227.120, client 127.0.0.1 (127.0.0.0/8 (loopback))"
    );
    let teredo = embedded_ipv4(
        "2001:0:4136:e378:8000:63bf:3fff:fdd2".parse().unwrap(),
        Embedding::Teredo,
    );
    assert_eq!(teredo[0].address, Ipv4Addr::new(65, 54, 227, 120));
    assert_eq!(teredo[1].address, Ipv4Addr::new(192, 0, 2, 45));
    assert!(said("64:ff9b::7f00:1").contains("embedding 127.0.0.1 (127.0.0.0/8 (loopback))"));
    assert!(said("::ffff:169.254.169.254").contains("embedding 169.254.169.254 (169.254.0.0/16"));
    assert!(said("::a9fe:a9fe")
        .contains("::/96 (IPv4-compatible (deprecated)) embedding 169.254.169.254"));
    assert!(said("::5db8:d70e").contains("embedding 93.184.215.14"));
}

#[test]
fn host_names_and_schemes() {
    for name in [
        "localhost",
        "localhost.",
        "LOCALHOST",
        "a.localhost",
        "a.b.localhost.",
        "printer.local",
        "router.home.arpa",
        "x.internal.",
    ] {
        assert!(private_name(name).is_some(), "{name}");
    }
    for name in [
        "example.org",
        "localhost.example.org",
        "notlocalhost",
        "mylocal",
        "internal.example",
    ] {
        assert_eq!(private_name(name), None, "{name}");
    }
    let strict = AddressPolicy::default();
    let check = |p: &AddressPolicy, u: &str| p.check_url(&Url::parse(u).unwrap());
    assert!(check(&strict, "https://example.org/").is_ok());
    assert!(matches!(
        check(&strict, "http://example.org/"),
        Err(PolicyError::Scheme { .. })
    ));
    assert!(matches!(
        check(&strict, "file:///etc/passwd"),
        Err(PolicyError::Scheme { .. })
    ));
    assert!(matches!(
        check(&strict, "ftp://example.org/"),
        Err(PolicyError::Scheme { .. })
    ));
    let e = check(&strict, "https://localhost./x").unwrap_err();
    assert_eq!(
        e.to_string(),
        "localhost. is a local or private-use name (.localhost), not a public server"
    );
    assert!(matches!(
        check(&strict, "https://app.localhost/"),
        Err(PolicyError::PrivateName { .. })
    ));
    // The URL parser turns numeric forms into addresses, which are checked as addresses.
    for u in [
        "https://0x7f.1/",
        "https://2130706433/",
        "https://127.1/",
        "https://[::ffff:7f00:1]/",
        "https://[2002:7f00:1::]/",
    ] {
        let e = check(&strict, u).unwrap_err();
        assert!(e.address().is_some(), "{u}: {e}");
        assert!(e.to_string().contains("127.0.0.1"), "{u}: {e}");
    }
    // Development on loopback: http and loopback only, nothing else private.
    let dev = AddressPolicy {
        allow_loopback: true,
        ..AddressPolicy::default()
    };
    assert!(check(&dev, "http://127.0.0.1:8080/claim").is_ok());
    assert!(check(&dev, "http://[::1]:8080/claim").is_ok());
    assert!(check(&dev, "http://localhost:8080/claim").is_ok());
    assert!(matches!(
        check(&dev, "http://example.org/"),
        Err(PolicyError::Scheme { .. })
    ));
    assert!(matches!(
        check(&dev, "https://10.0.0.1/"),
        Err(PolicyError::NonPublicAddress { .. })
    ));
    assert!(matches!(
        check(&dev, "https://printer.local/"),
        Err(PolicyError::PrivateName { .. })
    ));
    let open = AddressPolicy {
        allow_private_network: true,
        allow_http: true,
        ..AddressPolicy::default()
    };
    assert!(check(&open, "http://192.168.1.1/").is_ok());
    assert!(check(&open, "http://localhost./").is_ok());
}

#[test]
fn resolved_addresses_are_filtered() {
    let strict = AddressPolicy::default();
    let kept = strict
        .check_resolved("h", [ip("127.0.0.1"), ip("93.184.215.14")])
        .unwrap();
    assert_eq!(kept, vec![ip("93.184.215.14")]);
    let refused = strict
        .check_resolved("h", [ip("10.0.0.1"), ip("::1")])
        .unwrap_err()
        .unwrap();
    assert_eq!(
        refused.to_string(),
        "h: 10.0.0.1 is in 10.0.0.0/8 (private-use), not a public address"
    );
    assert_eq!(strict.check_resolved("h", []).unwrap_err(), None);
}
