//! `passerelle-issuer` — the provider's command line. Thin glue over `passerelle-core`: it reads
//! files, takes the clock, and writes results; every rule lives in the core.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use passerelle_core::keys::KeyPair;
use passerelle_core::{did, input, jose, model, proof};
use serde_json::Value;

mod cli;

/// mimalloc instead of the system allocator: JSON-LD processing allocates heavily, and signing
/// and verifying eddsa-rdfc-2022 run faster with it (BENCHMARKS.md, "The allocator").
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "passerelle-issuer",
    version,
    about = "Issue Open Badges 3.0 credentials signed with Ed25519"
)]
struct Cli {
    /// The issuer directory (config and SQLite database) for `init` and `achievement`;
    /// default ./passerelle-issuer.
    #[arg(long, global = true, env = cli::DIR_ENV)]
    dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create an Ed25519 private key as an OKP JWK (RFC 8037), file mode 0600; prints its did:key.
    Keygen {
        /// Where to write the key. Refuses to overwrite an existing file.
        #[arg(long)]
        out: PathBuf,
    },
    /// Sign a credential and print it (a compact JWS for vc-jose).
    Sign {
        /// The private key (OKP JWK) made by `keygen`.
        #[arg(long)]
        key: PathBuf,
        /// The proof format.
        #[arg(long, value_enum, default_value_t = Suite::EddsaRdfc2022)]
        suite: Suite,
        /// The proof's `created` time (RFC 3339); default: now, to the second.
        #[arg(long)]
        created: Option<String>,
        /// Keep the credential's issuer id instead of setting it to the key's did:key.
        #[arg(long)]
        keep_issuer: bool,
        /// The verification method to name (default: the key's did:key method; with
        /// --keep-issuer and an issuer that is not this did:key, you must give one).
        #[arg(long)]
        verification_method: Option<String>,
        /// The unsigned credential (JSON); `-` reads standard input.
        input: PathBuf,
    },
    /// Create an issuer directory: config, database, issuer profile and a sealed Ed25519 key.
    Init {
        /// The issuer's display name.
        #[arg(long)]
        name: String,
        /// The issuer's public https URL (its did:web derives from it).
        #[arg(long)]
        url: String,
        /// The issuer's DID: did:web from --url, or the key's own did:key.
        #[arg(long, value_enum, default_value_t = cli::init::DidMethod::Web)]
        did: cli::init::DidMethod,
        /// The database URL (postgres://… without a password, or sqlite://PATH); default: an
        /// SQLite file in the directory, or $DATABASE_URL if set.
        #[arg(long)]
        db: Option<String>,
        /// Read the key passphrase from the first line of standard input (instead of
        /// $PASSERELLE_ISSUER_PASSPHRASE or a prompt).
        #[arg(long, conflicts_with = "plain_key")]
        passphrase_stdin: bool,
        /// Store the private key UNENCRYPTED in a 0600 JWK file instead of sealing it.
        #[arg(long)]
        plain_key: bool,
        /// The issuer's image (logo): a PNG or SVG of at most 256 KiB, embedded in the Profile.
        #[arg(long)]
        image: Option<PathBuf>,
        /// A local copy of the OB 3.0 AchievementCredential JSON Schema to install; without it,
        /// init fetches the schema once from its published URL.
        #[arg(long, env = cli::schema::OB_SCHEMA_ENV)]
        ob_schema: Option<PathBuf>,
    },
    /// Issue one credential per row of a CSV export (idempotent: re-running issues nothing twice).
    Issue(cli::issue::IssueArgs),
    /// List the issued credentials (the admin API's filters) or show one.
    Credential {
        #[command(subcommand)]
        command: CredentialCommand,
    },
    /// Revoke a credential, for good.
    Revoke(StatusArgs),
    /// Suspend a credential (it fails verification until reinstated).
    Suspend(StatusArgs),
    /// Reinstate a suspended credential.
    Unsuspend(StatusArgs),
    /// Statistics that reveal no learner (small counts suppressed).
    Stats {
        #[command(subcommand)]
        command: cli::stats::StatsCommand,
    },
    /// Manage the signing key.
    Key {
        #[command(subcommand)]
        command: KeyCommand,
    },
    /// Manage API tokens for the HTTP service.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// The OB 3.0 JSON Schema every credential is checked against before signing.
    Schema {
        #[command(subcommand)]
        command: SchemaCommand,
    },
    /// Make a local development CA and an https certificate for `serve --tls-cert/--tls-key`
    /// (kept in DIR/tls; for one machine, not for production).
    DevTls(cli::dev_tls::DevTlsArgs),
    /// Run the HTTP service: public DID document, profile, achievements, status lists and claim
    /// pages, and the admin API under /api/v1.
    Serve(cli::serve::ServeArgs),
    /// Define the achievements this issuer awards.
    Achievement {
        #[command(subcommand)]
        command: AchievementCommand,
    },
    /// Endorse another issuer's Profile or Achievement: a signed EndorsementCredential.
    Endorse(cli::endorse::EndorseArgs),
    /// Attach received endorsements to this issuer's Profile or Achievements; list or revoke
    /// the ones it signed.
    Endorsement {
        #[command(subcommand)]
        command: cli::endorse::EndorsementCommand,
    },
}

// Parsed once per run: the size difference between variants costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
enum AchievementCommand {
    /// Store a new OB 3.0 Achievement; prints its id.
    Create(cli::achievement::CreateArgs),
    /// List the achievements (slug and name).
    List {
        /// Print a JSON array of {slug, createdAt, achievement}.
        #[arg(long)]
        json: bool,
    },
    /// Show one achievement.
    Show {
        slug: String,
        /// Print the OB 3.0 Achievement JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum CredentialCommand {
    /// List credentials, newest first: a table, or the API's JSON with --json.
    List(cli::credential::ListArgs),
    /// Show one credential: its record, status, claim links, and with --credential the
    /// signed credential.
    Show(cli::credential::ShowArgs),
}

#[derive(clap::Args)]
struct StatusArgs {
    /// The credential's id (urn:uuid:…).
    credential_id: String,
    /// Why (kept in the database and the audit log, not published).
    #[arg(long)]
    reason: Option<String>,
    /// Read the key passphrase from the first line of standard input.
    #[arg(long)]
    passphrase_stdin: bool,
}

#[derive(Subcommand)]
enum KeyCommand {
    /// Make a new key the signing key; the old one is retired but stays in the DID document.
    Rotate {
        /// Read the key passphrase from the first line of standard input.
        #[arg(long)]
        passphrase_stdin: bool,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create an API token; its secret is printed once.
    Create {
        /// What the token is for (e.g. "LMS integration").
        #[arg(long)]
        name: String,
    },
    /// List API tokens (never their secrets).
    List,
    /// Revoke an API token.
    Revoke {
        /// The token's id (from `token list`).
        id: String,
    },
}

#[derive(Subcommand)]
enum SchemaCommand {
    /// Install (or update) the OB 3.0 AchievementCredential schema: fetched once from the URL
    /// credentials cite, or copied from a file.
    Install {
        /// A local copy of the schema, for a machine without network.
        #[arg(long, env = cli::schema::OB_SCHEMA_ENV)]
        from: Option<PathBuf>,
    },
    /// Show the installed schemas, where they came from and their SHA-256.
    Show {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Suite {
    #[value(name = "eddsa-rdfc-2022")]
    EddsaRdfc2022,
    #[value(name = "eddsa-jcs-2022")]
    EddsaJcs2022,
    #[value(name = "vc-jose")]
    VcJose,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // `passerelle-issuer … | head` ends quietly, as other Unix tools do, instead of panicking
    // on the closed pipe; the service keeps Rust's default (a dead client is not fatal).
    if !matches!(cli.command, Command::Serve(_)) {
        sigpipe::reset();
    }
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!(
                "error: {}",
                passerelle_core::error_text::error_chain(e.as_ref())
            );
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    let dir = cli::issuer_dir(cli.dir);
    let status = |args: StatusArgs, change| {
        cli::status::change(
            &dir,
            &args.credential_id,
            change,
            args.reason.as_deref(),
            args.passphrase_stdin,
        )
    };
    use passerelle_issuer::issuance::StatusChange;
    let done = match cli.command {
        Command::Issue(args) => return cli::issue::issue(&dir, args),
        Command::DevTls(args) => cli::dev_tls::dev_tls(&dir, args),
        Command::Credential { command } => match command {
            CredentialCommand::List(args) => cli::credential::list(&dir, args),
            CredentialCommand::Show(args) => cli::credential::show(&dir, args),
        },
        Command::Revoke(args) => status(args, StatusChange::Revoke),
        Command::Suspend(args) => status(args, StatusChange::Suspend),
        Command::Unsuspend(args) => status(args, StatusChange::Unsuspend),
        Command::Stats { command } => cli::stats::run(&dir, command),
        Command::Key {
            command: KeyCommand::Rotate { passphrase_stdin },
        } => cli::key::rotate(&dir, passphrase_stdin),
        Command::Token { command } => match command {
            TokenCommand::Create { name } => cli::token::create(&dir, &name),
            TokenCommand::List => cli::token::list(&dir),
            TokenCommand::Revoke { id } => cli::token::revoke(&dir, &id),
        },
        Command::Schema { command } => match command {
            SchemaCommand::Install { from } => cli::schema::install(&dir, from.as_deref()),
            SchemaCommand::Show { json } => cli::schema::show(&dir, json),
        },
        Command::Init {
            name,
            url,
            did,
            db,
            passphrase_stdin,
            plain_key,
            image,
            ob_schema,
        } => cli::init::init(cli::init::InitArgs {
            dir: dir.clone(),
            name,
            url,
            did,
            db,
            plain_key,
            passphrase_stdin,
            image,
            ob_schema,
        }),
        Command::Achievement { command } => match command {
            AchievementCommand::Create(args) => cli::achievement::create(&dir, args),
            AchievementCommand::List { json } => cli::achievement::list(&dir, json),
            AchievementCommand::Show { slug, json } => cli::achievement::show(&dir, &slug, json),
        },
        Command::Serve(args) => cli::serve::serve(&dir, args),
        Command::Endorse(args) => cli::endorse::endorse(&dir, args),
        Command::Endorsement { command } => cli::endorse::endorsement(&dir, command),
        Command::Keygen { out } => keygen(&out),
        Command::Sign {
            key,
            suite,
            created,
            keep_issuer,
            verification_method,
            input,
        } => sign(
            &key,
            suite,
            created,
            keep_issuer,
            verification_method,
            &input,
        ),
    };
    done.map(|()| ExitCode::SUCCESS)
}

fn keygen(out: &Path) -> Result<()> {
    let pair = passerelle_issuer::secret::generate_key()?;
    let mut text = serde_json::to_string_pretty(&pair.to_private_jwk())?;
    text.push('\n');
    write_secret_file(out, text.as_bytes())?;
    println!("{}", did::did_key(&pair.public()));
    eprintln!(
        "wrote the private key to {} (mode 0600); keep it secret and backed up",
        out.display()
    );
    Ok(())
}

/// Writes a new file readable only by its owner, refusing to replace an existing one.
fn write_secret_file(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).with_context(|| {
        if path.exists() {
            format!("{} already exists; not overwriting a key", path.display())
        } else {
            format!("cannot create {}", path.display())
        }
    })?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// Reads the credential to sign, refusing more than the size cap before reading it all.
fn read_input(path: &Path) -> Result<Vec<u8>> {
    let cap = input::InputLimits::default().max_bytes;
    let (read, source) = if path.as_os_str() == "-" {
        let read = input::read_capped(io::stdin(), cap).context("cannot read standard input")?;
        (read, "standard input".to_owned())
    } else {
        let read = fs::File::open(path)
            .and_then(|file| input::read_capped(file, cap))
            .with_context(|| format!("cannot read {}", path.display()))?;
        (read, path.display().to_string())
    };
    read.with_context(|| format!("{source} is larger than the {cap} bytes a credential may take"))
}

fn load_key(path: &Path) -> Result<KeyPair> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = fs::metadata(path) {
            let mode = meta.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                eprintln!(
                    "warning: key file {} can be read by other users (mode {mode:o}); run `chmod 600 {}`",
                    path.display(),
                    path.display()
                );
            }
        }
    }
    let bytes =
        fs::read(path).with_context(|| format!("cannot read key file {}", path.display()))?;
    let jwk = input::parse_json_object(&bytes, &Default::default())
        .with_context(|| format!("key file {} is not a JSON object", path.display()))?;
    KeyPair::from_jwk(&jwk).with_context(|| {
        format!(
            "key file {} is not an Ed25519 private OKP JWK",
            path.display()
        )
    })
}

fn sign(
    key_path: &Path,
    suite: Suite,
    created: Option<String>,
    keep_issuer: bool,
    verification_method: Option<String>,
    input_path: &Path,
) -> Result<()> {
    let key = load_key(key_path)?;
    let bytes = read_input(input_path)?;
    let mut credential = input::parse_json_object(&bytes, &Default::default())
        .with_context(|| format!("{} is not a JSON credential", input_path.display()))?;
    let did = did::did_key(&key.public()).to_string();
    let own_vm = did::did_key_verification_method(&key.public());
    if !keep_issuer {
        set_issuer(&mut credential, &did)?;
    }
    let vm = match verification_method {
        Some(vm) => vm,
        None => {
            let issuer = passerelle_core::verify::issuer_id(&credential);
            if keep_issuer && issuer.as_deref() != Some(did.as_str()) {
                bail!(
                    "with --keep-issuer the issuer is {}, not this key's {did}: give --verification-method",
                    issuer.as_deref().unwrap_or("(missing)")
                );
            }
            own_vm
        }
    };
    let created = match created {
        Some(text) => {
            chrono::DateTime::parse_from_rfc3339(&text)
                .with_context(|| format!("--created {text:?} is not an RFC 3339 date-time"))?;
            text
        }
        None => chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    };
    // An issuer refuses what a verifier would reject: check the data model before signing.
    if let Err(violations) = model::check_credential(&credential) {
        let list: Vec<String> = violations.iter().map(|v| format!("  - {v}")).collect();
        bail!(
            "refusing to sign: the credential does not follow the data model:\n{}",
            list.join("\n")
        );
    }
    let output = match suite {
        Suite::VcJose => jose::sign_vc_jwt(&credential, &key, &vm)
            .context("cannot sign the credential as a VC-JOSE JWS")?,
        Suite::EddsaRdfc2022 | Suite::EddsaJcs2022 => {
            let cryptosuite = match suite {
                Suite::EddsaJcs2022 => proof::Cryptosuite::EddsaJcs2022,
                _ => proof::Cryptosuite::EddsaRdfc2022,
            };
            let options = proof::ProofOptions::assertion(cryptosuite, vm, created);
            let signed = proof::sign(&credential, &key, &options)
                .context("refusing to sign the credential")?;
            serde_json::to_string_pretty(&signed)?
        }
    };
    println!("{output}");
    Ok(())
}

fn set_issuer(credential: &mut Value, did: &str) -> Result<()> {
    let Some(map) = credential.as_object_mut() else {
        bail!("the credential is not a JSON object");
    };
    match map.get_mut("issuer") {
        Some(Value::Object(issuer)) => {
            issuer.insert("id".into(), Value::String(did.to_owned()));
        }
        _ => {
            map.insert("issuer".into(), Value::String(did.to_owned()));
        }
    }
    Ok(())
}
