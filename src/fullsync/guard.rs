//! The deletion guard of a full sync, per kind: a run that would remove more than
//! `deletion_guard_percent` of a kind's owned objects, or more than `deletion_guard_max` of
//! them, holds that kind's removals (applied by `gcsync_force_sync_release_held`) and applies
//! the rest. Pure.

use super::plan::{Op, OpKind, Plan};
use crate::object::GcsyncObjectKind;
use crate::settings::Settings;

/// Splits a kind's plan into what is applied now and the removals the deletion guard holds
/// (more than `deletion_guard_percent` of the kind's owned objects, or `deletion_guard_max`).
pub(super) fn guard(
    settings: &Settings,
    kind: GcsyncObjectKind,
    plan: &Plan,
) -> (Vec<Op>, Vec<Op>, Option<String>) {
    let g = &settings.full_sync;
    let removes = plan.ops.iter().filter(|o| o.op == OpKind::Remove).count();
    let too_many = removes as u64 > g.deletion_guard_max;
    let too_much = removes * 100 > g.deletion_guard_percent as usize * plan.owned;
    if !g.deletion_guard || removes == 0 || !(too_many || too_much) {
        return (plan.ops.clone(), Vec::new(), None);
    }
    let reason = format!(
        "the run would remove {removes} of {} owned {}(s), more than deletion_guard_percent={} % \
         or deletion_guard_max={}; call gcsync_force_sync_release_held to apply them",
        plan.owned,
        kind.name(),
        g.deletion_guard_percent,
        g.deletion_guard_max
    );
    let (held, apply) = plan
        .ops
        .iter()
        .cloned()
        .partition(|o| o.op == OpKind::Remove);
    (apply, held, Some(reason))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(removes: usize, others: usize, owned: usize) -> Plan {
        let op = |i: usize, op| Op {
            id: format!("o{i}"),
            op,
            genesys_id: None,
            found: None,
            detail: vec![],
        };
        let mut ops: Vec<Op> = (0..removes).map(|i| op(i, OpKind::Remove)).collect();
        ops.extend((0..others).map(|i| op(removes + i, OpKind::Create)));
        Plan { ops, owned }
    }

    fn settings(percent: u32, max: u64, on: bool) -> Settings {
        let mut s = Settings::for_tests();
        s.full_sync.deletion_guard_percent = percent;
        s.full_sync.deletion_guard_max = max;
        s.full_sync.deletion_guard = on;
        s
    }

    #[test]
    fn removals_over_either_limit_of_a_kind_are_held_and_the_rest_applied() {
        let kind = GcsyncObjectKind::Skill;
        // 2 of 10 owned is 20 %: not more than 20 %, applied.
        let (now, held, why) = guard(&settings(20, 500, true), kind, &plan(2, 3, 10));
        assert_eq!((now.len(), held.len(), why), (5, 0, None));
        // 3 of 10 is more than 20 %: held, the creates applied, the reason names the kind.
        let (now, held, why) = guard(&settings(20, 500, true), kind, &plan(3, 3, 10));
        assert_eq!((now.len(), held.len()), (3, 3));
        assert!(now.iter().all(|o| o.op == OpKind::Create));
        assert!(why.unwrap().contains("owned skill(s)"));
        // The absolute count binds on its own.
        let (_, held, why) = guard(&settings(100, 2, true), kind, &plan(3, 0, 1000));
        assert_eq!(held.len(), 3);
        assert!(why.unwrap().contains("deletion_guard_max=2"));
        // Off: everything applied.
        let (now, held, _) = guard(&settings(0, 0, false), kind, &plan(3, 0, 3));
        assert_eq!((now.len(), held.len()), (3, 0));
    }
}
