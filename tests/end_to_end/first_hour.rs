//! The first hour (issue 12): `scripts/quickstart.sh` as a newcomer runs it, then the README's
//! "After the quick start" block exactly as it stands, each step ending in VERIFIED — the wallet
//! importing a claim link and verifying online over the quick start's https, and the verifier
//! page verifying the badge, its baked PNG and its claim QR code.
//!
//! The README names ports 8080 and 8090, so this test uses them (and says so if they are taken);
//! it runs the test build's binaries (`PASSERELLE_BIN_DIR`), in a scratch directory laid out as
//! the repository's root (`quickstart/`, `target/release/`).

use std::fs;
use std::io::Read;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use passerelle_tests::{binary, ob_schema_file, workspace_root, OB_SCHEMA_ENV};

const ISSUER_PORT: u16 = 8080;
const VERIFIER_PORT: u16 = 8090;
const BEGIN: &str = "<!-- first-hour:begin";
const END: &str = "<!-- first-hour:end -->";

/// The shell block between the README's first-hour markers.
fn readme_block() -> String {
    let readme = fs::read_to_string(workspace_root().join("README.md")).expect("README.md");
    let start = readme
        .find(BEGIN)
        .expect("README has the first-hour begin marker");
    let end = readme
        .find(END)
        .expect("README has the first-hour end marker");
    let section = &readme[start..end];
    let code = section
        .split_once("```sh\n")
        .and_then(|(_, rest)| rest.split_once("```"))
        .map(|(code, _)| code)
        .expect("the first-hour section holds one ```sh block");
    assert!(
        code.contains("wallet import") && code.contains("/verify"),
        "the block is the journey:\n{code}"
    );
    code.to_owned()
}

fn port_is_free(port: u16) -> bool {
    TcpListener::bind((Ipv4Addr::LOCALHOST, port)).is_ok()
}

fn listening(port: u16) -> bool {
    TcpStream::connect_timeout(
        &SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
        Duration::from_millis(200),
    )
    .is_ok()
}

/// The quick start running in its own process group; stopped (TERM to the group) when dropped.
struct QuickStart {
    child: Child,
    log: PathBuf,
}

impl QuickStart {
    fn start(scratch: &Path, bin_dir: &Path, extra_env: &[(&str, &str)]) -> QuickStart {
        let log = scratch.join(format!("quickstart-{}.log", extra_env.len()));
        let out = fs::File::create(&log).expect("log file");
        let mut command = Command::new("bash");
        command
            .arg(workspace_root().join("scripts/quickstart.sh"))
            .current_dir(scratch)
            .env("QUICKSTART_DIR", scratch.join("quickstart"))
            .env("PASSERELLE_BIN_DIR", bin_dir)
            .env(OB_SCHEMA_ENV, ob_schema_file())
            .env_remove("PORT")
            .env_remove("VERIFIER_PORT")
            .env_remove("PASSERELLE_ISSUER_DIR")
            .env_remove("PASSERELLE_ISSUER_PASSPHRASE")
            .env_remove("SSL_CERT_FILE")
            .envs(extra_env.iter().copied())
            .stdin(Stdio::null())
            .stdout(out.try_clone().expect("log file"))
            .stderr(out)
            .process_group(0);
        let child = command.spawn().expect("bash runs the quick start");
        QuickStart { child, log }
    }

    fn log(&self) -> String {
        let mut text = String::new();
        if let Ok(mut file) = fs::File::open(&self.log) {
            let _ = file.read_to_string(&mut text);
        }
        text
    }

    /// Waits until the quick start says both services are up.
    fn wait_until_serving(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(180);
        loop {
            if self.log().contains("Ctrl-C stops both services")
                && listening(ISSUER_PORT)
                && listening(VERIFIER_PORT)
            {
                return;
            }
            if let Some(status) = self
                .child
                .try_wait()
                .expect("the quick start can be polled")
            {
                panic!("the quick start stopped ({status}):\n{}", self.log());
            }
            assert!(
                Instant::now() < deadline,
                "the quick start did not start serving within 180 s:\n{}",
                self.log()
            );
            sleep(Duration::from_millis(200));
        }
    }

    /// Waits for the quick start to end by itself; its exit code and log.
    fn wait_for_exit(mut self) -> (Option<i32>, String) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = self
                .child
                .try_wait()
                .expect("the quick start can be polled")
            {
                return (status.code(), self.log());
            }
            assert!(
                Instant::now() < deadline,
                "the quick start did not end:\n{}",
                self.log()
            );
            sleep(Duration::from_millis(100));
        }
    }

    /// Ctrl-C's equivalent for a script: TERM to the script, whose trap stops both services.
    fn stop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(45);
        while Instant::now() < deadline {
            if self.child.try_wait().ok().flatten().is_some() {
                return;
            }
            sleep(Duration::from_millis(100));
        }
        // Whatever is left of the group.
        let _ = Command::new("kill")
            .args(["-KILL", &format!("-{}", self.child.id())])
            .status();
        let _ = self.child.wait();
    }
}

impl Drop for QuickStart {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            self.stop();
        }
    }
}

#[test]
fn the_readme_journey_after_the_quick_start_ends_in_verified() {
    for port in [ISSUER_PORT, VERIFIER_PORT] {
        assert!(
            port_is_free(port),
            "this test runs the README as written, on ports {ISSUER_PORT} and {VERIFIER_PORT}; \
             something else listens on {port}: stop it and run again"
        );
    }
    let block = readme_block();
    let scratch = tempfile::tempdir().expect("scratch directory");
    let bin_dir = binary("passerelle-wallet")
        .parent()
        .expect("binaries sit in a directory")
        .to_path_buf();
    binary("passerelle-issuer");
    binary("passerelle-verifier");
    // The README's commands name target/release/…: the scratch root has it, pointing at this
    // test build's binaries.
    fs::create_dir(scratch.path().join("target")).unwrap();
    std::os::unix::fs::symlink(&bin_dir, scratch.path().join("target/release")).unwrap();

    let mut quickstart = QuickStart::start(scratch.path(), &bin_dir, &[]);
    quickstart.wait_until_serving();
    let setup = quickstart.log();
    assert!(
        setup.contains("2 issued, 0 already issued (kept their claim links), 1 refused"),
        "{setup}"
    );
    assert!(
        setup.contains("listening on https://127.0.0.1:8080"),
        "{setup}"
    );
    assert!(
        !setup.contains("WARNING"),
        "the schema was installed from the vectors:\n{setup}"
    );

    let journey = Command::new("bash")
        .args(["-euo", "pipefail", "-c", &block])
        .current_dir(scratch.path())
        .env_remove("PASSERELLE_WALLET_DIR")
        .env_remove("PASSERELLE_WALLET_PASSPHRASE")
        .env_remove("SSL_CERT_FILE")
        .stdin(Stdio::null())
        .output()
        .expect("bash runs the README block");
    let stdout = String::from_utf8_lossy(&journey.stdout);
    let stderr = String::from_utf8_lossy(&journey.stderr);
    let context = || {
        format!(
            "stdout:\n{stdout}\nstderr:\n{stderr}\nquick start:\n{}",
            quickstart.log()
        )
    };
    assert!(
        journey.status.success(),
        "the README block failed: {}",
        context()
    );
    // The import verified the badge fetched from the claim link, and stored it.
    assert!(
        stderr.contains("issued by Open Learning Lab (quick start): verified")
            || stdout.contains("issued by Open Learning Lab (quick start): verified"),
        "{}",
        context()
    );
    assert!(
        stdout.contains("Stored as #1") || stderr.contains("Stored as #1"),
        "{}",
        context()
    );
    // `verify 1 --online`: the DID document came over the quick start's https.
    assert!(stdout.lines().any(|l| l == "VERIFIED"), "{}", context());
    assert!(
        stdout.contains("(from the did:web document) is listed under assertionMethod"),
        "{}",
        context()
    );
    assert!(
        stdout.contains("Revocation: not revoked (https://localhost:8080/status/"),
        "{}",
        context()
    );
    // Bob's credential offer: received over OpenID4VCI, verified, stored, bound to the holder.
    let both = format!("{stdout}{stderr}");
    assert!(
        both.contains("(received over OpenID4VCI from https://localhost:8080, ldp_vc)")
            && both.contains("Stored as #2"),
        "{}",
        context()
    );
    assert!(
        stdout
            .lines()
            .any(|l| l.trim_start().starts_with("Awarded to")
                && l.ends_with("you (your holder DID)")),
        "{}",
        context()
    );
    // The page: badge, baked PNG and claim QR code, each verified.
    for suffix in [
        ".json: verdict-verified",
        ".png: verdict-verified",
        "-claim-qr.svg: verdict-verified",
    ] {
        assert!(
            stdout.lines().any(|l| l.ends_with(suffix)),
            "no line ending in {suffix:?}: {}",
            context()
        );
    }
    assert!(!stdout.contains("verdict-not_verified") && !stdout.contains("verdict-incomplete"));

    // Ctrl-C (TERM) stops both services.
    quickstart.stop();
    let deadline = Instant::now() + Duration::from_secs(10);
    while (listening(ISSUER_PORT) || listening(VERIFIER_PORT)) && Instant::now() < deadline {
        sleep(Duration::from_millis(100));
    }
    assert!(
        !listening(ISSUER_PORT) && !listening(VERIFIER_PORT),
        "a service outlived the quick start:\n{}",
        quickstart.log()
    );
    drop(quickstart);

    // Another port than the one the DID names is refused, saying which, and changes nothing.
    let before = fs::read(scratch.path().join("quickstart/issuer/issuer.toml")).unwrap();
    let refused = QuickStart::start(scratch.path(), &bin_dir, &[("PORT", "9080")]);
    let (code, log) = refused.wait_for_exit();
    assert_eq!(code, Some(1), "{log}");
    assert!(
        log.contains("was set up for https://localhost:8080 (its DID names that port), not https://localhost:9080"),
        "{log}"
    );
    assert_eq!(
        fs::read(scratch.path().join("quickstart/issuer/issuer.toml")).unwrap(),
        before
    );

    // A certificate that is not PEM is refused at start, naming the file, before any passphrase.
    let bogus = scratch.path().join("not-a-cert.pem");
    fs::write(&bogus, "hello").unwrap();
    let bogus = bogus.to_str().unwrap();
    let output = Command::new(binary("passerelle-issuer"))
        .args([
            "--dir",
            "quickstart/issuer",
            "serve",
            "--bind",
            "127.0.0.1:0",
        ])
        .args(["--tls-cert", bogus, "--tls-key", bogus])
        .current_dir(scratch.path())
        .env_remove("PASSERELLE_ISSUER_PASSPHRASE")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("not-a-cert.pem holds no PEM certificate"),
        "{stderr}"
    );
}
