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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_round_trips_through_parse() {
        let ms = 1_795_000_000_123;
        assert_eq!(parse_instant(&to_rfc3339(ms)), Some(ms));
    }

    #[test]
    fn plain_dates_are_midnight_utc() {
        assert_eq!(parse_instant("1970-01-02"), Some(86_400_000));
        assert_eq!(parse_instant("2026-13-01"), None);
        assert_eq!(parse_instant("yesterday"), None);
    }
}
