//! A user's fields as `/api/v2/users` checks them: email, name, phone contacts (E.164 addresses,
//! extensions, one per media type and type) and the permission an extension change needs.

use crate::errors::ApiError;
use crate::org::Org;
use crate::perms;
use serde_json::{Map, Value};

pub(crate) fn check_email(email: &str) -> Result<(), ApiError> {
    match email.split_once('@') {
        Some((a, b)) if !a.is_empty() && b.contains('.') && !email.contains(' ') => Ok(()),
        _ => Err(ApiError::bad_request(format!(
            "email: '{email}' is not a valid email address"
        ))),
    }
}

pub(crate) fn check_name(name: &str) -> Result<(), ApiError> {
    if name.trim().is_empty() {
        return Err(ApiError::bad_request("name: must not be empty"));
    }
    Ok(())
}

/// Whether `s` is an E.164 number as Genesys stores phone addresses: `+`, a country code
/// starting 1-9, then digits only; 7 to 15 digits in all (ITU-T E.164 allows at most 15).
pub(crate) fn is_e164(s: &str) -> bool {
    let Some(digits) = s.strip_prefix('+') else {
        return false;
    };
    (7..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0')
}

/// Whether `s` is an internal extension: 1 to 15 ASCII digits.
pub(crate) fn is_extension(s: &str) -> bool {
    (1..=15).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
}

/// Validate an `addresses` list (phone contacts only) and set the server-side `display`.
pub(crate) fn phone_contacts(list: &[Value]) -> Result<Vec<Value>, ApiError> {
    let mut out: Vec<Value> = Vec::new();
    for (i, c) in list.iter().enumerate() {
        let err = |m: &str| ApiError::bad_request(format!("addresses[{i}]: {m}"));
        let (media, ty) = (c["mediaType"].as_str(), c["type"].as_str());
        if ty == Some("PRIMARY") || media == Some("EMAIL") {
            return Err(err("the primary email cannot be modified via addresses (EMAIL/PRIMARY contacts are not accepted; use the email field)"));
        }
        let (Some(media), Some(ty)) = (media, ty) else {
            return Err(err("mediaType and type are required"));
        };
        let addr = c["address"].as_str().filter(|s| !s.is_empty());
        let ext = c["extension"].as_str().filter(|s| !s.is_empty());
        if let Some(a) = addr.filter(|a| !is_e164(a)) {
            return Err(err(&format!(
                "address '{a}' is not a valid E.164 phone number (expected + then country code and number, digits only, e.g. +13175550100)"
            )));
        }
        if let Some(e) = ext.filter(|e| !is_extension(e)) {
            return Err(err(&format!(
                "extension '{e}' is not a valid extension (digits only)"
            )));
        }
        let display = match (addr, ext) {
            (Some(a), _) => a.to_string(),
            (None, Some(e)) => e.to_string(),
            (None, None) => return Err(err("an address or an extension is required")),
        };
        if out
            .iter()
            .any(|o| o["mediaType"] == media && o["type"] == ty)
        {
            return Err(err(&format!(
                "duplicate contact for mediaType {media}, type {ty}"
            )));
        }
        let mut stored: Map<String, Value> = c.as_object().cloned().unwrap_or_default();
        stored.retain(|_, v| !v.is_null() && *v != "");
        stored.insert("display".into(), Value::String(display));
        out.push(Value::Object(stored));
    }
    Ok(out)
}

/// The `(type, extension)` pairs of a contact list.
pub(crate) fn extensions(list: &[Value]) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = list
        .iter()
        .filter_map(|c| {
            let e = c["extension"].as_str().filter(|e| !e.is_empty())?;
            Some((c["type"].as_str().unwrap_or("").to_string(), e.to_string()))
        })
        .collect();
    v.sort();
    v
}

/// Changing a user's extensions needs `telephony:extension:assign` (API-FACTS §2), beside the
/// operation's own permission.
pub(crate) fn check_extension_change(
    org: &Org,
    old: &[Value],
    new: &[Value],
) -> Result<(), ApiError> {
    if extensions(old) == extensions(new) {
        return Ok(());
    }
    perms::require(
        &["telephony:extension:assign"],
        true,
        org.granted.as_deref(),
    )
}
