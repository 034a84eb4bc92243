//! The settings with a rule of their own beyond a type and a range: `log_level`, `data_dir`
//! (absolute), `division_id` (a GUID), `default_country_code` and `proficiency_bands`.

use super::read::{choice, invalid, required, text};
use super::Lookup;
use crate::result::Failure;
use std::path::PathBuf;

pub(super) fn level(get: Lookup) -> Result<log::LevelFilter, Failure> {
    use log::LevelFilter as L;
    const WORDS: [(&str, L); 6] = [
        ("off", L::Off),
        ("error", L::Error),
        ("warn", L::Warn),
        ("info", L::Info),
        ("debug", L::Debug),
        ("trace", L::Trace),
    ];
    let want = "off, error, warn, info, debug or trace";
    Ok(choice(get, "log_level", &WORDS, want)?.unwrap_or(L::Info))
}

/// `data_dir`: required and absolute (a relative path would depend on the host process's
/// working directory, which a service does not control).
pub(super) fn data_dir(get: Lookup) -> Result<PathBuf, Failure> {
    let v = required(get, "data_dir", "a directory where gcsync keeps its state")?;
    let path = PathBuf::from(&v);
    if !path.is_absolute() {
        return Err(invalid(
            "data_dir",
            &v,
            "an absolute path (e.g. /var/lib/gcsync, or C:\\ProgramData\\gcsync on Windows); \
             a relative one would depend on the CIC service's working directory",
        ));
    }
    Ok(path)
}

/// `division_id`: unset (the home division) or a division id, which Genesys Cloud spells as a
/// GUID. Whether the division exists is known at the first create: that user shows an Error
/// naming this setting.
pub(super) fn division(get: Lookup) -> Result<Option<String>, Failure> {
    let Some(v) = text(get, "division_id") else {
        return Ok(None);
    };
    let groups: Vec<&str> = v.split('-').collect();
    let lens = [8, 4, 4, 4, 12];
    let guid = groups.len() == 5
        && groups
            .iter()
            .zip(lens)
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()));
    if !guid {
        return Err(invalid(
            "division_id",
            &v,
            "a Genesys Cloud division id (a GUID such as 5f4ae2b8-1d3c-4e7a-9b60-0c8d2e1f3a47, \
             from Admin > Divisions), or unset for the home division",
        ));
    }
    Ok(Some(v))
}

pub(super) fn country_code(get: Lookup) -> Result<Option<String>, Failure> {
    let Some(v) = text(get, "default_country_code") else {
        return Ok(None);
    };
    let digits = v.strip_prefix('+').unwrap_or(&v);
    if !crate::mapping::is_country_code(digits) {
        return Err(invalid(
            "default_country_code",
            &v,
            "a country calling code of 1 to 3 digits, such as 1 (North America) or 44",
        ));
    }
    Ok(Some(digits.to_string()))
}

/// `proficiency_bands`: four strictly ascending whole numbers from 1 to 99, comma-separated.
pub(super) fn bands(get: Lookup) -> Result<[i64; 4], Failure> {
    let Some(v) = text(get, "proficiency_bands") else {
        return Ok(crate::assignments::DEFAULT_BANDS);
    };
    let want = "four ascending whole numbers from 1 to 99 separated by commas, e.g. 20,40,60,80 \
                (the highest CIC proficiency of 1, 2, 3 and 4 stars)";
    let parts: Result<Vec<i64>, _> = v.split(',').map(|p| p.trim().parse::<i64>()).collect();
    match parts.ok().and_then(|p| <[i64; 4]>::try_from(p).ok()) {
        Some(b) if b[0] >= 1 && b[3] <= 99 && b.windows(2).all(|w| w[0] < w[1]) => Ok(b),
        _ => Err(invalid("proficiency_bands", &v, want)),
    }
}
