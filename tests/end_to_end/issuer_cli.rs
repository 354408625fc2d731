//! The provider's first steps with the issuer service on the command line: `init` (config,
//! SQLite database, issuer profile, sealed key) and `achievement create|list|show`.

use std::path::Path;
use std::process::Output;

use passerelle_core::keys::KeyPair;
use passerelle_core::{did, model};
use passerelle_issuer::config::{IssuerConfig, KeyStorage};
use passerelle_issuer::secret::{Passphrase, SecretError};
use passerelle_issuer::store::{Store, StoreError};
use passerelle_tests::{assert_ok, run_env, stderr, stdout};
use serde_json::Value;

const PASSPHRASE: &str = "a passphrase nobody guesses 7f3a";
const ISSUER_DIR: &str = "passerelle-issuer";

/// Runs the issuer with a clean environment for the variables it reads, plus `env`.
fn issuer(dir: &Path, args: &[&str], stdin: Option<&[u8]>, env: &[(&str, &str)]) -> Output {
    let mut all: Vec<(&str, Option<&str>)> = vec![
        ("PASSERELLE_ISSUER_PASSPHRASE", None),
        ("PASSERELLE_ISSUER_DIR", None),
        ("DATABASE_URL", None),
    ];
    for (k, v) in env {
        all.retain(|(name, _)| name != k);
        all.push((k, Some(v)));
    }
    run_env("passerelle-issuer", dir, args, stdin, &all)
}

fn init(dir: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "init",
        "--name",
        "Open Learning Lab",
        "--url",
        "https://learn.example/",
    ];
    args.extend_from_slice(extra);
    issuer(
        dir,
        &args,
        None,
        &[("PASSERELLE_ISSUER_PASSPHRASE", PASSPHRASE)],
    )
}

fn assert_refused(out: &Output, what: &str, message: &str) {
    assert!(!out.status.success(), "{what} should fail: {}", stdout(out));
    assert!(
        stderr(out).contains(message),
        "{what}: stderr should say {message:?}: {}",
        stderr(out)
    );
}

fn unlock(dir: &Path, passphrase: &str) -> Result<KeyPair, StoreError> {
    let issuer_dir = dir.join(ISSUER_DIR);
    let config = IssuerConfig::load(&issuer_dir).expect("init wrote a readable config");
    let url = config.database_url(&issuer_dir).unwrap();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            let store = Store::connect(&url).await.unwrap();
            let profile = store.issuer_profile().await.unwrap().expect("a profile");
            assert_eq!(profile.did, config.did);
            assert_eq!(profile.name, config.name);
            assert_eq!(profile.profile["type"][0], "Profile");
            let key = store.active_key().await.unwrap().expect("a signing key");
            assert_eq!(key.fragment, config.key.fragment);
            assert_eq!(key.public.to_multikey(), config.key.public_multikey);
            let pair = store
                .unlock_key(&key.id, Passphrase::new(passphrase.as_bytes().to_vec()))
                .await;
            store.close().await;
            pair
        })
}

/// (actor, action) of every audit entry, oldest first.
fn audit_actions(dir: &Path) -> Vec<(String, String)> {
    let issuer_dir = dir.join(ISSUER_DIR);
    let config = IssuerConfig::load(&issuer_dir).unwrap();
    let url = config.database_url(&issuer_dir).unwrap();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            let store = Store::connect(&url).await.unwrap();
            let entries = store.audit_entries(0, 1000).await.unwrap();
            store.close().await;
            entries.into_iter().map(|e| (e.actor, e.action)).collect()
        })
}

#[test]
fn init_creates_the_directory_with_a_sealed_key_and_refuses_to_reinit() {
    let tmp = tempfile::tempdir().unwrap();
    let out = init(tmp.path(), &[]);
    assert_ok(&out, "init");
    assert_eq!(stdout(&out).trim(), "did:web:learn.example");
    for shown in [stdout(&out), stderr(&out)] {
        assert!(!shown.contains(PASSPHRASE), "the passphrase was printed");
    }
    let dir = tmp.path().join(ISSUER_DIR);
    assert!(dir.join("issuer.toml").is_file() && dir.join("issuer.db").is_file());
    assert!(!dir.join("issuer-key.jwk").exists(), "no plain key file");
    let config_text = std::fs::read_to_string(dir.join("issuer.toml")).unwrap();
    assert!(!config_text.contains(PASSPHRASE));
    let config = IssuerConfig::load(&dir).unwrap();
    assert_eq!(config.url, "https://learn.example");
    assert_eq!(config.did, "did:web:learn.example");
    assert_eq!(config.key.storage, KeyStorage::Sealed);
    assert_eq!(
        config.key.verification_method,
        "did:web:learn.example#key-1"
    );

    // The key is sealed under that passphrase, and only that one.
    let pair = unlock(tmp.path(), PASSPHRASE).expect("the passphrase opens the key");
    assert_eq!(pair.public().to_multikey(), config.key.public_multikey);
    assert!(matches!(
        unlock(tmp.path(), "not the passphrase at all"),
        Err(StoreError::Secret(SecretError::WrongPassphrase))
    ));

    // A second init is refused and changes nothing.
    let db_before = std::fs::read(dir.join("issuer.db")).unwrap();
    let again = init(tmp.path(), &["--did", "key"]);
    assert_refused(&again, "re-init", "refusing to re-initialise");
    assert_eq!(
        std::fs::read_to_string(dir.join("issuer.toml")).unwrap(),
        config_text
    );
    assert_eq!(std::fs::read(dir.join("issuer.db")).unwrap(), db_before);
    unlock(tmp.path(), PASSPHRASE).expect("the original key is still there");
}

#[test]
fn init_passphrase_sources_and_refusals() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let base = [
        "init",
        "--name",
        "Lab",
        "--url",
        "https://learn.example",
        "--dir",
        "d",
    ];
    // No passphrase and no terminal: a clear error naming the ways to give one.
    let out = issuer(dir, &base, None, &[]);
    assert_refused(
        &out,
        "init without passphrase",
        "PASSERELLE_ISSUER_PASSPHRASE",
    );
    // Empty and short passphrases are refused.
    let out = issuer(dir, &base, None, &[("PASSERELLE_ISSUER_PASSPHRASE", "")]);
    assert_refused(&out, "empty passphrase", "empty");
    let out = issuer(
        dir,
        &base,
        None,
        &[("PASSERELLE_ISSUER_PASSPHRASE", "short")],
    );
    assert_refused(&out, "short passphrase", "too short");
    assert!(
        !dir.join("d/issuer.toml").exists() && !dir.join("d/issuer.db").exists(),
        "a refused init leaves nothing behind"
    );
    // A database that cannot be opened: the directory init created is removed again.
    let mut args = base.to_vec();
    args.extend(["--db", "sqlite:///nonexistent-passerelle-dir/x.db?mode=rwc"]);
    let out = issuer(
        dir,
        &args,
        None,
        &[("PASSERELLE_ISSUER_PASSPHRASE", PASSPHRASE)],
    );
    assert_refused(&out, "unopenable database", "cannot open the database");
    assert!(
        !dir.join("d").exists(),
        "a failed init removes the directory it created"
    );
    // A non-https URL is refused.
    let out = issuer(
        dir,
        &["init", "--name", "Lab", "--url", "http://learn.example"],
        None,
        &[("PASSERELLE_ISSUER_PASSPHRASE", PASSPHRASE)],
    );
    assert_refused(&out, "http URL", "https");

    // --passphrase-stdin, into the directory named by $PASSERELLE_ISSUER_DIR.
    let mut args = base[..5].to_vec();
    args.push("--passphrase-stdin");
    let line = format!("{PASSPHRASE}\n");
    let out = issuer(
        dir,
        &args,
        Some(line.as_bytes()),
        &[("PASSERELLE_ISSUER_DIR", ISSUER_DIR)],
    );
    assert_ok(&out, "init --passphrase-stdin");
    assert!(!stdout(&out).contains(PASSPHRASE) && !stderr(&out).contains(PASSPHRASE));
    unlock(dir, PASSPHRASE).expect("the stdin passphrase (without its newline) opens the key");
}

#[test]
fn plain_key_is_a_0600_file_with_a_loud_warning() {
    let tmp = tempfile::tempdir().unwrap();
    let out = issuer(
        tmp.path(),
        &[
            "init",
            "--name",
            "Lab",
            "--url",
            "https://learn.example",
            "--did",
            "key",
            "--plain-key",
        ],
        None,
        &[],
    );
    assert_ok(&out, "init --plain-key");
    assert!(stderr(&out).contains("WARNING") && stderr(&out).contains("UNENCRYPTED"));
    let path = tmp.path().join(ISSUER_DIR).join("issuer-key.jwk");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the plain key file is owner-only");
    }
    let jwk: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let key = KeyPair::from_jwk(&jwk).expect("an Ed25519 private OKP JWK");
    let did = did::did_key(&key.public()).to_string();
    assert_eq!(stdout(&out).trim(), did, "--did key uses the key's did:key");
    let config = IssuerConfig::load(&tmp.path().join(ISSUER_DIR)).unwrap();
    assert_eq!(config.did, did);
    assert_eq!(config.key.storage, KeyStorage::PlainFile);
    assert_eq!(
        config.key.verification_method,
        did::did_key_verification_method(&key.public())
    );
}

/// A minimal real PNG (1×1, grey): signature, IHDR, IDAT, IEND.
const PNG_1X1: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00, 0x00, 0x00, 0x00, 0x3a, 0x7e, 0x9b,
    0x55, 0x00, 0x00, 0x00, 0x0a, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x68, 0x00, 0x00, 0x00,
    0x82, 0x00, 0x81, 0x4c, 0x17, 0xd7, 0xdf, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae,
    0x42, 0x60, 0x82,
];

#[test]
fn achievement_create_list_show_round_trip() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    // Before init: a clear error.
    let out = issuer(dir, &["achievement", "list"], None, &[]);
    assert_refused(&out, "list before init", "passerelle-issuer init");
    assert_ok(&init(dir, &[]), "init");
    std::fs::write(dir.join("badge.png"), PNG_1X1).unwrap();
    let out = issuer(
        dir,
        &[
            "achievement",
            "create",
            "--slug",
            "data-101",
            "--name",
            "Data Literacy Foundations",
            "--description",
            "Reading, cleaning and charting data responsibly.",
            "--criteria",
            "Pass all graded quizzes and the final project.",
            "--criteria-url",
            "https://learn.example/courses/data-101",
            "--image",
            "badge.png",
            "--level",
            "5",
            "--credits",
            "5",
            "--alignment",
            "Data literacy=http://data.europa.eu/esco/skill/0a1b2c3d",
            "--language",
            "en",
        ],
        None,
        &[],
    );
    assert_ok(&out, "achievement create");
    let id = "https://learn.example/achievements/data-101";
    assert_eq!(stdout(&out).trim(), id);
    // Issue 11.11: audited as the API's creation is.
    let audit = audit_actions(dir);
    assert!(
        audit.contains(&("cli".to_owned(), "achievement.create".to_owned())),
        "{audit:?}"
    );

    let out = issuer(
        dir,
        &["achievement", "show", "data-101", "--json"],
        None,
        &[],
    );
    assert_ok(&out, "show --json");
    let achievement: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(achievement["id"], id);
    assert_eq!(achievement["type"][0], "Achievement");
    assert_eq!(achievement["creditsAvailable"], 5.0);
    assert_eq!(achievement["inLanguage"], "en");
    assert_eq!(
        achievement["criteria"]["id"],
        "https://learn.example/courses/data-101"
    );
    assert!(achievement["image"]["id"]
        .as_str()
        .unwrap()
        .starts_with("data:image/png;base64,iVBORw0KGgo"));
    let alignments = achievement["alignment"].as_array().unwrap();
    assert_eq!(alignments.len(), 2);
    assert_eq!(alignments[1]["targetName"], "Data literacy");
    // The core model accepts a credential carrying this definition.
    let mut badge = model::sample::data_literacy_badge();
    badge["credentialSubject"]["achievement"] = achievement.clone();
    let checked = model::check_credential(&badge).expect("the stored achievement is valid OB 3.0");
    assert_eq!(
        checked.achievement.unwrap().name,
        "Data Literacy Foundations"
    );

    // A second achievement, then list in both forms.
    let out = issuer(
        dir,
        &[
            "achievement",
            "create",
            "--slug",
            "ai-basics",
            "--name",
            "AI Basics",
            "--description",
            "What models can and cannot do.",
            "--criteria",
            "Finish the course.",
        ],
        None,
        &[],
    );
    assert_ok(&out, "second create");
    let out = issuer(dir, &["achievement", "list"], None, &[]);
    assert_ok(&out, "list");
    let lines: Vec<String> = stdout(&out).lines().map(str::to_owned).collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines[0].starts_with("ai-basics") && lines[0].ends_with("AI Basics"));
    assert!(lines[1].starts_with("data-101") && lines[1].ends_with("Data Literacy Foundations"));
    let out = issuer(dir, &["achievement", "list", "--json"], None, &[]);
    assert_ok(&out, "list --json");
    let list: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(list[1]["slug"], "data-101");
    assert_eq!(list[1]["achievement"], achievement);

    let out = issuer(dir, &["achievement", "show", "data-101"], None, &[]);
    assert_ok(&out, "show");
    assert!(stdout(&out).contains("embedded image/png"));
    let out = issuer(dir, &["achievement", "show", "nope"], None, &[]);
    assert_refused(
        &out,
        "show unknown",
        "no achievement with the slug \"nope\"",
    );
}

#[test]
fn achievement_create_refuses_duplicates_and_bad_input() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    assert_ok(&init(dir, &[]), "init");
    let create = |extra: &[&str]| {
        let mut args = vec![
            "achievement",
            "create",
            "--name",
            "Data 101",
            "--description",
            "Data.",
            "--criteria",
            "Do the work.",
        ];
        args.extend_from_slice(extra);
        issuer(dir, &args, None, &[])
    };
    assert_ok(&create(&["--slug", "data-101"]), "create");
    assert_refused(
        &create(&["--slug", "data-101"]),
        "duplicate slug",
        "already exists",
    );

    std::fs::write(dir.join("fake.png"), b"GIF89a\x01\x00\x01\x00").unwrap();
    assert_refused(
        &create(&["--slug", "gif", "--image", "fake.png"]),
        "a GIF named .png",
        "neither a PNG nor an SVG",
    );
    std::fs::write(
        dir.join("evil.svg"),
        b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>",
    )
    .unwrap();
    assert_refused(
        &create(&["--slug", "evil", "--image", "evil.svg"]),
        "an SVG with a script",
        "neither a PNG nor an SVG",
    );
    let mut big = PNG_1X1.to_vec();
    big.resize(300 * 1024, 0);
    std::fs::write(dir.join("big.png"), big).unwrap();
    assert_refused(
        &create(&["--slug", "big", "--image", "big.png"]),
        "an oversized image",
        "larger than 256 KiB",
    );
    assert_refused(&create(&["--slug", "Bad Slug"]), "bad slug", "--slug");
    assert_refused(
        &create(&["--slug", "lvl", "--level", "9"]),
        "level 9",
        "1 to 8",
    );
    assert_refused(
        &create(&["--slug", "nan", "--credits", "NaN"]),
        "NaN credits",
        "finite",
    );
    assert_refused(
        &create(&["--slug", "al", "--alignment", "no-url-here"]),
        "alignment without URL",
        "NAME=URL",
    );

    let out = issuer(dir, &["achievement", "list", "--json"], None, &[]);
    assert_ok(&out, "list --json");
    let list: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(
        list.as_array().unwrap().len(),
        1,
        "only the first was stored"
    );
}

#[test]
fn a_translation_is_a_related_achievement_and_its_credentials_sign() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    assert_ok(&init(dir, &[]), "init");
    let create = |slug: &str, name: &str, language: &str, extra: &[&str]| {
        let mut args = vec![
            "achievement",
            "create",
            "--slug",
            slug,
            "--name",
            name,
            "--description",
            "Data, charts and ethics.",
            "--criteria",
            "Pass the final project.",
            "--language",
            language,
        ];
        args.extend_from_slice(extra);
        issuer(dir, &args, None, &[])
    };
    assert_ok(
        &create("data-101", "Data Literacy Foundations", "en", &[]),
        "create en",
    );
    let out = create(
        "data-101-fr",
        "Fondamentaux de la littératie des données",
        "fr",
        &["--translation-of", "data-101"],
    );
    assert_ok(&out, "create fr");
    let out = issuer(
        dir,
        &["achievement", "show", "data-101-fr", "--json"],
        None,
        &[],
    );
    assert_ok(&out, "show fr");
    let shown: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let achievement = shown.get("achievement").unwrap_or(&shown);
    assert_eq!(
        achievement["related"],
        serde_json::json!([{
            "id": "https://learn.example/achievements/data-101",
            "type": ["Related"],
            "inLanguage": "en"
        }])
    );
    // An unknown slug is refused with the flag named.
    let out = create(
        "data-101-de",
        "Datenkompetenz",
        "de",
        &["--translation-of", "nope"],
    );
    assert_refused(&out, "unknown translation", "--translation-of");
    // A credential for the translated achievement passes the signer's JSON-LD safe mode
    // (every term of `related` is defined by the OB context).
    std::fs::write(
        dir.join("rows.csv"),
        "email,completion_date,external_id\nada@example.org,2026-06-30,e-1\n",
    )
    .unwrap();
    let out = issuer(
        dir,
        &["issue", "--achievement", "data-101-fr", "--csv", "rows.csv"],
        None,
        &[("PASSERELLE_ISSUER_PASSPHRASE", PASSPHRASE)],
    );
    assert_ok(&out, "issue for the translation");
    assert!(stderr(&out).contains("1 issued"), "{}", stderr(&out));
}

/// Issue 11.7: with a permissive umask (022) the issuer directory is still 0700 and the database,
/// its companions and the config 0600; a start tightens modes another tool loosened, and says so.
#[test]
fn the_issuer_directory_and_database_are_private_whatever_the_umask() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let under_umask_022 = |args: &[&str]| {
        let mut all = vec!["-c", "umask 022 && exec \"$@\"", "sh"];
        let binary = passerelle_tests::binary("passerelle-issuer");
        let binary = binary.to_str().unwrap().to_owned();
        all.push(&binary);
        all.extend_from_slice(args);
        let out = std::process::Command::new("sh")
            .current_dir(tmp.path())
            .args(&all)
            .env("PASSERELLE_ISSUER_PASSPHRASE", PASSPHRASE)
            .env_remove("PASSERELLE_ISSUER_DIR")
            .env_remove("DATABASE_URL")
            .env(
                passerelle_tests::OB_SCHEMA_ENV,
                passerelle_tests::ob_schema_file(),
            )
            .output()
            .unwrap();
        assert_ok(&out, &args.join(" "));
        out
    };
    under_umask_022(&["init", "--name", "Lab", "--url", "https://learn.example"]);
    let dir = tmp.path().join(ISSUER_DIR);
    assert_eq!(mode(&dir), 0o700, "the issuer directory");
    assert_eq!(mode(&dir.join("issuer.db")), 0o600, "the database");
    assert_eq!(mode(&dir.join("issuer.toml")), 0o600, "the config");

    // Another tool loosens everything (and leaves an empty WAL file, as SQLite may).
    let loosen =
        |p: &Path, m: u32| std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap();
    let wal = dir.join("issuer.db-wal");
    std::fs::write(&wal, b"").unwrap();
    loosen(&dir, 0o755);
    for file in ["issuer.db", "issuer.db-wal", "issuer.toml"] {
        loosen(&dir.join(file), 0o644);
    }
    let out = under_umask_022(&["achievement", "list"]);
    assert_eq!(mode(&dir), 0o700);
    for file in ["issuer.db", "issuer.toml"] {
        assert_eq!(mode(&dir.join(file)), 0o600, "{file} after a start");
    }
    if wal.exists() {
        assert_eq!(mode(&wal), 0o600, "the WAL file after a start");
    }
    let said = stderr(&out);
    assert!(
        said.contains("issuer.db was readable by other users (mode 644); now 600"),
        "the start should say what it tightened: {said}"
    );
}
