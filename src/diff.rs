//! Pure diffing: what must change in Genesys Cloud to make an object match its desired state.

use crate::genesys::users::{Contact, GcUser};
use crate::mapping::{same_email, DesiredUser, Phone, MANAGED_PHONE_TYPES};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

fn managed(c: &Contact) -> bool {
    c.media_type.as_deref() == Some("PHONE")
        && c.kind
            .as_deref()
            .is_some_and(|k| MANAGED_PHONE_TYPES.contains(&k))
}

fn is_email_or_primary(c: &Contact) -> bool {
    c.media_type.as_deref() == Some("EMAIL") || c.kind.as_deref() == Some("PRIMARY")
}

fn non_empty(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// A Genesys contact read as a phone. The number is the `address`; without one, a `display`
/// beside a different `extension` is the number and a `display` alone is an extension (the
/// shapes Genesys' own Terraform provider reads). Separators a formatted display has are dropped.
fn phone_of(c: &Contact) -> Phone {
    let mut extension = non_empty(&c.extension);
    let mut number = non_empty(&c.address);
    if number.is_none() {
        match (extension, non_empty(&c.display)) {
            (Some(e), Some(d)) if e != d => number = Some(d),
            (None, Some(d)) => extension = Some(d),
            _ => {}
        }
    }
    Phone {
        address: number.map(|n| n.chars().filter(|c| !" -.()".contains(*c)).collect()),
        extension: extension.map(str::to_string),
    }
}

/// A contact gcsync leaves as it is: any contact of a type or medium it does not manage, and an
/// extension-only phone (an internal extension given in Genesys) of a managed type for which
/// CIC has no value.
fn kept(c: &Contact, desired: &DesiredUser) -> bool {
    if is_email_or_primary(c) {
        return false;
    }
    if !managed(c) {
        return true;
    }
    let p = phone_of(c);
    let extension_only = p.address.is_none() && p.extension.is_some();
    extension_only
        && !c
            .kind
            .as_deref()
            .is_some_and(|k| desired.phones.contains_key(k))
}

/// The contacts of `user` gcsync leaves as they are for `desired` (see [`kept`]): what a PATCH of
/// `addresses` must resend so as not to remove them. Stored with the version after each write,
/// so that the next update needs no GET.
pub fn kept_contacts(desired: &DesiredUser, user: &GcUser) -> Vec<Contact> {
    user.addresses
        .iter()
        .filter(|c| kept(c, desired))
        .cloned()
        .collect()
}

/// The Genesys user as gcsync last left it, rebuilt without a GET: `applied` (what it last wrote
/// or verified) with the contacts it kept, at `version`. Diffing a new desired state against it
/// gives the fields that changed since; state is taken to be `active`.
pub fn as_last_applied(id: &str, applied: &DesiredUser, kept: &[Contact], version: i64) -> GcUser {
    let mut addresses: Vec<Contact> = applied
        .phones
        .iter()
        .map(|(k, v)| phone_contact(k, v))
        .collect();
    addresses.extend(kept.iter().cloned());
    GcUser {
        id: id.to_string(),
        name: Some(applied.name.clone()),
        email: Some(applied.email.clone()),
        state: Some("active".into()),
        version,
        addresses,
    }
}

/// The phones a Genesys user has today of the types gcsync manages for `desired`, by type, as
/// Genesys stores them (what [`DesiredUser::phones`] is compared with).
pub fn actual_phones(desired: &DesiredUser, user: &GcUser) -> BTreeMap<String, Phone> {
    user.addresses
        .iter()
        .filter(|c| managed(c) && !kept(c, desired))
        .filter_map(|c| Some((c.kind.clone()?, phone_of(c))))
        .collect()
}

fn phone_contact(kind: &str, phone: &Phone) -> Contact {
    Contact {
        address: phone.address.clone(),
        extension: phone.extension.clone(),
        media_type: Some("PHONE".into()),
        kind: Some(kind.to_string()),
        ..Contact::default()
    }
}

/// The full `addresses` list to send: the desired managed phones plus every contact gcsync
/// leaves as it is (see [`kept`]: other phone types, SMS, extensions given in Genesys), untouched.
/// The primary email is never sent.
pub fn addresses_to_send(desired: &DesiredUser, actual: Option<&GcUser>) -> Vec<Contact> {
    let mut out: Vec<Contact> = desired
        .phones
        .iter()
        .map(|(k, v)| phone_contact(k, v))
        .collect();
    if let Some(user) = actual {
        out.extend(user.addresses.iter().filter(|c| kept(c, desired)).cloned());
    }
    out
}

/// The `UpdateUser` fields (without `version`) that differ; `None` when the user already matches.
pub fn user_patch(desired: &DesiredUser, actual: &GcUser) -> Option<Map<String, Value>> {
    let mut patch = Map::new();
    if actual.name.as_deref() != Some(desired.name.as_str()) {
        patch.insert("name".into(), json!(desired.name));
    }
    if !actual
        .email
        .as_deref()
        .is_some_and(|e| same_email(e, &desired.email))
    {
        patch.insert("email".into(), json!(desired.email));
    }
    if actual_phones(desired, actual) != desired.phones {
        let addrs = addresses_to_send(desired, Some(actual));
        patch.insert("addresses".into(), json!(addrs));
    }
    (!patch.is_empty()).then_some(patch)
}

/// The `CreateUser` body for a new Genesys user.
pub fn create_body(desired: &DesiredUser, division_id: Option<&str>) -> Value {
    let mut body = json!({
        "name": desired.name,
        "email": desired.email,
        "addresses": addresses_to_send(desired, None),
        "state": "active",
    });
    if let Some(d) = division_id {
        body["divisionId"] = json!(d);
    }
    body
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A desired user with one work phone (shared with other modules' tests).
    pub(crate) fn desired() -> DesiredUser {
        DesiredUser {
            name: "Jane".into(),
            email: "jane@example.com".into(),
            phones: [("WORK".to_string(), Phone::number("+13175550100"))]
                .into_iter()
                .collect(),
        }
    }

    fn actual(addresses: Vec<Contact>) -> GcUser {
        GcUser {
            id: "g1".into(),
            name: Some("Jane".into()),
            email: Some("JANE@example.com".into()),
            state: Some("active".into()),
            version: 3,
            addresses,
        }
    }

    fn number(kind: &str, n: &str) -> Contact {
        phone_contact(kind, &Phone::number(n))
    }

    #[test]
    fn matching_user_needs_no_patch() {
        let a = actual(vec![number("WORK", "+13175550100")]);
        assert_eq!(user_patch(&desired(), &a), None);
    }

    #[test]
    fn an_email_differing_only_in_case_is_not_a_change() {
        let mut a = actual(vec![number("WORK", "+13175550100")]);
        a.email = Some("Jane@Example.COM".into());
        assert_eq!(user_patch(&desired(), &a), None);
        a.email = Some("jane.doe@example.com".into());
        let p = user_patch(&desired(), &a).unwrap();
        assert_eq!(p["email"], json!("jane@example.com"));
    }

    #[test]
    fn phones_compare_as_genesys_returns_them() {
        let mut d = desired();
        d.phones.insert(
            "HOME".into(),
            Phone::from("+13175550101;ext=123".to_string()),
        );
        // Address and extension on one contact, as sent.
        let mut home = number("HOME", "+13175550101");
        home.extension = Some("123".into());
        home.display = Some("+13175550101".into());
        assert_eq!(
            user_patch(&d, &actual(vec![number("WORK", "+13175550100"), home])),
            None
        );
        // The number only in a formatted display beside the extension: still the same phone.
        let formatted = Contact {
            display: Some("+1 317-555-0101".into()),
            extension: Some("123".into()),
            ..number("HOME", "")
        };
        let formatted = Contact {
            address: None,
            ..formatted
        };
        let a = actual(vec![number("WORK", "+13175550100"), formatted]);
        assert_eq!(actual_phones(&d, &a), d.phones);
        assert_eq!(user_patch(&d, &a), None);
        // A different extension is a change; so is a number stored the old way (not E.164).
        let mut other_ext = number("HOME", "+13175550101");
        other_ext.extension = Some("124".into());
        let a = actual(vec![number("WORK", "+13175550100"), other_ext]);
        assert!(user_patch(&d, &a).unwrap().contains_key("addresses"));
        let a = actual(vec![number("WORK", "3175550100")]);
        let p = user_patch(&desired(), &a).unwrap();
        let sent: Vec<Contact> = serde_json::from_value(p["addresses"].clone()).unwrap();
        assert_eq!(sent, vec![number("WORK", "+13175550100")]);
    }

    #[test]
    fn changed_name_and_phones_are_patched_and_foreign_contacts_kept() {
        let sms = Contact {
            address: Some("+13175550999".into()),
            media_type: Some("SMS".into()),
            kind: Some("MOBILE".into()),
            ..Contact::default()
        };
        let work3 = number("WORK3", "+13175550777");
        let mut a = actual(vec![
            number("HOME", "+13175550000"),
            sms.clone(),
            work3.clone(),
        ]);
        a.name = Some("Old".into());
        let p = user_patch(&desired(), &a).unwrap();
        assert_eq!(p["name"], json!("Jane"));
        assert!(!p.contains_key("email"));
        let addrs: Vec<Contact> = serde_json::from_value(p["addresses"].clone()).unwrap();
        assert_eq!(
            addrs,
            vec![number("WORK", "+13175550100"), sms, work3],
            "HOME is managed and CIC has none: removed"
        );
    }

    #[test]
    fn an_extension_given_in_genesys_is_kept_unless_cic_sets_that_phone() {
        let ext_only = Contact {
            extension: Some("4501".into()),
            media_type: Some("PHONE".into()),
            kind: Some("WORK2".into()),
            ..Contact::default()
        };
        let a = actual(vec![number("WORK", "+13175550100"), ext_only.clone()]);
        assert_eq!(user_patch(&desired(), &a), None, "not compared");
        let mut d = desired();
        d.phones.remove("WORK");
        let p = user_patch(&d, &a).unwrap();
        let sent: Vec<Contact> = serde_json::from_value(p["addresses"].clone()).unwrap();
        assert_eq!(sent, vec![ext_only.clone()], "kept when the list is resent");
        d.phones
            .insert("WORK2".into(), Phone::number("+13175550102"));
        let sent: Vec<Contact> =
            serde_json::from_value(user_patch(&d, &a).unwrap()["addresses"].clone()).unwrap();
        assert_eq!(
            sent,
            vec![number("WORK2", "+13175550102")],
            "CIC's value wins"
        );
        // An extension CIC sets is compared, including Genesys' display-only shape.
        let display_only = Contact {
            display: Some("4501".into()),
            media_type: Some("PHONE".into()),
            kind: Some("WORK2".into()),
            ..Contact::default()
        };
        d.phones
            .insert("WORK2".into(), Phone::from(";ext=4501".to_string()));
        assert_eq!(user_patch(&d, &actual(vec![display_only])), None);
    }

    #[test]
    fn the_last_applied_state_diffs_like_the_user_it_produced() {
        let sms = Contact {
            address: Some("+13175550999".into()),
            media_type: Some("SMS".into()),
            kind: Some("MOBILE".into()),
            ..Contact::default()
        };
        let applied = desired();
        let actual = actual(vec![number("WORK", "+13175550100"), sms.clone()]);
        let kept = kept_contacts(&applied, &actual);
        assert_eq!(kept, vec![sms.clone()]);
        let last = as_last_applied("g1", &applied, &kept, 3);
        assert_eq!(last.version, 3);
        assert_eq!(user_patch(&applied, &last), None, "nothing changed since");
        // A changed name alone: only the name is sent.
        let mut d = desired();
        d.name = "Jane Q".into();
        let p = user_patch(&d, &last).unwrap();
        assert_eq!(p.keys().collect::<Vec<_>>(), vec!["name"]);
        assert_eq!(user_patch(&d, &last), user_patch(&d, &actual));
        // A changed phone: the whole list, the kept SMS included, as against the real user.
        d.phones
            .insert("HOME".into(), Phone::number("+13175550101"));
        let p = user_patch(&d, &last).unwrap();
        assert_eq!(p, user_patch(&d, &actual).unwrap());
        let sent: Vec<Contact> = serde_json::from_value(p["addresses"].clone()).unwrap();
        assert!(sent.contains(&sms), "{sent:?}");
    }

    #[test]
    fn create_body_has_required_fields_and_division() {
        let mut d = desired();
        d.phones
            .insert("HOME".into(), Phone::from("+13175550101;ext=9".to_string()));
        let b = create_body(&d, Some("div-1"));
        assert_eq!(b["name"], json!("Jane"));
        assert_eq!(b["email"], json!("jane@example.com"));
        assert_eq!(b["divisionId"], json!("div-1"));
        assert_eq!(b["addresses"][0]["type"], json!("HOME"));
        assert_eq!(b["addresses"][0]["address"], json!("+13175550101"));
        assert_eq!(b["addresses"][0]["extension"], json!("9"));
        assert_eq!(b["addresses"][1]["type"], json!("WORK"));
        assert_eq!(b["addresses"][1]["mediaType"], json!("PHONE"));
        assert!(b["addresses"][1].get("extension").is_none());
        assert!(b["addresses"][1].get("display").is_none());
    }
}
