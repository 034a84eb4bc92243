use super::*;
use crate::object::GcsyncObjectKind;

#[test]
fn counts_follow_updates() {
    let t = ObjectTable::default();
    let k = ObjectKey::user("a");
    t.update(&k, |_| {});
    assert_eq!(t.counts().not_synced, 1);
    t.update(&k, |r| r.status.state = SyncState::Synced);
    assert_eq!(
        t.counts(),
        Counts {
            synced: 1,
            ..Counts::default()
        }
    );
    t.update(&k, |r| r.status.removed = true);
    assert_eq!(t.counts().removed, 1);
    assert_eq!(t.counts().synced, 0);
    let again = ObjectTable::new(HashMap::from([(k.clone(), Box::new(t.get(&k).unwrap()))]));
    assert_eq!(again.counts().removed, 1);
}

#[test]
fn pages_cover_every_object_of_the_kind_once_in_id_order() {
    let t = ObjectTable::default();
    let ids: Vec<String> = (0..97).map(|i| format!("u{:03}", (i * 37) % 97)).collect();
    for id in &ids {
        t.update(&ObjectKey::user(id.as_str()), |_| {});
    }
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = t.page(crate::object::GcsyncObjectKind::User, after.as_deref(), 10);
        assert!(page.len() <= 10);
        if page.is_empty() {
            break;
        }
        after = Some(page.last().unwrap().0.id.clone());
        seen.extend(page.into_iter().map(|(k, _)| k.id));
    }
    let mut want = ids.clone();
    want.sort();
    assert_eq!(seen, want);
    assert_eq!(t.list(crate::object::GcsyncObjectKind::User).len(), 97);
}

fn user(id: &str, name: &str) -> Arc<CicObject> {
    let json =
        format!(r#"{{"id":"{id}","display_name":"{name}","business_email":"{id}@example.com"}}"#);
    Arc::new(CicObject::parse(crate::object::GcsyncObjectKind::User, &json).unwrap())
}

/// A user loaded as text: queries and readers see it decoded; a worker's update decodes it
/// in the table, and compacting it once the worker is done keeps it as the same text again,
/// unless someone changed it meanwhile.
#[test]
fn a_user_kept_as_text_reads_decoded_and_goes_back_to_text_when_done() {
    let k = ObjectKey::user("a");
    let mut decoded = Record {
        source: Some(user("a", "A")),
        ..Record::default()
    };
    decoded.status.state = SyncState::Synced;
    decoded.status.warnings = vec!["left out".into()];
    let texts = Texts::encode(decoded.source.as_deref(), None, &decoded.status.warnings).unwrap();
    let mut stored = decoded.clone();
    stored.keep_as(texts.clone());
    let t = ObjectTable::new(HashMap::from([(k.clone(), Box::new(stored.clone()))]));
    let held = |t: &ObjectTable| t.read()[&k].texts.is_some();
    assert_eq!(t.counts().synced, 1);
    assert!(stored.status.warnings.is_empty(), "kept in the texts");
    assert_eq!(t.status(&k), Some(decoded.status.clone()));
    assert!(t.with_status(&k, |s| s == Some(&decoded.status)));
    assert_eq!(t.list(GcsyncObjectKind::User)[0].1, decoded.status);
    assert_eq!(t.get(&k), Some(decoded.clone()));
    assert!(t.with_record(&k, |r| r == Some(&decoded)));
    assert_eq!(
        t.select_kind(GcsyncObjectKind::User, |_| true),
        vec![(k.clone(), decoded.clone())]
    );
    assert!(t.select_kind(GcsyncObjectKind::Skill, |_| true).is_empty());
    assert!(held(&t), "reading decodes a copy, never the table's record");
    let after = t.update(&k, |r| r.status.reason = Some("x".into()));
    assert!(after.texts.is_none() && after.source == decoded.source);
    assert!(!held(&t), "a worker's update decodes it in place");
    // Compacting a stale copy does nothing; the current one goes back to text.
    let stale = t.compact(&k, decoded.clone());
    assert!(stale.texts.is_none() && !held(&t));
    let done = t.compact(&k, after.clone());
    assert_eq!(done.texts, Some(texts));
    assert!(held(&t));
    assert_eq!(t.get(&k), Some(after));
    // Only users are kept as text.
    let w = ObjectKey::wrapup_code("w");
    let wr = t.update(&w, |r| r.status.state = SyncState::Synced);
    assert!(t.compact(&w, wr).texts.is_none());
}

#[test]
fn a_user_waiting_for_a_skill_or_holding_an_unprocessed_grant_is_looked_at_after_a_restart() {
    let user = crate::cic::parse_user(r#"{"id":"a","business_email":"a@example.com"}"#);
    let mut r = Record {
        source: Some(Arc::new(CicObject::User(user.unwrap()))),
        ..Record::default()
    };
    assert!(!r.assignments_wait());
    r.status.warnings = vec!["phone x: dropped".into()];
    assert!(!r.assignments_wait(), "another warning");
    r.status
        .warnings
        .push(format!("workgroup W: {INHERITED_NOT_SYNCED}"));
    assert!(r.assignments_wait());
    r.status.warnings = vec![format!("skill S: not synced yet; {ASSIGNED_WHEN_SYNCED}")];
    assert!(r.assignments_wait());
    // Only a user's assignments wait.
    r.source = None;
    assert!(!r.assignments_wait());
}
