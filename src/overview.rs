//! The overview JSON of `gcsync_overview`, written straight into one buffer (no `Value` tree;
//! members sorted, as serde_json prints a map). Counts are maintained as objects change, so
//! nothing is scanned; the settings are read under their lock without copying them.

use crate::engine::Shared;
use crate::json_out::JsonOut;
use crate::metrics::Metrics;
use crate::object::GcsyncObjectKind;
use crate::objects::Counts;
use crate::usage::UsageState;
use std::cell::Cell;
use std::sync::atomic::Ordering;
use std::sync::LazyLock;

thread_local! {
    /// Each host thread's overview buffer, kept from one call to the next: a fresh buffer of
    /// 1-2 KB per call is past glibc's per-thread cache (and regrew past 1 KB with a long last
    /// error).
    static BUF: Cell<Vec<u8>> = const { Cell::new(Vec::new()) };
}

/// What the overview shows besides the metrics and `api_base_url`.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
struct Facts {
    /// (waiting now, waiting for a retry time, in flight).
    depth: (usize, usize, usize),
    counts: Counts,
    /// Per kind, in [`GcsyncObjectKind::ALL`] order.
    kinds: [Counts; GcsyncObjectKind::ALL.len()],
    /// Unix seconds of the worker's last finished attempt, 0 if none.
    last_run: u64,
    sync_user_objects: bool,
    sync_advanced_platform_objects: bool,
    allowance: Option<u64>,
}

/// The overview of a running instance.
pub fn render(shared: &Shared) -> String {
    let mut out = JsonOut::with_capacity(2048);
    write(shared, &mut out);
    out.into_string()
}

/// Writes the overview into this thread's reused buffer and hands it to `f` (which must not
/// ask for an overview itself: it would get a buffer of its own, not this one).
pub fn with_rendered<R>(shared: &Shared, f: impl FnOnce(&str) -> R) -> R {
    let mut out = JsonOut::reusing(BUF.try_with(Cell::take).unwrap_or_default());
    write(shared, &mut out);
    let r = f(out.as_str());
    let _ = BUF.try_with(|b| b.set(out.into_vec()));
    r
}

fn write(shared: &Shared, out: &mut JsonOut) {
    out.raw("{\"api_base_url\":");
    // One read of the settings, written from under their lock without copying them.
    let (sync_user_objects, sync_advanced_platform_objects, allowance, per_minute) = shared
        .with_settings(|s| {
            out.str(&s.api_base_url);
            (
                s.sync_user_objects,
                s.sync_advanced_platform_objects,
                s.monthly_api_allowance,
                s.requests_per_minute,
            )
        });
    // Each kind's counts read once; the total is their sum (as `ObjectTable::counts` adds them).
    let kinds = GcsyncObjectKind::ALL.map(|k| shared.objects.kind_counts(k));
    let mut counts = Counts::default();
    kinds.iter().for_each(|k| counts.add(k));
    let facts = Facts {
        depth: shared.queue.depth(),
        counts,
        kinds,
        last_run: shared.last_run(),
        sync_user_objects,
        sync_advanced_platform_objects,
        allowance,
    };
    write_rest(out, &facts, &shared.metrics);
    // The full sync's object goes last (`{...,"full_sync":{...}}`), in the same buffer.
    out.raw(",\"full_sync\":");
    let calls = Metrics::get(&shared.metrics.api_calls);
    shared.full_sync.render(out, calls, per_minute);
    out.raw("}");
}

/// The kinds by name, as a JSON map prints them (the numbers' order is not the names'), with
/// their positions in [`GcsyncObjectKind::ALL`]: sorted once, not per overview.
static BY_NAME: LazyLock<[(usize, GcsyncObjectKind); GcsyncObjectKind::ALL.len()]> =
    LazyLock::new(|| {
        let mut by_name: [(usize, GcsyncObjectKind); GcsyncObjectKind::ALL.len()] =
            std::array::from_fn(|i| (i, GcsyncObjectKind::ALL[i]));
        by_name.sort_by_key(|(_, k)| k.name());
        by_name
    });

/// `calls` as a percentage of `allowance`, to one decimal.
fn percent(calls: u64, allowance: Option<u64>) -> Option<f64> {
    allowance.map(|a| (calls as f64 * 1000.0 / a as f64).round() / 10.0)
}

/// `{"error","not_synced","removed","synced"}`.
fn write_counts(out: &mut JsonOut, c: &Counts) {
    out.raw("{\"error\":");
    out.u64(c.error);
    out.raw(",\"not_synced\":");
    out.u64(c.not_synced);
    out.raw(",\"removed\":");
    out.u64(c.removed);
    out.raw(",\"synced\":");
    out.u64(c.synced);
    out.raw("}");
}

/// Writes the members after `api_base_url` (not `full_sync`, nor the closing brace).
fn write_rest(out: &mut JsonOut, f: &Facts, m: &Metrics) {
    let (waiting, delayed, in_flight) = f.depth;
    let c = &f.counts;
    let counter = |out: &mut JsonOut, name: &str, n: &std::sync::atomic::AtomicU64| {
        out.raw(name);
        out.u64(Metrics::get(n));
    };
    counter(out, ",\"api_calls\":", &m.api_calls);
    let (month, calls) = m.usage.month_now();
    out.raw(",\"api_usage\":{\"allowance\":");
    out.opt_u64(f.allowance);
    out.raw(",\"calls\":");
    out.u64(calls);
    out.raw(",\"month\":");
    out.str(month.as_str());
    out.raw(",\"percent\":");
    out.opt_f64(percent(calls, f.allowance));
    out.raw(",\"state\":");
    out.str(UsageState::of(calls, f.allowance).name());
    out.raw("},\"in_flight\":");
    out.u64(in_flight as u64);
    out.raw(",\"kinds\":{");
    for (n, &(i, kind)) in BY_NAME.iter().enumerate() {
        if n > 0 {
            out.raw(",");
        }
        out.str(kind.name());
        out.raw(":");
        write_counts(out, &f.kinds[i]);
    }
    out.raw("},\"last_error\":");
    m.write_last_error(out);
    out.raw(",\"last_run\":");
    out.opt_utc((f.last_run > 0).then_some(f.last_run));
    out.raw(",\"objects\":");
    write_counts(out, c);
    out.raw(",\"pending\":");
    out.u64(waiting as u64);
    counter(out, ",\"processed\":", &m.processed);
    out.raw(",\"queue_depth\":");
    out.u64((waiting + delayed + in_flight) as u64);
    counter(out, ",\"rate_limited\":", &m.rate_limited);
    counter(out, ",\"retries\":", &m.retries);
    out.raw(",\"retry_scheduled\":");
    out.u64(delayed as u64);
    out.raw(",\"sync_advanced_platform_objects\":");
    out.bool(f.sync_advanced_platform_objects);
    out.raw(",\"sync_user_objects\":");
    out.bool(f.sync_user_objects);
    counter(out, ",\"tokens_issued\":", &m.tokens_issued);
    out.raw(",\"worker_alive\":");
    out.bool(m.worker_alive.load(Ordering::SeqCst));
    counter(out, ",\"worker_panics\":", &m.worker_panics);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::format_utc;
    use crate::object::ObjectKey;
    use serde_json::{json, Value};

    /// The overview as it was built before it was written directly: a `Value` tree.
    fn reference(base_url: &str, f: &Facts, m: &Metrics) -> Value {
        let (waiting, delayed, in_flight) = f.depth;
        let c = &f.counts;
        let (month, calls) = m.usage.month();
        json!({
            "queue_depth": waiting + delayed + in_flight,
            "pending": waiting,
            "retry_scheduled": delayed,
            "in_flight": in_flight,
            "objects": {"synced": c.synced, "error": c.error, "not_synced": c.not_synced, "removed": c.removed},
            "kinds": GcsyncObjectKind::ALL.iter().zip(&f.kinds).map(|(k, c)| {
                (k.name().to_string(), json!({"synced": c.synced, "error": c.error, "not_synced": c.not_synced, "removed": c.removed}))
            }).collect::<serde_json::Map<String, Value>>(),
            "api_calls": Metrics::get(&m.api_calls),
            "retries": Metrics::get(&m.retries),
            "rate_limited": Metrics::get(&m.rate_limited),
            "tokens_issued": Metrics::get(&m.tokens_issued),
            "processed": Metrics::get(&m.processed),
            "worker_panics": Metrics::get(&m.worker_panics),
            "last_error": m.last_error_json(),
            "worker_alive": m.worker_alive.load(Ordering::SeqCst),
            "last_run": (f.last_run > 0).then(|| format_utc(f.last_run)),
            "sync_user_objects": f.sync_user_objects,
            "sync_advanced_platform_objects": f.sync_advanced_platform_objects,
            "api_base_url": base_url,
            "api_usage": {
                "month": month,
                "calls": calls,
                "allowance": f.allowance,
                "percent": percent(calls, f.allowance),
                "state": UsageState::of(calls, f.allowance).name(),
            },
        })
    }

    fn written(base_url: &str, f: &Facts, m: &Metrics) -> String {
        let mut out = JsonOut::default();
        out.raw("{\"api_base_url\":");
        out.str(base_url);
        write_rest(&mut out, f, m);
        out.raw("}");
        out.into_string()
    }

    #[test]
    fn the_written_overview_is_the_value_serde_json_prints() {
        let m = Metrics::default();
        let empty = Facts::default();
        let url = "https://api.mypurecloud.com";
        assert_eq!(
            written(url, &empty, &m),
            reference(url, &empty, &m).to_string()
        );

        m.api_calls.store(12, Ordering::Relaxed);
        m.retries.store(3, Ordering::Relaxed);
        m.rate_limited.store(1, Ordering::Relaxed);
        m.tokens_issued.store(2, Ordering::Relaxed);
        m.processed.store(9, Ordering::Relaxed);
        m.worker_panics.store(4, Ordering::Relaxed);
        m.worker_alive.store(true, Ordering::Relaxed);
        m.usage
            .seed_month(&crate::usage::month_of(crate::clock::unix_now()), 85);
        m.set_last_error(Some(&ObjectKey::user("jdoe \"q\"")), "email\nrequired");
        for allowance in [None, Some(0), Some(100), Some(80), Some(3), Some(u64::MAX)] {
            let f = Facts {
                depth: (5, 2, 1),
                counts: Counts {
                    synced: 7,
                    error: 1,
                    not_synced: 2,
                    removed: 3,
                },
                kinds: std::array::from_fn(|i| Counts {
                    synced: 6 - i as u64,
                    error: 1,
                    not_synced: 2,
                    removed: 3,
                }),
                last_run: 1_795_620_645,
                sync_user_objects: true,
                sync_advanced_platform_objects: false,
                allowance,
            };
            let url = "http://127.0.0.1:1/\u{7}\\";
            let text = written(url, &f, &m);
            assert_eq!(text, reference(url, &f, &m).to_string(), "{allowance:?}");
            let v: Value = serde_json::from_str(&text).unwrap();
            assert_eq!(v["api_usage"]["calls"], 85);
            assert_eq!(v["last_error"]["id"], "jdoe \"q\"");
        }
        m.set_last_error(None, "disk full");
        assert_eq!(
            written(url, &empty, &m),
            reference(url, &empty, &m).to_string()
        );
    }
}
