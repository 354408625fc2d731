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
use passerelle_wallet::fetch::{ExtraRoots, FetchError, Fetcher};
use passerelle_wallet::i18n::{self, Messages};
use passerelle_wallet::import::Keep;
use passerelle_wallet::oid4vci::CredentialFormat;
use passerelle_wallet::present::{Draft, Request};
use passerelle_wallet::source::SourceError;
use passerelle_wallet::store::{self, Access, Entry, RestoreError, StoreError, Wallet};
use passerelle_wallet::{card, export};
use zeroize::Zeroizing;

use cli::{Cli, Command, FormatArg, SuiteArg};
use connecting::ConnectOptions;
use importing::ImportOptions;
use prompt::Passphrases;
use receiving::OfferOptions;
use terminal::{colour, is_yes, safe, truncate, verdict_label};

mod cli;
mod connecting;
mod importing;
mod prompt;
mod receiving;
mod reporting;
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
    let catalogues = match i18n::builtin() {
        Ok(catalogues) => catalogues,
        Err(e) => {
            eprintln!("error: the wallet's messages are damaged: {e}");
            return ExitCode::from(4);
        }
    };
    let locale = i18n::environment_locale(|name| std::env::var(name).ok());
    let m = match i18n::choose(&catalogues, cli.lang.as_deref(), locale.as_deref()) {
        Ok(m) => m,
        Err(e) => {
            let english = catalogues.negotiate(None, None);
            eprintln!(
                "{}",
                english.format("wallet.error", &[("message", &safe(&e.to_string()))])
            );
            return ExitCode::from(2);
        }
    };
    match run(cli, m) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            // Errors may quote what a server or an offer said (an issuer's name, an error
            // description, a URL): escaped like all credential text.
            eprintln!(
                "{}",
                m.format("wallet.error", &[("message", &safe(&error_text(&e, &m)))])
            );
            ExitCode::from(exit_code_of(&e))
        }
    }
}

/// An error and its causes in one line, as `error_chain` says them, with the errors a learner
/// meets most (wrong passphrase, no wallet, wallet in use, unreadable file, not a credential,
/// the network refused) in the reader's language; other causes are the library's English words.
pub(crate) fn error_text(e: &anyhow::Error, m: &Messages<'_>) -> String {
    let mut said = String::new();
    let mut text = String::new();
    for cause in e.chain() {
        let english = cause.to_string();
        if english.is_empty() || said.contains(&english) {
            continue;
        }
        said.push_str(&english);
        said.push('\n');
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&localized_cause(cause, m).unwrap_or(english));
    }
    text
}

fn localized_cause(cause: &(dyn std::error::Error + 'static), m: &Messages<'_>) -> Option<String> {
    let dir = |dir: &Path| dir.display().to_string();
    if let Some(store) = cause.downcast_ref::<StoreError>().or_else(|| {
        cause.downcast_ref::<RestoreError>().and_then(|r| match r {
            RestoreError::Store(s) => Some(s),
            _ => None,
        })
    }) {
        return match store {
            StoreError::WrongPassphrase { dir: d } => {
                Some(m.format("wallet.error.wrong_passphrase", &[("dir", &dir(d))]))
            }
            StoreError::NotFound { dir: d } => {
                Some(m.format("wallet.error.no_wallet", &[("dir", &dir(d))]))
            }
            StoreError::AlreadyExists { dir: d } => {
                Some(m.format("wallet.error.wallet_exists", &[("dir", &dir(d))]))
            }
            StoreError::Locked { dir: d } => {
                Some(m.format("wallet.error.locked", &[("dir", &dir(d))]))
            }
            _ => None,
        };
    }
    if let Some(RestoreError::WrongPassphrase) = cause.downcast_ref::<RestoreError>() {
        return Some(m.t("wallet.error.wrong_backup_passphrase").to_owned());
    }
    if let Some(source) = cause.downcast_ref::<SourceError>() {
        return match source {
            SourceError::Unknown { source_name } => {
                Some(m.format("wallet.error.unknown_source", &[("source", source_name)]))
            }
            SourceError::Read { path, reason } => Some(m.format(
                "wallet.error.unreadable",
                &[("path", path), ("reason", reason)],
            )),
            _ => None,
        };
    }
    if let Some(fetch) = cause.downcast_ref::<FetchError>() {
        return match fetch {
            FetchError::Refused(policy) => Some(m.format(
                "wallet.error.network_refused",
                &[("reason", &policy.to_string())],
            )),
            FetchError::Network { url, reason } => {
                Some(m.format("wallet.error.network", &[("url", url), ("reason", reason)]))
            }
            FetchError::Status { url, status } => Some(m.format(
                "wallet.error.http_status",
                &[("url", url), ("status", &status.to_string())],
            )),
            _ => None,
        };
    }
    if cause
        .downcast_ref::<passerelle_core::verify::VerifyInputError>()
        .is_some()
    {
        return Some(m.format(
            "wallet.error.not_a_credential",
            &[("reason", &cause.to_string())],
        ));
    }
    None
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
fn refuse_existing_outputs(command: &Command, overwrite: bool, m: &Messages<'_>) -> Result<()> {
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
            bail!(m.format(
                "wallet.error.output_exists",
                &[("path", &path.display().to_string())]
            ));
        }
    }
    Ok(())
}

fn run(cli: Cli, m: Messages<'_>) -> Result<u8> {
    refuse_existing_outputs(&cli.command, cli.overwrite, &m)?;
    let dir = wallet_dir(cli.wallet)?;
    let m = &m;
    let stdin_pass = cli.passphrase_stdin;
    let private = Network {
        allow_private_network: cli.allow_private_network,
        ca_certs: cli.ca_certs,
    };
    let private = &private;
    match cli.command {
        Command::Init { json } => init(&dir, stdin_pass, json, m),
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
            m,
        ),
        Command::List { json } => list(&dir, stdin_pass, json, m),
        Command::Show { number, json } => show(&dir, stdin_pass, number, json, m),
        Command::Verify {
            number,
            online,
            json,
        } => verify(&dir, stdin_pass, number, online, private, json, m),
        Command::Delete { number, yes } => delete(&dir, stdin_pass, number, yes, m),
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
            // Checked before the passphrase is asked for.
            &Request::new(&challenge, &domain)?,
            out.as_deref(),
            suite,
            m,
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
            m,
        ),
        Command::Export { number, baked } => export(&dir, stdin_pass, number, &baked, m),
        Command::Backup { file } => backup(&dir, stdin_pass, &file, m),
        Command::Restore { file } => restore(&dir, stdin_pass, &file, m),
        Command::Passphrase => change_passphrase(&dir, stdin_pass, m),
        Command::ConfirmEmail { address, json } => {
            confirm_email(&dir, stdin_pass, &address, json, m)
        }
        Command::Holder { json } => holder(&dir, stdin_pass, json, m),
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
            m,
        ),
        Command::Sync { provider, json } => {
            connecting::sync(&dir, stdin_pass, provider.as_deref(), json, private, m)
        }
        Command::Disconnect { provider } => {
            connecting::disconnect(&dir, stdin_pass, &provider, private, m)
        }
        Command::Connections { json } => connecting::connections(&dir, stdin_pass, json, m),
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

fn open(dir: &Path, stdin_pass: bool, access: Access, m: &Messages<'_>) -> Result<Wallet> {
    store::ensure_exists(dir)?;
    let passphrases = Passphrases::new(stdin_pass, m)?;
    let pass = passphrases.current(m.t("wallet.prompt.passphrase"))?;
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

fn find(wallet: &Wallet, number: u64, m: &Messages<'_>) -> Result<Entry> {
    wallet.index.entry(number).cloned().ok_or_else(|| {
        anyhow!(m.format(
            "wallet.error.no_such_credential",
            &[("number", &number.to_string())]
        ))
    })
}

fn write_output(path: &Path, bytes: &[u8], m: &Messages<'_>) -> Result<()> {
    let absolute = if path.is_absolute() {
        path.to_owned()
    } else {
        std::env::current_dir()?.join(path)
    };
    store::write_atomic(&absolute, bytes).with_context(|| {
        m.format(
            "wallet.error.cannot_write",
            &[("path", &path.display().to_string())],
        )
    })
}

// ---------------------------------------------------------------------------------------------
// Commands

fn init(dir: &Path, stdin_pass: bool, json: bool, m: &Messages<'_>) -> Result<u8> {
    if store::exists(dir) {
        return Err(StoreError::AlreadyExists {
            dir: dir.to_owned(),
        }
        .into());
    }
    let passphrases = Passphrases::new(stdin_pass, m)?;
    let pass = if stdin_pass || std::env::var_os(PASSPHRASE_ENV).is_some() {
        let pass = passphrases.current("")?;
        if pass.bytes().len() < MIN_PASSPHRASE_CHARS {
            bail!(m.format(
                "wallet.error.passphrase_too_short",
                &[("min", &MIN_PASSPHRASE_CHARS.to_string())]
            ));
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
        "{}",
        m.format(
            "wallet.init.created",
            &[("dir", &dir.display().to_string()), ("holder", &holder)]
        )
    );
    Ok(0)
}

fn holder(dir: &Path, stdin_pass: bool, json: bool, m: &Messages<'_>) -> Result<u8> {
    let wallet = open(dir, stdin_pass, Access::Read, m)?;
    let holder = did::did_key(&wallet.index.holder()?.public()).to_string();
    if json {
        print_json(&json!({"holder": holder}))?;
    } else {
        println!("{holder}");
    }
    Ok(0)
}

fn list(dir: &Path, stdin_pass: bool, json: bool, m: &Messages<'_>) -> Result<u8> {
    let wallet = open(dir, stdin_pass, Access::Read, m)?;
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
        eprintln!("{}", m.t("wallet.list.empty"));
        return Ok(0);
    }
    let mut out = io::BufWriter::new(io::stdout().lock());
    writeln!(
        out,
        "{:>4}  {}  {}  {}  {}",
        "#",
        column(m.t("wallet.list.achievement"), 40),
        column(m.t("wallet.list.issuer"), 30),
        column(m.t("wallet.list.issued"), 10),
        m.t("wallet.list.status")
    )?;
    for entry in &wallet.index.credentials {
        let issuer = card::issuer_short(entry);
        writeln!(
            out,
            "{:>4}  {:<40}  {:<30}  {:<10}  {}",
            entry.number,
            truncate(
                &safe(entry.achievement.as_deref().unwrap_or(m.t("card.unnamed"))),
                40
            ),
            truncate(&safe(issuer), 30),
            entry
                .issued
                .as_deref()
                .and_then(|d| d.get(..10))
                .unwrap_or("?"),
            verdict_label(entry, m)
        )?;
    }
    out.flush()?;
    Ok(0)
}

/// A table heading cut or padded to `width` characters.
fn column(text: &str, width: usize) -> String {
    let text = truncate(text, width);
    let fill = width.saturating_sub(text.chars().count());
    format!("{text}{}", " ".repeat(fill))
}

fn show(dir: &Path, stdin_pass: bool, number: u64, json: bool, m: &Messages<'_>) -> Result<u8> {
    let wallet = open(dir, stdin_pass, Access::Read, m)?;
    let entry = find(&wallet, number, m)?;
    let text = wallet.document(&entry)?;
    if json {
        match input::parse_json(text.as_bytes(), &input::InputLimits::default()) {
            Ok(value) => print_json(&value)?,
            Err(_) => print_json(&Value::String(text))?,
        }
        return Ok(0);
    }
    let presented = checking::parse(&text)?;
    let mut lines = card::lines(
        &entry,
        &presented,
        || Ok::<_, StoreError>(did::did_key(&wallet.index.holder()?.public()).to_string()),
        &wallet.index.confirmed_emails,
        m,
    )?;
    lines.extend(card::endorsement_lines(&presented, Utc::now(), m));
    let status = m.t("card.status");
    let width = lines
        .iter()
        .map(|(label, _)| label.chars().count())
        .chain([status.chars().count()])
        .max()
        .unwrap_or(0)
        .max(12);
    let label = |text: &str| {
        let fill = " ".repeat(width - text.chars().count());
        format!("{}{fill}", colour("1", text))
    };
    println!("#{number}");
    println!("  {} {}", label(status), verdict_label(&entry, m));
    for (name, value) in lines {
        println!("  {} {}", label(&name), safe(&value));
    }
    Ok(0)
}

/// `confirm-email ADDRESS`: checks the address against every credential's hashed identifiers,
/// locally, and remembers it when at least one credential names it.
fn confirm_email(
    dir: &Path,
    stdin_pass: bool,
    address: &str,
    json: bool,
    m: &Messages<'_>,
) -> Result<u8> {
    let address = address.trim();
    if address.is_empty() || !address.contains('@') {
        bail!(m.format(
            "wallet.confirm.not_an_address",
            &[("address", &format!("{address:?}"))]
        ));
    }
    let mut wallet = open(dir, stdin_pass, Access::Write, m)?;
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
            "{}",
            m.format("wallet.confirm.none", &[("address", &safe(address))])
        );
        return Ok(1);
    }
    if !wallet.index.confirmed_emails.iter().any(|a| a == address) {
        wallet.index.confirmed_emails.push(address.to_owned());
    }
    wallet.save_index()?;
    let numbers: Vec<String> = matching.iter().map(|n| format!("#{n}")).collect();
    eprintln!(
        "{}",
        m.format(
            if matching.len() == 1 {
                "wallet.confirm.one"
            } else {
                "wallet.confirm.many"
            },
            &[
                ("address", &safe(address)),
                ("numbers", &numbers.join(", ")),
                ("count", &m.number(&matching.len().to_string())),
            ]
        )
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
    m: &Messages<'_>,
) -> Result<u8> {
    let mut wallet = open(dir, stdin_pass, Access::Write, m)?;
    let entry = find(&wallet, number, m)?;
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
        m,
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
        let credential = checking::credential_of(&presented);
        print!("{}", reporting::report_text(report, credential.as_ref(), m));
        if !refresh_failures.is_empty() {
            println!("\n{}", m.t("wallet.verify.refresh_failed"));
            for (url, reason) in refresh_failures {
                println!("  · {}: {}", safe(url), safe(reason));
            }
        }
        if let Some(oldest) = status_as_of.first() {
            let oldest = m.moment(oldest);
            if online {
                println!(
                    "\n{}",
                    m.format("wallet.verify.cached_refresh_failed", &[("date", &oldest)])
                );
            } else {
                println!(
                    "\n{}",
                    m.format(
                        "wallet.verify.cached_offline",
                        &[("date", &oldest), ("number", &number.to_string())]
                    )
                );
            }
        }
    }
    Ok(if checked.report.is_verified() { 0 } else { 1 })
}

fn delete(dir: &Path, stdin_pass: bool, number: u64, yes: bool, m: &Messages<'_>) -> Result<u8> {
    let mut wallet = open(dir, stdin_pass, Access::Write, m)?;
    let entry = find(&wallet, number, m)?;
    let name = safe(entry.achievement.as_deref().unwrap_or(m.t("card.unnamed")));
    let args = [("number", number.to_string()), ("name", name)];
    let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
    if !yes {
        if stdin_pass || !io::stdin().is_terminal() {
            bail!(m.t("wallet.delete.needs_confirmation").to_owned());
        }
        eprint!("{} ", m.format("wallet.delete.ask", &args));
        io::stderr().flush()?;
        let mut answer = String::new();
        io::stdin().read_line(&mut answer)?;
        if !is_yes(&answer, m) {
            eprintln!("{}", m.t("wallet.delete.nothing"));
            return Ok(0);
        }
    }
    wallet.remove(number)?;
    eprintln!("{}", m.format("wallet.delete.done", &args));
    Ok(0)
}

fn present(
    dir: &Path,
    stdin_pass: bool,
    numbers: &[u64],
    request: &Request,
    out: Option<&Path>,
    suite: SuiteArg,
    m: &Messages<'_>,
) -> Result<u8> {
    let wallet = open(dir, stdin_pass, Access::Read, m)?;
    let holder = wallet.index.holder()?;
    let mut draft = Draft::new(&holder)?;
    for &number in numbers {
        let entry = find(&wallet, number, m)?;
        let n = [("number", number.to_string())];
        let n: Vec<(&str, &str)> = n.iter().map(|(k, v)| (*k, v.as_str())).collect();
        if entry.forced {
            let message = m.format("wallet.present.forced", &n);
            eprintln!("{}", m.format("wallet.warning", &[("message", &message)]));
        }
        if entry.unchecked {
            let message = m.format("wallet.present.unchecked", &n);
            eprintln!("{}", m.format("wallet.warning", &[("message", &message)]));
        }
        draft = draft.add(number, &wallet.document(&entry)?)?;
    }
    let cryptosuite = match suite {
        SuiteArg::EddsaRdfc2022 => Cryptosuite::EddsaRdfc2022,
        SuiteArg::EddsaJcs2022 => Cryptosuite::EddsaJcs2022,
    };
    let text = draft.sign(&holder, request, cryptosuite, &store::timestamp(Utc::now()))?;
    match out {
        Some(path) => {
            write_output(path, text.as_bytes(), m)?;
            eprintln!(
                "{}",
                m.format(
                    "wallet.present.wrote",
                    &[
                        ("count", &m.number(&numbers.len().to_string())),
                        ("domain", &safe(request.domain())),
                        ("path", &path.display().to_string()),
                    ]
                )
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
    m: &Messages<'_>,
) -> Result<u8> {
    let wallet = open(dir, stdin_pass, Access::Read, m)?;
    let entry = find(&wallet, number, m)?;
    let document = wallet.document(&entry)?;
    let payload = qr::payload_for(document.trim(), entry.link.as_deref()).map_err(|e| {
        anyhow!(m.format(
            "wallet.qr.too_large",
            &[("reason", &e.to_string()), ("number", &number.to_string())]
        ))
    })?;
    if payload.starts_with("http") {
        eprintln!("{}", m.t("wallet.qr.link_instead"));
    }
    let wrote = |path: &Path| {
        eprintln!(
            "{}",
            m.format("wallet.wrote", &[("path", &path.display().to_string())])
        );
    };
    if let Some(path) = png {
        write_output(path, &qr::render_png(&payload, 8)?, m)?;
        wrote(path);
    }
    if let Some(path) = svg {
        write_output(path, qr::render_svg(&payload)?.as_bytes(), m)?;
        wrote(path);
    }
    if text_only {
        println!("{payload}");
    } else if png.is_none() && svg.is_none() {
        print!("{}", qr::render_terminal(&payload)?);
    }
    Ok(0)
}

fn export(dir: &Path, stdin_pass: bool, number: u64, out: &Path, m: &Messages<'_>) -> Result<u8> {
    let wallet = open(dir, stdin_pass, Access::Read, m)?;
    let entry = find(&wallet, number, m)?;
    let text = wallet.document(&entry)?;
    let presented = checking::parse(&text)?;
    let bytes = export::baked(out, &text, &presented, entry.achievement.as_deref())?;
    write_output(out, &bytes, m)?;
    eprintln!(
        "{}",
        m.format(
            "wallet.export.wrote",
            &[
                ("number", &number.to_string()),
                ("path", &out.display().to_string())
            ]
        )
    );
    Ok(0)
}

fn backup(dir: &Path, stdin_pass: bool, file: &Path, m: &Messages<'_>) -> Result<u8> {
    let passphrases = Passphrases::new(stdin_pass, m)?;
    store::ensure_exists(dir)?;
    let pass = passphrases.current(m.t("wallet.prompt.passphrase"))?;
    let wallet = Wallet::open(dir, &pass, Access::Read)?;
    let blob = wallet.backup(&pass, kdf_params())?;
    write_output(file, &blob, m)?;
    eprintln!(
        "{}",
        m.format(
            "wallet.backup.done",
            &[
                (
                    "count",
                    &m.number(&wallet.index.credentials.len().to_string())
                ),
                ("path", &file.display().to_string())
            ]
        )
    );
    Ok(0)
}

fn restore(dir: &Path, stdin_pass: bool, file: &Path, m: &Messages<'_>) -> Result<u8> {
    let file_name = file.display().to_string();
    if store::exists(dir) {
        bail!(m.format(
            "wallet.restore.exists",
            &[("dir", &dir.display().to_string())]
        ));
    }
    let blob = fs::read(file)
        .with_context(|| m.format("wallet.restore.unreadable", &[("path", &file_name)]))?;
    let passphrases = Passphrases::new(stdin_pass, m)?;
    let pass = passphrases.current(m.t("wallet.prompt.backup_passphrase"))?;
    let (wallet, count) = Wallet::restore(dir, &blob, &pass, kdf_params()).map_err(|e| {
        let damaged = matches!(e, RestoreError::Damaged(_));
        let e = anyhow::Error::new(e);
        if damaged {
            e.context(m.format("wallet.restore.damaged", &[("path", &file_name)]))
        } else {
            e
        }
    })?;
    eprintln!(
        "{}",
        m.format(
            "wallet.restore.done",
            &[
                ("count", &m.number(&count.to_string())),
                ("dir", &wallet.dir().display().to_string())
            ]
        )
    );
    Ok(0)
}

fn change_passphrase(dir: &Path, stdin_pass: bool, m: &Messages<'_>) -> Result<u8> {
    store::ensure_exists(dir)?;
    let passphrases = Passphrases::new(stdin_pass, m)?;
    let old = passphrases.current(m.t("wallet.prompt.current_passphrase"))?;
    let mut wallet = Wallet::open(dir, &old, Access::Write)?;
    let new = passphrases.new_one(1, NEW_PASSPHRASE_ENV)?;
    wallet.change_passphrase(&new, kdf_params())?;
    eprintln!("{}", m.t("wallet.passphrase.changed"));
    Ok(0)
}
