//! `passerelle-issuer dev-tls`: a local development CA and a server certificate signed by it, so
//! that `serve` speaks the https its did:web names on one machine (the quick start). Not for
//! production: there, use a certificate from a public CA (or your organisation's).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use passerelle_issuer::config::IssuerConfig;
use passerelle_issuer::tls::{ensure_dev_tls, DevTlsOutcome};

/// Options of `dev-tls`.
#[derive(Debug, Clone, clap::Args)]
pub struct DevTlsArgs {
    /// Where to keep the CA and the certificate (default: DIR/tls in the issuer directory).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// A DNS name or IP address the certificate is for. Repeatable. Default: the host of the
    /// issuer's URL (when the issuer directory exists), localhost, 127.0.0.1 and ::1.
    #[arg(long = "name", value_name = "NAME")]
    pub names: Vec<String>,
}

pub fn dev_tls(dir: &Path, args: DevTlsArgs) -> Result<()> {
    let out = args.out.unwrap_or_else(|| dir.join("tls"));
    let names = if args.names.is_empty() {
        default_names(dir)
    } else {
        args.names
    };
    let (files, outcome) = ensure_dev_tls(&out, &names, chrono::Utc::now()).with_context(|| {
        format!(
            "cannot prepare the development TLS files in {}",
            out.display()
        )
    })?;
    match outcome {
        DevTlsOutcome::Created => eprintln!(
            "made a development CA and a certificate for {} in {} (for this machine only)",
            names.join(", "),
            out.display()
        ),
        DevTlsOutcome::Reissued { reason } => eprintln!(
            "kept the development CA; made a new certificate for {} because {reason}",
            names.join(", ")
        ),
        DevTlsOutcome::Kept => eprintln!(
            "the development CA and the certificate for {} in {} are current: nothing to do",
            names.join(", "),
            out.display()
        ),
    }
    println!("ca_cert={}", files.ca_cert.display());
    println!("tls_cert={}", files.server_cert.display());
    println!("tls_key={}", files.server_key.display());
    eprintln!(
        "serve with:  passerelle-issuer serve --tls-cert {} --tls-key {}\n\
         trust with:  passerelle-wallet --ca-cert {ca} …  and  passerelle-verifier serve --ca-cert {ca} …",
        files.server_cert.display(),
        files.server_key.display(),
        ca = files.ca_cert.display()
    );
    Ok(())
}

/// The issuer URL's host, then the loopback names.
fn default_names(dir: &Path) -> Vec<String> {
    let mut names = Vec::new();
    if let Ok(config) = IssuerConfig::load(dir) {
        if let Some(host) = url::Url::parse(&config.url)
            .ok()
            .and_then(|u| u.host_str().map(|h| h.trim_matches(['[', ']']).to_owned()))
        {
            names.push(host);
        }
    }
    for name in ["localhost", "127.0.0.1", "::1"] {
        if !names.iter().any(|n| n == name) {
            names.push(name.to_owned());
        }
    }
    names
}
