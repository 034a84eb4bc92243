use super::*;
use crate::mapping::DesiredUser;
use crate::status::ObjectStatus;
use std::collections::BTreeMap;

fn desired(name: &str, phones: &[(&str, &str)]) -> DesiredUser {
    DesiredUser {
        name: name.into(),
        email: "a@example.com".into(),
        phones: phones
            .iter()
            .map(|(k, v)| (k.to_string(), crate::mapping::Phone::from(v.to_string())))
            .collect::<BTreeMap<_, _>>(),
    }
}

fn synced(gid: &str, origin: Origin, applied: DesiredUser) -> Record {
    Record {
        origin: Some(origin),
        applied: Some(crate::kinds::Applied::User(
            crate::kinds::user::AppliedUser {
                known: Some(crate::user_sync::Known {
                    version: 7,
                    kept: Vec::new(),
                    unsure: false,
                }),
                ..applied.into()
            },
        )),
        status: ObjectStatus {
            state: SyncState::Synced,
            last_synchronized: Some(1),
            reason: None,
            genesys_id: Some(gid.into()),
            removed: false,
            warnings: Vec::new(),
        },
        ..Record::default()
    }
}

fn calls(n: u32, writes: u32, fields: &[&str], last: u16) -> ItemCalls {
    ItemCalls {
        calls: n,
        writes,
        fields: fields.iter().map(|f| f.to_string()).collect(),
        last_status: Some(last),
        correlation_id: Some("corr-last".into()),
    }
}

fn op(
    before: Option<&Record>,
    after: &Record,
    c: &ItemCalls,
    policy: RemovalPolicy,
) -> Option<(Op, Vec<String>, Option<String>)> {
    derive(&ObjectKey::user("a"), before, Some(after), c, policy, 100)
        .map(|e| (e.op, e.fields, e.reason))
}

const D: RemovalPolicy = RemovalPolicy::Deactivate;

#[test]
fn links_are_created_adopted_restored_or_linked() {
    let a = synced("g1", Origin::Created, desired("A", &[("WORK", "1")]));
    let (o, fields, _) = op(None, &a, &calls(4, 1, &["name", "email"], 200), D).unwrap();
    assert_eq!(o, Op::Created);
    assert_eq!(fields, ["email", "name", "phones.WORK"]);
    assert_eq!(
        op(None, &a, &calls(2, 0, &[], 200), D).unwrap().0,
        Op::Linked
    );
    let ad = synced("g1", Origin::Adopted, desired("A", &[]));
    assert_eq!(
        op(None, &ad, &calls(3, 1, &["name"], 200), D).unwrap().0,
        Op::Adopted
    );
    let re = synced("g1", Origin::Restored, desired("A", &[]));
    assert_eq!(
        op(None, &re, &calls(5, 2, &["state"], 200), D).unwrap().0,
        Op::Restored
    );
    // The same link found deleted and restored.
    assert_eq!(
        op(Some(&ad), &re, &calls(5, 2, &["state"], 200), D)
            .unwrap()
            .0,
        Op::Restored
    );
}

#[test]
fn updates_name_the_fields_never_the_values() {
    let b = synced(
        "g1",
        Origin::Created,
        desired("A", &[("WORK", "1"), ("HOME", "2")]),
    );
    let a = synced(
        "g1",
        Origin::Created,
        desired("B", &[("WORK", "3"), ("HOME", "2")]),
    );
    let (o, fields, _) = op(Some(&b), &a, &calls(2, 1, &["name", "addresses"], 200), D).unwrap();
    assert_eq!(o, Op::Updated);
    assert_eq!(fields, ["name", "phones.WORK"]);
    // A drift repaired by a force sync: the written fields are named.
    let (o, fields, _) = op(Some(&b), &b, &calls(2, 1, &["addresses"], 200), D).unwrap();
    assert_eq!((o, fields), (Op::Updated, vec!["addresses".to_string()]));
    // Nothing written and nothing changed: no entry.
    assert_eq!(op(Some(&b), &b, &calls(1, 0, &[], 200), D), None);
    assert_eq!(op(Some(&b), &b, &ItemCalls::default(), D), None);
}

#[test]
fn removals_say_what_was_done_by_the_policy() {
    let b = synced("g1", Origin::Created, desired("A", &[]));
    let mut a = b.clone();
    a.status.removed = true;
    a.applied = None;
    let e = derive(
        &ObjectKey::user("a"),
        Some(&b),
        Some(&a),
        &calls(3, 1, &["state"], 200),
        D,
        7,
    )
    .unwrap();
    assert_eq!(
        (e.op, e.fields.clone()),
        (Op::Deactivated, vec!["state".to_string()])
    );
    assert_eq!(e.correlation_id.as_deref(), Some("corr-last"));
    assert_eq!((e.at, e.calls, e.genesys_id.as_deref()), (7, 3, Some("g1")));
    let del = RemovalPolicy::Delete;
    assert_eq!(
        op(Some(&b), &a, &calls(2, 1, &[], 200), del).unwrap().0,
        Op::Deleted
    );
    let (o, _, why) = op(Some(&b), &a, &calls(2, 0, &[], 404), D).unwrap();
    assert_eq!(o, Op::Removed);
    assert!(why.unwrap().contains("no longer exists"));
    let (_, _, why) = op(Some(&b), &a, &calls(2, 0, &[], 200), D).unwrap();
    assert!(why.unwrap().contains("already in the removed state"));
    let mut never = Record::default();
    never.status.removed = true;
    let (o, _, why) = op(None, &never, &ItemCalls::default(), D).unwrap();
    assert_eq!(o, Op::Removed);
    assert!(why.unwrap().contains("never linked"));
    // A removed user who comes back is restored.
    assert_eq!(
        op(Some(&a), &b, &calls(4, 2, &["state"], 200), D)
            .unwrap()
            .0,
        Op::Restored
    );
}

#[test]
fn holds_are_recorded_once_per_reason() {
    let mut a = Record::default();
    a.status.state = SyncState::Error;
    a.status.reason = Some("business email required".into());
    let (o, _, why) = op(None, &a, &ItemCalls::default(), D).unwrap();
    assert_eq!(
        (o, why.as_deref()),
        (Op::Held, Some("business email required"))
    );
    assert_eq!(
        op(Some(&a), &a, &ItemCalls::default(), D),
        None,
        "same hold again"
    );
    // A transient failure retried: the time of the next attempt alone is no new entry.
    let t = |when: &str| {
        let mut r = a.clone();
        r.status.reason = Some(format!(
            "could not reach Genesys Cloud: refused; next attempt at {when}"
        ));
        r
    };
    let first = t("2026-01-01T00:00:30Z");
    assert_eq!(
        op(Some(&a), &first, &calls(6, 0, &[], 503), D).unwrap().0,
        Op::Held
    );
    assert_eq!(
        op(
            Some(&first),
            &t("2026-01-01T00:01:30Z"),
            &calls(6, 0, &[], 503),
            D
        ),
        None
    );
    // Back to Synced after the failure, with nothing to change: verified.
    let ok = synced("g1", Origin::Created, desired("A", &[]));
    let mut failed = ok.clone();
    failed.status.state = SyncState::Error;
    failed.status.reason = Some("x".into());
    assert_eq!(
        op(Some(&failed), &ok, &calls(2, 0, &[], 200), D).unwrap().0,
        Op::Verified
    );
}

#[test]
fn no_entry_without_an_object_afterwards() {
    assert_eq!(
        derive(
            &ObjectKey::user("a"),
            None,
            None,
            &ItemCalls::default(),
            D,
            1
        ),
        None
    );
}

#[test]
fn changed_fields_name_every_level_and_nothing_unchanged() {
    use serde_json::json;
    let b =
        json!({"name": "a", "phones": {"WORK": "1", "HOME": "2"}, "x": {"y": {"z": 1}}, "gone": 1});
    let a = json!({"name": "a", "phones": {"WORK": "3", "HOME": "2"}, "x": {"y": {"z": 2}, "w": 1}, "new": {"k": 1}});
    let got: Vec<String> = super::changed_fields(&b, &a).into_iter().collect();
    assert_eq!(got, ["gone", "new.k", "phones.WORK", "x.w", "x.y.z"]);
    assert!(super::changed_fields(&a, &a).is_empty());
    let from_nothing: Vec<String> =
        super::changed_fields(&serde_json::Value::Null, &json!({"p": {"q": 1}, "r": 2}))
            .into_iter()
            .collect();
    assert_eq!(from_nothing, ["p.q", "r"]);
}
