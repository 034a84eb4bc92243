//! Seeding unowned look-alikes, drift made outside the API, and dumps (`/__emulator/...`).
mod common;
use common::*;
use serde_json::json;

#[test]
fn seeded_objects_are_visible_to_the_api_and_not_logged() {
    let emu = start();
    let tok = token(&emu);
    let users = seed_users(&emu, 2);
    let r = control(&emu, "POST", "wrapupcodes", Some(json!({"name": "Done"})));
    let code = r.json()["id"].as_str().unwrap().to_string();
    let body = json!({"name": "Sales", "members": [users[0]], "groupMembers": [users[1]], "wrapupCodes": [code]});
    let q = control(&emu, "POST", "queues", Some(body)).json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let s = control(&emu, "POST", "skills", Some(json!({"name": "Billing"}))).json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let l = control(&emu, "POST", "languages", Some(json!({"name": "Welsh"}))).json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    // Names are unique as in the API; unknown users are refused.
    assert_eq!(
        control(&emu, "POST", "queues", Some(json!({"name": "sales"}))).status,
        409
    );
    assert_eq!(
        control(&emu, "POST", "skills", Some(json!({"name": "billing"}))).status,
        409
    );
    assert_eq!(
        control(
            &emu,
            "POST",
            "queues",
            Some(json!({"name": "X", "members": ["nope"]}))
        )
        .status,
        400
    );
    assert_eq!(control(&emu, "POST", "skills", Some(json!({}))).status, 400);
    assert_eq!(
        control(&emu, "POST", "nothing", Some(json!({}))).status,
        404
    );
    emu.drift(json!({"op": "set_skill", "userId": users[0], "id": s, "proficiency": 4}));
    emu.drift(json!({"op": "set_language", "userId": users[0], "id": l, "proficiency": 2}));
    assert_eq!(emu.requests().len(), 1, "only the login is logged");
    // The API sees all of it.
    let v = ok(api(
        &emu,
        &tok,
        "GET",
        "/api/v2/routing/queues?name=Sales",
        None,
    ));
    assert_eq!(v["entities"][0]["id"], q.as_str());
    let v = ok(api(
        &emu,
        &tok,
        "GET",
        &format!("/api/v2/routing/queues/{q}/members"),
        None,
    ));
    assert_eq!(v["entities"].as_array().unwrap().len(), 2);
    let v = ok(api(
        &emu,
        &tok,
        "GET",
        &format!("/api/v2/routing/queues/{q}/wrapupcodes"),
        None,
    ));
    assert_eq!(names(&v), ["Done"]);
    let v = ok(api(
        &emu,
        &tok,
        "GET",
        &format!("/api/v2/users/{}/routingskills", users[0]),
        None,
    ));
    assert_eq!(
        (
            v["entities"][0]["name"].as_str(),
            v["entities"][0]["proficiency"].as_f64()
        ),
        (Some("Billing"), Some(4.0))
    );
    let v = ok(api(
        &emu,
        &tok,
        "GET",
        &format!("/api/v2/users/{}/routinglanguages", users[0]),
        None,
    ));
    assert_eq!(names(&v), ["Welsh"]);
    // Dumps over HTTP equal the Rust ones.
    for kind in [
        "queues",
        "skills",
        "languages",
        "wrapupcodes",
        "assignments",
    ] {
        let r = control(&emu, "GET", kind, None);
        assert_eq!(r.status, 200);
        assert_eq!(r.json(), emu.dump(kind), "{kind}");
    }
    let dq = &emu.dump("queues")[0];
    assert_eq!(
        dq["members"],
        json!([{"id": users[0], "memberBy": "user", "joined": false}, {"id": users[1], "memberBy": "group", "joined": false}])
    );
    assert_eq!(dq["wrapupCodes"], json!([code]));
    assert_eq!(
        emu.dump("assignments")[&users[0]],
        json!({"skills": {&s: 4.0}, "languages": {&l: 2.0}})
    );
}

#[test]
fn drift_changes_the_org_without_the_api() {
    let emu = start();
    let tok = token(&emu);
    let users = seed_users(&emu, 2);
    let q = emu.seed("queues", json!({"name": "Q"}));
    let s = emu.seed("skills", json!({"name": "S"}));
    let l = emu.seed("languages", json!({"name": "L"}));
    let c = emu.seed("wrapupcodes", json!({"name": "C"}));
    emu.drift(json!({"op": "rename", "kind": "queue", "id": q, "name": "Q renamed"}));
    emu.drift(json!({"op": "rename", "kind": "wrapupcode", "id": c, "name": "C renamed"}));
    emu.drift(json!({"op": "rename", "kind": "skill", "id": s, "name": "S renamed"}));
    assert_eq!(
        ok(api(
            &emu,
            &tok,
            "GET",
            &format!("/api/v2/routing/queues/{q}"),
            None
        ))["name"],
        "Q renamed"
    );
    assert_eq!(
        ok(api(
            &emu,
            &tok,
            "GET",
            &format!("/api/v2/routing/wrapupcodes/{c}"),
            None
        ))["name"],
        "C renamed"
    );
    assert_eq!(
        ok(api(
            &emu,
            &tok,
            "GET",
            &format!("/api/v2/routing/skills/{s}"),
            None
        ))["name"],
        "S renamed"
    );
    emu.drift(json!({"op": "add_member", "queueId": q, "userId": users[0]}));
    emu.drift(json!({"op": "add_member", "queueId": q, "userId": users[1], "memberBy": "group"}));
    emu.drift(json!({"op": "remove_member", "queueId": q, "userId": users[0]}));
    emu.drift(json!({"op": "add_queue_wrapup", "queueId": q, "codeId": c}));
    assert_eq!(
        emu.dump("queues")[0]["members"],
        json!([{"id": users[1], "memberBy": "group", "joined": false}])
    );
    emu.drift(json!({"op": "set_skill", "userId": users[0], "id": s, "proficiency": 3}));
    emu.drift(json!({"op": "set_language", "userId": users[0], "id": l, "proficiency": 1}));
    emu.drift(json!({"op": "remove_language", "userId": users[0], "id": l}));
    assert_eq!(
        emu.dump("assignments")[&users[0]],
        json!({"skills": {&s: 3.0}, "languages": {}})
    );
    // Deleting in the org: the queue is gone, the code is gone (taken off its queue unless the
    // policy keeps it; drift never refuses), the skill soft-deleted with its assignment kept.
    emu.drift(json!({"op": "delete", "kind": "wrapupcode", "id": c}));
    emu.drift(json!({"op": "delete", "kind": "skill", "id": s}));
    emu.drift(json!({"op": "delete", "kind": "language", "id": l}));
    assert_eq!(
        ok(api(
            &emu,
            &tok,
            "GET",
            &format!("/api/v2/routing/skills/{s}"),
            None
        ))["state"],
        "deleted"
    );
    refused(
        &api(
            &emu,
            &tok,
            "GET",
            &format!("/api/v2/routing/wrapupcodes/{c}"),
            None,
        ),
        404,
        "resource.not.found",
        "",
    );
    emu.drift(json!({"op": "delete", "kind": "queue", "id": q}));
    refused(
        &api(
            &emu,
            &tok,
            "GET",
            &format!("/api/v2/routing/queues/{q}"),
            None,
        ),
        404,
        "resource.not.found",
        "",
    );
    assert_eq!(emu.dump("queues"), json!([]));
    // Over HTTP too; bad operations are 400 / 404.
    let r = control(
        &emu,
        "POST",
        "drift",
        Some(json!({"op": "rename", "kind": "language", "id": l, "name": "L2"})),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(emu.dump("languages")[0]["name"], "L2");
    assert_eq!(
        control(&emu, "POST", "drift", Some(json!({"op": "explode"}))).status,
        400
    );
    assert_eq!(
        control(
            &emu,
            "POST",
            "drift",
            Some(json!({"op": "delete", "kind": "queue", "id": q}))
        )
        .status,
        404
    );
    assert_eq!(
        control(
            &emu,
            "POST",
            "drift",
            Some(json!({"op": "rename", "kind": "team", "id": q, "name": "x"}))
        )
        .status,
        400
    );
    assert_eq!(emu.requests().len(), 1 + 6, "drift is not logged");
}
