//! Users' skills and languages in a full sync (README "Force Complete Sync"): the org's users are
//! read with `expand=skills,languages` on the same pages, so checking every owned user's
//! assignments costs no extra call. Each user the plan leaves alone (in sync, or linked without
//! a call) has its effective assignments compared with what the org holds; drift is fixed with
//! the bulk endpoints in the fewest writes (only assignments gcsync made are removed), no drift
//! costs nothing. Users the plan sends to the worker (create, update, restore) are checked there.
//!
//! The expansion is best-effort (API-FACTS §2): a user whose `skills` (`languages`) field is
//! absent, or with `full_sync_expand_empty_is_missing` an empty list, is read from
//! `GET /api/v2/users/{id}/routingskills` (`routinglanguages`), and only when gcsync wants or
//! made an assignment of that category on it (otherwise there is nothing to fix).

use super::plan::{Op, OpKind};
use super::read::Expanded;
use super::Staging;
use crate::assignments::{bulk_max, plan_languages, plan_skills, Ops, Routing};
use crate::cic::CicUser;
use crate::engine::Shared;
use crate::genesys::skills::{self as api, Category};
use crate::genesys::Client;
use crate::kinds::skill::DesiredRouting;
use crate::kinds::Applied;
use crate::object::{GcsyncObjectKind, ObjectKey};
use crate::settings::Settings;
use crate::status::SyncState;
use crate::store::RowWrite;
use crate::user_sync::{Ctx, SyncError};
use crate::worker::{record_ahead, settle_read, Planned};
use std::collections::{BTreeMap, HashMap, HashSet};

/// What one user should hold. Today [`crate::kinds::skill::desired_routing`]: direct skills
/// plus those inherited from the workgroups gcsync knows locally. The seam for a snapshot that
/// carries workgroups: pass a function that inherits from the snapshot's instead.
pub type DesiredOf<'a> = &'a dyn Fn(&CicUser) -> DesiredRouting;

/// Whether a category must be read from the user's own endpoint: the expansion is missing
/// (absent; or empty when `empty_is_missing`) and gcsync wants or made an assignment of it.
pub fn needs_read(
    expanded: Option<&BTreeMap<String, f64>>,
    empty_is_missing: bool,
    desired: &BTreeMap<String, u8>,
    applied: &BTreeMap<String, u8>,
) -> bool {
    let missing = match expanded {
        None => true,
        Some(m) => empty_is_missing && m.is_empty(),
    };
    missing && !(desired.is_empty() && applied.is_empty())
}

/// The operations bringing `actual` to `desired` (skills, then languages): nothing when they
/// agree; only assignments gcsync made (`applied`) are removed. Pure.
pub fn plan_user(
    desired: &Routing,
    applied: &Routing,
    skills: &BTreeMap<String, f64>,
    languages: &BTreeMap<String, f64>,
) -> (Ops, Ops) {
    (
        plan_skills(&desired.skills, &applied.skills, Some(skills), bulk_max()),
        plan_languages(&desired.languages, &applied.languages, Some(languages)),
    )
}

/// After recording a user's assignments: a skill they were worked out from that started moving
/// or being deleted meanwhile has the user processed again by the worker (as
/// `worker/user_routing.rs` does).
fn again_if_outdated(shared: &Shared, want: &DesiredRouting, user: &str) {
    if want.outdated(shared) {
        crate::kinds::skill::requeue_users_for_skills(shared, &[user.to_string()]);
    }
}

/// What the check did, for the log and the tests.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Checked {
    /// Users compared.
    pub users: usize,
    /// Users whose assignments were read from their own endpoints (missing expansion).
    pub fallback_reads: usize,
    /// Users whose assignments were fixed.
    pub fixed: usize,
}

/// Checks the assignments of every snapshot user that `ops` leaves to this run (no operation,
/// or `link`) and is linked, not removed and not changed by a newer hook (`seq`); with `only`,
/// of those users alone, whatever their operation (the drifted users the run hands to the
/// worker unforced, checked before they are queued).
#[allow(clippy::too_many_arguments)]
pub fn check(
    shared: &Shared,
    client: &Client,
    settings: &Settings,
    staging: &Staging,
    expanded: &HashMap<String, Expanded>,
    (ops, only): (&[Op], Option<&HashSet<&str>>),
    seq: u64,
    desired_of: DesiredOf,
) -> Result<Checked, String> {
    let by_worker: HashSet<&str> = ops
        .iter()
        .filter(|o| o.op != OpKind::Link)
        .map(|o| o.id.as_str())
        .collect();
    let mut done = Checked::default();
    let metrics = shared.metrics.clone();
    let mut ctx = Ctx {
        client,
        settings,
        metrics: &metrics,
    };
    for user in &staging.users {
        if shared.full_sync.cancel.is_shutdown() {
            return Err("gcsync is shutting down".into());
        }
        let key = ObjectKey::user(user.id.as_str());
        let left_to_worker = match only {
            Some(only) => !only.contains(user.id.as_str()),
            None => by_worker.contains(user.id.as_str()),
        };
        if left_to_worker || shared.queue.is_pending(&key) || shared.queue.newer_than(&key, seq) {
            continue;
        }
        // As the worker's assignment step: a skill's move or deletion waits for this user's
        // check, and a skill that starts moving during it has the user processed again.
        let _assigning = shared.routing_locks.lock(&user.id);
        let Some(record) = shared.objects.get(&key) else {
            continue;
        };
        let gid = match (&record.status.genesys_id, record.status.state) {
            (Some(g), SyncState::Synced) if !record.status.removed => g.clone(),
            _ => continue,
        };
        let Some(x) = expanded.get(&gid) else {
            continue;
        };
        let want = desired_of(user);
        if !want.pending.is_empty() {
            // Skills on their way: the worker assigns them all once they are synced.
            continue;
        }
        // What gcsync made, and what a step stopped short of its outcome was writing (those
        // the user holds are gcsync's: README "Crash-consistent assignments").
        let (mut applied, adding) = match &record.applied {
            Some(Applied::User(a)) => (a.routing.clone(), a.adding.clone()),
            _ => Default::default(),
        };
        let made = |a: &BTreeMap<String, u8>, b: &BTreeMap<String, u8>| {
            a.iter().chain(b).map(|(k, v)| (k.clone(), *v)).collect()
        };
        let (made_s, made_l) = (
            made(&applied.skills, &adding.skills),
            made(&applied.languages, &adding.languages),
        );
        done.users += 1;
        let empty_is_missing = settings.full_sync.expand_empty_is_missing;
        let read_one = |cat, got: &Option<BTreeMap<String, f64>>, w, a| {
            if needs_read(got.as_ref(), empty_is_missing, w, a) {
                api::user_assignments(client, cat, &gid).map(|m| (m, true))
            } else {
                Ok((got.clone().unwrap_or_default(), false))
            }
        };
        let fail = |e| format!("reading the assignments of user {} failed: {e}", user.id);
        let (skills, s_read) =
            read_one(Category::Skill, &x.skills, &want.routing.skills, &made_s).map_err(fail)?;
        let (languages, l_read) = read_one(
            Category::Language,
            &x.languages,
            &want.routing.languages,
            &made_l,
        )
        .map_err(fail)?;
        settle_read(&mut applied.skills, &adding.skills, Some(&skills));
        settle_read(&mut applied.languages, &adding.languages, Some(&languages));
        done.fallback_reads += usize::from(s_read || l_read);
        let (s_ops, l_ops) = plan_user(&want.routing, &applied, &skills, &languages);
        if s_ops.is_empty() && l_ops.is_empty() {
            if applied != want.routing || !adding.is_empty() {
                // The org holds what gcsync wants (e.g. a user re-linked after a lost data
                // directory): remember those as gcsync's, so a later CIC removal removes them.
                let routing = want.routing.clone();
                let r = shared.objects.update(&key, |r| {
                    if let Some(Applied::User(a)) = &mut r.applied {
                        a.routing = routing;
                        a.adding = Routing::default();
                    }
                });
                shared.persist(RowWrite {
                    key,
                    record: Some(r),
                    done_seq: None,
                });
                again_if_outdated(shared, &want, &user.id);
            }
            continue;
        }
        log::info!(
            "user {}: skills or languages drifted in Genesys Cloud; putting them back",
            user.id
        );
        let mut now = applied.clone();
        let mut warnings = Vec::new();
        let name = |g: &str| {
            shared
                .objects
                .owner_of(GcsyncObjectKind::Skill, g)
                .unwrap_or_else(|| g.to_string())
        };
        let result = (|| -> Result<(), SyncError> {
            let planned = |want, owned, ops| Planned { want, owned, ops };
            record_ahead(
                shared,
                &key,
                planned(&want.routing.skills, &applied.skills, &s_ops),
                planned(&want.routing.languages, &applied.languages, &l_ops),
            )?;
            let both = [
                (
                    Category::Skill,
                    &s_ops,
                    &want.routing.skills,
                    &mut now.skills,
                ),
                (
                    Category::Language,
                    &l_ops,
                    &want.routing.languages,
                    &mut now.languages,
                ),
            ];
            for (cat, ops, w, n) in both {
                let warn = &mut warnings;
                crate::worker::execute_assignments(&mut ctx, cat, &gid, ops, w, n, warn, &name)?;
            }
            Ok(())
        })();
        if result.is_ok() && warnings.is_empty() {
            // Everything wanted is in place, and nothing gcsync made beyond it is left.
            now = want.routing.clone();
        }
        let r = shared.objects.update(&key, |r| {
            if let Some(Applied::User(a)) = &mut r.applied {
                a.routing = now;
                if result.is_ok() {
                    a.adding = Routing::default();
                }
            }
            r.status.warnings.extend(warnings);
        });
        shared.persist(RowWrite {
            key,
            record: Some(r),
            done_seq: None,
        });
        again_if_outdated(shared, &want, &user.id);
        result.map_err(|e| format!("fixing the assignments of user {} failed: {e}", user.id))?;
        done.fixed += 1;
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pairs: &[(&str, f64)]) -> BTreeMap<String, f64> {
        pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    }

    fn r(skills: &[(&str, u8)], languages: &[(&str, u8)]) -> Routing {
        let conv = |p: &[(&str, u8)]| p.iter().map(|(k, v)| (k.to_string(), *v)).collect();
        Routing {
            skills: conv(skills),
            languages: conv(languages),
        }
    }

    #[test]
    fn only_a_missing_expansion_of_a_category_in_use_is_read() {
        let (want, none) = (r(&[("s", 3)], &[]).skills, BTreeMap::new());
        assert!(needs_read(None, false, &want, &none));
        assert!(!needs_read(None, false, &none, &none), "nothing to fix");
        assert!(needs_read(None, false, &none, &want), "gcsync made one");
        let empty = BTreeMap::new();
        assert!(!needs_read(Some(&empty), false, &want, &none));
        assert!(needs_read(Some(&empty), true, &want, &none));
        let held = m(&[("s", 3.0)]);
        assert!(!needs_read(Some(&held), true, &want, &none));
    }

    #[test]
    fn agreement_costs_nothing_and_drift_the_fewest_writes() {
        let want = r(&[("s1", 3), ("s2", 5)], &[("l1", 2)]);
        let (s, l) = plan_user(
            &want,
            &want,
            &m(&[("s1", 3.0), ("s2", 5.0), ("other", 1.0)]),
            &m(&[("l1", 2.0)]),
        );
        assert!(
            s.is_empty() && l.is_empty(),
            "others' assignments are left alone"
        );
        // s2 removed in the org, s1's proficiency changed: one bulk PATCH of both.
        let (s, l) = plan_user(&want, &want, &m(&[("s1", 2.0)]), &m(&[("l1", 2.0)]));
        assert_eq!(s.upsert, vec![("s1".into(), 3), ("s2".into(), 5)]);
        assert_eq!((s.calls(bulk_max()), l.calls(bulk_max())), (1, 0));
        // A language gcsync made and no longer wants is removed; one it never made is kept.
        let (s, l) = plan_user(
            &r(&[], &[]),
            &r(&[], &[("l1", 2)]),
            &m(&[]),
            &m(&[("l1", 2.0), ("l9", 4.0)]),
        );
        assert!(s.is_empty());
        assert_eq!(l.remove, vec!["l1".to_string()]);
    }
}
