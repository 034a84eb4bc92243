use super::*;
use crate::cic::CicUser;
use crate::kinds::CicObject;
use crate::status::SyncState;
use std::sync::Arc;

fn user(id: &str) -> CicObject {
    CicObject::User(
        serde_json::from_value::<CicUser>(
            serde_json::json!({"id": id, "business_email": format!("{id}@example.com")}),
        )
        .unwrap(),
    )
}

/// A loaded row, decoded (users are loaded as text).
fn row(loaded: &Loaded, key: &ObjectKey) -> Record {
    loaded.rows[key].clone().decoded(key.kind)
}

fn upsert(id: &str) -> Arc<Change> {
    Arc::new(Change::Upsert {
        object: user(id),
        force: false,
    })
}

#[test]
fn rows_and_pending_round_trip_with_private_modes() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    {
        let (mut db, loaded) = Db::open(&data).unwrap();
        assert!(loaded.rows.is_empty() && loaded.pending.is_empty());
        let mut rec = Record {
            source: Some(Arc::new(user("jdoe"))),
            origin: Some(crate::objects::Origin::Created),
            seq: 3,
            ..Record::default()
        };
        rec.status.state = SyncState::Synced;
        rec.status.genesys_id = Some("g-1".into());
        db.commit(
            &[
                (ObjectKey::user("a"), 4, upsert("a")),
                (ObjectKey::user("jdoe"), 3, upsert("jdoe")),
            ],
            &[RowWrite {
                key: ObjectKey::user("jdoe"),
                record: Some(rec),
                done_seq: Some(3),
            }],
        )
        .unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&data), 0o700);
            for f in [DB_FILE, "gcsync.db-wal", LOCK_FILE] {
                assert_eq!(mode(&data.join(f)), 0o600, "{f}");
            }
        }
    }
    let (_db, loaded) = Db::open(&data).unwrap();
    let r = &row(&loaded, &ObjectKey::user("jdoe"));
    assert_eq!(r.status.genesys_id.as_deref(), Some("g-1"));
    assert_eq!(r.status.state, SyncState::Synced);
    assert_eq!(r.source.as_ref().unwrap().id(), "jdoe");
    assert_eq!(loaded.pending.len(), 1, "jdoe's pending row was completed");
    assert_eq!(loaded.pending[0].0, ObjectKey::user("a"));
    assert_eq!(loaded.last_seq, 4);
}

#[test]
fn a_completed_change_keeps_a_newer_pending_row() {
    let dir = tempfile::tempdir().unwrap();
    let (mut db, _) = Db::open(dir.path()).unwrap();
    db.commit(&[(ObjectKey::user("a"), 5, upsert("a"))], &[])
        .unwrap();
    // The worker completes seq 4 (an older change) after seq 5 was accepted.
    db.commit(
        &[(ObjectKey::user("a"), 4, upsert("stale"))],
        &[RowWrite {
            key: ObjectKey::user("a"),
            record: None,
            done_seq: Some(4),
        }],
    )
    .unwrap();
    drop(db);
    let (_db, loaded) = Db::open(dir.path()).unwrap();
    assert_eq!(loaded.pending.len(), 1);
    assert_eq!(
        loaded.pending[0].2, 5,
        "an older change never overwrites a newer one"
    );
    assert_eq!(loaded.pending[0].1, *upsert("a"));
}

#[test]
fn a_second_instance_on_one_data_dir_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let _first = Db::open(dir.path()).unwrap();
    let e = Db::open(dir.path()).err().unwrap();
    assert_eq!(e.code, GcsyncResult::StorageLocked);
    assert!(
        e.message.contains("another running gcsync"),
        "{}",
        e.message
    );
}

#[test]
fn a_database_locked_by_another_process_is_storage_locked() {
    let dir = tempfile::tempdir().unwrap();
    drop(Db::open(dir.path()).unwrap());
    let other = Connection::open(dir.path().join(DB_FILE)).unwrap();
    other.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let e = Db::open(dir.path()).err().unwrap();
    assert_eq!(e.code, GcsyncResult::StorageLocked, "{}", e.message);
    assert!(e.message.contains("locked"), "{}", e.message);
}

#[test]
fn a_damaged_database_is_reported_not_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let garbage = vec![0x5au8; 8192];
    std::fs::write(dir.path().join(DB_FILE), &garbage).unwrap();
    let e = Db::open(dir.path()).err().unwrap();
    assert_eq!(e.code, GcsyncResult::StorageCorrupt, "{}", e.message);
    assert!(e.message.contains("will not start afresh"), "{}", e.message);
    assert_eq!(
        std::fs::read(dir.path().join(DB_FILE)).unwrap(),
        garbage,
        "left as it was"
    );
}

#[test]
fn a_database_from_a_newer_gcsync_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    drop(Db::open(dir.path()).unwrap());
    let c = Connection::open(dir.path().join(DB_FILE)).unwrap();
    c.pragma_update(None, "user_version", 99).unwrap();
    drop(c);
    let e = Db::open(dir.path()).err().unwrap();
    assert!(e.message.contains("newer gcsync"), "{}", e.message);
}

#[test]
fn format_1_files_are_migrated_once_and_kept() {
    let dir = tempfile::tempdir().unwrap();
    let state = serde_json::json!({"format": 1, "users": {"jdoe": {
        "source": {"id": "jdoe", "business_email": "jdoe@example.com"},
        "origin": "adopted",
        "applied": {"name": "jdoe", "email": "jdoe@example.com", "phones": {}},
        "status": {"state": "Synced", "last_synchronized": 1700000000, "reason": null,
                   "genesys_id": "g-9", "removed": false}}}});
    let pending = serde_json::json!({"format": 1, "pending": [
        [{"kind": "User", "id": "kwong"}, {"UpsertUser": {"user": {"id": "kwong"}, "force": false}}],
        [{"kind": "User", "id": "gone"}, "RemoveUser"]]});
    std::fs::write(dir.path().join("state.json"), state.to_string()).unwrap();
    std::fs::write(dir.path().join("pending.json"), pending.to_string()).unwrap();
    let (db, loaded) = Db::open(dir.path()).unwrap();
    assert!(loaded
        .migrated
        .as_deref()
        .unwrap()
        .contains("1 object(s) and 2 pending"));
    let r = &row(&loaded, &ObjectKey::user("jdoe"));
    assert_eq!(r.status.genesys_id.as_deref(), Some("g-9"));
    assert_eq!(r.origin, Some(crate::objects::Origin::Adopted));
    assert_eq!(loaded.pending.len(), 2);
    assert_eq!(loaded.pending[1].1, Change::Remove);
    assert!(dir.path().join("state.json.migrated").exists());
    assert!(dir.path().join("pending.json.migrated").exists());
    assert!(!dir.path().join("state.json").exists());
    drop(db);
    let (_db, again) = Db::open(dir.path()).unwrap();
    assert!(again.migrated.is_none(), "migrated once");
    assert_eq!(
        again.rows.len(),
        3,
        "jdoe, and a row for each pending change"
    );
    assert_eq!(again.pending.len(), 2);
}

#[test]
fn an_unreadable_format_1_file_stops_the_start() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("state.json"), b"{not json").unwrap();
    let e = Db::open(dir.path()).err().unwrap();
    assert_eq!(e.code, GcsyncResult::StorageCorrupt);
    assert!(dir.path().join("state.json").exists(), "kept for the admin");
}

#[test]
fn an_unwritable_directory_is_a_storage_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-dir");
    std::fs::write(&file, b"x").unwrap();
    let e = Db::open(&file.join("sub")).err().unwrap();
    assert_eq!(e.code, GcsyncResult::StorageError);
    assert!(e.message.contains("not-a-dir"), "{}", e.message);
}

#[test]
fn changes_are_stored_per_kind_and_version_2_user_changes_still_read() {
    use super::codec::{decode_change, encode_change};
    use crate::object::GcsyncObjectKind::User;
    for change in [
        (*upsert("a")).clone(),
        Change::Upsert {
            object: user("b"),
            force: true,
        },
        Change::Remove,
    ] {
        let text = encode_change(&change).unwrap();
        assert_eq!(decode_change(User, &text), Ok(change), "{text}");
    }
    assert_eq!(
        encode_change(&upsert("a")).unwrap(),
        r#"{"upsert":{"id":"a","business_email":"a@example.com"},"force":false}"#
    );
    let v2 = r#"{"UpsertUser":{"user":{"id":"a","business_email":"a@example.com"},"force":true}}"#;
    assert_eq!(
        decode_change(User, v2),
        Ok(Change::Upsert {
            object: user("a"),
            force: true
        })
    );
    assert_eq!(decode_change(User, r#""RemoveUser""#), Ok(Change::Remove));
    assert!(decode_change(User, r#"{"Rename":1}"#).is_err());
    assert!(decode_change(User, r#"{"upsert":{"id":"a","nick":1},"force":false}"#).is_err());
}

#[test]
fn a_version_2_database_gains_status_warnings_and_keeps_its_rows() {
    let dir = tempfile::tempdir().unwrap();
    {
        let (mut db, _) = Db::open(dir.path()).unwrap();
        let mut rec = Record {
            source: Some(Arc::new(user("v2"))),
            ..Record::default()
        };
        rec.status.state = SyncState::Synced;
        db.commit(
            &[],
            &[RowWrite {
                key: ObjectKey::user("v2"),
                record: Some(rec),
                done_seq: None,
            }],
        )
        .unwrap();
        db.conn
            .execute_batch("ALTER TABLE objects DROP COLUMN warnings; PRAGMA user_version = 2;")
            .unwrap();
    }
    let (mut db, loaded) = Db::open(dir.path()).unwrap();
    let r = &row(&loaded, &ObjectKey::user("v2"));
    assert_eq!(r.status.state, SyncState::Synced);
    assert!(r.status.warnings.is_empty());
    let mut warned = r.clone();
    warned.status.warnings = vec!["home phone \"12\" cannot be made E.164; left out".into()];
    db.commit(
        &[],
        &[RowWrite {
            key: ObjectKey::user("v2"),
            record: Some(warned.clone()),
            done_seq: None,
        }],
    )
    .unwrap();
    drop(db);
    let (_, loaded) = Db::open(dir.path()).unwrap();
    assert_eq!(row(&loaded, &ObjectKey::user("v2")), warned);
}

/// Worker A records create intents ahead for waiting users (one commit for a batch of
/// creates); worker B may take one of them, create it and have its outcome committed before
/// A's intents reach the writer. A's intent must not overwrite B's outcome: a whole stale
/// record did (the row went back to "Not synced" without its Genesys id, and without its
/// source, so a restart neither counted it Synced nor queued it again).
#[test]
fn an_intent_recorded_ahead_never_overwrites_an_outcome_committed_before_it() {
    let dir = tempfile::tempdir().unwrap();
    let (b, fresh) = (ObjectKey::user("b"), ObjectKey::user("fresh"));
    let intent = |email: &str| crate::objects::Intent {
        op: "create".into(),
        email: email.into(),
        at: 7,
    };
    {
        let (mut db, _) = Db::open(dir.path()).unwrap();
        db.commit(
            &[
                (b.clone(), 1, upsert("b")),
                (fresh.clone(), 2, upsert("fresh")),
            ],
            &[],
        )
        .unwrap();
        // B's outcome: created and linked.
        let mut rec = Record {
            source: Some(Arc::new(user("b"))),
            origin: Some(crate::objects::Origin::Created),
            seq: 1,
            ..Record::default()
        };
        rec.status.state = SyncState::Synced;
        rec.status.genesys_id = Some("g-b".into());
        db.commit(
            &[],
            &[RowWrite {
                key: b.clone(),
                record: Some(rec),
                done_seq: Some(1),
            }],
        )
        .unwrap();
        // A's intents, arriving late.
        let extra = Extra {
            intents: vec![
                (b.clone(), intent("b@example.com")),
                (fresh.clone(), intent("fresh@example.com")),
            ],
            ..Extra::default()
        };
        db.commit_with(&Default::default(), &[], &extra).unwrap();
    }
    let (_db, loaded) = Db::open(dir.path()).unwrap();
    let r = &row(&loaded, &b);
    assert_eq!(r.status.state, SyncState::Synced);
    assert_eq!(r.status.genesys_id.as_deref(), Some("g-b"));
    assert_eq!(r.source.as_ref().unwrap().id(), "b");
    assert_eq!(r.intent, None, "a linked object keeps no intent");
    // An object not linked yet takes the intent and keeps its pending change.
    let f = &row(&loaded, &fresh);
    assert_eq!(f.intent, Some(intent("fresh@example.com")));
    assert_eq!(f.status.state, SyncState::NotSynced);
    assert_eq!(loaded.pending.len(), 1);
    assert_eq!(loaded.pending[0].0, fresh);
}

/// Users are loaded as their stored text (nothing decoded at start), decode to what was
/// written, and a record kept as text is written back as the same text; other kinds are
/// decoded when loaded.
#[test]
fn users_load_as_text_and_a_text_record_is_written_as_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let jdoe = ObjectKey::user("jdoe");
    let mut rec = Record {
        source: Some(Arc::new(user("jdoe"))),
        origin: Some(crate::objects::Origin::Created),
        seq: 1,
        ..Record::default()
    };
    rec.status.state = SyncState::Synced;
    let code = ObjectKey::wrapup_code("Sale");
    let code_rec = Record {
        source: Some(Arc::new(
            CicObject::parse(
                crate::object::GcsyncObjectKind::WrapupCode,
                r#"{"id":"Sale"}"#,
            )
            .unwrap(),
        )),
        ..Record::default()
    };
    let write = |rec: &Record, key: &ObjectKey| RowWrite {
        key: key.clone(),
        record: Some(rec.clone()),
        done_seq: None,
    };
    {
        let (mut db, _) = Db::open(dir.path()).unwrap();
        db.commit(&[], &[write(&rec, &jdoe), write(&code_rec, &code)])
            .unwrap();
    }
    let text = {
        let (mut db, loaded) = Db::open(dir.path()).unwrap();
        let stored = &loaded.rows[&jdoe];
        assert!(stored.source.is_none() && stored.applied.is_none());
        let texts = stored.texts.clone().expect("a user is kept as text");
        assert_eq!(
            texts.source_text(),
            Some(user("jdoe").encode().unwrap().as_bytes())
        );
        assert_eq!(stored.clone().decoded(jdoe.kind), rec);
        assert!(stored.has_source() && !stored.unfinished());
        assert_eq!(*loaded.rows[&code], code_rec, "other kinds are decoded");
        // Written back as text (a changed status, the same data).
        let mut again = stored.clone();
        again.status.reason = Some("checked".into());
        db.commit(&[], &[write(&again, &jdoe)]).unwrap();
        texts.source_text().unwrap().to_vec()
    };
    let (_db, loaded) = Db::open(dir.path()).unwrap();
    let r = row(&loaded, &jdoe);
    assert_eq!(r.status.reason.as_deref(), Some("checked"));
    assert_eq!(r.source, rec.source);
    assert_eq!(
        loaded.rows[&jdoe].texts.as_ref().unwrap().source_text(),
        Some(&text[..])
    );
}
