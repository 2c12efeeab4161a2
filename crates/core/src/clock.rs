//! Time as Tessera stores it: UTC unix milliseconds in the database, RFC 3339 at the edges.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Milliseconds since the Unix epoch, UTC.
pub fn now_ms() -> i64 {
    let now = OffsetDateTime::now_utc();
    (now.unix_timestamp_nanos() / 1_000_000) as i64
}

/// RFC 3339 text (UTC, millisecond precision) for a stored millisecond time.
pub fn to_rfc3339(ms: i64) -> String {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| ms.to_string())
}

/// `20261123T221500123Z`: an RFC 3339 time with only its letters and digits, for file
/// names (sorts by time, no characters a filesystem may refuse).
pub fn file_stamp(ms: i64) -> String {
    to_rfc3339(ms)
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect()
}

/// The UTC date of unix milliseconds `ms`.
pub fn date_of(ms: i64) -> Option<time::Date> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .map(|t| t.date())
}

/// The date a [`file_stamp`] was made on (its first eight digits, `YYYYMMDD`).
pub fn date_of_file_stamp(stamp: &str) -> Option<time::Date> {
    let digits = stamp.get(..8)?;
    let format = time::macros::format_description!("[year][month][day]");
    time::Date::parse(digits, &format).ok()
}

/// Today's date in UTC.
pub fn today_utc() -> time::Date {
    OffsetDateTime::now_utc().date()
}

/// Parses a calendar date `YYYY-MM-DD`.
pub fn parse_date(text: &str) -> Option<time::Date> {
    time::Date::parse(
        text.trim(),
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .ok()
}

/// Parses RFC 3339 (`2026-11-23T10:00:00Z`) or a plain date (`2026-11-23`, midnight UTC).
pub fn parse_instant(text: &str) -> Option<i64> {
    let text = text.trim();
    if let Ok(t) = OffsetDateTime::parse(text, &Rfc3339) {
        return Some((t.unix_timestamp_nanos() / 1_000_000) as i64);
    }
    let date = parse_date(text)?;
    Some(date.midnight().assume_utc().unix_timestamp() * 1000)
}

/// The same instant `years` calendar years earlier (29 February falls back to the 28th);
/// the earliest representable time if that is out of range.
pub fn years_before(ms: i64, years: u32) -> i64 {
    let Ok(t) = OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000) else {
        return i64::MIN;
    };
    let year = t.year() - years as i32;
    let date = t
        .date()
        .replace_year(year)
        .or_else(|_| t.date().replace_day(28).and_then(|d| d.replace_year(year)));
    match date {
        Ok(date) => (t.replace_date(date).unix_timestamp_nanos() / 1_000_000) as i64,
        Err(_) => i64::MIN,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_round_trips_through_parse() {
        let ms = 1_795_000_000_123;
        assert_eq!(parse_instant(&to_rfc3339(ms)), Some(ms));
    }

    #[test]
    fn years_before_counts_calendar_years() {
        let leap = parse_instant("2024-02-29T12:00:00Z").unwrap();
        assert_eq!(to_rfc3339(years_before(leap, 6)), "2018-02-28T12:00:00Z");
        let day = parse_instant("2026-05-01").unwrap();
        assert_eq!(years_before(day, 1), parse_instant("2025-05-01").unwrap());
    }

    #[test]
    fn plain_dates_are_midnight_utc() {
        assert_eq!(parse_instant("1970-01-02"), Some(86_400_000));
        assert_eq!(parse_instant("2026-13-01"), None);
        assert_eq!(parse_instant("yesterday"), None);
    }
}
