//! Bitstring Status List: the W3C spec examples, the 1EdTech revoked-credential sample, round
//! trips, multi-bit statuses, 1EdTechRevocationList, and hostile lists.

use std::io::Write;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{TimeZone, Utc};
use flate2::write::GzEncoder;
use flate2::Compression;
use serde_json::{json, Value};

use passerelle_core::multibase;
use passerelle_core::status::{
    check_entry, check_entry_with_limits, lists_needed, parse_status_entries,
    status_list_credential, Bitstring, BitstringEntry, DecodeLimits, ListKind, StatusEntry,
    StatusError, StatusIndex, StatusPurpose, MIN_ENTRIES,
};

use crate::util::json as read_json;

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

fn single(credential: &Value) -> StatusEntry {
    let mut entries = parse_status_entries(credential).unwrap();
    assert_eq!(entries.len(), 1);
    entries.remove(0)
}

#[test]
fn spec_example_list_is_all_zero() {
    let list = read_json("status-list/spec-example-statuslist-credential.json");
    let encoded = list["credentialSubject"]["encodedList"].as_str().unwrap();
    let bits = Bitstring::decode(encoded, 1).unwrap();
    assert_eq!(bits.as_bytes().len(), 16_384);
    assert!(bits.as_bytes().iter().all(|b| *b == 0));
    assert_eq!(bits.entries(), MIN_ENTRIES);
    assert_eq!(bits.get(0).unwrap(), 0);
    assert_eq!(bits.get(131_071).unwrap(), 0);
    assert_eq!(
        bits.get(131_072).unwrap_err(),
        StatusError::IndexOutOfRange {
            index: 131_072,
            entries: 131_072
        }
    );
}

#[test]
fn onedtech_list_has_only_bit_23_and_the_sample_is_revoked() {
    let list = read_json("status-list/1edtech-testlist-statuslist-credential.json");
    let encoded = list["credentialSubject"]["encodedList"].as_str().unwrap();
    let bits = Bitstring::decode(encoded, 1).unwrap();
    let ones: Vec<usize> = (0..bits.entries())
        .filter(|i| bits.get(*i as u64).unwrap() == 1)
        .collect();
    assert_eq!(ones, vec![23]);
    // Index 0 is the most significant bit of byte 0, so bit 23 is the lowest bit of byte 2.
    assert_eq!(bits.as_bytes()[2], 0x01);

    let credential = read_json("status-list/1edtech-credential-status-revoked.json");
    let entry = single(&credential);
    match &entry {
        StatusEntry::Bitstring(e) => {
            assert_eq!(
                e.index,
                StatusIndex::new(23),
                "statusListIndex given as an integer"
            );
            assert_eq!(e.purpose, StatusPurpose::Revocation);
            assert_eq!(e.kind, ListKind::Bitstring);
        }
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(lists_needed(&credential), vec![entry.list_url().to_owned()]);
    // The sample's URL points to GitHub; the test maps it to the local copy.
    let outcome = check_entry(&entry, &list).unwrap();
    assert_eq!(outcome.value, 1);
    assert_eq!(outcome.meaning, "revoked");
    assert!(outcome.is_invalidating());
    assert_eq!(outcome.index, Some(StatusIndex::new(23)));
    assert_eq!(
        outcome.list_id_mismatch.as_deref(),
        Some("https://example.com/credentials/status/3")
    );
}

#[test]
fn spec_example_entries_parse_and_check() {
    let credential = read_json("status-list/spec-example-credential-with-status-entries.json");
    let entries = parse_status_entries(&credential).unwrap();
    assert_eq!(entries.len(), 2);
    let expected = [
        (
            StatusPurpose::Revocation,
            94_567,
            "https://example.com/credentials/status/3",
        ),
        (
            StatusPurpose::Suspension,
            23_452,
            "https://example.com/credentials/status/4",
        ),
    ];
    for (entry, (purpose, index, url)) in entries.iter().zip(expected) {
        let StatusEntry::Bitstring(e) = entry else {
            panic!("unexpected {entry:?}")
        };
        assert_eq!(e.purpose, purpose);
        assert_eq!(e.index.value(), index, "statusListIndex given as a string");
        assert_eq!(e.list_credential, url);
        assert_eq!(e.status_size, 1);
        assert_eq!(e.id.as_deref(), Some(format!("{url}#{index}").as_str()));
    }
    assert_eq!(
        lists_needed(&credential),
        vec![
            "https://example.com/credentials/status/3",
            "https://example.com/credentials/status/4"
        ]
    );

    let list = read_json("status-list/spec-example-statuslist-credential.json");
    let outcome = check_entry(&entries[0], &list).unwrap();
    assert_eq!(outcome.value, 0);
    assert_eq!(outcome.meaning, "not revoked");
    assert!(!outcome.is_invalidating());
    assert_eq!(outcome.list_id_mismatch, None);
    // A suspension entry checked against a revocation list.
    assert_eq!(
        check_entry(&entries[1], &list).unwrap_err(),
        StatusError::PurposeMismatch {
            entry: "suspension".into(),
            list: vec!["revocation".into()]
        }
    );
}

#[test]
fn fresh_lists_round_trip() {
    let mut bits = Bitstring::new(MIN_ENTRIES, 1).unwrap();
    for index in [0u64, 9, 23, 94_567, 131_071] {
        bits.set(index, 1).unwrap();
    }
    assert_eq!(bits.as_bytes()[0], 0x80);
    assert_eq!(bits.as_bytes()[1], 0x40);
    bits.set(9, 0).unwrap();
    assert_eq!(bits.as_bytes()[1], 0x00);
    let encoded = bits.encode();
    assert!(encoded.starts_with("uH4sI"), "{}", &encoded[..10]);
    let decoded = Bitstring::decode(&encoded, 1).unwrap();
    assert_eq!(decoded, bits);
    let ones: Vec<u64> = (0..decoded.entries() as u64)
        .filter(|i| decoded.get(*i).unwrap() == 1)
        .collect();
    assert_eq!(ones, vec![0, 23, 94_567, 131_071]);
    assert_eq!(
        bits.set(2, 2).unwrap_err(),
        StatusError::ValueTooLarge {
            value: 2,
            status_size: 1
        }
    );
    assert!(matches!(
        bits.set(MIN_ENTRIES as u64, 1),
        Err(StatusError::IndexOutOfRange { .. })
    ));
    assert!(matches!(
        Bitstring::new(MIN_ENTRIES - 1, 1),
        Err(StatusError::TooFewEntries { .. })
    ));
    assert!(matches!(
        Bitstring::new(MIN_ENTRIES, 0),
        Err(StatusError::BadStatusSize { status_size: 0 })
    ));
    assert!(matches!(
        Bitstring::new(MIN_ENTRIES, 65),
        Err(StatusError::BadStatusSize { status_size: 65 })
    ));
}

#[test]
fn issued_list_credential_checks_end_to_end() {
    let url = "https://learn.example/status/1";
    let mut bits = Bitstring::new(MIN_ENTRIES, 1).unwrap();
    bits.set(4242, 1).unwrap();
    let valid_from = Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap();
    let list = status_list_credential(
        url,
        "did:web:learn.example",
        &StatusPurpose::Suspension,
        &bits,
        valid_from,
    );
    assert_eq!(list["validFrom"], json!("2026-01-02T03:04:05Z"));
    assert_eq!(
        list["type"],
        json!(["VerifiableCredential", "BitstringStatusListCredential"])
    );
    assert_eq!(
        list["credentialSubject"]["id"],
        json!(format!("{url}#list"))
    );

    let suspended = BitstringEntry::new(StatusPurpose::Suspension, 4242.into(), url);
    let credential = json!({"credentialStatus": suspended.to_json()});
    assert_eq!(
        credential["credentialStatus"]["statusListIndex"],
        json!("4242")
    );
    let entry = single(&credential);
    let outcome = check_entry(&entry, &list).unwrap();
    assert_eq!((outcome.value, outcome.meaning.as_str()), (1, "suspended"));
    assert_eq!(outcome.list_id_mismatch, None);

    let fine = StatusEntry::Bitstring(BitstringEntry::new(
        StatusPurpose::Suspension,
        4241.into(),
        url,
    ));
    assert_eq!(check_entry(&fine, &list).unwrap().meaning, "not suspended");
    let out_of_range = StatusEntry::Bitstring(BitstringEntry::new(
        StatusPurpose::Suspension,
        10_000_000.into(),
        url,
    ));
    assert!(matches!(
        check_entry(&out_of_range, &list),
        Err(StatusError::IndexOutOfRange { .. })
    ));

    // The list credential must be one.
    let mut wrong = list.clone();
    wrong["type"] = json!(["VerifiableCredential"]);
    assert!(matches!(
        check_entry(&entry, &wrong),
        Err(StatusError::BadListCredential { .. })
    ));
    let mut wrong = list.clone();
    wrong["credentialSubject"]["statusSize"] = json!(2);
    assert!(matches!(
        check_entry(&entry, &wrong),
        Err(StatusError::BadListCredential { .. })
    ));
    let mut agreeing = list.clone();
    agreeing["credentialSubject"]["statusSize"] = json!(1);
    assert_eq!(check_entry(&entry, &agreeing).unwrap().value, 1);
    let mut wrong = list.clone();
    wrong["credentialSubject"]["type"] = json!("StatusList2021");
    assert!(matches!(
        check_entry(&entry, &wrong),
        Err(StatusError::BadListCredential { .. })
    ));
    let mut wrong = list.clone();
    wrong["credentialSubject"]
        .as_object_mut()
        .unwrap()
        .remove("encodedList");
    assert!(matches!(
        check_entry(&entry, &wrong),
        Err(StatusError::BadListCredential { .. })
    ));
    assert!(matches!(
        check_entry(&entry, &json!("text")),
        Err(StatusError::BadListCredential { .. })
    ));
}

#[test]
fn multi_bit_statuses() {
    for size in [2u32, 3, 7, 8, 13, 64] {
        let mut bits = Bitstring::new(MIN_ENTRIES, size).unwrap();
        let max = if size == 64 {
            u64::MAX
        } else {
            (1u64 << size) - 1
        };
        let samples = [
            (0u64, max),
            (1, 1),
            (2, max / 2),
            (7, 0),
            (100_001, max - 1),
        ];
        for (index, value) in samples {
            bits.set(index, value).unwrap();
        }
        let decoded = Bitstring::decode(&bits.encode(), size).unwrap();
        for (index, value) in samples {
            assert_eq!(
                decoded.get(index).unwrap(),
                value,
                "size {size} index {index}"
            );
        }
        assert_eq!(decoded.get(3).unwrap(), 0);
        if size < 64 {
            assert!(matches!(
                bits.set(5, max + 1),
                Err(StatusError::ValueTooLarge { .. })
            ));
        }
    }
    // Bit layout for statusSize 2: entry 1 is bits 2-3 of byte 0, most significant first.
    let mut bits = Bitstring::new(MIN_ENTRIES, 2).unwrap();
    bits.set(1, 0b10).unwrap();
    assert_eq!(bits.as_bytes()[0], 0b0010_0000);

    // A message entry with statusSize 2 and its messages.
    let url = "https://learn.example/status/messages";
    let mut list_bits = Bitstring::new(MIN_ENTRIES, 2).unwrap();
    list_bits.set(77, 3).unwrap();
    let list = status_list_credential(
        url,
        "did:web:learn.example",
        &StatusPurpose::Message,
        &list_bits,
        Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
    );
    let credential = json!({"credentialStatus": [{
        "id": format!("{url}#77"),
        "type": "BitstringStatusListEntry",
        "statusPurpose": "message",
        "statusListIndex": "77",
        "statusListCredential": url,
        "statusSize": 2,
        "statusMessage": [
            {"status": "0x0", "message": "pending review"},
            {"status": "0x1", "message": "accepted"},
            {"status": "0x2", "message": "rejected"},
            {"status": "0x3", "message": "under appeal"}
        ]
    }]});
    let entry = single(&credential);
    let outcome = check_entry(&entry, &list).unwrap();
    assert_eq!(outcome.value, 3);
    assert_eq!(outcome.meaning, "under appeal");
    assert!(!outcome.is_invalidating());
    // And its JSON form survives a round trip.
    let StatusEntry::Bitstring(parsed) = &entry else {
        panic!()
    };
    let again = single(&json!({"credentialStatus": parsed.to_json()}));
    assert_eq!(again, entry);
}

#[test]
fn hostile_lists_fail_specifically() {
    // Not multibase base64url.
    assert_eq!(
        Bitstring::decode("zH4sIAAAA", 1).unwrap_err(),
        StatusError::NotBase64urlMultibase { prefix: "z".into() }
    );
    assert_eq!(
        Bitstring::decode(
            "H4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA",
            1
        )
        .unwrap_err(),
        StatusError::NotBase64urlMultibase { prefix: "H".into() }
    );
    assert!(matches!(
        Bitstring::decode("", 1),
        Err(StatusError::NotBase64urlMultibase { .. })
    ));
    // Bad base64url (standard alphabet, padding, junk).
    for bad in ["u+/+/", "uAAAA=", "u***", "uA"] {
        assert!(
            matches!(Bitstring::decode(bad, 1), Err(StatusError::Base64 { .. })),
            "{bad}"
        );
    }
    // Valid base64url, not GZIP.
    assert!(matches!(
        Bitstring::decode(&multibase::encode_base64url(b"definitely not gzip"), 1),
        Err(StatusError::Gzip { .. })
    ));
    // Truncated GZIP.
    let whole = gzip(&[0u8; 16_384]);
    assert!(matches!(
        Bitstring::decode(&multibase::encode_base64url(&whole[..whole.len() / 2]), 1),
        Err(StatusError::Gzip { .. })
    ));
    // Too short: STATUS_LIST_LENGTH_ERROR.
    let short = multibase::encode_base64url(&gzip(&[0u8; 1_000]));
    let err = Bitstring::decode(&short, 1).unwrap_err();
    assert_eq!(
        err,
        StatusError::ListTooShort {
            entries: 8_000,
            status_size: 1,
            minimum: MIN_ENTRIES
        }
    );
    assert!(err.to_string().starts_with("STATUS_LIST_LENGTH_ERROR"));
    // Long enough in bits, too short once divided by statusSize.
    let exact = multibase::encode_base64url(&gzip(&[0u8; 16_384]));
    assert!(Bitstring::decode(&exact, 1).is_ok());
    assert!(matches!(
        Bitstring::decode(&exact, 2),
        Err(StatusError::ListTooShort {
            entries: 65_536,
            ..
        })
    ));
    // Zip bomb: 17 MiB of zeros compresses to ~17 KB and must be refused at the cap.
    let bomb = multibase::encode_base64url(&gzip(&vec![0u8; 17 * 1024 * 1024]));
    assert!(bomb.len() < 64 * 1024);
    assert_eq!(
        Bitstring::decode(&bomb, 1).unwrap_err(),
        StatusError::DecompressedTooLarge {
            limit: 16 * 1024 * 1024
        }
    );
    // The cap is configurable.
    let limits = DecodeLimits {
        max_decompressed: 8 * 1024,
        ..DecodeLimits::default()
    };
    assert!(matches!(
        Bitstring::decode_with_limits(&exact, 1, &limits),
        Err(StatusError::DecompressedTooLarge { limit: 8192 })
    ));
    assert!(matches!(
        Bitstring::decode(&exact, 0),
        Err(StatusError::BadStatusSize { status_size: 0 })
    ));
    // A hostile list inside a list credential gives the same errors through check_entry.
    let url = "https://learn.example/status/1";
    let entry = StatusEntry::Bitstring(BitstringEntry::new(
        StatusPurpose::Revocation,
        1.into(),
        url,
    ));
    let list = json!({
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "credentialSubject": {"type": "BitstringStatusList", "statusPurpose": "revocation",
                              "encodedList": bomb}
    });
    assert!(matches!(
        check_entry(&entry, &list),
        Err(StatusError::DecompressedTooLarge { .. })
    ));
    let tight = DecodeLimits {
        max_decompressed: 1024,
        min_entries: 1,
    };
    assert!(matches!(
        check_entry_with_limits(&entry, &list, &tight),
        Err(StatusError::DecompressedTooLarge { limit: 1024 })
    ));
}

#[test]
fn entry_errors_name_the_field() {
    let base = json!({
        "id": "https://example.com/status/3#5",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "5",
        "statusListCredential": "https://example.com/status/3"
    });
    let cases: [(&str, Value, &str); 13] = [
        (
            "statusListIndex",
            Value::Null,
            "credentialStatus[1].statusListIndex",
        ),
        (
            "statusListIndex",
            json!("-1"),
            "credentialStatus[1].statusListIndex",
        ),
        (
            "statusListIndex",
            json!(" 5"),
            "credentialStatus[1].statusListIndex",
        ),
        (
            "statusListIndex",
            json!("0x5"),
            "credentialStatus[1].statusListIndex",
        ),
        (
            "statusListIndex",
            json!(5.5),
            "credentialStatus[1].statusListIndex",
        ),
        (
            "statusListIndex",
            json!(-5),
            "credentialStatus[1].statusListIndex",
        ),
        (
            "statusListIndex",
            json!("99999999999999999999999"),
            "credentialStatus[1].statusListIndex",
        ),
        (
            "statusListCredential",
            json!("not a url"),
            "credentialStatus[1].statusListCredential",
        ),
        (
            "statusListCredential",
            Value::Null,
            "credentialStatus[1].statusListCredential",
        ),
        (
            "statusPurpose",
            Value::Null,
            "credentialStatus[1].statusPurpose",
        ),
        (
            "statusPurpose",
            json!(["revocation"]),
            "credentialStatus[1].statusPurpose",
        ),
        ("statusSize", json!(0), "credentialStatus[1].statusSize"),
        ("statusSize", json!(2), "credentialStatus[1].statusMessage"),
    ];
    for (member, value, field) in cases {
        let mut bad = base.clone();
        if value.is_null() {
            bad.as_object_mut().unwrap().remove(member);
        } else {
            bad[member] = value.clone();
        }
        let credential = json!({"credentialStatus": [base.clone(), bad]});
        match parse_status_entries(&credential) {
            Err(StatusError::Field { field: f, .. }) => assert_eq!(f, field, "{member}={value}"),
            other => panic!("{member}={value}: unexpected {other:?}"),
        }
    }
    // statusMessage must hold one message per possible value.
    let mut short_messages = base.clone();
    short_messages["statusSize"] = json!(2);
    short_messages["statusMessage"] = json!([
        {"status": "0x0", "message": "a"},
        {"status": "0x1", "message": "b"}
    ]);
    assert!(matches!(
        parse_status_entries(&json!({"credentialStatus": short_messages})),
        Err(StatusError::Field { ref field, .. }) if field == "credentialStatus.statusMessage"
    ));
    let mut bad_hex = base.clone();
    bad_hex["statusMessage"] = json!([
        {"status": "0x0", "message": "valid"},
        {"status": "1", "message": "no 0x"}
    ]);
    assert!(matches!(
        parse_status_entries(&json!({"credentialStatus": bad_hex})),
        Err(StatusError::Field { ref field, .. }) if field == "credentialStatus.statusMessage[1]"
    ));
    let mut one_bit_messages = base.clone();
    one_bit_messages["statusMessage"] = json!([
        {"status": "0x0", "message": "valid"},
        {"status": "0x1", "message": "revoked by the registrar"}
    ]);
    assert!(parse_status_entries(&json!({"credentialStatus": one_bit_messages})).is_ok());

    let mut unknown = base.clone();
    unknown["type"] = json!("RevocationList2020Status");
    assert_eq!(
        parse_status_entries(&json!({"credentialStatus": unknown})).unwrap_err(),
        StatusError::UnsupportedType {
            field: "credentialStatus.type".into(),
            kind: "RevocationList2020Status".into()
        }
    );
    assert!(matches!(
        parse_status_entries(&json!({"credentialStatus": "https://example.com"})),
        Err(StatusError::Field { .. })
    ));
    assert!(matches!(
        parse_status_entries(&json!({"credentialStatus": {"id": "https://x.example"}})),
        Err(StatusError::Field { ref field, .. }) if field == "credentialStatus.type"
    ));
    assert_eq!(parse_status_entries(&json!({})).unwrap(), vec![]);
    assert_eq!("007".parse::<StatusIndex>().unwrap(), StatusIndex::new(7));
    assert!("+7".parse::<StatusIndex>().is_err());
    assert!("".parse::<StatusIndex>().is_err());
    // Entries that don't parse are not fetched.
    assert_eq!(
        lists_needed(&json!({"credentialStatus": [unknown, base]})),
        vec!["https://example.com/status/3"]
    );
}

#[test]
fn onedtech_revocation_list() {
    let sample = read_json("openbadges/validator-samples/complete.json");
    // The sample nests endorsements; take the top-level credential's entry.
    let entries = parse_status_entries(&sample).unwrap();
    let [StatusEntry::OneEdTechRevocationList(entry)] = entries.as_slice() else {
        panic!("unexpected {entries:?}")
    };
    assert_eq!(
        entry.list,
        "https://1edtech.edu/credentials/3732/revocations"
    );
    assert_eq!(entry.credential_id.as_deref(), sample["id"].as_str());
    assert_eq!(lists_needed(&sample), vec![entry.list.clone()]);

    let id = "http://example.edu/credentials/3732";
    let credential = json!({
        "id": id,
        "credentialStatus": {"id": "https://1edtech.edu/credentials/3732/revocations",
                             "type": "1EdTechRevocationList"}
    });
    let entry = single(&credential);
    let revoked = json!({"id": "https://1edtech.edu/credentials/3732/revocations",
                         "revokedCredentials": [{"id": "urn:other"}, {"id": id, "revocationReason": "fraud"}]});
    let outcome = check_entry(&entry, &revoked).unwrap();
    assert_eq!((outcome.value, outcome.meaning.as_str()), (1, "revoked"));
    assert!(outcome.is_invalidating());
    assert_eq!(outcome.list_id_mismatch, None);
    let reinstated = json!({"revokedCredentials": [{"id": id, "revoked": false}]});
    assert_eq!(check_entry(&entry, &reinstated).unwrap().value, 0);
    let explicit = json!({"revokedCredentials": [{"id": id, "revoked": true}]});
    assert_eq!(check_entry(&entry, &explicit).unwrap().value, 1);
    let empty = json!({"revokedCredentials": []});
    assert_eq!(check_entry(&entry, &empty).unwrap().meaning, "not revoked");
    assert!(matches!(
        check_entry(&entry, &json!({"revokedCredentials": "all"})),
        Err(StatusError::BadListCredential { .. })
    ));
    let anonymous = single(&json!({"credentialStatus": credential["credentialStatus"].clone()}));
    assert_eq!(
        check_entry(&anonymous, &revoked).unwrap_err(),
        StatusError::CredentialIdMissing
    );
}

#[test]
fn status_list_2021_is_read_too() {
    let mut bits = Bitstring::new(MIN_ENTRIES, 1).unwrap();
    bits.set(12, 1).unwrap();
    // StatusList2021 wrote plain base64url (no multibase prefix).
    let plain = bits.encode()[1..].to_owned();
    let url = "https://example.com/status/2021";
    let list = json!({
        "id": url,
        "type": ["VerifiableCredential", "StatusList2021Credential"],
        "credentialSubject": {"id": format!("{url}#list"), "type": "StatusList2021",
                              "statusPurpose": "revocation", "encodedList": plain}
    });
    let entry = single(&json!({"credentialStatus": {
        "id": format!("{url}#12"), "type": "StatusList2021Entry", "statusPurpose": "revocation",
        "statusListIndex": "12", "statusListCredential": url}}));
    assert_eq!(check_entry(&entry, &list).unwrap().meaning, "revoked");
    // Padded base64url is tolerated there.
    let raw = URL_SAFE_NO_PAD.decode(&plain).unwrap();
    let padded = base64::engine::general_purpose::URL_SAFE.encode(raw);
    let mut list_padded = list.clone();
    list_padded["credentialSubject"]["encodedList"] = json!(padded);
    assert_eq!(check_entry(&entry, &list_padded).unwrap().value, 1);
    // A Bitstring entry does not accept a StatusList2021 credential.
    let bitstring = StatusEntry::Bitstring(BitstringEntry::new(
        StatusPurpose::Revocation,
        12.into(),
        url,
    ));
    assert!(matches!(
        check_entry(&bitstring, &list),
        Err(StatusError::BadListCredential { .. })
    ));
}

#[test]
fn random_lists_never_panic() {
    use rand::{Rng, SeedableRng};
    let mut rng = rand::rngs::StdRng::seed_from_u64(0x5747_4154);
    let valid = Bitstring::new(MIN_ENTRIES, 1).unwrap().encode();
    for round in 0..300 {
        // Random bytes, random text, and single-character mutations of a valid list.
        let len = rng.gen_range(0..200);
        let bytes: Vec<u8> = (0..len).map(|_| rng.gen()).collect();
        let _ = Bitstring::decode(&multibase::encode_base64url(&bytes), rng.gen_range(0..70));
        let text: String = (0..len).map(|_| rng.gen_range(' '..='~')).collect();
        let _ = Bitstring::decode(&format!("u{text}"), 1);
        let mut mutated = valid.clone().into_bytes();
        let at = rng.gen_range(1..mutated.len());
        mutated[at] = b"ABCxyz019-_"[round % 11];
        let _ = Bitstring::decode(&String::from_utf8(mutated).unwrap(), 1);
    }
}
