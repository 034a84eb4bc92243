//! Phone numbers as Genesys Cloud stores them: an E.164 `address` (`+` country code and number,
//! digits only) and the extension in the separate `extension` field (API-FACTS §2, `Contact`).
//!
//! CIC holds free text. [`parse_phone`] turns it into a [`Phone`]: separators dropped, an
//! international `00` prefix read as `+`, a national number given the `default_country_code`
//! (NANP `1`: 10 digits, an 11-digit number's leading trunk `1` dropped; other countries: one
//! leading trunk `0` dropped, except Italy, `39`, whose numbers keep it), an extension after
//! `x`, `ext`, `ext.`, `extension` or `;ext=` moved to `extension`. What cannot be made valid is
//! an error whose text names the problem; the caller leaves that phone out with a warning.
//!
//! This is a syntactic normaliser, not libphonenumber: it checks E.164's shape (7 to 15 digits,
//! no leading 0 in the country code), not each country's numbering plan.

use serde::{Deserialize, Serialize};
use std::fmt;

/// One phone as Genesys stores it. At least one of the two is set.
///
/// Stored (in the database's `applied` JSON) as one string, `+13175550100`,
/// `+13175550100;ext=123` or `;ext=123` (RFC 3966's `;ext=`), which also reads the strings
/// earlier versions stored.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[serde(into = "String", from = "String")]
pub struct Phone {
    /// E.164 number, e.g. `+13175550100`.
    pub address: Option<String>,
    /// Extension digits, e.g. `123`.
    pub extension: Option<String>,
}

impl Phone {
    /// A number without an extension.
    pub fn number(e164: &str) -> Phone {
        Phone {
            address: Some(e164.to_string()),
            extension: None,
        }
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.address.as_deref().unwrap_or(""))?;
        match &self.extension {
            Some(e) => write!(f, ";ext={e}"),
            None => Ok(()),
        }
    }
}

impl From<Phone> for String {
    fn from(p: Phone) -> String {
        p.to_string()
    }
}

impl From<String> for Phone {
    fn from(s: String) -> Phone {
        let (addr, ext) = match s.split_once(";ext=") {
            Some((a, e)) => (a, Some(e)),
            None => (s.as_str(), None),
        };
        let some = |v: &str| (!v.is_empty()).then(|| v.to_string());
        Phone {
            address: some(addr),
            extension: ext.and_then(some),
        }
    }
}

/// Whether `s` is E.164 as Genesys stores it: `+`, 7 to 15 digits, the first not 0.
pub fn is_e164(s: &str) -> bool {
    s.strip_prefix('+').is_some_and(|d| {
        (7..=15).contains(&d.len()) && d.bytes().all(|b| b.is_ascii_digit()) && !d.starts_with('0')
    })
}

/// Whether a `default_country_code` setting value is usable: 1 to 3 digits, not starting with 0
/// (an optional leading `+` is accepted by the setting and dropped).
pub fn is_country_code(cc: &str) -> bool {
    (1..=3).contains(&cc.len()) && cc.bytes().all(|b| b.is_ascii_digit()) && !cc.starts_with('0')
}

const EXTENSION_MARKERS: [&str; 5] = [";ext=", "extension", "ext.", "ext", "x"];
const NOT_A_NUMBER: &str = "is not a phone number";

/// Splits `raw` into the number part and the extension digits (if an extension marker follows).
fn split_extension(raw: &str) -> Result<(&str, Option<String>), String> {
    let end = raw
        .char_indices()
        .find(|&(i, c)| !(c.is_ascii_digit() || " -./()".contains(c) || (c == '+' && i == 0)))
        .map_or(raw.len(), |(i, _)| i);
    let (main, rest) = raw.split_at(end);
    if rest.is_empty() {
        return Ok((main, None));
    }
    let lower = rest.to_ascii_lowercase();
    let marker = EXTENSION_MARKERS
        .iter()
        .find(|m| lower.starts_with(*m))
        .ok_or_else(|| NOT_A_NUMBER.to_string())?;
    let ext = lower[marker.len()..].trim_start_matches([' ', '.', ':', '=', '#']);
    if ext.is_empty() || ext.len() > 15 || !ext.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "has an extension that is not 1 to 15 digits ({:?})",
            rest.trim()
        ));
    }
    Ok((main, Some(ext.to_string())))
}

/// Turns a CIC phone value into the phone Genesys stores, or says what is wrong with it
/// (the text follows the value in a warning: `"abc" is not a phone number`).
pub fn parse_phone(raw: &str, default_country_code: Option<&str>) -> Result<Phone, String> {
    let raw = raw.trim();
    let raw = raw
        .strip_prefix("tel:")
        .or_else(|| raw.strip_prefix("TEL:"))
        .unwrap_or(raw);
    let (main, extension) = split_extension(raw)?;
    let main = main.trim();
    if main.is_empty() {
        return match extension {
            Some(_) => Ok(Phone {
                address: None,
                extension,
            }),
            None => Err(NOT_A_NUMBER.into()),
        };
    }
    let digits: String = main.chars().filter(char::is_ascii_digit).collect();
    if digits.is_empty() {
        return Err(NOT_A_NUMBER.into());
    }
    let international = if main.starts_with('+') {
        Some(digits.as_str())
    } else if let Some(rest) = digits.strip_prefix("00") {
        Some(rest)
    } else if default_country_code == Some("1") {
        digits.strip_prefix("011")
    } else {
        None
    };
    let e164 = match (international, default_country_code) {
        (Some(d), _) => format!("+{d}"),
        (None, None) => {
            return Err(
                "has no country code and default_country_code is not set (enter it as +<country code> <number>, or set default_country_code)"
                    .into(),
            )
        }
        (None, Some("1")) => {
            let national = match digits.strip_prefix('1') {
                Some(n) if digits.len() == 11 => n,
                _ => digits.as_str(),
            };
            if national.len() != 10 {
                return Err("is not a 10-digit North American number (default_country_code 1)".into());
            }
            format!("+1{national}")
        }
        (None, Some(cc)) => {
            let national = match digits.strip_prefix('0') {
                Some(n) if cc != "39" => n,
                _ => digits.as_str(),
            };
            format!("+{cc}{national}")
        }
    };
    if !is_e164(&e164) {
        return Err(format!(
            "does not make a valid E.164 number ({e164}: + then 7 to 15 digits, no leading 0)"
        ));
    }
    Ok(Phone {
        address: Some(e164),
        extension,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(raw: &str, cc: Option<&str>) -> String {
        parse_phone(raw, cc)
            .unwrap_or_else(|e| panic!("{raw:?}: {e}"))
            .to_string()
    }

    #[test]
    fn international_numbers_become_e164() {
        assert_eq!(ok("+1 (317) 555-0100", None), "+13175550100");
        assert_eq!(ok("+13175550100", None), "+13175550100");
        assert_eq!(ok("+44 20 7946 0958", None), "+442079460958");
        assert_eq!(ok("+34 612-345-678", Some("1")), "+34612345678");
        assert_eq!(ok("0044 20 7946 0958", None), "+442079460958");
        assert_eq!(ok("011 44 20 7946 0958", Some("1")), "+442079460958");
        assert_eq!(ok(" tel:+3227001234 ", None), "+3227001234");
    }

    #[test]
    fn national_numbers_take_the_default_country_code() {
        assert_eq!(ok("(317) 555-0100", Some("1")), "+13175550100");
        assert_eq!(ok("317.555.0100", Some("1")), "+13175550100");
        assert_eq!(ok("1-317-555-0100", Some("1")), "+13175550100");
        assert_eq!(ok("020 7946 0958", Some("44")), "+442079460958");
        assert_eq!(ok("06 6988 1234", Some("39")), "+390669881234");
        assert_eq!(ok("612 345 678", Some("34")), "+34612345678");
        let e = parse_phone("(317) 555-0100", None).unwrap_err();
        assert!(e.contains("no country code"), "{e}");
        let e = parse_phone("555-0100", Some("1")).unwrap_err();
        assert!(e.contains("10-digit"), "{e}");
    }

    #[test]
    fn extensions_go_to_their_own_field() {
        for raw in [
            "+1 317 555 0100 x123",
            "+1 317 555 0100 X 123",
            "+1 317 555 0100 ext. 123",
            "+1 317 555 0100 ext 123",
            "+1 317 555 0100 extension 123",
            "+13175550100;ext=123",
            "(317) 555-0100x123",
        ] {
            let p = parse_phone(raw, Some("1")).unwrap();
            assert_eq!(
                (p.address.as_deref(), p.extension.as_deref()),
                (Some("+13175550100"), Some("123")),
                "{raw}"
            );
        }
        let only = parse_phone("x4501", None).unwrap();
        assert_eq!(
            (only.address, only.extension.as_deref()),
            (None, Some("4501"))
        );
        let e = parse_phone("+13175550100 x12a", None).unwrap_err();
        assert!(e.contains("extension"), "{e}");
        assert!(parse_phone("+13175550100 x", None).is_err());
    }

    #[test]
    fn what_cannot_be_a_number_is_refused() {
        for raw in ["abc", "call me", "+1-800-FLOWERS", "()", "+", "1+2", "-"] {
            assert_eq!(
                parse_phone(raw, Some("1")).unwrap_err(),
                NOT_A_NUMBER,
                "{raw}"
            );
        }
        for raw in ["+12", "+1234567890123456", "+0123456789", "00 12"] {
            let e = parse_phone(raw, None).unwrap_err();
            assert!(e.contains("E.164"), "{raw}: {e}");
        }
    }

    #[test]
    fn the_stored_form_round_trips_and_reads_old_values() {
        for p in [
            Phone::number("+13175550100"),
            parse_phone("+13175550100 x7", None).unwrap(),
            parse_phone("x7", None).unwrap(),
        ] {
            let json = serde_json::to_string(&p).unwrap();
            assert_eq!(serde_json::from_str::<Phone>(&json).unwrap(), p, "{json}");
        }
        // Values stored before phones were E.164 read back as they were (and then differ from
        // what is desired now, so the user is updated once).
        let old: Phone = serde_json::from_str("\"3175550100\"").unwrap();
        assert_eq!(old, Phone::number("3175550100"));
        let old: Phone = serde_json::from_str("\"+13175550199;ext=12\"").unwrap();
        assert_eq!(old.extension.as_deref(), Some("12"));
        assert!(is_e164("+13175550100") && !is_e164("13175550100"));
        assert!(is_country_code("1") && is_country_code("352") && !is_country_code("0"));
        assert!(!is_country_code("1234") && !is_country_code("+1"));
    }
}
