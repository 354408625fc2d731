//! `xsd:dateTimeStamp`: the date-time form VC Data Model 2.0 requires for `validFrom`,
//! `validUntil` (and VCDM 1.1 for `issuanceDate`, `expirationDate`) — an `xsd:dateTime` whose
//! time zone is mandatory.
//!
//! The lexical form is the regular expression in VCDM 2.0 §4.9 (uppercase `T` and `Z`, years of
//! four or more digits, `24:00:00` allowed for the end of a day, offsets up to ±14:00). RFC 3339
//! parsers accept more (a space or lowercase `t`, no year sign rules), so this is written out.
//!
//! Also `xsd:date` ([`parse_xsd_date`]), the type the Open Badges 3.0 context gives
//! `activityStartDate`, `activityEndDate` and `dateOfBirth`, and [`parse_date_or_date_time_stamp`]
//! for those terms, which the OB JSON Schema describes as date-times.

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, SecondsFormat};

/// Why a string is not an `xsd:dateTimeStamp`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DateTimeError {
    #[error("expected {expected} at character {position}")]
    Syntax {
        expected: &'static str,
        position: usize,
    },
    #[error("the {what} is out of range")]
    OutOfRange { what: &'static str },
}

/// Parses an `xsd:dateTimeStamp` (a date-time with a time zone), e.g. `2026-06-30T12:00:00Z`
/// or `2021-09-07T02:09:59.125+02:00`.
pub fn parse_date_time_stamp(value: &str) -> Result<DateTime<FixedOffset>, DateTimeError> {
    let mut cursor = Cursor {
        bytes: value.as_bytes(),
        position: 0,
    };
    let (year, month, day) = cursor.date(value)?;
    cursor.expect(b'T', "'T' between the date and the time")?;
    let hour = cursor.two_digits("a two-digit hour")?;
    cursor.expect(b':', "':' after the hour")?;
    let minute = cursor.two_digits("two-digit minutes")?;
    cursor.expect(b':', "':' after the minutes")?;
    let second = cursor.two_digits("two-digit seconds")?;
    let mut nanos = 0u32;
    let mut fraction_is_zero = true;
    if cursor.eat(b'.') {
        let start = cursor.position;
        if cursor.digits() == 0 {
            return Err(cursor.expected("digits after the decimal point"));
        }
        let fraction = &value[start..cursor.position];
        fraction_is_zero = fraction.bytes().all(|b| b == b'0');
        // Nanosecond precision; further digits are truncated.
        for (i, b) in fraction.bytes().take(9).enumerate() {
            nanos += u32::from(b - b'0') * 10u32.pow(8 - i as u32);
        }
    }
    let Some(offset_seconds) = cursor.zone()? else {
        return Err(cursor.expected("a time zone: 'Z' or an offset such as +02:00"));
    };
    if cursor.position != cursor.bytes.len() {
        return Err(cursor.expected("the end of the date-time"));
    }

    let date = calendar_date(year, month, day)?;
    if minute > 59 {
        return Err(DateTimeError::OutOfRange { what: "minutes" });
    }
    if second > 59 {
        return Err(DateTimeError::OutOfRange { what: "seconds" });
    }
    let naive = if hour == 24 {
        // 24:00:00 is the end of the day, i.e. 00:00:00 of the next one.
        if minute != 0 || second != 0 || !fraction_is_zero {
            return Err(DateTimeError::OutOfRange {
                what: "hour (24 is allowed only as 24:00:00)",
            });
        }
        NaiveDateTime::new(date, NaiveTime::MIN)
            .checked_add_signed(Duration::days(1))
            .ok_or(DateTimeError::OutOfRange { what: "date" })?
    } else {
        let time = NaiveTime::from_hms_nano_opt(hour, minute, second, nanos)
            .ok_or(DateTimeError::OutOfRange { what: "hour" })?;
        NaiveDateTime::new(date, time)
    };
    let offset = FixedOffset::east_opt(offset_seconds)
        .ok_or(DateTimeError::OutOfRange { what: "offset" })?;
    naive
        .and_local_timezone(offset)
        .single()
        .ok_or(DateTimeError::OutOfRange { what: "date-time" })
}

/// An `xsd:date`: a calendar date, with the time zone it may carry (`2024-01-15`,
/// `2024-01-15Z`, `2024-01-15+02:00`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct XsdDate {
    pub date: NaiveDate,
    pub offset: Option<FixedOffset>,
}

/// Parses an `xsd:date` (XML Schema 1.1 Part 2 §3.3.9): `-?YYYY-MM-DD` and an optional time
/// zone, with the same year and offset rules as [`parse_date_time_stamp`].
pub fn parse_xsd_date(value: &str) -> Result<XsdDate, DateTimeError> {
    let mut cursor = Cursor {
        bytes: value.as_bytes(),
        position: 0,
    };
    let (year, month, day) = cursor.date(value)?;
    let offset_seconds = cursor.zone()?;
    if cursor.position != cursor.bytes.len() {
        return Err(cursor.expected("the end of the date, or a time zone such as Z or +02:00"));
    }
    let date = calendar_date(year, month, day)?;
    let offset = offset_seconds
        .map(|seconds| {
            FixedOffset::east_opt(seconds).ok_or(DateTimeError::OutOfRange { what: "offset" })
        })
        .transpose()?;
    Ok(XsdDate { date, offset })
}

/// The value of a term the Open Badges 3.0 context types as `xsd:date` (`activityStartDate`,
/// `activityEndDate`, `dateOfBirth`) while the OB JSON Schema asks for a date-time: either form
/// is accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateOrDateTime {
    /// An `xsd:date`, as the OB 3.0 context types the term.
    Date(XsdDate),
    /// An `xsd:dateTimeStamp`, as the OB JSON Schema's `format: date-time` asks.
    DateTime(DateTime<FixedOffset>),
}

/// Parses an `xsd:date` or an `xsd:dateTimeStamp` (see [`DateOrDateTime`]). A value with a `T`
/// is read as a date-time (so a date-time without a time zone is refused), any other as a date.
pub fn parse_date_or_date_time_stamp(value: &str) -> Result<DateOrDateTime, DateTimeError> {
    if value.contains('T') {
        parse_date_time_stamp(value).map(DateOrDateTime::DateTime)
    } else {
        parse_xsd_date(value).map(DateOrDateTime::Date)
    }
}

fn calendar_date(year: i32, month: u32, day: u32) -> Result<NaiveDate, DateTimeError> {
    if !(1..=12).contains(&month) {
        return Err(DateTimeError::OutOfRange { what: "month" });
    }
    NaiveDate::from_ymd_opt(year, month, day).ok_or(DateTimeError::OutOfRange { what: "day" })
}

/// Writes a date-time the way Passerelle emits them: RFC 3339 / `xsd:dateTimeStamp`, `Z` for
/// UTC, fractional seconds only when there are some.
pub fn format_date_time(value: &DateTime<FixedOffset>) -> String {
    value.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

fn digits_value(digits: &str) -> Option<u64> {
    digits.parse().ok()
}

struct Cursor<'a> {
    bytes: &'a [u8],
    position: usize,
}

impl Cursor<'_> {
    /// `-?YYYY-MM-DD` (years of four or more digits, no leading zero beyond four).
    fn date(&mut self, value: &str) -> Result<(i32, u32, u32), DateTimeError> {
        let negative = self.eat(b'-');
        let year_start = self.position;
        let year_digits = self.digits();
        if year_digits < 4 {
            return Err(self.expected("a year of at least four digits"));
        }
        if year_digits > 4 && self.bytes[year_start] == b'0' {
            return Err(DateTimeError::Syntax {
                expected: "no leading zero in a year of more than four digits",
                position: year_start,
            });
        }
        let year: i32 = digits_value(&value[year_start..self.position])
            .and_then(|y| i32::try_from(y).ok())
            .ok_or(DateTimeError::OutOfRange { what: "year" })?;
        let year = if negative { -year } else { year };
        self.expect(b'-', "'-' after the year")?;
        let month = self.two_digits("a two-digit month")?;
        self.expect(b'-', "'-' after the month")?;
        let day = self.two_digits("a two-digit day")?;
        Ok((year, month, day))
    }

    /// An optional time zone (`Z`, `+hh:mm`, `-hh:mm`, at most ±14:00), in seconds east of UTC.
    fn zone(&mut self) -> Result<Option<i32>, DateTimeError> {
        if self.eat(b'Z') {
            return Ok(Some(0));
        }
        let sign = if self.eat(b'+') {
            1
        } else if self.eat(b'-') {
            -1
        } else {
            return Ok(None);
        };
        let oh = self.two_digits("a two-digit offset hour")?;
        self.expect(b':', "':' in the time zone offset")?;
        let om = self.two_digits("two-digit offset minutes")?;
        if om > 59 || oh > 14 || (oh == 14 && om != 0) {
            return Err(DateTimeError::OutOfRange {
                what: "time zone offset (at most ±14:00)",
            });
        }
        Ok(Some(sign * (oh as i32 * 3600 + om as i32 * 60)))
    }

    fn eat(&mut self, byte: u8) -> bool {
        if self.bytes.get(self.position) == Some(&byte) {
            self.position += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, byte: u8, expected: &'static str) -> Result<(), DateTimeError> {
        if self.eat(byte) {
            Ok(())
        } else {
            Err(self.expected(expected))
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.position;
        while self
            .bytes
            .get(self.position)
            .is_some_and(u8::is_ascii_digit)
        {
            self.position += 1;
        }
        self.position - start
    }

    fn two_digits(&mut self, expected: &'static str) -> Result<u32, DateTimeError> {
        match self.bytes.get(self.position..self.position + 2) {
            Some([a, b]) if a.is_ascii_digit() && b.is_ascii_digit() => {
                self.position += 2;
                Ok(u32::from(a - b'0') * 10 + u32::from(b - b'0'))
            }
            _ => Err(self.expected(expected)),
        }
    }

    fn expected(&self, expected: &'static str) -> DateTimeError {
        DateTimeError::Syntax {
            expected,
            position: self.position,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_date_time_stamps() {
        let t = parse_date_time_stamp("2010-01-01T00:00:00Z").unwrap();
        assert_eq!(t.to_rfc3339(), "2010-01-01T00:00:00+00:00");
        let t = parse_date_time_stamp("2021-09-07T02:09:59.125+02:00").unwrap();
        assert_eq!(t.timestamp_subsec_millis(), 125);
        assert_eq!(t.offset().local_minus_utc(), 7200);
        let t = parse_date_time_stamp("2023-12-31T24:00:00Z").unwrap();
        assert_eq!(format_date_time(&t), "2024-01-01T00:00:00Z");
        assert!(parse_date_time_stamp("2024-02-29T23:59:59-14:00").is_ok());
        assert!(parse_date_time_stamp("12024-02-29T00:00:00Z").is_ok());
        assert!(parse_date_time_stamp("-0044-03-15T12:00:00Z").is_ok());
    }

    #[test]
    fn rejects_what_is_not_a_date_time_stamp() {
        for bad in [
            "",
            "2010-01-01",
            "2010-01-01T00:00:00",
            "2010-01-01 00:00:00Z",
            "2010-01-01t00:00:00Z",
            "2010-01-01T00:00:00z",
            "2010-1-01T00:00:00Z",
            "210-01-01T00:00:00Z",
            "02010-01-01T00:00:00Z",
            "2010-13-01T00:00:00Z",
            "2023-02-29T00:00:00Z",
            "2010-01-01T24:00:01Z",
            "2010-01-01T00:60:00Z",
            "2010-01-01T00:00:60Z",
            "2010-01-01T00:00:00.Z",
            "2010-01-01T00:00:00+15:00",
            "2010-01-01T00:00:00+0200",
            "2010-01-01T00:00:00Z ",
            "Sat 25 Feb 2023 07:16:31 PM CST",
            "Sun, 26 Feb 2023 01:22:14 +0000",
            "FUTURE DATE",
        ] {
            assert!(parse_date_time_stamp(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn accepts_xsd_dates() {
        let d = parse_xsd_date("2024-01-15").unwrap();
        assert_eq!(d.date, NaiveDate::from_ymd_opt(2024, 1, 15).unwrap());
        assert_eq!(d.offset, None);
        assert_eq!(
            parse_xsd_date("2024-01-15Z").unwrap().offset,
            FixedOffset::east_opt(0)
        );
        assert_eq!(
            parse_xsd_date("2024-02-29-05:00").unwrap().offset,
            FixedOffset::west_opt(5 * 3600)
        );
        assert!(parse_xsd_date("-0044-03-15").is_ok());
        assert!(parse_xsd_date("12024-01-15").is_ok());
    }

    #[test]
    fn rejects_what_is_not_an_xsd_date() {
        for bad in [
            "",
            "2024-1-15",
            "2024-01-15T00:00:00Z",
            "2023-02-29",
            "2024-13-01",
            "2024-00-10",
            "2024-01-00",
            "024-01-15",
            "02024-01-15",
            "2024-01-15+15:00",
            "2024-01-15+0200",
            "2024-01-15 ",
            "15/01/2024",
            "20240115",
        ] {
            assert!(parse_xsd_date(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn date_or_date_time_stamp() {
        assert!(matches!(
            parse_date_or_date_time_stamp("2024-01-15"),
            Ok(DateOrDateTime::Date(_))
        ));
        assert!(matches!(
            parse_date_or_date_time_stamp("2024-01-15T09:30:00+01:00"),
            Ok(DateOrDateTime::DateTime(_))
        ));
        // A date-time needs its time zone; a date must be only a date.
        assert_eq!(
            parse_date_or_date_time_stamp("2024-01-15T09:30:00"),
            Err(DateTimeError::Syntax {
                expected: "a time zone: 'Z' or an offset such as +02:00",
                position: 19
            })
        );
        assert!(parse_date_or_date_time_stamp("2024-01-15 09:30:00Z").is_err());
    }

    #[test]
    fn emits_z_for_utc() {
        let t = parse_date_time_stamp("2026-06-30T12:00:00+00:00").unwrap();
        assert_eq!(format_date_time(&t), "2026-06-30T12:00:00Z");
        let t = parse_date_time_stamp("2026-06-30T12:00:00.5+01:00").unwrap();
        assert_eq!(format_date_time(&t), "2026-06-30T12:00:00.500+01:00");
    }
}
