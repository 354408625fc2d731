//! Issue 11.8: a binary whose standard output is a pipe nobody reads any more (`… | head`) ends
//! quietly — killed by SIGPIPE as other Unix tools are — instead of panicking with exit 101.

use std::io::Write;
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};

use passerelle_tests::binary;

/// Runs `name args` with `stdin`, its standard output a pipe whose reading end is already
/// closed (so its first write fails, deterministically); returns (status, stderr).
fn with_closed_stdout(
    name: &str,
    dir: &std::path::Path,
    args: &[&str],
    stdin: &[u8],
    env: &[(&str, &str)],
) -> (std::process::ExitStatus, String) {
    let (reader, writer) = std::io::pipe().expect("a pipe");
    drop(reader);
    let mut command = Command::new(binary(name));
    command
        .current_dir(dir)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(writer)
        .stderr(Stdio::piped());
    for (k, v) in env {
        command.env(k, v);
    }
    let mut child = command.spawn().expect("start the binary");
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn assert_quiet(what: &str, status: std::process::ExitStatus, stderr: &str) {
    assert!(
        !stderr.contains("panicked") && status.code() != Some(101),
        "{what} panicked on a closed pipe ({status}): {stderr}"
    );
    assert_eq!(
        status.signal(),
        Some(13),
        "{what} should end by SIGPIPE, as Unix tools do ({status}): {stderr}"
    );
}

#[test]
fn every_binary_ends_quietly_when_its_output_pipe_is_closed() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let signed = passerelle_tests::vectors().join("openbadges/ldp-eddsa-rdfc-2022/signed.json");
    let signed = signed.to_str().unwrap();

    let (status, err) =
        with_closed_stdout("passerelle-verifier", dir, &["verify", signed], b"", &[]);
    assert_quiet("passerelle-verifier verify", status, &err);
    let (status, err) = with_closed_stdout(
        "passerelle-verifier",
        dir,
        &["verify", "--json", signed],
        b"",
        &[],
    );
    assert_quiet("passerelle-verifier verify --json", status, &err);

    let (status, err) = with_closed_stdout(
        "passerelle-issuer",
        dir,
        &["keygen", "--out", "k.jwk"],
        b"",
        &[],
    );
    assert_quiet("passerelle-issuer keygen", status, &err);

    let wallet = dir.join("w");
    let (status, err) = with_closed_stdout(
        "passerelle-wallet",
        dir,
        &[
            "--wallet",
            wallet.to_str().unwrap(),
            "--passphrase-stdin",
            "init",
        ],
        b"a wallet passphrase for the pipe test\n",
        &[],
    );
    assert_quiet("passerelle-wallet init", status, &err);
}
