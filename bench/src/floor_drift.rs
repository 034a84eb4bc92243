//! The Force Complete Sync of every kind in the `floor` section: the snapshot's parts as the
//! host sends them (skills, wrap-up codes, users, workgroups), and the 1 % drift applied directly
//! to the emulator's org across kinds through its drift endpoints: users' names, users losing a
//! direct skill or language, queues losing a member and a wrap-up code, a code renamed. Then
//! whether the run put everything back, and the work it needed (`floor_calc::Work`).

use crate::floor_calc::Work;
use crate::org::RefOrg;
use crate::org_json::{code_json, skill_json, workgroup_json};
use gc_emulator::Emulator;
use gcsync::object::GcsyncObjectKind;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

/// Every kind of the reference org as a Force Complete Sync snapshot; `users` as CIC sends
/// them now.
pub fn parts(org: &RefOrg, users: Vec<Value>) -> Vec<(GcsyncObjectKind, Vec<Value>)> {
    let parse = |s: String| serde_json::from_str::<Value>(&s).expect("object JSON");
    vec![
        (
            GcsyncObjectKind::Skill,
            (0..org.skills.len())
                .map(|i| parse(skill_json(org, i)))
                .collect(),
        ),
        (
            GcsyncObjectKind::WrapupCode,
            (0..org.wrapup_codes.len())
                .map(|i| parse(code_json(org, i)))
                .collect(),
        ),
        (GcsyncObjectKind::User, users),
        (
            GcsyncObjectKind::Workgroup,
            org.workgroups
                .iter()
                .enumerate()
                .map(|(i, w)| parse(workgroup_json(org, w, i)))
                .collect(),
        ),
    ]
}

/// What was drifted: user indexes renamed, (user, skill) assignments removed, (workgroup,
/// member user, code) removed from queues, the code renamed.
#[derive(Debug, Default)]
pub struct Drift {
    pub renamed_users: Vec<(usize, String)>,
    pub lost_skills: Vec<(usize, usize)>,
    pub queues: Vec<(usize, usize, usize)>,
    pub code: usize,
}

/// Ids in the org by name.
fn ids(emu: &Emulator, kind: &str) -> BTreeMap<String, String> {
    let all = emu.dump(kind);
    all.as_array()
        .into_iter()
        .flatten()
        .filter(|o| o["state"] != "deleted")
        .map(|o| {
            (
                o["name"].as_str().unwrap_or("").into(),
                o["id"].as_str().unwrap_or("").into(),
            )
        })
        .collect()
}

fn user_id(emu: &Emulator, org: &RefOrg, i: usize) -> String {
    let u = emu.user_by_email(&org.users[i].email).expect("synced user");
    u["id"].as_str().unwrap().to_string()
}

/// Applies 1 % drift of each kind to the org (`renamed`: the users' drift of `org.drift`).
pub fn apply(emu: &Emulator, org: &RefOrg, renamed: Vec<(usize, String)>) -> Drift {
    let n = org.users.len();
    for (i, name) in &renamed {
        emu.drift_user_name(&user_id(emu, org, *i), name);
    }
    let (skills, langs) = (ids(emu, "skills"), ids(emu, "languages"));
    let skip: BTreeSet<usize> = renamed.iter().map(|r| r.0).collect();
    let eligible: Vec<usize> = (0..n)
        .filter(|i| !skip.contains(i) && !org.users[*i].skills.is_empty())
        .collect();
    let want = n.div_ceil(100);
    let step = (eligible.len() / want).max(1);
    let mut lost = Vec::new();
    for &i in eligible.iter().step_by(step).take(want) {
        let s = org.users[i].skills[0];
        let sk = &org.skills[s];
        let (op, id) = if sk.language {
            ("remove_language", &langs[&sk.name])
        } else {
            ("remove_skill", &skills[&sk.name])
        };
        emu.drift(json!({"op": op, "userId": user_id(emu, org, i), "id": id}));
        lost.push((i, s));
    }
    let (queues, codes) = (ids(emu, "queues"), ids(emu, "wrapupcodes"));
    let groups = org.workgroups.len();
    let mut drifted = Vec::new();
    for g in (0..groups).step_by(100).take(groups.div_ceil(100)) {
        let w = &org.workgroups[g];
        let (Some(&m), Some(&c)) = (w.members.first(), w.wrapup_codes.first()) else {
            continue;
        };
        let q = &queues[&w.name];
        emu.drift(json!({"op": "remove_member", "queueId": q, "userId": user_id(emu, org, m)}));
        let code = &codes[&org.wrapup_codes[c]];
        emu.drift(json!({"op": "remove_queue_wrapup", "queueId": q, "codeId": code}));
        drifted.push((g, m, c));
    }
    let code = org.wrapup_codes.len() - 1;
    let id = &codes[&org.wrapup_codes[code]];
    emu.drift(json!({"op": "rename", "kind": "wrapupcode", "id": id, "name": "Edited in Genesys"}));
    Drift {
        renamed_users: renamed,
        lost_skills: lost,
        queues: drifted,
        code,
    }
}

impl Drift {
    /// The writes the repair needs: a PATCH per renamed user, an assignment bulk per user that
    /// lost a skill or language, a member and a code bulk per drifted queue, a code PUT.
    pub fn work(&self, org: &RefOrg, base: Work) -> Work {
        Work {
            users_patched: self.renamed_users.len(),
            assignments: self
                .lost_skills
                .iter()
                .map(|(_, s)| {
                    (
                        !org.skills[*s].language as usize,
                        org.skills[*s].language as usize,
                    )
                })
                .collect(),
            queue_sets: self.queues.iter().map(|_| (1, 1)).collect(),
            codes_renamed: 1,
            ..base
        }
    }

    /// Writes of [`Drift::work`]: one per renamed user and per user that lost an assignment, two
    /// per drifted queue (its members and its codes), one for the code.
    pub fn writes(&self) -> usize {
        self.renamed_users.len() + self.lost_skills.len() + 2 * self.queues.len() + 1
    }

    /// How many drifted objects the org holds as the snapshot wants again, of how many.
    pub fn repaired(&self, emu: &Emulator, org: &RefOrg) -> (usize, usize) {
        let mut ok = 0;
        for (i, _) in &self.renamed_users {
            let u = emu.user_by_email(&org.users[*i].email).unwrap();
            ok += (u["name"] == org.users[*i].display_name.as_str()) as usize;
        }
        let a = emu.dump("assignments");
        let (skills, langs) = (ids(emu, "skills"), ids(emu, "languages"));
        for (i, s) in &self.lost_skills {
            let sk = &org.skills[*s];
            let (key, id) = if sk.language {
                ("languages", &langs[&sk.name])
            } else {
                ("skills", &skills[&sk.name])
            };
            ok += !a[user_id(emu, org, *i)][key][id].is_null() as usize;
        }
        let codes = ids(emu, "wrapupcodes");
        let queues = emu.dump("queues");
        for (g, m, c) in &self.queues {
            let w = &org.workgroups[*g];
            let q = queues
                .as_array()
                .unwrap()
                .iter()
                .find(|q| q["name"] == w.name.as_str());
            let Some(q) = q else { continue };
            let member = user_id(emu, org, *m);
            let has_m = q["members"]
                .as_array()
                .unwrap()
                .iter()
                .any(|x| x["id"] == member.as_str());
            let code = codes
                .get(&org.wrapup_codes[*c])
                .cloned()
                .unwrap_or_default();
            let has_c = q["wrapupCodes"].as_array().unwrap().contains(&json!(code));
            ok += (has_m && has_c) as usize;
        }
        ok += codes.contains_key(&org.wrapup_codes[self.code]) as usize;
        let total = self.renamed_users.len() + self.lost_skills.len() + self.queues.len() + 1;
        (ok, total)
    }
}
