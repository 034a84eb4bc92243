//! The permission model: each operation's `x-inin-requires-permissions`, one granted set.
mod common;
use common::*;
use serde_json::json;

const U: &str = "/api/v2/users";

/// The POST of user A (what each grant is tried on).
fn create_a(emu: &gc_emulator::Emulator, tok: &str) -> Resp {
    post(emu, tok, U, json!({"name": "A", "email": "a@example.com"}))
}

#[test]
fn everything_is_granted_by_default() {
    let emu = start();
    let tok = token(&emu);
    let r = create_a(&emu, &tok);
    assert_eq!(r.status, 200);
}

#[test]
fn a_missing_permission_is_a_403_naming_it() {
    let emu = start_granting(&["directory:user:view"]);
    let tok = token(&emu);
    let r = create_a(&emu, &tok);
    assert_eq!(
        (r.status, r.code().as_str()),
        (403, "missing.any.permissions")
    );
    let v = r.json();
    assert_eq!(
        v["message"],
        "Unable to perform the requested action. You must have at least one of the following permissions assigned: [directory:user:add]"
    );
    assert_eq!(v["messageWithParams"], v["message"]);
    assert_eq!(v["status"], 403);
    assert!(emu.users().is_empty(), "nothing written");
    // Every alternative is named for an ANY operation.
    let id = emu.seed_user("B", "b@example.com", "active");
    let r = api(&emu, &tok, "DELETE", &format!("{U}/{id}"), None);
    assert_eq!(r.status, 403);
    assert!(r.json()["message"]
        .as_str()
        .unwrap()
        .ends_with("[admin, directory:user:delete, directory:organization:admin]"));
    // Search needs directory:user:view, which is granted; GET by id and the list need nothing.
    let q = json!({"query": [{"type": "EXACT", "fields": ["email"], "value": "b@example.com"}]});
    assert_eq!(post(&emu, &tok, "/api/v2/users/search", q).status, 200);
    assert_eq!(
        api(&emu, &tok, "GET", &format!("{U}/{id}"), None).status,
        200
    );
    assert_eq!(api(&emu, &tok, "GET", U, None).status, 200);
}

#[test]
fn permission_is_checked_after_auth_and_route_before_validation() {
    let emu = start_granting(&[]);
    let tok = token(&emu);
    assert_eq!(post(&emu, "bogus", U, json!({})).status, 401);
    let r = patch(&emu, &tok, "/api/v2/routing/skills/some-skill", json!({}));
    assert_eq!(r.status, 404, "not emulated comes first");
    // An invalid body is refused with 403, not 400: the body is never looked at.
    let r = post(&emu, &tok, U, json!({"bogus": 1}));
    assert_eq!(r.status, 403);
}

#[test]
fn wildcards_and_changing_the_set_at_run_time() {
    let emu = start_granting(&["directory:user:*"]);
    let tok = token(&emu);
    let r = create_a(&emu, &tok);
    assert_eq!(r.status, 200);
    let id = r.json()["id"].as_str().unwrap().to_string();
    emu.set_granted_permissions(Some(vec!["directory:user:add".into()]));
    let r = patch(
        &emu,
        &tok,
        &format!("{U}/{id}"),
        json!({"version": 1, "name": "B"}),
    );
    assert_eq!(r.status, 403);
    assert!(r.json()["message"]
        .as_str()
        .unwrap()
        .contains("directory:user:edit"));
    // Through the control endpoint: null grants everything again.
    let post = |body: &str| {
        request(
            &emu.base_url(),
            "POST",
            "/__emulator/permissions",
            &[("Content-Type", "application/json")],
            Some(body.as_bytes()),
        )
        .unwrap()
    };
    assert_eq!(post(r#"{"granted": null}"#).status, 200);
    let r = patch(
        &emu,
        &tok,
        &format!("{U}/{id}"),
        json!({"version": 1, "name": "B"}),
    );
    assert_eq!(r.status, 200);
    assert_eq!(post(r#"{"granted": ["directory:user:view"]}"#).status, 200);
    let r = patch(
        &emu,
        &tok,
        &format!("{U}/{id}"),
        json!({"version": 2, "name": "C"}),
    );
    assert_eq!(r.status, 403);
    assert_eq!(post(r#"{"granted": 5}"#).status, 400);
}

#[test]
fn changing_an_extension_needs_telephony_extension_assign() {
    let emu = start_granting(&["directory:user:*"]);
    let tok = token(&emu);
    let id = emu.seed_user("Ext", "ext@example.com", "active");
    let p = format!("{U}/{id}");
    let with_ext = |v: i64, ext: &str| {
        json!({"version": v, "addresses": [
            {"address": "+13175550100", "extension": ext, "mediaType": "PHONE", "type": "WORK"}]})
    };
    let r = patch(&emu, &tok, &p, with_ext(1, "123"));
    assert_eq!((r.status, r.code().as_str()), (403, "missing.permissions"));
    assert!(r.json()["message"]
        .as_str()
        .unwrap()
        .ends_with("permission(s): [telephony:extension:assign]"));
    assert_eq!(emu.user(&id).unwrap()["version"], 1, "nothing changed");
    // A number without an extension needs nothing more; so does a create without one.
    let plain = json!({"version": 1, "addresses": [
        {"address": "+13175550100", "mediaType": "PHONE", "type": "WORK"}]});
    assert_eq!(patch(&emu, &tok, &p, plain).status, 200);
    let create = json!({"name": "N", "email": "n@example.com", "addresses": [
        {"extension": "4501", "mediaType": "PHONE", "type": "WORK"}]});
    assert_eq!(post(&emu, &tok, U, create.clone()).status, 403);
    emu.set_granted_permissions(Some(vec![
        "directory:user:*".into(),
        "telephony:extension:assign".into(),
    ]));
    assert_eq!(post(&emu, &tok, U, create).status, 200);
    assert_eq!(patch(&emu, &tok, &p, with_ext(2, "123")).status, 200);
    // Resending the extension it already has is no change: allowed without the permission.
    emu.set_granted_permissions(Some(vec!["directory:user:*".into()]));
    assert_eq!(patch(&emu, &tok, &p, with_ext(3, "123")).status, 200);
    assert_eq!(patch(&emu, &tok, &p, with_ext(4, "124")).status, 403);
}
