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
    assert_index_matches(&t);
    again.fill_status_index(|| false);
    assert_index_matches(&again);
}

/// A table loaded at start answers status queries from its records until the index is filled,
/// the fill keeps a status recorded by an update made meanwhile, and a stopped fill leaves the
/// table answering.
#[test]
fn a_loaded_table_answers_before_its_index_is_filled_and_the_fill_keeps_newer_statuses() {
    let keys: Vec<ObjectKey> = (0..2000)
        .map(|i| ObjectKey::user(format!("u{i}")))
        .collect();
    let rows: HashMap<ObjectKey, Box<Record>> = keys
        .iter()
        .map(|k| {
            let mut r = Record::default();
            r.status.state = SyncState::Synced;
            r.status.reason = Some(format!("loaded {}", k.id));
            (k.clone(), Box::new(r))
        })
        .collect();
    let t = ObjectTable::new(rows.clone());
    assert_eq!(t.statuses.len(), 0, "nothing indexed at load");
    assert!(!t.statuses.is_complete());
    let s = t
        .status(&keys[7])
        .expect("read from the table before the fill");
    assert_eq!(s.reason.as_deref(), Some("loaded u7"));
    assert!(t.status(&ObjectKey::user("nobody")).is_none());
    assert_eq!(t.page(GcsyncObjectKind::User, None, 5000).len(), 2000);
    // An update before the fill: the fill must not put the loaded status back.
    t.change(&keys[3], |r| r.status.state = SyncState::Error);
    // A fill told to stop does nothing and leaves the index incomplete.
    t.fill_status_index(|| true);
    assert!(!t.statuses.is_complete());
    t.fill_status_index(|| false);
    assert!(t.statuses.is_complete());
    assert_index_matches(&t);
    assert_eq!(t.status(&keys[3]).unwrap().state, SyncState::Error);
    assert!(t.status(&ObjectKey::user("nobody")).is_none());
    // Filled concurrently with updates: every status ends as its record shows it.
    let t = Arc::new(ObjectTable::new(rows));
    let updater = {
        let (t, keys) = (t.clone(), keys.clone());
        std::thread::spawn(move || {
            for k in keys.iter().step_by(3) {
                t.change(k, |r| r.status.reason = Some("updated".into()));
            }
        })
    };
    t.fill_status_index(|| false);
    updater.join().unwrap();
    assert_index_matches(&t);
}

/// The status index holds exactly what each record of the table shows, and nothing else.
fn assert_index_matches(t: &ObjectTable) {
    let rows = t.read();
    assert_eq!(t.statuses.len(), rows.len(), "one status per record");
    for (k, r) in rows.iter() {
        let shown = t.statuses.get(k).map(|s| (*s).clone());
        assert_eq!(shown.as_ref(), Some(&*r.status_shown()), "{k:?}");
    }
}

/// A status query never waits for a writer of the table: while a worker's update holds the
/// table's write lock, the statuses of that object (as last recorded) and of others still read.
#[test]
fn a_status_read_does_not_wait_for_a_writer_of_the_table() {
    let t = Arc::new(ObjectTable::default());
    let (a, b) = (ObjectKey::user("a"), ObjectKey::user("b"));
    t.update(&a, |r| r.status.state = SyncState::Synced);
    t.update(&b, |r| r.status.reason = Some("b".into()));
    let (inside, release) = (std::sync::mpsc::channel(), std::sync::mpsc::channel::<()>());
    let writer = {
        let (t, a, inside, release) = (t.clone(), a.clone(), inside.0, release.1);
        std::thread::spawn(move || {
            t.change(&a, |r| {
                inside.send(()).unwrap();
                release.recv().unwrap();
                r.status.state = SyncState::Error;
            })
        })
    };
    inside.1.recv().unwrap();
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    let reader = {
        let (t, a, b) = (t.clone(), a.clone(), b.clone());
        std::thread::spawn(move || {
            let seen = (
                t.status(&a).map(|s| s.state),
                t.status(&b).map(|s| s.reason),
            );
            let ready = t.with_status(&ObjectKey::user("none"), |s| s.is_none());
            done_tx.send((seen, ready)).unwrap();
        })
    };
    let got = done_rx.recv_timeout(std::time::Duration::from_secs(5));
    release.0.send(()).unwrap();
    writer.join().unwrap();
    reader.join().unwrap();
    let (seen, unknown) = got.expect("the status reads returned while the write lock was held");
    assert_eq!(seen, (Some(SyncState::Synced), Some(Some("b".into()))));
    assert!(unknown);
    assert_eq!(t.status(&a).map(|s| s.state), Some(SyncState::Error));
    assert_eq!(t.counts().error, 1);
    assert_index_matches(&t);
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
    assert_index_matches(&t);
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
    assert_eq!(*t.list(GcsyncObjectKind::User)[0].1, decoded.status);
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
    assert_index_matches(&t);
    // Only users are kept as text.
    let w = ObjectKey::wrapup_code("w");
    let wr = t.update(&w, |r| r.status.state = SyncState::Synced);
    assert!(t.compact(&w, wr).texts.is_none());
    assert_index_matches(&t);
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
