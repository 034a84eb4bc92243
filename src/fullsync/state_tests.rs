use super::*;
use crate::fullsync::plan::OpKind;

fn op(id: &str, kind: OpKind) -> Op {
    Op {
        id: id.into(),
        op: kind,
        genesys_id: None,
        found: None,
        detail: vec![],
    }
}

#[test]
fn the_plan_pages_through_every_kind_in_order_and_holds_per_kind() {
    let fs = FullSync::default();
    let users = Plan {
        ops: vec![op("a", OpKind::Create), op("z", OpKind::Remove)],
        owned: 1,
    };
    let skills = Plan {
        ops: vec![op("a", OpKind::Link), op("b/c", OpKind::Update)],
        owned: 2,
    };
    let held = Held::from([(
        GcsyncObjectKind::User,
        (vec![op("z", OpKind::Remove)], "too many".to_string()),
    )]);
    let plans = vec![
        (GcsyncObjectKind::User, users),
        (GcsyncObjectKind::Workgroup, Plan::default()),
        (GcsyncObjectKind::Skill, skills),
    ];
    fs.set_plan(plans, false, held);
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let text = fs.plan_page(after.as_deref(), 1).unwrap();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["held"], 1);
        assert_eq!(v["counts"]["skill"]["update"], 1);
        assert_eq!(v["counts"]["workgroup"], serde_json::json!({}));
        for i in v["items"].as_array().unwrap() {
            seen.push(format!(
                "{}:{}",
                i["kind"].as_str().unwrap(),
                i["id"].as_str().unwrap()
            ));
        }
        match v["next_after"].as_str() {
            Some(n) => after = Some(n.to_string()),
            None => break,
        }
    }
    assert_eq!(seen, ["user:a", "user:z", "skill:a", "skill:b/c"]);
    let e = fs.plan_page(Some("nokind/x"), 1).unwrap_err();
    assert_eq!(e.code, GcsyncResult::InvalidArgument);
    let mut out = JsonOut::with_capacity(64);
    fs.render(&mut out, 0, 60);
    let v: serde_json::Value = serde_json::from_str(&out.into_string()).unwrap();
    assert_eq!(v["held"]["user"]["ids"], serde_json::json!(["z"]));
    assert_eq!(v["held"]["user"]["reason"], "too many");
    assert_eq!(fs.take_held().len(), 1);
    assert!(fs.take_held().is_empty());
}
