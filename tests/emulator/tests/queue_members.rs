mod common;
use common::*;
use serde_json::{json, Value};

const MEMBERS: &str = "/api/v2/routing/queues/{queueId}/members";

fn ids_body(ids: &[String]) -> Value {
    Value::Array(ids.iter().map(|i| json!({"id": i})).collect())
}

fn members_path(q: &str) -> String {
    format!("/api/v2/routing/queues/{q}/members")
}

/// Every member id, read page by page (100 a page) until a short page.
fn all_members(emu: &gc_emulator::Emulator, tok: &str, q: &str) -> Vec<String> {
    let mut out = Vec::new();
    for page in 1.. {
        let path = format!("{}?pageSize=100&pageNumber={page}", members_path(q));
        let v = ok(api(emu, tok, "GET", &path, None));
        let e = v["entities"].as_array().unwrap();
        out.extend(e.iter().map(|m| m["id"].as_str().unwrap().to_string()));
        if e.len() < 100 {
            break;
        }
    }
    out
}

/// The queue's `memberCount` and `userMemberCount`, as `GET` the queue gives them.
fn member_counts(emu: &gc_emulator::Emulator, tok: &str, q: &str) -> (u64, u64) {
    let queue = ok(api(
        emu,
        tok,
        "GET",
        &format!("/api/v2/routing/queues/{q}"),
        None,
    ));
    let count = |field: &str| {
        queue[field]
            .as_u64()
            .unwrap_or_else(|| panic!("{field} missing: {queue}"))
    };
    (count("memberCount"), count("userMemberCount"))
}

#[test]
fn add_and_remove_at_most_100_a_call_and_page_without_totals() {
    let emu = start();
    let tok = token(&emu);
    let users = seed_users(&emu, 250);
    let q = emu.seed("queues", json!({"name": "Big"}));
    let path = members_path(&q);
    // 101 in one call: 400, nothing added.
    let r = post(&emu, &tok, &path, ids_body(&users[..101]));
    refused(&r, 400, "bad.request", "at most 100");
    assert_eq!(emu.dump("queues")[0]["members"], json!([]));
    for chunk in users.chunks(100) {
        let r = post(&emu, &tok, &path, ids_body(chunk));
        assert_eq!((r.status, r.body.as_str()), (200, ""));
    }
    assert_eq!(emu.call_count("POST", MEMBERS), 4);
    // Pages of 100, 100, 50: no total or pageCount, nextUri only while the page is full.
    let p1 = ok(api(
        &emu,
        &tok,
        "GET",
        &format!("{path}?pageSize=100"),
        None,
    ));
    assert!(
        p1.get("total").is_none() && p1.get("pageCount").is_none(),
        "{p1}"
    );
    assert!(p1["nextUri"].is_string());
    assert_eq!(p1["entities"][0]["name"], "User 000");
    assert_eq!(p1["entities"][0]["memberBy"], "user");
    assert_eq!(p1["entities"][0]["user"]["id"], users[0].as_str());
    let p3 = ok(api(
        &emu,
        &tok,
        "GET",
        &format!("{path}?pageSize=100&pageNumber=3"),
        None,
    ));
    assert_eq!(p3["entities"].as_array().unwrap().len(), 50);
    assert!(p3.get("nextUri").is_none());
    let p4 = ok(api(
        &emu,
        &tok,
        "GET",
        &format!("{path}?pageSize=100&pageNumber=4"),
        None,
    ));
    assert_eq!(p4["entities"], json!([]));
    let r = api(&emu, &tok, "GET", &format!("{path}?pageSize=101"), None);
    refused(&r, 400, "bad.request", "pageSize");
    assert_eq!(all_members(&emu, &tok, &q).len(), 250);
    // Re-adding is harmless; removing a non-member too; remove 100 with delete=true.
    ok(post(&emu, &tok, &path, ids_body(&users[..2])));
    let r = post(
        &emu,
        &tok,
        &format!("{path}?delete=true"),
        ids_body(&users[..100]),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    ok(post(
        &emu,
        &tok,
        &format!("{path}?delete=true"),
        ids_body(&users[..1]),
    ));
    let left = all_members(&emu, &tok, &q);
    assert_eq!(left.len(), 150);
    assert!(!left.contains(&users[0]) && left.contains(&users[100]));
    assert_eq!(member_counts(&emu, &tok, &q), (150, 150));
}

#[test]
fn users_must_exist_and_bodies_are_strict() {
    let emu = start();
    let tok = token(&emu);
    let users = seed_users(&emu, 2);
    let gone = emu.seed_user("Gone", "gone@example.com", "deleted");
    let q = emu.seed("queues", json!({"name": "Q"}));
    let path = members_path(&q);
    let body = json!([{"id": users[0]}, {"id": "no-such-user"}]);
    refused(
        &post(&emu, &tok, &path, body),
        400,
        "bad.request",
        "no-such-user",
    );
    let body = json!([{"id": users[0]}, {"id": gone}]);
    refused(&post(&emu, &tok, &path, body), 400, "bad.request", &gone);
    assert_eq!(
        emu.dump("queues")[0]["members"],
        json!([]),
        "nothing applied"
    );
    refused(
        &post(&emu, &tok, &path, json!([])),
        400,
        "bad.request",
        "at least one",
    );
    let r = post(&emu, &tok, &path, json!([{"id": users[0], "joined": true}]));
    refused(&r, 400, "bad.request", "joined");
    let r = api(&emu, &tok, "GET", &format!("{path}?skills=x"), None);
    refused(&r, 400, "bad.request", "not supported");
    let r = post(&emu, &tok, &members_path("nope"), ids_body(&users));
    refused(&r, 404, "resource.not.found", "");
    // Deleting a user drops their memberships (a restored user gets none back).
    ok(post(&emu, &tok, &path, ids_body(&users)));
    ok(api(
        &emu,
        &tok,
        "DELETE",
        &format!("/api/v2/users/{}", users[1]),
        None,
    ));
    assert_eq!(all_members(&emu, &tok, &q), [users[0].clone()]);
}

#[test]
fn group_members_are_reported_and_cannot_be_changed_directly() {
    let emu = start();
    let tok = token(&emu);
    let users = seed_users(&emu, 3);
    let q = emu.seed(
        "queues",
        json!({"name": "Q", "members": [users[0]], "groupMembers": [users[1]]}),
    );
    let path = members_path(&q);
    let v = ok(api(&emu, &tok, "GET", &path, None));
    let by: Vec<&str> = v["entities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["memberBy"].as_str().unwrap())
        .collect();
    assert_eq!(by, ["user", "group"]);
    let v = ok(api(
        &emu,
        &tok,
        "GET",
        &format!("{path}?memberBy=user"),
        None,
    ));
    assert_eq!(names(&v), ["User 000"]);
    let r = post(
        &emu,
        &tok,
        &format!("{path}?delete=true"),
        ids_body(&users[1..2]),
    );
    refused(&r, 400, "bad.request", "through a group");
    let r = post(&emu, &tok, &path, ids_body(&users[1..3]));
    refused(&r, 400, "bad.request", "through a group");
    assert_eq!(
        emu.dump("queues")[0]["members"].as_array().unwrap().len(),
        2
    );
    assert_eq!(member_counts(&emu, &tok, &q), (2, 1));
}

#[test]
fn member_permissions() {
    let emu = start_granting(&["routing:queue:view"]);
    let tok = token(&emu);
    let users = seed_users(&emu, 1);
    let q = emu.seed("queues", json!({"name": "Q"}));
    ok(api(&emu, &tok, "GET", &members_path(&q), None));
    let r = post(&emu, &tok, &members_path(&q), ids_body(&users));
    refused(
        &r,
        403,
        "missing.any.permissions",
        "[routing:queue:edit, routing:queueMember:manage]",
    );
    emu.set_granted_permissions(Some(vec!["routing:queueMember:manage".into()]));
    ok(post(&emu, &tok, &members_path(&q), ids_body(&users)));
}

#[test]
fn queue_wrapup_codes_add_up_to_100_and_remove_one_by_one() {
    let emu = start();
    let tok = token(&emu);
    let q = emu.seed("queues", json!({"name": "Q"}));
    let codes: Vec<String> = (0..101)
        .map(|i| emu.seed("wrapupcodes", json!({"name": format!("Code {i:03}")})))
        .collect();
    let path = format!("/api/v2/routing/queues/{q}/wrapupcodes");
    refused(
        &post(&emu, &tok, &path, ids_body(&codes)),
        400,
        "bad.request",
        "at most 100",
    );
    let added = ok(post(&emu, &tok, &path, ids_body(&codes[..100])));
    assert_eq!(added.as_array().unwrap().len(), 100);
    assert_eq!(added[0]["name"], "Code 000");
    let body = json!([{"id": codes[100]}, {"id": "nope"}]);
    refused(&post(&emu, &tok, &path, body), 400, "bad.request", "nope");
    let v = ok(api(
        &emu,
        &tok,
        "GET",
        &format!("{path}?pageSize=100&pageNumber=1"),
        None,
    ));
    assert_eq!(
        (v["total"].as_u64(), v["entities"].as_array().unwrap().len()),
        (Some(100), 100)
    );
    let v = ok(api(
        &emu,
        &tok,
        "GET",
        &format!("{path}?name=Code%2009*"),
        None,
    ));
    assert_eq!(v["total"], 10);
    refused(
        &api(&emu, &tok, "GET", &format!("{path}?pageSize=101"), None),
        400,
        "bad.request",
        "pageSize",
    );
    let one = format!("{path}/{}", codes[0]);
    let r = api(&emu, &tok, "DELETE", &one, None);
    assert_eq!((r.status, r.body.as_str()), (200, ""));
    refused(
        &api(&emu, &tok, "DELETE", &one, None),
        404,
        "resource.not.found",
        "",
    );
    assert_eq!(
        emu.dump("queues")[0]["wrapupCodes"]
            .as_array()
            .unwrap()
            .len(),
        99
    );
    assert_eq!(
        emu.call_count(
            "DELETE",
            "/api/v2/routing/queues/{queueId}/wrapupcodes/{codeId}"
        ),
        2
    );
    let emu = start_granting(&["routing:queue:view"]);
    let tok = token(&emu);
    let q = emu.seed("queues", json!({"name": "Q"}));
    let r = post(
        &emu,
        &tok,
        &format!("/api/v2/routing/queues/{q}/wrapupcodes"),
        json!([{"id": "x"}]),
    );
    refused(&r, 403, "missing.permissions", "[routing:queue:edit]");
}

#[test]
fn faults_and_the_request_log_cover_the_new_routes() {
    let emu = start();
    let tok = token(&emu);
    let users = seed_users(&emu, 3);
    let q = emu.seed("queues", json!({"name": "Q"}));
    // The answer to a member add is lost after the commit: the retry finds the work done.
    emu.inject(gc_emulator::InjectedFault {
        drop_connection: true,
        after_commit: true,
        ..gc_emulator::InjectedFault::new("POST", MEMBERS, 0)
    });
    let auth = format!("Bearer {tok}");
    let body = ids_body(&users).to_string();
    let r = request(
        &emu.base_url(),
        "POST",
        &members_path(&q),
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/json"),
        ],
        Some(body.as_bytes()),
    );
    assert!(r.is_err(), "the connection closes without an answer");
    assert_eq!(all_members(&emu, &tok, &q).len(), 3);
    ok(post(&emu, &tok, &members_path(&q), ids_body(&users)));
    assert_eq!(
        all_members(&emu, &tok, &q).len(),
        3,
        "re-adding is harmless"
    );
    let log = emu.requests();
    let first = log.iter().find(|r| r.route == MEMBERS).unwrap();
    assert_eq!((first.status, first.handled_status), (0, Some(200)));
    assert_eq!(first.path, members_path(&q));
    assert_eq!(emu.call_count("POST", MEMBERS), 2);
    assert_eq!(emu.call_count("GET", MEMBERS), 2);
    // A scripted 503 on a skill PATCH is answered without handling it.
    let skill = emu.seed("skills", json!({"name": "S"}));
    let route = "/api/v2/users/{userId}/routingskills/bulk";
    emu.inject(gc_emulator::InjectedFault::new("PATCH", route, 503));
    let path = format!("/api/v2/users/{}/routingskills/bulk", users[0]);
    let body = json!([{"id": skill, "proficiency": 1}]);
    refused(
        &patch(&emu, &tok, &path, body.clone()),
        503,
        "service.unavailable",
        "",
    );
    assert_eq!(emu.dump("assignments"), json!({}));
    ok(patch(&emu, &tok, &path, body));
    assert_eq!(emu.call_count("PATCH", route), 2);
}
