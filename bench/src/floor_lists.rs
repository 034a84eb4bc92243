//! The list reads of a Force Complete Sync of every kind (README "Force Complete Sync", "Cost
//! of every kind"): what the org holds when the run reads it, the no-op floor
//! ⌈U/500⌉ + ⌈Q/500⌉ + Σq (⌊m_q/100⌋ + 1) + Σq′ ⌈c_q/100⌉ + ⌈S/500⌉ + ⌈L/100⌉ + ⌈W/100⌉ (each
//! list at least one page; the users' term is `floor_calc`'s), the re-read of each drifted
//! queue part the plan makes before writing it, and what a per-object pusher reads instead.

use crate::floor_calc::{Term, Work, CODES_PAGE, LANGUAGES_PAGE, QUEUES_PAGE, SKILLS_PAGE};
use gc_emulator::Emulator;
use std::collections::BTreeMap;

/// Page of a queue's members and of its wrap-up codes (API-FACTS §8).
pub const QUEUE_PART_PAGE: usize = 100;

/// What the org holds when a full sync of every kind reads it.
#[derive(Debug, Default, Clone)]
pub struct Lists {
    /// Queues in the org.
    pub queues: usize,
    /// Per queue of the snapshot: (members, wrap-up codes) in the org.
    pub parts: Vec<(usize, usize)>,
    /// Skills, languages and wrap-up codes in the org.
    pub skills: usize,
    pub languages: usize,
    pub codes: usize,
    /// Users the users' expansion reads (for the pusher's per-user assignment reads).
    pub users: usize,
}

fn live(emu: &Emulator, kind: &str) -> Vec<serde_json::Value> {
    let all = emu.dump(kind);
    all.as_array()
        .into_iter()
        .flatten()
        .filter(|o| o["state"] != "deleted")
        .cloned()
        .collect()
}

/// The org's lists as the emulator holds them now (every queue is one of the snapshot's: the
/// reference org has no other).
pub fn read(emu: &Emulator) -> Lists {
    let queues = live(emu, "queues");
    let len = |v: &serde_json::Value| v.as_array().map_or(0, Vec::len);
    Lists {
        queues: queues.len(),
        parts: queues
            .iter()
            .map(|q| (len(&q["members"]), len(&q["wrapupCodes"])))
            .collect(),
        skills: live(emu, "skills").len(),
        languages: live(emu, "languages").len(),
        codes: live(emu, "wrapupcodes").len(),
        users: emu.users().len(),
    }
}

fn add(t: &mut BTreeMap<&'static str, Term>, g: &'static str, calls: usize, formula: &str) {
    let e = t.entry(g).or_default();
    if e.calls == 0 {
        // "0 creates" and the like say nothing beside the reads.
        e.formula.clear();
    }
    e.calls += calls;
    if !e.formula.is_empty() {
        e.formula += " + ";
    }
    e.formula += formula;
}

fn list(n: usize, page: usize) -> usize {
    n.div_ceil(page).max(1)
}

/// Adds the list reads (and the drifted parts' re-reads and the code renames) to `floor`.
pub fn floor(f: &mut BTreeMap<&'static str, Term>, l: &Lists, w: &Work) {
    let page = QUEUE_PART_PAGE;
    let q = list(l.queues, QUEUES_PAGE);
    add(
        f,
        "queues",
        q,
        &format!("⌈Q {}/{QUEUES_PAGE}⌉ = {q} reads", l.queues),
    );
    let m: usize = l
        .parts
        .iter()
        .filter(|p| p.0 > 0)
        .map(|p| p.0 / page + 1)
        .sum();
    let c: usize = l.parts.iter().map(|p| p.1.div_ceil(page)).sum();
    let rm = w.queue_sets.iter().filter(|s| s.0 > 0).count();
    let rc = w.queue_sets.iter().filter(|s| s.1 > 0).count();
    add(f, "members", m, &format!("Σq (⌊m_q/{page}⌋+1) = {m} reads"));
    add(f, "queue codes", c, &format!("Σq ⌈c_q/{page}⌉ = {c} reads"));
    if rm > 0 {
        add(f, "members", rm, &format!("{rm} re-reads of drifted parts"));
    }
    if rc > 0 {
        add(
            f,
            "queue codes",
            rc,
            &format!("{rc} re-reads of drifted parts"),
        );
    }
    let (s, lg, wc) = (
        list(l.skills, SKILLS_PAGE),
        list(l.languages, LANGUAGES_PAGE),
        list(l.codes, CODES_PAGE),
    );
    add(
        f,
        "skills",
        s,
        &format!("⌈S {}/{SKILLS_PAGE}⌉ = {s} reads", l.skills),
    );
    add(
        f,
        "languages",
        lg,
        &format!("⌈L {}/{LANGUAGES_PAGE}⌉ = {lg} reads", l.languages),
    );
    add(
        f,
        "codes",
        wc,
        &format!("⌈W {}/{CODES_PAGE}⌉ = {wc} reads", l.codes),
    );
    if w.codes_renamed > 0 {
        let r = w.codes_renamed;
        add(f, "codes", r, &format!("{r} renames"));
    }
}

/// Adds what a per-object pusher reads to check every object: each queue, its members and its
/// codes, each skill, language and code, each user's skills and languages (one GET each), and
/// a code renamed back with one PUT.
pub fn pusher(p: &mut BTreeMap<&'static str, Term>, l: &Lists, w: &Work) {
    let q = l.parts.len();
    add(p, "queues", l.queues, &format!("{} GETs", l.queues));
    add(p, "members", q, &format!("{q} member list GETs"));
    add(p, "queue codes", q, &format!("{q} code list GETs"));
    add(p, "skills", l.skills, &format!("{} GETs", l.skills));
    add(
        p,
        "languages",
        l.languages,
        &format!("{} GETs", l.languages),
    );
    let renamed = w.codes_renamed;
    add(
        p,
        "codes",
        l.codes + renamed,
        &format!("{} GETs + {renamed} PUTs", l.codes),
    );
    add(p, "user skills", l.users, &format!("{} GETs", l.users));
    add(p, "user languages", l.users, &format!("{} GETs", l.users));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_no_op_floor_is_the_readme_formula_and_drift_adds_its_re_reads_and_writes() {
        let l = Lists {
            queues: 3,
            parts: vec![(5, 2), (100, 2), (0, 0)],
            skills: 2,
            languages: 1,
            codes: 101,
            users: 130,
        };
        let mut w = Work {
            users_in_org: 130,
            full_read: true,
            lists: Some(l.clone()),
            ..Work::default()
        };
        let f = crate::floor_calc::floor(&w);
        // 1 + 1 + (1 + 2) + (1 + 1) + 1 + 1 + 2: a full member page costs one more read.
        let total: usize = f.values().map(|t| t.calls).sum();
        assert_eq!(total, 11);
        assert_eq!(f["members"].calls, 3);
        assert_eq!(f["codes"].calls, 2);
        w.queue_sets = vec![(1, 1), (1, 0)];
        w.codes_renamed = 1;
        w.users_patched = 2;
        let f = crate::floor_calc::floor(&w);
        // Members: 3 reads + 2 re-reads + 2 bulk writes; codes: 1 re-read + 1 write.
        assert_eq!(f["members"].calls, 3 + 2 + 2);
        assert_eq!(f["queue codes"].calls, 2 + 1 + 1);
        assert_eq!(f["codes"].calls, 2 + 1);
        assert_eq!(f["users"].calls, 1 + 2);
        let p = crate::floor_calc::pusher(&w);
        assert_eq!(p["members"].calls, 3 + 2);
        assert_eq!(p["user skills"].calls, 130);
    }
}
