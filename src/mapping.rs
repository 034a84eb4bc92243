//! Pure mapping from CIC objects to the Genesys Cloud objects they should become.

use crate::cic::CicUser;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The Genesys phone address types gcsync manages, in CIC field order.
pub const MANAGED_PHONE_TYPES: [&str; 5] = ["WORK", "WORK2", "MOBILE", "HOME", "OTHER"];

/// What a CIC user should look like in Genesys Cloud.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DesiredUser {
    /// Genesys `name`: the CIC display name, or the CIC user id when it has none.
    pub name: String,
    /// Genesys `email` (login name): the CIC business email.
    pub email: String,
    /// Phone addresses by Genesys type (`WORK`, `WORK2`, `MOBILE`, `HOME`, `OTHER`), normalised.
    pub phones: BTreeMap<String, String>,
}

/// Why a CIC user cannot be synced as it stands; the text is shown to the admin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappingError(pub String);

fn present(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// Normalises a phone number: drops spaces, dashes, dots and parentheses; keeps a leading `+`
/// and an `x`/`ext` extension suffix as `;ext=`. Returns `None` when what is left is not a number.
pub fn normalize_phone(raw: &str) -> Option<String> {
    let lower = raw.trim().to_ascii_lowercase();
    let (main, ext) = match lower.find("ext").or_else(|| lower.find('x')) {
        Some(i) => {
            let ext: String = lower[i..].chars().filter(char::is_ascii_digit).collect();
            (&lower[..i], Some(ext))
        }
        None => (lower.as_str(), None),
    };
    let mut out = String::new();
    for (i, c) in main.trim().chars().enumerate() {
        match c {
            '0'..='9' => out.push(c),
            '+' if i == 0 => out.push(c),
            ' ' | '-' | '.' | '(' | ')' | '/' => {}
            _ => return None,
        }
    }
    let digits = out.trim_start_matches('+').len();
    if !(3..=20).contains(&digits) {
        return None;
    }
    match ext {
        Some(e) if e.is_empty() => None,
        Some(e) => Some(format!("{out};ext={e}")),
        None => Some(out),
    }
}

/// Whether an email address is plausible enough to send (Genesys validates the rest).
fn email_ok(email: &str) -> bool {
    let mut parts = email.split('@');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(local), Some(domain), None) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        }
        _ => false,
    }
}

/// Maps a CIC user to its desired Genesys user, exactly as the Synchronization Options page says.
pub fn desired_user(user: &CicUser) -> Result<DesiredUser, MappingError> {
    let email = present(&user.business_email)
        .ok_or_else(|| MappingError("business email required".into()))?;
    if !email_ok(email) {
        return Err(MappingError(format!(
            "business email {email:?} is not a valid email address"
        )));
    }
    let name = present(&user.display_name)
        .unwrap_or(user.id.trim())
        .to_string();
    let fields = [
        ("Business phone", &user.business_phone),
        ("Business 2 phone", &user.business_phone_2),
        ("Mobile phone", &user.mobile_phone),
        ("Home phone", &user.home_phone),
        ("Fax", &user.fax),
    ];
    let mut phones = BTreeMap::new();
    for ((label, value), gtype) in fields.iter().zip(MANAGED_PHONE_TYPES) {
        if let Some(raw) = present(value) {
            let number = normalize_phone(raw)
                .ok_or_else(|| MappingError(format!("{label} {raw:?} is not a phone number")))?;
            phones.insert(gtype.to_string(), number);
        }
    }
    Ok(DesiredUser {
        name,
        email: email.to_string(),
        phones,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: &str) -> CicUser {
        CicUser {
            id: id.into(),
            display_name: None,
            business_email: Some("a@example.com".into()),
            business_phone: None,
            business_phone_2: None,
            mobile_phone: None,
            home_phone: None,
            fax: None,
        }
    }

    #[test]
    fn every_field_maps_to_its_genesys_counterpart() {
        let mut u = user("jdoe");
        u.display_name = Some(" Jane Doe ".into());
        u.business_phone = Some("+1 (317) 555-0100".into());
        u.business_phone_2 = Some("+13175550102".into());
        u.mobile_phone = Some("317.555.0103".into());
        u.home_phone = Some("+44 20 7946 0958".into());
        u.fax = Some("+1 317 555 0199 x12".into());
        let d = desired_user(&u).unwrap();
        assert_eq!(d.name, "Jane Doe");
        assert_eq!(d.email, "a@example.com");
        let want: BTreeMap<String, String> = [
            ("WORK", "+13175550100"),
            ("WORK2", "+13175550102"),
            ("MOBILE", "3175550103"),
            ("HOME", "+442079460958"),
            ("OTHER", "+13175550199;ext=12"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        assert_eq!(d.phones, want);
    }

    #[test]
    fn display_name_falls_back_to_user_id() {
        let mut u = user("jdoe");
        assert_eq!(desired_user(&u).unwrap().name, "jdoe");
        u.display_name = Some("   ".into());
        assert_eq!(desired_user(&u).unwrap().name, "jdoe");
    }

    #[test]
    fn email_is_required_and_validated() {
        let mut u = user("x");
        u.business_email = None;
        assert_eq!(desired_user(&u).unwrap_err().0, "business email required");
        u.business_email = Some("".into());
        assert_eq!(desired_user(&u).unwrap_err().0, "business email required");
        u.business_email = Some("not-an-email".into());
        assert!(desired_user(&u)
            .unwrap_err()
            .0
            .contains("not a valid email"));
    }

    #[test]
    fn a_bad_phone_names_the_field() {
        let mut u = user("x");
        u.home_phone = Some("call me".into());
        assert_eq!(
            desired_user(&u).unwrap_err().0,
            "Home phone \"call me\" is not a phone number"
        );
        assert_eq!(normalize_phone("12"), None);
        assert_eq!(normalize_phone("+1-800-FLOWERS"), None);
    }
}
