//! The Open Badges API commands: `connect URL`, `sync [PROVIDER]`, `disconnect PROVIDER`,
//! `connections`, over `passerelle_wallet::obapi`. What a provider sends is printed escaped;
//! no token, code or client secret is ever printed. Each credential fetched goes through the
//! import policy ([`Policy`]), verified as any import; one already stored is not stored again.
//!
//! The wallet is not held (locked) while the browser is awaited: `connect` checks the passphrase
//! first, and opens the wallet for writing only once the provider has answered.

use std::io::{self, IsTerminal};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use chrono::Utc;
use passerelle_core::obapi::Scope;
use passerelle_wallet::fetch::Fetcher;
use passerelle_wallet::import::{Imported, Keep};
use passerelle_wallet::obapi::grant::{self, ClientCredentials, Loopback, TokenKind, Tokens};
use passerelle_wallet::obapi::{discovery, sync, ObApiClientError};
use passerelle_wallet::store::{self, Access, Connection, Wallet};
use serde_json::{json, Value};

use crate::importing::Policy;
use crate::prompt::Passphrases;
use crate::terminal::safe;
use crate::{print_json, Network};

/// `connect`'s options besides the URL.
pub(crate) struct ConnectOptions {
    /// Open a browser when stdout is a terminal (not with `--no-browser`).
    pub(crate) browser: bool,
    /// How long the browser's answer is awaited.
    pub(crate) timeout: Duration,
    pub(crate) json: bool,
}

/// The first line the learner (and the tests) read; the URL follows alone on the next line,
/// after two spaces.
const OPEN_THIS: &str = "Open this address in your browser to approve the connection:";

pub(crate) fn connect(
    dir: &Path,
    stdin_pass: bool,
    url_text: &str,
    options: ConnectOptions,
    network: &Network,
) -> Result<u8> {
    let provider = discovery::provider_url(url_text)?;
    store::ensure_exists(dir)?;
    let pass = Passphrases::new(stdin_pass)?.current("Wallet passphrase: ")?;
    {
        // The passphrase is checked before anything is sent.
        let wallet = Wallet::open(dir, &pass, Access::Read)?;
        if let Some(existing) = wallet
            .index
            .connections
            .iter()
            .find(|c| same_provider(&c.provider, provider.as_str()))
        {
            bail!(
                "the wallet is already connected to {} ({}): `passerelle-wallet sync` fetches its new badges; \
                 `passerelle-wallet disconnect {}` first to connect again",
                safe(&existing.title),
                safe(&existing.provider),
                safe(&existing.provider)
            );
        }
    }
    let failed = || format!("could not connect to {}", safe(provider.as_str()));
    let fetcher = network.fetcher()?;
    let (description, warnings) = discovery::discover(&fetcher, &provider).with_context(failed)?;
    for warning in &warnings {
        eprintln!(
            "warning: the provider's service description: {}",
            safe(warning)
        );
    }
    eprintln!(
        "Connecting to {} ({}).",
        safe(&description.title),
        safe(provider.as_str())
    );
    let (revocation_url, note) =
        discovery::revocation_endpoint(&fetcher, &provider).with_context(failed)?;
    if let Some(note) = note {
        eprintln!(
            "note: the provider publishes no token revocation endpoint ({}): `disconnect` will only forget the connection here",
            safe(&note)
        );
    }
    let loopback = Loopback::bind().with_context(failed)?;
    let redirect_uri = loopback.redirect_uri();
    let (registered, warnings) =
        grant::register(&fetcher, &description, &redirect_uri).with_context(failed)?;
    for warning in &warnings {
        eprintln!("warning: the provider's registration: {}", safe(warning));
    }
    let scopes = grant::scopes_to_request(registered.scope.as_deref()).with_context(failed)?;
    let pending =
        grant::authorization_request(&description, &registered.client_id, &redirect_uri, scopes)
            .with_context(failed)?;
    eprintln!("{OPEN_THIS}");
    eprintln!("  {}", safe(pending.url.as_str()));
    if options.browser {
        open_browser(pending.url.as_str());
    }
    eprintln!(
        "Waiting for your approval (at most {} s)…",
        options.timeout.as_secs()
    );
    let code = loopback
        .wait(&pending, options.timeout)
        .with_context(failed)?;
    let client = ClientCredentials {
        client_id: &registered.client_id,
        client_secret: &registered.client_secret,
    };
    let tokens = grant::exchange_code(
        &fetcher,
        description.token_url.as_str(),
        &client,
        pending,
        &code,
    )
    .with_context(failed)?;
    check_granted(&tokens).with_context(failed)?;
    if tokens.refresh_token.is_none() {
        eprintln!(
            "note: the provider gave no refresh token: `sync` will not work for this connection; connect again to fetch new badges"
        );
    }
    let now = Utc::now();
    let connection = Connection {
        provider: provider.to_string(),
        title: description.title.clone(),
        api_base: description.api_base.to_string(),
        token_url: description
            .refresh_url
            .as_ref()
            .unwrap_or(&description.token_url)
            .to_string(),
        revocation_url: revocation_url.map(|u| u.to_string()),
        client_id: registered.client_id.clone(),
        client_secret: registered.client_secret.to_string(),
        refresh_token: tokens.refresh_token.as_ref().map(|t| t.to_string()),
        access_token: None,
        access_expires_at: None,
        scopes: tokens.scopes.clone(),
        profile_id: None,
        profile_name: None,
        connected_at: store::timestamp(now),
        last_sync: None,
    };
    let mut wallet = Wallet::open(dir, &pass, Access::Write)?;
    wallet.index.connections.push(connection);
    wallet.save_index()?;
    let at = wallet.index.connections.len() - 1;
    eprintln!(
        "Connected to {} as connection #{} ({}).",
        safe(&description.title),
        at + 1,
        granted_words(&tokens.scopes)
    );
    let policy = Policy {
        keep: Keep::default(),
        stdin_pass,
        json: options.json,
    };
    let results = match pull(&mut wallet, at, &fetcher, &tokens, &policy) {
        Ok(results) => results,
        Err(e) => {
            eprintln!(
                "The connection is kept: `passerelle-wallet sync` tries again to fetch the badges."
            );
            return Err(e);
        }
    };
    if options.json {
        print_json(&json!({
            "connection": connection_json(at, &wallet.index.connections[at]),
            "credentials": results.iter().map(Imported::to_json).collect::<Vec<_>>(),
        }))?;
    }
    Ok(if results.iter().any(Imported::is_refusal) {
        1
    } else {
        0
    })
}

/// The connection's granted scopes must include reading credentials.
fn check_granted(tokens: &Tokens) -> Result<(), ObApiClientError> {
    let needed = grant::NEEDED.uri();
    if tokens.scopes.iter().any(|s| s == needed) {
        Ok(())
    } else {
        Err(ObApiClientError::NotGranted {
            needed: needed.to_owned(),
            granted: tokens.scopes.join(" "),
        })
    }
}

/// "read your badges, read your profile" — the granted scopes in plain words.
fn granted_words(scopes: &[String]) -> String {
    let words: Vec<String> = scopes
        .iter()
        .filter_map(|s| Scope::from_uri(s))
        .map(|s| s.plain_words().to_lowercase())
        .collect();
    if words.is_empty() {
        "no scope".into()
    } else {
        format!("allowed: {}", words.join(", "))
    }
}

/// Fetches every credential with `tokens`' access token, hands them to the import policy,
/// records the sync, and prints a summary.
fn pull(
    wallet: &mut Wallet,
    at: usize,
    fetcher: &Fetcher,
    tokens: &Tokens,
    policy: &Policy,
) -> Result<Vec<Imported>> {
    let connection = wallet.index.connections[at].clone();
    let title = connection.title.clone();
    let api = url::Url::parse(&connection.api_base).with_context(|| {
        format!(
            "the stored API address {} is not a URL",
            connection.api_base
        )
    })?;
    let fetched = sync::fetch_all(fetcher, &api, &tokens.access_token, &title)
        .with_context(|| format!("could not fetch the badges from {}", safe(&title)))?;
    for warning in &fetched.warnings {
        eprintln!("warning: {}: {}", safe(&title), safe(warning));
    }
    // getProfile when it was granted: who the learner is there (shown by `connections`). Not
    // being able to read it does not stop the badges from being imported.
    let profile = if connection
        .scopes
        .iter()
        .any(|s| s == Scope::ProfileReadonly.uri())
    {
        match sync::fetch_profile(fetcher, &api, &tokens.access_token) {
            Ok(profile) => Some(profile),
            Err(e) => {
                eprintln!(
                    "warning: {}: could not read your profile there: {}",
                    safe(&title),
                    safe(&e.to_string())
                );
                None
            }
        }
    } else {
        None
    };
    let count = fetched.found.len();
    let results = policy.apply(wallet, fetched.found, Utc::now(), Some(fetcher))?;
    let now = Utc::now();
    if let Some(stored) = wallet.index.connections.get_mut(at) {
        stored.last_sync = Some(store::timestamp(now));
        if let Some(profile) = profile {
            stored.profile_id = Some(profile.id);
            stored.profile_name = profile.name;
        }
        stored.access_token = Some(tokens.access_token.to_string());
        stored.access_expires_at = tokens
            .expires_in
            .and_then(|d| chrono::Duration::from_std(d).ok())
            .map(|d| store::timestamp(now + d));
    }
    wallet.save_index()?;
    let stored = results
        .iter()
        .filter(|r| matches!(r, Imported::Stored { .. }))
        .count();
    let duplicates = results
        .iter()
        .filter(|r| matches!(r, Imported::Duplicate { .. }))
        .count();
    let refused = results.iter().filter(|r| r.is_refusal()).count();
    eprintln!(
        "{}: {count} badge(s) on {} page(s): {stored} imported, {duplicates} already in the wallet, {refused} refused.",
        safe(&title),
        fetched.pages
    );
    Ok(results)
}

pub(crate) fn sync(
    dir: &Path,
    stdin_pass: bool,
    provider: Option<&str>,
    json: bool,
    network: &Network,
) -> Result<u8> {
    let mut wallet = crate::open(dir, stdin_pass, Access::Write)?;
    let chosen: Vec<usize> = match provider {
        Some(name) => vec![find(&wallet, name)?],
        None => (0..wallet.index.connections.len()).collect(),
    };
    if chosen.is_empty() {
        eprintln!(
            "The wallet is connected to no provider: `passerelle-wallet connect URL` connects one."
        );
        return Ok(0);
    }
    let fetcher = network.fetcher()?;
    let policy = Policy {
        keep: Keep::default(),
        stdin_pass,
        json,
    };
    let mut records = Vec::new();
    let mut failures = Vec::new();
    let mut refused = false;
    for at in chosen {
        match sync_one(&mut wallet, at, &fetcher, &policy) {
            Ok(results) => {
                refused |= results.iter().any(Imported::is_refusal);
                records.push(json!({
                    "connection": connection_json(at, &wallet.index.connections[at]),
                    "credentials": results.iter().map(Imported::to_json).collect::<Vec<_>>(),
                }));
            }
            Err(e) => {
                let title = wallet.index.connections[at].title.clone();
                failures.push(e.context(format!("could not sync {}", safe(&title))));
            }
        }
    }
    if json {
        print_json(&Value::Array(records))?;
    }
    match failures.len() {
        0 => Ok(if refused { 1 } else { 0 }),
        1 => Err(failures.remove(0)),
        n => {
            for e in &failures {
                eprintln!(
                    "error: {}",
                    safe(&passerelle_core::error_text::error_chain(e.as_ref()))
                );
            }
            Err(anyhow!("{n} connections could not be synced (above)"))
        }
    }
}

/// Refreshes (the new refresh token saved before the access token is used), then pulls.
fn sync_one(
    wallet: &mut Wallet,
    at: usize,
    fetcher: &Fetcher,
    policy: &Policy,
) -> Result<Vec<Imported>> {
    let connection = wallet.index.connections[at].clone();
    let Some(refresh_token) = connection.refresh_token.as_deref() else {
        bail!(
            "the provider gave this connection no refresh token: `passerelle-wallet disconnect {}` then `connect` again",
            at + 1
        );
    };
    let client = ClientCredentials {
        client_id: &connection.client_id,
        client_secret: &connection.client_secret,
    };
    let tokens = match grant::refresh(
        fetcher,
        &connection.token_url,
        &client,
        refresh_token,
        &connection.scopes,
    ) {
        Ok(tokens) => tokens,
        Err(e) if e.is_revoked_grant() => {
            return Err(anyhow!(e).context(format!(
                "the provider no longer accepts this connection (revoked or expired): \
                 `passerelle-wallet disconnect {0}`, then `passerelle-wallet connect {1}` to connect again",
                at + 1,
                safe(&connection.provider)
            )))
        }
        Err(e) => return Err(e.into()),
    };
    if let Some(stored) = wallet.index.connections.get_mut(at) {
        // Rotation (OAuth 2.0 Security BCP §4.14.2): the old refresh token is dead once the
        // provider answered, so the new one is on disk before anything else is done.
        if let Some(rotated) = &tokens.refresh_token {
            stored.refresh_token = Some(rotated.to_string());
        }
        stored.access_token = None;
        stored.access_expires_at = None;
    }
    wallet.save_index()?;
    pull(wallet, at, fetcher, &tokens, policy)
}

pub(crate) fn disconnect(
    dir: &Path,
    stdin_pass: bool,
    provider: &str,
    network: &Network,
) -> Result<u8> {
    let mut wallet = crate::open(dir, stdin_pass, Access::Write)?;
    let at = find(&wallet, provider)?;
    let connection = wallet.index.connections[at].clone();
    let title = safe(&connection.title);
    let outcome = match &connection.revocation_url {
        None => Err(anyhow!(
            "the provider publishes no token revocation endpoint (RFC 8414 revocation_endpoint)"
        )),
        Some(url) => network.fetcher().and_then(|fetcher| {
            revoke_all(&fetcher, url, &connection).map_err(anyhow::Error::from)
        }),
    };
    wallet.index.connections.remove(at);
    wallet.save_index()?;
    match outcome {
        Ok(()) => {
            eprintln!(
                "Disconnected from {title}: the provider revoked the wallet's tokens, and the wallet forgot the connection. The badges already imported stay in the wallet."
            );
            Ok(0)
        }
        Err(e) => {
            eprintln!(
                "Could not revoke the connection at {title}: {}.\n\
                 The wallet forgot the connection (its tokens are deleted here), but the provider may \
                 still honour it until it expires: disconnect the app on the provider's site too. \
                 The badges already imported stay in the wallet.",
                safe(&passerelle_core::error_text::error_chain(e.as_ref()))
            );
            Ok(if connection.revocation_url.is_none() {
                0
            } else {
                1
            })
        }
    }
}

/// Revokes the refresh token (RFC 7009: the provider then drops the grant), then the last
/// access token if it has not expired.
fn revoke_all(
    fetcher: &Fetcher,
    url: &str,
    connection: &Connection,
) -> Result<(), ObApiClientError> {
    let client = ClientCredentials {
        client_id: &connection.client_id,
        client_secret: &connection.client_secret,
    };
    if let Some(token) = &connection.refresh_token {
        grant::revoke(fetcher, url, &client, token, TokenKind::Refresh)?;
    }
    let live = connection
        .access_expires_at
        .as_deref()
        .and_then(|at| chrono::DateTime::parse_from_rfc3339(at).ok())
        .is_none_or(|at| at > Utc::now());
    if let (Some(token), true) = (&connection.access_token, live) {
        grant::revoke(fetcher, url, &client, token, TokenKind::Access)?;
    }
    Ok(())
}

pub(crate) fn connections(dir: &Path, stdin_pass: bool, json: bool) -> Result<u8> {
    let wallet = crate::open(dir, stdin_pass, Access::Read)?;
    let list = &wallet.index.connections;
    if json {
        print_json(&Value::Array(
            list.iter()
                .enumerate()
                .map(|(at, c)| connection_json(at, c))
                .collect(),
        ))?;
        return Ok(0);
    }
    if list.is_empty() {
        eprintln!(
            "The wallet is connected to no provider: `passerelle-wallet connect URL` connects one."
        );
        return Ok(0);
    }
    for (at, c) in list.iter().enumerate() {
        println!("#{} {} ({})", at + 1, safe(&c.title), safe(&c.provider));
        println!("    {}", granted_words(&c.scopes));
        if let Some(id) = &c.profile_id {
            match &c.profile_name {
                Some(name) => println!("    you there: {} ({})", safe(name), safe(id)),
                None => println!("    you there: {}", safe(id)),
            }
        }
        println!(
            "    connected {}, last synced {}{}",
            c.connected_at,
            c.last_sync.as_deref().unwrap_or("never"),
            if c.revocation_url.is_some() {
                ""
            } else {
                " (the provider cannot revoke it from here)"
            }
        );
    }
    Ok(0)
}

/// A connection as `--json` shows it: never a token or the client secret.
fn connection_json(at: usize, c: &Connection) -> Value {
    json!({
        "number": at + 1,
        "provider": c.provider,
        "title": c.title,
        "api": c.api_base,
        "scopes": c.scopes,
        "profile": c.profile_id.as_ref().map(|id| json!({"id": id, "name": c.profile_name})),
        "revocable": c.revocation_url.is_some(),
        "connected_at": c.connected_at,
        "last_sync": c.last_sync,
    })
}

/// A PROVIDER argument: a connection's number or the URL given to `connect`.
fn find(wallet: &Wallet, name: &str) -> Result<usize> {
    let list = &wallet.index.connections;
    if let Ok(number) = name.trim().parse::<usize>() {
        if (1..=list.len()).contains(&number) {
            return Ok(number - 1);
        }
    }
    list.iter()
        .position(|c| same_provider(&c.provider, name))
        .ok_or_else(|| {
            anyhow!(
                "the wallet is not connected to {}: `passerelle-wallet connections` lists the connections and their numbers",
                safe(name)
            )
        })
}

/// Two spellings of one provider URL (a trailing slash aside).
fn same_provider(stored: &str, given: &str) -> bool {
    let normal = |u: &str| {
        url::Url::parse(u.trim())
            .map(|u| u.to_string())
            .unwrap_or_else(|_| u.trim().to_owned())
            .trim_end_matches('/')
            .to_owned()
    };
    normal(stored) == normal(given)
}

/// Opens `url` in a browser when standard output is a terminal: `$BROWSER` (its first entry),
/// else `xdg-open` (`open` on macOS). A failure is only a note: the address is printed.
fn open_browser(url: &str) {
    if !io::stdout().is_terminal() {
        return;
    }
    let configured = std::env::var("BROWSER").ok().and_then(|b| {
        b.split(':')
            .map(str::trim)
            .find(|b| !b.is_empty())
            .map(str::to_owned)
    });
    let program = configured.unwrap_or_else(|| {
        if cfg!(target_os = "macos") {
            "open".into()
        } else {
            "xdg-open".into()
        }
    });
    let mut words = program.split_whitespace();
    let Some(command) = words.next() else {
        return;
    };
    let spawned = Command::new(command)
        .args(words)
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    if let Err(e) = spawned {
        eprintln!(
            "note: could not open a browser ({}: {e}): open the address yourself",
            safe(command)
        );
    }
}
