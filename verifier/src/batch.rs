//! `passerelle-verifier batch`: many credentials verified offline, on every core, for registries
//! and audits. The input is JSON Lines — one credential, presentation or compact JWS per line —
//! and the output one JSON line per input line, in input order:
//! `{"line": N, "id": …, "verdict": "verified" | "not_verified" | "incomplete", "failed": [check
//! ids], "not_checked": [check ids]}`, plus `"error"` for a line that is not a credential at all
//! (its verdict is `not_verified`). Blank lines are skipped; a bad line never stops the run.
//!
//! Lines are read in chunks, each chunk verified in parallel and written in order before the
//! next is read, so memory stays bounded by the chunk (and each line by
//! [`verify::MAX_INPUT_BYTES`]), whatever the input's length.

use std::collections::HashMap;
use std::io::{self, BufRead, Write};
use std::time::Duration;

use chrono::{DateTime, Utc};
use passerelle_core::input::InputLimits;
use passerelle_core::verify::{self, CheckOptions, Fetched, Outcome, Presented, Report, Verdict};
use rayon::prelude::*;
use serde::Serialize;
use serde_json::Value;

/// Lines verified together before their answers are written.
pub const CHUNK_LINES: usize = 1024;

/// What every line is checked with: the documents given instead of fetches, the moment and the
/// options (trust registries included).
pub struct BatchContext {
    pub fetched: Fetched,
    pub now: DateTime<Utc>,
    pub options: CheckOptions,
    pub limits: InputLimits,
    /// Schemas of `--schema-dir` by file name, for credentials that cite a schema by a URL
    /// whose last segment is the file's name but differs from its `$id` (as `verify` does):
    /// filed under that URL the first time a line cites it.
    pub schema_files: HashMap<String, Value>,
}

/// The answer for one input line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LineResult {
    /// 1-based line number in the input.
    pub line: u64,
    /// The credential's (or presentation's) `id`, when it has one.
    pub id: Option<String>,
    pub verdict: Verdict,
    /// Ids of the checks that failed; a presentation's credentials' checks are prefixed
    /// `credentials[i].`.
    pub failed: Vec<String>,
    /// Ids of the checks that could not be done (a required one makes the verdict incomplete).
    pub not_checked: Vec<String>,
    /// Why the line could not be read as a credential at all.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Counts over a whole run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub lines: u64,
    pub verified: u64,
    pub not_verified: u64,
    pub incomplete: u64,
    /// Lines that were not a credential, presentation or JWS (counted in `not_verified` too).
    pub unreadable: u64,
}

impl Summary {
    fn add(&mut self, result: &LineResult) {
        self.lines += 1;
        match result.verdict {
            Verdict::Verified => self.verified += 1,
            Verdict::NotVerified => self.not_verified += 1,
            Verdict::Incomplete => self.incomplete += 1,
        }
        if result.error.is_some() {
            self.unreadable += 1;
        }
    }

    /// Whether every line verified (and there was at least one).
    pub fn all_verified(&self) -> bool {
        self.lines > 0 && self.verified == self.lines
    }

    /// One line for a person: counts, time and rate.
    pub fn describe(&self, elapsed: Duration, threads: usize) -> String {
        let seconds = elapsed.as_secs_f64();
        let rate = if seconds > 0.0 {
            self.lines as f64 / seconds
        } else {
            0.0
        };
        format!(
            "{} lines: {} verified, {} not verified ({} unreadable), {} incomplete; {seconds:.2} s, {rate:.0} lines/s on {threads} threads",
            self.lines, self.verified, self.not_verified, self.unreadable, self.incomplete
        )
    }
}

/// Why a run stopped: reading the input or writing the output failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BatchError {
    #[error("cannot read the input after line {line}")]
    Read {
        line: u64,
        #[source]
        source: io::Error,
    },
    #[error("cannot write the answers")]
    Write(#[source] io::Error),
    #[error("cannot start {threads} verification threads")]
    Threads {
        threads: usize,
        #[source]
        source: rayon::ThreadPoolBuildError,
    },
}

/// Verifies every line of `input` on `threads` threads, writing one JSON line per input line to
/// `output` in input order; `progress(bytes_read)` is called after each chunk.
pub fn run(
    mut input: impl BufRead,
    mut output: impl Write,
    context: &mut BatchContext,
    threads: usize,
    mut progress: impl FnMut(u64),
) -> Result<Summary, BatchError> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|source| BatchError::Threads { threads, source })?;
    let mut summary = Summary::default();
    let mut line_number = 0u64;
    let mut bytes_read = 0u64;
    let mut chunk: Vec<(u64, Line)> = Vec::with_capacity(CHUNK_LINES);
    loop {
        chunk.clear();
        let mut at_end = false;
        while chunk.len() < CHUNK_LINES {
            let (line, read) =
                read_line(&mut input, context.limits.max_bytes).map_err(|source| {
                    BatchError::Read {
                        line: line_number,
                        source,
                    }
                })?;
            bytes_read += read;
            let Some(line) = line else {
                at_end = true;
                break;
            };
            line_number += 1;
            if !line.is_blank() {
                chunk.push((line_number, line));
            }
        }
        let limits = &context.limits;
        let parsed: Vec<Result<Presented, String>> = pool.install(|| {
            chunk
                .par_iter()
                .map(|(_, line)| parse(line, limits))
                .collect()
        });
        for presented in parsed.iter().flatten() {
            // Every schema compiled when the directory was loaded; were one to fail under a
            // new URL, the line's schema check says the schema is not available.
            let _ = file_cited_schemas(presented, &mut context.fetched, &context.schema_files);
        }
        let context = &*context;
        let results: Vec<LineResult> = pool.install(|| {
            chunk
                .par_iter()
                .zip(parsed)
                .map(|((number, _), presented)| verify_line(*number, presented, context))
                .collect()
        });
        for result in &results {
            summary.add(result);
            // A LineResult is strings and enums: it always serialises.
            let text = serde_json::to_string(result).unwrap_or_default();
            writeln!(output, "{text}").map_err(BatchError::Write)?;
        }
        output.flush().map_err(BatchError::Write)?;
        progress(bytes_read);
        if at_end {
            return Ok(summary);
        }
    }
}

/// One input line: its bytes, or the fact that it was longer than the cap (its bytes dropped).
enum Line {
    Text(Vec<u8>),
    TooLong,
}

impl Line {
    fn is_blank(&self) -> bool {
        matches!(self, Line::Text(bytes) if bytes.iter().all(u8::is_ascii_whitespace))
    }
}

/// Reads one line (without its newline), keeping at most `cap` bytes of it: a longer line is
/// read to its end and dropped. `None` at the end of the input. Also returns the bytes consumed.
fn read_line(input: &mut impl BufRead, cap: usize) -> io::Result<(Option<Line>, u64)> {
    let mut bytes = Vec::new();
    let mut consumed = 0u64;
    let mut too_long = false;
    loop {
        let buffer = input.fill_buf()?;
        if buffer.is_empty() {
            let line = if consumed == 0 {
                None
            } else if too_long {
                Some(Line::TooLong)
            } else {
                Some(Line::Text(bytes))
            };
            return Ok((line, consumed));
        }
        let (taken, ended) = match buffer.iter().position(|&b| b == b'\n') {
            Some(at) => (at + 1, true),
            None => (buffer.len(), false),
        };
        let content = &buffer[..if ended { taken - 1 } else { taken }];
        if !too_long {
            if bytes.len() + content.len() > cap {
                too_long = true;
                bytes = Vec::new();
            } else {
                bytes.extend_from_slice(content);
            }
        }
        input.consume(taken);
        consumed += taken as u64;
        if ended {
            let line = if too_long {
                Line::TooLong
            } else {
                if bytes.last() == Some(&b'\r') {
                    bytes.pop();
                }
                Line::Text(bytes)
            };
            return Ok((Some(line), consumed));
        }
    }
}

/// Files each schema of `schema_files` (by file name) under every URL `presented` cites that
/// ends in that file name and `fetched` has no schema for: published schemas often carry an
/// internal `$id` that differs from the URL credentials cite. `verify` and `batch` share it.
pub fn file_cited_schemas(
    presented: &Presented,
    fetched: &mut Fetched,
    schema_files: &HashMap<String, Value>,
) -> Result<(), passerelle_core::schema::SchemaError> {
    if schema_files.is_empty() {
        return Ok(());
    }
    for url in verify::needs(presented, fetched).schemas {
        let file_name = url.rsplit('/').next().unwrap_or_default();
        if let Some(schema) = schema_files.get(file_name) {
            fetched.schemas.insert(schema.clone(), &[url.as_str()])?;
        }
    }
    Ok(())
}

fn parse(line: &Line, limits: &InputLimits) -> Result<Presented, String> {
    match line {
        Line::Text(bytes) => verify::parse_input(bytes, limits)
            .map_err(|e| passerelle_core::error_text::error_chain(&e)),
        Line::TooLong => Err(format!(
            "the line is longer than the {} bytes accepted",
            limits.max_bytes
        )),
    }
}

fn verify_line(
    number: u64,
    presented: Result<Presented, String>,
    context: &BatchContext,
) -> LineResult {
    let presented = match presented {
        Ok(presented) => presented,
        Err(error) => {
            return LineResult {
                line: number,
                id: None,
                verdict: Verdict::NotVerified,
                failed: Vec::new(),
                not_checked: Vec::new(),
                error: Some(error),
            }
        }
    };
    let report = verify::check(&presented, &context.fetched, context.now, &context.options);
    let mut failed = Vec::new();
    let mut not_checked = Vec::new();
    collect_checks(&report, "", &mut failed, &mut not_checked);
    LineResult {
        line: number,
        id: report
            .summary
            .as_ref()
            .and_then(|s| s.id.as_ref())
            .map(|id| id.to_string()),
        verdict: report.verdict(),
        failed,
        not_checked,
        error: None,
    }
}

/// The ids of failed and of not-checked checks, a presentation's credentials included
/// (prefixed `credentials[i].`).
fn collect_checks(
    report: &Report,
    prefix: &str,
    failed: &mut Vec<String>,
    not_checked: &mut Vec<String>,
) {
    for check in report.checks() {
        match check.outcome {
            Outcome::Fail => failed.push(format!("{prefix}{}", check.id)),
            Outcome::NotChecked => not_checked.push(format!("{prefix}{}", check.id)),
            _ => {}
        }
    }
    for (i, credential) in report.credentials().iter().enumerate() {
        collect_checks(
            credential,
            &format!("{prefix}credentials[{i}]."),
            failed,
            not_checked,
        );
    }
}

/// The number of threads to use by default: one per core.
pub fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &[u8], cap: usize) -> Vec<Option<String>> {
        let mut input = io::BufReader::with_capacity(4, text);
        let mut out = Vec::new();
        let mut total = 0;
        loop {
            let (line, read) = read_line(&mut input, cap).unwrap();
            total += read;
            match line {
                None => break,
                Some(Line::Text(bytes)) => out.push(Some(String::from_utf8(bytes).unwrap())),
                Some(Line::TooLong) => out.push(None),
            }
        }
        assert_eq!(total, text.len() as u64);
        out
    }

    #[test]
    fn lines_are_read_with_a_cap_and_crlf_endings() {
        assert_eq!(
            lines(b"ab\r\ncdefghij\n\nxy", 5),
            [
                Some("ab".into()),
                None,
                Some(String::new()),
                Some("xy".into())
            ]
        );
        assert_eq!(lines(b"", 5), Vec::<Option<String>>::new());
        assert_eq!(lines(b"abcdefgh", 5), [None]);
        assert_eq!(lines(b"abcde\n", 5), [Some("abcde".into())]);
    }
}
