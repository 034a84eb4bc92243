use super::*;

fn sr(id: &str, p: Option<i64>) -> SkillRef {
    SkillRef {
        id: id.into(),
        proficiency: p,
    }
}

fn m(entries: &[(&str, u8)]) -> BTreeMap<String, u8> {
    entries.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}

fn a(entries: &[(&str, f64)]) -> BTreeMap<String, f64> {
    entries.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}

#[test]
fn default_bands_are_twenty_points_each_and_out_of_range_values_clamp() {
    let b = DEFAULT_BANDS;
    let cases = [
        (1, 1),
        (20, 1),
        (21, 2),
        (40, 2),
        (41, 3),
        (60, 3),
        (61, 4),
        (80, 4),
        (81, 5),
        (100, 5),
    ];
    for (p, want) in cases {
        assert_eq!(stars(Some(p), &b), (want, false), "{p}");
    }
    assert_eq!(stars(None, &b), (1, false), "absent is CIC's default 1");
    assert_eq!(stars(Some(0), &b), (1, true));
    assert_eq!(stars(Some(-5), &b), (1, true));
    assert_eq!(stars(Some(150), &b), (5, true));
}

#[test]
fn bands_are_configurable() {
    let b = [10, 20, 30, 90];
    assert_eq!(stars(Some(10), &b).0, 1);
    assert_eq!(stars(Some(11), &b).0, 2);
    assert_eq!(stars(Some(89), &b).0, 4);
    assert_eq!(stars(Some(91), &b).0, 5);
}

#[test]
fn direct_wins_otherwise_the_highest_inherited() {
    let direct = [sr("French", Some(10))];
    let sales = [sr("French", Some(90)), sr("Billing", Some(30))];
    let support = [sr("Billing", Some(70)), sr("Tier2", None)];
    let e = effective(&direct, &[&sales, &support]);
    assert_eq!(e["French"], 10, "direct beats a higher inherited value");
    assert_eq!(e["Billing"], 70, "highest inherited");
    assert_eq!(e["Tier2"], 1, "absent proficiency is CIC's default");
    assert_eq!(e.len(), 3);
    let twice = [sr("X", Some(20)), sr("X", Some(50))];
    assert_eq!(effective(&twice, &[])["X"], 50);
}

#[test]
fn an_unchanged_user_plans_nothing_without_reading() {
    let d = m(&[("s1", 3), ("s2", 5)]);
    assert!(plan_skills(&d, &d, None, 50).is_empty());
    assert!(plan_languages(&d, &d, None).is_empty());
    assert!(!skills_need_read(&d, &d));
}

#[test]
fn the_diff_adds_changes_and_removes_only_what_gcsync_assigned() {
    let desired = m(&[("s1", 3), ("s2", 4), ("s4", 1)]);
    let applied = m(&[("s1", 3), ("s2", 2), ("s3", 5)]);
    let ops = plan_skills(&desired, &applied, None, 50);
    assert_eq!(ops.upsert, vec![("s2".into(), 4), ("s4".into(), 1)]);
    assert_eq!(ops.remove, vec!["s3".to_string()]);
    assert_eq!(ops.replace, None);
    let l = plan_languages(&desired, &applied, None);
    assert_eq!(l.remove, vec!["s3".to_string()]);
}

#[test]
fn sixty_new_skills_cost_two_bulk_calls() {
    let desired: BTreeMap<String, u8> = (0..60).map(|i| (format!("s{i:02}"), 3)).collect();
    let ops = plan_skills(&desired, &BTreeMap::new(), None, 50);
    assert_eq!(ops.calls(50), 2);
}

#[test]
fn many_removals_read_first_and_replace_keeping_others_assignments() {
    let desired = m(&[("s1", 3)]);
    let applied = m(&[("s1", 3), ("s2", 2), ("s3", 2), ("s4", 2)]);
    assert!(skills_need_read(&desired, &applied));
    // Genesys also holds "other" (assigned by someone else): it is kept by the PUT.
    let actual = a(&[
        ("s1", 3.0),
        ("s2", 2.0),
        ("s3", 2.0),
        ("s4", 2.0),
        ("other", 4.0),
    ]);
    let ops = plan_skills(&desired, &applied, Some(&actual), 50);
    assert_eq!(
        ops.replace,
        Some(vec![("other".into(), 4), ("s1".into(), 3)])
    );
    assert!(ops.upsert.is_empty() && ops.remove.is_empty());
    assert_eq!(ops.calls(50), 1);
    // An assignment someone else made with a fraction cannot be sent back as it was: diff.
    let odd = a(&[("s2", 2.0), ("s3", 2.0), ("s4", 2.0), ("other", 2.5)]);
    let ops = plan_skills(&desired, &applied, Some(&odd), 50);
    assert_eq!(ops.replace, None);
    assert_eq!(ops.upsert, vec![("s1".into(), 3)]);
    assert_eq!(ops.remove.len(), 3);
}

#[test]
fn what_genesys_already_holds_is_not_sent_again() {
    let desired = m(&[("s1", 3), ("s2", 4)]);
    let actual = a(&[("s1", 3.0), ("s2", 4.0)]);
    assert!(plan_skills(&desired, &BTreeMap::new(), Some(&actual), 50).is_empty());
    // A removal Genesys no longer has needs no call.
    let applied = m(&[("gone", 2)]);
    let ops = plan_skills(&BTreeMap::new(), &applied, Some(&a(&[])), 50);
    assert!(ops.is_empty(), "{ops:?}");
}

#[test]
fn recorded_additions_the_user_holds_become_gcsyncs_and_others_stay_theirs() {
    // s1 and s2 were being added; Genesys holds s1 (as intended) and s2 (changed since);
    // s3 was never made; "admin" was never gcsync's.
    let adding = m(&[("s1", 3), ("s2", 2), ("s3", 4)]);
    let actual = a(&[("s1", 3.0), ("s2", 5.0), ("admin", 1.0)]);
    let mut applied = m(&[("s0", 1)]);
    settle(&mut applied, &adding, &actual);
    assert_eq!(applied, m(&[("s0", 1), ("s1", 3), ("s2", 5)]));
    // Stars Genesys holds that are not whole: 0, so a wanted one is written again.
    let mut applied = BTreeMap::new();
    settle(&mut applied, &m(&[("s1", 3)]), &a(&[("s1", 2.5)]));
    assert_eq!(applied, m(&[("s1", 0)]));
    // Removing what was settled: planned as gcsync's, the admin's left alone.
    let mut applied = BTreeMap::new();
    settle(&mut applied, &adding, &actual);
    let ops = plan_skills(&BTreeMap::new(), &applied, Some(&actual), 50);
    assert_eq!(ops.replace, Some(vec![("admin".to_string(), 1)]), "{ops:?}");
    assert!(ops.upsert.is_empty() && ops.remove.is_empty(), "{ops:?}");
    let ops = plan_languages(&BTreeMap::new(), &applied, Some(&actual));
    assert_eq!(ops.remove, vec!["s1".to_string(), "s2".to_string()]);
}

#[test]
fn what_is_recorded_ahead_is_every_wanted_entry_written_and_every_owned_one_removed() {
    let desired = m(&[("new", 3), ("owned", 4), ("kept", 2)]);
    let owned = m(&[("owned", 2), ("old", 1), ("kept", 2)]);
    // A replacing PUT: the addition and the change, and the owned entry it leaves out with the
    // stars owned; never the admin's it sends back, nor what it sends unchanged.
    let ops = Ops {
        replace: Some(vec![
            ("admin".into(), 2),
            ("kept".into(), 2),
            ("new".into(), 3),
        ]),
        upsert: vec![("owned".into(), 4)],
        remove: vec![],
    };
    let ahead = m(&[("new", 3), ("owned", 4), ("old", 1)]);
    assert_eq!(written_ahead(&ops, &desired, &owned), ahead);
    assert!(written_ahead(&Ops::default(), &desired, &owned).is_empty());
    // The diff: a change only, a removal only.
    let change = Ops {
        upsert: vec![("owned".into(), 4)],
        ..Ops::default()
    };
    let want = m(&[("owned", 4), ("kept", 2)]);
    assert_eq!(written_ahead(&change, &want, &owned), m(&[("owned", 4)]));
    let removal = Ops {
        remove: vec!["old".into()],
        ..Ops::default()
    };
    let want = m(&[("owned", 2), ("kept", 2)]);
    assert_eq!(written_ahead(&removal, &want, &owned), m(&[("old", 1)]));
}

#[test]
fn settled_changes_and_removals_follow_what_genesys_holds() {
    // "up" was being changed 2 → 4 (Genesys applied it), "down" 4 → 1 (not applied); "gone"
    // and "stays" were being removed: Genesys removed "gone", not "stays".
    let mut owned = m(&[("up", 2), ("down", 4), ("gone", 3), ("stays", 1)]);
    let ahead = m(&[("up", 4), ("down", 1), ("gone", 3), ("stays", 1)]);
    let actual = a(&[("up", 4.0), ("down", 4.0), ("stays", 1.0)]);
    settle(&mut owned, &ahead, &actual);
    assert_eq!(owned, m(&[("up", 4), ("down", 4), ("stays", 1)]));
    // CIC set "up" back and gives "gone" back: both written, "stays" removed.
    let want = m(&[("up", 2), ("down", 4), ("gone", 3)]);
    let ops = plan_languages(&want, &owned, Some(&actual));
    let upsert = vec![("gone".to_string(), 3), ("up".to_string(), 2)];
    assert_eq!(ops.upsert, upsert, "{ops:?}");
    assert_eq!(ops.remove, vec!["stays".to_string()], "{ops:?}");
}
