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
use passerelle_wallet::i18n::Messages;
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

pub(crate) fn connect(
    dir: &Path,
    stdin_pass: bool,
    url_text: &str,
    options: ConnectOptions,
    network: &Network,
    m: &Messages<'_>,
) -> Result<u8> {
    let provider = discovery::provider_url(url_text)?;
    store::ensure_exists(dir)?;
    let pass = Passphrases::new(stdin_pass, m)?.current(m.t("wallet.prompt.passphrase"))?;
    {
        // The passphrase is checked before anything is sent.
        let wallet = Wallet::open(dir, &pass, Access::Read)?;
        if let Some(existing) = wallet
            .index
            .connections
            .iter()
            .find(|c| same_provider(&c.provider, provider.as_str()))
        {
            bail!(m.format(
                "wallet.connect.already",
                &[
                    ("title", &safe(&existing.title)),
                    ("provider", &safe(&existing.provider))
                ]
            ));
        }
    }
    let failed = || {
        m.format(
            "wallet.connect.failed",
            &[("provider", &safe(provider.as_str()))],
        )
    };
    let warn =
        |message: String| eprintln!("{}", m.format("wallet.warning", &[("message", &message)]));
    let note = |message: String| eprintln!("{}", m.format("wallet.note", &[("message", &message)]));
    let fetcher = network.fetcher()?;
    let (description, warnings) = discovery::discover(&fetcher, &provider).with_context(failed)?;
    for warning in &warnings {
        warn(m.format(
            "wallet.connect.description_warning",
            &[("warning", &safe(warning))],
        ));
    }
    eprintln!(
        "{}",
        m.format(
            "wallet.connect.connecting",
            &[
                ("title", &safe(&description.title)),
                ("provider", &safe(provider.as_str()))
            ]
        )
    );
    let (revocation_url, unrevocable) =
        discovery::revocation_endpoint(&fetcher, &provider).with_context(failed)?;
    if let Some(reason) = unrevocable {
        note(m.format(
            "wallet.connect.no_revocation",
            &[("reason", &safe(&reason))],
        ));
    }
    let loopback = Loopback::bind().with_context(failed)?;
    let redirect_uri = loopback.redirect_uri();
    let (registered, warnings) =
        grant::register(&fetcher, &description, &redirect_uri).with_context(failed)?;
    for warning in &warnings {
        warn(m.format(
            "wallet.connect.registration_warning",
            &[("warning", &safe(warning))],
        ));
    }
    let scopes = grant::scopes_to_request(registered.scope.as_deref()).with_context(failed)?;
    let pending =
        grant::authorization_request(&description, &registered.client_id, &redirect_uri, scopes)
            .with_context(failed)?;
    // The URL follows alone on the next line, after two spaces (the tests read it there).
    eprintln!("{}", m.t("wallet.connect.open_this"));
    eprintln!("  {}", safe(pending.url.as_str()));
    if options.browser {
        open_browser(pending.url.as_str(), m);
    }
    eprintln!(
        "{}",
        m.format(
            "wallet.connect.waiting",
            &[("seconds", &m.number(&options.timeout.as_secs().to_string()))]
        )
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
        note(m.t("wallet.connect.no_refresh").to_owned());
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
        "{}",
        m.format(
            "wallet.connect.connected",
            &[
                ("title", &safe(&description.title)),
                ("number", &(at + 1).to_string()),
                ("scopes", &granted_words(&tokens.scopes, m)),
            ]
        )
    );
    let policy = Policy {
        keep: Keep::default(),
        stdin_pass,
        json: options.json,
        m: *m,
    };
    let results = match pull(&mut wallet, at, &fetcher, &tokens, &policy) {
        Ok(results) => results,
        Err(e) => {
            eprintln!("{}", m.t("wallet.connect.kept"));
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
fn granted_words(scopes: &[String], m: &Messages<'_>) -> String {
    let words: Vec<String> = scopes
        .iter()
        .filter_map(|s| Scope::from_uri(s))
        .map(|s| {
            let key = format!("wallet.scope.{}", scope_key(s));
            let text = m.t(&key);
            if text.is_empty() {
                s.plain_words().to_lowercase()
            } else {
                text.to_owned()
            }
        })
        .collect();
    if words.is_empty() {
        m.t("wallet.connect.no_scope").to_owned()
    } else {
        m.format("wallet.connect.allowed", &[("scopes", &words.join(", "))])
    }
}

/// The catalogue key of a scope's plain words.
fn scope_key(scope: Scope) -> &'static str {
    match scope {
        Scope::ProfileReadonly => "profile_readonly",
        Scope::ProfileUpdate => "profile_update",
        Scope::CredentialReadonly => "credential_readonly",
        Scope::CredentialUpsert => "credential_upsert",
        _ => "other",
    }
}

/// Fetches every credential with `tokens`' access token, hands them to the import policy,
/// records the sync, and prints a summary.
fn pull(
    wallet: &mut Wallet,
    at: usize,
    fetcher: &Fetcher,
    tokens: &Tokens,
    policy: &Policy<'_>,
) -> Result<Vec<Imported>> {
    let m = &policy.m;
    let connection = wallet.index.connections[at].clone();
    let title = connection.title.clone();
    let api = url::Url::parse(&connection.api_base).with_context(|| {
        format!(
            "the stored API address {} is not a URL",
            connection.api_base
        )
    })?;
    let fetched = sync::fetch_all(fetcher, &api, &tokens.access_token, &title)
        .with_context(|| m.format("wallet.sync.fetch_failed", &[("title", &safe(&title))]))?;
    let warn =
        |message: String| eprintln!("{}", m.format("wallet.warning", &[("message", &message)]));
    for warning in &fetched.warnings {
        warn(format!("{}: {}", safe(&title), safe(warning)));
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
                warn(m.format(
                    "wallet.sync.no_profile",
                    &[("title", &safe(&title)), ("reason", &safe(&e.to_string()))],
                ));
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
    let n = |count: usize| m.number(&count.to_string());
    eprintln!(
        "{}",
        m.format(
            "wallet.sync.summary",
            &[
                ("title", &safe(&title)),
                ("count", &n(count)),
                ("pages", &n(fetched.pages)),
                ("stored", &n(stored)),
                ("duplicates", &n(duplicates)),
                ("refused", &n(refused)),
            ]
        )
    );
    Ok(results)
}

pub(crate) fn sync(
    dir: &Path,
    stdin_pass: bool,
    provider: Option<&str>,
    json: bool,
    network: &Network,
    m: &Messages<'_>,
) -> Result<u8> {
    let mut wallet = crate::open(dir, stdin_pass, Access::Write, m)?;
    let chosen: Vec<usize> = match provider {
        Some(name) => vec![find(&wallet, name, m)?],
        None => (0..wallet.index.connections.len()).collect(),
    };
    if chosen.is_empty() {
        eprintln!("{}", m.t("wallet.connections.none"));
        return Ok(0);
    }
    let fetcher = network.fetcher()?;
    let policy = Policy {
        keep: Keep::default(),
        stdin_pass,
        json,
        m: *m,
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
                failures
                    .push(e.context(m.format("wallet.sync.failed", &[("title", &safe(&title))])));
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
                    "{}",
                    m.format(
                        "wallet.error",
                        &[("message", &safe(&crate::error_text(e, m)))]
                    )
                );
            }
            Err(anyhow!(m.format(
                "wallet.sync.many_failed",
                &[("count", &m.number(&n.to_string()))]
            )))
        }
    }
}

/// Refreshes (the new refresh token saved before the access token is used), then pulls.
fn sync_one(
    wallet: &mut Wallet,
    at: usize,
    fetcher: &Fetcher,
    policy: &Policy<'_>,
) -> Result<Vec<Imported>> {
    let m = &policy.m;
    let connection = wallet.index.connections[at].clone();
    let Some(refresh_token) = connection.refresh_token.as_deref() else {
        bail!(m.format(
            "wallet.sync.no_refresh",
            &[("number", &(at + 1).to_string())]
        ));
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
            return Err(anyhow!(e).context(m.format(
                "wallet.sync.revoked",
                &[
                    ("number", &(at + 1).to_string()),
                    ("provider", &safe(&connection.provider)),
                ],
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
    m: &Messages<'_>,
) -> Result<u8> {
    let mut wallet = crate::open(dir, stdin_pass, Access::Write, m)?;
    let at = find(&wallet, provider, m)?;
    let connection = wallet.index.connections[at].clone();
    let title = safe(&connection.title);
    let outcome = match &connection.revocation_url {
        None => Err(anyhow!(m.t("wallet.disconnect.no_endpoint").to_owned())),
        Some(url) => network.fetcher().and_then(|fetcher| {
            revoke_all(&fetcher, url, &connection).map_err(anyhow::Error::from)
        }),
    };
    wallet.index.connections.remove(at);
    wallet.save_index()?;
    match outcome {
        Ok(()) => {
            eprintln!(
                "{}",
                m.format("wallet.disconnect.done", &[("title", &title)])
            );
            Ok(0)
        }
        Err(e) => {
            eprintln!(
                "{}",
                m.format(
                    "wallet.disconnect.not_revoked",
                    &[
                        ("title", &title),
                        ("reason", &safe(&crate::error_text(&e, m)))
                    ]
                )
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

pub(crate) fn connections(
    dir: &Path,
    stdin_pass: bool,
    json: bool,
    m: &Messages<'_>,
) -> Result<u8> {
    let wallet = crate::open(dir, stdin_pass, Access::Read, m)?;
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
        eprintln!("{}", m.t("wallet.connections.none"));
        return Ok(0);
    }
    for (at, c) in list.iter().enumerate() {
        println!("#{} {} ({})", at + 1, safe(&c.title), safe(&c.provider));
        println!("    {}", granted_words(&c.scopes, m));
        if let Some(id) = &c.profile_id {
            let who = match &c.profile_name {
                Some(name) => format!("{} ({})", safe(name), safe(id)),
                None => safe(id),
            };
            println!(
                "    {}",
                m.format("wallet.connections.you_there", &[("who", &who)])
            );
        }
        let last = c.last_sync.as_deref().map_or_else(
            || m.t("wallet.connections.never").to_owned(),
            |t| m.moment(t),
        );
        println!(
            "    {}{}",
            m.format(
                "wallet.connections.dates",
                &[("connected", &m.moment(&c.connected_at)), ("synced", &last)]
            ),
            if c.revocation_url.is_some() {
                String::new()
            } else {
                format!(" {}", m.t("wallet.connections.unrevocable"))
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
fn find(wallet: &Wallet, name: &str, m: &Messages<'_>) -> Result<usize> {
    let list = &wallet.index.connections;
    if let Ok(number) = name.trim().parse::<usize>() {
        if (1..=list.len()).contains(&number) {
            return Ok(number - 1);
        }
    }
    list.iter()
        .position(|c| same_provider(&c.provider, name))
        .ok_or_else(
            || anyhow!(m.format("wallet.connections.unknown", &[("provider", &safe(name))])),
        )
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
fn open_browser(url: &str, m: &Messages<'_>) {
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
        let message = m.format(
            "wallet.connect.no_browser",
            &[("reason", &format!("{}: {e}", safe(command)))],
        );
        eprintln!("{}", m.format("wallet.note", &[("message", &message)]));
    }
}
