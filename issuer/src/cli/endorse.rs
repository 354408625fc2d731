//! `passerelle-issuer endorse` (this issuer, as an endorser, signs an EndorsementCredential) and
//! `passerelle-issuer endorsement attach|detach|list` (received endorsements on this issuer's
//! Profile and Achievements, and the endorsements it signed).

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use passerelle_issuer::auth::CLI_ACTOR;
use passerelle_issuer::endorsements::{self, AttachTarget, EndorseRequest, SignatureCheck};

/// What `endorse` was asked to do.
#[derive(Debug, clap::Args)]
pub struct EndorseArgs {
    /// The endorsed Profile's or Achievement's id (e.g. `did:web:school.example` or the
    /// achievement's `urn:uuid:` / URL).
    #[arg(long)]
    pub subject: String,
    /// The endorser's comment (Markdown).
    #[arg(long)]
    pub comment: String,
    /// When the endorsement starts being valid (YYYY-MM-DD or RFC 3339; default now).
    #[arg(long)]
    pub valid_from: Option<String>,
    /// When it stops being valid (YYYY-MM-DD or RFC 3339).
    #[arg(long)]
    pub valid_until: Option<String>,
    /// The credential's name (default "Endorsement by ENDORSER").
    #[arg(long)]
    pub name: Option<String>,
    /// Where to write the signed endorsement (JSON). Refuses to overwrite a file.
    #[arg(long)]
    pub out: PathBuf,
    /// Read the key's passphrase from standard input.
    #[arg(long)]
    pub passphrase_stdin: bool,
}

/// `endorsement …`.
#[derive(Debug, clap::Subcommand)]
pub enum EndorsementCommand {
    /// Attach a received endorsement (JSON EndorsementCredential or compact JWS) to this
    /// issuer's Profile or to an Achievement: credentials issued afterwards carry it.
    Attach {
        /// The endorsement file.
        file: PathBuf,
        #[command(flatten)]
        target: TargetArgs,
        /// The endorser's DID document, to check a did:web endorser's signature offline
        /// (a did:key endorser is always checked).
        #[arg(long)]
        did_document: Option<PathBuf>,
    },
    /// Detach an endorsement (by its credential id) from the Profile or an Achievement.
    Detach {
        /// The endorsement's `id`.
        id: String,
        #[command(flatten)]
        target: TargetArgs,
    },
    /// List the endorsements this issuer signed (with `endorse`).
    List,
    /// Revoke an endorsement this issuer signed (`revoke ID` does the same).
    Revoke {
        id: String,
        #[arg(long)]
        reason: Option<String>,
        /// Read the key's passphrase from standard input.
        #[arg(long)]
        passphrase_stdin: bool,
    },
}

/// `--profile` or `--achievement SLUG`.
#[derive(Debug, clap::Args)]
#[group(required = true, multiple = false)]
pub struct TargetArgs {
    /// The issuer Profile.
    #[arg(long)]
    pub profile: bool,
    /// An Achievement, by slug.
    #[arg(long, value_name = "SLUG")]
    pub achievement: Option<String>,
}

impl TargetArgs {
    fn target(&self) -> AttachTarget {
        match &self.achievement {
            Some(slug) => AttachTarget::Achievement(slug.clone()),
            None => AttachTarget::Profile,
        }
    }
}

pub fn endorse(dir: &Path, args: EndorseArgs) -> Result<()> {
    if args.out.exists() {
        bail!("{} exists; not overwriting it", args.out.display());
    }
    let request = EndorseRequest {
        subject: args.subject,
        comment: args.comment,
        valid_from: args.valid_from,
        valid_until: args.valid_until,
        name: args.name,
    };
    super::runtime()?.block_on(async {
        let issuer = super::unlock::open_issuer(dir, args.passphrase_stdin).await?;
        let result = issuer.endorse(&request, CLI_ACTOR).await;
        issuer.store().close().await;
        let endorsement = result?;
        let mut text = endorsement.credential.clone();
        text.push('\n');
        std::fs::write(&args.out, text)
            .with_context(|| format!("cannot write {}", args.out.display()))?;
        println!("{}", endorsement.id);
        eprintln!(
            "endorsement of {} written to {}; revoke it with `passerelle-issuer revoke {}`",
            endorsement.subject_id,
            args.out.display(),
            endorsement.id
        );
        Ok(())
    })
}

pub fn endorsement(dir: &Path, command: EndorsementCommand) -> Result<()> {
    match command {
        EndorsementCommand::Attach {
            file,
            target,
            did_document,
        } => attach(dir, &file, &target.target(), did_document.as_deref()),
        EndorsementCommand::Detach { id, target } => super::runtime()?.block_on(async {
            let (_, store) = super::open_store(dir).await?;
            let result = endorsements::detach(&store, &target.target(), id.trim(), CLI_ACTOR).await;
            store.close().await;
            result?;
            println!("{} detached", id.trim());
            Ok(())
        }),
        EndorsementCommand::List => super::runtime()?.block_on(async {
            let (_, store) = super::open_store(dir).await?;
            let result = store.endorsements().await;
            store.close().await;
            for e in result? {
                let state = match e.revoked_at {
                    Some(at) => format!("revoked {}", at.format("%Y-%m-%d")),
                    None => "active".into(),
                };
                println!(
                    "{}  {}  {}  {state}",
                    e.id,
                    e.issued_at.format("%Y-%m-%d"),
                    e.subject_id
                );
            }
            Ok(())
        }),
        EndorsementCommand::Revoke {
            id,
            reason,
            passphrase_stdin,
        } => revoke(dir, &id, reason.as_deref(), passphrase_stdin),
    }
}

/// Revokes an endorsement this issuer signed (also reached through `revoke ID`).
pub fn revoke(dir: &Path, id: &str, reason: Option<&str>, passphrase_stdin: bool) -> Result<()> {
    let id = passerelle_issuer::store::CredentialId::parse(id.trim())
        .with_context(|| format!("{id:?} is not an endorsement id (urn:uuid:…)"))?;
    super::runtime()?.block_on(async {
        let issuer = super::unlock::open_issuer(dir, passphrase_stdin).await?;
        let result = issuer.revoke_endorsement(&id, reason, CLI_ACTOR).await;
        issuer.store().close().await;
        let endorsement = result?;
        println!("{} revoked", endorsement.id);
        eprintln!("verifiers see the change once their cached status list expires");
        Ok(())
    })
}

fn attach(
    dir: &Path,
    file: &Path,
    target: &AttachTarget,
    did_document: Option<&Path>,
) -> Result<()> {
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let document = did_document
        .map(|path| {
            let text =
                std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
            passerelle_core::input::parse_json(
                &text,
                &passerelle_core::input::InputLimits::default(),
            )
            .with_context(|| format!("DID document {}", path.display()))
        })
        .transpose()?;
    super::runtime()?.block_on(async {
        let (_, store) = super::open_store(dir).await?;
        let result = endorsements::attach(
            &store,
            target,
            &bytes,
            document.as_ref(),
            CLI_ACTOR,
            chrono::Utc::now(),
        )
        .await;
        store.close().await;
        let attached = result?;
        println!(
            "{} attached to {} ({})",
            attached.endorsement_id, attached.target_id, attached.property
        );
        match attached.signature {
            SignatureCheck::Verified => {
                eprintln!("the signature of {} verified", attached.endorser)
            }
            SignatureCheck::NotChecked { reason } => eprintln!(
                "warning: the signature of {} was not checked here ({reason}); give its DID \
                 document with --did-document to check it — verifiers check it anyway",
                attached.endorser
            ),
        }
        if *target == AttachTarget::Profile {
            eprintln!(
                "credentials issued from now on carry it; a running service reads the Profile \
                 when it starts: restart it (the admin API's attach applies at once)"
            );
        } else {
            eprintln!("credentials issued from now on carry it");
        }
        Ok(())
    })
}
