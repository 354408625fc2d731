//! `passerelle-wallet` — the learner's wallet. Glue code: arguments, passphrases, terminal output
//! and exit codes over the `passerelle_wallet` library and `passerelle-core`: [`cli`] the
//! arguments, [`prompt`] the passphrases, [`terminal`] colour and escaping, [`importing`] the
//! `import` command and [`receiving`] its OpenID4VCI offers (shown, transaction code asked),
//! [`connecting`] the Open Badges API commands (`connect`, `sync`, `disconnect`, `connections`);
//! this file runs each other command, prints what the library returns and picks the exit code.
//!
//! Exit codes: 0 done; 1 a credential did not verify (or could not be fully verified, for
//! `verify`) or `import` (`connect`, `sync`) refused one, or `disconnect` could not revoke the
//! connection at a provider that has a revocation endpoint; 2 bad usage or input (unknown credential number, unreadable
//! source, …); 3 wrong passphrase, or the wallet is in use by another command; 4 the wallet is
//! damaged or the disk failed.

use std::fs;
use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{anyhow, bail, Context, Result};
use chrono::Utc;
use clap::Parser;
use passerelle_core::proof::Cryptosuite;
use passerelle_core::sealed::KdfParams;
use passerelle_core::{did, input, qr};
use passerelle_wallet::checking::{self, Checked};
use passerelle_wallet::fetch::{ExtraRoots, Fetcher};
use passerelle_wallet::import::Keep;
use passerelle_wallet::oid4vci::CredentialFormat;
use passerelle_wallet::present::{Draft, Request};
use passerelle_wallet::store::{self, Access, Entry, RestoreError, StoreError, Wallet};
use passerelle_wallet::{card, export};
use zeroize::Zeroizing;

use cli::{Cli, Command, FormatArg, SuiteArg};
use connecting::ConnectOptions;
use importing::ImportOptions;
use prompt::Passphrases;
use receiving::OfferOptions;
use terminal::{colour, safe, truncate, verdict_label};

mod cli;
mod connecting;
mod importing;
mod prompt;
mod receiving;
mod terminal;
use serde_json::{json, Value};

const PASSPHRASE_ENV: &str = "PASSERELLE_WALLET_PASSPHRASE";
const NEW_PASSPHRASE_ENV: &str = "PASSERELLE_WALLET_NEW_PASSPHRASE";
const WALLET_ENV: &str = "PASSERELLE_WALLET_DIR";
const MIN_PASSPHRASE_CHARS: usize = 10;

/// mimalloc instead of the system allocator: JSON-LD processing allocates heavily, and signing
/// and verifying eddsa-rdfc-2022 run faster with it (BENCHMARKS.md, "The allocator").
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
fn main() -> ExitCode {
    // `passerelle-wallet list | head` ends quietly, as other Unix tools do, instead of
    // panicking on the closed pipe.
    sigpipe::reset();
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            // Errors may quote what a server or an offer said (an issuer's name, an error
            // description, a URL): escaped like all credential text.
            eprintln!(
                "error: {}",
                safe(&passerelle_core::error_text::error_chain(e.as_ref()))
            );
            ExitCode::from(exit_code_of(&e))
        }
    }
}

fn exit_code_of(e: &anyhow::Error) -> u8 {
    for cause in e.chain() {
        let store = cause.downcast_ref::<StoreError>().or_else(|| {
            cause.downcast_ref::<RestoreError>().and_then(|r| match r {
                RestoreError::Store(s) => Some(s),
                _ => None,
            })
        });
        if let Some(store) = store {
            return match store {
                StoreError::WrongPassphrase { .. } | StoreError::Locked { .. } => 3,
                StoreError::NotFound { .. } | StoreError::AlreadyExists { .. } => 2,
                _ => 4,
            };
        }
        match cause.downcast_ref::<RestoreError>() {
            Some(RestoreError::WrongPassphrase) => return 3,
            Some(RestoreError::Damaged(_)) => return 4,
            _ => {}
        }
    }
    2
}

/// Refuses, before any work (and before a passphrase is asked for), to replace a file the
/// command would write, unless `--overwrite`.
fn refuse_existing_outputs(command: &Command, overwrite: bool) -> Result<()> {
    if overwrite {
        return Ok(());
    }
    let outputs: Vec<&Path> = match command {
        Command::Present {
            out: Some(path), ..
        } => vec![path],
        Command::Qr { png, svg, .. } => png.iter().chain(svg).map(PathBuf::as_path).collect(),
        Command::Export { baked, .. } => vec![baked],
        Command::Backup { file } => vec![file],
        _ => Vec::new(),
    };
    for path in outputs {
        if fs::symlink_metadata(path).is_ok() {
            bail!(
                "{} exists: choose another name, or add --overwrite to replace it",
                path.display()
            );
        }
    }
    Ok(())
}

fn run(cli: Cli) -> Result<u8> {
    refuse_existing_outputs(&cli.command, cli.overwrite)?;
    let dir = wallet_dir(cli.wallet)?;
    let stdin_pass = cli.passphrase_stdin;
    let private = Network {
        allow_private_network: cli.allow_private_network,
        ca_certs: cli.ca_certs,
    };
    let private = &private;
    match cli.command {
        Command::Init { json } => init(&dir, stdin_pass, json),
        Command::Import {
            source,
            tx_code,
            format,
            force,
            keep_unchecked,
            offline,
            json,
        } => importing::import(
            &dir,
            stdin_pass,
            &source,
            ImportOptions {
                keep: Keep {
                    failed: force,
                    unchecked: keep_unchecked,
                },
                offline,
                json,
                offer: OfferOptions {
                    tx_code: tx_code.map(Zeroizing::new),
                    format: format.map(|f| match f {
                        FormatArg::LdpVc => CredentialFormat::LdpVc,
                        FormatArg::JwtVcJson => CredentialFormat::JwtVcJson,
                    }),
                },
            },
            private,
        ),
        Command::List { json } => list(&dir, stdin_pass, json),
        Command::Show { number, json } => show(&dir, stdin_pass, number, json),
        Command::Verify {
            number,
            online,
            json,
        } => verify(&dir, stdin_pass, number, online, private, json),
        Command::Delete { number, yes } => delete(&dir, stdin_pass, number, yes),
        Command::Present {
            numbers,
            challenge,
            domain,
            out,
            suite,
        } => present(
            &dir,
            stdin_pass,
            &numbers,
            &challenge,
            &domain,
            out.as_deref(),
            suite,
        ),
        Command::Qr {
            number,
            png,
            svg,
            text,
        } => qr_code(
            &dir,
            stdin_pass,
            number,
            png.as_deref(),
            svg.as_deref(),
            text,
        ),
        Command::Export { number, baked } => export(&dir, stdin_pass, number, &baked),
        Command::Backup { file } => backup(&dir, stdin_pass, &file),
        Command::Restore { file } => restore(&dir, stdin_pass, &file),
        Command::Passphrase => change_passphrase(&dir, stdin_pass),
        Command::ConfirmEmail { address, json } => confirm_email(&dir, stdin_pass, &address, json),
        Command::Holder { json } => holder(&dir, stdin_pass, json),
        Command::Connect {
            url,
            no_browser,
            timeout,
            json,
        } => connecting::connect(
            &dir,
            stdin_pass,
            &url,
            ConnectOptions {
                browser: !no_browser,
                timeout: std::time::Duration::from_secs(timeout),
                json,
            },
            private,
        ),
        Command::Sync { provider, json } => {
            connecting::sync(&dir, stdin_pass, provider.as_deref(), json, private)
        }
        Command::Disconnect { provider } => {
            connecting::disconnect(&dir, stdin_pass, &provider, private)
        }
        Command::Connections { json } => connecting::connections(&dir, stdin_pass, json),
    }
}

/// How the wallet may fetch: the network flags.
struct Network {
    allow_private_network: bool,
    ca_certs: Vec<PathBuf>,
}

impl Network {
    /// The fetcher, with the extra roots of `--ca-cert` or `$SSL_CERT_FILE` (read only when
    /// something is to be fetched).
    fn fetcher(&self) -> Result<Fetcher> {
        let roots = ExtraRoots::load(
            &self.ca_certs,
            std::env::var_os("SSL_CERT_FILE").map(PathBuf::from),
        )?;
        Ok(Fetcher::new(self.allow_private_network, &roots)?)
    }
}

fn wallet_dir(given: Option<PathBuf>) -> Result<PathBuf> {
    if let Some(dir) = given {
        return Ok(dir);
    }
    if let Some(dir) = std::env::var_os(WALLET_ENV).filter(|v| !v.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    dirs::data_dir()
        .map(|d| d.join("passerelle").join("wallet"))
        .ok_or_else(|| {
            anyhow!(
                "cannot tell where your data directory is: pass --wallet DIR or set ${WALLET_ENV}"
            )
        })
}

// ---------------------------------------------------------------------------------------------
// Passphrases

fn open(dir: &Path, stdin_pass: bool, access: Access) -> Result<Wallet> {
    store::ensure_exists(dir)?;
    let passphrases = Passphrases::new(stdin_pass)?;
    let pass = passphrases.current("Wallet passphrase: ")?;
    Ok(Wallet::open(dir, &pass, access)?)
}

fn kdf_params() -> KdfParams {
    KdfParams::default()
}

// ---------------------------------------------------------------------------------------------
// Output helpers

fn print_json(value: &Value) -> Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

fn find(wallet: &Wallet, number: u64) -> Result<Entry> {
    wallet.index.entry(number).cloned().ok_or_else(|| {
        anyhow!("there is no credential #{number} in the wallet; `passerelle-wallet list` shows the numbers")
    })
}

fn write_output(path: &Path, bytes: &[u8]) -> Result<()> {
    let absolute = if path.is_absolute() {
        path.to_owned()
    } else {
        std::env::current_dir()?.join(path)
    };
    store::write_atomic(&absolute, bytes)
        .with_context(|| format!("cannot write {}", path.display()))
}

// ---------------------------------------------------------------------------------------------
// Commands

fn init(dir: &Path, stdin_pass: bool, json: bool) -> Result<u8> {
    if store::exists(dir) {
        return Err(StoreError::AlreadyExists {
            dir: dir.to_owned(),
        }
        .into());
    }
    let passphrases = Passphrases::new(stdin_pass)?;
    let pass = if stdin_pass || std::env::var_os(PASSPHRASE_ENV).is_some() {
        let pass = passphrases.current("")?;
        if pass.bytes().len() < MIN_PASSPHRASE_CHARS {
            bail!("the passphrase is too short: use at least {MIN_PASSPHRASE_CHARS} characters");
        }
        pass
    } else {
        passphrases.new_one(0, PASSPHRASE_ENV)?
    };
    let wallet = Wallet::create(dir, &pass, kdf_params())?;
    let holder = did::did_key(&wallet.index.holder()?.public()).to_string();
    if json {
        print_json(&json!({"wallet": dir, "holder": holder}))?;
    } else {
        println!("{holder}");
    }
    eprintln!(
        "Created the wallet in {} with your holder key {holder}.\n\
         Keep your passphrase safe: without it nobody, not even you, can open the wallet. \
         Make a backup now and then: `passerelle-wallet backup FILE`.",
        dir.display()
    );
    Ok(0)
}

fn holder(dir: &Path, stdin_pass: bool, json: bool) -> Result<u8> {
    let wallet = open(dir, stdin_pass, Access::Read)?;
    let holder = did::did_key(&wallet.index.holder()?.public()).to_string();
    if json {
        print_json(&json!({"holder": holder}))?;
    } else {
        println!("{holder}");
    }
    Ok(0)
}

fn list(dir: &Path, stdin_pass: bool, json: bool) -> Result<u8> {
    let wallet = open(dir, stdin_pass, Access::Read)?;
    if json {
        let items: Vec<Value> = wallet
            .index
            .credentials
            .iter()
            .map(card::entry_json)
            .collect();
        print_json(&Value::Array(items))?;
        return Ok(0);
    }
    if wallet.index.credentials.is_empty() {
        eprintln!("The wallet is empty: add a badge with `passerelle-wallet import FILE-OR-LINK`.");
        return Ok(0);
    }
    let mut out = io::BufWriter::new(io::stdout().lock());
    writeln!(
        out,
        "{:>4}  {:<40}  {:<30}  {:<10}  STATUS (LAST CHECKED)",
        "#", "ACHIEVEMENT", "ISSUER", "ISSUED"
    )?;
    for entry in &wallet.index.credentials {
        let issuer = card::issuer_short(entry);
        writeln!(
            out,
            "{:>4}  {:<40}  {:<30}  {:<10}  {}",
            entry.number,
            truncate(
                &safe(entry.achievement.as_deref().unwrap_or("(unnamed)")),
                40
            ),
            truncate(&safe(issuer), 30),
            entry
                .issued
                .as_deref()
                .and_then(|d| d.get(..10))
                .unwrap_or("?"),
            verdict_label(entry)
        )?;
    }
    out.flush()?;
    Ok(0)
}

fn show(dir: &Path, stdin_pass: bool, number: u64, json: bool) -> Result<u8> {
    let wallet = open(dir, stdin_pass, Access::Read)?;
    let entry = find(&wallet, number)?;
    let text = wallet.document(&entry)?;
    if json {
        match input::parse_json(text.as_bytes(), &input::InputLimits::default()) {
            Ok(value) => print_json(&value)?,
            Err(_) => print_json(&Value::String(text))?,
        }
        return Ok(0);
    }
    let presented = checking::parse(&text)?;
    let lines = card::lines(
        &entry,
        &presented,
        || Ok::<_, StoreError>(did::did_key(&wallet.index.holder()?.public()).to_string()),
        &wallet.index.confirmed_emails,
    )?;
    println!("#{number}");
    println!("  {:<12} {}", colour("1", "Status"), verdict_label(&entry));
    for (label, value) in lines {
        println!("  {:<12} {}", colour("1", label), safe(&value));
    }
    for (label, value) in card::endorsement_lines(&presented, Utc::now()) {
        println!("  {:<12} {}", colour("1", label), safe(&value));
    }
    Ok(0)
}

/// `confirm-email ADDRESS`: checks the address against every credential's hashed identifiers,
/// locally, and remembers it when at least one credential names it.
fn confirm_email(dir: &Path, stdin_pass: bool, address: &str, json: bool) -> Result<u8> {
    let address = address.trim();
    if address.is_empty() || !address.contains('@') {
        bail!("confirm-email {address:?}: give an email address (name@example.org)");
    }
    let mut wallet = open(dir, stdin_pass, Access::Write)?;
    let mut matching = Vec::new();
    for entry in wallet.index.credentials.clone() {
        let text = wallet.document(&entry)?;
        let Ok(presented) = checking::parse(&text) else {
            continue;
        };
        if card::addressed_to(&presented, address) {
            matching.push(entry.number);
        }
    }
    if json {
        print_json(&json!({"address": address, "credentials": matching}))?;
    }
    if matching.is_empty() {
        eprintln!(
            "No credential in the wallet is addressed to {}: nothing confirmed. Check the \
             spelling, or import the credential first.",
            safe(address)
        );
        return Ok(1);
    }
    if !wallet.index.confirmed_emails.iter().any(|a| a == address) {
        wallet.index.confirmed_emails.push(address.to_owned());
    }
    wallet.save_index()?;
    let numbers: Vec<String> = matching.iter().map(|n| format!("#{n}")).collect();
    eprintln!(
        "Confirmed {}: {} addressed to it ({}); `show` now calls its recipient you.",
        safe(address),
        if matching.len() == 1 {
            "one credential is"
        } else {
            "credentials are"
        },
        numbers.join(", ")
    );
    Ok(0)
}

fn verify(
    dir: &Path,
    stdin_pass: bool,
    number: u64,
    online: bool,
    network: &Network,
    json: bool,
) -> Result<u8> {
    let mut wallet = open(dir, stdin_pass, Access::Write)?;
    let entry = find(&wallet, number)?;
    let text = wallet.document(&entry)?;
    let presented = checking::parse(&text)?;
    let fetcher = if online {
        Some(network.fetcher()?)
    } else {
        None
    };
    let checked = checking::check(
        &mut wallet,
        &presented,
        Utc::now(),
        fetcher.as_ref(),
        online,
    )?;
    if let Some(stored) = wallet
        .index
        .credentials
        .iter_mut()
        .find(|e| e.number == number)
    {
        checked.record(stored, online, Utc::now());
    }
    wallet.save_index()?;
    if json {
        print_json(&checked.to_json())?;
    } else {
        let Checked {
            report,
            status_as_of,
            refresh_failures,
            ..
        } = &checked;
        print!("{report}");
        if !refresh_failures.is_empty() {
            println!(
                "\nCould not refresh from the network, so the wallet's cached copies were used:"
            );
            for (url, reason) in refresh_failures {
                println!("  · {}: {}", safe(url), safe(reason));
            }
        }
        if let Some(oldest) = status_as_of.first() {
            if online {
                println!(
                    "\nStatus as of {oldest} (from the wallet's cache, not current): the refresh failed (above)."
                );
            } else {
                println!(
                    "\nStatus as of {oldest} (from the wallet's cache, not current): run `passerelle-wallet verify {number} --online` for the current status."
                );
            }
        }
    }
    Ok(if checked.report.is_verified() { 0 } else { 1 })
}

fn delete(dir: &Path, stdin_pass: bool, number: u64, yes: bool) -> Result<u8> {
    let mut wallet = open(dir, stdin_pass, Access::Write)?;
    let entry = find(&wallet, number)?;
    let name = entry
        .achievement
        .clone()
        .unwrap_or_else(|| "(unnamed)".into());
    if !yes {
        if stdin_pass || !io::stdin().is_terminal() {
            bail!("deleting needs a confirmation: run it on a terminal, or add --yes");
        }
        eprint!("Delete #{number} \"{name}\" from the wallet? This cannot be undone (unless you have a backup). [y/N] ");
        io::stderr().flush()?;
        let mut answer = String::new();
        io::stdin().read_line(&mut answer)?;
        if !matches!(answer.trim(), "y" | "Y" | "yes") {
            eprintln!("Nothing deleted.");
            return Ok(0);
        }
    }
    wallet.remove(number)?;
    eprintln!("Deleted #{number} \"{name}\".");
    Ok(0)
}

fn present(
    dir: &Path,
    stdin_pass: bool,
    numbers: &[u64],
    challenge: &str,
    domain: &str,
    out: Option<&Path>,
    suite: SuiteArg,
) -> Result<u8> {
    let request = Request::new(challenge, domain)?;
    let wallet = open(dir, stdin_pass, Access::Read)?;
    let holder = wallet.index.holder()?;
    let mut draft = Draft::new(&holder)?;
    for &number in numbers {
        let entry = find(&wallet, number)?;
        if entry.forced {
            eprintln!("warning: #{number} failed verification when it was imported; the verifier will likely refuse it");
        }
        if entry.unchecked {
            eprintln!("warning: #{number} has not been fully checked (its signature or status could not be checked); run `passerelle-wallet verify {number} --online` first");
        }
        draft = draft.add(number, &wallet.document(&entry)?)?;
    }
    let cryptosuite = match suite {
        SuiteArg::EddsaRdfc2022 => Cryptosuite::EddsaRdfc2022,
        SuiteArg::EddsaJcs2022 => Cryptosuite::EddsaJcs2022,
    };
    let text = draft.sign(
        &holder,
        &request,
        cryptosuite,
        &store::timestamp(Utc::now()),
    )?;
    match out {
        Some(path) => {
            write_output(path, text.as_bytes())?;
            eprintln!(
                "Wrote a presentation of {} credential(s) for {} to {}.",
                numbers.len(),
                request.domain(),
                path.display()
            );
        }
        None => print!("{text}"),
    }
    Ok(0)
}

fn qr_code(
    dir: &Path,
    stdin_pass: bool,
    number: u64,
    png: Option<&Path>,
    svg: Option<&Path>,
    text_only: bool,
) -> Result<u8> {
    let wallet = open(dir, stdin_pass, Access::Read)?;
    let entry = find(&wallet, number)?;
    let document = wallet.document(&entry)?;
    let payload = qr::payload_for(document.trim(), entry.link.as_deref()).map_err(|e| {
        anyhow!("{e}. Share the credential as a file instead: `passerelle-wallet export {number} --baked badge.png`")
    })?;
    if payload.starts_with("http") {
        eprintln!(
            "The credential is too large for a QR code; the code holds the link it came from."
        );
    }
    if let Some(path) = png {
        write_output(path, &qr::render_png(&payload, 8)?)?;
        eprintln!("Wrote {}.", path.display());
    }
    if let Some(path) = svg {
        write_output(path, qr::render_svg(&payload)?.as_bytes())?;
        eprintln!("Wrote {}.", path.display());
    }
    if text_only {
        println!("{payload}");
    } else if png.is_none() && svg.is_none() {
        print!("{}", qr::render_terminal(&payload)?);
    }
    Ok(0)
}

fn export(dir: &Path, stdin_pass: bool, number: u64, out: &Path) -> Result<u8> {
    let wallet = open(dir, stdin_pass, Access::Read)?;
    let entry = find(&wallet, number)?;
    let text = wallet.document(&entry)?;
    let presented = checking::parse(&text)?;
    let bytes = export::baked(out, &text, &presented, entry.achievement.as_deref())?;
    write_output(out, &bytes)?;
    eprintln!("Wrote #{number} baked into {}.", out.display());
    Ok(0)
}

fn backup(dir: &Path, stdin_pass: bool, file: &Path) -> Result<u8> {
    let passphrases = Passphrases::new(stdin_pass)?;
    store::ensure_exists(dir)?;
    let pass = passphrases.current("Wallet passphrase: ")?;
    let wallet = Wallet::open(dir, &pass, Access::Read)?;
    let blob = wallet.backup(&pass, kdf_params())?;
    write_output(file, &blob)?;
    eprintln!(
        "Backed up {} credential(s) to {} (encrypted with the wallet's passphrase). Keep it somewhere else than this computer.",
        wallet.index.credentials.len(),
        file.display()
    );
    Ok(0)
}

fn restore(dir: &Path, stdin_pass: bool, file: &Path) -> Result<u8> {
    if store::exists(dir) {
        bail!(
            "a wallet already exists in {}: restore into a new directory with --wallet DIR (nothing was changed)",
            dir.display()
        );
    }
    let blob =
        fs::read(file).with_context(|| format!("cannot read the backup {}", file.display()))?;
    let passphrases = Passphrases::new(stdin_pass)?;
    let pass = passphrases.current("Backup passphrase: ")?;
    let (wallet, count) = Wallet::restore(dir, &blob, &pass, kdf_params()).map_err(|e| {
        let damaged = matches!(e, RestoreError::Damaged(_));
        let e = anyhow::Error::new(e);
        if damaged {
            e.context(format!("the backup file {} is damaged", file.display()))
        } else {
            e
        }
    })?;
    eprintln!(
        "Restored {count} credential(s) into {}; the backup's passphrase opens it.",
        wallet.dir().display()
    );
    Ok(0)
}

fn change_passphrase(dir: &Path, stdin_pass: bool) -> Result<u8> {
    store::ensure_exists(dir)?;
    let passphrases = Passphrases::new(stdin_pass)?;
    let old = passphrases.current("Current wallet passphrase: ")?;
    let mut wallet = Wallet::open(dir, &old, Access::Write)?;
    let new = passphrases.new_one(1, NEW_PASSPHRASE_ENV)?;
    wallet.change_passphrase(&new, kdf_params())?;
    eprintln!("Passphrase changed; backups made before still open with the old one.");
    Ok(0)
}
