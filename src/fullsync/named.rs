//! The pure planner of the kinds without external ids (workgroups → queues, skills → skills or
//! languages, wrap-up codes), written once: each kind says how its objects are named and what
//! drift is ([`Reconcile`], implemented in [`super::named_kinds`]); [`plan_named`] turns the
//! snapshot, the org read and the local records into operations. Ownership is the local record
//! (a link gcsync created or adopted) plus exact names: an object of the org is adopted only
//! when a snapshot object has exactly its name and no other object of the kind owns it; one
//! gcsync never linked and that the snapshot does not name is never touched.

use super::plan::{removals, Found, Op, OpKind, Plan};
use crate::kinds::{Applied, CicObject, Kind};
use crate::object::GcsyncObjectKind;
use std::collections::{HashMap, HashSet};

/// What gcsync knows locally of one object of a named kind.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LocalNamed {
    /// The linked Genesys object (none when never linked, or removed).
    pub genesys_id: Option<String>,
    /// gcsync created it (else adopted).
    pub created: bool,
    /// What CIC last said, when the object is Synced (compared with the snapshot).
    pub synced_as: Option<CicObject>,
    /// What gcsync last applied.
    pub applied: Option<Applied>,
}

/// How one kind is reconciled: what a full sync adds to the kind's own description ([`Kind`]:
/// its CIC objects, their ids, its number), which the defaults take from it.
pub trait Reconcile {
    /// The kind.
    type Kind: Kind<Cic = Self::Want>;
    /// A snapshot object (the kind's CIC object).
    type Want: Clone + Into<CicObject>;
    /// An object of the org, as read.
    type Have;
    /// The kind's number.
    const KIND: GcsyncObjectKind = <Self::Kind as Kind>::KIND;
    /// The snapshot object's CIC id.
    fn id(w: &Self::Want) -> &str {
        <Self::Kind as Kind>::id(w)
    }
    /// The Genesys name it syncs to (compared exactly, case included).
    fn name(w: &Self::Want) -> &str;
    /// The org object's Genesys id.
    fn have_id(h: &Self::Have) -> &str;
    /// The org object's name.
    fn have_name(h: &Self::Have) -> &str;
    /// Whether `h` is of the sort `w` becomes (a skill is not a language).
    fn fits(_w: &Self::Want, _h: &Self::Have) -> bool {
        true
    }
    /// The CIC object (as the queue and the object table carry it).
    fn object(w: &Self::Want) -> CicObject {
        w.clone().into()
    }
    /// What differs between `w` and `h` (names of the parts; empty: nothing), given the local
    /// record of `w` (`None` for an object about to be adopted).
    fn drift(&self, w: &Self::Want, h: &Self::Have, l: Option<&LocalNamed>) -> Vec<String>;
    /// What the org holds of `w` as the object table records it (`applied`), so the worker's
    /// own comparison finds exactly the drift (and nothing when there is none).
    fn applied(&self, w: &Self::Want, h: &Self::Have, l: Option<&LocalNamed>) -> Applied;
}

/// The facts one kind is planned from.
pub struct NamedFacts<'a, R: Reconcile> {
    /// The snapshot's objects (`None`: the snapshot has no part of this kind).
    pub snapshot: Option<&'a [R::Want]>,
    /// The org's objects of the kind.
    pub org: &'a [R::Have],
    /// Local knowledge per CIC id.
    pub local: &'a HashMap<String, LocalNamed>,
}

/// Plans one named kind. Operations, by CIC id:
/// - linked, present in the org: nothing when it matches and the record is Synced as the
///   snapshot says; `link` (no call, the record refreshed) when it matches otherwise;
///   `update` with the drifted parts;
/// - linked, gone from the org (deleted there): `restore` (created again, its parts with it);
/// - not linked: `link` (adopted, no call) or `update` (adopted, then its parts fixed) when an
///   org object has exactly its name and no other object owns it; else `create`;
/// - linked, missing from a non-empty snapshot part, still in the org: `remove`.
pub fn plan_named<R: Reconcile>(r: &R, f: &NamedFacts<R>) -> Plan {
    let by_id: HashMap<&str, &R::Have> = f.org.iter().map(|h| (R::have_id(h), h)).collect();
    let owners: HashMap<&str, &str> = f
        .local
        .iter()
        .filter_map(|(c, l)| l.genesys_id.as_deref().map(|g| (g, c.as_str())))
        .collect();
    let owned = owners.len();
    let mut ops = Vec::new();
    let Some(snapshot) = f.snapshot else {
        return Plan { ops, owned };
    };
    let mut in_snapshot = HashSet::new();
    for w in snapshot {
        let id = R::id(w);
        in_snapshot.insert(id);
        let op = |op, gid: Option<&str>, found, detail| Op {
            id: id.to_string(),
            op,
            genesys_id: gid.map(str::to_string),
            found,
            detail,
        };
        let l = f.local.get(id);
        if let Some(gid) = l.and_then(|l| l.genesys_id.as_deref()) {
            let Some(h) = by_id.get(gid) else {
                ops.push(op(
                    OpKind::Restore,
                    Some(gid),
                    Some(Found::Link),
                    vec!["deleted in the org".into()],
                ));
                continue;
            };
            let drift = r.drift(w, h, l);
            if !drift.is_empty() {
                ops.push(op(OpKind::Update, Some(gid), Some(Found::Link), drift));
            } else if l.and_then(|l| l.synced_as.as_ref()) != Some(&R::object(w)) {
                ops.push(op(OpKind::Link, Some(gid), Some(Found::Link), vec![]));
            }
            continue;
        }
        let free = |h: &&R::Have| owners.get(R::have_id(h)).is_none_or(|o| *o == id);
        let named = f
            .org
            .iter()
            .filter(free)
            .find(|h| R::have_name(h) == R::name(w) && R::fits(w, h));
        match named {
            Some(h) => {
                let drift = r.drift(w, h, None);
                let kind = if drift.is_empty() {
                    OpKind::Link
                } else {
                    OpKind::Update
                };
                ops.push(op(kind, Some(R::have_id(h)), Some(Found::Name), drift));
            }
            None => ops.push(op(OpKind::Create, None, None, vec![])),
        }
    }
    // Owned objects the snapshot no longer has (an empty part removes nothing; one already gone
    // from the org needs no call).
    if !snapshot.is_empty() {
        let removed = removals(
            f.local,
            &in_snapshot,
            |l| l.genesys_id.as_deref(),
            |g| by_id.contains_key(g),
        );
        ops.extend(removed);
    }
    ops.sort_by(|a, b| a.id.cmp(&b.id));
    Plan { ops, owned }
}
