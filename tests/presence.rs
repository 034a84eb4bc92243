//! Agent status → Genesys presence through the C API against the emulator: the default table
//! for the sample agents, the fallback and overrides, gcsync's own presence source as the
//! primary one, WEM on and off, waiting for the user, a deleted definition, another
//! integration's users and the 403 path.

mod common;

use common::*;
use gcsync::object::GcsyncObjectKind;
use gcsync::result::GcsyncResult;
use std::time::Duration;

const TABLE: &[(&str, bool, &str)] = &[
    ("Available", true, "Available"),
    ("Available, No ACD", false, "Available"),
    ("Available, Follow-Me", false, "Available"),
    ("Available, Forward", false, "Available"),
    ("Available, Remote", false, "Available"),
    ("Away from Desk", false, "Away"),
    ("At Lunch", false, "Meal"),
    ("At Play", false, "Break"),
    ("At a Training Session", false, "Training"),
    ("In a Meeting", false, "Meeting"),
    ("Do Not Disturb", false, "Busy"),
    ("Follow Up", false, "Busy"),
    ("ACD - Agent Not Answering", false, "Busy"),
    ("Working at Home", false, "Available"),
    ("Gone Home", false, "Offline"),
    ("On Vacation", false, "Away"),
    ("Out of the Office", false, "Away"),
    ("Out of Town", false, "Away"),
];

fn source_id(w: &World) -> String {
    let all = w.emu.presences();
    let (_, u) = all.as_object().unwrap().iter().next().expect("a presence");
    u["primarySource"]["sourceId"].as_str().unwrap().to_string()
}

#[test]
fn the_sample_agents_show_the_table_in_gcsyncs_own_primary_source() {
    let w = World::new();
    let gids = presence_world(&w, "agent", TABLE.len());
    for (i, (status, acd, _)) in TABLE.iter().enumerate() {
        assert_eq!(
            agent_status_changed(&format!("agent{i}"), &cic_status(status, *acd)),
            GcsyncResult::Ok
        );
    }
    wait_idle();
    for (i, (status, _, presence)) in TABLE.iter().enumerate() {
        assert_eq!(&shown(&w.emu, &gids[i]), presence, "{status}");
        let s = presence_status(&format!("agent{i}"));
        assert_eq!(s["state"], "Synced", "{s}");
        assert_eq!(s["genesys_id"], gids[i].as_str());
    }
    // One source, named PureConnect, created once and primary for every agent.
    let sources = w
        .emu
        .requests()
        .iter()
        .filter(|r| r.route == "/api/v2/presence/sources")
        .count();
    assert_eq!(
        w.emu.call_count("POST", "/api/v2/presence/sources"),
        1,
        "{sources}"
    );
    let src = source_id(&w);
    assert_ne!(src, w.emu.purecloud_source_id());
    for (_, u) in w.emu.presences().as_object().unwrap() {
        assert_eq!(u["primarySource"]["sourceId"], src.as_str());
    }
    // Non-WEM: neither out-of-office nor routing status is written.
    assert_eq!(
        w.emu
            .call_count("PUT", "/api/v2/users/{userId}/outofoffice"),
        0
    );
    assert_eq!(
        w.emu
            .call_count("PUT", "/api/v2/users/{userId}/routingstatus"),
        0
    );
    assert!(w.emu.out_of_office(&gids[15]).is_none());
    // An unchanged presence costs no call; a changed one is one write.
    w.emu.clear_requests();
    assert_eq!(
        agent_status_changed("agent6", &cic_status("At Lunch", false)),
        GcsyncResult::Ok
    );
    assert_eq!(
        agent_status_changed("agent5", r#"{"status":"Away from Desk","group":"Away"}"#),
        GcsyncResult::Ok
    );
    wait_idle();
    assert_eq!(w.emu.requests().len(), 0, "{:?}", w.emu.requests());
    assert_eq!(
        agent_status_changed("agent6", &cic_status("In a Meeting", false)),
        GcsyncResult::Ok
    );
    wait_idle();
    assert_eq!(w.emu.requests().len(), 1);
    assert_eq!(
        w.emu
            .call_count("PATCH", "/api/v2/users/{userId}/presences/{sourceId}"),
        1
    );
    assert_eq!(shown(&w.emu, &gids[6]), "Meeting");
}

#[test]
fn custom_statuses_fall_back_and_overrides_pick_a_secondary_presence_by_label() {
    let w = World::new();
    let lunch = w.emu.seed_presence_definition("Meal", "Long Lunch");
    set(
        "presence_map",
        "Gone Fishing=secondary:long lunch;At Play=Busy",
    );
    let gids = presence_world(&w, "c", 4);
    agent_status_changed("c0", &cic_status("Gone Fishing", false));
    agent_status_changed("c1", &cic_status("At Play", false));
    agent_status_changed("c2", &cic_status("Site Status With ACD", true));
    agent_status_changed(
        "c3",
        r#"{"status":"Custom Quiet","do_not_disturb":true,"acd_allowed":true}"#,
    );
    wait_idle();
    assert_eq!(
        w.emu.user_presence(&gids[0])["presenceDefinition"]["id"],
        lunch.as_str()
    );
    assert_eq!(shown(&w.emu, &gids[1]), "Busy");
    assert_eq!(shown(&w.emu, &gids[2]), "Available");
    assert_eq!(shown(&w.emu, &gids[3]), "Busy");
    // A label the org does not have is an Error naming it, not a silent drop.
    set("presence_map", "Gone Fishing=secondary:Nap");
    assert_eq!(gcsync::ffi::gcsync_on_settings_changed(), GcsyncResult::Ok);
    agent_status_changed("c0", &cic_status("Gone Fishing", true));
    wait_idle();
    let s = presence_status("c0");
    assert_eq!(s["state"], "Error");
    assert!(
        s["reason"].as_str().unwrap().contains("secondary:Nap"),
        "{s}"
    );
}

#[test]
fn a_deleted_definition_is_noticed_and_read_again_once() {
    let w = World::new();
    let old = w.emu.seed_presence_definition("Meal", "Lunch");
    set("presence_map", "At Lunch=secondary:Lunch");
    let gids = presence_world(&w, "d", 1);
    agent_status_changed("d0", &cic_status("At Lunch", false));
    wait_idle();
    assert_eq!(
        w.emu.user_presence(&gids[0])["presenceDefinition"]["id"],
        old.as_str()
    );
    agent_status_changed("d0", &cic_status("Available", true));
    wait_idle();
    assert!(w.emu.delete_presence_definition(&old));
    let new = w.emu.seed_presence_definition("Meal", "Lunch");
    agent_status_changed("d0", &cic_status("At Lunch", false));
    wait_idle();
    assert_eq!(presence_status("d0")["state"], "Synced");
    assert_eq!(
        w.emu.user_presence(&gids[0])["presenceDefinition"]["id"],
        new.as_str()
    );
    assert_eq!(w.emu.call_count("GET", "/api/v2/presence/definitions"), 2);
}

#[test]
fn wem_sets_and_clears_out_of_office_and_drives_on_and_off_queue() {
    let w = World::new();
    set("wem_org", "true");
    let g = presence_world(&w, "wem", 1).remove(0);
    let routing = |w: &World| {
        w.emu.routing_status(&g)["status"]
            .as_str()
            .unwrap()
            .to_string()
    };
    agent_status_changed("wem0", &cic_status("Available", true));
    wait_idle();
    assert_eq!(
        (shown(&w.emu, &g), routing(&w)),
        ("OnQueue".into(), "IDLE".into())
    );
    agent_status_changed("wem0", &cic_status("On Vacation", false));
    wait_idle();
    assert_eq!(
        (shown(&w.emu, &g), routing(&w)),
        ("Away".into(), "OFF_QUEUE".into())
    );
    let ooo = w.emu.out_of_office(&g).expect("out-of-office set");
    assert_eq!(
        (ooo["active"].as_bool(), ooo["indefinite"].as_bool()),
        (Some(true), Some(true))
    );
    agent_status_changed("wem0", &cic_status("Available", true));
    wait_idle();
    assert_eq!(w.emu.out_of_office(&g).unwrap()["active"], false);
    assert_eq!(
        (shown(&w.emu, &g), routing(&w)),
        ("OnQueue".into(), "IDLE".into())
    );
    // Not answering: the system sets NOT_RESPONDING; back to Available puts IDLE back.
    agent_status_changed("wem0", &cic_status("ACD - Agent Not Answering", false));
    wait_idle();
    w.emu.set_routing_status(&g, "NOT_RESPONDING");
    agent_status_changed("wem0", &cic_status("Available", true));
    wait_idle();
    assert_eq!(routing(&w), "IDLE");
    // Off queue without out-of-office: one routing PUT, out-of-office untouched.
    w.emu.clear_requests();
    agent_status_changed("wem0", &cic_status("At Lunch", false));
    wait_idle();
    assert_eq!(
        (shown(&w.emu, &g), routing(&w)),
        ("Meal".into(), "OFF_QUEUE".into())
    );
    assert_eq!(
        w.emu
            .call_count("PUT", "/api/v2/users/{userId}/routingstatus"),
        1
    );
    assert_eq!(
        w.emu
            .call_count("PUT", "/api/v2/users/{userId}/outofoffice"),
        0
    );
    assert_eq!(presence_status("wem0")["warnings"], serde_json::json!([]));
}

#[test]
fn a_status_before_its_user_waits_and_a_user_in_error_shows_why() {
    let w = World::new();
    presence_world(&w, "x", 0);
    agent_status_changed("late", &cic_status("At Lunch", false));
    wait_idle();
    let s = presence_status("late");
    assert_eq!(
        (s["state"].as_str(), s["reason"].as_str()),
        (Some("Not synced"), Some("waiting for user late")),
        "{s}"
    );
    assert!(w.emu.presence_writes().is_empty());
    user_changed(&cic_user("late", "Late", Some("late@example.com")));
    wait_idle();
    let gid = gc_user(&w.emu, "late@example.com")["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(shown(&w.emu, &gid), "Meal");
    assert_eq!(presence_status("late")["state"], "Synced");
    // A user that cannot sync: the presence record says so.
    user_changed(&cic_user("noemail", "No Email", None));
    wait_idle();
    agent_status_changed("noemail", &cic_status("Available", true));
    wait_idle();
    let s = presence_status("noemail");
    let reason = s["reason"].as_str().unwrap();
    assert!(
        reason.starts_with("waiting for user noemail, which is in Error: "),
        "{s}"
    );
    // The other order: the status waits first, then the user fails.
    agent_status_changed("noemail2", &cic_status("Available", true));
    wait_idle();
    assert_eq!(
        presence_status("noemail2")["reason"],
        "waiting for user noemail2"
    );
    user_changed(&cic_user("noemail2", "No Email", None));
    wait_idle();
    let s = presence_status("noemail2");
    let reason = s["reason"].as_str().unwrap();
    assert!(
        reason.starts_with("waiting for user noemail2, which is in Error: "),
        "{s}"
    );
}

#[test]
fn a_user_owned_by_another_integration_gets_a_warning_not_a_fight() {
    let w = World::new();
    let gids = presence_world(&w, "t", 1);
    w.emu.set_primary_source(&gids[0], "teams-source", true);
    agent_status_changed("t0", &cic_status("At Lunch", false));
    wait_idle();
    let s = presence_status("t0");
    assert_eq!(s["state"], "Synced");
    assert!(
        s["warnings"][0]
            .as_str()
            .unwrap()
            .contains("another integration"),
        "{s}"
    );
    let p = &w.emu.presences()[&gids[0]];
    assert_eq!(p["primarySource"]["sourceId"], "teams-source");
}

#[test]
fn a_missing_permission_is_a_distinct_error_that_is_not_retried() {
    let w = World::new();
    presence_world(&w, "p", 3);
    w.emu.set_granted_permissions(Some(vec![
        "directory:user:*".into(),
        "presence:presenceDefinition:view".into(),
        "presence:source:*".into(),
        "presence:userPrimarySource:*".into(),
    ]));
    agent_status_changed("p0", &cic_status("At Lunch", false));
    wait_idle();
    let s = presence_status("p0");
    assert_eq!(s["state"], "Error");
    assert!(
        s["reason"]
            .as_str()
            .unwrap()
            .contains("presence:userPresence:edit"),
        "{s}"
    );
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(
        w.emu
            .call_count("PATCH", "/api/v2/users/{userId}/presences/{sourceId}"),
        1
    );
    assert_eq!(presence_status("p0")["reason"], s["reason"]);
    // The bulk write: two agents while a third's write is in flight (held).
    common::holds::while_in_flight(
        &w.emu,
        "PATCH",
        "/api/v2/users/{userId}/presences/{sourceId}",
        || {
            agent_status_changed("p2", &cic_status("At Lunch", false));
        },
        || {
            agent_status_changed("p0", &cic_status("In a Meeting", false));
            agent_status_changed("p1", &cic_status("In a Meeting", false));
        },
    );
    wait_idle();
    assert_eq!(w.emu.call_count("PUT", "/api/v2/users/presences/bulk"), 1);
    for id in ["p0", "p1"] {
        let s = presence_status(id);
        let reason = s["reason"].as_str().unwrap();
        assert_eq!(s["state"], "Error");
        assert!(reason.contains("needs presence:userPresence:edit"), "{s}");
    }
    let _ = GcsyncObjectKind::AgentStatus;
}

/// The storm's lost answer: the presence source's create was applied but its answer lost (the
/// connection dropped after the write), so the retry meets the name taken (409). gcsync adopts
/// the source it made; before, the agent status ended in Error for good.
#[test]
fn a_source_whose_create_answer_was_lost_is_adopted() {
    let w = fast_world();
    let gids = presence_world(&w, "ps", 1);
    w.emu.inject(gc_emulator::InjectedFault {
        drop_connection: true,
        after_commit: true,
        ..gc_emulator::InjectedFault::new("POST", "/api/v2/presence/sources", 0)
    });
    let r = agent_status_changed("ps0", &cic_status("At Lunch", false));
    assert_eq!(r, GcsyncResult::Ok);
    assert_eq!(gcsync::ffi::gcsync_wait_settled(30_000), GcsyncResult::Ok);
    let st = presence_status("ps0");
    assert_eq!(st["state"], "Synced", "{st}");
    assert_eq!(shown(&w.emu, &gids[0]), "Meal");
    assert_eq!(calls_on(&w.emu, "POST", "/api/v2/presence/sources"), 2);
}
