use super::*;
use crate::fullsync::named::Reconcile;
use crate::fullsync::named::{plan_named, NamedFacts};
use crate::fullsync::plan::{Found, OpKind, Plan};
use crate::kinds::CicObject;

fn facts<R: Reconcile>(
    r: &R,
    snapshot: Option<&[R::Want]>,
    org: &[R::Have],
    local: &HashMap<String, LocalNamed>,
) -> Plan {
    plan_named(
        r,
        &NamedFacts::<R> {
            snapshot,
            org,
            local,
        },
    )
}

fn got(p: &Plan) -> Vec<(&str, OpKind, Vec<String>)> {
    p.ops
        .iter()
        .map(|o| (o.id.as_str(), o.op, o.detail.clone()))
        .collect()
}

fn code(id: &str, name: &str) -> CicWrapupCode {
    CicWrapupCode {
        id: id.into(),
        name: Some(name.into()),
        label: None,
        category: None,
    }
}

fn named(id: &str, name: &str) -> Named {
    Named {
        id: id.into(),
        name: name.into(),
    }
}

fn linked(gid: &str, synced_as: Option<CicObject>, applied: Option<Applied>) -> LocalNamed {
    LocalNamed {
        genesys_id: Some(gid.into()),
        created: true,
        synced_as,
        applied,
    }
}

#[test]
fn codes_in_sync_cost_nothing_and_drift_deletion_adoption_and_removal_are_planned() {
    let snap = [
        code("W1", "Sold"),
        code("W2", "Lost"),
        code("W3", "Later"),
        code("W4", "Callback"),
        code("W5", "New"),
        code("W6", "Stale record"),
    ];
    let org = [
        named("g1", "Sold"),
        named("g2", "Lost (renamed in the org)"),
        named("g4", "Callback"),
        named("g6", "Stale record"),
        named("g7", "Removed in CIC"),
        named("g8", "Not gcsync's"),
    ];
    let sync = |c: &CicWrapupCode| Some(CicObject::WrapupCode(c.clone()));
    let local: HashMap<String, LocalNamed> = [
        ("W1", linked("g1", sync(&snap[0]), None)),
        ("W2", linked("g2", sync(&snap[1]), None)),
        ("W3", linked("g3", sync(&snap[2]), None)),
        ("W6", linked("g6", None, None)),
        ("W7", linked("g7", None, None)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let p = facts(&Codes, Some(&snap), &org, &local);
    assert_eq!(
        got(&p),
        vec![
            ("W2", OpKind::Update, vec!["name".to_string()]),
            (
                "W3",
                OpKind::Restore,
                vec!["deleted in the org".to_string()]
            ),
            ("W4", OpKind::Link, vec![]),
            ("W5", OpKind::Create, vec![]),
            ("W6", OpKind::Link, vec![]),
            ("W7", OpKind::Remove, vec![]),
        ]
    );
    assert_eq!(p.ops[2].found, Some(Found::Name), "adopted by exact name");
    assert_eq!(p.owned, 5);
    // What the worker is told the org holds: the drifted name, so it renames.
    assert_eq!(
        Codes.applied(&snap[1], &org[1], None),
        Applied::WrapupCode(AppliedWrapupCode {
            name: "Lost (renamed in the org)".into()
        })
    );
    // No code part, or an empty one: nothing is removed.
    for snapshot in [None, Some(&[][..])] {
        let p = facts(&Codes, snapshot, &org, &local);
        assert!(p.ops.is_empty(), "{:?}", p.ops);
    }
}

#[test]
fn look_alikes_are_adopted_only_by_exact_name_and_never_from_another_owner() {
    let snap = [code("W1", "sold"), code("W2", "Taken")];
    let org = [named("g1", "Sold"), named("g2", "Taken")];
    let local = HashMap::from([("W9".to_string(), linked("g2", None, None))]);
    let p = facts(&Codes, Some(&snap), &org, &local);
    let ops: Vec<(&str, OpKind)> = p.ops.iter().map(|o| (o.id.as_str(), o.op)).collect();
    // W9 (owner of g2) is missing from the snapshot: removed; g1 differs in case: not adopted.
    assert_eq!(
        ops,
        vec![
            ("W1", OpKind::Create),
            ("W2", OpKind::Create),
            ("W9", OpKind::Remove)
        ]
    );
}

fn skill(id: &str, language: bool) -> CicSkill {
    CicSkill {
        id: id.into(),
        treat_as_language: language,
    }
}

fn org_skill(id: &str, name: &str, language: bool) -> OrgSkill {
    OrgSkill {
        id: id.into(),
        name: name.into(),
        language,
    }
}

#[test]
fn a_toggled_skill_is_moved_and_a_look_alike_of_the_other_category_is_not_adopted() {
    let snap = [
        skill("French", true),
        skill("Billing", false),
        skill("Spanish", true),
    ];
    let org = [
        org_skill("s1", "French", false),
        org_skill("s2", "Billing", false),
        org_skill("s3", "Spanish", false),
    ];
    let applied = |language| Some(Applied::Skill(SkillApplied { language }));
    let local = HashMap::from([
        (
            "French".to_string(),
            linked(
                "s1",
                Some(CicObject::Skill(skill("French", false))),
                applied(false),
            ),
        ),
        (
            "Billing".to_string(),
            linked(
                "s2",
                Some(CicObject::Skill(snap[1].clone())),
                applied(false),
            ),
        ),
    ]);
    let p = facts(&Skills, Some(&snap), &org, &local);
    assert_eq!(
        got(&p),
        vec![
            (
                "French",
                OpKind::Update,
                vec!["treat_as_language".to_string()]
            ),
            ("Spanish", OpKind::Create, vec![]),
        ]
    );
    // The worker is told the org holds a skill: it moves it to a language.
    assert_eq!(
        Skills.applied(&snap[0], &org[0], None),
        applied(false).unwrap()
    );
}

fn wg(id: &str, members: &[&str], codes: &[&str]) -> CicWorkgroup {
    CicWorkgroup {
        id: id.into(),
        members: members.iter().map(|s| s.to_string()).collect(),
        skills: vec![],
        wrapup_codes: codes.iter().map(|s| s.to_string()).collect(),
    }
}

fn member(id: &str, group: bool) -> Member {
    Member {
        id: id.into(),
        member_by: Some(if group { "group" } else { "user" }.into()),
    }
}

fn set(ids: &[&str]) -> BTreeSet<String> {
    ids.iter().map(|s| s.to_string()).collect()
}

#[test]
fn queue_drift_is_what_the_worker_would_add_or_remove_and_waiting_is_named() {
    let users: HashMap<String, String> = [("a", "ga"), ("b", "gb"), ("c", "gc"), ("x", "gx")]
        .into_iter()
        .map(|(c, g)| (c.to_string(), g.to_string()))
        .collect();
    let codes = HashMap::from([("W1".to_string(), "gw1".to_string())]);
    let q = Queues {
        users: &users,
        codes: &codes,
    };
    let snap = [
        wg("Same", &["a", "b"], &["W1"]),
        wg("LostMember", &["a", "b"], &["W1"]),
        wg("LostCode", &["a"], &["W1"]),
        wg("Waits", &["a", "nobody"], &[]),
        wg("Extra", &["a"], &[]),
    ];
    let queue = |id: &str, name: &str, m: Vec<Member>, c: &[&str]| OrgQueue {
        id: id.into(),
        name: name.into(),
        members: Some(m),
        codes: Some(set(c)),
    };
    let org = [
        // Someone else's member (x) and a group member (c) are not drift.
        queue(
            "q1",
            "Same",
            vec![
                member("ga", false),
                member("gb", false),
                member("gx", false),
                member("gc", true),
            ],
            &["gw1"],
        ),
        queue("q2", "LostMember", vec![member("ga", false)], &["gw1"]),
        queue("q3", "LostCode", vec![member("ga", false)], &[]),
        queue("q4", "Waits", vec![member("ga", false)], &[]),
        // gcsync added gx earlier; CIC no longer wants it: drift (removed).
        queue(
            "q5",
            "Extra",
            vec![member("ga", false), member("gx", false)],
            &[],
        ),
    ];
    let applied = |m: &[&str], c: &[&str]| {
        Some(Applied::Workgroup(AppliedQueue {
            name: String::new(),
            members: set(m),
            owned_members: set(m),
            wrapup_codes: set(c),
            owned_wrapup_codes: set(c),
            ..AppliedQueue::default()
        }))
    };
    let local: HashMap<String, LocalNamed> = snap
        .iter()
        .zip(&org)
        .map(|(w, o)| {
            let a = match w.id.as_str() {
                "Extra" => applied(&["ga", "gx"], &[]),
                _ => applied(&["ga", "gb"], &["gw1"]),
            };
            let mut l = linked(&o.id, Some(CicObject::Workgroup(w.clone())), a);
            l.created = false;
            (w.id.clone(), l)
        })
        .collect();
    let p = facts(&q, Some(&snap), &org, &local);
    let s = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(
        got(&p),
        vec![
            ("Extra", OpKind::Update, s(&["members"])),
            ("LostCode", OpKind::Update, s(&["wrapup_codes"])),
            ("LostMember", OpKind::Update, s(&["members"])),
            ("Waits", OpKind::Update, s(&["waiting for user nobody"])),
        ]
    );
    // Recorded as applied: what the queue holds of what CIC wants or gcsync owns, so the
    // worker's comparison sees the missing member, and the owned one to remove.
    let Applied::Workgroup(a) = q.applied(&snap[1], &org[1], local.get("LostMember")) else {
        panic!()
    };
    assert_eq!((a.members, a.owned_members), (set(&["ga"]), set(&["ga"])));
    let Applied::Workgroup(a) = q.applied(&snap[4], &org[4], local.get("Extra")) else {
        panic!()
    };
    assert_eq!(a.members, set(&["ga", "gx"]));
    assert_eq!(a.wrapup_codes, set(&[]));
    let Applied::Workgroup(a) = q.applied(&snap[0], &org[0], local.get("Same")) else {
        panic!()
    };
    assert_eq!(
        (a.members, a.wrapup_codes),
        (set(&["ga", "gb"]), set(&["gw1"]))
    );
}

#[test]
fn a_queue_part_not_read_is_drift_only_when_there_is_something_to_compare() {
    let users = HashMap::from([("a".to_string(), "ga".to_string())]);
    let codes = HashMap::from([("W1".to_string(), "gw1".to_string())]);
    let q = Queues {
        users: &users,
        codes: &codes,
    };
    let org = OrgQueue {
        id: "q1".into(),
        name: "Sales".into(),
        members: Some(vec![member("ga", false)]),
        codes: None,
    };
    // Neither wanted nor owned: not read, nothing to compare.
    assert!(q.drift(&wg("Sales", &["a"], &[]), &org, None).is_empty());
    // Wanted but not read (cannot happen through the run's reads): checked by the worker.
    let l = linked("q1", None, None);
    let d = q.drift(&wg("Sales", &["a"], &["W1"]), &org, Some(&l));
    assert_eq!(d, ["wrapup_codes"]);
    let d = q.drift(&wg("Sales", &["a"], &["W2"]), &org, Some(&l));
    assert_eq!(d, ["waiting for wrapup_code W2"]);
}
