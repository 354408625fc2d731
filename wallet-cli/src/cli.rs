//! The command line: arguments and subcommands (clap).

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

#[derive(Parser)]
#[command(
    name = "passerelle-wallet",
    version,
    about = "The learner's wallet for Open Badges 3.0 credentials: encrypted, offline, yours",
    after_help = "Passphrase: a prompt on the terminal, or --passphrase-stdin (first line of standard \
        input), or $PASSERELLE_WALLET_PASSPHRASE for scripts.\n\
        Exit codes: 0 done; 1 not verified / incomplete, or import (connect, sync) refused a \
        credential, or disconnect could not revoke; \
        2 usage or input error; 3 wrong passphrase or wallet in use; 4 wallet damaged or disk error."
)]
pub struct Cli {
    /// The wallet directory (default: $PASSERELLE_WALLET_DIR, else the user's data directory).
    #[arg(long, global = true, value_name = "DIR")]
    pub wallet: Option<PathBuf>,
    /// Read the passphrase from the first line of standard input (for `passphrase`: the new one
    /// from the second line).
    #[arg(long, global = true)]
    pub passphrase_stdin: bool,
    /// Let the wallet contact private, loopback and other non-public addresses when it fetches
    /// what a credential names (did:web documents, status lists, schemas) or a link: for
    /// intranet issuers (plain http too). Without it only https to public addresses is fetched.
    #[arg(long, global = true)]
    pub allow_private_network: bool,
    /// Trust the CA certificate(s) in FILE (PEM, one or more) for https, besides the usual public
    /// roots: a local development CA. Repeatable. Without it, $SSL_CERT_FILE is used the same way
    /// if set (--ca-cert wins when both are given).
    #[arg(long = "ca-cert", global = true, value_name = "FILE")]
    pub ca_certs: Vec<PathBuf>,
    /// Replace an output file that exists (`present --out`, `qr --png/--svg`, `export --baked`,
    /// `backup`); without it such a file is never overwritten.
    #[arg(long, global = true)]
    pub overwrite: bool,
    /// The language of the wallet's messages: en, fr, ar, es, ru or zh (default: from
    /// $LC_ALL, $LC_MESSAGES or $LANG, else English). `--json` output stays English.
    #[arg(long, global = true, value_name = "LANG")]
    pub lang: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Create the wallet and the holder key (did:key).
    Init {
        #[arg(long)]
        json: bool,
    },
    /// Import credentials: a JSON credential or presentation, a compact JWS, a baked PNG or SVG,
    /// an image of a QR code, QR text (VC2:…, VC1:… or VP1-…), an issuer's claim link, or an OpenID4VCI
    /// credential offer (openid-credential-offer://…, a link with credential_offer_uri=…, or a
    /// photo of its QR code): the wallet then asks the issuer for the credential, bound to your
    /// holder key.
    Import {
        source: String,
        /// The transaction code (PIN) an offer asks for, which the issuer sent you separately
        /// (or $PASSERELLE_WALLET_TX_CODE, which other users of the machine cannot see in the
        /// process list). Without either you are asked on the terminal.
        #[arg(
            long,
            value_name = "CODE",
            env = "PASSERELLE_WALLET_TX_CODE",
            hide_env_values = true
        )]
        tx_code: Option<String>,
        /// The format to ask an OpenID4VCI issuer for (default: ldp_vc when offered, else
        /// jwt_vc_json).
        #[arg(long, value_enum)]
        format: Option<FormatArg>,
        /// Store a credential even if it fails verification (it is marked as such).
        #[arg(long)]
        force: bool,
        /// Store a credential whose signature or status could not be checked (e.g. the issuer's
        /// server did not answer); it is marked as unchecked until `verify N --online` settles it.
        #[arg(long)]
        keep_unchecked: bool,
        /// Do not use the network (no claim links; status lists and did:web keys unchecked).
        #[arg(long)]
        offline: bool,
        #[arg(long)]
        json: bool,
    },
    /// List the credentials.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Show one credential as a card (`--json`: the credential itself).
    Show {
        number: u64,
        #[arg(long)]
        json: bool,
    },
    /// Verify a credential, offline with what the wallet cached (`--online` refreshes it).
    Verify {
        number: u64,
        #[arg(long)]
        online: bool,
        #[arg(long)]
        json: bool,
    },
    /// Delete a credential.
    Delete {
        number: u64,
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
    },
    /// Sign a presentation of credentials with the holder key, for a verifier's challenge.
    Present {
        #[arg(required = true)]
        numbers: Vec<u64>,
        #[arg(long)]
        challenge: String,
        #[arg(long)]
        domain: String,
        /// Write it to FILE instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
        #[arg(long, value_enum, default_value_t = SuiteArg::EddsaRdfc2022)]
        suite: SuiteArg,
    },
    /// A QR code of a credential: in the terminal, or as PNG / SVG files.
    Qr {
        number: u64,
        #[arg(long)]
        png: Option<PathBuf>,
        #[arg(long)]
        svg: Option<PathBuf>,
        /// Print the QR code's text instead of drawing it.
        #[arg(long)]
        text: bool,
    },
    /// Export a credential baked into an image (FILE.png or FILE.svg).
    Export {
        number: u64,
        #[arg(long, value_name = "FILE")]
        baked: PathBuf,
    },
    /// Write the whole wallet into one encrypted file (sealed with the wallet's passphrase).
    Backup { file: PathBuf },
    /// Create a wallet from a backup (the backup's passphrase becomes the wallet's).
    Restore { file: PathBuf },
    /// Change the passphrase (every file is re-encrypted; atomic).
    Passphrase,
    /// Confirm that an email address is yours: it is checked, locally, against the hashed
    /// identifiers of the credentials in the wallet; `show` then calls their recipient "you".
    ConfirmEmail {
        address: String,
        #[arg(long)]
        json: bool,
    },
    /// Connect the wallet to an Open Badges 3.0 API provider (a platform that holds your badges)
    /// and import every badge it returns: the wallet registers itself, prints an address to open
    /// in your browser where you approve the connection, then fetches and verifies each badge.
    /// The connection is kept, encrypted, for `sync`.
    Connect {
        /// The provider's address (its base URL: the API is under URL/ims/ob/v3p0).
        url: String,
        /// Do not open a browser: only print the address to open.
        #[arg(long)]
        no_browser: bool,
        /// How long to wait for your approval in the browser, in seconds.
        #[arg(long, value_name = "SECS", default_value_t = 600)]
        timeout: u64,
        #[arg(long)]
        json: bool,
    },
    /// Fetch new badges from the connected providers (all, or the one named: its URL or its
    /// number in `connections`).
    Sync {
        provider: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Revoke a connection at its provider and forget it (PROVIDER: its URL or its number in
    /// `connections`). The badges already imported stay in the wallet.
    Disconnect { provider: String },
    /// List the providers the wallet is connected to.
    Connections {
        #[arg(long)]
        json: bool,
    },
    /// Print the holder DID.
    Holder {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum FormatArg {
    /// The credential with its Data Integrity proof (JSON-LD).
    #[value(name = "ldp_vc")]
    LdpVc,
    /// The credential as a VC-JOSE compact JWS.
    #[value(name = "jwt_vc_json")]
    JwtVcJson,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum SuiteArg {
    #[value(name = "eddsa-rdfc-2022")]
    EddsaRdfc2022,
    #[value(name = "eddsa-jcs-2022")]
    EddsaJcs2022,
}
