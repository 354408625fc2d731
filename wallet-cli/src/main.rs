//! `passerelle-wallet` — the learner's wallet. Its encrypted store and commands (`init`, `import`,
//! `list`, `show`, `verify`, `present`, `qr`, `backup`) are not built yet; until they are, this
//! binary says so plainly and points to what works today, instead of pretending.

use std::process::ExitCode;

use clap::Parser;

#[derive(Parser)]
#[command(
    name = "passerelle-wallet",
    version,
    about = "The learner's wallet for Open Badges 3.0 credentials (not available yet)",
    long_about = "The learner's wallet for Open Badges 3.0 credentials.\n\n\
        Its commands (init, import, list, show, verify, present, qr, backup) are not available in \
        this version. To check a credential offline today, use:\n\n    \
        passerelle-verifier verify FILE"
)]
struct Cli {}

fn main() -> ExitCode {
    let _ = Cli::parse();
    eprintln!(
        "passerelle-wallet: the wallet's commands are not available in this version; \
         to check a credential offline, run `passerelle-verifier verify FILE`"
    );
    ExitCode::from(2)
}
