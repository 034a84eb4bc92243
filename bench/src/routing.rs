//! Workgroups → queues and wrap-up codes (issue 8, queue half): the API calls of the initial
//! sync of the reference org's workgroups and wrap-up codes (after its users), counted from the
//! emulator's request log, against the floor the bulk limits allow, and the calls of an
//! unchanged pass.
//!
//! Floor = C + W + Σ_w ⌈m_w / 100⌉ + Σ_w ⌈c_w / 100⌉: one create per wrap-up code (C) and per
//! queue (W; there is no bulk create), member additions 100 a call, queue wrap-up codes 100 a
//! call (m_w, c_w: members and codes of workgroup w; a term is 0 when the set is empty). A new
//! queue holds nothing, so no read is needed.

use crate::child::{emit, wait_for_parent, Proc};
use crate::host;
use crate::org::{self, Sizes, SEED};
use crate::report::{Report, Target};
use gc_emulator::Emulator;
use gcsync::object::GcsyncObjectKind;
use serde_json::{json, Value};
use std::path::Path;
use std::time::Duration;

fn workgroup_json(org: &org::RefOrg, w: &org::Workgroup, reversed: bool) -> String {
    let mut members: Vec<&str> = w
        .members
        .iter()
        .map(|m| org.users[*m].id.as_str())
        .collect();
    if reversed {
        members.reverse();
    }
    let codes: Vec<String> = w.wrapup_codes.iter().map(|c| format!("wc{c}")).collect();
    json!({"id": w.name, "members": members, "wrapup_codes": codes}).to_string()
}

/// Child: users first, then (on the parent's word) wrap-up codes and workgroups, then (again)
/// the workgroups once more with their members in another order.
pub fn child(p: &Value) {
    let n = p["users"].as_u64().unwrap() as usize;
    let org = org::generate(SEED, Sizes::with_users(n));
    host::configure(p["url"].as_str().unwrap(), p["dir"].as_str().unwrap());
    host::set("sync_advanced_platform_objects", "true");
    host::init();
    for u in &org.users {
        host::user_changed(&u.cic_json().to_string());
    }
    emit(json!({"settled": host::settle(Duration::from_secs(4 * 3600))}));
    wait_for_parent();
    for (i, name) in org.wrapup_codes.iter().enumerate() {
        let j = json!({"id": format!("wc{i}"), "name": name}).to_string();
        host::object_changed(GcsyncObjectKind::WrapupCode, &j);
    }
    for w in &org.workgroups {
        host::object_changed(GcsyncObjectKind::Workgroup, &workgroup_json(&org, w, false));
    }
    let settled = host::settle(Duration::from_secs(4 * 3600));
    emit(json!({"settled": settled, "kinds": host::overview()["kinds"]}));
    wait_for_parent();
    for w in &org.workgroups {
        host::object_changed(GcsyncObjectKind::Workgroup, &workgroup_json(&org, w, true));
    }
    emit(json!({"settled": host::settle(Duration::from_secs(3600))}));
    host::shutdown(Duration::from_secs(60));
}

/// Parent: runs the child against `emu` and prints the call counts beside the floor.
pub fn run(r: &mut Report, emu: &Emulator, dir: &Path, n: usize) {
    let org = org::generate(SEED, Sizes::with_users(n));
    r.section(&format!(
        "workgroups and wrap-up codes of the {n}-user reference org ({} workgroups, {} codes)",
        org.workgroups.len(),
        org.wrapup_codes.len()
    ));
    let day = Duration::from_secs(4 * 3600);
    let mut c = Proc::spawn(
        "routing",
        &json!({"url": emu.base_url(), "dir": dir, "users": n}),
    );
    let users = c.next(day);
    emu.clear_requests();
    c.send("go");
    let done = c.next(day);
    let calls = emu.requests().len();
    let per_100 = |k: usize| k.div_ceil(100);
    let floor = org.wrapup_codes.len()
        + org.workgroups.len()
        + org
            .workgroups
            .iter()
            .map(|w| per_100(w.members.len()) + per_100(w.wrapup_codes.len()))
            .sum::<usize>();
    let kinds = &done["kinds"];
    let synced = kinds["workgroup"]["synced"].as_u64().unwrap_or(0) as usize
        + kinds["wrapup_code"]["synced"].as_u64().unwrap_or(0) as usize;
    let want = org.workgroups.len() + org.wrapup_codes.len();
    r.check(
        "every workgroup and wrap-up code Synced",
        users["settled"] == true && done["settled"] == true && synced == want,
        &format!("{synced} of {want}"),
    );
    r.figure(
        "initial sync API calls / floor",
        calls as f64 / floor as f64,
        "×",
        Target::AtMost(1.05),
        &format!("{calls} calls; floor C + W + Σ⌈m/100⌉ + Σ⌈c/100⌉ = {floor}"),
    );
    emu.clear_requests();
    c.send("go");
    let again = c.next(day);
    let calls = emu.requests().len();
    r.check(
        "unchanged workgroups settled",
        again["settled"] == true,
        "members sent in another order",
    );
    r.figure(
        "API calls for an unchanged pass over every workgroup",
        calls as f64,
        "calls",
        Target::AtMost(0.0),
        "",
    );
    c.finish();
}
