//! `passerelle-issuer stats export [--format csv|json] [--threshold N] [--from YYYY-MM]
//! [--to YYYY-MM] [--out FILE]`: the counts of [`passerelle_issuer::stats`], small cells
//! suppressed. Prints nothing about a learner; the only message is where the export went.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use passerelle_issuer::stats::{Format, Month, Threshold};

#[derive(Subcommand)]
pub enum StatsCommand {
    /// Counts of credentials issued, revoked and suspended by achievement, EQF level, ISCED-F
    /// field and month of issue, with every count below the threshold suppressed.
    Export(ExportArgs),
}

#[derive(Args)]
pub struct ExportArgs {
    /// csv or json.
    #[arg(long, default_value = "csv")]
    pub format: String,
    /// Counts below this are shown as `<N` (3 to 1000).
    #[arg(long, default_value_t = passerelle_issuer::stats::DEFAULT_THRESHOLD)]
    pub threshold: u32,
    /// First month counted (YYYY-MM, UTC); default January of the year of the first issuance.
    #[arg(long)]
    pub from: Option<String>,
    /// Last month counted (YYYY-MM, UTC); default this month.
    #[arg(long)]
    pub to: Option<String>,
    /// Write here instead of standard output.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

pub fn run(dir: &Path, command: StatsCommand) -> Result<()> {
    let StatsCommand::Export(args) = command;
    let format = Format::parse(&args.format)?;
    let threshold = Threshold::new(args.threshold)?;
    let from = args
        .from
        .as_deref()
        .map(|m| Month::parse("--from", m))
        .transpose()?;
    let to = args
        .to
        .as_deref()
        .map(|m| Month::parse("--to", m))
        .transpose()?;
    let export = super::runtime()?.block_on(async {
        let (_, store) = super::open_store(dir).await?;
        let export = store
            .stats_export(from, to, threshold, chrono::Utc::now())
            .await;
        store.close().await;
        anyhow::Ok(export??)
    })?;
    let text = match format {
        Format::Csv => export.to_csv(),
        Format::Json => format!("{:#}\n", export.to_json()),
    };
    match args.out {
        Some(path) => {
            std::fs::write(&path, text)
                .with_context(|| format!("cannot write {}", path.display()))?;
            eprintln!(
                "statistics for {} to {} written to {} (counts below {} suppressed)",
                export.range.from,
                export.range.to,
                path.display(),
                threshold.value()
            );
        }
        None => print!("{text}"),
    }
    Ok(())
}
