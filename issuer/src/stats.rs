//! Statistics that reveal no learner: the counts behind `passerelle-issuer stats export` and
//! `GET /api/v1/stats/export`, with small-cell suppression. Pure: no I/O, no clock (the caller
//! passes the time the export is made), so every rule here is tested on generated data.
//!
//! # What is counted
//! Three *measures* for the credentials **issued in the range** (`from`–`to`, whole UTC months):
//! `issued` (all of them), `revoked` (of those, revoked now) and `suspended` (of those, suspended
//! now and not revoked). A revoked or suspended credential is counted in the month it was
//! **issued**, not the month its status changed, so every table of a measure counts the same
//! credentials.
//!
//! # Tables
//! Each table is a one-way breakdown whose rows partition the counted credentials:
//! - `by_achievement`: one row per achievement definition (slug), awarded or not;
//! - `by_eqf_level`: one row per European Qualifications Framework level recorded on some
//!   achievement (its `alignment` with `targetFramework` "European Qualifications Framework"),
//!   plus `none` if some achievement has no level;
//! - `by_isced_f`: one row per ISCED-F 2013 field recorded on some achievement (its
//!   `alignment` with `targetFramework` "ISCED-F 2013"), plus `none`;
//! - `by_month`: one row per month of the range (`YYYY-MM`), empty months included.
//!
//! The rows listed depend only on public facts (the definitions and the requested range), never
//! on which cells hold credentials. `totals` gives each measure's total. No cross-tabulation is
//! published.
//!
//! # Cell values
//! A cell is a number (published), `"<T"` (T the threshold: the count is below T, zero
//! included) or `"x"` (withheld: published nowhere, to protect a `"<T"` cell or because the
//! whole column is withheld). JSON: numbers are JSON numbers, the two markers JSON strings.
//! CSV: `table,key,issued,revoked,suspended`, preceded by `#` comment lines with the schema,
//! threshold, range and time of the export; the totals are the rows of table `totals`.
//!
//! # Suppression rules (and why no suppressed count can be derived)
//! 1. **Primary.** Every count below the threshold, **zeros included**, is shown as `"<T"`: a
//!    zero here is a sampling zero (no credential happened to be issued), not a structural one,
//!    and publishing it would tell that nobody in that group holds the credential.
//! 2. **Totals.** A measure's total below T is `"<T"`, and then every cell of that measure is
//!    below T too, so nothing of the measure is published.
//! 3. **Complementary, per column.** In `by_achievement` and `by_month`, for each measure, the
//!    published cells and the total give the sum R of the suppressed ones. With the facts a
//!    reader has (a `"<T"` cell lies in 0..T-1, an `"x"` cell in a protected column is at least
//!    T and at most the smallest published cell, the suppressed cells sum to R), the exact range of each `"<T"` cell is
//!    `[max(0, R − Σ others' maxima), min(T−1, R − Σ others' minima)]` (one equation over a box
//!    of integers: this interval is exact). Cells are withheld as `"x"`, smallest published
//!    first, until every `"<T"` cell's range holds at least two values. If even suppressing
//!    every cell leaves one determined, the whole column is written `"x"` (then a reader only
//!    knows the cells are non-negative and sum to the total, and no cell is fixed).
//! 4. **Groups.** An EQF level or ISCED-F field is the sum of its achievements, whose
//!    definitions are public. A group's cell is published only when every achievement in it is
//!    published (it then adds nothing a reader could not add up), else it is `"x"`. So the
//!    group tables add no equation beyond `by_achievement`.
//! 5. **Across tables.** `by_achievement` and `by_month` share only the total (no
//!    cross-tabulation is published), and any two tables with those margins are consistent with
//!    some achievement × month table (a transportation problem with equal totals always has a
//!    non-negative integer solution), so rule 3 applied to each of them protects both.
//!
//! The test `no_suppressed_count_can_be_derived` checks this by brute force on generated
//! exports: for every `"<T"` cell it enumerates every assignment of all suppressed cells of the
//! export that satisfies every published number and relation (the sums above, the group sums,
//! the bounds, integrality, and revoked + suspended ≤ issued in every row and in the totals),
//! and asserts the cell takes at least two values; it also shows the check fails when rule 3 is
//! turned off.
//!
//! What the reader is assumed to know: the rules above (including that rule 3 withholds the
//! smallest published cell first, so a withheld cell is at most the smallest published one of
//! its column: both rule 3 and the check use that bound), the public definitions, and every
//! number published. Not covered: several exports of overlapping ranges or different
//! thresholds combined (differencing them can isolate a small count: publish one export per
//! period).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

/// The threshold when none is given.
pub const DEFAULT_THRESHOLD: u32 = 10;
/// Smallest threshold accepted: below 3, a `"<T"` cell holds at most two values.
pub const MIN_THRESHOLD: u32 = 3;
/// Largest threshold accepted.
pub const MAX_THRESHOLD: u32 = 1000;
/// The `schema` of an export.
pub const SCHEMA: &str = "passerelle-stats-export/1";

/// The three measures, in the order of the CSV columns.
pub const MEASURES: [&str; 3] = ["issued", "revoked", "suspended"];

/// Why an export could not be made from the arguments.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StatsError {
    #[error("threshold {given}: use a whole number from {MIN_THRESHOLD} to {MAX_THRESHOLD}")]
    Threshold { given: String },
    #[error("{field} {given:?}: expected a month as YYYY-MM")]
    Month { field: &'static str, given: String },
    #[error("the range ends ({to}) before it starts ({from})")]
    Range { from: String, to: String },
    #[error("format {given:?}: use csv or json")]
    Format { given: String },
}

/// The output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Json,
}

impl Format {
    pub fn parse(text: &str) -> Result<Self, StatsError> {
        match text {
            "csv" => Ok(Self::Csv),
            "json" => Ok(Self::Json),
            _ => Err(StatsError::Format {
                given: text.to_owned(),
            }),
        }
    }
}

/// A suppression threshold in [`MIN_THRESHOLD`]..=[`MAX_THRESHOLD`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Threshold(u32);

impl Threshold {
    pub fn parse(text: &str) -> Result<Self, StatsError> {
        text.trim()
            .parse::<u32>()
            .ok()
            .and_then(|n| Self::new(n).ok())
            .ok_or_else(|| StatsError::Threshold {
                given: text.to_owned(),
            })
    }

    pub fn new(n: u32) -> Result<Self, StatsError> {
        if (MIN_THRESHOLD..=MAX_THRESHOLD).contains(&n) {
            Ok(Self(n))
        } else {
            Err(StatsError::Threshold {
                given: n.to_string(),
            })
        }
    }

    pub fn value(self) -> u32 {
        self.0
    }
}

impl Default for Threshold {
    fn default() -> Self {
        Self(DEFAULT_THRESHOLD)
    }
}

/// A month `YYYY-MM` (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Month {
    pub year: i32,
    /// 1–12.
    pub month: u32,
}

impl Month {
    pub fn parse(field: &'static str, text: &str) -> Result<Self, StatsError> {
        let bad = || StatsError::Month {
            field,
            given: text.to_owned(),
        };
        let (y, m) = text.trim().split_once('-').ok_or_else(bad)?;
        if y.len() != 4 || m.len() != 2 {
            return Err(bad());
        }
        let year: i32 = y.parse().map_err(|_| bad())?;
        let month: u32 = m.parse().map_err(|_| bad())?;
        if !(1..=12).contains(&month) || year < 1970 {
            return Err(bad());
        }
        Ok(Self { year, month })
    }

    pub fn of(at: DateTime<Utc>) -> Self {
        use chrono::Datelike;
        Self {
            year: at.year(),
            month: at.month(),
        }
    }

    pub fn next(self) -> Self {
        if self.month == 12 {
            Self {
                year: self.year + 1,
                month: 1,
            }
        } else {
            Self {
                year: self.year,
                month: self.month + 1,
            }
        }
    }

    /// Midnight UTC on the first day of the month.
    pub fn start(self) -> DateTime<Utc> {
        use chrono::TimeZone;
        Utc.with_ymd_and_hms(self.year, self.month, 1, 0, 0, 0)
            .single()
            .unwrap_or(DateTime::<Utc>::MIN_UTC)
    }

    /// January of this month's year.
    pub fn january(self) -> Self {
        Self {
            year: self.year,
            month: 1,
        }
    }
}

impl std::fmt::Display for Month {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// Whole months `from` to `to`, both included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    pub from: Month,
    pub to: Month,
}

impl Range {
    pub fn new(from: Month, to: Month) -> Result<Self, StatsError> {
        if to < from {
            return Err(StatsError::Range {
                from: from.to_string(),
                to: to.to_string(),
            });
        }
        Ok(Self { from, to })
    }

    pub fn months(self) -> Vec<Month> {
        let mut out = vec![self.from];
        let mut m = self.from;
        while m < self.to {
            m = m.next();
            out.push(m);
        }
        out
    }

    /// Issued at or after this instant…
    pub fn start(self) -> DateTime<Utc> {
        self.from.start()
    }

    /// …and strictly before this one.
    pub fn end(self) -> DateTime<Utc> {
        self.to.next().start()
    }
}

/// An achievement as the export sees it: its slug and the groups its public definition puts it
/// in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AchievementGroups {
    pub slug: String,
    pub eqf_level: Option<u8>,
    pub isced_f: Option<String>,
}

impl AchievementGroups {
    /// Reads the EQF level and ISCED-F field from an OB 3.0 Achievement definition's
    /// alignments (see [`crate::achievements`]).
    pub fn from_definition(slug: &str, definition: &Value) -> Self {
        let code = |framework: &str| {
            definition["alignment"].as_array().and_then(|list| {
                list.iter()
                    .find(|a| a["targetFramework"].as_str() == Some(framework))
                    .and_then(|a| a["targetCode"].as_str())
                    .map(str::to_owned)
            })
        };
        Self {
            slug: slug.to_owned(),
            eqf_level: code(crate::achievements::EQF_FRAMEWORK).and_then(|c| c.parse().ok()),
            isced_f: code(crate::achievements::ISCED_F_FRAMEWORK),
        }
    }
}

/// Counts for one achievement (by slug) and one month of issue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counts {
    pub issued: u64,
    pub revoked: u64,
    pub suspended: u64,
}

impl Counts {
    fn get(&self, measure: usize) -> u64 {
        match measure {
            0 => self.issued,
            1 => self.revoked,
            _ => self.suspended,
        }
    }

    fn add(&mut self, other: &Counts) {
        self.issued += other.issued;
        self.revoked += other.revoked;
        self.suspended += other.suspended;
    }
}

/// A published cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cell {
    Count(u64),
    /// Below the threshold.
    Small,
    /// Withheld: published nowhere.
    Withheld,
}

/// One row of a table: its key and a cell per measure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub key: String,
    pub cells: [Cell; 3],
}

/// One breakdown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub name: &'static str,
    pub rows: Vec<Row>,
    /// Per measure: the whole column was withheld (rule 3's last resort).
    pub withheld: [bool; 3],
}

/// An export: what was asked, when it was made, the totals and the tables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Export {
    pub generated_at: DateTime<Utc>,
    pub threshold: Threshold,
    pub range: Range,
    pub totals: [Cell; 3],
    /// `by_achievement`, `by_eqf_level`, `by_isced_f`, `by_month`, in this order.
    pub tables: Vec<Table>,
}

/// Which rules to apply; only tests turn complementary suppression off, to show the check
/// catches what it prevents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rules {
    pub complementary: bool,
}

impl Default for Rules {
    fn default() -> Self {
        Self {
            complementary: true,
        }
    }
}

/// Builds the export from the achievements (all of them, awarded or not) and the counts by
/// achievement slug and month (months outside the range and unknown slugs are ignored).
pub fn build(
    achievements: &[AchievementGroups],
    counts: &BTreeMap<(String, Month), Counts>,
    range: Range,
    threshold: Threshold,
    generated_at: DateTime<Utc>,
) -> Export {
    build_with(
        achievements,
        counts,
        range,
        threshold,
        generated_at,
        Rules::default(),
    )
}

/// [`build`] with the rules chosen.
pub fn build_with(
    achievements: &[AchievementGroups],
    counts: &BTreeMap<(String, Month), Counts>,
    range: Range,
    threshold: Threshold,
    generated_at: DateTime<Utc>,
    rules: Rules,
) -> Export {
    let t = u64::from(threshold.value());
    let months = range.months();
    let mut by_achievement: Vec<(String, Counts)> = achievements
        .iter()
        .map(|a| (a.slug.clone(), Counts::default()))
        .collect();
    let mut by_month: Vec<(String, Counts)> = months
        .iter()
        .map(|m| (m.to_string(), Counts::default()))
        .collect();
    let mut total = Counts::default();
    for ((slug, month), c) in counts {
        let (Some(ai), Some(mi)) = (
            achievements.iter().position(|a| &a.slug == slug),
            months.iter().position(|m| m == month),
        ) else {
            continue;
        };
        by_achievement[ai].1.add(c);
        by_month[mi].1.add(c);
        total.add(c);
    }

    let mut totals = [Cell::Small; 3];
    for (m, cell) in totals.iter_mut().enumerate() {
        if total.get(m) >= t {
            *cell = Cell::Count(total.get(m));
        }
    }
    let achievement_table = protected("by_achievement", &by_achievement, &total, t, rules);
    let month_table = protected("by_month", &by_month, &total, t, rules);
    let eqf = group_table(
        "by_eqf_level",
        achievements,
        &achievement_table,
        &by_achievement,
        |a| a.eqf_level.map(|l| l.to_string()),
    );
    let isced = group_table(
        "by_isced_f",
        achievements,
        &achievement_table,
        &by_achievement,
        |a| a.isced_f.clone(),
    );
    Export {
        generated_at,
        threshold,
        range,
        totals,
        tables: vec![achievement_table, eqf, isced, month_table],
    }
}

/// Rules 1–3 on one table whose rows partition the counted credentials.
fn protected(
    name: &'static str,
    rows: &[(String, Counts)],
    total: &Counts,
    t: u64,
    rules: Rules,
) -> Table {
    let mut out: Vec<Row> = rows
        .iter()
        .map(|(key, _)| Row {
            key: key.clone(),
            cells: [Cell::Small; 3],
        })
        .collect();
    let mut withheld = [false; 3];
    for (m, withheld) in withheld.iter_mut().enumerate() {
        let values: Vec<u64> = rows.iter().map(|(_, c)| c.get(m)).collect();
        let cells = protect_column(&values, total.get(m), t, rules);
        // Only the last resort withholds every cell (a secondary is added only while a small
        // cell remains to protect).
        *withheld = cells.iter().all(|c| *c == Cell::Withheld) && !values.is_empty();
        for (row, cell) in out.iter_mut().zip(cells) {
            row.cells[m] = cell;
        }
    }
    Table {
        name,
        rows: out,
        withheld,
    }
}

/// One column: primary suppression, then complementary suppression until no `Small` cell is
/// determined by the column's sum (the total, known unless it is below `t`).
pub fn protect_column(values: &[u64], total: u64, t: u64, rules: Rules) -> Vec<Cell> {
    if total < t {
        // Rule 2: every cell is below t as well; the total is not published.
        return vec![Cell::Small; values.len()];
    }
    let mut cells: Vec<Cell> = values
        .iter()
        .map(|&v| if v < t { Cell::Small } else { Cell::Count(v) })
        .collect();
    if !rules.complementary {
        return cells;
    }
    loop {
        if column_is_safe(values, &cells, total, t) {
            return cells;
        }
        // The smallest published cell (first on ties) is withheld next.
        let next = cells
            .iter()
            .enumerate()
            .filter_map(|(i, c)| matches!(c, Cell::Count(_)).then_some((values[i], i)))
            .min();
        match next {
            Some((_, i)) => cells[i] = Cell::Withheld,
            None => return vec![Cell::Withheld; values.len()],
        }
    }
}

/// Whether every `Small` cell can take at least two values given the published cells, the
/// total and the bounds a reader knows (`Small` in 0..t-1, `Withheld` at least t).
fn column_is_safe(values: &[u64], cells: &[Cell], total: u64, t: u64) -> bool {
    let published: u64 = values
        .iter()
        .zip(cells)
        .filter(|(_, c)| matches!(c, Cell::Count(_)))
        .map(|(v, _)| v)
        .sum();
    let rest = total - published;
    // Cells are withheld smallest first, so a reader knows a withheld cell is at most the
    // smallest published one.
    let smallest_published = values
        .iter()
        .zip(cells)
        .filter(|(_, c)| matches!(c, Cell::Count(_)))
        .map(|(v, _)| *v)
        .min()
        .unwrap_or(rest);
    let bounds: Vec<(u64, u64)> = cells
        .iter()
        .filter_map(|c| match c {
            Cell::Small => Some((0, t - 1)),
            Cell::Withheld => Some((t, rest.min(smallest_published))),
            Cell::Count(_) => None,
        })
        .collect();
    let (sum_lo, sum_hi) = bounds
        .iter()
        .fold((0u64, 0u64), |(l, h), (bl, bh)| (l + bl, h + bh));
    bounds.iter().all(|&(lo, hi)| {
        if lo >= t {
            return true; // a withheld cell needs no protection
        }
        let others_lo = sum_lo - lo;
        let others_hi = sum_hi - hi;
        let min = lo.max(rest.saturating_sub(others_hi));
        let max = hi.min(rest.saturating_sub(others_lo));
        max > min
    })
}

/// Rule 4: a group's cell is the sum of its achievements when all of them are published.
fn group_table(
    name: &'static str,
    achievements: &[AchievementGroups],
    achievement_table: &Table,
    counts: &[(String, Counts)],
    group: impl Fn(&AchievementGroups) -> Option<String>,
) -> Table {
    let mut keys: Vec<Option<String>> = achievements.iter().map(&group).collect();
    keys.sort_by(|a, b| match (a, b) {
        (None, None) => std::cmp::Ordering::Equal,
        (None, _) => std::cmp::Ordering::Greater,
        (_, None) => std::cmp::Ordering::Less,
        (Some(a), Some(b)) => a.cmp(b),
    });
    keys.dedup();
    let rows = keys
        .into_iter()
        .map(|key| {
            let members: Vec<usize> = (0..achievements.len())
                .filter(|&i| group(&achievements[i]) == key)
                .collect();
            let mut cells = [Cell::Withheld; 3];
            for (m, cell) in cells.iter_mut().enumerate() {
                let all_published = members
                    .iter()
                    .all(|&i| matches!(achievement_table.rows[i].cells[m], Cell::Count(_)));
                if all_published {
                    *cell = Cell::Count(members.iter().map(|&i| counts[i].1.get(m)).sum());
                }
            }
            Row {
                key: key.unwrap_or_else(|| "none".to_owned()),
                cells,
            }
        })
        .collect();
    Table {
        name,
        rows,
        withheld: [false; 3],
    }
}

impl Cell {
    fn text(self, t: Threshold) -> String {
        match self {
            Self::Count(n) => n.to_string(),
            Self::Small => format!("<{}", t.value()),
            Self::Withheld => "x".to_owned(),
        }
    }

    fn json(self, t: Threshold) -> Value {
        match self {
            Self::Count(n) => json!(n),
            other => json!(other.text(t)),
        }
    }
}

impl Export {
    /// The JSON document (see the module documentation for its schema).
    pub fn to_json(&self) -> Value {
        let t = self.threshold;
        let cells = |cells: &[Cell; 3]| {
            let mut map = serde_json::Map::new();
            for (m, name) in MEASURES.iter().enumerate() {
                map.insert((*name).to_owned(), cells[m].json(t));
            }
            Value::Object(map)
        };
        let tables: serde_json::Map<String, Value> = self
            .tables
            .iter()
            .map(|table| {
                let rows: Vec<Value> = table
                    .rows
                    .iter()
                    .map(|row| {
                        let mut v = cells(&row.cells);
                        v["key"] = json!(row.key);
                        v
                    })
                    .collect();
                (table.name.to_owned(), Value::Array(rows))
            })
            .collect();
        json!({
            "schema": SCHEMA,
            "generated_at": self.generated_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "threshold": t.value(),
            "from": self.range.from.to_string(),
            "to": self.range.to.to_string(),
            "month_of": "issuance",
            "markers": {
                format!("<{}", t.value()): "fewer than the threshold (zero included)",
                "x": "withheld to protect a small count",
            },
            "totals": cells(&self.totals),
            "tables": tables,
        })
    }

    /// The CSV text (see the module documentation).
    pub fn to_csv(&self) -> String {
        let t = self.threshold;
        let mut out = format!(
            "# schema={SCHEMA}\n# generated_at={}\n# threshold={}\n# from={}\n# to={}\n# month_of=issuance\n",
            self.generated_at
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            t.value(),
            self.range.from,
            self.range.to
        );
        let mut writer = csv::Writer::from_writer(Vec::new());
        let mut rows: Vec<[String; 5]> = vec![[
            "table".into(),
            "key".into(),
            "issued".into(),
            "revoked".into(),
            "suspended".into(),
        ]];
        let line = |table: &str, key: &str, cells: &[Cell; 3]| {
            [
                table.to_owned(),
                key.to_owned(),
                cells[0].text(t),
                cells[1].text(t),
                cells[2].text(t),
            ]
        };
        rows.push(line("totals", "all", &self.totals));
        for table in &self.tables {
            for row in &table.rows {
                rows.push(line(table.name, &row.key, &row.cells));
            }
        }
        for row in rows {
            // Writing to a Vec cannot fail.
            let _ = writer.write_record(&row);
        }
        let bytes = writer.into_inner().unwrap_or_default();
        out.push_str(&String::from_utf8_lossy(&bytes));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: u64 = 10;

    #[test]
    fn small_counts_and_zeros_are_suppressed_and_protected() {
        let cells = protect_column(&[3, 50, 60], 113, T, Rules::default());
        assert_eq!(cells, vec![Cell::Small, Cell::Withheld, Cell::Count(60)]);
        let cells = protect_column(&[0, 4, 60], 64, T, Rules::default());
        assert_eq!(cells, vec![Cell::Small, Cell::Small, Cell::Count(60)]);
        // 9 and 9 with a sum of 18 would both be fixed at 9: a third cell is withheld.
        let cells = protect_column(&[9, 9, 40, 50], 108, T, Rules::default());
        assert_eq!(
            cells,
            vec![Cell::Small, Cell::Small, Cell::Withheld, Cell::Count(50)]
        );
        // Without complementary suppression the small cell is left alone.
        let cells = protect_column(
            &[3, 50, 60],
            113,
            T,
            Rules {
                complementary: false,
            },
        );
        assert_eq!(cells, vec![Cell::Small, Cell::Count(50), Cell::Count(60)]);
    }

    #[test]
    fn a_column_that_cannot_be_protected_is_withheld() {
        // 0 and 10: with 10 the total, the small cell is 0 whatever else is withheld.
        let cells = protect_column(&[0, 10], 10, T, Rules::default());
        assert_eq!(cells, vec![Cell::Withheld, Cell::Withheld]);
        // A total below the threshold: everything is small.
        assert_eq!(
            protect_column(&[1, 2], 3, T, Rules::default()),
            vec![Cell::Small, Cell::Small]
        );
    }

    #[test]
    fn thresholds_months_and_ranges_are_parsed() {
        assert_eq!(Threshold::parse("10").unwrap().value(), 10);
        for bad in ["2", "0", "-1", "x", "1001"] {
            assert!(Threshold::parse(bad).is_err(), "{bad}");
        }
        let m = Month::parse("from", "2026-02").unwrap();
        assert_eq!(m.to_string(), "2026-02");
        for bad in ["2026-13", "2026-2", "26-02", "2026-02-01", ""] {
            assert!(Month::parse("from", bad).is_err(), "{bad}");
        }
        let r = Range::new(Month::parse("from", "2025-11").unwrap(), m).unwrap();
        assert_eq!(r.months().len(), 4);
        assert_eq!(r.end().to_rfc3339(), "2026-03-01T00:00:00+00:00");
        assert!(Range::new(m, Month::parse("to", "2025-01").unwrap()).is_err());
    }

    // ----- the derivation check --------------------------------------------------------------

    use std::collections::BTreeSet;

    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    /// What a reader knows of one unknown cell: its bounds.
    fn bounds(
        cell: Cell,
        column_withheld: bool,
        t: u64,
        n_max: u64,
        smallest_published: u64,
    ) -> Option<(u64, u64)> {
        match cell {
            Cell::Count(_) => None,
            Cell::Small => Some((0, t - 1)),
            Cell::Withheld if column_withheld => Some((0, n_max)),
            // In a protected column a withheld cell would have been "<T" if it were small, and
            // cells are withheld smallest first.
            Cell::Withheld => Some((t, n_max.min(smallest_published))),
        }
    }

    /// Every vector within `bounds` summing to `sum` that `accept` takes, by brute force.
    fn solutions(
        bounds: &[(u64, u64)],
        sum: u64,
        accept: &dyn Fn(&[u64]) -> bool,
    ) -> Vec<Vec<u64>> {
        fn walk(
            bounds: &[(u64, u64)],
            left: u64,
            prefix: &mut Vec<u64>,
            accept: &dyn Fn(&[u64]) -> bool,
            out: &mut Vec<Vec<u64>>,
        ) {
            let i = prefix.len();
            if i == bounds.len() {
                if left == 0 && accept(prefix) {
                    out.push(prefix.clone());
                }
                return;
            }
            let rest_lo: u64 = bounds[i + 1..].iter().map(|b| b.0).sum();
            let rest_hi: u64 = bounds[i + 1..].iter().map(|b| b.1).sum();
            let (lo, hi) = bounds[i];
            for v in lo..=hi.min(left) {
                let after = left - v;
                if after < rest_lo || after > rest_hi {
                    continue;
                }
                prefix.push(v);
                walk(bounds, after, prefix, accept, out);
                prefix.pop();
            }
        }
        let mut out = Vec::new();
        walk(bounds, sum, &mut Vec::new(), accept, &mut out);
        out
    }

    /// A `"<T"` cell the reader can pin down: table, row key, measure and its only value.
    #[derive(Debug, PartialEq)]
    struct Determined {
        table: &'static str,
        key: String,
        measure: &'static str,
        value: u64,
    }

    /// Every full column (published values included) of `tab` for measure `m` that agrees with
    /// the export when the measure's total is `n`: the cells sum to `n`, each unknown cell lies
    /// in its bounds, and (for `by_achievement`) every published group cell is the sum of its
    /// achievements.
    fn columns(
        tab: &Table,
        m: usize,
        n: u64,
        t: u64,
        equations: &[(Vec<usize>, u64)],
    ) -> Vec<Vec<u64>> {
        let mut unknown = Vec::new();
        let mut bs = Vec::new();
        let mut base = Vec::new();
        let smallest_published = tab
            .rows
            .iter()
            .filter_map(|r| match r.cells[m] {
                Cell::Count(c) => Some(c),
                _ => None,
            })
            .min()
            .unwrap_or(n);
        for (i, row) in tab.rows.iter().enumerate() {
            match bounds(row.cells[m], tab.withheld[m], t, n, smallest_published) {
                Some(b) => {
                    unknown.push(i);
                    bs.push(b);
                    base.push(0);
                }
                None => base.push(match row.cells[m] {
                    Cell::Count(c) => c,
                    _ => 0,
                }),
            }
        }
        let known: u64 = base.iter().sum();
        if known > n {
            return Vec::new();
        }
        let full = |assign: &[u64]| {
            let mut v = base.clone();
            for (k, &i) in unknown.iter().enumerate() {
                v[i] = assign[k];
            }
            v
        };
        let accept = |assign: &[u64]| {
            let v = full(assign);
            equations
                .iter()
                .all(|(members, g)| members.iter().map(|&i| v[i]).sum::<u64>() == *g)
        };
        solutions(&bs, n - known, &accept)
            .iter()
            .map(|s| full(s))
            .collect()
    }

    /// For every `"<T"` cell of the export, every value it can take given every published
    /// number and the relations the export implies: each table of a measure sums to its total;
    /// a published EQF or ISCED-F cell is the sum of its achievements, whose groups are public;
    /// counts are non-negative integers; `"<T"` is below T; a withheld cell of a protected
    /// column is at least T; and in every row (and the totals) revoked + suspended ≤ issued,
    /// since a suspended credential is counted only if not revoked. `by_achievement` and
    /// `by_month` are linked only through the totals: any pair of margins with equal sums is
    /// the margins of some non-negative integer achievement × month table. Returns the cells
    /// that can take only one value.
    fn determined_cells(export: &Export, groups: &[AchievementGroups]) -> Vec<Determined> {
        let t = u64::from(export.threshold.value());
        let table = |name: &str| export.tables.iter().find(|x| x.name == name).unwrap();
        let (by_a, by_m) = (table("by_achievement"), table("by_month"));
        let totals: Vec<Vec<u64>> = (0..3)
            .map(|m| match export.totals[m] {
                Cell::Count(n) => vec![n],
                _ => (0..t).collect(),
            })
            .collect();
        // Group equations per measure: (members, value) for every published group cell.
        let equations: Vec<Vec<(Vec<usize>, u64)>> = (0..3)
            .map(|m| {
                let mut out = Vec::new();
                for (name, key_of) in [
                    (
                        "by_eqf_level",
                        Box::new(|g: &AchievementGroups| g.eqf_level.map(|l| l.to_string()))
                            as Box<dyn Fn(&AchievementGroups) -> Option<String>>,
                    ),
                    (
                        "by_isced_f",
                        Box::new(|g: &AchievementGroups| g.isced_f.clone()),
                    ),
                ] {
                    for row in &table(name).rows {
                        if let Cell::Count(v) = row.cells[m] {
                            let members = (0..groups.len())
                                .filter(|&i| {
                                    key_of(&groups[i]).unwrap_or_else(|| "none".into()) == row.key
                                })
                                .collect();
                            out.push((members, v));
                        }
                    }
                }
                out
            })
            .collect();
        let none: Vec<(Vec<usize>, u64)> = Vec::new();
        let tabs = [
            (by_a, &equations),
            (by_m, &vec![none.clone(), none.clone(), none]),
        ];
        // values[table][measure][row]
        let mut values: Vec<Vec<Vec<BTreeSet<u64>>>> = tabs
            .iter()
            .map(|(tab, _)| vec![vec![BTreeSet::new(); tab.rows.len()]; 3])
            .collect();
        for &ni in &totals[0] {
            for &nr in &totals[1] {
                for &ns in &totals[2] {
                    if nr + ns > ni {
                        continue;
                    }
                    let mut found: Vec<Vec<Vec<BTreeSet<u64>>>> = Vec::new();
                    let mut feasible = true;
                    for (tab, eqs) in &tabs {
                        let cols: Vec<Vec<Vec<u64>>> = [ni, nr, ns]
                            .iter()
                            .enumerate()
                            .map(|(m, &n)| columns(tab, m, n, t, &eqs[m]))
                            .collect();
                        let mut seen = vec![vec![BTreeSet::new(); tab.rows.len()]; 3];
                        let mut any = false;
                        for x in &cols[0] {
                            for y in &cols[1] {
                                if y.iter().zip(x).any(|(y, x)| y > x) {
                                    continue;
                                }
                                for z in &cols[2] {
                                    if (0..x.len()).all(|c| y[c] + z[c] <= x[c]) {
                                        any = true;
                                        for (m, col) in [x, y, z].iter().enumerate() {
                                            for (c, v) in col.iter().enumerate() {
                                                seen[m][c].insert(*v);
                                            }
                                        }
                                    }
                                }
                            }
                        }
                        feasible &= any;
                        found.push(seen);
                    }
                    // These totals are possible only if both tables have a solution.
                    if feasible {
                        for (k, seen) in found.into_iter().enumerate() {
                            for (m, rows) in seen.into_iter().enumerate() {
                                for (c, vals) in rows.into_iter().enumerate() {
                                    values[k][m][c].extend(vals);
                                }
                            }
                        }
                    }
                }
            }
        }
        let mut out = Vec::new();
        for ((tab, _), per_measure) in tabs.iter().zip(&values) {
            for (m, measure) in MEASURES.iter().enumerate() {
                for (row, vals) in tab.rows.iter().zip(&per_measure[m]) {
                    if row.cells[m] == Cell::Small {
                        assert!(!vals.is_empty(), "the true data must be a solution");
                        if vals.len() == 1 {
                            out.push(Determined {
                                table: tab.name,
                                key: row.key.clone(),
                                measure,
                                value: *vals.iter().next().unwrap(),
                            });
                        }
                    }
                }
            }
        }
        out
    }

    fn month(i: u32) -> Month {
        Month {
            year: 2026,
            month: i + 1,
        }
    }

    fn export_of(
        groups: &[AchievementGroups],
        atoms: &[(usize, u32, Counts)],
        months: u32,
        t: u32,
        rules: Rules,
    ) -> Export {
        let mut counts = BTreeMap::new();
        for (a, m, c) in atoms {
            counts.insert((groups[*a].slug.clone(), month(*m)), *c);
        }
        let range = Range::new(month(0), month(months - 1)).unwrap();
        let at = DateTime::parse_from_rfc3339("2026-12-04T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        build_with(
            groups,
            &counts,
            range,
            Threshold::new(t).unwrap(),
            at,
            rules,
        )
    }

    fn group(slug: &str, eqf: Option<u8>, isced: Option<&str>) -> AchievementGroups {
        AchievementGroups {
            slug: slug.into(),
            eqf_level: eqf,
            isced_f: isced.map(str::to_owned),
        }
    }

    fn issued(n: u64) -> Counts {
        Counts {
            issued: n,
            ..Default::default()
        }
    }

    /// Counts by (achievement index, month index).
    type Atoms = Vec<(usize, u32, Counts)>;

    /// Random small exports: 1–3 achievements in random EQF / ISCED-F groups, 1–3 months,
    /// many small counts and zeros.
    fn random_case(rng: &mut StdRng) -> (Vec<AchievementGroups>, Atoms, u32, u32) {
        let n_a = rng.gen_range(1..=3);
        let months = rng.gen_range(1..=3);
        let groups: Vec<AchievementGroups> = (0..n_a)
            .map(|i| {
                let eqf = [None, Some(5), Some(6)][rng.gen_range(0..3)];
                let isced = [None, Some("06"), Some("0613")][rng.gen_range(0..3)];
                group(&format!("a{i}"), eqf, isced)
            })
            .collect();
        let mut atoms = Vec::new();
        for a in 0..n_a {
            for m in 0..months {
                let issued = match rng.gen_range(0..10) {
                    0..=2 => 0,
                    3..=6 => rng.gen_range(1..10),
                    _ => rng.gen_range(10..25),
                };
                let revoked = rng.gen_range(0..=issued / 2);
                let suspended = rng.gen_range(0..=(issued - revoked) / 3);
                atoms.push((
                    a,
                    m,
                    Counts {
                        issued,
                        revoked,
                        suspended,
                    },
                ));
            }
        }
        let t = [3, 5, 10][rng.gen_range(0..3)];
        (groups, atoms, months, t)
    }

    #[test]
    fn no_suppressed_count_can_be_derived() {
        let mut rng = StdRng::seed_from_u64(16);
        let mut broken_caught = 0;
        for case in 0..300 {
            let (groups, atoms, months, t) = random_case(&mut rng);
            let export = export_of(&groups, &atoms, months, t, Rules::default());
            let determined = determined_cells(&export, &groups);
            assert!(
                determined.is_empty(),
                "case {case}: {determined:?} can be derived from {:#}",
                export.to_json()
            );
            let broken = export_of(
                &groups,
                &atoms,
                months,
                t,
                Rules {
                    complementary: false,
                },
            );
            if !determined_cells(&broken, &groups).is_empty() {
                broken_caught += 1;
            }
        }
        // The check is not vacuous: without complementary suppression it finds derivable cells
        // in many of the same cases.
        assert!(
            broken_caught > 30,
            "only {broken_caught} broken exports caught"
        );
    }

    #[test]
    fn edge_cases_reveal_nothing() {
        let one = vec![group("a", Some(6), Some("0613"))];
        let two = vec![group("a", Some(6), None), group("b", Some(6), None)];
        let cases: Vec<(&str, Vec<AchievementGroups>, Atoms, u32)> = vec![
            (
                "one row, one column, small",
                one.clone(),
                vec![(0, 0, issued(4))],
                1,
            ),
            (
                "one row, one column, large",
                one.clone(),
                vec![(0, 0, issued(40))],
                1,
            ),
            (
                "one row, many months",
                one.clone(),
                vec![(0, 0, issued(40)), (0, 2, issued(2))],
                3,
            ),
            ("nothing issued", two.clone(), vec![], 2),
            (
                "all small",
                two.clone(),
                vec![(0, 0, issued(1)), (1, 1, issued(2))],
                2,
            ),
            (
                "a single small cell",
                two.clone(),
                vec![(0, 0, issued(30)), (1, 0, issued(1))],
                1,
            ),
            (
                "a zero next to a threshold",
                two.clone(),
                vec![(1, 0, issued(10))],
                1,
            ),
            (
                "two cells at the top of the range",
                vec![
                    group("a", None, None),
                    group("b", None, None),
                    group("c", None, None),
                ],
                vec![(0, 0, issued(9)), (1, 0, issued(9)), (2, 0, issued(40))],
                1,
            ),
        ];
        for (name, groups, atoms, months) in cases {
            let export = export_of(&groups, &atoms, months, 10, Rules::default());
            let determined = determined_cells(&export, &groups);
            assert!(determined.is_empty(), "{name}: {determined:?}");
        }
    }

    #[test]
    fn the_check_catches_an_export_without_complementary_suppression() {
        let groups = vec![
            group("a", None, None),
            group("b", None, None),
            group("c", None, None),
        ];
        let atoms = vec![(0, 0, issued(3)), (1, 0, issued(50)), (2, 0, issued(60))];
        let broken = export_of(
            &groups,
            &atoms,
            1,
            10,
            Rules {
                complementary: false,
            },
        );
        assert_eq!(
            determined_cells(&broken, &groups),
            vec![Determined {
                table: "by_achievement",
                key: "a".into(),
                measure: "issued",
                value: 3,
            }]
        );
        let safe = export_of(&groups, &atoms, 1, 10, Rules::default());
        assert!(determined_cells(&safe, &groups).is_empty());
    }

    #[test]
    fn a_group_is_published_only_when_all_its_achievements_are() {
        let groups = vec![
            group("a", Some(6), Some("0613")),
            group("b", Some(6), Some("0613")),
            group("c", Some(5), None),
        ];
        let atoms = vec![(0, 0, issued(30)), (1, 0, issued(40)), (2, 0, issued(3))];
        let export = export_of(&groups, &atoms, 1, 10, Rules::default());
        let json = export.to_json();
        assert_eq!(json["tables"]["by_eqf_level"][0]["key"], "5");
        assert_eq!(json["tables"]["by_eqf_level"][0]["issued"], "x");
        assert_eq!(json["tables"]["by_eqf_level"][1]["issued"], "x");
        assert_eq!(json["tables"]["by_achievement"][2]["issued"], "<10");
        assert!(determined_cells(&export, &groups).is_empty());
        let atoms = vec![(0, 0, issued(30)), (1, 0, issued(40)), (2, 0, issued(30))];
        let json = export_of(&groups, &atoms, 1, 10, Rules::default()).to_json();
        assert_eq!(json["tables"]["by_eqf_level"][1]["issued"], 70);
        assert_eq!(json["tables"]["by_isced_f"][0]["issued"], 70);
        assert_eq!(json["tables"]["by_isced_f"][1]["key"], "none");
        assert_eq!(json["totals"]["issued"], 100);
    }

    #[test]
    fn csv_and_json_record_threshold_range_and_time() {
        let groups = vec![group("data-101", Some(6), None)];
        let export = export_of(&groups, &[(0, 1, issued(12))], 2, 10, Rules::default());
        let csv = export.to_csv();
        assert!(csv.starts_with("# schema=passerelle-stats-export/1\n# generated_at=2026-12-04T00:00:00Z\n# threshold=10\n# from=2026-01\n# to=2026-02\n"), "{csv}");
        assert!(
            csv.contains("table,key,issued,revoked,suspended\n"),
            "{csv}"
        );
        assert!(csv.contains("by_month,2026-01,<10,<10,<10\n"), "{csv}");
        let json = export.to_json();
        assert_eq!(json["threshold"], 10);
        assert_eq!(json["from"], "2026-01");
        assert_eq!(json["month_of"], "issuance");
    }
}
