//! The emulated users API, one user at a time: create and read, contact fields (E.164
//! phones), PATCH with versions, soft delete and restore, external identifiers. Lists, search
//! and email uniqueness are in `user_search.rs`.

mod common;
use common::*;
use serde_json::json;

const U: &str = "/api/v2/users";

#[test]
fn create_get_and_contacts() {
    let emu = start();
    let tok = token(&emu);
    let body = json!({"name": "Ann Agent", "email": "Ann@Example.com",
        "addresses": [{"address": "+13175550100", "mediaType": "PHONE", "type": "WORK"}]});
    let r = post(&emu, &tok, U, body);
    assert_eq!(r.status, 200, "{}", r.body);
    let u = r.json();
    let id = u["id"].as_str().unwrap().to_string();
    assert_eq!(u["state"], "active");
    assert_eq!(u["version"], 1);
    assert_eq!(u["division"]["id"], emu.config().home_division_id);
    assert_eq!(
        u["primaryContactInfo"],
        json!([{"address": "Ann@Example.com", "mediaType": "EMAIL", "type": "PRIMARY"}])
    );
    assert_eq!(u["addresses"][0]["display"], "+13175550100");
    let g = api(&emu, &tok, "GET", &format!("{U}/{id}"), None);
    assert_eq!(g.status, 200);
    assert_eq!(g.json(), u);
    assert_eq!(
        emu.user_by_email("ann@example.COM").unwrap()["id"],
        id.as_str()
    );
    let r = api(&emu, &tok, "GET", &format!("{U}/nope"), None);
    assert_eq!(
        (r.status, r.code().as_str()),
        (404, "general.resource.not.found")
    );
    // Email conflicts are case-insensitive.
    let r = post(
        &emu,
        &tok,
        U,
        json!({"name": "X", "email": "ann@example.com"}),
    );
    assert_eq!((r.status, r.code().as_str()), (409, "general.conflict"));
    // The primary email cannot be given as an address.
    let bad = json!({"name": "B", "email": "b@example.com",
        "addresses": [{"address": "b@example.com", "mediaType": "EMAIL", "type": "PRIMARY"}]});
    assert_eq!(post(&emu, &tok, U, bad).status, 400);
}

#[test]
fn patch_versions_and_fields() {
    let emu = start();
    let tok = token(&emu);
    let id = emu.seed_user("Ann", "ann@example.com", "active");
    let p = format!("{U}/{id}");
    let r = patch(
        &emu,
        &tok,
        &p,
        json!({"version": 1, "name": "Ann B", "title": "Agent",
        "addresses": [{"address": "+3227001234", "mediaType": "PHONE", "type": "MOBILE"}]}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    assert_eq!(
        (v["version"].as_i64(), v["name"].as_str()),
        (Some(2), Some("Ann B"))
    );
    assert_eq!(v["title"], "Agent");
    assert_eq!(v["addresses"].as_array().unwrap().len(), 1);
    // Stale version.
    let r = patch(&emu, &tok, &p, json!({"version": 1, "name": "X"}));
    assert_eq!((r.status, r.code().as_str()), (409, "general.conflict"));
    emu.bump_user_version(&id);
    let r = patch(&emu, &tok, &p, json!({"version": 2, "name": "X"}));
    assert_eq!(r.status, 409);
    // Addresses replace all; EMAIL/PRIMARY entries are rejected.
    let r = patch(&emu, &tok, &p, json!({"version": 3, "addresses": []}));
    assert_eq!(r.json()["addresses"], json!([]));
    let bad = json!({"version": 4, "addresses": [{"address": "a@b.c", "mediaType": "EMAIL", "type": "WORK"}]});
    assert_eq!(patch(&emu, &tok, &p, bad).status, 400);
    // State in a PATCH is the only change applied.
    let r = patch(
        &emu,
        &tok,
        &p,
        json!({"version": 4, "state": "inactive", "name": "Ignored"}),
    );
    let v = r.json();
    assert_eq!(
        (
            v["state"].as_str(),
            v["name"].as_str(),
            v["version"].as_i64()
        ),
        (Some("inactive"), Some("Ann B"), Some(5))
    );
    // Email change onto a taken email.
    emu.seed_user("Bob", "bob@example.com", "deleted");
    let r = patch(
        &emu,
        &tok,
        &p,
        json!({"version": 5, "email": "BOB@example.com"}),
    );
    assert_eq!(r.status, 409);
}

#[test]
fn soft_delete_conflict_and_restore() {
    let emu = start();
    let tok = token(&emu);
    let r = post(
        &emu,
        &tok,
        U,
        json!({"name": "Ann", "email": "ann@example.com"}),
    );
    let id = r.json()["id"].as_str().unwrap().to_string();
    let p = format!("{U}/{id}");
    let r = api(&emu, &tok, "DELETE", &p, None);
    assert_eq!((r.status, r.json()), (200, json!({})));
    let u = emu.user_by_email("ann@example.com").unwrap();
    assert_eq!(
        (u["state"].as_str(), u["version"].as_i64()),
        (Some("deleted"), Some(2))
    );
    assert_eq!(api(&emu, &tok, "GET", &p, None).status, 404);
    assert_eq!(api(&emu, &tok, "DELETE", &p, None).status, 404);
    // The email stays taken.
    let r = post(
        &emu,
        &tok,
        U,
        json!({"name": "Ann", "email": "ANN@example.com"}),
    );
    assert_eq!((r.status, r.code().as_str()), (409, "general.conflict"));
    // A non-state PATCH on a deleted user is refused; a state PATCH restores it.
    assert_eq!(
        patch(&emu, &tok, &p, json!({"version": 2, "name": "x"})).status,
        404
    );
    let r = patch(&emu, &tok, &p, json!({"version": 2, "state": "active"}));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["state"], "active");
    assert_eq!(emu.users().len(), 1);
    assert_eq!(emu.call_count("PATCH", "/api/v2/users/{userId}"), 2);
    assert_eq!(emu.call_count("post", U), 2);
}

#[test]
fn phone_addresses_must_be_e164_and_extensions_digits() {
    let emu = start();
    let tok = token(&emu);
    let id = emu.seed_user("Pat", "pat@example.com", "active");
    let p = format!("{U}/{id}");
    let mut version = 1;
    let mut patch = |contact: serde_json::Value| {
        let r = patch(
            &emu,
            &tok,
            &p,
            json!({"version": version, "addresses": [contact]}),
        );
        if r.status == 200 {
            version += 1;
        }
        r
    };
    let phone = |address: &str| json!({"address": address, "mediaType": "PHONE", "type": "WORK"});
    for bad in [
        "3175550100",          // national, no country code
        "+1 317 555 0100",     // formatted
        "+1-317-555-0100",     // formatted
        "+13175550100;ext=12", // extension inside the address
        "+03175550100",        // country code cannot start with 0
        "+123456",             // too short
        "+1234567890123456",   // 16 digits
        "tel:+13175550100",
    ] {
        let r = patch(phone(bad));
        assert_eq!((r.status, r.code().as_str()), (400, "bad.request"), "{bad}");
        assert!(
            r.json()["message"].as_str().unwrap().contains("E.164"),
            "{bad}"
        );
    }
    // SMS numbers are phone numbers too.
    let sms = json!({"address": "317-555-0100", "mediaType": "SMS", "type": "MOBILE"});
    assert_eq!(patch(sms).status, 400);
    let r = patch(phone("+13175550100"));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["addresses"][0]["display"], "+13175550100");
    // A number with an extension: both fields on one contact; display is the number.
    let r = patch(
        json!({"address": "+13175550100", "extension": "123", "mediaType": "PHONE", "type": "WORK"}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let c = &r.json()["addresses"][0];
    assert_eq!(
        (c["address"].as_str(), c["extension"].as_str()),
        (Some("+13175550100"), Some("123"))
    );
    // An extension alone; its display is the extension.
    let r = patch(json!({"extension": "4501", "mediaType": "PHONE", "type": "WORK2"}));
    assert_eq!(r.json()["addresses"][0]["display"], "4501");
    for bad_ext in ["x123", "ext. 123", "12a"] {
        let r = patch(
            json!({"address": "+13175550100", "extension": bad_ext, "mediaType": "PHONE", "type": "WORK"}),
        );
        assert_eq!(r.status, 400, "{bad_ext}");
    }
    let r = patch(json!({"mediaType": "PHONE", "type": "WORK"}));
    assert_eq!(r.status, 400);
    // The same rules on create.
    let body = json!({"name": "N", "email": "n@example.com",
        "addresses": [{"address": "(317) 555-0100", "mediaType": "PHONE", "type": "HOME"}]});
    assert_eq!(post(&emu, &tok, U, body).status, 400);
    assert!(emu.user_by_email("n@example.com").is_none());
}

#[test]
fn external_identifiers_and_a_204() {
    let emu = start();
    let tok = token(&emu);
    let id = emu.seed_user("Ext", "ext@example.com", "active");
    let other = emu.seed_user("Other", "other@example.com", "active");
    let ext = format!("{U}/{id}/externalid");
    let add = |path: &str, key: &str| {
        post(
            &emu,
            &tok,
            path,
            json!({"authorityName": "cic", "externalKey": key}),
        )
    };
    let r = add(&ext, "jdoe");
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()[0]["externalKey"], "jdoe");
    assert_eq!(
        add(&ext, "jdoe").json().as_array().unwrap().len(),
        1,
        "same pair: no change"
    );
    assert_eq!(add(&ext, "other").status, 409, "one key per authority");
    assert_eq!(
        add(&format!("{U}/{other}/externalid"), "jdoe").status,
        409,
        "one user per pair"
    );
    // Look-up by pair; authority and key are case-sensitive.
    let r = api(&emu, &tok, "GET", &format!("{U}/externalid/cic/jdoe"), None);
    assert_eq!(
        (r.status, r.json()["id"].as_str()),
        (200, Some(id.as_str()))
    );
    assert_eq!(
        api(&emu, &tok, "GET", &format!("{U}/externalid/cic/JDOE"), None).status,
        404
    );
    assert_eq!(
        api(&emu, &tok, "GET", &format!("{U}/externalid/CIC/jdoe"), None).status,
        404
    );
    // DELETE answers 204 without a body (the spec documents no 2xx body for it).
    let r = api(&emu, &tok, "DELETE", &format!("{ext}/cic/jdoe"), None);
    assert_eq!((r.status, r.body.as_str()), (204, ""));
    assert!(r.header("Content-Length").is_none());
    assert_eq!(
        api(&emu, &tok, "DELETE", &format!("{ext}/cic/jdoe"), None).status,
        404
    );
    assert_eq!(api(&emu, &tok, "GET", &ext, None).json(), json!([]));
    assert_eq!(add(&format!("{U}/nope/externalid"), "x").status, 404);
    let r = post(&emu, &tok, &ext, json!({"authorityName": "cic"}));
    assert_eq!(r.status, 400);
}
