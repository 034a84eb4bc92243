mod common;
use common::*;
use gc_emulator::{Faults, InUse, InUsePolicy};
use serde_json::json;
use std::time::Duration;

const W: &str = "/api/v2/routing/wrapupcodes";

#[test]
fn create_get_rename_delete_and_duplicate_names() {
    let emu = start();
    let tok = token(&emu);
    let c = ok(post(
        &emu,
        &tok,
        W,
        json!({"name": "Sale made", "description": "yes"}),
    ));
    let id = c["id"].as_str().unwrap().to_string();
    assert_eq!(
        (c["division"]["id"].as_str(), c["description"].as_str()),
        (Some("*"), Some("yes"))
    );
    assert_eq!(ok(api(&emu, &tok, "GET", &format!("{W}/{id}"), None)), c);
    refused(
        &post(&emu, &tok, W, json!({"name": "SALE MADE"})),
        400,
        "duplicate.name",
        "already exists",
    );
    let other = ok(post(&emu, &tok, W, json!({"name": "No sale"})));
    let other_path = format!("{W}/{}", other["id"].as_str().unwrap());
    refused(
        &put(&emu, &tok, &other_path, json!({"name": "sale made"})),
        400,
        "duplicate.name",
        "",
    );
    // Rename is allowed here (last writer wins), the description not sent is gone.
    let u = ok(put(
        &emu,
        &tok,
        &format!("{W}/{id}"),
        json!({"name": "Sale closed"}),
    ));
    assert_eq!(u["name"], "Sale closed");
    assert!(u.get("description").is_none());
    let r = api(&emu, &tok, "DELETE", &format!("{W}/{id}"), None);
    assert_eq!((r.status, r.body.as_str()), (200, ""));
    refused(
        &api(&emu, &tok, "GET", &format!("{W}/{id}"), None),
        404,
        "resource.not.found",
        "",
    );
    refused(
        &api(&emu, &tok, "DELETE", &format!("{W}/{id}"), None),
        404,
        "resource.not.found",
        "",
    );
    refused(
        &put(&emu, &tok, &format!("{W}/{id}"), json!({"name": "Z"})),
        404,
        "resource.not.found",
        "",
    );
    // Schema strictness and the division.
    refused(
        &post(&emu, &tok, W, json!({"name": "A", "category": "x"})),
        400,
        "bad.request",
        "category",
    );
    refused(
        &post(&emu, &tok, W, json!({"description": "A"})),
        400,
        "bad.request",
        "name",
    );
    let body = json!({"name": "A", "division": {"id": "elsewhere"}});
    refused(&post(&emu, &tok, W, body), 400, "bad.request", "division");
    let home = emu.config().home_division_id.clone();
    let a = ok(post(
        &emu,
        &tok,
        W,
        json!({"name": "A", "division": {"id": home}}),
    ));
    assert_eq!(a["division"]["id"], home.as_str());
}

#[test]
fn list_pages_filters_and_lags() {
    let emu = start();
    let tok = token(&emu);
    for i in 0..12 {
        emu.seed("wrapupcodes", json!({"name": format!("Code {i:02}")}));
    }
    emu.seed("wrapupcodes", json!({"name": "code-x"}));
    let v = ok(api(
        &emu,
        &tok,
        "GET",
        &format!("{W}?pageSize=5&pageNumber=3"),
        None,
    ));
    assert_eq!(
        (v["total"].as_u64(), v["pageCount"].as_u64()),
        (Some(13), Some(3))
    );
    assert_eq!(names(&v), ["Code 10", "Code 11", "code-x"]);
    assert!(v.get("nextUri").is_none() && v["previousUri"].is_string());
    let v = ok(api(&emu, &tok, "GET", &format!("{W}?name=code"), None));
    assert_eq!(v["total"], 13, "prefix and case-insensitive");
    let v = ok(api(&emu, &tok, "GET", &format!("{W}?name=Code%2001"), None));
    assert_eq!(names(&v), ["Code 01"]);
    let v = ok(api(
        &emu,
        &tok,
        "GET",
        &format!("{W}?sortOrder=descending&pageSize=1"),
        None,
    ));
    assert_eq!(names(&v), ["code-x"]);
    ok(api(&emu, &tok, "GET", &format!("{W}?pageSize=100"), None));
    refused(
        &api(&emu, &tok, "GET", &format!("{W}?pageSize=101"), None),
        400,
        "bad.request",
        "pageSize",
    );
    refused(
        &api(&emu, &tok, "GET", &format!("{W}?sortBy=date"), None),
        400,
        "bad.request",
        "sortBy",
    );
    // Lag: a new code is missing from the list for a while, GET has it at once.
    emu.set_faults(Faults {
        object_list_lag_ms: 300,
        ..Faults::default()
    });
    let c = ok(post(&emu, &tok, W, json!({"name": "Late"})));
    assert!(names(&ok(api(&emu, &tok, "GET", &format!("{W}?name=Late"), None))).is_empty());
    ok(api(
        &emu,
        &tok,
        "GET",
        &format!("{W}/{}", c["id"].as_str().unwrap()),
        None,
    ));
    std::thread::sleep(Duration::from_millis(350));
    assert_eq!(
        names(&ok(api(&emu, &tok, "GET", &format!("{W}?name=Late"), None))),
        ["Late"]
    );
}

#[test]
fn deleting_a_code_on_a_queue_follows_the_policy() {
    let emu = start();
    let tok = token(&emu);
    let codes: Vec<String> = (0..3)
        .map(|i| emu.seed("wrapupcodes", json!({"name": format!("C{i}")})))
        .collect();
    let q = emu.seed("queues", json!({"name": "Q", "wrapupCodes": codes}));
    // Default refuse: 409 naming the queue, nothing deleted.
    let r = api(&emu, &tok, "DELETE", &format!("{W}/{}", codes[0]), None);
    refused(&r, 409, "general.conflict", &q);
    ok(api(&emu, &tok, "GET", &format!("{W}/{}", codes[0]), None));
    emu.set_in_use_policy(InUsePolicy {
        wrapup_codes: InUse::Cascade,
        ..InUsePolicy::default()
    });
    ok(api(
        &emu,
        &tok,
        "DELETE",
        &format!("{W}/{}", codes[0]),
        None,
    ));
    assert_eq!(
        emu.dump("queues")[0]["wrapupCodes"],
        json!([codes[1], codes[2]])
    );
    emu.set_in_use_policy(InUsePolicy {
        wrapup_codes: InUse::Keep,
        ..InUsePolicy::default()
    });
    ok(api(
        &emu,
        &tok,
        "DELETE",
        &format!("{W}/{}", codes[1]),
        None,
    ));
    assert_eq!(
        emu.dump("queues")[0]["wrapupCodes"],
        json!([codes[1], codes[2]])
    );
    let v = ok(api(
        &emu,
        &tok,
        "GET",
        &format!("/api/v2/routing/queues/{q}/wrapupcodes"),
        None,
    ));
    assert_eq!(names(&v), ["C2"], "a deleted code is not listed");
}

#[test]
fn wrapup_permissions() {
    let emu = start_granting(&["routing:wrapupCode:view"]);
    let tok = token(&emu);
    ok(api(&emu, &tok, "GET", W, None));
    refused(
        &post(&emu, &tok, W, json!({"name": "A"})),
        403,
        "missing.permissions",
        "[routing:wrapupCode:add]",
    );
    let id = emu.seed("wrapupcodes", json!({"name": "A"}));
    let path = format!("{W}/{id}");
    refused(
        &put(&emu, &tok, &path, json!({"name": "B"})),
        403,
        "missing.permissions",
        "[routing:wrapupCode:edit]",
    );
    refused(
        &api(&emu, &tok, "DELETE", &path, None),
        403,
        "missing.permissions",
        "[routing:wrapupCode:delete]",
    );
    assert_eq!(
        emu.call_count("DELETE", "/api/v2/routing/wrapupcodes/{codeId}"),
        1
    );
}
