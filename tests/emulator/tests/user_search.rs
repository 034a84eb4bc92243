//! The emulated users API over many users: list paging, reading by ids, search by email and
//! state, and the email uniqueness that search by email relies on.

mod common;
use common::*;
use serde_json::json;

const U: &str = "/api/v2/users";

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
    let v = post(&emu, &tok, s, by_email("ANN@example.com")).json();
    assert_eq!(v["total"], 1);
    assert_eq!(v["types"], json!(["users"]));
    assert_eq!(v["results"][0]["email"], "ann@example.com");
    // Deleted users are hidden unless a state criterion asks for them.
    assert_eq!(
        post(&emu, &tok, s, by_email("old@example.com")).json()["total"],
        0
    );
    let q = json!({"query": [{"type": "EXACT", "fields": ["email"], "value": "old@example.com"},
                             {"type": "EXACT", "fields": ["state"], "value": "deleted"}]});
    let v = post(&emu, &tok, s, q).json();
    assert_eq!(v["results"][0]["id"], gone.as_str());
    let q = json!({"query": [{"type": "CONTAINS", "fields": ["email"], "value": "ann"}]});
    assert_eq!(post(&emu, &tok, s, q).status, 400);
}

#[test]
fn emails_are_unique_and_searched_case_insensitively() {
    let emu = start();
    let tok = token(&emu);
    let id = emu.seed_user("Jane", "Jane.Doe@Example.com", "active");
    emu.seed_user("Other", "other@example.com", "inactive");
    // Stored as given; found whatever the case.
    let s = "/api/v2/users/search";
    let q = json!({"query": [{"type": "EXACT", "fields": ["email"],
        "values": ["nobody@example.com", "jane.doe@EXAMPLE.COM"]}]});
    let v = post(&emu, &tok, s, q).json();
    assert_eq!(v["total"], 1);
    assert_eq!(v["results"][0]["email"], "Jane.Doe@Example.com");
    // Unique whatever the case: create, and PATCH onto another user's email.
    let r = post(
        &emu,
        &tok,
        U,
        json!({"name": "J", "email": "JANE.DOE@example.com"}),
    );
    assert_eq!((r.status, r.code().as_str()), (409, "general.conflict"));
    let p = format!("{U}/{id}");
    let r = patch(
        &emu,
        &tok,
        &p,
        json!({"version": 1, "email": "Other@Example.COM"}),
    );
    assert_eq!(r.status, 409);
    // Changing only the case of one's own email is allowed.
    let r = patch(
        &emu,
        &tok,
        &p,
        json!({"version": 1, "email": "jane.doe@example.com"}),
    );
    assert_eq!(
        (r.status, r.json()["email"].as_str()),
        (200, Some("jane.doe@example.com"))
    );
    // Non-ASCII letters compare case-insensitively too.
    emu.seed_user("Zoë", "ZOË@example.com", "active");
    let r = post(
        &emu,
        &tok,
        U,
        json!({"name": "Z", "email": "zoë@example.com"}),
    );
    assert_eq!(r.status, 409);
}

#[test]
fn list_pages_up_to_500_and_reads_up_to_100_ids() {
    let emu = start();
    let tok = token(&emu);
    let ids: Vec<String> = (0..30)
        .map(|i| emu.seed_user(&format!("U{i:02}"), &format!("u{i}@example.com"), "active"))
        .collect();
    let get = |q: &str| api(&emu, &tok, "GET", &format!("{U}?{q}"), None);
    let v = get("").json();
    assert_eq!(
        (
            v["pageSize"].as_i64(),
            v["total"].as_i64(),
            v["pageCount"].as_i64()
        ),
        (Some(25), Some(30), Some(2))
    );
    assert_eq!(v["entities"].as_array().unwrap().len(), 25);
    let v = get("pageSize=500&pageNumber=1").json();
    assert_eq!(
        (
            v["entities"].as_array().unwrap().len(),
            v["pageCount"].as_i64()
        ),
        (30, Some(1))
    );
    assert!(v.get("nextUri").is_none());
    let v = get("pageSize=500&pageNumber=2").json();
    assert_eq!(v["entities"], json!([]));
    for bad in ["pageSize=501", "pageSize=0", "pageNumber=0", "pageSize=-1"] {
        assert_eq!(get(bad).status, 400, "{bad}");
    }
    // By id: repeated `id` parameters (collectionFormat multi); duplicates count once.
    let q: String = ids[..3].iter().map(|i| format!("id={i}&")).collect();
    let v = get(&format!("{q}id={}", ids[0])).json();
    assert_eq!(v["total"], 3);
    // A comma-separated list is one (unknown) id, not three.
    let v = get(&format!("id={}", ids[..3].join(","))).json();
    assert_eq!(v["total"], 0);
    // 100 ids are fine, 101 are not.
    let hundred: String = (0..100).map(|i| format!("id={}&", ids[i % 30])).collect();
    assert_eq!(get(&hundred).status, 200);
    let r = get(&format!("{hundred}id=extra"));
    assert_eq!((r.status, r.code().as_str()), (400, "max.user.ids"));
    // expand is validated against the documented values (and filled only where emulated).
    assert_eq!(get("expand=skills&expand=languages").status, 200);
    assert_eq!(get("expand=everything").status, 400);
}

#[test]
fn a_taken_email_is_refused_as_configured() {
    let emu = start();
    let tok = token(&emu);
    let id = emu.seed_user("Ann", "ann@example.com", "deleted");
    let create = || {
        post(
            &emu,
            &tok,
            U,
            json!({"name": "Ann", "email": "ANN@example.com"}),
        )
    };
    // Default: 409 general.conflict, the holder not named.
    let r = create();
    assert_eq!((r.status, r.code().as_str()), (409, "general.conflict"));
    assert!(r.json().get("entityId").is_none(), "{}", r.body);
    // The 400 "conflicting users" form, with the holder named.
    emu.set_user_conflict(gc_emulator::UserConflict {
        bad_request: true,
        entity_id: true,
    });
    let r = create();
    assert_eq!((r.status, r.code().as_str()), (400, "bad.request"));
    let b = r.json();
    assert!(
        b["message"]
            .as_str()
            .unwrap()
            .starts_with("Conflicting users:"),
        "{b}"
    );
    assert_eq!(b["entityId"], id.as_str());
    // 409 with the holder named; nothing was created by any of these.
    emu.set_user_conflict(gc_emulator::UserConflict {
        bad_request: false,
        entity_id: true,
    });
    let r = create();
    assert_eq!(
        (r.status, r.json()["entityId"].as_str()),
        (409, Some(id.as_str()))
    );
    assert_eq!(emu.users().len(), 1);
}
