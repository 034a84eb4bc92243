//! Presence definitions, presence sources and users' primary sources.
mod common;
mod presence_common;
use common::*;
use gc_emulator::PresenceConfig;
use presence_common::*;
use serde_json::json;

#[test]
fn system_definitions_exist_with_ids_per_org_unpaged() {
    let (a, b) = (start(), start());
    let tok = token(&a);
    let r = api(&a, &tok, "GET", DEFS, None);
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    let systems: Vec<&str> = v["entities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["systemPresence"].as_str().unwrap())
        .collect();
    let want = [
        "Available",
        "Away",
        "Busy",
        "Offline",
        "Idle",
        "OnQueue",
        "Meal",
        "Training",
        "Meeting",
        "Break",
    ];
    assert_eq!(systems, want);
    assert_eq!(v["total"], 10);
    assert!(
        v.get("pageSize").is_none() && v.get("pageNumber").is_none(),
        "unpaged"
    );
    let on_queue = &v["entities"][5];
    assert_eq!(on_queue["type"], "System");
    assert_eq!(on_queue["languageLabels"]["en_US"], "On Queue");
    let id_a = a.presence_definition_id("OnQueue").unwrap();
    assert_eq!(on_queue["id"], id_a.as_str());
    assert_ne!(Some(id_a.clone()), b.presence_definition_id("OnQueue"));
    let r = api(&a, &tok, "GET", &format!("{DEFS}/{id_a}"), None);
    assert_eq!(
        (r.status, r.json()["systemPresence"].clone()),
        (200, json!("OnQueue"))
    );
}

#[test]
fn secondary_definitions_are_seeded_listed_and_deleted() {
    let emu = start();
    let tok = token(&emu);
    let lunch = emu.seed_presence_definition("Meal", "Lunch (CIC)");
    let r = presence_control(
        &emu,
        "POST",
        "presence-definitions",
        json!({"systemPresence": "Busy", "languageLabels": {"en_US": "Old"}, "deactivated": true}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let old = r.json()["id"].as_str().unwrap().to_string();
    let list = |q: &str| api(&emu, &tok, "GET", &format!("{DEFS}{q}"), None).json();
    let v = list("");
    assert_eq!(v["total"], 11, "deactivated ones are not listed by default");
    let found = v["entities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == lunch.as_str());
    let found = found.expect("the seeded one is listed");
    assert_eq!(
        (
            found["type"].as_str(),
            found["languageLabels"]["en_US"].as_str()
        ),
        (Some("User"), Some("Lunch (CIC)"))
    );
    assert_eq!(list("?deactivated=true")["total"], 12);
    let r = api(
        &emu,
        &tok,
        "GET",
        &format!("{DEFS}?deactivated=maybe"),
        None,
    );
    assert_eq!(r.status, 400);
    // A bad seed is refused.
    let r = presence_control(
        &emu,
        "POST",
        "presence-definitions",
        json!({"systemPresence": "Nap", "languageLabels": {"en_US": "x"}}),
    );
    assert_eq!(r.status, 400);
    // Deleted: gone from list and get, and writes naming it are refused.
    let r = presence_control(
        &emu,
        "POST",
        "delete-presence-definition",
        json!({"id": lunch}),
    );
    assert_eq!(r.status, 200);
    assert_eq!(list("")["total"], 10);
    let r = api(&emu, &tok, "GET", &format!("{DEFS}/{lunch}"), None);
    assert_eq!(
        (r.status, r.code().as_str()),
        (404, "general.resource.not.found")
    );
    let u = users(&emu, 1).remove(0);
    let r = patch(&emu, &tok, &purecloud(&u), def(&lunch));
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.json()["message"].as_str().unwrap().contains(&lunch));
    let r = patch(&emu, &tok, &purecloud(&u), def(&old));
    assert_eq!(r.status, 400, "a deactivated definition is refused too");
    assert!(emu.presence_writes().is_empty());
}

#[test]
fn sources_create_list_duplicates_limit_and_delete() {
    let emu = start();
    let tok = token(&emu);
    let r = post(
        &emu,
        &tok,
        SOURCES,
        json!({"name": "PureConnect", "description": "CIC"}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let src = r.json();
    let id = src["id"].as_str().unwrap().to_string();
    assert_eq!(
        (src["name"].as_str(), src["type"].as_str()),
        (Some("PureConnect"), Some("User"))
    );
    let r = post(&emu, &tok, SOURCES, json!({"name": "pureconnect"}));
    assert_eq!((r.status, r.code().as_str()), (409, "general.conflict"));
    let r = post(&emu, &tok, SOURCES, json!({"description": "no name"}));
    assert_eq!(r.status, 400, "name is required by the schema");
    let r = post(&emu, &tok, SOURCES, json!({"name": " "}));
    assert_eq!(r.status, 400);
    let v = api(&emu, &tok, "GET", SOURCES, None).json();
    assert_eq!(
        (v["total"].as_i64(), v["entities"][0]["id"].as_str()),
        (Some(1), Some(id.as_str()))
    );
    assert_eq!(
        api(&emu, &tok, "GET", &format!("{SOURCES}/{id}"), None).status,
        200
    );
    emu.set_presence_config(PresenceConfig {
        max_sources: Some(1),
        ..PresenceConfig::default()
    });
    let r = post(&emu, &tok, SOURCES, json!({"name": "Other"}));
    assert_eq!(r.status, 400, "over the configured limit");
    assert_eq!(
        api(&emu, &tok, "DELETE", &format!("{SOURCES}/{id}"), None).status,
        200
    );
    assert_eq!(
        api(&emu, &tok, "GET", &format!("{SOURCES}/{id}"), None).status,
        404
    );
    assert_eq!(
        post(&emu, &tok, SOURCES, json!({"name": "Other"})).status,
        200
    );
}

#[test]
fn primary_source_defaults_to_purecloud_and_follows_puts() {
    let emu = start();
    let tok = token(&emu);
    let u = users(&emu, 1).remove(0);
    let path = format!("/api/v2/presence/users/{u}/primarysource");
    let v = api(&emu, &tok, "GET", &path, None).json();
    assert_eq!(v["sourceId"], emu.purecloud_source_id().as_str());
    assert_eq!(v["registered"], true);
    let sid = new_source(&emu, &tok, "PureConnect");
    let sid = sid.as_str();
    let r = put(&emu, &tok, &path, json!({"sourceId": sid}));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        (
            r.json()["sourceId"].as_str(),
            r.json()["registered"].as_bool()
        ),
        (Some(sid), Some(false))
    );
    assert_eq!(api(&emu, &tok, "GET", &path, None).json()["sourceId"], sid);
    let r = put(&emu, &tok, &path, json!({"sourceId": "no-such-source"}));
    assert_eq!(r.status, 400);
    let r = put(
        &emu,
        &tok,
        &path,
        json!({"sourceId": sid, "registered": true}),
    );
    assert_eq!(r.status, 400, "registered is the server's to say");
    let r = put(
        &emu,
        &tok,
        "/api/v2/presence/users/nobody/primarysource",
        json!({"sourceId": sid}),
    );
    assert_eq!(r.status, 404);
    // Another integration takes the user over.
    emu.set_primary_source(&u, "teams-source", true);
    let v = api(&emu, &tok, "GET", &path, None).json();
    assert_eq!(
        (v["sourceId"].as_str(), v["registered"].as_bool()),
        (Some("teams-source"), Some(true))
    );
}
