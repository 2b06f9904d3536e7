//! UTC calendar arithmetic for run ids, VM names and VM ages (no time-zone database: every
//! time this module shows or parses is UTC).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A UTC date and time, to the second.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct UtcTime {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
}

impl UtcTime {
    /// The time `secs` seconds after the Unix epoch.
    pub fn from_unix(secs: i64) -> UtcTime {
        let days = secs.div_euclid(86_400);
        let rem = secs.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        UtcTime {
            year,
            month,
            day,
            hour: (rem / 3600) as u32,
            minute: (rem % 3600 / 60) as u32,
            second: (rem % 60) as u32,
        }
    }

    /// Now (a clock before 1970 reads as the epoch).
    pub fn now() -> UtcTime {
        UtcTime::from_unix(unix_now())
    }

    pub fn to_unix(self) -> i64 {
        days_from_civil(self.year, self.month, self.day) * 86_400
            + i64::from(self.hour) * 3600
            + i64::from(self.minute) * 60
            + i64::from(self.second)
    }

    /// `YYYYMMDD-HHMMSS`, as in VM names and run ids.
    pub fn compact(self) -> String {
        format!(
            "{:04}{:02}{:02}-{:02}{:02}{:02}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }

    /// Parses azlin's `created_time`: `%Y-%m-%d %H:%M:%S UTC`. Anything else is `None`.
    pub fn parse_azlin(text: &str) -> Option<UtcTime> {
        let rest = text.trim().strip_suffix(" UTC")?;
        let (date, time) = rest.split_once(' ')?;
        let d: Vec<&str> = date.split('-').collect();
        let t: Vec<&str> = time.split(':').collect();
        if d.len() != 3 || t.len() != 3 {
            return None;
        }
        let num = |s: &str, len: usize| -> Option<u32> {
            (s.len() == len && s.bytes().all(|b| b.is_ascii_digit()))
                .then(|| s.parse().ok())
                .flatten()
        };
        let v = UtcTime {
            year: i64::from(num(d[0], 4)?),
            month: num(d[1], 2)?,
            day: num(d[2], 2)?,
            hour: num(t[0], 2)?,
            minute: num(t[1], 2)?,
            second: num(t[2], 2)?,
        };
        let valid = (1..=12).contains(&v.month)
            && (1..=days_in_month(v.year, v.month)).contains(&v.day)
            && v.hour < 24
            && v.minute < 60
            && v.second < 60;
        valid.then_some(v)
    }
}

/// Seconds since the Unix epoch.
pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs() as i64
}

/// `1h02m03s`, `4m12s`, `9s`: for progress lines.
pub fn human_duration(d: Duration) -> String {
    let s = d.as_secs();
    match (s / 3600, s % 3600 / 60, s % 60) {
        (0, 0, sec) => format!("{sec}s"),
        (0, m, sec) => format!("{m}m{sec:02}s"),
        (h, m, sec) => format!("{h}h{m:02}m{sec:02}s"),
    }
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

// Howard Hinnant's algorithms (public domain), proleptic Gregorian calendar.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_formats() {
        for secs in [0, 951_782_400, 1_700_000_000, 1_795_000_000, 4_102_444_799] {
            assert_eq!(UtcTime::from_unix(secs).to_unix(), secs);
        }
        let t = UtcTime::from_unix(1_795_000_000);
        assert_eq!(t.compact(), "20261118-110640");
        // 2000-02-29 exists, 2100-02-29 does not.
        assert!(UtcTime::parse_azlin("2000-02-29 00:00:00 UTC").is_some());
        assert!(UtcTime::parse_azlin("2100-02-29 00:00:00 UTC").is_none());
    }

    #[test]
    fn parses_only_azlins_format() {
        let t = UtcTime::parse_azlin("2026-11-22 10:00:00 UTC").unwrap();
        assert_eq!((t.year, t.month, t.day, t.hour), (2026, 11, 22, 10));
        for bad in [
            "",
            "2026-11-22 10:00:00",
            "2026-11-22T10:00:00Z",
            "2026-13-01 00:00:00 UTC",
            "2026-11-22 24:00:00 UTC",
            "26-11-22 10:00:00 UTC",
            "2026-11-22 10:00:0x UTC",
            "yesterday",
        ] {
            assert!(UtcTime::parse_azlin(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(human_duration(Duration::from_secs(9)), "9s");
        assert_eq!(human_duration(Duration::from_secs(252)), "4m12s");
        assert_eq!(human_duration(Duration::from_secs(3723)), "1h02m03s");
    }
}
