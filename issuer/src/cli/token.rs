//! `passerelle-issuer token create|list|revoke`: API tokens for the HTTP service. The secret is
//! printed once; only its hash is stored.

use std::path::Path;

use anyhow::{bail, Result};
use passerelle_issuer::auth::CLI_ACTOR;
use passerelle_issuer::store::{NewAuditEntry, Store, StoreError};

async fn open_store(dir: &Path) -> Result<Store> {
    Ok(super::open_store(dir).await?.1)
}

pub fn create(dir: &Path, name: &str) -> Result<()> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        bail!("--name must be 1 to 100 characters (it tells tokens apart)");
    }
    super::runtime()?.block_on(async {
        let store = open_store(dir).await?;
        let (record, secret) = store.create_api_token(name).await?;
        store
            .append_audit(&NewAuditEntry {
                actor: CLI_ACTOR.into(),
                action: "token.create".into(),
                subject: record.id.clone(),
                details: serde_json::json!({ "name": name }),
            })
            .await?;
        store.close().await;
        println!("{}", secret.expose());
        eprintln!(
            "created API token {} ({name}). Its secret was printed above on standard output, \
             this once only: store it now (e.g. in your LMS's secret settings). Passerelle keeps \
             only a hash of it and cannot show it again; if it is lost, revoke this token \
             (`passerelle-issuer token revoke {}`) and create another.",
            record.id, record.id
        );
        Ok(())
    })
}

pub fn list(dir: &Path) -> Result<()> {
    super::runtime()?.block_on(async {
        let store = open_store(dir).await?;
        let tokens = store.api_tokens().await;
        store.close().await;
        let tokens = tokens?;
        if tokens.is_empty() {
            eprintln!("no API tokens yet: `passerelle-issuer token create --name NAME`");
        }
        for t in tokens {
            let state = match t.revoked_at {
                Some(at) => format!("revoked {}", at.format("%Y-%m-%d")),
                None => "active".into(),
            };
            println!(
                "{}  {}…  {}  {}  {state}",
                t.id,
                t.prefix,
                t.created_at.format("%Y-%m-%d"),
                t.name
            );
        }
        Ok(())
    })
}

pub fn revoke(dir: &Path, id: &str) -> Result<()> {
    super::runtime()?.block_on(async {
        let store = open_store(dir).await?;
        let result = store.revoke_api_token(id.trim()).await;
        let outcome = match result {
            Ok(changed) => {
                store
                    .append_audit(&NewAuditEntry {
                        actor: CLI_ACTOR.into(),
                        action: "token.revoke".into(),
                        subject: id.trim().to_owned(),
                        details: serde_json::json!({ "changed": changed }),
                    })
                    .await?;
                Ok(changed)
            }
            Err(StoreError::NotFound { .. }) => Err(anyhow::anyhow!(
                "no API token {id:?} (see `passerelle-issuer token list`)"
            )),
            Err(e) => Err(e.into()),
        };
        store.close().await;
        if outcome? {
            println!("{} revoked", id.trim());
        } else {
            println!("{} was already revoked", id.trim());
        }
        Ok(())
    })
}
