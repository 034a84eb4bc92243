//! Tests of the skill kind: effective skills, accepted grants, re-queued users.

use super::*;
use crate::kinds::CicObject;
use crate::queue::{Change, WorkQueue};
use std::sync::Arc;

fn shared() -> Shared {
    let (tx, _rx) = crossbeam_channel::unbounded();
    Shared::for_tests(WorkQueue::new(100, 0), tx)
}

#[test]
fn requeue_users_for_skills_queues_known_users_again_even_when_unchanged() {
    let sh = shared();
    let user = crate::cic::parse_user(r#"{"id":"a","business_email":"a@example.com"}"#);
    let object = CicObject::User(user.unwrap());
    let a = ObjectKey::user("a");
    sh.objects
        .update(&a, |r| r.source = Some(Arc::new(object.clone())));
    sh.objects
        .update(&ObjectKey::user("gone"), |r| r.source = None);
    // The same change was accepted and processed already: a plain enqueue would drop it.
    let change = Change::Upsert {
        object,
        force: false,
    };
    sh.queue
        .enqueue(a.clone(), change.clone(), Priority::Normal)
        .unwrap();
    let (k, _) = sh.queue.next(0, std::time::Duration::from_secs(1)).unwrap();
    sh.queue.finish(&k, true);
    assert!(!sh
        .queue
        .enqueue(a.clone(), change, Priority::Normal)
        .unwrap());
    assert!(!sh.queue.is_pending(&a));
    let ids = ["a", "gone", "unknown"].map(String::from);
    requeue_users_for_skills(&sh, &ids);
    assert!(sh.queue.is_pending(&a));
    assert!(!sh.queue.is_pending(&ObjectKey::user("gone")));
    assert!(!sh.queue.is_pending(&ObjectKey::user("unknown")));
}

#[test]
fn accepted_grants_win_until_processed_and_a_stale_note_goes() {
    let sh = shared();
    let wg = |skill: &str| {
        let json = format!(
            r#"{{"id":"W","members":["ann"],"skills":[{{"id":"{skill}","proficiency":50}}]}}"#
        );
        CicObject::parse(GcsyncObjectKind::Workgroup, &json).unwrap()
    };
    let w = ObjectKey {
        kind: GcsyncObjectKind::Workgroup,
        id: "W".into(),
    };
    let (a, b) = (wg("A"), wg("B"));
    let table = |o: &CicObject| {
        sh.objects
            .update(&w, |r| r.source = Some(Arc::new(o.clone())))
    };
    table(&a);
    assert_eq!(inherited(&sh, "ann"), vec![vec![sr("A", 50)]]);
    assert_eq!(inherited(&sh, "bob"), Vec::<Vec<SkillRef>>::new());
    // B accepted, not processed: it wins over the table's A.
    let change = Change::Upsert {
        object: b.clone(),
        force: false,
    };
    sh.queue
        .enqueue(w.clone(), change, Priority::Normal)
        .unwrap();
    grants_accepted(&sh, &w, Some(&b));
    assert_eq!(inherited(&sh, "ann"), vec![vec![sr("B", 50)]]);
    // An older change processed while B waits: B's note stays.
    grants_processed(&sh, &w, Some(&a));
    assert_eq!(inherited(&sh, "ann"), vec![vec![sr("B", 50)]]);
    // B taken and processed: the table holds it and the note goes.
    let (k, _) = sh.queue.next(0, std::time::Duration::from_secs(1)).unwrap();
    table(&b);
    grants_processed(&sh, &k, Some(&b));
    assert!(sh.accepted_grants.read().unwrap().is_empty());
    // A deletion accepted: W gives nothing any more.
    grants_accepted(&sh, &w, None);
    assert_eq!(inherited(&sh, "ann"), Vec::<Vec<SkillRef>>::new());
    // A note left by a hook that raced the worker goes with the next change processed
    // while nothing of W waits, whatever it holds.
    grants_accepted(&sh, &w, Some(&a));
    grants_processed(&sh, &w, Some(&b));
    assert!(sh.accepted_grants.read().unwrap().is_empty());
}

/// Workgroup W with `members` and `skills` (JSON list items).
fn wg(members: &str, skills: &str) -> CicObject {
    let json = format!(r#"{{"id":"W","members":[{members}],"skills":[{skills}]}}"#);
    CicObject::parse(GcsyncObjectKind::Workgroup, &json).unwrap()
}

fn w_key() -> ObjectKey {
    ObjectKey {
        kind: GcsyncObjectKind::Workgroup,
        id: "W".into(),
    }
}

#[test]
fn members_of_a_version_replaced_before_it_was_processed_are_handed_to_the_worker() {
    let sh = shared();
    let (w, k) = (w_key(), r#"{"id":"K","proficiency":50}"#);
    // v1 (ann, bob with K) accepted: a user may be given K from it before W is processed.
    grants_accepted(&sh, &w, Some(&wg(r#""ann","bob""#, k)));
    assert!(
        take_superseded_grantees(&sh, &w).is_empty(),
        "nothing replaced yet"
    );
    // v2 (cat, no skills) replaces it unprocessed: ann and bob must be looked at again.
    grants_accepted(&sh, &w, Some(&wg(r#""cat""#, "")));
    // v3 replaces v2, which granted nothing: nobody more.
    grants_accepted(&sh, &w, Some(&wg(r#""dan""#, "")));
    assert_eq!(take_superseded_grantees(&sh, &w), ["ann", "bob"]);
    assert!(take_superseded_grantees(&sh, &w).is_empty(), "taken once");
    // A note left by a version the worker had processed already (the hook noted it after
    // the worker took it) is not a replaced version: nobody is handed over.
    let v4 = wg(r#""eve""#, k);
    sh.objects
        .update(&w, |r| r.source = Some(Arc::new(v4.clone())));
    grants_accepted(&sh, &w, Some(&v4));
    grants_accepted(&sh, &w, Some(&wg(r#""fay""#, "")));
    assert!(take_superseded_grantees(&sh, &w).is_empty());
}

#[test]
fn members_of_a_version_given_up_are_handed_to_the_worker() {
    let sh = shared();
    let (w, k) = (w_key(), r#"{"id":"K","proficiency":50}"#);
    // A version granting nothing hands nobody over.
    grants_given_up(&sh, &w, &wg(r#""ann""#, ""));
    assert!(take_superseded_grantees(&sh, &w).is_empty());
    grants_given_up(&sh, &w, &wg(r#""ann","bob""#, k));
    assert_eq!(take_superseded_grantees(&sh, &w), ["ann", "bob"]);
    // Another kind grants nothing.
    let user = ObjectKey::user("ann");
    grants_given_up(&sh, &user, &wg(r#""cat""#, k));
    assert!(take_superseded_grantees(&sh, &user).is_empty());
}

#[test]
fn an_accepted_version_granting_other_skills_than_the_processed_one_is_named() {
    let sh = shared();
    let (w, k) = (w_key(), r#"{"id":"K","proficiency":50}"#);
    let noted = |user: &str| inherited_noting(&sh, user).1;
    // Processed: ann has K from W; nothing accepted.
    let v1 = wg(r#""ann""#, k);
    sh.objects
        .update(&w, |r| r.source = Some(Arc::new(v1.clone())));
    assert!(noted("ann").is_empty());
    // The same grant accepted again (a rename, say): nothing to name.
    grants_accepted(&sh, &w, Some(&wg(r#""ann""#, k)));
    assert!(noted("ann").is_empty());
    // Bob joins in an accepted version: bob's grant comes from it alone; ann's is the same.
    grants_accepted(&sh, &w, Some(&wg(r#""ann","bob""#, k)));
    assert_eq!(noted("bob"), ["W"]);
    assert!(noted("ann").is_empty());
    // Another proficiency: every member's grant differs from the processed one.
    let k90 = r#"{"id":"K","proficiency":90}"#;
    grants_accepted(&sh, &w, Some(&wg(r#""ann","bob""#, k90)));
    assert_eq!(noted("ann"), ["W"]);
    assert_eq!(inherited(&sh, "ann"), vec![vec![sr("K", 90)]]);
    // A member left out of the accepted version inherits nothing from it: nothing named.
    grants_accepted(&sh, &w, Some(&wg(r#""bob""#, k90)));
    assert!(noted("ann").is_empty());
    assert!(noted("cat").is_empty());
}

#[test]
fn a_version_taken_and_not_ended_or_given_up_is_named_while_the_table_holds_it() {
    let sh = shared();
    let (w, k) = (w_key(), r#"{"id":"K","proficiency":50}"#);
    let noted = |user: &str| inherited_noting(&sh, user).1;
    let (v0, v1) = (Arc::new(wg(r#""bob""#, k)), Arc::new(wg(r#""ann""#, k)));
    let put = |v: &Arc<CicObject>| {
        let (sh, v) = (&sh, v.clone());
        move || sh.objects.update(&w_key(), |r| r.source = Some(v))
    };
    sh.objects.update(&w, |r| r.source = Some(v0.clone()));
    assert!(noted("bob").is_empty());
    // Taken and put in the table at once: named.
    taking(&sh, &w, Some(&v1), put(&v1));
    assert_eq!(noted("ann"), ["W"]);
    // Given up: the table holds v0 again, v1 stays taken until the next step ends.
    grants_step_ended(&sh, &w, true);
    assert_eq!(noted("ann"), ["W"]);
    sh.objects.update(&w, |r| r.source = Some(v0.clone()));
    assert!(noted("ann").is_empty());
    assert!(noted("bob").is_empty());
    // The next step (v1 again) ends: processed, nothing named.
    taking(&sh, &w, Some(&v1), put(&v1));
    assert_eq!(noted("ann"), ["W"]);
    assert!(!noted_processed(&sh, "ann", &["W".into()]));
    grants_step_ended(&sh, &w, false);
    assert!(noted("ann").is_empty());
    assert!(noted_processed(&sh, "ann", &["W".into()]));
    assert!(!noted_processed(&sh, "ann", &[]));
    // Another kind is never taken.
    let user = ObjectKey::user("ann");
    assert_eq!(taking(&sh, &user, Some(&v1), || 7), 7);
    assert!(sh.taken_grants.lock().unwrap().is_empty());
}

/// At the end of a workgroup's step, the members of the versions it ended whose warnings name
/// it are queued again (their note goes with that step); others are left alone.
#[test]
fn the_members_noted_while_a_step_ran_are_queued_again_when_it_ends() {
    let sh = shared();
    let (w, k) = (w_key(), r#"{"id":"K","proficiency":50}"#);
    let v1 = Arc::new(wg(r#""ann","bob","cat""#, k));
    for (id, note) in [("ann", true), ("bob", false), ("cat", true), ("dan", true)] {
        let json = format!(r#"{{"id":"{id}","business_email":"{id}@example.com"}}"#);
        let user = CicObject::User(crate::cic::parse_user(&json).unwrap());
        sh.objects.update(&ObjectKey::user(id), |r| {
            r.source = Some(Arc::new(user));
            if note {
                r.status.warnings.push(inherited_note("W"));
            }
        });
    }
    // cat's note names another workgroup.
    sh.objects.update(&ObjectKey::user("cat"), |r| {
        r.status.warnings = vec![inherited_note("V")]
    });
    let put = || sh.objects.update(&w, |r| r.source = Some(v1.clone()));
    taking(&sh, &w, Some(&v1), put);
    // Given up: not ended, nobody queued.
    grants_step_ended(&sh, &w, true);
    assert!(!sh.queue.is_pending(&ObjectKey::user("ann")));
    grants_step_ended(&sh, &w, false);
    let pending = |id: &str| sh.queue.is_pending(&ObjectKey::user(id));
    assert!(pending("ann"));
    // Bob has no note, cat's names another workgroup, dan is no member of the version.
    assert!(!pending("bob") && !pending("cat") && !pending("dan"));
    // Nothing taken any more: a second end queues nobody.
    let (k, _) = sh.queue.next(0, std::time::Duration::from_secs(1)).unwrap();
    sh.queue.finish(&k, true);
    grants_step_ended(&sh, &w, false);
    assert!(!pending("ann"));
}

fn sr(id: &str, p: i64) -> SkillRef {
    SkillRef {
        id: id.into(),
        proficiency: Some(p),
    }
}

#[test]
fn inherited_and_direct_skills_become_assignments_by_state() {
    let direct = [sr("French", 15), sr("Billing", 250)];
    let sales = [sr("French", 95), sr("Tier2", 45), sr("Soon", 10)];
    let support = [sr("Tier2", 85), sr("Broken", 50)];
    let state = |id: &str| match id {
        "French" => SkillState::Ready("g-fr".into(), true),
        "Billing" => SkillState::Ready("g-bi".into(), false),
        "Tier2" => SkillState::Ready("g-t2".into(), false),
        "Soon" => SkillState::Pending,
        _ => SkillState::Unavailable,
    };
    let d = routing_for(
        &direct,
        &[&sales, &support],
        &crate::assignments::DEFAULT_BANDS,
        &state,
    );
    // Direct 15 beats the inherited 95; the highest inherited Tier2 (85) wins; 250 clamps.
    assert_eq!(d.routing.languages, [("g-fr".to_string(), 1)].into());
    assert_eq!(
        d.routing.skills,
        [("g-bi".to_string(), 5), ("g-t2".to_string(), 5)].into()
    );
    assert_eq!(d.pending, [ObjectKey::skill("Soon")]);
    assert_eq!(d.unavailable, [ObjectKey::skill("Broken")]);
    assert_eq!(d.warnings.len(), 1);
    assert!(d.warnings[0].contains("Billing") && d.warnings[0].contains("250"));
}

#[test]
fn routing_worked_out_from_a_skill_that_moved_or_is_moving_is_outdated() {
    let sh = shared();
    let key = ObjectKey::skill("Lang");
    let skill = CicObject::parse(GcsyncObjectKind::Skill, r#"{"id":"Lang"}"#).unwrap();
    let linked = |gid: &str, state: crate::status::SyncState| {
        sh.objects.update(&key, |r| {
            r.source = Some(Arc::new(skill.clone()));
            r.applied = Some(crate::kinds::Applied::Skill(SkillApplied {
                language: true,
            }));
            r.status.state = state;
            r.status.genesys_id = Some(gid.to_string());
        })
    };
    linked("g1", crate::status::SyncState::Synced);
    let want = routing_for(
        &[sr("Lang", 50)],
        &[],
        &crate::assignments::DEFAULT_BANDS,
        &|id| skill_state(&sh, id),
    );
    assert_eq!(want.routing.languages, [("g1".to_string(), 3)].into());
    assert!(!want.outdated(&sh), "nothing moved");
    // The move (or deletion) began: the skill is marked on its way.
    linked("g1", crate::status::SyncState::NotSynced);
    assert!(want.outdated(&sh));
    // It moved: another Genesys object now.
    linked("g2", crate::status::SyncState::Synced);
    assert!(want.outdated(&sh));
    linked("g1", crate::status::SyncState::Synced);
    assert!(!want.outdated(&sh));
}
