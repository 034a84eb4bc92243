mod common;
use common::*;
use gc_emulator::Faults;
use serde_json::json;
use std::time::Duration;

const Q: &str = "/api/v2/routing/queues";

#[test]
fn create_get_update_delete_and_duplicate_names() {
    let emu = start();
    let tok = token(&emu);
    let body = json!({"name": "Sales", "description": "first", "skillEvaluationMethod": "BEST"});
    let q = ok(post(&emu, &tok, Q, body));
    let id = q["id"].as_str().unwrap().to_string();
    assert_eq!(q["name"], "Sales");
    assert_eq!(q["description"], "first");
    assert_eq!(q["division"]["id"], emu.config().home_division_id);
    assert_eq!(q["memberCount"], 0);
    assert_eq!(ok(api(&emu, &tok, "GET", &format!("{Q}/{id}"), None)), q);
    // Names are unique, case-insensitively: 400 duplicate.name on create and on update.
    let r = post(&emu, &tok, Q, json!({"name": "sales"}));
    refused(&r, 400, "duplicate.name", "already exists");
    let other = ok(post(&emu, &tok, Q, json!({"name": "Support"})));
    let r = put(
        &emu,
        &tok,
        &format!("{Q}/{}", other["id"].as_str().unwrap()),
        json!({"name": "SALES"}),
    );
    refused(&r, 400, "duplicate.name", "already exists");
    // PUT replaces the whole object: the description not sent is gone.
    let whole = json!({"name": "Sales West"});
    let u = ok(put(&emu, &tok, &format!("{Q}/{id}"), whole));
    assert_eq!(u["name"], "Sales West");
    assert!(u.get("description").is_none(), "{u}");
    assert_eq!(u["dateCreated"], q["dateCreated"]);
    // Delete: 200 without a body, then 404 everywhere; the name is free again.
    let r = api(
        &emu,
        &tok,
        "DELETE",
        &format!("{Q}/{id}?forceDelete=true"),
        None,
    );
    assert_eq!((r.status, r.body.as_str()), (200, ""));
    let r = api(&emu, &tok, "GET", &format!("{Q}/{id}"), None);
    refused(&r, 404, "resource.not.found", "");
    let r = api(&emu, &tok, "DELETE", &format!("{Q}/{id}"), None);
    refused(&r, 404, "resource.not.found", "");
    let r = put(&emu, &tok, &format!("{Q}/{id}"), json!({"name": "X"}));
    refused(&r, 404, "resource.not.found", "");
    ok(post(&emu, &tok, Q, json!({"name": "Sales West"})));
    assert_eq!(emu.call_count("POST", Q), 4);
    assert_eq!(emu.call_count("PUT", "/api/v2/routing/queues/{queueId}"), 3);
    assert_eq!(
        emu.call_count("DELETE", "/api/v2/routing/queues/{queueId}"),
        2
    );
}

#[test]
fn schema_and_field_checks() {
    let emu = start();
    let tok = token(&emu);
    let r = post(&emu, &tok, Q, json!({"name": "A", "colour": "red"}));
    refused(&r, 400, "bad.request", "colour");
    let r = post(&emu, &tok, Q, json!({"description": "no name"}));
    refused(&r, 400, "bad.request", "name");
    let r = post(&emu, &tok, Q, json!({"name": "  "}));
    refused(&r, 400, "required.field.missing", "name");
    let r = post(
        &emu,
        &tok,
        Q,
        json!({"name": "A", "skillEvaluationMethod": "SOME"}),
    );
    refused(&r, 400, "bad.request", "skillEvaluationMethod");
    let r = post(
        &emu,
        &tok,
        Q,
        json!({"name": "A", "division": {"id": "elsewhere"}}),
    );
    refused(&r, 400, "bad.request", "division");
    // Read-only counters sent by a client are ignored, not stored.
    let q = ok(post(&emu, &tok, Q, json!({"name": "A", "memberCount": 7})));
    assert_eq!(q["memberCount"], 0);
    let r = api(&emu, &tok, "GET", &format!("{Q}?pageSize=abc"), None);
    refused(&r, 400, "bad.request", "pageSize");
    let r = api(&emu, &tok, "GET", &format!("{Q}?sortOrder=ascending"), None);
    refused(&r, 400, "bad.request", "sortOrder");
}

#[test]
fn list_pages_to_the_end_and_the_name_filter_is_not_exact() {
    let emu = start();
    let tok = token(&emu);
    for n in [
        "Sales",
        "Sales EMEA",
        "sales-2",
        "Support",
        "Billing",
        "Accounts",
        "Retention",
    ] {
        emu.seed("queues", json!({"name": n}));
    }
    let mut seen = Vec::new();
    for page in 1..=3 {
        let v = ok(api(
            &emu,
            &tok,
            "GET",
            &format!("{Q}?pageSize=3&pageNumber={page}"),
            None,
        ));
        assert_eq!(
            (v["total"].as_u64(), v["pageCount"].as_u64()),
            (Some(7), Some(3))
        );
        assert_eq!(v.get("nextUri").is_some(), page < 3, "{v}");
        seen.extend(names(&v));
    }
    assert_eq!(seen.len(), 7);
    assert_eq!(seen[0], "Accounts");
    let v = ok(api(
        &emu,
        &tok,
        "GET",
        &format!("{Q}?pageSize=3&pageNumber=4"),
        None,
    ));
    assert!(names(&v).is_empty());
    // `name=Sales` is a prefix match, whatever the case: the client must compare itself.
    let v = ok(api(&emu, &tok, "GET", &format!("{Q}?name=Sales"), None));
    assert_eq!(names(&v), ["Sales", "Sales EMEA", "sales-2"]);
    let v = ok(api(&emu, &tok, "GET", &format!("{Q}?name=*EMEA"), None));
    assert_eq!(names(&v), ["Sales EMEA"]);
    let v = ok(api(
        &emu,
        &tok,
        "GET",
        &format!("{Q}?sortOrder=desc&pageSize=1"),
        None,
    ));
    assert_eq!(names(&v), ["Support"]);
    ok(api(&emu, &tok, "GET", &format!("{Q}?pageSize=500"), None));
    let r = api(&emu, &tok, "GET", &format!("{Q}?pageSize=501"), None);
    refused(&r, 400, "bad.request", "pageSize");
    // The light digest: every queue, up to 500 a page, only id, name and division.
    let all = format!("{Q}/divisionviews/all");
    let v = ok(api(&emu, &tok, "GET", &format!("{all}?pageSize=500"), None));
    assert_eq!(v["total"], 7);
    let e = &v["entities"][0];
    assert!(e["id"].is_string() && e["division"]["id"].is_string());
    assert!(e.get("memberCount").is_none(), "{e}");
    refused(
        &api(&emu, &tok, "GET", &format!("{all}?pageSize=501"), None),
        400,
        "bad.request",
        "pageSize",
    );
    assert_eq!(
        emu.call_count("GET", "/api/v2/routing/queues/divisionviews/all"),
        2
    );
}

#[test]
fn lists_lag_behind_writes_but_get_by_id_is_current() {
    let emu = start();
    let tok = token(&emu);
    emu.set_faults(Faults {
        object_list_lag_ms: 400,
        ..Faults::default()
    });
    let old = emu.seed("queues", json!({"name": "Old"}));
    assert!(names(&ok(api(&emu, &tok, "GET", Q, None))).is_empty());
    std::thread::sleep(Duration::from_millis(450));
    let new = ok(post(&emu, &tok, Q, json!({"name": "New"})));
    let new_id = new["id"].as_str().unwrap();
    ok(api(&emu, &tok, "DELETE", &format!("{Q}/{old}"), None));
    // The list still shows the deleted queue and not the new one; GET and id= are current.
    let v = ok(api(&emu, &tok, "GET", Q, None));
    assert_eq!(names(&v), ["Old"]);
    let v = ok(api(
        &emu,
        &tok,
        "GET",
        &format!("{Q}/divisionviews/all"),
        None,
    ));
    assert_eq!(names(&v), ["Old"]);
    ok(api(&emu, &tok, "GET", &format!("{Q}/{new_id}"), None));
    let v = ok(api(
        &emu,
        &tok,
        "GET",
        &format!("{Q}?id={new_id}&id={old}"),
        None,
    ));
    assert_eq!(names(&v), ["New"]);
    std::thread::sleep(Duration::from_millis(450));
    let v = ok(api(&emu, &tok, "GET", Q, None));
    assert_eq!(names(&v), ["New"]);
    // A rename shows late too.
    ok(put(
        &emu,
        &tok,
        &format!("{Q}/{new_id}"),
        json!({"name": "Renamed"}),
    ));
    assert_eq!(names(&ok(api(&emu, &tok, "GET", Q, None))), ["New"]);
    std::thread::sleep(Duration::from_millis(450));
    assert_eq!(names(&ok(api(&emu, &tok, "GET", Q, None))), ["Renamed"]);
}

#[test]
fn permissions_are_named() {
    let emu = start_granting(&["routing:queue:view"]);
    let tok = token(&emu);
    ok(api(&emu, &tok, "GET", Q, None));
    let r = post(&emu, &tok, Q, json!({"name": "A"}));
    refused(&r, 403, "missing.any.permissions", "[routing:queue:add]");
    let id = emu.seed("queues", json!({"name": "A"}));
    let r = api(&emu, &tok, "DELETE", &format!("{Q}/{id}"), None);
    refused(&r, 403, "missing.permissions", "[routing:queue:delete]");
    let r = api(&emu, &tok, "GET", &format!("{Q}/divisionviews/all"), None);
    refused(&r, 403, "missing.permissions", "[routing:queue:search]");
    assert_eq!(emu.dump("queues").as_array().unwrap().len(), 1);
}
