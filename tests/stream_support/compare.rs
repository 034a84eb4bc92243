//! The org against what CIC holds, every kind, read from the emulator: users (one Genesys user
//! per CIC user, its state, name and phone), skills vs languages, wrap-up codes by name (no old
//! name left), queues with their direct members and codes, each user's skill and language
//! assignments with their stars, each agent's presence. Returns every problem found.

use super::plan::{email, Desired, Kind, STATUSES};
use gc_emulator::Emulator;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// `+1 317 555 0100` as Genesys stores it.
fn e164(phone: &str) -> String {
    phone
        .chars()
        .filter(|c| *c == '+' || c.is_ascii_digit())
        .collect()
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or_default()
}

/// The comparison; `problems` is empty when the org is exactly what CIC holds.
pub fn compare(emu: &Emulator, d: &Desired) -> Vec<String> {
    let mut p = Vec::new();
    let user_gid = users(emu, d, &mut p);
    let (skill_gid, lang_gid) = skills(emu, d, &mut p);
    let code_gid = codes(emu, d, &mut p);
    queues(emu, d, &user_gid, &code_gid, &mut p);
    assignments(emu, d, &user_gid, &skill_gid, &lang_gid, &mut p);
    presences(emu, d, &user_gid, &mut p);
    p
}

/// Users; returns CIC id → Genesys id of the live ones.
fn users(emu: &Emulator, d: &Desired, p: &mut Vec<String>) -> BTreeMap<String, String> {
    let org = emu.users();
    let mut gid = BTreeMap::new();
    let ever = d.ever(Kind::User);
    let known: BTreeSet<String> = ever.iter().map(|id| email(id)).collect();
    for g in &org {
        if !known.contains(&s(&g["email"]).to_lowercase()) {
            p.push(format!(
                "Genesys user {} ({}) is no CIC user's",
                g["id"], g["email"]
            ));
        }
    }
    for id in ever {
        let mail = email(id);
        let holders: Vec<&Value> = org
            .iter()
            .filter(|g| s(&g["email"]).eq_ignore_ascii_case(&mail))
            .collect();
        match &d.objects[&(Kind::User, id.to_string())] {
            Some(u) => {
                if holders.len() != 1 {
                    p.push(format!(
                        "user {id}: {} Genesys users (want 1)",
                        holders.len()
                    ));
                    continue;
                }
                let g = holders[0];
                if g["state"] != "active" {
                    p.push(format!("user {id}: Genesys user is {}", g["state"]));
                }
                if g["name"] != u["display_name"] {
                    p.push(format!(
                        "user {id}: name {}, want {}",
                        g["name"], u["display_name"]
                    ));
                }
                let work: Vec<&str> = g["addresses"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter(|c| c["mediaType"] == "PHONE" && c["type"] == "WORK")
                            .map(|c| s(&c["address"]))
                            .collect()
                    })
                    .unwrap_or_default();
                let want = e164(s(&u["business_phone"]));
                if work != [want.as_str()] {
                    p.push(format!("user {id}: WORK phone {work:?}, want {want}"));
                }
                gid.insert(id.to_string(), s(&g["id"]).to_string());
            }
            None => {
                if holders.len() > 1 {
                    p.push(format!(
                        "deleted user {id}: {} Genesys users",
                        holders.len()
                    ));
                }
                if holders.iter().any(|g| g["state"] == "active") {
                    p.push(format!(
                        "deleted user {id}: its Genesys user is still active"
                    ));
                }
            }
        }
    }
    gid
}

/// Skills and languages; returns the Genesys ids of the live skills and of the live languages
/// by CIC id.
fn skills(
    emu: &Emulator,
    d: &Desired,
    p: &mut Vec<String>,
) -> (BTreeMap<String, String>, BTreeMap<String, String>) {
    let active = |kind: &str| -> Vec<Value> {
        emu.dump(kind)
            .as_array()
            .unwrap()
            .iter()
            .filter(|x| x["state"] == "active")
            .cloned()
            .collect()
    };
    let (sk, lg) = (active("skills"), active("languages"));
    let ever = d.ever(Kind::Skill);
    for x in sk.iter().chain(&lg) {
        if !ever.contains(&s(&x["name"])) {
            p.push(format!(
                "active skill or language {} is no CIC skill",
                x["name"]
            ));
        }
    }
    let (mut skill_gid, mut lang_gid) = (BTreeMap::new(), BTreeMap::new());
    for id in ever {
        let named = |list: &[Value]| -> Vec<String> {
            list.iter()
                .filter(|x| x["name"] == id)
                .map(|x| s(&x["id"]).to_string())
                .collect()
        };
        let (ns, nl) = (named(&sk), named(&lg));
        let (want_s, want_l) = match &d.objects[&(Kind::Skill, id.to_string())] {
            Some(v) if v["treat_as_language"] == true => (0, 1),
            Some(_) => (1, 0),
            None => (0, 0),
        };
        if (ns.len(), nl.len()) != (want_s, want_l) {
            p.push(format!(
                "skill {id}: {} active skill(s) and {} language(s) of that name, want {want_s} and {want_l}",
                ns.len(),
                nl.len()
            ));
        } else if want_s == 1 {
            skill_gid.insert(id.to_string(), ns[0].clone());
        } else if want_l == 1 {
            lang_gid.insert(id.to_string(), nl[0].clone());
        }
    }
    (skill_gid, lang_gid)
}

/// Wrap-up codes by name; returns the live ones' Genesys ids by CIC id.
fn codes(emu: &Emulator, d: &Desired, p: &mut Vec<String>) -> BTreeMap<String, String> {
    let all = emu.dump("wrapupcodes");
    let all = all.as_array().unwrap();
    let mut gid = BTreeMap::new();
    let live = d.live(Kind::WrapupCode);
    if all.len() != live.len() {
        let names: Vec<&str> = all.iter().map(|c| s(&c["name"])).collect();
        p.push(format!(
            "{} wrap-up codes {names:?}, want {}",
            all.len(),
            live.len()
        ));
    }
    for (id, names) in &d.code_names {
        let now = live.get(id.as_str()).map(|v| s(&v["name"]));
        for name in names {
            let found: Vec<&Value> = all.iter().filter(|c| s(&c["name"]) == name).collect();
            let want = usize::from(Some(name.as_str()) == now);
            if found.len() != want {
                p.push(format!(
                    "code {id}: {} codes named {name:?}, want {want}",
                    found.len()
                ));
            } else if want == 1 {
                gid.insert(id.clone(), s(&found[0]["id"]).to_string());
            }
        }
    }
    gid
}

fn ids(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| a.iter().map(|x| s(x).to_string()).collect())
        .unwrap_or_default()
}

fn queues(
    emu: &Emulator,
    d: &Desired,
    user_gid: &BTreeMap<String, String>,
    code_gid: &BTreeMap<String, String>,
    p: &mut Vec<String>,
) {
    let all = emu.dump("queues");
    let all = all.as_array().unwrap();
    let live = d.live(Kind::Workgroup);
    if all.len() != live.len() {
        let names: Vec<&str> = all.iter().map(|q| s(&q["name"])).collect();
        p.push(format!(
            "{} queues {names:?}, want {}",
            all.len(),
            live.len()
        ));
    }
    for id in d.ever(Kind::Workgroup) {
        let found: Vec<&Value> = all.iter().filter(|q| q["name"] == id).collect();
        let Some(w) = live.get(id) else {
            if !found.is_empty() {
                p.push(format!(
                    "deleted workgroup {id}: {} queue(s) left",
                    found.len()
                ));
            }
            continue;
        };
        if found.len() != 1 {
            p.push(format!("workgroup {id}: {} queues (want 1)", found.len()));
            continue;
        }
        let q = found[0];
        let have: BTreeSet<String> = q["members"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["memberBy"] == "user")
            .map(|m| s(&m["id"]).to_string())
            .collect();
        let want: BTreeSet<String> = ids(&w["members"])
            .iter()
            .map(|m| {
                user_gid
                    .get(m)
                    .cloned()
                    .unwrap_or(format!("<{m} unsynced>"))
            })
            .collect();
        if have != want {
            p.push(format!("workgroup {id}: members {have:?}, want {want:?}"));
        }
        let have: BTreeSet<String> = ids(&q["wrapupCodes"]).into_iter().collect();
        let want: BTreeSet<String> = ids(&w["wrapup_codes"])
            .iter()
            .map(|c| {
                code_gid
                    .get(c)
                    .cloned()
                    .unwrap_or(format!("<{c} unsynced>"))
            })
            .collect();
        if have != want {
            p.push(format!(
                "workgroup {id}: wrap-up codes {have:?}, want {want:?}"
            ));
        }
    }
}

/// CIC skill id → proficiency: direct values win, else the highest inherited (README "Skills
/// and languages").
fn effective(user: &Value, id: &str, workgroups: &BTreeMap<&str, &Value>) -> BTreeMap<String, i64> {
    let prof = |r: &Value| r["proficiency"].as_i64().unwrap_or(1);
    let mut out: BTreeMap<String, i64> = BTreeMap::new();
    for w in workgroups.values() {
        if ids(&w["members"]).iter().any(|m| m == id) {
            for r in w["skills"].as_array().unwrap() {
                let e = out.entry(s(&r["id"]).to_string()).or_insert(0);
                *e = (*e).max(prof(r));
            }
        }
    }
    let mut direct: BTreeMap<String, i64> = BTreeMap::new();
    for r in user["skills"].as_array().unwrap() {
        let e = direct.entry(s(&r["id"]).to_string()).or_insert(0);
        *e = (*e).max(prof(r));
    }
    out.extend(direct);
    out
}

fn assignments(
    emu: &Emulator,
    d: &Desired,
    user_gid: &BTreeMap<String, String>,
    skill_gid: &BTreeMap<String, String>,
    lang_gid: &BTreeMap<String, String>,
    p: &mut Vec<String>,
) {
    let all = emu.dump("assignments");
    let workgroups = d.live(Kind::Workgroup);
    let bands = gcsync::assignments::DEFAULT_BANDS;
    for (id, u) in d.live(Kind::User) {
        let Some(gid) = user_gid.get(id) else {
            continue;
        };
        let (mut want_s, mut want_l) = (BTreeMap::new(), BTreeMap::new());
        for (skill, prof) in effective(u, id, &workgroups) {
            let stars = gcsync::assignments::stars(Some(prof), &bands).0;
            if let Some(g) = skill_gid.get(&skill) {
                want_s.insert(g.clone(), stars as i64);
            } else if let Some(g) = lang_gid.get(&skill) {
                want_l.insert(g.clone(), stars as i64);
            }
        }
        let held = |key: &str| -> BTreeMap<String, i64> {
            all[gid][key]
                .as_object()
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| (k.clone(), v.as_f64().unwrap_or(-1.0).round() as i64))
                        .collect()
                })
                .unwrap_or_default()
        };
        let (have_s, have_l) = (held("skills"), held("languages"));
        if have_s != want_s {
            p.push(format!("user {id}: skills {have_s:?}, want {want_s:?}"));
        }
        if have_l != want_l {
            p.push(format!("user {id}: languages {have_l:?}, want {want_l:?}"));
        }
    }
}

fn presences(
    emu: &Emulator,
    d: &Desired,
    user_gid: &BTreeMap<String, String>,
    p: &mut Vec<String>,
) {
    for (id, status) in &d.statuses {
        let Some(gid) = user_gid.get(id) else {
            continue;
        };
        let want = STATUSES.iter().find(|(s, _)| s == status).unwrap().1;
        let have = emu.user_presence(gid)["presenceDefinition"]["systemPresence"].clone();
        if have != want {
            p.push(format!(
                "agent {id}: presence {have}, want {want} ({status})"
            ));
        }
    }
}

/// Checks gcsync's own statuses, as `kind id status-json` reports: every live object Synced,
/// not pending and linked (a user to the Genesys user the org comparison found), every deleted
/// one removed.
pub fn check_statuses(
    d: &Desired,
    reported: &BTreeMap<(u32, String), Value>,
    user_gid: Option<&BTreeMap<String, String>>,
) -> Vec<String> {
    let mut p = Vec::new();
    let mut want: Vec<(u32, String, bool)> = d
        .objects
        .iter()
        .map(|((k, id), v)| (*k as u32, id.clone(), v.is_some()))
        .collect();
    want.extend(
        d.statuses
            .keys()
            .map(|id| (Kind::AgentStatus as u32, id.clone(), true)),
    );
    for (kind, id, live) in want {
        let Some(st) = reported.get(&(kind, id.clone())) else {
            p.push(format!("kind {kind} {id}: no status reported"));
            continue;
        };
        let ok = if live {
            st["state"] == "Synced"
                && st["pending"] == false
                && st["removed"] == false
                && st["genesys_id"].is_string()
        } else {
            st["removed"] == true && st["pending"] == false && st["state"] != "Error"
        };
        if !ok {
            p.push(format!("kind {kind} {id}: {st}"));
        }
        if let (true, 1, Some(g)) = (live, kind, user_gid) {
            if g.get(&id).map(String::as_str) != st["genesys_id"].as_str() {
                p.push(format!(
                    "user {id} is linked to {}, its Genesys user is {:?}",
                    st["genesys_id"],
                    g.get(&id)
                ));
            }
        }
    }
    p
}

/// The Genesys id of each live CIC user, from the org (for [`check_statuses`]).
pub fn user_links(emu: &Emulator, d: &Desired) -> BTreeMap<String, String> {
    users(emu, d, &mut Vec::new())
}
