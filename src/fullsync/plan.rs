//! The pure planner of a full sync: desired state (the snapshot), what the org holds (one paged
//! read, plus external-id lookups) and what gcsync knows locally go in; the operations that
//! bring the org to the snapshot come out. No I/O, so a dry run and the real run that follows
//! compute the same plan from the same facts.

use crate::cic::CicUser;
use crate::diff::user_patch;
use crate::genesys::users::GcUser;
use crate::mapping::{desired_user, DesiredUser};
use crate::settings::RemovalPolicy;
use std::collections::{BTreeMap, HashMap, HashSet};

/// What to do to one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OpKind {
    /// No Genesys user for it: create one (through the worker, which matches first).
    Create,
    /// An owned user differs from the snapshot (drift, or inactive): put it back.
    Update,
    /// Its Genesys user was deleted in the org: restore it (or re-create when it is gone).
    Restore,
    /// The org already holds exactly the snapshot: record the link locally, no call.
    Link,
    /// Owned, missing from the snapshot: remove it per `user_removal_policy`.
    Remove,
    /// The CIC data cannot be mapped (the worker records the reason, without a call).
    Invalid,
}

impl OpKind {
    /// The name in the plan JSON.
    pub fn name(self) -> &'static str {
        match self {
            OpKind::Create => "create",
            OpKind::Update => "update",
            OpKind::Restore => "restore",
            OpKind::Link => "link",
            OpKind::Remove => "remove",
            OpKind::Invalid => "invalid",
        }
    }

    /// Whether applying it sends a write to Genesys Cloud.
    pub fn writes(self) -> bool {
        matches!(
            self,
            OpKind::Create | OpKind::Update | OpKind::Restore | OpKind::Remove
        )
    }
}

/// How the Genesys user of an object was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Found {
    /// Through the local link.
    Link,
    /// Through the external identifier gcsync recorded on it.
    ExternalId,
    /// By email (adopted, as an incremental sync would).
    Email,
    /// By exact name (a kind without external ids: adopted, as its hook would).
    Name,
}

/// One planned operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Op {
    /// The CIC id.
    pub id: String,
    /// What to do.
    pub op: OpKind,
    /// The Genesys user it applies to, when one was found.
    pub genesys_id: Option<String>,
    /// How it was found.
    pub found: Option<Found>,
    /// The fields that differ (for an update), or the reason (for an invalid object).
    pub detail: Vec<String>,
}

/// What gcsync knows locally of one user.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Local {
    /// The linked Genesys user (none when never linked or removed).
    pub genesys_id: Option<String>,
    /// What was last applied, when the object is Synced.
    pub synced_as: Option<DesiredUser>,
}

/// The facts a plan is made from.
pub struct Facts<'a> {
    /// The snapshot's users (`None`: the snapshot has no user part; nothing is removed).
    pub snapshot: Option<&'a [CicUser]>,
    /// Every user of the org, any state.
    pub org: &'a [GcUser],
    /// Local knowledge per CIC id (owned objects are those with a Genesys id).
    pub local: &'a HashMap<String, Local>,
    /// Users found by external id, per CIC id.
    pub by_external: &'a HashMap<String, GcUser>,
    /// `default_country_code`.
    pub country: Option<&'a str>,
    /// `user_removal_policy`.
    pub policy: RemovalPolicy,
}

/// The operations, sorted by id, with the number of owned users they were planned against.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Plan {
    /// Every operation, by CIC id.
    pub ops: Vec<Op>,
    /// Users gcsync owned before the run.
    pub owned: usize,
}

impl Plan {
    /// Operations per kind of operation.
    pub fn counts(&self) -> BTreeMap<&'static str, usize> {
        let mut m = BTreeMap::new();
        for o in &self.ops {
            *m.entry(o.op.name()).or_default() += 1;
        }
        m
    }
}

/// Plans the users. `synced_as` equal to the desired user and the org matching it means no
/// operation at all.
pub fn plan_users(f: &Facts) -> Plan {
    let by_id: HashMap<&str, &GcUser> = f.org.iter().map(|u| (u.id.as_str(), u)).collect();
    let linked: HashMap<&str, &str> = f
        .local
        .iter()
        .filter_map(|(c, l)| l.genesys_id.as_deref().map(|g| (g, c.as_str())))
        .collect();
    let mut by_email: HashMap<String, Vec<&GcUser>> = HashMap::new();
    for u in f.org {
        if let Some(e) = &u.email {
            by_email.entry(e.to_lowercase()).or_default().push(u);
        }
    }
    let owned = linked.len();
    let mut ops = Vec::new();
    let Some(snapshot) = f.snapshot else {
        return Plan { ops, owned };
    };
    let mut in_snapshot = HashSet::new();
    for c in snapshot {
        in_snapshot.insert(c.id.as_str());
        let op = |op, g: Option<&GcUser>, found, detail| Op {
            id: c.id.clone(),
            op,
            genesys_id: g.map(|g| g.id.clone()),
            found,
            detail,
        };
        let desired = match desired_user(c, f.country) {
            Ok(m) => m.user,
            Err(e) => {
                ops.push(op(OpKind::Invalid, None, None, vec![e.0]));
                continue;
            }
        };
        let local = f.local.get(&c.id);
        let link = local.and_then(|l| l.genesys_id.as_deref());
        let found = if let Some(g) = link.and_then(|g| by_id.get(g)) {
            Some((*g, Found::Link))
        } else if let Some(g) = f.by_external.get(&c.id) {
            Some((
                by_id.get(g.id.as_str()).copied().unwrap_or(g),
                Found::ExternalId,
            ))
        } else {
            // Adopted by email, as the worker would: never one another CIC user owns.
            let free = |g: &&&GcUser| linked.get(g.id.as_str()).is_none_or(|o| *o == c.id);
            let same = by_email.get(&desired.email.to_lowercase());
            let pick = |live: bool| {
                same.and_then(|v| {
                    v.iter()
                        .filter(free)
                        .find(|g| (g.state() != "deleted") == live)
                        .copied()
                })
            };
            pick(true)
                .or_else(|| pick(false))
                .map(|g| (g, Found::Email))
        };
        let Some((g, how)) = found else {
            // Never linked, or its Genesys user is gone for good: (re-)create.
            ops.push(op(OpKind::Create, None, None, vec![]));
            continue;
        };
        if g.state() == "deleted" {
            ops.push(op(
                OpKind::Restore,
                Some(g),
                Some(how),
                vec!["state".into()],
            ));
            continue;
        }
        let mut fields: Vec<String> = user_patch(&desired, g)
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default();
        if g.state() != "active" {
            fields.insert(0, "state".into());
        }
        if !fields.is_empty() {
            ops.push(op(OpKind::Update, Some(g), Some(how), fields));
        } else {
            let in_sync =
                how == Found::Link && local.and_then(|l| l.synced_as.as_ref()) == Some(&desired);
            if !in_sync {
                ops.push(op(OpKind::Link, Some(g), Some(how), vec![]));
            }
        }
    }
    // Owned users the snapshot no longer has (an empty user part removes nothing), unless the
    // policy's removal is done already.
    if !snapshot.is_empty() {
        ops.extend(removals(
            f.local,
            &in_snapshot,
            |l| l.genesys_id.as_deref(),
            |gid| {
                by_id.get(gid).is_some_and(|g| match f.policy {
                    RemovalPolicy::Deactivate => g.state() == "active",
                    RemovalPolicy::Delete => g.state() != "deleted",
                })
            },
        ));
    }
    ops.sort_by(|a, b| a.id.cmp(&b.id));
    Plan { ops, owned }
}

/// The `remove` operations of a planner: one for each object of `local` that is linked
/// (`genesys_id`), absent from the snapshot (`in_snapshot`) and still to be removed in the org
/// (`to_remove`, given its Genesys id).
pub(super) fn removals<'a, L>(
    local: &'a HashMap<String, L>,
    in_snapshot: &'a HashSet<&str>,
    genesys_id: impl Fn(&'a L) -> Option<&'a str> + 'a,
    to_remove: impl Fn(&str) -> bool + 'a,
) -> impl Iterator<Item = Op> + 'a {
    local.iter().filter_map(move |(cic, l)| {
        let gid = genesys_id(l)?;
        (!in_snapshot.contains(cic.as_str()) && to_remove(gid)).then(|| Op {
            id: cic.clone(),
            op: OpKind::Remove,
            genesys_id: Some(gid.to_string()),
            found: Some(Found::Link),
            detail: vec![],
        })
    })
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
