//! `passerelle-issuer credential list [filters] [--json]` and `credential show ID`: the issued
//! credentials, through the same search the admin API's `GET /api/v1/credentials` runs
//! ([`passerelle_issuer::server::api::credential_search`]) and the same JSON views.

use std::collections::HashMap;
use std::io::{self, Write};
use std::path::Path;

use anyhow::{Context, Result};
use chrono::SecondsFormat;
use passerelle_core::verify::terminal_safe;
use passerelle_issuer::server::{api, ApiError};
use passerelle_issuer::store::CredentialId;
use serde_json::{json, Value};

/// The filters of `credential list` (those of `GET /api/v1/credentials`).
#[derive(Debug, clap::Args)]
pub struct ListArgs {
    /// Only this achievement (slug or urn:uuid id).
    #[arg(long)]
    pub achievement: Option<String>,
    /// Only credentials that are active, revoked or suspended.
    #[arg(long)]
    pub status: Option<String>,
    /// Issued on or after this date (YYYY-MM-DD) or RFC 3339 date-time.
    #[arg(long)]
    pub issued_after: Option<String>,
    /// Issued before this date-time, or up to the end of this date (YYYY-MM-DD).
    #[arg(long)]
    pub issued_before: Option<String>,
    /// The credential id, or the start of the provider's external id (the API's `q`).
    #[arg(long)]
    pub search: Option<String>,
    /// At most this many (1 to 500; default 50).
    #[arg(long)]
    pub limit: Option<u32>,
    /// Continue after an earlier page (its `next_cursor`).
    #[arg(long)]
    pub cursor: Option<String>,
    /// Print the API's JSON ({items, next_cursor}) instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// What `credential show` prints.
#[derive(Debug, clap::Args)]
pub struct ShowArgs {
    /// The credential's id (urn:uuid:…).
    pub id: String,
    /// Print the record as JSON (the API's view, with the claim links' dates).
    #[arg(long, conflicts_with = "credential")]
    pub json: bool,
    /// Print only the signed credential (JSON, or the compact JWS).
    #[arg(long)]
    pub credential: bool,
}

pub fn list(dir: &Path, args: ListArgs) -> Result<()> {
    let mut query = HashMap::new();
    let limit = args.limit.map(|n| n.to_string());
    for (name, value) in [
        ("achievement", args.achievement),
        ("status", args.status),
        ("issued_after", args.issued_after),
        ("issued_before", args.issued_before),
        ("q", args.search),
        ("limit", limit),
        ("cursor", args.cursor),
    ] {
        if let Some(value) = value {
            query.insert(name.to_owned(), value);
        }
    }
    super::runtime()?.block_on(async {
        let (_, store) = super::open_store(dir).await?;
        let page = async {
            let search = api::credential_search(&store, &query)
                .await
                .map_err(flag_error)?;
            store
                .search_credentials(&search)
                .await
                .context("cannot list the credentials")
        }
        .await;
        store.close().await;
        let page = page?;
        let mut out = io::stdout().lock();
        if args.json {
            let value = json!({
                "items": page.items.iter().map(api::summary_view).collect::<Vec<_>>(),
                "next_cursor": page.next.as_ref().map(api::encode_cursor),
            });
            writeln!(out, "{}", serde_json::to_string_pretty(&value)?)?;
            return Ok(());
        }
        if page.items.is_empty() {
            eprintln!("no credentials match");
            return Ok(());
        }
        writeln!(
            out,
            "{:<45}  {:<20}  {:<20}  {:<9}  EXTERNAL ID",
            "ID", "ACHIEVEMENT", "ISSUED (UTC)", "STATUS"
        )?;
        for c in &page.items {
            let view = api::summary_view(c);
            writeln!(
                out,
                "{:<45}  {:<20}  {:<20}  {:<9}  {}",
                c.id,
                terminal_safe(&c.achievement_slug),
                c.issued_at.format("%Y-%m-%d %H:%M:%S"),
                view["status"].as_str().unwrap_or("?"),
                terminal_safe(&c.external_id)
            )?;
        }
        if let Some(next) = &page.next {
            eprintln!("more: --cursor {}", api::encode_cursor(next));
        }
        Ok(())
    })
}

pub fn show(dir: &Path, args: ShowArgs) -> Result<()> {
    let id = CredentialId::parse(args.id.trim())
        .with_context(|| format!("{:?} is not a credential id (urn:uuid:…)", args.id))?;
    super::runtime()?.block_on(async {
        let (_, store) = super::open_store(dir).await?;
        let found = async {
            let Some(c) = store.credential(&id).await? else {
                return Ok(None);
            };
            let slug = store.achievement(&c.achievement_id).await?.map(|a| a.slug);
            let links = store.claim_links(&id).await?;
            Ok::<_, passerelle_issuer::store::StoreError>(Some((c, slug, links)))
        }
        .await;
        store.close().await;
        let Some((c, slug, links)) = found.context("cannot read the credential")? else {
            anyhow::bail!("no credential {id} (see `passerelle-issuer credential list`)");
        };
        let mut out = io::stdout().lock();
        if args.credential {
            writeln!(out, "{}", c.credential)?;
            return Ok(());
        }
        let now = chrono::Utc::now();
        let time = |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(SecondsFormat::Secs, true);
        let mut view = api::credential_view(&c, slug.as_deref());
        if args.json {
            view["claim_links"] = links
                .iter()
                .map(|l| {
                    json!({
                        "created_at": time(l.created_at),
                        "expires_at": l.expires_at.map(time),
                        "expired": l.expires_at.is_some_and(|at| at <= now),
                    })
                })
                .collect::<Vec<_>>()
                .into();
            writeln!(out, "{}", serde_json::to_string_pretty(&view)?)?;
            return Ok(());
        }
        let text = |v: &Value| v.as_str().map(terminal_safe);
        let mut lines: Vec<(&str, String)> = vec![
            ("Id", c.id.to_string()),
            (
                "Achievement",
                format!(
                    "{} ({})",
                    slug.as_deref().map_or("?".into(), terminal_safe),
                    c.achievement_id
                ),
            ),
        ];
        if let Some(external) = &c.external_id {
            lines.push(("External id", terminal_safe(external)));
        }
        if let Some(name) = text(&view["credential"]["credentialSubject"]["achievement"]["name"]) {
            lines.push(("Name", name));
        }
        lines.push(("Stored", time(c.issued_at)));
        let status = match (&c.revoked_at, c.suspended) {
            (Some(at), _) => format!("revoked at {}", time(*at)),
            (None, true) => "suspended".into(),
            (None, false) => "active".into(),
        };
        lines.push(("Status", status));
        if let Some(reason) = c.revocation_reason.as_deref().or(c
            .suspended
            .then_some(c.suspension_reason.as_deref())
            .flatten())
        {
            lines.push(("Reason", terminal_safe(reason)));
        }
        lines.push((
            "Suspension",
            if c.suspension.is_some() {
                "possible (it has a suspension entry)".into()
            } else {
                "not possible (no suspension entry)".into()
            },
        ));
        let claim = match links.as_slice() {
            [] => "none (the learner has no link to claim it)".to_owned(),
            all => {
                let live = all
                    .iter()
                    .filter(|l| l.expires_at.is_none_or(|at| at > now))
                    .count();
                let newest = all.iter().map(|l| l.created_at).max().map(time);
                format!(
                    "{} link(s), {live} still working; newest made {}",
                    all.len(),
                    newest.unwrap_or_default()
                )
            }
        };
        lines.push(("Claim links", claim));
        for (label, value) in lines {
            writeln!(out, "{label:<12} {value}")?;
        }
        writeln!(
            out,
            "(the signed credential: `passerelle-issuer credential show {id} --credential`)"
        )?;
        Ok(())
    })
}

/// A refused filter, named by its flag.
fn flag_error(e: ApiError) -> anyhow::Error {
    match e {
        ApiError::Invalid { field, message } => {
            let flag = if field == "q" {
                "search".to_owned()
            } else {
                field.replace('_', "-")
            };
            anyhow::anyhow!("--{flag}: {message}")
        }
        other => anyhow::Error::new(other),
    }
}
