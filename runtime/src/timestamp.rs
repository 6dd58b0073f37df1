use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, FixedOffset, NaiveDateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A point in time from a payload, accepting RFC 3339 and the ISO 8601 variants vendors send
/// (`2024-02-02T09:13:44+0000`, no offset meaning UTC, a space instead of `T`, fractional seconds).
///
/// The original text is kept so that re-serialising gives back exactly what the vendor sent.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Timestamp {
    at: DateTime<FixedOffset>,
    raw: String,
}

/// The text is not a date-time hookgen understands.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an ISO 8601 date-time")]
pub struct TimestampParseError(String);

impl Timestamp {
    /// Parse a date-time.
    pub fn parse(s: &str) -> Result<Self, TimestampParseError> {
        parse_lenient(s)
            .map(|at| Timestamp {
                at,
                raw: s.to_string(),
            })
            .ok_or_else(|| TimestampParseError(s.chars().take(64).collect()))
    }

    /// The instant, with the offset the vendor sent.
    pub fn as_datetime(&self) -> &DateTime<FixedOffset> {
        &self.at
    }

    /// The instant in UTC.
    pub fn to_utc(&self) -> DateTime<Utc> {
        self.at.with_timezone(&Utc)
    }

    /// Seconds since the Unix epoch.
    pub fn unix_seconds(&self) -> i64 {
        self.at.timestamp()
    }

    /// The text exactly as received.
    pub fn as_str(&self) -> &str {
        &self.raw
    }
}

fn parse_lenient(s: &str) -> Option<DateTime<FixedOffset>> {
    let s = s.trim();
    if s.len() > 64 {
        return None;
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t);
    }
    let normalized = s.replacen(' ', "T", 1);
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%dT%H:%M:%S%.f%#z",
        "%Y-%m-%dT%H:%M%z",
    ] {
        if let Ok(t) = DateTime::parse_from_str(&normalized, fmt) {
            return Some(t);
        }
    }
    let utc = FixedOffset::east_opt(0)?;
    let naive = normalized.trim_end_matches('Z');
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(naive, fmt) {
            return Some(t.and_utc().with_timezone(&utc));
        }
    }
    None
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Timestamp({})", self.raw)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

impl FromStr for Timestamp {
    type Err = TimestampParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Timestamp::parse(s)
    }
}

impl From<DateTime<FixedOffset>> for Timestamp {
    fn from(at: DateTime<FixedOffset>) -> Self {
        Timestamp {
            raw: at.to_rfc3339(),
            at,
        }
    }
}

impl From<DateTime<Utc>> for Timestamp {
    fn from(at: DateTime<Utc>) -> Self {
        Timestamp::from(at.fixed_offset())
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.raw)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = std::borrow::Cow::<'de, str>::deserialize(d)?;
        Timestamp::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_vendor_variants() {
        for s in [
            "2024-05-21T08:22:32.452Z",
            "2024-02-02T09:13:44+0000",
            "2024-02-02T09:13:44+00:00",
            "2024-02-02T09:13:44",
            "2024-02-02 09:13:44Z",
            "2024-03-15T10:30:00Z",
        ] {
            let t = Timestamp::parse(s).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(t.as_str(), s);
        }
        assert_eq!(
            Timestamp::parse("2024-02-02T09:13:44+0000")
                .unwrap()
                .unix_seconds(),
            Timestamp::parse("2024-02-02T09:13:44Z")
                .unwrap()
                .unix_seconds()
        );
    }

    #[test]
    fn rejects_garbage() {
        for s in ["", "yesterday", "2024-13-01T00:00:00Z", "1716883200"] {
            assert!(Timestamp::parse(s).is_err(), "{s}");
        }
    }

    #[test]
    fn serde_round_trip_is_exact() {
        let t: Timestamp = serde_json::from_str("\"2024-02-02T09:13:44+0000\"").unwrap();
        assert_eq!(
            serde_json::to_string(&t).unwrap(),
            "\"2024-02-02T09:13:44+0000\""
        );
    }
}
