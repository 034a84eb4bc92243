//! User updates with a known version and bulk verification at the API-call floor
//! (`user_sync::sync_user` for linked users, `verify_users`, `fix_verified`), with a real
//! `Client` against the emulator; call counts come from the emulator's request log.

#[path = "floor_support/mod.rs"]
#[allow(dead_code)] // each test file uses part of the helpers
mod support;

use gcsync::mapping::{DesiredUser, Phone};
use gcsync::objects::Origin;
use gcsync::user_sync::{fix_verified, verify_users, Matching, Verdict};
use serde_json::{json, Value};
use support::*;

#[test]
fn one_changed_field_with_a_known_version_is_one_call() {
    let mut org = Org::new();
    let d = desired(1);
    let a = sync_new(&mut org.ctx(), "u1", &d, Matching::PostFirst, None).unwrap();
    org.emu.clear_requests();
    let mut changed = d.clone();
    changed.name = "Renamed".into();
    let b = sync_linked(&mut org.ctx(), "u1", &changed, &a, &d).unwrap();
    let log = org.emu.requests();
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(log[0].method, "PATCH");
    assert_eq!(log[0].body, Some(json!({"name": "Renamed", "version": 1})));
    assert_eq!(
        (b.genesys_id.as_str(), b.known.version),
        (a.genesys_id.as_str(), 2)
    );
    // Nothing changed since: no call at all.
    org.emu.clear_requests();
    let c = sync_linked(&mut org.ctx(), "u1", &changed, &b, &changed).unwrap();
    assert!(org.emu.requests().is_empty());
    assert_eq!(c.known, b.known);
}

#[test]
fn a_stale_version_costs_a_read_and_one_more_patch() {
    let mut org = Org::new();
    let d = desired(2);
    let a = sync_new(&mut org.ctx(), "u2", &d, Matching::PostFirst, None).unwrap();
    org.emu.bump_user_version(&a.genesys_id);
    org.emu.clear_requests();
    let mut changed = d.clone();
    changed
        .phones
        .insert("HOME".into(), Phone::number("+13175550101"));
    let b = sync_linked(&mut org.ctx(), "u2", &changed, &a, &d).unwrap();
    let seen: Vec<(String, u16)> = org
        .emu
        .requests()
        .iter()
        .map(|r| (format!("{} {}", r.method, r.route), r.status))
        .collect();
    let patch = "PATCH /api/v2/users/{userId}".to_string();
    let get = "GET /api/v2/users/{userId}".to_string();
    assert_eq!(seen, vec![(patch.clone(), 409), (get, 200), (patch, 200)]);
    assert_eq!(
        b.known.version, 3,
        "created at 1, bumped to 2 elsewhere, patched to 3"
    );
    let u = org.emu.user(&b.genesys_id).unwrap();
    assert_eq!(u["addresses"].as_array().unwrap().len(), 2);
}

#[test]
fn unchanged_users_are_verified_in_bulk_without_a_write() {
    let mut org = Org::new();
    let n = size(200);
    let users: Vec<DesiredUser> = (0..n).map(desired).collect();
    let ids: Vec<String> = create_all(&mut org, &users)
        .into_iter()
        .map(|a| a.genesys_id)
        .collect();
    org.emu.clear_requests();
    let pairs: Vec<(&str, &DesiredUser)> = ids.iter().map(String::as_str).zip(&users).collect();
    let verdicts = verify_users(&org.client, &pairs).unwrap();
    let seen = org.counts();
    assert_eq!(seen, counts(&[("GET /api/v2/users", n.div_ceil(100))]));
    assert_eq!(org.writes(), 0);
    println!(
        "forced check of {n} unchanged users: {} calls, 0 writes (target <= {})",
        total(&seen),
        n.div_ceil(100) + 1
    );
    assert!(verdicts
        .iter()
        .all(|v| matches!(v, Verdict::Unchanged { known } if known.version == 1)));
}

#[test]
fn verification_finds_drift_and_deleted_users_and_a_fix_is_one_patch() {
    let mut org = Org::new();
    let users: Vec<DesiredUser> = (0..4).map(desired).collect();
    let ids: Vec<String> = create_all(&mut org, &users)
        .into_iter()
        .map(|a| a.genesys_id)
        .collect();
    // Drift made in Genesys: a rename, a deactivation, a deletion; one id that never existed.
    let edit = |org: &mut Org, id: &str, body: Value| {
        let u = org.emu.user(id).unwrap();
        let mut body = body;
        body["version"] = u["version"].clone();
        gcsync::genesys::users::patch(&org.client, id, &body).unwrap();
    };
    edit(&mut org, &ids[1], json!({"name": "Someone Else"}));
    edit(&mut org, &ids[2], json!({"state": "inactive"}));
    gcsync::genesys::users::delete(&org.client, &ids[3]).unwrap();
    let mut pairs: Vec<(&str, &DesiredUser)> = ids.iter().map(String::as_str).zip(&users).collect();
    pairs.push(("0b7c6a53-0000-4000-8000-000000000000", &users[0]));
    org.emu.clear_requests();
    let v = verify_users(&org.client, &pairs).unwrap();
    assert_eq!(org.counts(), counts(&[("GET /api/v2/users", 1)]));
    assert!(matches!(&v[0], Verdict::Unchanged { .. }), "{:?}", v[0]);
    assert!(
        matches!(&v[1], Verdict::PatchNeeded { body: Some(b), reactivate: false, .. }
            if b.keys().collect::<Vec<_>>() == vec!["name"]),
        "{:?}",
        v[1]
    );
    assert!(matches!(
        &v[2],
        Verdict::PatchNeeded {
            body: None,
            reactivate: true,
            ..
        }
    ));
    assert!(matches!(&v[3], Verdict::Missing { deleted: Some(u) } if u.id == ids[3]));
    assert_eq!(v[4], Verdict::Missing { deleted: None });
    org.emu.clear_requests();
    for (i, verdict) in v.into_iter().enumerate().take(3) {
        fix_verified(&mut org.ctx(), &users[i], verdict).unwrap();
    }
    assert_eq!(org.counts(), counts(&[("PATCH /api/v2/users/{userId}", 2)]));
    assert_eq!(org.emu.user(&ids[1]).unwrap()["name"], "User 0001");
    assert_eq!(org.emu.user(&ids[2]).unwrap()["state"], "active");
}

#[test]
fn a_linked_user_deleted_in_the_org_is_restored_with_its_known_version_stale() {
    let mut org = Org::new();
    let d = desired(8);
    let a = sync_new(&mut org.ctx(), "u8", &d, Matching::PostFirst, None).unwrap();
    gcsync::genesys::users::delete(&org.client, &a.genesys_id).unwrap();
    org.emu.clear_requests();
    let mut changed = d.clone();
    changed.name = "Changed".into();
    let b = sync_linked(&mut org.ctx(), "u8", &changed, &a, &d).unwrap();
    assert_eq!(
        (b.genesys_id.as_str(), b.origin),
        (a.genesys_id.as_str(), Origin::Restored)
    );
    let u = org.emu.user(&a.genesys_id).unwrap();
    assert_eq!(
        (u["state"].as_str(), u["name"].as_str()),
        (Some("active"), Some("Changed"))
    );
    assert_eq!(
        org.counts(),
        counts(&[
            ("PATCH /api/v2/users/{userId}", 3),
            ("GET /api/v2/users", 1),
        ]),
        "the PATCH (404), a read by id, the restore, the rename"
    );
}
