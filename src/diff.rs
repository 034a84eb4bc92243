//! Pure diffing: what must change in Genesys Cloud to make an object match its desired state.

use crate::genesys::users::{Contact, GcUser};
use crate::mapping::{DesiredUser, MANAGED_PHONE_TYPES};
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

/// The phones a Genesys user has today, by managed type.
pub fn actual_phones(user: &GcUser) -> BTreeMap<String, String> {
    user.addresses
        .iter()
        .filter(|c| managed(c))
        .filter_map(|c| Some((c.kind.clone()?, c.address.clone()?)))
        .collect()
}

fn phone_contact(kind: &str, number: &str) -> Contact {
    Contact {
        address: Some(number.to_string()),
        media_type: Some("PHONE".into()),
        kind: Some(kind.to_string()),
        ..Contact::default()
    }
}

/// The full `addresses` list to send: the desired managed phones plus every contact gcsync does
/// not manage (other phone types, SMS, extensions), untouched. The primary email is never sent.
pub fn addresses_to_send(desired: &DesiredUser, actual: Option<&GcUser>) -> Vec<Contact> {
    let mut out: Vec<Contact> = desired
        .phones
        .iter()
        .map(|(k, v)| phone_contact(k, v))
        .collect();
    if let Some(user) = actual {
        out.extend(
            user.addresses
                .iter()
                .filter(|c| !managed(c) && !is_email_or_primary(c))
                .cloned(),
        );
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
        .is_some_and(|e| e.eq_ignore_ascii_case(&desired.email))
    {
        patch.insert("email".into(), json!(desired.email));
    }
    if actual_phones(actual) != desired.phones {
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
mod tests {
    use super::*;

    fn desired() -> DesiredUser {
        DesiredUser {
            name: "Jane".into(),
            email: "jane@example.com".into(),
            phones: [("WORK".to_string(), "+1555".to_string())]
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

    #[test]
    fn matching_user_needs_no_patch() {
        let a = actual(vec![phone_contact("WORK", "+1555")]);
        assert_eq!(user_patch(&desired(), &a), None);
    }

    #[test]
    fn changed_name_and_phones_are_patched_and_foreign_contacts_kept() {
        let sms = Contact {
            address: Some("+1999".into()),
            media_type: Some("SMS".into()),
            kind: Some("MOBILE".into()),
            ..Contact::default()
        };
        let work3 = phone_contact("WORK3", "+1777");
        let mut a = actual(vec![
            phone_contact("HOME", "+1000"),
            sms.clone(),
            work3.clone(),
        ]);
        a.name = Some("Old".into());
        let p = user_patch(&desired(), &a).unwrap();
        assert_eq!(p["name"], json!("Jane"));
        assert!(!p.contains_key("email"));
        let addrs: Vec<Contact> = serde_json::from_value(p["addresses"].clone()).unwrap();
        assert_eq!(addrs, vec![phone_contact("WORK", "+1555"), sms, work3]);
    }

    #[test]
    fn create_body_has_required_fields_and_division() {
        let b = create_body(&desired(), Some("div-1"));
        assert_eq!(b["name"], json!("Jane"));
        assert_eq!(b["email"], json!("jane@example.com"));
        assert_eq!(b["divisionId"], json!("div-1"));
        assert_eq!(b["addresses"][0]["type"], json!("WORK"));
        assert_eq!(b["addresses"][0]["mediaType"], json!("PHONE"));
    }
}
