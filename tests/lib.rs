//! Helpers for the end-to-end test binary (`end_to_end/`): locating the official vectors, building
//! and running the real binaries in scratch directories, and driving the reference JavaScript
//! implementations in `interop/`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

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
    let mut child = Command::new(binary(name))
        .current_dir(dir)
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
    if let Some(bytes) = stdin {
        child
            .stdin
            .take()
            .expect("stdin was piped")
            .write_all(bytes)
            .expect("write to the child's stdin");
    }
    child
        .wait_with_output()
        .expect("the child process can be awaited")
}

/// Standard output as text.
pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Standard error as text.
pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}
