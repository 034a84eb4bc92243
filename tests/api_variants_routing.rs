//! Documented variants of the answers to writes, played by the emulator's scripted faults
//! against real objects (API-FACTS leaves them open, our emulator answers the other way): the
//! other conflict form for a taken name (409 where SPEC2018 gives 400 `duplicate.name`, and the
//! reverse; §8 "current codes may differ"), a 404 that names an item of a bulk call rather than
//! its queue, a create whose answer was lost. gcsync must adopt what exists, never create a
//! second object, and end Synced only when it is.

mod common;

use common::routing::{add_user, advanced_world, code, codes_named, workgroup};
use common::*;
use gc_emulator::InjectedFault;
use gcsync::object::GcsyncObjectKind::{Skill, Workgroup, WrapupCode};
use serde_json::json;

fn conflict(route: &str, status: u16, code: &str) -> InjectedFault {
    InjectedFault {
        method: "POST".into(),
        route: route.into(),
        status,
        code: code.into(),
        count: 1,
        ..Default::default()
    }
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
