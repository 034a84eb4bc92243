//! The arithmetic of the `floor` section: the emulator's request log sorted into endpoint
//! groups (reads and writes), and for a workload the **floor** (the fewest calls the API allows
//! for that work, from the bulk and page limits of API-FACTS §7-8) and the calls of a
//! **per-object pusher** (a naive integration: one call per object, per assignment, per member,
//! per queue code, a GET before every PATCH), each group with its formula.

use crate::org::RefOrg;
use gc_emulator::LoggedRequest;
use std::collections::BTreeMap;

/// Endpoint groups, in print order.
pub const GROUPS: [&str; 14] = [
    "token",
    "users",
    "extid lookups",
    "externalid",
    "user skills",
    "user languages",
    "skills",
    "languages",
    "codes",
    "queues",
    "members",
    "queue codes",
    "presence",
    "other",
];

/// The group of a logged route.
pub fn group(route: &str) -> &'static str {
    let r = route;
    if r == "/oauth/token" {
        "token"
    } else if r.starts_with("/api/v2/users/externalid/") {
        "extid lookups"
    } else if r.contains("/externalid") {
        "externalid"
    } else if r.contains("/routingskills") {
        "user skills"
    } else if r.contains("/routinglanguages") {
        "user languages"
    } else if r.contains("presence") || r.contains("/routingstatus") {
        "presence"
    } else if r.starts_with("/api/v2/users") {
        "users"
    } else if r.starts_with("/api/v2/routing/skills") {
        "skills"
    } else if r.starts_with("/api/v2/routing/languages") {
        "languages"
    } else if r.starts_with("/api/v2/routing/wrapupcodes") {
        "codes"
    } else if r.contains("/members") {
        "members"
    } else if r.starts_with("/api/v2/routing/queues/{queueId}/wrapupcodes") {
        "queue codes"
    } else if r.starts_with("/api/v2/routing/queues") {
        "queues"
    } else {
        "other"
    }
}

/// A read: a GET, or the user search (a POST that changes nothing).
pub fn is_read(r: &LoggedRequest) -> bool {
    r.method == "GET" || r.route == "/api/v2/users/search"
}

/// Calls made per group: (reads, writes).
pub fn tally(log: &[LoggedRequest]) -> BTreeMap<&'static str, (usize, usize)> {
    let mut t = BTreeMap::new();
    for r in log {
        let e = t.entry(group(&r.route)).or_insert((0, 0));
        if is_read(r) {
            e.0 += 1;
        } else {
            e.1 += 1;
        }
    }
    t
}

/// One group's expected count and how it was computed.
#[derive(Debug, Default, Clone)]
pub struct Term {
    /// Calls.
    pub calls: usize,
    /// The formula with its numbers.
    pub formula: String,
}

/// What one scenario asks of the org, from which the floor and the pusher are computed.
#[derive(Debug, Default, Clone)]
pub struct Work {
    /// Users created / adopted (existing unowned, matched by email) / written to because they
    /// differ (adopted or drifted) / in the org before the run (the read to match them).
    pub users_created: usize,
    pub users_adopted: usize,
    pub users_patched: usize,
    pub users_in_org: usize,
    /// Created and adopted objects of the routing kinds, and how many of each the org held.
    pub skills: (usize, usize),
    pub languages: (usize, usize),
    pub codes: (usize, usize),
    pub queues: (usize, usize),
    /// Per queue (members, wrap-up codes) to add.
    pub queue_sets: Vec<(usize, usize)>,
    /// Per user (ACD skills, languages) to assign.
    pub assignments: Vec<(usize, usize)>,
    /// External ids recorded (one per user gcsync creates or adopts).
    pub external_ids: usize,
    /// Users looked up by external id before being created (one each for a new user when the
    /// org holds users gcsync does not own: README "Ownership in the org").
    pub lookups: usize,
    /// A Force Complete Sync of every kind: what the org held when it was read
    /// (`floor_lists.rs`); `queue_sets` are then the drifted queues' repairs (each drifted part
    /// read again before its write).
    pub lists: Option<crate::floor_lists::Lists>,
    /// Wrap-up codes renamed back (one PUT each).
    pub codes_renamed: usize,
    /// Every user of the org read in pages (a Force Complete Sync).
    pub full_read: bool,
    /// New OAuth tokens the work needs (the first call of a process).
    pub tokens: usize,
}

/// Page sizes (API-FACTS §8, the largest the API takes).
pub const USERS_PAGE: usize = 500;
pub const QUEUES_PAGE: usize = 500;
pub const SKILLS_PAGE: usize = 500;
pub const LANGUAGES_PAGE: usize = 100;
pub const CODES_PAGE: usize = 100;

fn pages(n: usize, page: usize) -> usize {
    n.div_ceil(page)
}

/// The work of an initial sync of `org`, with `existing` of each kind already in the org,
/// unowned, with exact names (`None`: an empty org). `effective`: per user (skills, languages).
pub fn initial_work(
    org: &RefOrg,
    effective: &[(usize, usize)],
    existing: Option<&Existing>,
) -> Work {
    let e = existing.cloned().unwrap_or_default();
    let langs = org.skills.iter().filter(|s| s.language).count();
    let kind = |total: usize, have: usize| (total - have, have);
    Work {
        users_created: org.users.len() - e.users,
        users_adopted: e.users,
        // An adopted user holds its name and email only: its phones differ.
        users_patched: e.users,
        users_in_org: e.users,
        skills: kind(org.skills.len() - langs, e.skills),
        languages: kind(langs, e.languages),
        codes: kind(org.wrapup_codes.len(), e.codes),
        queues: kind(org.workgroups.len(), e.queues),
        queue_sets: org
            .workgroups
            .iter()
            .map(|w| (w.members.len(), w.wrapup_codes.len()))
            .collect(),
        assignments: effective.to_vec(),
        // gcsync records the CIC id on every user it creates or adopts (README "Ownership in
        // the org"): one call each, whichever path linked it.
        external_ids: org.users.len(),
        // The org holds users gcsync does not own: each new user is looked up first.
        lookups: if e.users > 0 {
            org.users.len() - e.users
        } else {
            0
        },
        lists: None,
        codes_renamed: 0,
        full_read: false,
        tokens: 1,
    }
}

/// How many of each kind the half-populated org holds before the run.
#[derive(Debug, Default, Clone)]
pub struct Existing {
    pub users: usize,
    pub skills: usize,
    pub languages: usize,
    pub codes: usize,
    pub queues: usize,
}

/// A kind's creates plus, when the org held any, one paged read of that kind.
fn kind_floor((created, adopted): (usize, usize), page: usize) -> Term {
    let reads = if adopted > 0 { pages(adopted, page) } else { 0 };
    Term {
        calls: created + reads,
        formula: if adopted > 0 {
            format!("{created} creates + ⌈{adopted} existing/{page}⌉ = {reads} list reads")
        } else {
            format!("{created} creates")
        },
    }
}

fn bulk(name: &str, per: &[usize], max: usize) -> Term {
    let calls = per.iter().map(|n| n.div_ceil(max)).sum();
    let items: usize = per.iter().sum();
    Term {
        calls,
        formula: format!("Σ{name} ⌈n/{max}⌉ ({items} items)"),
    }
}

/// The floor per group.
pub fn floor(w: &Work) -> BTreeMap<&'static str, Term> {
    let mut f = BTreeMap::new();
    // A Force Complete Sync reads the org (at least one page, even of an empty org); a hook
    // sync reads it only when it holds users to match.
    let user_reads = match (w.full_read, w.users_in_org) {
        (true, n) => pages(n, USERS_PAGE).max(1),
        (false, 0) => 0,
        (false, n) => pages(n, USERS_PAGE),
    };
    f.insert(
        "users",
        Term {
            calls: w.users_created + w.users_patched + user_reads,
            formula: format!(
                "{} creates + {} PATCHes + ⌈{} in org/{USERS_PAGE}⌉ = {user_reads} page reads",
                w.users_created, w.users_patched, w.users_in_org
            ),
        },
    );
    f.insert("skills", kind_floor(w.skills, SKILLS_PAGE));
    f.insert("languages", kind_floor(w.languages, LANGUAGES_PAGE));
    f.insert("codes", kind_floor(w.codes, CODES_PAGE));
    f.insert("queues", kind_floor(w.queues, QUEUES_PAGE));
    let members: Vec<usize> = w.queue_sets.iter().map(|q| q.0).collect();
    let qcodes: Vec<usize> = w.queue_sets.iter().map(|q| q.1).collect();
    // An adopted queue's current members and codes are read once (a page of 100 each: the
    // seeded queues hold none) to diff against the workgroup's (issue 8).
    let adopted = w.queues.1;
    let with_reads = |mut t: Term| {
        if adopted > 0 {
            t.calls += adopted;
            t.formula += &format!(" + {adopted} reads of adopted queues");
        }
        t
    };
    f.insert("members", with_reads(bulk("q", &members, 100)));
    f.insert("queue codes", with_reads(bulk("q", &qcodes, 100)));
    let skills: Vec<usize> = w.assignments.iter().map(|a| a.0).collect();
    let langs: Vec<usize> = w.assignments.iter().map(|a| a.1).collect();
    f.insert("user skills", bulk("u", &skills, 50));
    f.insert("user languages", bulk("u", &langs, 50));
    f.insert(
        "externalid",
        Term {
            calls: w.external_ids,
            formula: format!("{} (one per user the path links)", w.external_ids),
        },
    );
    f.insert(
        "extid lookups",
        Term {
            calls: w.lookups,
            formula: format!(
                "{} (one per new user; the org holds unowned users)",
                w.lookups
            ),
        },
    );
    f.insert(
        "token",
        Term {
            calls: w.tokens,
            formula: format!("{}", w.tokens),
        },
    );
    if let Some(l) = &w.lists {
        crate::floor_lists::floor(&mut f, l, w);
    }
    f
}

/// The per-object pusher per group: a create per new object; an existing object looked up by
/// name (or email) one call each; a GET before every PATCH; one call per assignment, per
/// member and per queue code; a full sync GETs every user to compare.
pub fn pusher(w: &Work) -> BTreeMap<&'static str, Term> {
    let mut p = BTreeMap::new();
    let fs_reads = if w.full_read { w.users_in_org } else { 0 };
    let lookups = if w.full_read { 0 } else { w.users_adopted };
    p.insert(
        "users",
        Term {
            calls: w.users_created + lookups + 2 * w.users_patched + fs_reads,
            formula: format!(
                "{} creates + {lookups} lookups + 2 × {} GET+PATCH + {fs_reads} full-sync GETs",
                w.users_created, w.users_patched
            ),
        },
    );
    for (g, (created, adopted)) in [
        ("skills", w.skills),
        ("languages", w.languages),
        ("codes", w.codes),
        ("queues", w.queues),
    ] {
        p.insert(
            g,
            Term {
                calls: created + adopted,
                formula: format!("{created} creates + {adopted} lookups"),
            },
        );
    }
    let one_each = |n: usize, what: &str| Term {
        calls: n,
        formula: format!("{n} {what}, one call each"),
    };
    let members = w.queue_sets.iter().map(|q| q.0).sum();
    let qcodes = w.queue_sets.iter().map(|q| q.1).sum();
    p.insert("members", one_each(members, "members"));
    p.insert("queue codes", one_each(qcodes, "queue codes"));
    let skills = w.assignments.iter().map(|a| a.0).sum();
    let langs = w.assignments.iter().map(|a| a.1).sum();
    p.insert("user skills", one_each(skills, "skill assignments"));
    p.insert("user languages", one_each(langs, "language assignments"));
    p.insert("externalid", one_each(w.external_ids, "external ids"));
    p.insert("extid lookups", one_each(w.lookups, "lookups"));
    p.insert("token", one_each(w.tokens, "tokens"));
    if let Some(l) = &w.lists {
        crate::floor_lists::pusher(&mut p, l, w);
    }
    p
}

/// Where a group's calls go: the count per method, route and status, and how many objects
/// (request paths with an id) got more than one write.
pub fn breakdown(log: &[LoggedRequest], g: &str) -> (Vec<String>, usize) {
    let mut by = BTreeMap::<(String, String, u16), usize>::new();
    let mut writes = BTreeMap::<&str, usize>::new();
    for r in log.iter().filter(|r| group(&r.route) == g) {
        *by.entry((r.method.clone(), r.route.clone(), r.status))
            .or_default() += 1;
        if !is_read(r) && r.path != r.route {
            *writes.entry(r.path.as_str()).or_default() += 1;
        }
    }
    let lines = by
        .into_iter()
        .map(|((m, route, status), n)| format!("{n} × {m} {route} → {status}"))
        .collect();
    (lines, writes.values().filter(|n| **n > 1).count())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_fall_in_their_groups() {
        let cases = [
            ("/oauth/token", "token"),
            ("/api/v2/users", "users"),
            ("/api/v2/users/{userId}", "users"),
            ("/api/v2/users/search", "users"),
            ("/api/v2/users/{userId}/externalid", "externalid"),
            (
                "/api/v2/users/externalid/{authorityName}/{externalKey}",
                "extid lookups",
            ),
            ("/api/v2/users/{userId}/routingskills/bulk", "user skills"),
            (
                "/api/v2/users/{userId}/routinglanguages/bulk",
                "user languages",
            ),
            ("/api/v2/users/presences/bulk", "presence"),
            ("/api/v2/routing/skills", "skills"),
            ("/api/v2/routing/languages/{languageId}", "languages"),
            ("/api/v2/routing/wrapupcodes", "codes"),
            ("/api/v2/routing/queues", "queues"),
            ("/api/v2/routing/queues/{queueId}/members", "members"),
            (
                "/api/v2/routing/queues/{queueId}/wrapupcodes",
                "queue codes",
            ),
            (
                "/api/v2/routing/queues/{queueId}/wrapupcodes/{codeId}",
                "queue codes",
            ),
            ("/api/v2/organizations/me", "other"),
        ];
        for (route, g) in cases {
            assert_eq!(group(route), g, "{route}");
            assert!(GROUPS.contains(&g));
        }
    }

    #[test]
    fn the_floor_uses_the_bulk_limits_and_one_list_read_per_kind_the_org_holds() {
        let w = Work {
            users_created: 3,
            users_adopted: 2,
            users_patched: 2,
            users_in_org: 501,
            queues: (1, 0),
            skills: (4, 600),
            queue_sets: vec![(250, 10), (0, 0)],
            assignments: vec![(60, 1), (0, 0), (3, 0)],
            tokens: 1,
            ..Work::default()
        };
        let f = floor(&w);
        assert_eq!(f["users"].calls, 3 + 2 + 2);
        assert_eq!(f["queues"].calls, 1);
        assert_eq!(f["skills"].calls, 4 + 2);
        assert_eq!(f["members"].calls, 3);
        assert_eq!(f["queue codes"].calls, 1);
        assert_eq!(f["user skills"].calls, 2 + 1);
        assert_eq!(f["user languages"].calls, 1);
        let p = pusher(&w);
        assert_eq!(p["users"].calls, 3 + 2 + 4);
        assert_eq!(p["members"].calls, 250);
        assert_eq!(p["user skills"].calls, 63);
        assert_eq!(p["skills"].calls, 604);
    }
}
