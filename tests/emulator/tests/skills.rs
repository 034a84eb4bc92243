mod common;
use common::*;
use gc_emulator::Faults;
use serde_json::json;
use std::time::Duration;

const S: &str = "/api/v2/routing/skills";
const L: &str = "/api/v2/routing/languages";

#[test]
fn skills_create_conflict_soft_delete_and_reuse_of_a_deleted_name() {
    let emu = start();
    let tok = token(&emu);
    let s = ok(post(&emu, &tok, S, json!({"name": "Billing"})));
    let id = s["id"].as_str().unwrap().to_string();
    assert_eq!(
        (s["state"].as_str(), s["version"].as_str()),
        (Some("active"), Some("1"))
    );
    assert_eq!(s["division"]["id"], emu.config().home_division_id);
    assert_eq!(ok(api(&emu, &tok, "GET", &format!("{S}/{id}"), None)), s);
    let r = post(&emu, &tok, S, json!({"name": "billing"}));
    refused(&r, 409, "general.conflict", "already exists");
    let r = post(
        &emu,
        &tok,
        S,
        json!({"name": "X", "divisionId": "elsewhere"}),
    );
    refused(&r, 400, "bad.request", "divisionId");
    // Soft delete: GET shows state deleted, the list no longer has it, deleting again is 404.
    let r = api(&emu, &tok, "DELETE", &format!("{S}/{id}"), None);
    assert_eq!((r.status, r.body.as_str()), (200, ""));
    let g = ok(api(&emu, &tok, "GET", &format!("{S}/{id}"), None));
    assert_eq!(
        (g["state"].as_str(), g["version"].as_str()),
        (Some("deleted"), Some("2"))
    );
    assert!(names(&ok(api(&emu, &tok, "GET", S, None))).is_empty());
    refused(
        &api(&emu, &tok, "DELETE", &format!("{S}/{id}"), None),
        404,
        "resource.not.found",
        "",
    );
    refused(
        &api(&emu, &tok, "GET", &format!("{S}/nope"), None),
        404,
        "resource.not.found",
        "",
    );
    // The deleted skill's name may be used again: a new skill, a new id.
    let again = ok(post(&emu, &tok, S, json!({"name": "Billing"})));
    assert_ne!(again["id"], s["id"]);
    assert_eq!(emu.dump("skills").as_array().unwrap().len(), 2);
    // Schema: unknown fields and missing names are refused.
    refused(
        &post(&emu, &tok, S, json!({"name": "A", "state": "active"})),
        400,
        "bad.request",
        "state",
    );
    refused(&post(&emu, &tok, S, json!({})), 400, "bad.request", "name");
    assert_eq!(emu.call_count("POST", S), 6);
}

#[test]
fn skill_list_pages_with_a_prefix_filter() {
    let emu = start();
    let tok = token(&emu);
    for n in ["Spanish support", "Spanish", "spam", "Sales", "French"] {
        emu.seed("skills", json!({"name": n}));
    }
    emu.seed("skills", json!({"name": "Spanish old", "state": "deleted"}));
    let v = ok(api(&emu, &tok, "GET", &format!("{S}?name=Spanish"), None));
    assert_eq!(names(&v), ["Spanish", "Spanish support"]);
    let v = ok(api(&emu, &tok, "GET", &format!("{S}?name=spa"), None));
    assert_eq!(names(&v), ["spam", "Spanish", "Spanish support"]);
    let v = ok(api(&emu, &tok, "GET", &format!("{S}?name=support"), None));
    assert!(names(&v).is_empty(), "prefix, not contains");
    let mut all = Vec::new();
    for p in 1..=3 {
        let v = ok(api(
            &emu,
            &tok,
            "GET",
            &format!("{S}?pageSize=2&pageNumber={p}"),
            None,
        ));
        assert_eq!(
            (v["total"].as_u64(), v["pageCount"].as_u64()),
            (Some(5), Some(3))
        );
        all.extend(names(&v));
    }
    assert_eq!(
        all,
        ["French", "Sales", "spam", "Spanish", "Spanish support"]
    );
    ok(api(&emu, &tok, "GET", &format!("{S}?pageSize=500"), None));
    refused(
        &api(&emu, &tok, "GET", &format!("{S}?pageSize=501"), None),
        400,
        "bad.request",
        "pageSize",
    );
}

#[test]
fn languages_have_their_own_endpoints() {
    let emu = start();
    let tok = token(&emu);
    let l = ok(post(&emu, &tok, L, json!({"name": "German"})));
    let id = l["id"].as_str().unwrap().to_string();
    assert!(l.get("division").is_none());
    assert_eq!(l["selfUri"], format!("{L}/{id}"));
    refused(
        &post(&emu, &tok, L, json!({"name": "GERMAN"})),
        409,
        "general.conflict",
        "",
    );
    refused(
        &post(&emu, &tok, L, json!({"name": "X", "colour": 1})),
        400,
        "bad.request",
        "colour",
    );
    // Read-only fields of the Language schema are accepted and ignored.
    let d = ok(post(
        &emu,
        &tok,
        L,
        json!({"name": "Dutch", "state": "deleted", "version": "9"}),
    ));
    assert_eq!(
        (d["state"].as_str(), d["version"].as_str()),
        (Some("active"), Some("1"))
    );
    assert!(
        emu.dump("skills").as_array().unwrap().is_empty(),
        "not a skill"
    );
    ok(api(&emu, &tok, "DELETE", &format!("{L}/{id}"), None));
    assert_eq!(
        ok(api(&emu, &tok, "GET", &format!("{L}/{id}"), None))["state"],
        "deleted"
    );
    assert_eq!(
        names(&ok(api(&emu, &tok, "GET", &format!("{L}?name=d"), None))),
        ["Dutch"]
    );
    refused(
        &api(&emu, &tok, "GET", &format!("{L}?pageSize=101"), None),
        400,
        "bad.request",
        "pageSize",
    );
    refused(
        &api(&emu, &tok, "GET", &format!("{L}?sortOrder=asc"), None),
        400,
        "bad.request",
        "sortOrder",
    );
}

#[test]
fn skill_lists_lag_and_deletes_linger() {
    let emu = start();
    let tok = token(&emu);
    emu.set_faults(Faults {
        object_list_lag_ms: 300,
        ..Faults::default()
    });
    let s = ok(post(&emu, &tok, S, json!({"name": "Fresh"})));
    let id = s["id"].as_str().unwrap();
    assert!(names(&ok(api(&emu, &tok, "GET", S, None))).is_empty());
    assert_eq!(
        names(&ok(api(&emu, &tok, "GET", &format!("{S}?id={id}"), None))),
        ["Fresh"]
    );
    std::thread::sleep(Duration::from_millis(350));
    ok(api(&emu, &tok, "DELETE", &format!("{S}/{id}"), None));
    assert_eq!(
        names(&ok(api(&emu, &tok, "GET", S, None))),
        ["Fresh"],
        "a deleted skill lingers"
    );
    assert_eq!(
        ok(api(&emu, &tok, "GET", &format!("{S}/{id}"), None))["state"],
        "deleted"
    );
    std::thread::sleep(Duration::from_millis(350));
    assert!(names(&ok(api(&emu, &tok, "GET", S, None))).is_empty());
}

#[test]
fn skill_and_language_permissions() {
    let emu = start_granting(&["routing:skill:view"]);
    let tok = token(&emu);
    ok(api(&emu, &tok, "GET", S, None));
    let r = post(&emu, &tok, S, json!({"name": "A"}));
    refused(
        &r,
        403,
        "missing.any.permissions",
        "[routing:skill:manage, routing:skill:create]",
    );
    let id = emu.seed("skills", json!({"name": "A"}));
    let r = api(&emu, &tok, "DELETE", &format!("{S}/{id}"), None);
    refused(
        &r,
        403,
        "missing.any.permissions",
        "[routing:skill:manage, routing:skill:delete]",
    );
    let r = post(&emu, &tok, L, json!({"name": "A"}));
    refused(&r, 403, "missing.any.permissions", "[routing:skill:manage]");
    ok(api(&emu, &tok, "GET", L, None));
    emu.set_granted_permissions(Some(vec![]));
    refused(
        &api(&emu, &tok, "GET", S, None),
        403,
        "missing.any.permissions",
        "[routing:skill:view]",
    );
}
