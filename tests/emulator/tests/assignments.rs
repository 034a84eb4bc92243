mod common;
use common::*;
use gc_emulator::{InUse, InUsePolicy};
use serde_json::{json, Value};

fn skills_path(u: &str) -> String {
    format!("/api/v2/users/{u}/routingskills")
}

fn langs_path(u: &str) -> String {
    format!("/api/v2/users/{u}/routinglanguages")
}

fn pairs(ids: &[String], p: f64) -> Value {
    Value::Array(
        ids.iter()
            .map(|i| json!({"id": i, "proficiency": p}))
            .collect(),
    )
}

fn seed_skills(emu: &gc_emulator::Emulator, n: usize) -> Vec<String> {
    (0..n)
        .map(|i| emu.seed("skills", json!({"name": format!("Skill {i:02}")})))
        .collect()
}

#[test]
fn bulk_patch_and_put_take_at_most_50_with_proficiency_0_to_5() {
    let emu = start();
    let tok = token(&emu);
    let user = seed_users(&emu, 1).remove(0);
    let skills = seed_skills(&emu, 51);
    let bulk = format!("{}/bulk", skills_path(&user));
    for m in ["PATCH", "PUT"] {
        let r = api(&emu, &tok, m, &bulk, Some(pairs(&skills, 3.0)));
        refused(&r, 400, "bad.request", "50");
    }
    assert_eq!(emu.dump("assignments"), json!({}), "nothing applied");
    let v = ok(patch(&emu, &tok, &bulk, pairs(&skills[..50], 2.5)));
    assert_eq!(v["total"], 50);
    for bad in [5.5, -1.0] {
        let r = patch(&emu, &tok, &bulk, pairs(&skills[50..], bad));
        refused(&r, 400, "bad.request", "proficiency");
    }
    let r = patch(&emu, &tok, &bulk, json!([{"id": skills[50]}]));
    refused(&r, 400, "bad.request", "proficiency");
    let r = patch(
        &emu,
        &tok,
        &bulk,
        json!([{"id": skills[50], "proficiency": 1, "level": 2}]),
    );
    refused(&r, 400, "bad.request", "level");
    // PATCH adds and updates, never removes.
    let body = json!([{"id": skills[0], "proficiency": 5}, {"id": skills[50], "proficiency": 0}]);
    ok(patch(&emu, &tok, &bulk, body));
    let a = &emu.dump("assignments")[&user]["skills"];
    assert_eq!(a.as_object().unwrap().len(), 51);
    assert_eq!(
        (a[&skills[0]].as_f64(), a[&skills[1]].as_f64()),
        (Some(5.0), Some(2.5))
    );
    // Listing: pages of at most 50, sorted by name, with skill state and URIs.
    let p2 = ok(api(
        &emu,
        &tok,
        "GET",
        &format!("{}?pageSize=50&pageNumber=2", skills_path(&user)),
        None,
    ));
    assert_eq!(
        (p2["total"].as_u64(), p2["pageCount"].as_u64()),
        (Some(51), Some(2))
    );
    let e = &p2["entities"][0];
    assert_eq!(
        (
            e["name"].as_str(),
            e["state"].as_str(),
            e["proficiency"].as_f64()
        ),
        (Some("Skill 50"), Some("active"), Some(0.0))
    );
    assert_eq!(
        e["skillUri"],
        format!("/api/v2/routing/skills/{}", skills[50])
    );
    refused(
        &api(
            &emu,
            &tok,
            "GET",
            &format!("{}?pageSize=51", skills_path(&user)),
            None,
        ),
        400,
        "bad.request",
        "pageSize",
    );
    // PUT replaces everything; an empty PUT clears (PATCH needs at least one).
    ok(put(&emu, &tok, &bulk, pairs(&skills[..2], 4.0)));
    assert_eq!(
        emu.dump("assignments")[&user]["skills"]
            .as_object()
            .unwrap()
            .len(),
        2
    );
    refused(&patch(&emu, &tok, &bulk, json!([])), 400, "bad.request", "");
    ok(put(&emu, &tok, &bulk, json!([])));
    assert_eq!(emu.dump("assignments"), json!({}));
    assert_eq!(
        emu.call_count("PUT", "/api/v2/users/{userId}/routingskills/bulk"),
        3
    );
}

#[test]
fn unknown_deleted_or_repeated_skills_and_missing_users_are_refused() {
    let emu = start();
    let tok = token(&emu);
    let user = seed_users(&emu, 1).remove(0);
    let skills = seed_skills(&emu, 2);
    let old = emu.seed("skills", json!({"name": "Old", "state": "deleted"}));
    let bulk = format!("{}/bulk", skills_path(&user));
    for id in ["nope", old.as_str()] {
        let body = json!([{"id": skills[0], "proficiency": 1}, {"id": id, "proficiency": 1}]);
        refused(&patch(&emu, &tok, &bulk, body), 400, "bad.request", id);
    }
    let body = json!([{"id": skills[0], "proficiency": 1}, {"id": skills[0], "proficiency": 2}]);
    refused(&patch(&emu, &tok, &bulk, body), 400, "bad.request", "twice");
    assert_eq!(emu.dump("assignments"), json!({}));
    let r = patch(
        &emu,
        &tok,
        "/api/v2/users/nobody/routingskills/bulk",
        pairs(&skills, 1.0),
    );
    refused(&r, 404, "general.resource.not.found", "");
    // Single delete: 200, then 404 for a skill the user does not have.
    ok(patch(&emu, &tok, &bulk, pairs(&skills, 1.0)));
    let one = format!("{}/{}", skills_path(&user), skills[0]);
    assert_eq!(api(&emu, &tok, "DELETE", &one, None).status, 200);
    refused(
        &api(&emu, &tok, "DELETE", &one, None),
        404,
        "resource.not.found",
        "",
    );
    // A deleted user loses every assignment.
    ok(api(
        &emu,
        &tok,
        "DELETE",
        &format!("/api/v2/users/{user}"),
        None,
    ));
    assert_eq!(emu.dump("assignments"), json!({}));
    refused(
        &api(&emu, &tok, "GET", &skills_path(&user), None),
        404,
        "general.resource.not.found",
        "",
    );
}

#[test]
fn user_languages_bulk_patch_round_and_delete() {
    let emu = start();
    let tok = token(&emu);
    let user = seed_users(&emu, 1).remove(0);
    let langs: Vec<String> = (0..51)
        .map(|i| emu.seed("languages", json!({"name": format!("Lang {i:02}")})))
        .collect();
    let skill = emu.seed("skills", json!({"name": "Not a language"}));
    let bulk = format!("{}/bulk", langs_path(&user));
    refused(
        &patch(&emu, &tok, &bulk, pairs(&langs, 3.0)),
        400,
        "bad.request",
        "50",
    );
    let body = json!([{"id": skill, "proficiency": 3}]);
    refused(
        &patch(&emu, &tok, &bulk, body),
        400,
        "bad.request",
        "language",
    );
    let v = ok(patch(&emu, &tok, &bulk, pairs(&langs[..2], 2.6)));
    assert_eq!(
        v["entities"][0]["proficiency"].as_f64(),
        Some(3.0),
        "whole numbers"
    );
    assert_eq!(
        v["entities"][0]["languageUri"],
        format!("/api/v2/routing/languages/{}", langs[0])
    );
    let list = ok(api(&emu, &tok, "GET", &langs_path(&user), None));
    assert_eq!(names(&list), ["Lang 00", "Lang 01"]);
    let one = format!("{}/{}", langs_path(&user), langs[0]);
    assert_eq!(api(&emu, &tok, "DELETE", &one, None).status, 200);
    refused(
        &api(&emu, &tok, "DELETE", &one, None),
        404,
        "resource.not.found",
        "",
    );
    assert!(emu.call_count("PUT", "/api/v2/users/{userId}/routinglanguages/bulk") == 0);
    let r = put(&emu, &tok, &bulk, pairs(&langs[..1], 1.0));
    assert_eq!(r.status, 404, "no bulk PUT for languages");
}

#[test]
fn deleting_an_assigned_skill_follows_the_policy() {
    let emu = start();
    let tok = token(&emu);
    let user = seed_users(&emu, 1).remove(0);
    let skills = seed_skills(&emu, 3);
    let lang = emu.seed("languages", json!({"name": "Welsh"}));
    ok(patch(
        &emu,
        &tok,
        &format!("{}/bulk", skills_path(&user)),
        pairs(&skills, 2.0),
    ));
    ok(patch(
        &emu,
        &tok,
        &format!("{}/bulk", langs_path(&user)),
        pairs(std::slice::from_ref(&lang), 2.0),
    ));
    // Default keep: the user still lists the skill, with state deleted.
    ok(api(
        &emu,
        &tok,
        "DELETE",
        &format!("/api/v2/routing/skills/{}", skills[0]),
        None,
    ));
    let v = ok(api(&emu, &tok, "GET", &skills_path(&user), None));
    assert_eq!(v["entities"][0]["state"], "deleted");
    assert_eq!(v["total"], 3);
    // Cascade: the assignment goes with the skill.
    emu.set_in_use_policy(InUsePolicy {
        skills: InUse::Cascade,
        ..InUsePolicy::default()
    });
    ok(api(
        &emu,
        &tok,
        "DELETE",
        &format!("/api/v2/routing/skills/{}", skills[1]),
        None,
    ));
    assert_eq!(
        ok(api(&emu, &tok, "GET", &skills_path(&user), None))["total"],
        2
    );
    // Refuse (set through the control endpoint): 409 while assigned, nothing changes.
    let r = control(
        &emu,
        "POST",
        "in-use",
        Some(json!({"skills": "refuse", "languages": "refuse"})),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let r = api(
        &emu,
        &tok,
        "DELETE",
        &format!("/api/v2/routing/skills/{}", skills[2]),
        None,
    );
    refused(&r, 409, "general.conflict", "assigned to 1 user");
    let r = api(
        &emu,
        &tok,
        "DELETE",
        &format!("/api/v2/routing/languages/{lang}"),
        None,
    );
    refused(&r, 409, "general.conflict", "assigned to 1 user");
    assert_eq!(emu.dump("skills")[2]["state"], "active");
    let bad = control(&emu, "POST", "in-use", Some(json!({"skills": "sometimes"})));
    assert_eq!(bad.status, 400);
}

#[test]
fn assignment_permissions() {
    let emu = start_granting(&["routing:language:assign"]);
    let tok = token(&emu);
    let user = seed_users(&emu, 1).remove(0);
    let skill = seed_skills(&emu, 1);
    let lang = emu.seed("languages", json!({"name": "Welsh"}));
    let r = patch(
        &emu,
        &tok,
        &format!("{}/bulk", skills_path(&user)),
        pairs(&skill, 1.0),
    );
    refused(&r, 403, "missing.any.permissions", "[routing:skill:assign]");
    let r = api(
        &emu,
        &tok,
        "DELETE",
        &format!("{}/{}", skills_path(&user), skill[0]),
        None,
    );
    refused(&r, 403, "missing.permissions", "[routing:skill:assign]");
    ok(patch(
        &emu,
        &tok,
        &format!("{}/bulk", langs_path(&user)),
        pairs(&[lang], 1.0),
    ));
    ok(api(&emu, &tok, "GET", &skills_path(&user), None));
}
