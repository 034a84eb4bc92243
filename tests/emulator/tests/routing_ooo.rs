//! Routing status (transition table, on-queue presence interplay), out-of-office and
//! `organizations/me`.
mod common;
use common::*;
use gc_emulator::{Emulator, EmulatorConfig, PresenceConfig};
use serde_json::{json, Value};

fn rs(user: &str) -> String {
    format!("/api/v2/users/{user}/routingstatus")
}

fn ooo(user: &str) -> String {
    format!("/api/v2/users/{user}/outofoffice")
}

fn set_presence(emu: &Emulator, tok: &str, user: &str, system_presence: &str) {
    let id = emu.presence_definition_id(system_presence).unwrap();
    let path = format!("/api/v2/users/{user}/presences/purecloud");
    let r = patch(emu, tok, &path, json!({"presenceDefinition": {"id": id}}));
    assert_eq!(r.status, 200, "{}", r.body);
}

fn put_status(emu: &Emulator, tok: &str, user: &str, status: &str) -> Resp {
    put(emu, tok, &rs(user), json!({"status": status}))
}

#[test]
fn routing_status_defaults_to_off_queue_even_for_unknown_users() {
    let emu = start();
    let tok = token(&emu);
    let u = emu.seed_user("A", "a@example.com", "active");
    for who in [u.as_str(), "no-such-user"] {
        let r = api(&emu, &tok, "GET", &rs(who), None);
        assert_eq!(
            (r.status, r.json()["status"].as_str()),
            (200, Some("OFF_QUEUE")),
            "{who}"
        );
    }
    assert_eq!(
        put_status(&emu, &tok, "no-such-user", "OFF_QUEUE").status,
        404
    );
}

#[test]
fn put_follows_the_transition_table() {
    let emu = start();
    let tok = token(&emu);
    let u = emu.seed_user("A", "a@example.com", "active");
    let r = put_status(&emu, &tok, &u, "IDLE");
    assert_eq!(
        (r.status, r.code().as_str()),
        (400, "general.bad.request"),
        "on queue is not set here"
    );
    assert!(r.json()["message"]
        .as_str()
        .unwrap()
        .starts_with("An invalid routing status transition was attempted."));
    for system_set in ["INTERACTING", "COMMUNICATING", "NOT_RESPONDING"] {
        assert_eq!(
            put_status(&emu, &tok, &u, system_set).status,
            400,
            "{system_set}"
        );
    }
    assert_eq!(
        put_status(&emu, &tok, &u, "BUSY").status,
        400,
        "outside the enum"
    );
    assert_eq!(
        put_status(&emu, &tok, &u, "OFF_QUEUE").status,
        200,
        "unchanged is accepted"
    );
    // The ACD marks the agent NOT_RESPONDING; the client may bring them back or take them off.
    emu.set_routing_status(&u, "NOT_RESPONDING");
    let r = put_status(&emu, &tok, &u, "IDLE");
    assert_eq!((r.status, r.json()["status"].as_str()), (200, Some("IDLE")));
    assert!(r.json()["startTime"].as_str().is_some());
    assert_eq!(put_status(&emu, &tok, &u, "OFF_QUEUE").status, 200);
    emu.set_routing_status(&u, "INTERACTING");
    assert_eq!(put_status(&emu, &tok, &u, "IDLE").status, 400);
    assert_eq!(put_status(&emu, &tok, &u, "OFF_QUEUE").status, 200);
    assert_eq!(emu.routing_status(&u)["status"], "OFF_QUEUE");
    // The table is configurable.
    let cfg = PresenceConfig {
        routing_transitions: vec![("OFF_QUEUE".into(), "IDLE".into())],
        ..PresenceConfig::default()
    };
    emu.set_presence_config(cfg);
    assert_eq!(put_status(&emu, &tok, &u, "IDLE").status, 200);
    assert_eq!(put_status(&emu, &tok, &u, "OFF_QUEUE").status, 400);
    let r = put(&emu, &tok, &rs(&u), json!({"status": "IDLE", "extra": 1}));
    assert_eq!(r.status, 400, "schema: unknown field");
}

#[test]
fn the_on_queue_presence_drives_routing_status() {
    let emu = start();
    let tok = token(&emu);
    let u = emu.seed_user("A", "a@example.com", "active");
    set_presence(&emu, &tok, &u, "OnQueue");
    assert_eq!(emu.routing_status(&u)["status"], "IDLE");
    emu.set_routing_status(&u, "INTERACTING");
    set_presence(&emu, &tok, &u, "OnQueue");
    assert_eq!(
        emu.routing_status(&u)["status"],
        "INTERACTING",
        "on queue again keeps it"
    );
    set_presence(&emu, &tok, &u, "Break");
    assert_eq!(emu.routing_status(&u)["status"], "OFF_QUEUE");
    // A source that is not the user's primary one does not drive routing.
    emu.set_primary_source(&u, "teams", true);
    set_presence(&emu, &tok, &u, "OnQueue");
    assert_eq!(emu.routing_status(&u)["status"], "OFF_QUEUE");
    // Nor does anything when the interplay is switched off.
    emu.set_primary_source(&u, &emu.purecloud_source_id(), true);
    emu.set_presence_config(PresenceConfig {
        on_queue_drives_routing: false,
        ..PresenceConfig::default()
    });
    set_presence(&emu, &tok, &u, "OnQueue");
    assert_eq!(emu.routing_status(&u)["status"], "OFF_QUEUE");
    let dump = request(
        &emu.base_url(),
        "GET",
        "/__emulator/routing-status",
        &[],
        None,
    )
    .unwrap();
    assert_eq!(dump.json()[&u]["status"], "OFF_QUEUE");
}

#[test]
fn out_of_office_set_open_ended_dated_and_cleared() {
    let emu = start();
    let tok = token(&emu);
    let u = emu.seed_user("A", "a@example.com", "active");
    let v = api(&emu, &tok, "GET", &ooo(&u), None).json();
    assert_eq!(
        (v["active"].as_bool(), v["user"]["id"].as_str()),
        (Some(false), Some(u.as_str()))
    );
    assert!(emu.out_of_office(&u).is_none());
    let start = "2026-12-07T08:00:00.000Z";
    let r = put(
        &emu,
        &tok,
        &ooo(&u),
        json!({"active": true, "indefinite": true, "startDate": start}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let got = emu.out_of_office(&u).unwrap();
    assert_eq!(
        (got["active"].as_bool(), got["indefinite"].as_bool()),
        (Some(true), Some(true))
    );
    assert_eq!(got["startDate"], start);
    let id = got["id"].clone();
    let dated = json!({"active": true, "startDate": start, "endDate": "2026-12-24T17:00:00Z"});
    assert_eq!(put(&emu, &tok, &ooo(&u), dated).status, 200);
    assert_eq!(
        emu.out_of_office(&u).unwrap()["endDate"],
        "2026-12-24T17:00:00Z"
    );
    let r = put(&emu, &tok, &ooo(&u), json!({"active": false}));
    assert_eq!(r.status, 200);
    let v = api(&emu, &tok, "GET", &ooo(&u), None).json();
    assert_eq!(
        (v["active"].as_bool(), v["id"].clone()),
        (Some(false), id),
        "cleared, same object"
    );
    assert!(v.get("startDate").is_none() && v.get("endDate").is_none());
    let dump = request(
        &emu.base_url(),
        "GET",
        "/__emulator/out-of-office",
        &[],
        None,
    )
    .unwrap();
    assert_eq!(dump.json()[&u]["active"], false);
}

#[test]
fn out_of_office_refusals() {
    let emu = start();
    let tok = token(&emu);
    let u = emu.seed_user("A", "a@example.com", "active");
    let s = "2026-12-07T08:00:00Z";
    let bad: [Value; 7] = [
        json!({}),
        json!({"active": true, "indefinite": true}),
        json!({"active": true, "startDate": s}),
        json!({"active": true, "startDate": s, "endDate": "2026-12-24T17:00:00Z", "indefinite": true}),
        json!({"active": true, "startDate": s, "endDate": "2026-12-01T17:00:00Z"}),
        json!({"active": true, "startDate": "next week", "indefinite": true}),
        json!({"active": "yes"}),
    ];
    for b in bad {
        let r = put(&emu, &tok, &ooo(&u), b.clone());
        assert_eq!(r.status, 400, "{b}: {}", r.body);
    }
    assert!(emu.out_of_office(&u).is_none(), "nothing stored");
    let ok = json!({"active": true, "startDate": s, "indefinite": true});
    assert_eq!(put(&emu, &tok, &ooo("nobody"), ok.clone()).status, 404);
    emu.set_presence_config(PresenceConfig {
        ooo_update_forbidden: true,
        ..PresenceConfig::default()
    });
    let r = put(&emu, &tok, &ooo(&u), ok);
    assert_eq!(
        (r.status, r.code().as_str()),
        (403, "outofoffice.update.error")
    );
}

#[test]
fn organization_me_reports_the_product_platform() {
    let emu = start();
    let tok = token(&emu);
    let r = api(&emu, &tok, "GET", "/api/v2/organizations/me", None);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["productPlatform"], "PureConnect");
    assert!(r.json()["id"].as_str().is_some());
    let plain = Emulator::start(EmulatorConfig {
        product_platform: None,
        ..EmulatorConfig::default()
    })
    .unwrap();
    let tok = token(&plain);
    let r = api(&plain, &tok, "GET", "/api/v2/organizations/me", None);
    assert!(r.json().get("productPlatform").is_none());
    assert_eq!(plain.call_count("GET", "/api/v2/organizations/me"), 1);
}

#[test]
fn control_endpoints_set_routing_status_and_primary_source() {
    let emu = start();
    let u = emu.seed_user("A", "a@example.com", "active");
    let post = |name: &str, body: Value| {
        let b = body.to_string();
        let path = format!("/__emulator/{name}");
        request(&emu.base_url(), "POST", &path, &[], Some(b.as_bytes())).unwrap()
    };
    let r = post(
        "routing-status",
        json!({"userId": u, "status": "INTERACTING"}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(emu.routing_status(&u)["status"], "INTERACTING");
    let r = post("routing-status", json!({"userId": u, "status": "LUNCH"}));
    assert_eq!(r.status, 400);
    assert_eq!(
        post("routing-status", json!({"status": "IDLE"})).status,
        400
    );
    let r = post(
        "primary-source",
        json!({"userId": u, "sourceId": "teams", "registered": true}),
    );
    assert_eq!(r.status, 200);
    assert_eq!(emu.presences()[&u]["primarySource"]["sourceId"], "teams");
    let transitions = json!({"routing_transitions": [["INTERACTING", "IDLE"]]});
    assert_eq!(post("presence-config", transitions).status, 200);
    let tok = token(&emu);
    assert_eq!(put_status(&emu, &tok, &u, "IDLE").status, 200);
    assert_eq!(
        post("presence-config", json!({"bulk_max": "many"})).status,
        400
    );
}
