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
    let r = api(&emu, &tok, "POST", U, Some(body));
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
    let r = api(
        &emu,
        &tok,
        "POST",
        U,
        Some(json!({"name": "X", "email": "ann@example.com"})),
    );
    assert_eq!((r.status, r.code().as_str()), (409, "general.conflict"));
    // The primary email cannot be given as an address.
    let bad = json!({"name": "B", "email": "b@example.com",
        "addresses": [{"address": "b@example.com", "mediaType": "EMAIL", "type": "PRIMARY"}]});
    assert_eq!(api(&emu, &tok, "POST", U, Some(bad)).status, 400);
}

#[test]
fn list_paging_ids_and_states() {
    let emu = start();
    let tok = token(&emu);
    for i in 0..7 {
        emu.seed_user(&format!("User {i}"), &format!("u{i}@example.com"), "active");
    }
    let inactive = emu.seed_user("Zed", "zed@example.com", "inactive");
    let gone = emu.seed_user("Gone", "gone@example.com", "deleted");
    let r = api(
        &emu,
        &tok,
        "GET",
        &format!("{U}?pageSize=3&pageNumber=2&sortOrder=ascending"),
        None,
    );
    let v = r.json();
    assert_eq!(
        (v["total"].as_i64(), v["pageCount"].as_i64()),
        (Some(7), Some(3))
    );
    assert_eq!(v["entities"].as_array().unwrap().len(), 3);
    assert_eq!(v["entities"][0]["name"], "User 3");
    assert!(v["nextUri"].is_string() && v["previousUri"].is_string());
    let v = api(
        &emu,
        &tok,
        "GET",
        &format!("{U}?state=any&pageSize=100"),
        None,
    )
    .json();
    assert_eq!(v["total"], 9);
    let v = api(&emu, &tok, "GET", &format!("{U}?state=inactive"), None).json();
    assert_eq!(v["entities"][0]["id"], inactive.as_str());
    let q = format!("{U}?id={inactive}&id={gone}&state=any");
    assert_eq!(api(&emu, &tok, "GET", &q, None).json()["total"], 2);
    let many: String = (0..101).map(|i| format!("id=x{i}&")).collect();
    let r = api(&emu, &tok, "GET", &format!("{U}?{many}"), None);
    assert_eq!((r.status, r.code().as_str()), (400, "max.user.ids"));
    let r = api(&emu, &tok, "GET", &format!("{U}?state=gone"), None);
    assert_eq!(r.status, 400);
    // GET by id: inactive visible by default, deleted only with state=deleted.
    assert_eq!(
        api(&emu, &tok, "GET", &format!("{U}/{inactive}"), None).status,
        200
    );
    assert_eq!(
        api(&emu, &tok, "GET", &format!("{U}/{gone}"), None).status,
        404
    );
    assert_eq!(
        api(
            &emu,
            &tok,
            "GET",
            &format!("{U}/{gone}?state=deleted"),
            None
        )
        .status,
        200
    );
}

#[test]
fn search_by_email_and_state() {
    let emu = start();
    let tok = token(&emu);
    emu.seed_user("Ann", "ann@example.com", "active");
    let gone = emu.seed_user("Old", "old@example.com", "deleted");
    let s = "/api/v2/users/search";
    let by_email = |e: &str| json!({"query": [{"type": "EXACT", "fields": ["email"], "value": e}]});
    let v = api(&emu, &tok, "POST", s, Some(by_email("ANN@example.com"))).json();
    assert_eq!(v["total"], 1);
    assert_eq!(v["types"], json!(["users"]));
    assert_eq!(v["results"][0]["email"], "ann@example.com");
    // Deleted users are hidden unless a state criterion asks for them.
    assert_eq!(
        api(&emu, &tok, "POST", s, Some(by_email("old@example.com"))).json()["total"],
        0
    );
    let q = json!({"query": [{"type": "EXACT", "fields": ["email"], "value": "old@example.com"},
                             {"type": "EXACT", "fields": ["state"], "value": "deleted"}]});
    let v = api(&emu, &tok, "POST", s, Some(q)).json();
    assert_eq!(v["results"][0]["id"], gone.as_str());
    let q = json!({"query": [{"type": "CONTAINS", "fields": ["email"], "value": "ann"}]});
    assert_eq!(api(&emu, &tok, "POST", s, Some(q)).status, 400);
}

#[test]
fn patch_versions_and_fields() {
    let emu = start();
    let tok = token(&emu);
    let id = emu.seed_user("Ann", "ann@example.com", "active");
    let p = format!("{U}/{id}");
    let r = api(
        &emu,
        &tok,
        "PATCH",
        &p,
        Some(json!({"version": 1, "name": "Ann B", "title": "Agent",
        "addresses": [{"address": "+3227001234", "mediaType": "PHONE", "type": "MOBILE"}]})),
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
    let r = api(
        &emu,
        &tok,
        "PATCH",
        &p,
        Some(json!({"version": 1, "name": "X"})),
    );
    assert_eq!((r.status, r.code().as_str()), (409, "general.conflict"));
    emu.bump_user_version(&id);
    let r = api(
        &emu,
        &tok,
        "PATCH",
        &p,
        Some(json!({"version": 2, "name": "X"})),
    );
    assert_eq!(r.status, 409);
    // Addresses replace all; EMAIL/PRIMARY entries are rejected.
    let r = api(
        &emu,
        &tok,
        "PATCH",
        &p,
        Some(json!({"version": 3, "addresses": []})),
    );
    assert_eq!(r.json()["addresses"], json!([]));
    let bad = json!({"version": 4, "addresses": [{"address": "a@b.c", "mediaType": "EMAIL", "type": "WORK"}]});
    assert_eq!(api(&emu, &tok, "PATCH", &p, Some(bad)).status, 400);
    // State in a PATCH is the only change applied.
    let r = api(
        &emu,
        &tok,
        "PATCH",
        &p,
        Some(json!({"version": 4, "state": "inactive", "name": "Ignored"})),
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
    let r = api(
        &emu,
        &tok,
        "PATCH",
        &p,
        Some(json!({"version": 5, "email": "BOB@example.com"})),
    );
    assert_eq!(r.status, 409);
}

#[test]
fn soft_delete_conflict_and_restore() {
    let emu = start();
    let tok = token(&emu);
    let r = api(
        &emu,
        &tok,
        "POST",
        U,
        Some(json!({"name": "Ann", "email": "ann@example.com"})),
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
    let r = api(
        &emu,
        &tok,
        "POST",
        U,
        Some(json!({"name": "Ann", "email": "ANN@example.com"})),
    );
    assert_eq!((r.status, r.code().as_str()), (409, "general.conflict"));
    // A non-state PATCH on a deleted user is refused; a state PATCH restores it.
    assert_eq!(
        api(
            &emu,
            &tok,
            "PATCH",
            &p,
            Some(json!({"version": 2, "name": "x"}))
        )
        .status,
        404
    );
    let r = api(
        &emu,
        &tok,
        "PATCH",
        &p,
        Some(json!({"version": 2, "state": "active"})),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["state"], "active");
    assert_eq!(emu.users().len(), 1);
    assert_eq!(emu.call_count("PATCH", "/api/v2/users/{userId}"), 2);
    assert_eq!(emu.call_count("post", U), 2);
}
