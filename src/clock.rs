//! Wall-clock helpers: UTC timestamps in the ISO-8601 form Genesys Cloud and the admin UI use.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds since the Unix epoch, now.
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Formats Unix seconds as `YYYY-MM-DDTHH:MM:SSZ` (UTC).
pub fn format_utc(unix: u64) -> String {
    Utc(unix).to_string()
}

/// Unix seconds that display as `YYYY-MM-DDTHH:MM:SSZ` (UTC), for writing a time without an
/// intermediate `String`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Utc(pub u64);

impl Utc {
    /// The 20 bytes `YYYY-MM-DDTHH:MM:SSZ`, when the year has four digits (every time before
    /// the year 10000).
    pub fn ascii(self) -> Option<[u8; 20]> {
        let days = (self.0 / 86_400) as i64;
        let secs = self.0 % 86_400;
        let (y, m, d) = civil_from_days(days);
        let y = u32::try_from(y).ok().filter(|y| *y <= 9999)?;
        let two = |n: u64| [b'0' + (n / 10) as u8, b'0' + (n % 10) as u8];
        let [y0, y1] = two(u64::from(y / 100));
        let [y2, y3] = two(u64::from(y % 100));
        let [m0, m1] = two(u64::from(m));
        let [d0, d1] = two(u64::from(d));
        let [h0, h1] = two(secs / 3600);
        let [n0, n1] = two((secs / 60) % 60);
        let [s0, s1] = two(secs % 60);
        Some([
            y0, y1, y2, y3, b'-', m0, m1, b'-', d0, d1, b'T', h0, h1, b':', n0, n1, b':', s0, s1,
            b'Z',
        ])
    }
}

impl fmt::Display for Utc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(text) = self.ascii() {
            // ASCII digits and separators only.
            return f.write_str(std::str::from_utf8(&text).map_err(|_| fmt::Error)?);
        }
        let unix = self.0;
        let days = (unix / 86_400) as i64;
        let secs = unix % 86_400;
        let (y, m, d) = civil_from_days(days);
        write!(
            f,
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
            secs / 3600,
            (secs / 60) % 60,
            secs % 60
        )
    }
}

/// The `YYYY-MM` (UTC) of a Unix time, i.e. the first 7 characters of [`format_utc`], held
/// without allocating.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Month([u8; 7]);

impl Month {
    /// The month of Unix seconds `unix`.
    pub fn of(unix: u64) -> Month {
        if let Some(text) = Utc(unix).ascii() {
            let mut month = [0; 7];
            month.copy_from_slice(&text[..7]);
            return Month(month);
        }
        /// The first bytes written (the rest is dropped).
        struct Head([u8; 7], usize);
        impl fmt::Write for Head {
            fn write_str(&mut self, s: &str) -> fmt::Result {
                for &b in s.as_bytes() {
                    if self.1 < self.0.len() {
                        self.0[self.1] = b;
                        self.1 += 1;
                    }
                }
                Ok(())
            }
        }
        let mut head = Head([b'0'; 7], 0);
        let _ = fmt::Write::write_fmt(&mut head, format_args!("{}", Utc(unix)));
        Month(head.0)
    }

    /// The text, `YYYY-MM`.
    pub fn as_str(&self) -> &str {
        // Digits and '-' only, written from a formatted time.
        std::str::from_utf8(&self.0).unwrap_or("0000-00")
    }
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (H. Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
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
    fn formats_known_instants() {
        assert_eq!(format_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(format_utc(1_795_620_645), "2026-11-25T15:30:45Z");
        for t in [
            0,
            951_782_400,
            1_795_620_645,
            253_402_300_799,
            253_402_300_800,
        ] {
            assert_eq!(Month::of(t).as_str(), &format_utc(t)[..7]);
        }
    }
}
