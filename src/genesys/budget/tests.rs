use super::*;

/// Drives a budget greedily in `lane` for `total` of simulated time; returns every start offset.
fn greedy(budget: &mut Budget, lane: Lane, t0: Instant, total: Duration) -> Vec<Duration> {
    let mut now = Duration::ZERO;
    let mut starts = Vec::new();
    while now < total {
        match budget.try_start(lane, t0 + now) {
            Ok(()) => starts.push(now),
            Err(wait) => now += wait,
        }
    }
    starts
}

fn greedy_starts(rpm: u32, total: Duration) -> Vec<Duration> {
    greedy(&mut Budget::new(rpm), Lane::Config, Instant::now(), total)
}

fn max_in_any_window(starts: &[Duration]) -> usize {
    let mut best = 0;
    let mut lo = 0;
    for hi in 0..starts.len() {
        while starts[hi] - starts[lo] >= WINDOW {
            lo += 1;
        }
        best = best.max(hi - lo + 1);
    }
    best
}

#[test]
fn never_more_than_rpm_in_any_window() {
    for rpm in [1, 2, 7, 10, 11, 60, 300, 1000] {
        let starts = greedy_starts(rpm, Duration::from_secs(300));
        assert!(max_in_any_window(&starts) <= rpm as usize, "rpm {rpm}");
        // And the budget is actually used: rpm per 61 s (the arrival guard) over 5 minutes.
        let floor = (rpm as usize * 300).div_ceil(61);
        assert!(
            starts.len() >= floor,
            "rpm {rpm}: {} < {floor}",
            starts.len()
        );
    }
}

#[test]
fn mixed_lanes_never_exceed_rpm_in_any_window() {
    // Lanes drawn by a fixed xorshift sequence, at random small gaps, for 10 minutes.
    for (rpm, share) in [(300, 20), (3000, 20), (60, 50), (7, 90), (300, 0)] {
        let t0 = Instant::now();
        let mut b = Budget::with_reserve(rpm, share);
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        let mut now = Duration::ZERO;
        let mut starts = Vec::new();
        while now < Duration::from_secs(600) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let lane = if x.is_multiple_of(3) {
                Lane::Presence
            } else {
                Lane::Config
            };
            // Presence always has work: it takes what config is refused.
            let started = b
                .try_start(lane, t0 + now)
                .or_else(|_| b.try_start(Lane::Presence, t0 + now));
            match started {
                Ok(()) => starts.push(now),
                Err(wait) => now += wait.min(Duration::from_millis(x % 50 + 1)),
            }
        }
        assert!(max_in_any_window(&starts) <= rpm as usize, "{rpm} {share}");
        assert!(
            starts.len() as u32 >= rpm * 600 / 61,
            "{rpm} {share}: {}",
            starts.len()
        );
    }
}

#[test]
fn config_never_consumes_the_presence_share() {
    for (rpm, share, reserved) in [(300, 20, 60), (3000, 20, 600), (10, 20, 2), (300, 90, 270)] {
        let t0 = Instant::now();
        let mut b = Budget::with_reserve(rpm, share);
        assert_eq!(b.reserved(), reserved);
        let mut now = Duration::ZERO;
        let mut starts = Vec::new();
        let mut refused = 0;
        while now < Duration::from_secs(300) {
            match b.try_start(Lane::Config, t0 + now) {
                Ok(()) => starts.push(now),
                Err(wait) => {
                    // Whenever config is refused, presence could start at that very instant.
                    refused += 1;
                    let mut probe = b.clone();
                    assert_eq!(
                        probe.try_start(Lane::Presence, t0 + now),
                        Ok(()),
                        "rpm {rpm} at {now:?}"
                    );
                    now += wait;
                }
            }
        }
        assert!(refused > 0);
        assert!(max_in_any_window(&starts) <= (rpm - reserved) as usize);
        // Config still gets its whole share over 5 minutes.
        assert!(starts.len() as u32 >= (rpm - reserved) * 300 / 61, "{rpm}");
    }
}

#[test]
fn the_reserve_is_bounded() {
    assert_eq!(Budget::with_reserve(1, 20).reserved(), 0);
    assert_eq!(Budget::with_reserve(2, 20).reserved(), 1);
    assert_eq!(Budget::with_reserve(4, 90).reserved(), 3);
    assert_eq!(Budget::with_reserve(300, 0).reserved(), 0);
    assert_eq!(Budget::with_reserve(300, 200).reserved(), 270);
    // rpm 1: config can still start.
    let mut b = Budget::with_reserve(1, 90);
    assert_eq!(b.try_start(Lane::Config, Instant::now()), Ok(()));
}

#[test]
fn presence_is_served_before_waiting_config_starts() {
    let t0 = Instant::now();
    let mut b = Budget::with_reserve(60, 0); // 1 a second, burst 10
    for _ in 0..MAX_BURST {
        assert_eq!(b.try_start(Lane::Config, t0), Ok(()));
    }
    // Both lanes queue; the next slot is 1 s away.
    let wait = b.try_start(Lane::Config, t0).unwrap_err();
    b.presence_waits();
    let slot = t0 + wait;
    // At the slot config is refused while presence waits; presence takes it.
    assert!(b.try_start(Lane::Config, slot).is_err());
    assert_eq!(b.try_start(Lane::Presence, slot), Ok(()));
    b.presence_done();
    // Config's next chance is the slot after.
    let again = b.try_start(Lane::Config, slot).unwrap_err();
    assert!(again > Duration::from_millis(900), "{again:?}");
    assert_eq!(b.try_start(Lane::Config, slot + again), Ok(()));
}

#[test]
fn a_pause_stops_every_lane() {
    let t0 = Instant::now();
    let mut b = Budget::with_reserve(3000, 20);
    assert_eq!(b.try_start(Lane::Config, t0), Ok(()));
    b.pause_until(t0 + Duration::from_secs(2));
    b.pause_until(t0 + Duration::from_secs(1)); // an earlier end does not shorten it
    for lane in [Lane::Presence, Lane::Config] {
        let wait = b
            .try_start(lane, t0 + Duration::from_millis(500))
            .unwrap_err();
        assert_eq!(wait, Duration::from_millis(1500));
    }
    assert_eq!(
        b.paused_for(t0 + Duration::from_millis(1500)),
        Some(Duration::from_millis(500))
    );
    assert_eq!(
        b.try_start(Lane::Presence, t0 + Duration::from_secs(2)),
        Ok(())
    );
    assert_eq!(
        b.try_start(Lane::Config, t0 + Duration::from_secs(2)),
        Ok(())
    );
    assert_eq!(b.paused_for(t0 + Duration::from_secs(2)), None);
}

#[test]
fn bursts_are_capped_then_smoothed() {
    let t0 = Instant::now();
    let mut budget = Budget::new(300);
    for _ in 0..MAX_BURST {
        assert_eq!(budget.try_start(Lane::Config, t0), Ok(()));
    }
    // The 11th must wait for one refill: 60 s / 300 = 200 ms.
    let wait = budget.try_start(Lane::Config, t0).unwrap_err();
    assert!(wait > Duration::from_millis(190) && wait <= Duration::from_millis(200));
    assert_eq!(budget.try_start(Lane::Config, t0 + wait), Ok(()));
}

#[test]
fn small_budgets_wait_for_the_window() {
    let t0 = Instant::now();
    let mut budget = Budget::new(2);
    assert_eq!(budget.try_start(Lane::Config, t0), Ok(()));
    assert_eq!(budget.try_start(Lane::Config, t0), Ok(()));
    let wait = budget
        .try_start(Lane::Config, t0 + Duration::from_secs(1))
        .unwrap_err();
    // The bucket refills after 30 s but the log only frees up at 61 s (60 s + the guard).
    assert!(wait <= Duration::from_secs(60) && wait > Duration::from_secs(59));
    assert!(budget
        .try_start(Lane::Config, t0 + Duration::from_secs(60))
        .is_err());
    assert_eq!(
        budget.try_start(Lane::Config, t0 + WINDOW + ARRIVAL_GUARD),
        Ok(())
    );
}

#[test]
fn five_quick_requests_at_sixty_per_minute_do_not_wait() {
    let t0 = Instant::now();
    let mut budget = Budget::new(60);
    for i in 0..5 {
        assert_eq!(
            budget.try_start(Lane::Config, t0 + Duration::from_millis(i)),
            Ok(())
        );
    }
    assert_eq!(budget.requests_per_minute(), 60);
}

#[test]
fn zero_is_treated_as_one_and_time_going_backwards_is_harmless() {
    let t0 = Instant::now() + Duration::from_secs(10);
    let mut budget = Budget::new(0);
    assert_eq!(budget.try_start(Lane::Config, t0), Ok(()));
    assert!(budget
        .try_start(Lane::Config, t0 - Duration::from_secs(5))
        .is_err());
    assert_eq!(
        budget.try_start(Lane::Config, t0 + WINDOW + ARRIVAL_GUARD),
        Ok(())
    );
}

#[test]
fn shared_budget_serves_a_waiting_presence_start_first() {
    use std::sync::Arc;
    // 600/min: one start every 100 ms once the burst of 10 is spent.
    let shared = Arc::new(SharedBudget::new(Budget::with_reserve(600, 0)));
    let cancel = Cancel::default();
    for _ in 0..MAX_BURST {
        shared.acquire(Lane::Config, &cancel, WINDOW).unwrap();
    }
    let order = Arc::new(Mutex::new(Vec::new()));
    let mut threads = Vec::new();
    for i in 0..3 {
        let (s, o, c) = (shared.clone(), order.clone(), cancel.clone());
        threads.push(std::thread::spawn(move || {
            s.acquire(Lane::Config, &c, WINDOW).unwrap();
            o.lock().unwrap().push(format!("config{i}"));
        }));
    }
    std::thread::sleep(Duration::from_millis(20)); // the config starts are queued
    let (s, o, c) = (shared.clone(), order.clone(), cancel.clone());
    threads.push(std::thread::spawn(move || {
        s.acquire(Lane::Presence, &c, WINDOW).unwrap();
        o.lock().unwrap().push("presence".to_string());
    }));
    for t in threads {
        t.join().unwrap();
    }
    let order = order.lock().unwrap().clone();
    assert_eq!(order.len(), 4);
    assert_eq!(order[0], "presence", "{order:?}");
}

#[test]
fn shared_budget_waits_end_on_cancel_and_long_pauses_refuse() {
    let shared = SharedBudget::new(Budget::new(1));
    let cancel = Cancel::default();
    shared.acquire(Lane::Config, &cancel, WINDOW).unwrap();
    let c = cancel.clone();
    let t = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(50));
        c.cancel();
    });
    assert_eq!(
        shared.acquire(Lane::Presence, &cancel, WINDOW),
        Err(Refused::Cancelled)
    );
    t.join().unwrap();
    let shared = SharedBudget::new(Budget::new(100));
    shared.pause_for(Duration::from_secs(600));
    let fresh = Cancel::default();
    match shared.acquire(Lane::Presence, &fresh, Duration::from_secs(180)) {
        Err(Refused::Paused(p)) => assert!(p > Duration::from_secs(590)),
        other => panic!("{other:?}"),
    }
}
