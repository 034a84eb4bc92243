//! Retry helpers: exponential backoff with full jitter, a tiny PRNG for the jitter, and
//! `Retry-After` parsing (delta-seconds or an IMF-fixdate HTTP date).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Upper bound of one backoff sleep.
pub const BACKOFF_CAP: Duration = Duration::from_secs(30);

/// Wait used for a 429 without a usable `Retry-After` header (as the .NET SDK does).
pub const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(3);

/// A xorshift64* generator: enough for jitter, never for anything secret.
#[derive(Debug, Clone)]
pub struct Jitter {
    state: u64,
}

impl Jitter {
    /// A generator seeded from the clock and a stack address (never zero).
    pub fn from_time() -> Jitter {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
        let local = 0u8;
        let addr = &local as *const u8 as usize as u64;
        Jitter::with_seed(nanos ^ addr.rotate_left(32))
    }

    /// A generator with a fixed seed (zero is replaced by a constant).
    pub fn with_seed(seed: u64) -> Jitter {
        Jitter {
            state: if seed == 0 {
                0x9E37_79B9_7F4A_7C15
            } else {
                seed
            },
        }
    }

    /// The next pseudo-random value.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.state;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.state = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A value in `0..=max`, uniformly enough for jitter.
    pub fn below_or_equal(&mut self, max: u64) -> u64 {
        match max.checked_add(1) {
            Some(n) => self.next_u64() % n,
            None => self.next_u64(),
        }
    }
}

/// The sleep before retry number `attempt` (0 for the first retry): a uniformly random duration
/// in `[0, min(cap, base * 2^attempt)]` ("full jitter").
pub fn backoff(base: Duration, attempt: u32, cap: Duration, jitter: &mut Jitter) -> Duration {
    let factor = 1u32.checked_shl(attempt.min(31)).unwrap_or(u32::MAX);
    let ceiling = base.saturating_mul(factor).min(cap);
    let ceiling_us = u64::try_from(ceiling.as_micros()).unwrap_or(u64::MAX);
    Duration::from_micros(jitter.below_or_equal(ceiling_us))
}

/// Parses a `Retry-After` value: delta-seconds (`"120"`) or an HTTP date in any of the three
/// forms a recipient must accept (RFC 9110 §5.6.7): IMF-fixdate
/// (`"Sun, 06 Nov 1994 08:49:37 GMT"`), RFC 850 or asctime, relative to `now`. A date in the past gives zero.
/// `None` when the value is neither (the caller then uses [`DEFAULT_RETRY_AFTER`]).
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // Absurdly long digit strings saturate rather than fail: they are "too long" anyway.
        return Some(Duration::from_secs(
            value.parse::<u64>().unwrap_or(u64::MAX),
        ));
    }
    let at = parse_http_date(value).or_else(|| parse_obsolete_http_date(value))?;
    let now_secs = now.duration_since(UNIX_EPOCH).ok()?.as_secs_f64();
    let wait = at as f64 - now_secs;
    Some(if wait > 0.0 {
        Duration::from_secs_f64(wait)
    } else {
        Duration::ZERO
    })
}

/// Parses an IMF-fixdate (RFC 9110 §5.6.7), e.g. `Sun, 06 Nov 1994 08:49:37 GMT`, into seconds
/// since the Unix epoch. The weekday name is checked for spelling but not against the date.
pub fn parse_http_date(value: &str) -> Option<u64> {
    const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    let mut parts = value.split_ascii_whitespace();
    let weekday = parts.next()?.strip_suffix(',')?;
    let day = parts.next()?;
    let month = parts.next()?;
    let year = parts.next()?;
    let time = parts.next()?;
    if parts.next()? != "GMT" || parts.next().is_some() || !DAYS.contains(&weekday) {
        return None;
    }
    epoch_seconds(number(year, 4)?, month, number(day, 2)?, time)
}

/// Parses the two obsolete HTTP-date forms (RFC 9110 §5.6.7) into seconds since the Unix epoch:
/// RFC 850 (`Sunday, 06-Nov-94 08:49:37 GMT`; a two-digit year below 70 is 20xx) and asctime
/// (`Sun Nov  6 08:49:37 1994`).
pub fn parse_obsolete_http_date(value: &str) -> Option<u64> {
    const DAYS: [&str; 7] = [
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
    ];
    let parts: Vec<&str> = value.split_ascii_whitespace().collect();
    match parts[..] {
        [weekday, date, time, "GMT"] => {
            if !DAYS.contains(&weekday.strip_suffix(',')?) {
                return None;
            }
            let mut dmy = date.split('-');
            let (day, month, year) = (dmy.next()?, dmy.next()?, dmy.next()?);
            if dmy.next().is_some() {
                return None;
            }
            let yy = number(year, 2)?;
            let year = if yy < 70 { 2000 + yy } else { 1900 + yy };
            epoch_seconds(year, month, number(day, 2)?, time)
        }
        [weekday, month, day, time, year] => {
            if !DAYS.iter().any(|d| &d[..3] == weekday) {
                return None;
            }
            let day = number(day, 1).or_else(|| number(day, 2))?;
            epoch_seconds(number(year, 4)?, month, day, time)
        }
        _ => None,
    }
}

/// Seconds since the Unix epoch of a date (month as `Jan`…`Dec`) and an `hh:mm:ss` time, UTC.
fn epoch_seconds(year: u64, month: &str, day: u64, time: &str) -> Option<u64> {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month = MONTHS.iter().position(|m| *m == month)? as u64 + 1;
    let mut hms = time.split(':');
    let (h, m, s) = (
        number(hms.next()?, 2)?,
        number(hms.next()?, 2)?,
        number(hms.next()?, 2)?,
    );
    if hms.next().is_some() || year < 1970 || h > 23 || m > 59 || s > 60 {
        return None;
    }
    if day == 0 || day > days_in_month(year, month) {
        return None;
    }
    Some(days_from_civil(year, month, day) * 86_400 + h * 3600 + m * 60 + s)
}

/// Parses exactly `len` ASCII digits.
fn number(text: &str, len: usize) -> Option<u64> {
    if text.len() != len || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

fn days_in_month(year: u64, month: u64) -> u64 {
    let leap = (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400);
    match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm, years >= 1970).
fn days_from_civil(year: u64, month: u64, day: u64) -> u64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y / 400;
    let yoe = y - era * 400;
    let mp = (month + 9) % 12; // March = 0
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn http_dates_parse() {
        assert_eq!(
            parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(784_111_777)
        );
        assert_eq!(parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
        assert_eq!(
            parse_http_date("Tue, 29 Feb 2000 12:00:00 GMT"),
            Some(951_825_600)
        );
        assert_eq!(
            parse_http_date("Fri, 31 Dec 2038 23:59:59 GMT"),
            Some(2_177_452_799)
        );
    }

    #[test]
    fn malformed_http_dates_are_rejected() {
        for bad in [
            "",
            "Sun 06 Nov 1994 08:49:37 GMT",
            "Sun, 6 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 94 08:49:37 GMT",
            "Sun, 06 Foo 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 08:49:37 UTC",
            "Sun, 06 Nov 1994 24:00:00 GMT",
            "Sun, 06 Nov 1994 08:49 GMT",
            "Sun, 06 Nov 1994 08:49:37 GMT extra",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
            "Sun, 30 Feb 1994 08:49:37 GMT",
            "Sun, 29 Feb 1900 08:49:37 GMT",
            "Xyz, 06 Nov 1994 08:49:37 GMT",
        ] {
            assert_eq!(parse_http_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn retry_after_seconds_and_dates() {
        let now = at(784_111_770);
        assert_eq!(parse_retry_after("1", now), Some(Duration::from_secs(1)));
        assert_eq!(
            parse_retry_after(" 600 ", now),
            Some(Duration::from_secs(600))
        );
        assert_eq!(parse_retry_after("0", now), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now),
            Some(Duration::from_secs(7))
        );
        // A past date means "retry now".
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", at(784_200_000)),
            Some(Duration::ZERO)
        );
        assert_eq!(
            parse_retry_after("99999999999999999999999", now),
            Some(Duration::from_secs(u64::MAX))
        );
        for bad in ["", "-1", "1.5", "soon", "1e3"] {
            assert_eq!(parse_retry_after(bad, now), None, "{bad}");
        }
    }

    #[test]
    fn retry_after_takes_the_obsolete_date_forms_too() {
        // RFC 9110 §5.6.7: a recipient must accept all three HTTP-date forms.
        let now = at(784_111_770);
        for form in [
            "Sun, 06 Nov 1994 08:49:37 GMT",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
        ] {
            assert_eq!(
                parse_retry_after(form, now),
                Some(Duration::from_secs(7)),
                "{form}"
            );
        }
        assert_eq!(
            parse_obsolete_http_date("Thursday, 01-Jan-70 00:00:00 GMT"),
            Some(0)
        );
        assert_eq!(
            parse_obsolete_http_date("Friday, 31-Dec-38 23:59:59 GMT"),
            Some(2_177_452_799)
        );
        assert_eq!(
            parse_obsolete_http_date("Tue Feb 29 12:00:00 2000"),
            Some(951_825_600)
        );
        for bad in [
            "Sun, 06-Nov-94 08:49:37 GMT",
            "Sunday, 06-Nov-1994 08:49:37 GMT",
            "Sunday, 06-Nov-94 08:49:37 UTC",
            "Sunday 06-Nov-94 08:49:37 GMT",
            "Sun Nov 31 08:49:37 1994",
            "Sun Nov  6 08:49 1994",
            "Sunday Nov  6 08:49:37 1994",
            "Sun Nov  6 08:49:37 94",
        ] {
            assert_eq!(parse_obsolete_http_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn backoff_stays_within_the_exponential_ceiling_and_cap() {
        let mut jitter = Jitter::with_seed(42);
        let base = Duration::from_millis(100);
        for attempt in 0..40 {
            let ceiling = base
                .saturating_mul(1u32.checked_shl(attempt.min(31)).unwrap_or(u32::MAX))
                .min(BACKOFF_CAP);
            for _ in 0..50 {
                assert!(backoff(base, attempt, BACKOFF_CAP, &mut jitter) <= ceiling);
            }
        }
        assert_eq!(
            backoff(Duration::ZERO, 3, BACKOFF_CAP, &mut jitter),
            Duration::ZERO
        );
    }

    #[test]
    fn jitter_spreads_values() {
        let mut jitter = Jitter::with_seed(0);
        let samples: Vec<u64> = (0..1000).map(|_| jitter.below_or_equal(9)).collect();
        for v in 0..=9 {
            let n = samples.iter().filter(|s| **s == v).count();
            assert!((50..=150).contains(&n), "value {v} seen {n} times");
        }
        assert_ne!(Jitter::from_time().next_u64(), 0);
    }
}
