//! Helpers for the end-to-end test binary (`end_to_end/`): locating the official vectors, building
//! and running the real binaries in scratch directories, and driving the reference JavaScript
//! implementations in `interop/`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test support: a panic here is a failed test, with its message"
)]

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::Value;

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate sits inside the workspace") // invariant: tests/ is a workspace member
        .to_path_buf()
}

/// `../shared/vectors`, or a panic that says what is missing and why it matters.
pub fn vectors() -> PathBuf {
    let dir = workspace_root().join("../shared/vectors");
    assert!(
        dir.is_dir(),
        "the official test vectors are missing: expected them in {} (the team's shared folder beside the repository). \
         Conformance tests cannot run without them.",
        dir.display()
    );
    dir
}

/// Reads a JSON file under the vectors folder.
pub fn vector_json(relative: &str) -> Value {
    let path = vectors().join(relative);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read vector {}: {e}", path.display()));
    serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("vector {} is not JSON: {e}", path.display()))
}

/// The path of one of the workspace's binaries, built once per test run (same profile as the tests).
pub fn binary(name: &str) -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    let dir = BUILT.get_or_init(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo)
            .current_dir(workspace_root())
            .args([
                "build",
                "--quiet",
                "-p",
                "passerelle-issuer",
                "-p",
                "passerelle-verifier",
                "-p",
                "passerelle-wallet",
            ])
            .status()
            .expect("cargo can be run to build the binaries");
        assert!(status.success(), "building the binaries failed");
        // The test executable lives in <target>/<profile>/deps/.
        let exe = std::env::current_exe().expect("the test binary knows its path");
        exe.parent()
            .and_then(Path::parent)
            .expect("test binary sits in <target>/<profile>/deps")
            .to_path_buf()
    });
    let path = dir.join(name);
    assert!(path.is_file(), "binary {} was not built", path.display());
    path
}

/// Runs a binary with arguments (and optional standard input) in `dir`.
pub fn run(name: &str, dir: &Path, args: &[&str], stdin: Option<&[u8]>) -> Output {
    run_env(name, dir, args, stdin, &[])
}

/// Standard output as text.
pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Standard error as text.
pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// `tests/interop/`, the Node harness around the reference JavaScript libraries, checked to be
/// installed: without `node_modules` the interop tests fail (they must not pass by skipping).
pub fn interop_dir() -> PathBuf {
    let dir = workspace_root().join("tests/interop");
    assert!(
        dir.join("node_modules").is_dir(),
        "{}/node_modules is missing: the interop tests need the reference JavaScript libraries. \
         Run `npm ci` in tests/interop (scripts/test.sh does it) and run the tests again.",
        dir.display()
    );
    dir
}

/// How long one harness script may take before the test fails (JSON-LD canonicalisation of a
/// 5 KB badge takes well under a second; this allows for a loaded machine).
pub const NODE_TIMEOUT: Duration = Duration::from_secs(120);

/// A free loopback port (there is a small window in which another process could take it).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// Panics, with the command's output, unless it exited 0.
pub fn assert_ok(out: &Output, what: &str) {
    assert!(
        out.status.success(),
        "{what} failed: {}{}",
        stdout(out),
        stderr(out)
    );
}

/// Runs `passerelle-issuer` in `dir` with `passphrase` for its key and none of the caller's
/// issuer directory or database settings.
pub fn issuer_with_passphrase(passphrase: &str, dir: &Path, args: &[&str]) -> Output {
    run_env(
        "passerelle-issuer",
        dir,
        args,
        None,
        &[
            ("PASSERELLE_ISSUER_PASSPHRASE", Some(passphrase)),
            ("PASSERELLE_ISSUER_DIR", None),
            ("DATABASE_URL", None),
        ],
    )
}

/// What a harness script printed and how it exited.
#[derive(Debug)]
pub struct NodeOutput {
    /// The exit code (`None` if killed by a signal).
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `node <script>` in `tests/interop/` with `request` as JSON on stdin, and returns what it
/// printed, whatever the exit code. Panics — naming the script and quoting node's stderr — if node
/// cannot be started or the script runs longer than [`NODE_TIMEOUT`].
pub fn node_raw(script: &str, request: &Value) -> NodeOutput {
    let mut child = Command::new("node")
        .current_dir(interop_dir())
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "cannot start `node {script}` ({e}): the interop tests need Node.js >= 20 on PATH"
            )
        });
    let input = serde_json::to_vec(request).expect("a serde_json::Value always serialises");
    let mut stdin = child.stdin.take().expect("stdin was piped");
    // Writer and readers on their own threads: no pipe can fill up and block the child.
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let (status, output) = wait_for_node(script, child);
    match writer.join() {
        // The script may legitimately exit before reading everything only if it failed.
        Ok(Err(e)) if status.success() => {
            panic!(
                "cannot write the request to `node {script}`: {e}; stderr: {}",
                output.stderr
            )
        }
        _ => {}
    }
    output
}

/// Runs `node <script> <args…>` in `tests/interop/` with environment changes (`(name, value)`
/// set; nothing on stdin) and returns what it printed, whatever the exit code. For the drivers
/// that take arguments (`oid4vci.mjs`). Panics — naming the script and quoting its stderr — if
/// node cannot be started or runs longer than [`NODE_TIMEOUT`].
pub fn node_cli(script: &str, args: &[&str], env: &[(&str, &str)]) -> NodeOutput {
    let child = Command::new("node")
        .current_dir(interop_dir())
        .arg(script)
        .args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "cannot start `node {script}` ({e}): the interop tests need Node.js >= 20 on PATH"
            )
        });
    wait_for_node(script, child).1
}

/// Reads a started node script's stdout and stderr on their own threads and waits for it to
/// exit, killing it (and panicking with its stderr) after [`NODE_TIMEOUT`].
fn wait_for_node(script: &str, mut child: Child) -> (ExitStatus, NodeOutput) {
    let mut out_pipe = child.stdout.take().expect("stdout was piped");
    let mut err_pipe = child.stderr.take().expect("stderr was piped");
    let out_reader = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = out_pipe.read_to_end(&mut bytes);
        bytes
    });
    let err_reader = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = err_pipe.read_to_end(&mut bytes);
        bytes
    });
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() > NODE_TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                let stderr = err_reader.join().unwrap_or_default();
                panic!(
                    "`node {script}` did not finish within {NODE_TIMEOUT:?}; killed it. stderr: {}",
                    String::from_utf8_lossy(&stderr)
                );
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => panic!("cannot wait for `node {script}`: {e}"),
        }
    };
    let output = NodeOutput {
        code: status.code(),
        stdout: String::from_utf8_lossy(&out_reader.join().unwrap_or_default()).into_owned(),
        stderr: String::from_utf8_lossy(&err_reader.join().unwrap_or_default()).into_owned(),
    };
    (status, output)
}

/// Runs a harness script that must succeed (exit 0) and returns its JSON answer. Panics with
/// node's exit code and stderr otherwise.
pub fn node(script: &str, request: &Value) -> Value {
    let out = node_raw(script, request);
    assert_eq!(
        out.code,
        Some(0),
        "`node {script}` failed (exit {:?}).\nstderr: {}\nstdout: {}",
        out.code,
        out.stderr.trim(),
        out.stdout.trim()
    );
    serde_json::from_str(out.stdout.trim()).unwrap_or_else(|e| {
        panic!(
            "`node {script}` did not answer one JSON line ({e}).\nstdout: {}\nstderr: {}",
            out.stdout.trim(),
            out.stderr.trim()
        )
    })
}

/// [`run`] with environment changes: `(name, Some(value))` sets a variable, `(name, None)`
/// removes it (so a variable set in the developer's shell cannot change the outcome).
pub fn run_env(
    name: &str,
    dir: &Path,
    args: &[&str],
    stdin: Option<&[u8]>,
    env: &[(&str, Option<&str>)],
) -> Output {
    let mut command = Command::new(binary(name));
    command
        .current_dir(dir)
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // `passerelle-issuer init` installs the OB schema from here instead of fetching it
        // (tests run without network); a test can remove it through `env`.
        .env(OB_SCHEMA_ENV, ob_schema_file());
    for (key, value) in env {
        match value {
            Some(value) => command.env(key, value),
            None => command.env_remove(key),
        };
    }
    let mut child = command
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
    if let Some(bytes) = stdin {
        child
            .stdin
            .take()
            .expect("stdin was piped")
            .write_all(bytes)
            .or_else(|e| match e.kind() {
                std::io::ErrorKind::BrokenPipe => Ok(()),
                _ => Err(e),
            })
            .expect("write to the child's stdin");
    }
    child
        .wait_with_output()
        .expect("the child process can be awaited")
}

/// The environment variable `passerelle-issuer init` and `schema install` read a local copy of
/// the OB 3.0 schema from.
pub const OB_SCHEMA_ENV: &str = "PASSERELLE_OB_SCHEMA";

/// The OB 3.0 AchievementCredential JSON Schema from the official vectors.
pub fn ob_schema_file() -> PathBuf {
    vectors().join("openbadges/schema/ob_v3p0_achievementcredential_schema.json")
}

/// Turns on suspension entries (`[issuance] suspension = true`) in the issuer directory `dir`,
/// as an operator would by editing `issuer.toml`.
pub fn enable_suspension(dir: &Path) {
    let path = dir.join("issuer.toml");
    let text = std::fs::read_to_string(&path).expect("issuer.toml is readable");
    assert!(
        text.contains("suspension = false"),
        "issuer.toml has no `suspension = false` to turn on:\n{text}"
    );
    std::fs::write(
        &path,
        text.replace("suspension = false", "suspension = true"),
    )
    .expect("issuer.toml is writable");
}
