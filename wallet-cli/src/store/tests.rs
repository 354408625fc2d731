use std::os::unix::fs::PermissionsExt;

use passerelle_core::sealed;

use super::backup::BACKUP_AAD;
use super::*;

const FAST: KdfParams = KdfParams {
    m_cost: 256,
    t_cost: 1,
    p_cost: 1,
};

fn entry() -> Entry {
    Entry {
        number: 0,
        file: String::new(),
        digest: "d".into(),
        format: Format::Json,
        credential_id: None,
        achievement: Some("A".into()),
        issuer_name: None,
        issuer_id: None,
        issued: None,
        expires: None,
        verdict: Verdict::Verified,
        verified_at: "2026-01-01T00:00:00Z".into(),
        forced: false,
        unchecked: false,
        link: None,
        source: "test".into(),
        imported_at: "2026-01-01T00:00:00Z".into(),
    }
}

#[test]
fn an_index_written_before_the_unchecked_flag_and_confirmed_emails_still_reads() {
    let old = serde_json::json!({
        "format": 1,
        "holder_seed": "00".repeat(32),
        "next_number": 2,
        "credentials": [{
            "number": 1, "file": "f", "digest": "d", "format": "json",
            "credential_id": null, "achievement": "A", "issuer_name": null,
            "issuer_id": null, "issued": null, "expires": null, "verdict": "incomplete",
            "verified_at": "2026-01-01T00:00:00Z", "forced": false, "link": null,
            "source": "test", "imported_at": "2026-01-01T00:00:00Z"
        }],
        "cache": {}
    });
    let index: Index = serde_json::from_value(old).unwrap();
    assert!(!index.credentials[0].unchecked);
    assert!(index.confirmed_emails.is_empty());
    let mut marked = index.credentials[0].clone();
    marked.unchecked = true;
    let back: Entry = serde_json::from_value(serde_json::to_value(&marked).unwrap()).unwrap();
    assert!(back.unchecked, "the flag survives a write and a read");
}

#[test]
fn create_add_reopen_and_wrong_passphrase() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("w");
    let pass = Passphrase::new("a good passphrase");
    let mut wallet = Wallet::create(&dir, &pass, FAST).unwrap();
    let n = wallet.add(entry(), "{\"secret\":\"text\"}").unwrap();
    assert_eq!(n, 1);
    drop(wallet);
    let mode = fs::metadata(&dir).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700);
    for file in fs::read_dir(dir.join(ITEMS)).unwrap() {
        let path = file.unwrap().path();
        let bytes = fs::read(&path).unwrap();
        assert!(!String::from_utf8_lossy(&bytes).contains("secret"));
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    assert!(matches!(
        Wallet::open(&dir, &Passphrase::new("wrong"), Access::Read),
        Err(StoreError::WrongPassphrase { .. })
    ));
    let wallet = Wallet::open(&dir, &pass, Access::Read).unwrap();
    let e = wallet.index.entry(1).unwrap();
    assert_eq!(wallet.document(e).unwrap(), "{\"secret\":\"text\"}");
    // A reader excludes a writer.
    assert!(matches!(
        Wallet::open(&dir, &pass, Access::Write),
        Err(StoreError::Locked { .. })
    ));
}

#[test]
fn passphrase_change_and_backup_restore() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("w");
    let old = Passphrase::new("old passphrase");
    let new = Passphrase::new("new passphrase");
    let mut wallet = Wallet::create(&dir, &old, FAST).unwrap();
    wallet.add(entry(), "one").unwrap();
    wallet
        .cache(
            "https://x.example/list",
            "status",
            &serde_json::json!({"a": 1}),
            "t",
        )
        .unwrap();
    wallet.change_passphrase(&new, FAST).unwrap();
    drop(wallet);
    assert!(Wallet::open(&dir, &old, Access::Read).is_err());
    let wallet = Wallet::open(&dir, &new, Access::Read).unwrap();
    assert_eq!(fs::read_dir(dir.join(ITEMS)).unwrap().count(), 1);
    let blob = wallet.backup(&new, FAST).unwrap();
    let (restored, count) = Wallet::restore(&tmp.path().join("r"), &blob, &new, FAST).unwrap();
    assert_eq!(count, 1);
    assert_eq!(
        restored.index.credentials,
        wallet
            .index
            .credentials
            .iter()
            .map(|e| Entry {
                file: restored.index.credentials[0].file.clone(),
                ..e.clone()
            })
            .collect::<Vec<_>>()
    );
    assert_eq!(
        restored.document(&restored.index.credentials[0]).unwrap(),
        "one"
    );
    assert!(restored.cached("https://x.example/list").unwrap().is_some());
    assert!(matches!(
        Wallet::restore(&tmp.path().join("s"), &blob, &old, FAST),
        Err(RestoreError::WrongPassphrase)
    ));
}

fn item_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir.join(ITEMS))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
}

/// Issue 11 point 9: any damaged byte of the index's header (tag, KDF parameters, salt,
/// check value, nonce, checksum) is "damaged", whatever the passphrase, never "wrong passphrase".
#[test]
fn a_damaged_index_header_is_damaged_not_a_wrong_passphrase() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("w");
    let pass = Passphrase::new("a good passphrase");
    drop(Wallet::create(&dir, &pass, FAST).unwrap());
    let index = dir.join(INDEX);
    let good = fs::read(&index).unwrap();
    assert_eq!(&good[..4], b"PWL2");
    for at in 0..sealed::CHECKED_HEADER_LEN {
        let mut bad = good.clone();
        bad[at] ^= 0x01;
        fs::write(&index, &bad).unwrap();
        for p in [&pass, &Passphrase::new("another one")] {
            match Wallet::open(&dir, p, Access::Read) {
                Err(StoreError::Damaged { path, .. }) => assert_eq!(path, index),
                other => panic!("byte {at}: {other:?}"),
            }
        }
    }
    fs::write(&index, &good).unwrap();
    assert!(matches!(
        Wallet::open(&dir, &Passphrase::new("another one"), Access::Read),
        Err(StoreError::WrongPassphrase { .. })
    ));
    Wallet::open(&dir, &pass, Access::Read).unwrap();
}

/// Issue 11 point 9: two item files swapped do not show one credential under the other's
/// number: each file is bound to its slot.
#[test]
fn swapped_item_files_are_damaged_naming_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("w");
    let pass = Passphrase::new("a good passphrase");
    let mut wallet = Wallet::create(&dir, &pass, FAST).unwrap();
    wallet.add(entry(), "first").unwrap();
    wallet.add(entry(), "second").unwrap();
    drop(wallet);
    let files = item_files(&dir);
    let (a, b) = (fs::read(&files[0]).unwrap(), fs::read(&files[1]).unwrap());
    fs::write(&files[0], &b).unwrap();
    fs::write(&files[1], &a).unwrap();
    let wallet = Wallet::open(&dir, &pass, Access::Read).unwrap();
    for number in [1, 2] {
        let e = wallet.index.entry(number).unwrap();
        match wallet.document(e) {
            Err(StoreError::Damaged { path, source }) => {
                assert_eq!(path, wallet.item_path(ITEMS, &e.file));
                assert_eq!(source, SealedError::Tampered);
            }
            other => panic!("#{number}: {other:?}"),
        }
    }
}

/// Issue 11 point 9: an index that is a directory is a damaged wallet, not "no wallet"; a
/// missing, empty or truncated file is damaged too, naming it.
#[test]
fn an_index_that_is_not_a_file_or_is_empty_or_truncated_is_damaged() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("w");
    let pass = Passphrase::new("a good passphrase");
    let mut wallet = Wallet::create(&dir, &pass, FAST).unwrap();
    wallet.add(entry(), "first").unwrap();
    drop(wallet);
    let index = dir.join(INDEX);
    let good = fs::read(&index).unwrap();
    for bytes in [&b""[..], &good[..good.len() / 2], &good[..good.len() - 1]] {
        fs::write(&index, bytes).unwrap();
        assert!(matches!(
            Wallet::open(&dir, &pass, Access::Read),
            Err(StoreError::Damaged { .. })
        ));
    }
    fs::remove_file(&index).unwrap();
    fs::create_dir(&index).unwrap();
    assert!(exists(&dir));
    match Wallet::open(&dir, &pass, Access::Read) {
        Err(e @ StoreError::NotAFile { .. }) => {
            let text = e.to_string();
            assert!(text.contains("index.pwl is a directory"), "{text}");
        }
        other => panic!("{other:?}"),
    }
    fs::remove_dir(&index).unwrap();
    fs::write(&index, &good).unwrap();
    let wallet = Wallet::open(&dir, &pass, Access::Read).unwrap();
    let e = wallet.index.entry(1).unwrap().clone();
    let item = wallet.item_path(ITEMS, &e.file);
    fs::remove_file(&item).unwrap();
    assert!(matches!(wallet.document(&e), Err(StoreError::Missing { path }) if path == item));
    fs::create_dir(&item).unwrap();
    assert!(matches!(wallet.document(&e), Err(StoreError::NotAFile { path, .. }) if path == item));
}

/// A wallet written before the checked layout (`PWL1`, index format 1), made here with the
/// core's old-layout API exactly as the previous version of this module wrote it.
fn legacy_wallet(dir: &Path, pass: &Passphrase, texts: &[&str]) {
    make_private_dir(dir).unwrap();
    make_private_dir(&dir.join(ITEMS)).unwrap();
    make_private_dir(&dir.join(CACHE)).unwrap();
    let key = SealingKey::derive(
        LEGACY_TAG,
        pass,
        Derivation {
            params: FAST,
            salt: [7; SALT_LEN],
        },
    )
    .unwrap();
    let mut credentials = Vec::new();
    for (n, text) in texts.iter().enumerate() {
        let file = format!("{:032x}", n + 1);
        let blob = key.seal([n as u8; NONCE_LEN], text.as_bytes()).unwrap();
        fs::write(dir.join(ITEMS).join(format!("{file}.pwl")), blob).unwrap();
        credentials.push(Entry {
            number: n as u64 + 1,
            file,
            digest: digest_of(text),
            ..entry()
        });
    }
    let cache_blob = key.seal([200; NONCE_LEN], b"{\"a\":1}").unwrap();
    fs::write(dir.join(CACHE).join("c.pwl"), cache_blob).unwrap();
    let index = Index {
        format: 1,
        holder_seed: "11".repeat(32),
        next_number: texts.len() as u64 + 1,
        credentials,
        cache: BTreeMap::from([(
            "https://x.example/list".to_owned(),
            CacheEntry {
                file: "c".into(),
                kind: "status".into(),
                fetched_at: "t".into(),
            },
        )]),
        confirmed_emails: Vec::new(),
        connections: Vec::new(),
    };
    let json = serde_json::to_vec(&index).unwrap();
    fs::write(dir.join(INDEX), key.seal([99; NONCE_LEN], &json).unwrap()).unwrap();
}

/// Wallets written before the checked layout still open; a swap of their (unbound) item files
/// is caught by the index's digest; the first write rewrites every file in the new form.
#[test]
fn a_legacy_wallet_opens_catches_swaps_and_is_rewritten_on_the_first_write() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("w");
    let pass = Passphrase::new("a good passphrase");
    legacy_wallet(&dir, &pass, &["{\"n\": 1}", "{\"n\": 2}"]);
    assert!(matches!(
        Wallet::open(&dir, &Passphrase::new("wrong"), Access::Read),
        Err(StoreError::WrongPassphrase { .. })
    ));
    let wallet = Wallet::open(&dir, &pass, Access::Read).unwrap();
    assert_eq!(wallet.index.format, 1);
    let e = wallet.index.entry(2).unwrap();
    assert_eq!(wallet.document(e).unwrap(), "{\"n\": 2}");
    assert!(wallet.cached("https://x.example/list").unwrap().is_some());
    drop(wallet);

    let files = item_files(&dir);
    let (a, b) = (fs::read(&files[0]).unwrap(), fs::read(&files[1]).unwrap());
    fs::write(&files[0], &b).unwrap();
    fs::write(&files[1], &a).unwrap();
    let wallet = Wallet::open(&dir, &pass, Access::Read).unwrap();
    let e = wallet.index.entry(1).unwrap();
    assert!(matches!(wallet.document(e), Err(StoreError::Swapped { path }) if path == files[0]));
    drop(wallet);
    // Swapped back, then opened for writing: upgraded, still the same content.
    fs::write(&files[0], &a).unwrap();
    fs::write(&files[1], &b).unwrap();
    drop(Wallet::open(&dir, &pass, Access::Write).unwrap());
    assert_eq!(&fs::read(dir.join(INDEX)).unwrap()[..4], b"PWL2");
    for file in item_files(&dir) {
        assert_eq!(&fs::read(&file).unwrap()[..4], b"PWL2");
        assert!(!files.contains(&file), "rewritten under a new name");
    }
    let wallet = Wallet::open(&dir, &pass, Access::Read).unwrap();
    assert_eq!(wallet.index.format, FORMAT);
    assert_eq!(
        wallet.document(wallet.index.entry(1).unwrap()).unwrap(),
        "{\"n\": 1}"
    );
    assert_eq!(
        wallet.cached("https://x.example/list").unwrap().unwrap().0,
        serde_json::json!({"a": 1})
    );
    assert_eq!(wallet.index.holder_seed, "11".repeat(32));
}

/// Backups: a damaged header byte is "damaged", not "wrong passphrase"; old backups restore.
#[test]
fn a_damaged_backup_header_is_damaged_and_old_backups_still_restore() {
    let tmp = tempfile::tempdir().unwrap();
    let pass = Passphrase::new("a good passphrase");
    let mut wallet = Wallet::create(&tmp.path().join("w"), &pass, FAST).unwrap();
    wallet.add(entry(), "one").unwrap();
    let blob = wallet.backup(&pass, FAST).unwrap();
    assert_eq!(&blob[..4], b"PWB2");
    for at in 0..sealed::CHECKED_HEADER_LEN {
        let mut bad = blob.clone();
        bad[at] ^= 0x01;
        let target = tmp.path().join(format!("r{at}"));
        match Wallet::restore(&target, &bad, &pass, FAST) {
            Err(RestoreError::Damaged(_)) => {}
            other => panic!("byte {at}: {other:?}"),
        }
        assert!(!exists(&target));
    }
    // A backup in the old layout, as the previous version wrote it.
    let plain = sealed::open_checked(BACKUP_TAG, &blob, &pass, BACKUP_AAD).unwrap();
    let old = sealed::seal(LEGACY_BACKUP_TAG, &pass, FAST, [5; 16], [6; 24], &plain).unwrap();
    let (restored, count) = Wallet::restore(&tmp.path().join("old"), &old, &pass, FAST).unwrap();
    assert_eq!(count, 1);
    assert_eq!(
        restored.document(&restored.index.credentials[0]).unwrap(),
        "one"
    );
}

fn connection() -> Connection {
    Connection {
        provider: "https://provider.example/".into(),
        title: "Provider".into(),
        api_base: "https://provider.example/ims/ob/v3p0".into(),
        token_url: "https://provider.example/token".into(),
        revocation_url: None,
        client_id: "client-1".into(),
        client_secret: "secret-client-4711".into(),
        refresh_token: Some("secret-refresh-4711".into()),
        access_token: Some("secret-access-4711".into()),
        access_expires_at: None,
        scopes: vec!["s".into()],
        profile_id: Some("urn:uuid:0a6f1c0e-2d3b-4c5d-8e9f-0a1b2c3d4e5f".into()),
        profile_name: None,
        connected_at: "2026-01-01T00:00:00Z".into(),
        last_sync: None,
    }
}

/// An index without connections is written as before (no `connections` member), an older one
/// reads with none, and a connection survives a reopen, sealed: its secrets are not in any
/// file of the wallet in clear, nor in a debug print. Backups leave connections out.
#[test]
fn connections_are_sealed_in_the_index_and_older_indexes_still_read() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("w");
    let pass = Passphrase::new("correct horse battery");
    let mut wallet = Wallet::create(&dir, &pass, FAST).unwrap();
    let text = serde_json::to_string(&wallet.index).unwrap();
    assert!(!text.contains("connections"), "{text}");
    let old: Index = serde_json::from_str(&text).unwrap();
    assert!(old.connections.is_empty());

    wallet.index.connections.push(connection());
    wallet.save_index().unwrap();
    drop(wallet);
    let wallet = Wallet::open(&dir, &pass, Access::Read).unwrap();
    assert_eq!(wallet.index.connections, vec![connection()]);
    let printed = format!("{:?}", wallet.index);
    for secret in [
        "secret-client-4711",
        "secret-refresh-4711",
        "secret-access-4711",
    ] {
        assert!(!printed.contains(secret), "{secret} in {printed}");
        for file in walk(&dir) {
            let bytes = fs::read(&file).unwrap();
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "{secret} in {}",
                file.display()
            );
        }
    }
    let blob = wallet.backup(&pass, FAST).unwrap();
    drop(wallet);
    let restored_dir = tmp.path().join("r");
    let (restored, _) = Wallet::restore(&restored_dir, &blob, &pass, FAST).unwrap();
    assert!(restored.index.connections.is_empty());
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}
