//! Users' presences: single-user writes per source, the bulk write and its maximum, bulk
//! reads, permissions and the presence-write hook.
mod common;
mod presence_common;
use common::*;
use gc_emulator::{Emulator, EmulatorConfig};
use presence_common::*;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::Instant;

#[test]
fn single_writes_are_checked_applied_and_recorded() {
    let emu = start();
    let tok = token(&emu);
    let u = users(&emu, 1).remove(0);
    let v = api(&emu, &tok, "GET", &purecloud(&u), None).json();
    assert_eq!(
        v["presenceDefinition"]["systemPresence"], "Offline",
        "never set: Offline"
    );
    let busy = emu.presence_definition_id("Busy").unwrap();
    let r = patch(
        &emu,
        &tok,
        &purecloud(&u),
        json!({"presenceDefinition": {"id": busy}, "message": "DND"}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    assert_eq!(
        (
            v["presenceDefinition"]["id"].as_str(),
            v["message"].as_str()
        ),
        (Some(busy.as_str()), Some("DND"))
    );
    assert_eq!(
        (v["source"].as_str(), v["primary"].as_bool()),
        (Some("PURECLOUD"), Some(true))
    );
    assert!(v["modifiedDate"].as_str().unwrap().ends_with('Z'));
    let away = emu.presence_definition_id("Away").unwrap();
    patch(&emu, &tok, &purecloud(&u), def(&away));
    let v = api(&emu, &tok, "GET", &purecloud(&u), None).json();
    assert_eq!(
        (
            v["presenceDefinition"]["systemPresence"].as_str(),
            v["message"].as_str()
        ),
        (Some("Away"), Some("DND")),
        "PATCH keeps the message"
    );
    let w = emu.presence_writes();
    assert_eq!(w.len(), 2);
    assert_eq!(
        (w[1].user_id.as_str(), w[1].system_presence.as_str()),
        (u.as_str(), "Away")
    );
    assert_eq!(w[1].route, "/api/v2/users/{userId}/presences/purecloud");
    assert_eq!(w[1].source_id, emu.purecloud_source_id());
    assert_eq!(
        emu.user_presence(&u)["presenceDefinition"]["id"],
        away.as_str()
    );
    // Refusals.
    let cases = [
        (json!({}), 400),
        (json!({"presenceDefinition": {}}), 400),
        (
            json!({"presenceDefinition": {"id": "no-such-definition"}}),
            400,
        ),
        (
            json!({"presenceDefinition": {"id": busy}, "colour": "red"}),
            400,
        ),
        (json!({"presenceDefinition": {"id": 7}}), 400),
    ];
    for (body, status) in cases {
        let r = patch(&emu, &tok, &purecloud(&u), body.clone());
        assert_eq!(r.status, status, "{body}: {}", r.body);
    }
    let r = patch(&emu, &tok, &purecloud("nobody"), def(&busy));
    assert_eq!(r.status, 404);
    assert_eq!(emu.presence_writes().len(), 2, "no refused write applied");
    assert_eq!(
        emu.call_count("PATCH", "/api/v2/users/{userId}/presences/purecloud"),
        8
    );
}

#[test]
fn custom_source_writes_and_primary_flag() {
    let emu = start();
    let tok = token(&emu);
    let u = users(&emu, 1).remove(0);
    let sid = new_source(&emu, &tok, "PureConnect");
    let path = format!("/api/v2/users/{u}/presences/{sid}");
    let meal = emu.presence_definition_id("Meal").unwrap();
    let r = patch(
        &emu,
        &tok,
        &path,
        json!({"presenceDefinition": {"id": meal}, "primary": true}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        (r.json()["source"].as_str(), r.json()["primary"].as_bool()),
        (Some("PureConnect"), Some(true))
    );
    assert_eq!(
        emu.user_presence(&u)["presenceDefinition"]["systemPresence"],
        "Meal"
    );
    let registered = format!("/api/v2/users/{u}/presences/{}", emu.purecloud_source_id());
    let r = patch(&emu, &tok, &registered, def(&meal));
    assert_eq!(
        r.status, 400,
        "registered sources are not supported on the generic path"
    );
    let r = patch(
        &emu,
        &tok,
        &format!("/api/v2/users/{u}/presences/nope"),
        def(&meal),
    );
    assert_eq!(r.status, 404);
    let dump = presence_control(&emu, "GET", "presences", Value::Null).json();
    assert_eq!(dump[&u]["primarySource"]["sourceId"], sid.as_str());
    assert_eq!(
        dump[&u]["presence"]["presenceDefinition"]["id"],
        meal.as_str()
    );
}

#[test]
fn bulk_write_enforces_its_maximum_and_is_all_or_nothing() {
    let emu = start();
    let tok = token(&emu);
    let ids = users(&emu, 51);
    let pc = emu.purecloud_source_id();
    let on_queue = emu.presence_definition_id("OnQueue").unwrap();
    let item = |u: &str| json!({"id": u, "sourceId": pc, "presenceDefinition": {"id": on_queue}});
    let all: Vec<Value> = ids.iter().map(|u| item(u)).collect();
    let r = put(&emu, &tok, BULK, Value::Array(all.clone()));
    assert_eq!(r.status, 400, "51 is one over the default maximum of 50");
    assert!(r.json()["message"].as_str().unwrap().contains("50"));
    assert!(emu.presence_writes().is_empty());
    let r = put(&emu, &tok, BULK, Value::Array(all[..50].to_vec()));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json().as_array().unwrap().len(), 50);
    assert_eq!(emu.presence_writes().len(), 50);
    assert!(emu.presence_writes().iter().all(|w| w.route == BULK));
    // One bad entry refuses the call, naming it.
    let mut mixed = vec![item(&ids[50]), item("nobody")];
    let r = put(&emu, &tok, BULK, Value::Array(mixed.clone()));
    assert_eq!(r.status, 400);
    assert!(
        r.json()["message"].as_str().unwrap().starts_with("[1]"),
        "{}",
        r.body
    );
    mixed[1] = json!({"id": ids[0], "sourceId": pc, "presenceDefinition": {"id": "gone"}});
    assert_eq!(
        put(&emu, &tok, BULK, Value::Array(mixed.clone())).status,
        400
    );
    mixed[1] = item(&ids[50]);
    assert_eq!(
        put(&emu, &tok, BULK, Value::Array(mixed)).status,
        400,
        "duplicate"
    );
    let r = put(
        &emu,
        &tok,
        BULK,
        json!([{"id": ids[0], "presenceDefinition": {"id": on_queue}}]),
    );
    assert_eq!(r.status, 400, "sourceId is required");
    assert_eq!(put(&emu, &tok, BULK, json!([])).status, 400);
    assert_eq!(
        put(&emu, &tok, BULK, json!([{"id": ids[0], "bogus": 1}])).status,
        400
    );
    assert_eq!(emu.presence_writes().len(), 50);
    // The maximum is configurable (control endpoint).
    let r = presence_control(&emu, "POST", "presence-config", json!({"bulk_max": 60}));
    assert_eq!(r.status, 200);
    assert_eq!(put(&emu, &tok, BULK, Value::Array(all)).status, 200);
    assert_eq!(emu.call_count("PUT", BULK), 9);
}

#[test]
fn bulk_reads_take_at_most_50_ids() {
    let emu = start();
    let tok = token(&emu);
    let ids = users(&emu, 2);
    let busy = emu.presence_definition_id("Busy").unwrap();
    patch(&emu, &tok, &purecloud(&ids[0]), def(&busy));
    let q: Vec<String> = ids
        .iter()
        .chain(["nobody".to_string()].iter())
        .map(|i| format!("id={i}"))
        .collect();
    let r = api(
        &emu,
        &tok,
        "GET",
        &format!("/api/v2/users/presences/purecloud/bulk?{}", q.join("&")),
        None,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    assert_eq!(v.as_array().unwrap().len(), 2, "unknown users are left out");
    assert_eq!(
        (
            v[0]["userId"].as_str(),
            v[0]["presenceDefinition"]["systemPresence"].as_str()
        ),
        (Some(ids[0].as_str()), Some("Busy"))
    );
    assert_eq!(v[1]["presenceDefinition"]["systemPresence"], "Offline");
    let many: Vec<String> = (0..51).map(|i| format!("id=u{i}")).collect();
    let r = api(
        &emu,
        &tok,
        "GET",
        &format!("/api/v2/users/presences/purecloud/bulk?{}", many.join("&")),
        None,
    );
    assert_eq!(r.status, 400);
    assert_eq!(
        api(
            &emu,
            &tok,
            "GET",
            "/api/v2/users/presences/purecloud/bulk",
            None
        )
        .status,
        400
    );
}

#[test]
fn permissions_are_required_and_named() {
    let emu = Emulator::start(EmulatorConfig {
        granted_permissions: Some(vec!["presence:presenceDefinition:view".into()]),
        ..EmulatorConfig::default()
    })
    .unwrap();
    let tok = token(&emu);
    let u = users(&emu, 1).remove(0);
    assert_eq!(api(&emu, &tok, "GET", DEFS, None).status, 200);
    let busy = emu.presence_definition_id("Busy").unwrap();
    let r = patch(&emu, &tok, &purecloud(&u), def(&busy));
    assert_eq!((r.status, r.code().as_str()), (403, "missing.permissions"));
    assert!(r.json()["message"]
        .as_str()
        .unwrap()
        .ends_with("[presence:userPresence:edit]"));
    let body = json!([{"id": u, "sourceId": emu.purecloud_source_id(), "presenceDefinition": {"id": busy}}]);
    let r = put(&emu, &tok, BULK, body.clone());
    assert_eq!(
        (r.status, r.code().as_str()),
        (403, "missing.any.permissions")
    );
    for (m, p) in [("GET", SOURCES), ("POST", SOURCES)] {
        let r = api(
            &emu,
            &tok,
            m,
            p,
            Some(json!({"name": "x"})).filter(|_| m == "POST"),
        );
        assert_eq!(r.status, 403, "{m} {p}");
        assert!(r.json()["message"]
            .as_str()
            .unwrap()
            .contains("presence:source:"));
    }
    let r = api(
        &emu,
        &tok,
        "GET",
        &format!("/api/v2/presence/users/{u}/primarysource"),
        None,
    );
    assert!(r.json()["message"]
        .as_str()
        .unwrap()
        .ends_with("[presence:userPrimarySource:view]"));
    assert!(emu.presence_writes().is_empty());
    emu.set_granted_permissions(Some(vec!["presence:*:*".into()]));
    assert_eq!(put(&emu, &tok, BULK, body).status, 200);
}

#[test]
fn the_hook_sees_each_write_as_it_is_applied() {
    let emu = start();
    let tok = token(&emu);
    let u = users(&emu, 1).remove(0);
    let seen: Arc<Mutex<Vec<(String, Instant)>>> = Arc::default();
    let s2 = seen.clone();
    emu.set_presence_hook(Some(Arc::new(move |w| {
        s2.lock()
            .unwrap()
            .push((w.system_presence.clone(), Instant::now()));
    })));
    let sent = Instant::now();
    for sp in ["Available", "Break"] {
        let id = emu.presence_definition_id(sp).unwrap();
        assert_eq!(patch(&emu, &tok, &purecloud(&u), def(&id)).status, 200);
    }
    let seen = seen.lock().unwrap().clone();
    let names: Vec<&str> = seen.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(names, ["Available", "Break"]);
    let writes = emu.presence_writes();
    assert!(writes[0].applied_at >= sent && writes[1].applied_at >= writes[0].applied_at);
    assert!(seen[0].1 >= writes[0].applied_at);
    let logged = presence_control(&emu, "GET", "presence-writes", Value::Null).json();
    assert_eq!(logged[1]["system_presence"], "Break");
    assert!(
        logged[1]["applied_unix_ms"].as_i64().unwrap()
            >= logged[0]["applied_unix_ms"].as_i64().unwrap()
    );
}

#[test]
fn custom_source_bulk_primary_and_deletion_fallback() {
    let emu = start();
    let tok = token(&emu);
    let ids = users(&emu, 2);
    let sid = new_source(&emu, &tok, "PureConnect");
    let busy = emu.presence_definition_id("Busy").unwrap();
    let body = json!([{"id": ids[0], "sourceId": sid, "presenceDefinition": {"id": busy}, "primary": true}]);
    let r = put(&emu, &tok, BULK, body);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()[0]["primary"], true);
    let path = format!("/api/v2/presence/users/{}/primarysource", ids[0]);
    assert_eq!(
        api(&emu, &tok, "GET", &path, None).json()["sourceId"],
        sid.as_str()
    );
    let q = format!("id={}&id={}", ids[0], ids[1]);
    let r = api(
        &emu,
        &tok,
        "GET",
        &format!("/api/v2/users/presences/{sid}/bulk?{q}"),
        None,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    assert_eq!(v[0]["presenceDefinition"]["systemPresence"], "Busy");
    assert_eq!(v[0]["source"], "PureConnect");
    assert!(v[0].get("modifiedDate").is_some() && v[1].get("modifiedDate").is_none());
    let r = api(
        &emu,
        &tok,
        "GET",
        &format!("/api/v2/users/presences/nope/bulk?{q}"),
        None,
    );
    assert_eq!(r.status, 404);
    // Deleting the source drops its presences and its place as primary source.
    let r = api(&emu, &tok, "DELETE", &format!("{SOURCES}/{sid}"), None);
    assert_eq!(r.status, 200);
    let v = api(&emu, &tok, "GET", &path, None).json();
    assert_eq!(v["sourceId"], emu.purecloud_source_id().as_str());
    assert_eq!(
        emu.user_presence(&ids[0])["presenceDefinition"]["systemPresence"],
        "Offline"
    );
}

#[test]
fn the_request_log_times_each_call() {
    let emu = start();
    let tok = token(&emu);
    let u = users(&emu, 1).remove(0);
    emu.set_faults(gc_emulator::Faults {
        latency_ms: 30,
        ..Default::default()
    });
    let busy = emu.presence_definition_id("Busy").unwrap();
    let before = Instant::now();
    assert_eq!(patch(&emu, &tok, &purecloud(&u), def(&busy)).status, 200);
    let log = emu.requests();
    let call = log.last().unwrap();
    assert_eq!(call.route, "/api/v2/users/{userId}/presences/purecloud");
    assert!(call.elapsed_us >= 30_000, "{}", call.elapsed_us);
    let applied = emu.presence_writes()[0].applied_at;
    assert!(before <= call.received_at && call.received_at <= applied);
    assert!(applied.duration_since(call.received_at).as_micros() >= 30_000);
    let json = request(&emu.base_url(), "GET", "/__emulator/requests", &[], None).unwrap();
    let last = json.json().as_array().unwrap().last().unwrap().clone();
    assert!(last["received_unix_ms"].as_i64().unwrap() > 0 && last.get("received_at").is_none());
}
