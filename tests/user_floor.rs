//! User creates at the API-call floor (`user_sync::sync_user` with `Matching::PostFirst` and
//! `Matching::Index`), with a real `Client` against the emulator; call counts come from the
//! emulator's request log.

#[path = "floor_support/mod.rs"]
#[allow(dead_code)] // each test file uses part of the helpers
mod support;

use gc_emulator::{InjectedFault, UserConflict};
use gcsync::mapping::DesiredUser;
use gcsync::objects::Origin;
use gcsync::user_sync::{should_read_org, sync_user, Matching, OrgIndex, UserOp};
use std::collections::BTreeMap;
use support::*;

#[test]
fn new_users_into_an_empty_org_cost_one_post_each() {
    let n = size(500);
    let mut org = Org::new();
    let users: Vec<DesiredUser> = (0..n).map(desired).collect();
    for a in create_all(&mut org, &users) {
        assert_eq!(a.origin, Origin::Created);
        assert_eq!(a.known.version, 1);
    }
    let seen = org.counts();
    assert_eq!(
        seen,
        counts(&[("POST /oauth/token", 1), ("POST /api/v2/users", n)])
    );
    let target = 1.05 * (n + n.div_ceil(500) + 1) as f64;
    println!(
        "initial sync of {n} new users into an empty org: {} calls (target <= {target:.0})",
        total(&seen)
    );
    assert_eq!(org.emu.users().len(), n);
    let u = org.emu.user_by_email("user0007@example.com").unwrap();
    assert_eq!(u["addresses"][0]["address"], "+13175550100");
}

#[test]
fn an_org_holding_half_the_users_is_read_once_and_only_differing_users_are_patched() {
    let n = size(500);
    let mut org = Org::new();
    let users: Vec<DesiredUser> = (0..n)
        .map(|i| DesiredUser {
            phones: BTreeMap::new(),
            ..desired(i)
        })
        .collect();
    // Half exist already (emails in another case): of every five, two as wanted, two with
    // another name, one inactive and otherwise as wanted.
    let (mut differing, mut inactive) = (0, 0);
    for (i, d) in users.iter().enumerate().take(n / 2) {
        let (name, state) = match i % 5 {
            0 | 1 => (d.name.clone(), "active"),
            2 | 3 => (format!("Old {i}"), "active"),
            _ => (d.name.clone(), "inactive"),
        };
        differing += usize::from(i % 5 >= 2);
        inactive += usize::from(i % 5 == 4);
        org.emu.seed_user(&name, &d.email.to_uppercase(), state);
    }
    let existing = n / 2;
    let pages = (existing - inactive).div_ceil(500).max(1) + inactive.div_ceil(500).max(1);
    assert!(should_read_org(
        users.len(),
        None,
        org.settings.org_index_threshold
    ));
    let index = OrgIndex::read(&org.client).unwrap();
    assert_eq!((index.len(), index.calls()), (existing, pages));
    let mut origins = BTreeMap::new();
    for (i, d) in users.iter().enumerate() {
        let a = sync_new(
            &mut org.ctx(),
            &format!("u{i}"),
            d,
            Matching::Index(&index),
            None,
        )
        .unwrap();
        *origins.entry(format!("{:?}", a.origin)).or_insert(0) += 1;
    }
    let created = n - existing;
    assert_eq!(
        origins,
        [
            ("Adopted".to_string(), existing),
            ("Created".to_string(), created)
        ]
        .into()
    );
    let seen = org.counts();
    assert_eq!(
        seen,
        counts(&[
            ("POST /oauth/token", 1),
            ("GET /api/v2/users", pages),
            ("POST /api/v2/users", created),
            ("PATCH /api/v2/users/{userId}", differing),
        ])
    );
    let target = 1.05 * (created + differing + n.div_ceil(500) + 1) as f64;
    println!(
        "initial sync of {n} users into an org holding {existing} of them ({differing} differ): \
         {} calls (target <= {target:.0})",
        total(&seen)
    );
    assert_eq!(org.emu.users().len(), n);
    for d in &users {
        let u = org.emu.user_by_email(&d.email).unwrap();
        assert_eq!(
            (u["name"].as_str(), u["state"].as_str()),
            (Some(d.name.as_str()), Some("active"))
        );
    }
}

/// The next `count` user creates are handled (committed) and their answers lost.
fn lose_create_answers(org: &Org, count: u32) {
    org.emu.inject(InjectedFault {
        method: "POST".into(),
        route: "/api/v2/users".into(),
        drop_connection: true,
        after_commit: true,
        count,
        ..InjectedFault::default()
    });
}

#[test]
fn a_create_whose_answer_was_lost_is_linked_not_duplicated() {
    let mut org = Org::new();
    org.warm();
    lose_create_answers(&org, 1);
    let d = desired(3);
    let a = sync_new(&mut org.ctx(), "u3", &d, Matching::PostFirst, None).unwrap();
    // The client resent the POST, which met the user its first attempt made.
    let statuses: Vec<(String, u16)> = org
        .emu
        .requests()
        .iter()
        .map(|r| (format!("{} {}", r.method, r.route), r.status))
        .collect();
    assert_eq!(statuses[0], ("POST /api/v2/users".into(), 0));
    assert_eq!(statuses[1], ("POST /api/v2/users".into(), 409));
    assert_eq!(org.emu.users().len(), 1, "no duplicate");
    assert_eq!(org.emu.users()[0]["id"], a.genesys_id.as_str());
    assert_eq!(
        a.origin,
        Origin::Adopted,
        "no earlier intent: its own create, taken over"
    );

    // After a restart the intent recorded before the POST says gcsync created it.
    let mut org = Org::new();
    org.warm();
    lose_create_answers(&org, 4);
    let e = sync_new(&mut org.ctx(), "u3", &d, Matching::PostFirst, None).unwrap_err();
    assert!(e.is_transient(), "{e}");
    assert_eq!(org.emu.users().len(), 1, "the first attempt was committed");
    let a = sync_new(
        &mut org.ctx(),
        "u3",
        &d,
        Matching::PostFirst,
        Some(&d.email),
    )
    .unwrap();
    assert_eq!(a.origin, Origin::Created);
    assert_eq!(org.emu.users().len(), 1, "no duplicate");
    assert_eq!(org.emu.users()[0]["id"], a.genesys_id.as_str());
}

#[test]
fn a_case_mismatched_email_is_adopted_not_duplicated_and_not_stuck() {
    for by_index in [false, true] {
        let mut org = Org::new();
        let id = org
            .emu
            .seed_user("Jane Doe", "Jane.Doe@Example.com", "active");
        let d = DesiredUser {
            name: "Jane Doe".into(),
            email: "jane.doe@example.com".into(),
            phones: BTreeMap::new(),
        };
        let index = OrgIndex::read(&org.client).unwrap();
        org.emu.clear_requests();
        let matching = if by_index {
            Matching::Index(&index)
        } else {
            Matching::PostFirst
        };
        let a = sync_new(&mut org.ctx(), "jdoe", &d, matching, None).unwrap();
        assert_eq!(
            (a.genesys_id.as_str(), a.origin),
            (id.as_str(), Origin::Adopted)
        );
        assert_eq!(org.emu.users().len(), 1);
        assert_eq!(
            org.writes(),
            usize::from(!by_index),
            "only the refused POST, no PATCH"
        );
        // Linked now: the next sync of the same data costs nothing.
        org.emu.clear_requests();
        let again = sync_linked(&mut org.ctx(), "jdoe", &d, &a, &d).unwrap();
        assert_eq!(again.genesys_id, id);
        assert!(org.emu.requests().is_empty());
    }
}

#[test]
fn a_soft_deleted_holder_is_restored_under_either_conflict_form() {
    let forms = [
        (UserConflict::default(), "POST 409, two searches"),
        (
            UserConflict {
                bad_request: true,
                entity_id: false,
            },
            "POST 400 conflicting users, two searches",
        ),
        (
            UserConflict {
                bad_request: true,
                entity_id: true,
            },
            "POST 400 with entityId, one read by id",
        ),
    ];
    for (form, what) in forms {
        let mut org = Org::new();
        let id = org.emu.seed_user("Old Name", "gone@example.com", "deleted");
        org.emu.set_user_conflict(form.clone());
        let d = DesiredUser {
            name: "Back Again".into(),
            email: "gone@example.com".into(),
            phones: BTreeMap::new(),
        };
        org.warm();
        let a = sync_new(&mut org.ctx(), "back", &d, Matching::PostFirst, None).unwrap();
        assert_eq!(
            (a.genesys_id.as_str(), a.origin),
            (id.as_str(), Origin::Restored),
            "{what}"
        );
        let u = org.emu.user(&id).unwrap();
        assert_eq!(
            (u["state"].as_str(), u["name"].as_str()),
            (Some("active"), Some("Back Again"))
        );
        assert_eq!(org.emu.users().len(), 1, "{what}");
        let (searches, reads) = if form.entity_id { (0, 1) } else { (2, 0) };
        let mut want = vec![
            ("POST /api/v2/users", 1),
            ("PATCH /api/v2/users/{userId}", 2),
        ];
        if searches > 0 {
            want.push(("POST /api/v2/users/search", searches));
        }
        if reads > 0 {
            want.push(("GET /api/v2/users", reads));
        }
        assert_eq!(org.counts(), counts(&want), "{what}");
    }
}

#[test]
fn a_holder_linked_to_another_cic_user_is_named_not_shared() {
    let mut org = Org::new();
    let id = org.emu.seed_user("Shared", "shared@example.com", "active");
    let d = DesiredUser {
        name: "Second".into(),
        email: "shared@example.com".into(),
        phones: BTreeMap::new(),
    };
    let owner = |gid: &str| (gid == id).then(|| "first".to_string());
    let e = sync_user(
        &mut org.ctx(),
        &UserOp {
            cic_id: "second",
            desired: &d,
            link: None,
            last: None,
            matching: Matching::PostFirst,
            owner_of: &owner,
            intended: None,
            before_create: &|_| Ok(()),
            by_external: None,
        },
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "business email shared@example.com is already used by CIC user first; give each user a distinct email"
    );
    assert_eq!(org.emu.user(&id).unwrap()["name"], "Shared", "not touched");
}

#[test]
fn errors_stay_specific() {
    // A division the OAuth client cannot create users in names the setting.
    let division = "5f4ae2b8-1d3c-4e7a-9b60-000000000000";
    let mut org = Org::with(&[("division_id", division)]);
    let e = sync_new(&mut org.ctx(), "d", &desired(5), Matching::PostFirst, None).unwrap_err();
    assert!(
        e.to_string()
            .starts_with(&format!("setting division_id={division}")),
        "{e}"
    );
    assert!(!e.is_transient());
    // A missing permission names it.
    let mut org = Org::new();
    org.emu
        .set_granted_permissions(Some(vec!["directory:user:view".into()]));
    let e = sync_new(&mut org.ctx(), "p", &desired(6), Matching::PostFirst, None).unwrap_err();
    assert!(
        e.to_string()
            .contains("POST /api/v2/users needs directory:user:add"),
        "{e}"
    );
    // Renaming to an email another user holds, with a known version: the email is named.
    let mut org = Org::new();
    org.emu.seed_user("Other", "taken@example.com", "active");
    let d = desired(7);
    let a = sync_new(&mut org.ctx(), "u7", &d, Matching::PostFirst, None).unwrap();
    let mut moved = d.clone();
    moved.email = "TAKEN@example.com".into();
    let e = sync_linked(&mut org.ctx(), "u7", &moved, &a, &d).unwrap_err();
    assert!(
        e.to_string().starts_with(
            "business email TAKEN@example.com is already used by another Genesys Cloud user"
        ),
        "{e}"
    );
}

#[test]
fn stale_index_entries_are_safe() {
    let mut org = Org::new();
    let changed = org
        .emu
        .seed_user("Old Name", "changed@example.com", "active");
    let index = OrgIndex::read(&org.client).unwrap();
    // After the read: the indexed user is edited elsewhere, and a new one appears.
    org.emu.bump_user_version(&changed);
    let late = org.emu.seed_user("Late", "late@example.com", "active");
    org.emu.clear_requests();
    let d = DesiredUser {
        name: "New Name".into(),
        email: "changed@example.com".into(),
        phones: BTreeMap::new(),
    };
    let a = sync_new(&mut org.ctx(), "c", &d, Matching::Index(&index), None).unwrap();
    assert_eq!(a.genesys_id, changed);
    assert_eq!(org.emu.user(&changed).unwrap()["name"], "New Name");
    let seen: Vec<(String, u16)> = org
        .emu
        .requests()
        .iter()
        .map(|r| (format!("{} {}", r.method, r.route), r.status))
        .collect();
    let patch = "PATCH /api/v2/users/{userId}".to_string();
    let get = "GET /api/v2/users/{userId}".to_string();
    assert_eq!(seen, vec![(patch.clone(), 409), (get, 200), (patch, 200)]);
    // The index misses the late user: the POST's conflict finds it.
    org.emu.clear_requests();
    let d = DesiredUser {
        name: "Late".into(),
        email: "late@example.com".into(),
        phones: BTreeMap::new(),
    };
    let a = sync_new(&mut org.ctx(), "l", &d, Matching::Index(&index), None).unwrap();
    assert_eq!(
        (a.genesys_id.as_str(), a.origin),
        (late.as_str(), Origin::Adopted)
    );
    assert_eq!(
        org.counts(),
        counts(&[("POST /api/v2/users", 1), ("POST /api/v2/users/search", 1)])
    );
    assert_eq!(org.emu.users().len(), 2);
}
