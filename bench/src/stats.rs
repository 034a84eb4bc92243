//! Latency samples and their percentiles.

/// One timed call: wall time and whether the calling thread blocked (a voluntary context
/// switch: a lock or I/O wait) or was preempted by the scheduler (an involuntary one) during it.
#[derive(Clone, Copy, Debug, Default)]
pub struct Sample {
    /// Wall time, nanoseconds.
    pub ns: u64,
    /// The thread gave up the CPU during the call (waited for a lock, I/O, a condition).
    pub blocked: bool,
    /// The scheduler took the CPU away during the call.
    pub preempted: bool,
}

/// Percentiles of a set of samples, microseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Summary {
    /// Number of samples.
    pub n: usize,
    /// Median.
    pub p50: f64,
    /// 99th percentile.
    pub p99: f64,
    /// 99.9th percentile.
    pub p999: f64,
    /// Largest.
    pub max: f64,
    /// Calls during which the thread blocked.
    pub blocked: usize,
    /// Calls during which the thread was preempted (and did not block).
    pub preempted: usize,
    /// Largest call that was neither preempted nor blocked: what the code itself cost.
    pub max_unpreempted: f64,
    /// 99.9th percentile of the calls that were not preempted (blocked ones included: a lock
    /// wait is the code's doing, its own preemption is the scheduler's).
    pub p999_unpreempted: f64,
}

/// The nearest-rank percentile `p` (0..=1) of sorted values.
pub fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = (p * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Summarises samples.
pub fn summarise(samples: &[Sample]) -> Summary {
    let mut ns: Vec<u64> = samples.iter().map(|s| s.ns).collect();
    ns.sort_unstable();
    let us = |v: u64| v as f64 / 1000.0;
    Summary {
        n: ns.len(),
        p50: us(percentile(&ns, 0.50)),
        p99: us(percentile(&ns, 0.99)),
        p999: us(percentile(&ns, 0.999)),
        max: us(ns.last().copied().unwrap_or(0)),
        blocked: samples.iter().filter(|s| s.blocked).count(),
        preempted: samples.iter().filter(|s| s.preempted && !s.blocked).count(),
        max_unpreempted: us(samples
            .iter()
            .filter(|s| !s.preempted && !s.blocked)
            .map(|s| s.ns)
            .max()
            .unwrap_or(0)),
        p999_unpreempted: {
            let mut own: Vec<u64> = samples
                .iter()
                .filter(|s| !s.preempted || s.blocked)
                .map(|s| s.ns)
                .collect();
            own.sort_unstable();
            us(percentile(&own, 0.999))
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<u64> = (1..=1000).collect();
        assert_eq!(percentile(&v, 0.5), 500);
        assert_eq!(percentile(&v, 0.99), 990);
        assert_eq!(percentile(&v, 0.999), 999);
        assert_eq!(percentile(&v, 1.0), 1000);
        assert_eq!(percentile(&[7], 0.999), 7);
        assert_eq!(percentile(&[], 0.5), 0);
    }

    #[test]
    fn summary_separates_preempted_and_blocked_calls() {
        let mut s: Vec<Sample> = (1..=100)
            .map(|i| Sample {
                ns: i * 1000,
                ..Sample::default()
            })
            .collect();
        s[99].preempted = true;
        s[98].blocked = true;
        let sum = summarise(&s);
        assert_eq!((sum.n, sum.blocked, sum.preempted), (100, 1, 1));
        assert_eq!(sum.max, 100.0);
        assert_eq!(sum.max_unpreempted, 98.0);
        assert_eq!(sum.p50, 50.0);
        // The preempted 100 µs call is left out, the blocked 99 µs one is not.
        assert_eq!(sum.p999_unpreempted, 99.0);
    }
}
