use super::*;

fn cic(id: &str, name: &str, email: &str) -> CicUser {
    crate::cic::parse_user(&format!(
        r#"{{"id":"{id}","display_name":"{name}","business_email":"{email}"}}"#
    ))
    .unwrap()
}

fn gc(id: &str, name: &str, email: &str, state: &str) -> GcUser {
    serde_json::from_value(serde_json::json!({
        "id": id, "name": name, "email": email, "state": state, "version": 1
    }))
    .unwrap()
}

fn desired(c: &CicUser) -> DesiredUser {
    desired_user(c, None).unwrap().user
}

fn local(gid: &str, as_: Option<DesiredUser>) -> Local {
    Local {
        genesys_id: Some(gid.into()),
        synced_as: as_,
    }
}

fn plan(snap: Option<&[CicUser]>, org: &[GcUser], l: &HashMap<String, Local>) -> Plan {
    plan_users(&Facts {
        snapshot: snap,
        org,
        local: l,
        by_external: &HashMap::new(),
        country: None,
        policy: RemovalPolicy::Deactivate,
    })
}

#[test]
fn an_org_that_matches_needs_no_operation() {
    let a = cic("a", "A", "a@x.com");
    let org = [gc("g1", "A", "a@x.com", "active")];
    let l = HashMap::from([("a".to_string(), local("g1", Some(desired(&a))))]);
    assert!(plan(Some(&[a]), &org, &l).ops.is_empty());
}

#[test]
fn drift_inactive_deleted_missing_and_removed_are_each_planned() {
    let snap = [
        cic("a", "A", "a@x.com"),
        cic("b", "B", "b@x.com"),
        cic("c", "C", "c@x.com"),
        cic("d", "D", "d@x.com"),
    ];
    let org = [
        gc("g1", "A drifted", "a@x.com", "active"),
        gc("g2", "B", "b@x.com", "inactive"),
        gc("g3", "C", "c@x.com", "deleted"),
        gc("g5", "E", "e@x.com", "active"),
        gc("g6", "Unowned", "u@x.com", "active"),
    ];
    let l: HashMap<String, Local> = [("a", "g1"), ("b", "g2"), ("c", "g3"), ("e", "g5")]
        .into_iter()
        .map(|(c, g)| (c.to_string(), local(g, None)))
        .collect();
    let p = plan(Some(&snap), &org, &l);
    let got: Vec<(&str, OpKind)> = p.ops.iter().map(|o| (o.id.as_str(), o.op)).collect();
    assert_eq!(
        got,
        vec![
            ("a", OpKind::Update),
            ("b", OpKind::Update),
            ("c", OpKind::Restore),
            ("d", OpKind::Create),
            ("e", OpKind::Remove),
        ]
    );
    assert_eq!(p.ops[0].detail, vec!["name".to_string()]);
    assert_eq!(p.owned, 4);
}

#[test]
fn an_empty_or_absent_user_part_removes_nothing() {
    let org = [gc("g1", "A", "a@x.com", "active")];
    let l = HashMap::from([("a".to_string(), local("g1", None))]);
    assert!(plan(Some(&[]), &org, &l).ops.is_empty());
    assert!(plan(None, &org, &l).ops.is_empty());
}

#[test]
fn an_unlinked_match_is_linked_without_a_write_and_owned_ones_are_not_adopted() {
    let snap = [cic("a", "A", "a@x.com"), cic("b", "B", "taken@x.com")];
    let org = [
        gc("g1", "A", "A@X.com", "active"),
        gc("g2", "T", "taken@x.com", "active"),
    ];
    let l = HashMap::from([("other".to_string(), local("g2", None))]);
    let p = plan(Some(&snap), &org, &l);
    assert_eq!(p.ops[0].op, OpKind::Link);
    assert_eq!(p.ops[0].found, Some(Found::Email));
    assert_eq!(
        p.ops[1].op,
        OpKind::Create,
        "g2 belongs to another CIC user"
    );
}
