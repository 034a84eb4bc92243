//! Documented variants of the answers to writes, played by the emulator's scripted faults
//! against real objects (API-FACTS leaves them open, our emulator answers the other way): the
//! other conflict form for a taken name (409 where SPEC2018 gives 400 `duplicate.name`, and the
//! reverse; §8 "current codes may differ"), a 404 that names an item of a bulk call rather than
//! its queue, a create whose answer was lost. gcsync must adopt what exists, never create a
//! second object, and end Synced only when it is.

mod common;

use common::routing::{add_user, advanced_world, code, codes_named, gid, workgroup};
use common::*;
use gc_emulator::InjectedFault;
use gcsync::object::GcsyncObjectKind::{Skill, Workgroup, WrapupCode};
use serde_json::json;

/// The next `count` requests `method route` are answered `status` `code`.
fn fault(method: &str, route: &str, status: u16, code: &str, count: u32) -> InjectedFault {
    InjectedFault {
        method: method.into(),
        route: route.into(),
        status,
        code: code.into(),
        count,
        ..Default::default()
    }
}

fn conflict(route: &str, status: u16, code: &str) -> InjectedFault {
    fault("POST", route, status, code, 1)
}

/// The users and the route of a workgroup's member calls.
fn two_users() -> (common::World, &'static str) {
    let w = advanced_world();
    add_user("u1");
    add_user("u2");
    wait_idle();
    (w, "/api/v2/routing/queues/{queueId}/members")
}

#[test]
fn a_queue_name_taken_answered_409_is_adopted() {
    let w = advanced_world();
    let seeded = w.emu.seed("queues", json!({"name": "Returns"}));
    w.emu
        .inject(conflict("/api/v2/routing/queues", 409, "general.conflict"));
    add_user("u1");
    workgroup("Returns", &["u1"], &[]);
    wait_idle();
    let s = status_of(Workgroup, "Returns");
    assert_eq!(s["state"], "Synced", "{s}");
    assert_eq!(s["genesys_id"], seeded.as_str());
    assert_eq!(w.emu.dump("queues").as_array().unwrap().len(), 1);
}

#[test]
fn a_wrapup_code_name_taken_answered_409_is_adopted() {
    let w = advanced_world();
    let seeded = w.emu.seed("wrapupcodes", json!({"name": "Refund"}));
    w.emu.inject(conflict(
        "/api/v2/routing/wrapupcodes",
        409,
        "general.conflict",
    ));
    code("W1", "Refund");
    wait_idle();
    let s = status_of(WrapupCode, "W1");
    assert_eq!(s["state"], "Synced", "{s}");
    assert_eq!(s["genesys_id"], seeded.as_str());
    assert_eq!(codes_named(&w.emu, "Refund").len(), 1);
}

#[test]
fn a_skill_name_taken_answered_400_duplicate_name_is_adopted() {
    let w = common::skills::world();
    let seeded = w.emu.seed("skills", json!({"name": "Billing"}));
    w.emu
        .inject(conflict("/api/v2/routing/skills", 400, "duplicate.name"));
    common::skills::skill("Billing", false);
    wait_idle();
    let s = status_of(Skill, "Billing");
    assert_eq!(s["state"], "Synced", "{s}");
    assert_eq!(s["genesys_id"], seeded.as_str());
    assert_eq!(common::skills::names(&w, "skills"), ["Billing"]);
}

#[test]
fn a_404_on_a_member_add_while_the_queue_exists_refuses_the_member_not_the_queue() {
    // Whether adding a user that no longer exists answers 400 or 404 is not documented: a 404
    // from `POST …/members` must not be taken for the queue being gone (which would re-create
    // it, adopt it as someone else's and loop).
    let (w, members) = two_users();
    w.emu
        .inject(fault("POST", members, 404, "general.resource.not.found", 2));
    workgroup("Sales", &["u1", "u2"], &[]);
    wait_idle();
    // Both 404 → the queue is read, it exists → split (in Genesys id order): the first member
    // 404 (refused, named), the other added.
    let (refused, added) = match gid("u1") < gid("u2") {
        true => ("u1", "u2"),
        false => ("u2", "u1"),
    };
    let s = status_of(Workgroup, "Sales");
    assert_eq!(s["state"], "Error", "{s}");
    let reason = s["reason"].as_str().unwrap();
    assert!(
        reason.contains(&format!("member {refused} could not be added")),
        "{s}"
    );
    assert_eq!(w.emu.call_count("POST", "/api/v2/routing/queues"), 1);
    assert_eq!(
        w.emu.call_count("GET", "/api/v2/routing/queues/{queueId}"),
        1
    );
    let q = common::routing::queue(&w.emu, "Sales");
    assert_eq!(
        common::routing::member_ids(&q, "user"),
        common::routing::gids(&[added])
    );
    // The next change of the workgroup adds u1 (and the new u3) to the same queue.
    add_user("u3");
    wait_idle();
    workgroup("Sales", &["u1", "u2", "u3"], &[]);
    wait_idle();
    let s = status_of(Workgroup, "Sales");
    assert_eq!(s["state"], "Synced", "{s}");
    assert_eq!(w.emu.dump("queues").as_array().unwrap().len(), 1);
    let q = common::routing::queue(&w.emu, "Sales");
    assert_eq!(
        common::routing::member_ids(&q, "user"),
        common::routing::gids(&["u1", "u2", "u3"])
    );
}

#[test]
fn gcsyncs_presence_source_created_by_a_post_whose_answer_was_lost_is_found_again() {
    // The POST commits but its answer is a 503; the client's retry then finds the name taken.
    let w = World::new();
    w.emu.inject(InjectedFault {
        method: "POST".into(),
        route: "/api/v2/presence/sources".into(),
        status: 503,
        after_commit: true,
        count: 1,
        ..Default::default()
    });
    presence_world(&w, "agent", 1);
    assert_eq!(
        agent_status_changed("agent0", &cic_status("Available", true)),
        gcsync::result::GcsyncResult::Ok
    );
    wait_idle();
    let s = presence_status("agent0");
    assert_eq!(s["state"], "Synced", "{s}");
    assert_eq!(w.emu.call_count("POST", "/api/v2/presence/sources"), 2);
    assert_eq!(
        w.emu.call_count("GET", "/api/v2/presence/sources"),
        2,
        "read, then read again after the conflict"
    );
}

#[test]
fn a_404_on_a_bulk_skill_assignment_while_the_user_exists_refuses_the_skill_not_the_user() {
    // Whether assigning a skill that no longer exists answers 400 or 404 is not documented.
    let w = common::skills::world();
    common::skills::skill_named("Billing");
    common::skills::skill_named("Sales");
    wait_idle();
    let bulk = "/api/v2/users/{userId}/routingskills/bulk";
    w.emu
        .inject(fault("PATCH", bulk, 404, "resource.not.found", 2));
    common::skills::user(
        "ann",
        json!([{"id": "Billing", "proficiency": 70}, {"id": "Sales", "proficiency": 70}]),
    );
    wait_idle();
    // Both 404 → the user is read, it exists → split (in Genesys id order): the first skill
    // 404 (a warning naming it), the other assigned.
    let (billing, sales) = (common::skills::gid("Billing"), common::skills::gid("Sales"));
    let (refused, assigned) = match billing < sales {
        true => ("Billing", sales),
        false => ("Sales", billing),
    };
    let s = status("ann");
    assert_eq!(s["state"], "Synced", "{s}");
    let warnings = s["warnings"].to_string();
    assert!(
        warnings.contains(&format!("skill {refused}: not assigned")),
        "{s}"
    );
    let (skills, _) = common::skills::held(&w, "ann");
    assert_eq!(skills, json!({assigned: 4.0}));
    assert_eq!(w.emu.call_count("GET", "/api/v2/users/{userId}"), 1);
}

#[test]
fn members_added_by_a_post_whose_answer_was_lost_are_not_refused_on_the_retry() {
    // The first POST commits and its answer is lost; a server that refuses re-adding a member
    // (UNCONFIRMED either way, API-FACTS §8) answers 409 to the client's retry and to each
    // half of it. The queue holds both: the workgroup is Synced.
    let (w, members) = two_users();
    w.emu.inject(InjectedFault {
        method: "POST".into(),
        route: members.into(),
        drop_connection: true,
        after_commit: true,
        count: 1,
        ..Default::default()
    });
    w.emu
        .inject(fault("POST", members, 409, "general.conflict", 3));
    workgroup("Sales", &["u1", "u2"], &[]);
    wait_idle();
    let s = status_of(Workgroup, "Sales");
    assert_eq!(s["state"], "Synced", "{s}");
    assert_eq!(
        w.emu.call_count("POST", members),
        4,
        "sent, retried, then each half"
    );
    assert_eq!(w.emu.call_count("GET", members), 1, "read once to confirm");
    let q = common::routing::queue(&w.emu, "Sales");
    assert_eq!(
        common::routing::member_ids(&q, "user"),
        common::routing::gids(&["u1", "u2"])
    );
}
