//! A user's skills and languages in Genesys Cloud, planned without I/O: CIC proficiency (1-100)
//! to stars (1-5), a user's effective skills (direct + inherited from workgroups), and the
//! operations that bring Genesys Cloud from what it holds to what it should hold in the fewest
//! calls the bulk endpoints allow.

use crate::payloads::SkillRef;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The default star thresholds: 1-20 → 1 star, 21-40 → 2, 41-60 → 3, 61-80 → 4, 81-100 → 5
/// (five equal bands; FACTS §1, UNCONFIRMED, hence the `proficiency_bands` setting).
pub const DEFAULT_BANDS: [i64; 4] = [20, 40, 60, 80];

/// Most entries one `PATCH`/`PUT …/routingskills/bulk` or `PATCH …/routinglanguages/bulk` call
/// takes (the table in [`crate::batch`]).
pub fn bulk_max() -> usize {
    crate::batch::max_items("PATCH", "/api/v2/users/{userId}/routingskills/bulk")
}

/// A CIC proficiency as Genesys stars (1-5): the number of `bands` thresholds below it, plus
/// one. A value outside 1-100 is clamped first (`true` in the answer: name it in the warnings);
/// an absent one is CIC's default, 1. The one place the scale is converted.
pub fn stars(proficiency: Option<i64>, bands: &[i64; 4]) -> (u8, bool) {
    let p = proficiency.unwrap_or(1);
    let clamped = p.clamp(1, 100);
    let above = bands.iter().filter(|t| clamped > **t).count();
    (1 + above as u8, clamped != p)
}

/// A user's effective CIC skills (skill id → proficiency as CIC gave it): every skill set
/// directly on the user, plus every skill of every workgroup they belong to. A direct value
/// wins over inherited ones; otherwise the highest inherited value wins (FACTS §1: UNCONFIRMED,
/// chosen and documented). A skill listed twice at one level keeps its highest value. An absent
/// proficiency counts as CIC's default, 1.
pub fn effective(direct: &[SkillRef], inherited: &[&[SkillRef]]) -> BTreeMap<String, i64> {
    let p = |s: &SkillRef| s.proficiency.unwrap_or(1);
    let mut out: BTreeMap<String, i64> = BTreeMap::new();
    for s in inherited.iter().flat_map(|w| w.iter()) {
        let e = out.entry(s.id.clone()).or_insert(i64::MIN);
        *e = (*e).max(p(s));
    }
    let mut direct_seen: BTreeMap<&str, i64> = BTreeMap::new();
    for s in direct {
        let e = direct_seen.entry(&s.id).or_insert(i64::MIN);
        *e = (*e).max(p(s));
    }
    for (id, v) in direct_seen {
        out.insert(id.to_string(), v);
    }
    out
}

/// Assignments by Genesys id (skill or language id → stars): what a user should hold, or what
/// gcsync last applied.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Routing {
    /// Routing skills.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub skills: BTreeMap<String, u8>,
    /// Routing languages.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub languages: BTreeMap<String, u8>,
}

impl Routing {
    /// Nothing assigned.
    pub fn is_empty(&self) -> bool {
        self.skills.is_empty() && self.languages.is_empty()
    }
}

/// The calls for one kind of assignment. Run in this order: `replace` (PUT, first chunk of the
/// whole set), `upsert` (bulk PATCH in chunks), `remove` (one DELETE each).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Ops {
    /// `PUT …/routingskills/bulk` with these (the complete set, or its first chunk when the rest
    /// follows in `upsert`). Skills only.
    pub replace: Option<Vec<(String, u8)>>,
    /// Added or changed entries for the bulk PATCH.
    pub upsert: Vec<(String, u8)>,
    /// Ids whose assignment gcsync made and no longer wants.
    pub remove: Vec<String>,
}

impl Ops {
    /// Whether nothing needs to be sent.
    pub fn is_empty(&self) -> bool {
        self.replace.is_none() && self.upsert.is_empty() && self.remove.is_empty()
    }

    /// The calls these operations cost with `max` entries a bulk call.
    pub fn calls(&self, max: usize) -> usize {
        usize::from(self.replace.is_some()) + self.upsert.len().div_ceil(max) + self.remove.len()
    }
}

fn same(actual: f64, stars: u8) -> bool {
    (actual - f64::from(stars)).abs() < 1e-9
}

/// Settles what gcsync recorded before a write whose outcome was never committed (`adding`: a
/// crash, a failed or unanswered write; [`written_ahead`]) against what Genesys holds
/// (`actual`): each entry Genesys holds is gcsync's, in `applied` with the stars Genesys holds
/// (0 when those are not whole stars, so a wanted one is written again); one it does not hold
/// is not gcsync's (an addition never made, a removal made). An assignment made by someone
/// else is never in `adding`, so it stays someone else's.
pub fn settle(
    applied: &mut BTreeMap<String, u8>,
    adding: &BTreeMap<String, u8>,
    actual: &BTreeMap<String, f64>,
) {
    for (id, intended) in adding {
        let Some(v) = actual.get(id) else {
            applied.remove(id);
            continue;
        };
        let stars = match same(*v, *intended) {
            true => *intended,
            false if v.fract() == 0.0 && (1.0..=5.0).contains(v) => *v as u8,
            false => 0,
        };
        applied.insert(id.clone(), stars);
    }
}

/// What `ops` are about to write that `owned` (what gcsync owns, settled) does not say: the
/// record made durably before the write (README "Crash-consistent assignments"), so a step
/// that stops short of its outcome makes the next one read the user. The entries added or
/// whose stars change, with their new stars (a replacing `PUT` counts only for what gcsync
/// wants, `desired`: what it sends back of others' assignments stays theirs), and the owned
/// entries removed (by `DELETE`, or left out of a replacing `PUT`), with the stars owned.
pub fn written_ahead(
    ops: &Ops,
    desired: &BTreeMap<String, u8>,
    owned: &BTreeMap<String, u8>,
) -> BTreeMap<String, u8> {
    let replaced = ops.replace.iter().flatten();
    let mut out: BTreeMap<String, u8> = replaced
        .chain(&ops.upsert)
        .filter(|(id, v)| desired.contains_key(id) && owned.get(id) != Some(v))
        .cloned()
        .collect();
    // A replacing PUT leaves out every owned entry gcsync no longer wants (`plan_skills`).
    let removed = owned.iter().filter(|(id, _)| {
        ops.remove.contains(*id) || (ops.replace.is_some() && !desired.contains_key(*id))
    });
    out.extend(removed.map(|(id, v)| (id.clone(), *v)));
    out
}

/// The diff of `desired` against `applied` (what gcsync last wrote) and, when read, `actual`
/// (what Genesys holds). Only assignments gcsync made (in `applied`) are ever removed; others
/// are left alone.
fn diff(
    desired: &BTreeMap<String, u8>,
    applied: &BTreeMap<String, u8>,
    actual: Option<&BTreeMap<String, f64>>,
) -> Ops {
    let upsert = desired
        .iter()
        .filter(|(id, v)| match actual {
            Some(a) => !a.get(*id).is_some_and(|x| same(*x, **v)),
            None => applied.get(*id) != Some(*v),
        })
        .map(|(id, v)| (id.clone(), *v))
        .collect();
    let remove = applied
        .keys()
        .filter(|id| !desired.contains_key(*id))
        .filter(|id| actual.is_none_or(|a| a.contains_key(*id)))
        .cloned()
        .collect();
    Ops {
        replace: None,
        upsert,
        remove,
    }
}

/// Whether reading the user's skills first can make the write cheaper: a replacing PUT needs
/// the whole current set (so others' assignments are kept), and pays off from three removals.
pub fn skills_need_read(desired: &BTreeMap<String, u8>, applied: &BTreeMap<String, u8>) -> bool {
    applied.keys().filter(|k| !desired.contains_key(*k)).count() >= 3
}

/// The skill operations: the diff, or, when `actual` was read and it is cheaper, the replacing
/// PUT of the whole target set (what Genesys holds, less what gcsync no longer wants, plus
/// what it wants), its first chunk by PUT and the rest by PATCH.
pub fn plan_skills(
    desired: &BTreeMap<String, u8>,
    applied: &BTreeMap<String, u8>,
    actual: Option<&BTreeMap<String, f64>>,
    max: usize,
) -> Ops {
    let d = diff(desired, applied, actual);
    let Some(actual) = actual else {
        return d;
    };
    if d.is_empty() {
        return d;
    }
    let kept = actual
        .iter()
        .filter(|(id, _)| !d.remove.contains(*id) && !desired.contains_key(*id));
    // Others' assignments are sent back as they are: one that is not whole stars cannot be.
    if kept
        .clone()
        .any(|(_, v)| v.fract() != 0.0 || !(0.0..=5.0).contains(v))
    {
        return d;
    }
    let mut target: BTreeMap<String, u8> = kept.map(|(id, v)| (id.clone(), *v as u8)).collect();
    target.extend(desired.iter().map(|(k, v)| (k.clone(), *v)));
    let all: Vec<(String, u8)> = target.into_iter().collect();
    let mut rest = all.into_iter();
    let first: Vec<(String, u8)> = rest.by_ref().take(max.max(1)).collect();
    let replace = Ops {
        replace: Some(first),
        upsert: rest.collect(),
        remove: Vec::new(),
    };
    if replace.calls(max) < d.calls(max) {
        replace
    } else {
        d
    }
}

/// The language operations: always a diff (there is no replacing call for languages), against
/// `actual` when it was read (a forced check).
pub fn plan_languages(
    desired: &BTreeMap<String, u8>,
    applied: &BTreeMap<String, u8>,
    actual: Option<&BTreeMap<String, f64>>,
) -> Ops {
    diff(desired, applied, actual)
}

#[cfg(test)]
mod tests;
