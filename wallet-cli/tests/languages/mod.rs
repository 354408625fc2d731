//! The wallet in the reader's language: the real binary picks it from `--lang`, else `LC_ALL`,
//! `LC_MESSAGES` and `LANG` (in that order), speaks it in the report, the card and its own
//! sentences, refuses a language it does not speak, and still escapes what a credential says.

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use passerelle_core::did;
use passerelle_core::keys::KeyPair;
use passerelle_core::model;
use passerelle_core::proof::{self, Cryptosuite, ProofOptions};
use serde_json::Value;

const PASSPHRASE: &str = "correct horse battery staple";

/// A wallet in a temporary directory, run with a clean locale unless a test gives one.
struct Wallet {
    dir: tempfile::TempDir,
}

impl Wallet {
    fn new() -> Self {
        let wallet = Self {
            dir: tempfile::tempdir().unwrap(),
        };
        let out = wallet.run(&["init"], &[]);
        assert!(out.status.success(), "{}", text(&out));
        wallet
    }

    /// Runs the binary with `envs` as the only locale variables set.
    fn run(&self, args: &[&str], envs: &[(&str, &str)]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_passerelle-wallet"))
            .arg("--wallet")
            .arg(self.dir.path().join("w"))
            .args(args)
            .env("PASSERELLE_WALLET_PASSPHRASE", PASSPHRASE)
            .env_remove("SSL_CERT_FILE")
            .env_remove("LANGUAGE")
            .env_remove("LC_ALL")
            .env_remove("LC_MESSAGES")
            .env_remove("LANG")
            .env("NO_COLOR", "1")
            .envs(envs.iter().copied())
            .stdin(Stdio::null())
            .output()
            .unwrap()
    }

    /// Writes `credential` to a file in the wallet's directory and imports it offline.
    fn import(&self, name: &str, credential: &Value, envs: &[(&str, &str)]) -> Output {
        let file = self.file(name, credential);
        self.run(&["import", file.to_str().unwrap(), "--offline"], envs)
    }

    fn file(&self, name: &str, credential: &Value) -> PathBuf {
        let file = self.dir.path().join(name);
        std::fs::write(&file, serde_json::to_vec_pretty(credential).unwrap()).unwrap();
        file
    }
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The core's sample badge signed by a did:key issuer, with no status list: it verifies
/// offline. `edit` changes it before it is signed.
fn signed_badge(edit: impl FnOnce(&mut Value)) -> Value {
    let issuer = KeyPair::from_seed(&[7; 32]);
    let mut badge = model::sample::data_literacy_badge();
    badge["issuer"]["id"] = did::did_key(&issuer.public()).to_string().into();
    badge.as_object_mut().unwrap().remove("credentialStatus");
    edit(&mut badge);
    let options = ProofOptions::assertion(
        Cryptosuite::EddsaRdfc2022,
        did::did_key_verification_method(&issuer.public()),
        "2026-06-30T12:00:00Z",
    );
    proof::sign(&badge, &issuer, &options).unwrap()
}

/// A wallet holding the sample badge as #1.
fn wallet_with_badge() -> Wallet {
    let wallet = Wallet::new();
    let out = wallet.import("badge.json", &signed_badge(|_| {}), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    wallet
}

/// (environment, `--lang`, a verdict in that language, a check title in it).
type Case<'a> = (&'a [(&'a str, &'a str)], Option<&'a str>, &'a str, &'a str);

#[test]
fn the_locale_variables_and_lang_choose_the_language_of_verify_and_show() {
    let wallet = wallet_with_badge();
    let cases: [Case<'_>; 7] = [
        (&[], None, "VERIFIED", "Signature"),
        (&[("LANG", "fr_FR.UTF-8")], None, "VÉRIFIÉE", "Signature"),
        (
            &[("LANG", "fr_FR.UTF-8"), ("LC_MESSAGES", "ru_RU.UTF-8")],
            None,
            "ПОДТВЕРЖДЕНО",
            "Подпись",
        ),
        (
            &[("LANG", "fr_FR.UTF-8"), ("LC_ALL", "C")],
            None,
            "VERIFIED",
            "Signature",
        ),
        (&[("LANG", "es_ES.UTF-8")], None, "VERIFICADA", "Firma"),
        (&[("LANG", "fr_FR.UTF-8")], Some("zh"), "已验证", "签名"),
        (&[("LC_ALL", "ar_EG.UTF-8")], None, "تم التحقق", "التوقيع"),
    ];
    for (envs, lang, verdict, title) in cases {
        let mut args = vec!["verify", "1"];
        if let Some(lang) = lang {
            args.extend(["--lang", lang]);
        }
        let out = wallet.run(&args, envs);
        let said = text(&out);
        assert_eq!(out.status.code(), Some(0), "{envs:?} {lang:?}: {said}");
        assert!(said.contains(verdict), "{envs:?} {lang:?}: {said}");
        assert!(said.contains(title), "{envs:?} {lang:?}: {said}");
        if verdict != "VERIFIED" {
            assert!(!said.contains("VERIFIED"), "{envs:?} {lang:?}: {said}");
            assert!(!said.contains("Every required check passed"), "{said}");
        }
    }

    // The card: labels, dates and the achievement type in French; English gone.
    let out = wallet.run(&["show", "1"], &[("LANG", "fr_FR.UTF-8")]);
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(0), "{shown}");
    for french in ["Émis par", "Signé le", "30 juin 2026", "Cours", "vérifié"] {
        assert!(shown.contains(french), "{french}: {shown}");
    }
    for english in ["Issuer", "Signed", "June", "Imported"] {
        assert!(!shown.contains(english), "{english}: {shown}");
    }
    // --json stays the machine's English, whatever the language.
    let out = wallet.run(&["list", "--json", "--lang", "ru"], &[]);
    let listed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(listed[0]["status"], "verified", "{}", text(&out));
}

#[test]
fn a_language_the_wallet_does_not_speak_is_a_clear_error_or_english() {
    let wallet = Wallet::new();
    let out = wallet.run(&["list", "--lang", "xx"], &[]);
    let said = text(&out);
    assert_eq!(out.status.code(), Some(2), "{said}");
    assert!(said.contains("--lang xx"), "{said}");
    for lang in ["en", "fr", "ar", "es", "ru", "zh"] {
        assert!(said.contains(&format!("{lang} (")), "{lang}: {said}");
    }
    // From the environment, an unknown language is English, never an error.
    let out = wallet.run(&["list"], &[("LANG", "de_DE.UTF-8")]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("The wallet is empty"), "{}", text(&out));
    // The wallet's own sentences and errors in the chosen language.
    let out = wallet.run(&["show", "7"], &[("LANG", "fr_FR.UTF-8")]);
    let said = text(&out);
    assert_eq!(out.status.code(), Some(2), "{said}");
    assert!(said.contains("erreur : "), "{said}");
    assert!(said.contains("nº 7"), "{said}");
    assert!(!said.contains("there is no credential"), "{said}");
    let out = wallet.run(
        &["list"],
        &[
            ("LANG", "ru_RU.UTF-8"),
            ("PASSERELLE_WALLET_PASSPHRASE", "not the passphrase at all"),
        ],
    );
    let said = text(&out);
    assert_eq!(out.status.code(), Some(3), "{said}");
    assert!(!said.contains("wrong passphrase"), "{said}");
    assert!(said.contains("пароль"), "{said}");
    let out = wallet.run(
        &["import", "/nowhere/badge.json"],
        &[("LANG", "es_ES.UTF-8")],
    );
    let said = text(&out);
    assert_eq!(out.status.code(), Some(2), "{said}");
    assert!(said.contains("no se importó nada"), "{said}");
}

#[test]
fn a_tampered_credential_names_its_failing_check_in_the_readers_language() {
    let wallet = Wallet::new();
    let mut tampered = signed_badge(|_| {});
    tampered["credentialSubject"]["achievement"]["name"] = "Something else".into();
    let out = wallet.import("tampered.json", &tampered, &[("LANG", "fr_FR.UTF-8")]);
    let said = text(&out);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(said.contains("NON VÉRIFIÉE"), "{said}");
    assert!(said.contains("[Échec]"), "{said}");
    assert!(said.contains("Signature"), "{said}");
    assert!(said.contains("Non enregistrée"), "{said}");
    assert!(!said.contains("NOT VERIFIED"), "{said}");
    assert!(!said.contains("Not stored"), "{said}");
    let listed = text(&wallet.run(&["list", "--json"], &[]));
    assert!(listed.trim_start().starts_with("[]"), "{listed}");
}

#[test]
fn credential_text_stays_escaped_in_every_language() {
    let wallet = Wallet::new();
    let badge = signed_badge(|badge| {
        badge["credentialSubject"]["achievement"]["name"] =
            "Knots\u{1b}[2J\u{1b}]0;pwned\u{7}\u{202e}".into();
        badge["credentialSubject"]["achievement"]["description"] =
            "Ties\u{9b}31m and \u{2066}isolates\u{2069}".into();
    });
    for lang in ["ar", "zh", "fr"] {
        let out = wallet.import(&format!("{lang}.json"), &badge, &[("LANG", lang)]);
        assert!(!out.stderr.contains(&0x1b), "{lang}: {}", text(&out));
    }
    for lang in ["ar", "zh", "ru"] {
        let out = wallet.run(&["show", "1", "--lang", lang], &[]);
        let shown = text(&out);
        assert_eq!(out.status.code(), Some(0), "{shown}");
        for raw in [
            '\u{1b}', '\u{9b}', '\u{7}', '\u{202e}', '\u{2066}', '\u{2069}',
        ] {
            assert!(!shown.contains(raw), "{lang}: {raw:?} in {shown}");
        }
        assert!(shown.contains("Knots\\u{1b}[2J"), "{lang}: {shown}");
        let out = wallet.run(&["verify", "1", "--lang", lang], &[]);
        let said = text(&out);
        assert!(!said.contains('\u{1b}'), "{lang}: {said}");
        assert!(said.contains("Knots\\u{1b}"), "{lang}: {said}");
    }
}

#[test]
fn show_reads_the_credentials_own_text_in_the_readers_language_and_says_when_it_cannot() {
    let wallet = Wallet::new();
    let badge = signed_badge(|badge| {
        badge["credentialSubject"]["achievement"]["name"] = serde_json::json!([
            {"@value": "Culture des données", "@language": "fr"},
            {"@value": "Data literacy", "@language": "en"}
        ]);
    });
    let out = wallet.import("maps.json", &badge, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let all = passerelle_wallet::i18n::builtin().unwrap();
    let show = |lang: &str| {
        let out = wallet.run(&["show", "1", "--lang", lang], &[]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        text(&out)
    };
    let french = show("fr");
    assert!(french.contains("Culture des données"), "{french}");
    assert!(
        !french.contains(all.get("fr").unwrap().t("card.language")),
        "{french}"
    );
    let english = show("en");
    assert!(english.contains("Data literacy"), "{english}");
    // No Russian text in the credential: the card says which language it shows.
    let russian = show("ru");
    let m = all.get("ru").unwrap();
    assert!(russian.contains(m.t("card.language")), "{russian}");
    assert!(russian.contains(&m.language_name("fr")), "{russian}");
}
