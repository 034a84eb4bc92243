//! Pure mapping from CIC objects to the Genesys Cloud objects they should become.

mod phone;

pub use phone::{is_country_code, is_e164, parse_phone, Phone};

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
    /// Phones by Genesys type (`WORK`, `WORK2`, `MOBILE`, `HOME`, `OTHER`), as Genesys stores
    /// them (E.164 address, extension apart). Phones that could not be made valid are absent.
    pub phones: BTreeMap<String, Phone>,
}

/// A CIC user mapped: the desired Genesys user and what had to be left out of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapped {
    /// The desired Genesys user.
    pub user: DesiredUser,
    /// One line per CIC value left out, naming the field, the value and its problem, e.g.
    /// `Home phone "abc" is not a phone number; left out`. Empty when everything mapped.
    pub warnings: Vec<String>,
}

/// Why a CIC user cannot be synced as it stands; the text is shown to the admin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappingError(pub String);

fn present(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// Whether two emails name the same Genesys user: compared case-insensitively (Unicode lower
/// case) and without surrounding white space, as Genesys treats emails for uniqueness and
/// search. `Jane.Doe@Example.com` and `jane.doe@example.com` are the same.
pub fn same_email(a: &str, b: &str) -> bool {
    fn fold(s: &str) -> impl Iterator<Item = char> + '_ {
        s.trim().chars().flat_map(char::to_lowercase)
    }
    fold(a).eq(fold(b))
}

/// An email as a lookup key: two emails have the same key exactly when [`same_email`] holds.
pub fn email_key(email: &str) -> String {
    email.trim().chars().flat_map(char::to_lowercase).collect()
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
/// A phone that cannot be made a valid Genesys phone (see [`parse_phone`]; national numbers need
/// `default_country_code`) is left out with a warning; the rest of the user still maps. Only a
/// missing or invalid business email makes the user unmappable.
pub fn desired_user(
    user: &CicUser,
    default_country_code: Option<&str>,
) -> Result<Mapped, MappingError> {
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
    let mut warnings = Vec::new();
    for ((label, value), gtype) in fields.iter().zip(MANAGED_PHONE_TYPES) {
        if let Some(raw) = present(value) {
            match parse_phone(raw, default_country_code) {
                Ok(p) => {
                    phones.insert(gtype.to_string(), p);
                }
                Err(problem) => warnings.push(format!("{label} {raw:?} {problem}; left out")),
            }
        }
    }
    Ok(Mapped {
        user: DesiredUser {
            name,
            email: email.to_string(),
            phones,
        },
        warnings,
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
            skills: vec![],
        }
    }

    fn map(u: &CicUser) -> DesiredUser {
        let m = desired_user(u, None).unwrap();
        assert_eq!(m.warnings, Vec::<String>::new());
        m.user
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
        let m = desired_user(&u, Some("1")).unwrap();
        assert!(m.warnings.is_empty(), "{:?}", m.warnings);
        let d = m.user;
        assert_eq!(d.name, "Jane Doe");
        assert_eq!(d.email, "a@example.com");
        let want: BTreeMap<String, Phone> = [
            ("WORK", "+13175550100"),
            ("WORK2", "+13175550102"),
            ("MOBILE", "+13175550103"),
            ("HOME", "+442079460958"),
            ("OTHER", "+13175550199;ext=12"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), Phone::from(v.to_string())))
        .collect();
        assert_eq!(d.phones, want);
        assert_eq!(d.phones["OTHER"].address.as_deref(), Some("+13175550199"));
        assert_eq!(d.phones["OTHER"].extension.as_deref(), Some("12"));
    }

    #[test]
    fn a_bad_phone_is_left_out_with_a_warning_and_the_rest_maps() {
        let mut u = user("x");
        u.display_name = Some("X".into());
        u.home_phone = Some("abc".into());
        u.business_phone = Some("(317) 555-0100".into());
        u.mobile_phone = Some("+44 7700 900123".into());
        let m = desired_user(&u, None).unwrap();
        assert_eq!(m.user.name, "X");
        assert_eq!(m.user.email, "a@example.com");
        assert_eq!(m.user.phones.keys().collect::<Vec<_>>(), vec!["MOBILE"]);
        assert_eq!(m.warnings.len(), 2, "{:?}", m.warnings);
        assert_eq!(
            m.warnings[0],
            "Business phone \"(317) 555-0100\" has no country code and default_country_code is not set (enter it as +<country code> <number>, or set default_country_code); left out"
        );
        assert_eq!(
            m.warnings[1],
            "Home phone \"abc\" is not a phone number; left out"
        );
        // With default_country_code the national number maps; the bad one still does not.
        let m = desired_user(&u, Some("1")).unwrap();
        assert_eq!(m.user.phones["WORK"], Phone::number("+13175550100"));
        assert_eq!(
            m.warnings,
            vec!["Home phone \"abc\" is not a phone number; left out"]
        );
    }

    #[test]
    fn emails_compare_case_insensitively() {
        assert!(same_email("Jane.Doe@Example.com", "jane.doe@example.com"));
        assert!(same_email(" ZOË@example.com", "zoë@example.com"));
        assert!(!same_email("jane@example.com", "jane@example.org"));
        assert!(!same_email("jane@example.com", "jane2@example.com"));
        assert_eq!(
            email_key(" Jane.Doe@Example.COM"),
            email_key("jane.doe@example.com")
        );
        assert_ne!(email_key("jane@example.com"), email_key("jane@example.org"));
    }

    #[test]
    fn display_name_falls_back_to_user_id() {
        let mut u = user("jdoe");
        assert_eq!(map(&u).name, "jdoe");
        u.display_name = Some("   ".into());
        assert_eq!(map(&u).name, "jdoe");
    }

    #[test]
    fn email_is_required_and_validated() {
        let mut u = user("x");
        u.business_email = None;
        assert_eq!(
            desired_user(&u, None).unwrap_err().0,
            "business email required"
        );
        u.business_email = Some("".into());
        assert_eq!(
            desired_user(&u, None).unwrap_err().0,
            "business email required"
        );
        u.business_email = Some("not-an-email".into());
        assert!(desired_user(&u, None)
            .unwrap_err()
            .0
            .contains("not a valid email"));
    }
}
