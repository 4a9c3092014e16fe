//! Instants in UTC, stored as fixed-width RFC 3339 text (`2026-11-23T16:11:09.123Z`) so they
//! sort and compare as strings on every database.

use time::format_description::FormatItem;
use time::macros::format_description;
use time::{Duration, OffsetDateTime, PrimitiveDateTime};

const FORMAT: &[FormatItem<'static>] = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(OffsetDateTime);

impl Timestamp {
    pub fn now() -> Self {
        Self::from_datetime(OffsetDateTime::now_utc())
    }

    /// Truncated to milliseconds, the stored precision, so a value survives a round trip.
    pub fn from_datetime(t: OffsetDateTime) -> Self {
        let t = t.to_offset(time::UtcOffset::UTC);
        let ms = t.millisecond();
        Self(t.replace_nanosecond(u32::from(ms) * 1_000_000).unwrap_or(t))
    }

    pub fn parse(s: &str) -> Result<Self, time::error::Parse> {
        PrimitiveDateTime::parse(s, FORMAT).map(|p| Self(p.assume_utc()))
    }

    pub fn to_db(&self) -> String {
        self.0.format(FORMAT).unwrap_or_default()
    }

    pub fn datetime(&self) -> OffsetDateTime {
        self.0
    }

    pub fn unix_seconds(&self) -> i64 {
        self.0.unix_timestamp()
    }

    pub fn plus(&self, d: Duration) -> Self {
        Self(self.0 + d)
    }
}

impl std::fmt::Display for Timestamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_db())
    }
}

super::text_type!(Timestamp, |s: String| Timestamp::parse(&s), |t: &Timestamp| t.to_db());

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_sorts_as_text() {
        let a = Timestamp::now();
        let b = a.plus(Duration::milliseconds(1));
        assert_eq!(Timestamp::parse(&a.to_db()).unwrap(), a);
        assert!(a.to_db() < b.to_db());
        assert_eq!(a.to_db().len(), 24);
    }
}
