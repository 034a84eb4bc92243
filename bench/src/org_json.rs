//! The whole reference org as CIC hands it to gcsync: skills (`treat_as_language`), wrap-up
//! codes, users with their direct skills, workgroups with members, skills and wrap-up codes
//! (the JSON of the README's object kinds), and each user's effective skills (direct plus
//! inherited from its workgroups), split into skills and languages, which the floor counts.
//!
//! Proficiencies are a pure function of the indexes (no draw from the generator's stream, so
//! the org's other figures stay as they were).

use crate::org::{RefOrg, User, Workgroup};
use serde_json::{json, Value};
use std::collections::BTreeSet;

/// A CIC proficiency 1-100 for the `a`-th holder of skill `b`.
pub fn proficiency(a: usize, b: usize) -> u64 {
    1 + ((a * 7_919 + b * 104_729) % 100) as u64
}

/// The CIC id of the `i`-th wrap-up code.
pub fn code_id(i: usize) -> String {
    format!("wc{i}")
}

/// Skill `i` as `gcsync_on_object_changed(GCSYNC_OBJECT_KIND_SKILL, …)` takes it.
pub fn skill_json(org: &RefOrg, i: usize) -> String {
    let s = &org.skills[i];
    json!({"id": s.name, "treat_as_language": s.language}).to_string()
}

/// Wrap-up code `i`.
pub fn code_json(org: &RefOrg, i: usize) -> String {
    json!({"id": code_id(i), "name": org.wrapup_codes[i]}).to_string()
}

/// User `i` with its direct skills (`skills`: CIC skill id and proficiency).
pub fn user_value(org: &RefOrg, u: &User, i: usize) -> Value {
    let mut v = u.cic_json();
    if !u.skills.is_empty() {
        v["skills"] = u
            .skills
            .iter()
            .map(|s| json!({"id": org.skills[*s].name, "proficiency": proficiency(i, *s)}))
            .collect();
    }
    v
}

/// Workgroup `i`: members by CIC user id, skills with proficiency, wrap-up codes by CIC id.
pub fn workgroup_json(org: &RefOrg, w: &Workgroup, i: usize) -> String {
    let members: Vec<&str> = w
        .members
        .iter()
        .map(|m| org.users[*m].id.as_str())
        .collect();
    let skills: Vec<Value> = w
        .skills
        .iter()
        .map(|s| json!({"id": org.skills[*s].name, "proficiency": proficiency(10_000 + i, *s)}))
        .collect();
    let codes: Vec<String> = w.wrapup_codes.iter().map(|c| code_id(*c)).collect();
    json!({"id": w.name, "members": members, "skills": skills, "wrapup_codes": codes}).to_string()
}

/// Per user, its effective skills: (ACD skills, languages), direct and inherited together.
pub fn effective_counts(org: &RefOrg) -> Vec<(usize, usize)> {
    let mut eff: Vec<BTreeSet<usize>> = org
        .users
        .iter()
        .map(|u| u.skills.iter().copied().collect())
        .collect();
    for w in &org.workgroups {
        for m in &w.members {
            eff[*m].extend(w.skills.iter().copied());
        }
    }
    eff.iter()
        .map(|set| {
            let langs = set.iter().filter(|s| org.skills[**s].language).count();
            (set.len() - langs, langs)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::org::{generate, Sizes, SEED};

    #[test]
    fn effective_skills_join_direct_and_inherited_without_counting_one_twice() {
        let mut org = generate(SEED, Sizes::with_users(50));
        org.users[0].skills = vec![0, 40];
        org.workgroups.truncate(2);
        org.workgroups[0].members = vec![0, 1];
        org.workgroups[0].skills = vec![40, 41];
        org.workgroups[1].members = vec![0];
        org.workgroups[1].skills = vec![1, 41];
        org.users[1].skills = vec![];
        let c = effective_counts(&org);
        // User 0: skills 40, 41 and languages 0, 1 (the first 30 skills are languages).
        assert_eq!(c[0], (2, 2));
        assert_eq!(c[1], (2, 0));
        let v: Value = serde_json::from_str(&workgroup_json(&org, &org.workgroups[0], 0)).unwrap();
        assert_eq!(v["members"], json!([org.users[0].id, org.users[1].id]));
        assert_eq!(v["skills"][0]["id"], "Skill 040");
        let u = user_value(&org, &org.users[0], 0);
        assert_eq!(u["skills"][1]["id"], "Skill 040");
        assert!((1..=100).contains(&u["skills"][0]["proficiency"].as_u64().unwrap()));
    }
}
