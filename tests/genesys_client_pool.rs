//! One client shared by several threads: one token, one budget with a presence lane, a shared
//! 429 pause, per-call cancel.

#[path = "client_support/mod.rs"]
mod common;

use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

use common::*;
use gc_emulator::{Emulator, EmulatorConfig, Faults};
use gcsync::cancel::Cancel;
use gcsync::genesys::{users, ApiError, Client, ClientConfig, Lane, Method};
use gcsync::metrics::Metrics;

const THREADS: usize = 8;

/// An emulator answering after `latency_ms`, and a shared client for it.
fn emulator_and_client(latency_ms: u64) -> (Emulator, Arc<Client>, Arc<Metrics>, String) {
    let emu = Emulator::start(EmulatorConfig {
        clients: vec![(CLIENT_ID.into(), CLIENT_SECRET.into())],
        rate_limit_per_minute: 100_000,
        faults: Faults {
            latency_ms,
            ..Faults::default()
        },
        ..EmulatorConfig::default()
    })
    .unwrap();
    let user = emu.seed_user("Ann Lee", "ann@example.com", "active");
    let mut cfg = config(&emu.base_url());
    cfg.max_concurrent_requests = THREADS;
    let metrics = Arc::new(Metrics::default());
    let client = Arc::new(Client::new(cfg, metrics.clone()).unwrap());
    (emu, client, metrics, user)
}

/// Runs `f` on `THREADS` threads that all start together; their results in thread order.
fn together<T: Send + 'static>(
    client: &Arc<Client>,
    f: impl Fn(&Client) -> T + Send + Sync + 'static,
) -> Vec<T> {
    let start = Arc::new(Barrier::new(THREADS));
    let f = Arc::new(f);
    let threads: Vec<_> = (0..THREADS)
        .map(|_| {
            let (c, b, f) = (client.clone(), start.clone(), f.clone());
            std::thread::spawn(move || {
                b.wait();
                f(&c)
            })
        })
        .collect();
    threads.into_iter().map(|t| t.join().unwrap()).collect()
}

/// Runs `calls` GETs of the user on each of `THREADS` threads, all starting together.
fn read_together(client: &Arc<Client>, user: &str, calls: usize) {
    let user = user.to_string();
    together(client, move |c| {
        for _ in 0..calls {
            assert!(users::get(c, &user, false).unwrap().is_some());
        }
    });
}

#[test]
fn concurrent_requests_share_one_token() {
    let (emu, client, metrics, user) = emulator_and_client(30);
    read_together(&client, &user, 5);
    assert_eq!(emu.call_count("POST", "/oauth/token"), 1);
    assert_eq!(emu.call_count("GET", "/api/v2/users/{userId}"), THREADS * 5);
    assert_eq!(Metrics::get(&metrics.tokens_issued), 1);
}

#[test]
fn one_401_causes_one_refresh_for_all_threads() {
    let (emu, client, metrics, user) = emulator_and_client(50);
    read_together(&client, &user, 1);
    assert_eq!(emu.call_count("POST", "/oauth/token"), 1);
    // Every thread still holds the same (now expired) token: they all meet a 401 at once.
    // Each read is held until all of them were sent, so no thread comes late enough (on a
    // loaded machine) to find the new token already fetched.
    emu.expire_all_tokens();
    let holds: Vec<_> = (0..THREADS)
        .map(|_| emu.hold("GET", "/api/v2/users/{userId}", false))
        .collect();
    std::thread::scope(|s| {
        s.spawn(|| {
            for h in &holds {
                assert!(
                    emu.wait_held(*h, Duration::from_secs(60)),
                    "a read never came"
                );
            }
            holds.iter().for_each(|h| emu.release(*h));
        });
        read_together(&client, &user, 1);
    });
    assert_eq!(emu.call_count("POST", "/oauth/token"), 2);
    let unauthorized = emu.requests().iter().filter(|r| r.status == 401).count();
    assert_eq!(unauthorized, THREADS, "every thread met the 401");
    assert_eq!(Metrics::get(&metrics.tokens_issued), 2);
    assert_eq!(Metrics::get(&metrics.retries), unauthorized as u64);
}

#[test]
fn a_failed_refresh_is_shared_not_repeated() {
    // The login service refuses: every waiting thread gets that answer from one token request.
    // The refusal waits until every thread has begun its call (then 100 ms more, for the few
    // instructions between that and waiting for the fetch): a thread the machine's load kept
    // from starting until the fetch had failed would rightly fetch again.
    let started = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let all_started = started.clone();
    let mock = Mock::raw(move |s, _| {
        if s.is_token() {
            while all_started.load(std::sync::atomic::Ordering::SeqCst) < THREADS {
                std::thread::sleep(Duration::from_millis(5));
            }
            std::thread::sleep(Duration::from_millis(100));
            Reply::json(401, r#"{"error":"invalid_client"}"#)
        } else {
            Reply::json(200, "{}")
        }
    });
    let client = Arc::new(Client::new(config(&mock.url), Arc::new(Metrics::default())).unwrap());
    for r in together(&client, move |c| {
        started.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        c.request(Method::Get, "/api/v2/users", &[], None)
    }) {
        let e = r.unwrap_err();
        assert!(matches!(e, ApiError::Auth { .. }), "{e:?}");
    }
    assert_eq!(mock.token_requests(), 1);
    assert!(mock.api_requests().is_empty());
}

/// Config threads keep the budget busy; then one presence call. Returns how many config calls
/// reached the server between the presence call's start and its arrival.
fn config_calls_ahead_of_presence(share: u32) -> usize {
    let mock = Mock::new(|_, _| Reply::json(200, "{}"));
    let mut cfg: ClientConfig = config(&mock.url);
    cfg.requests_per_minute = 120; // a start every 500 ms once the burst of 10 is spent
    cfg.presence_reserved_share = share;
    let client = Arc::new(Client::new(cfg, Arc::new(Metrics::default())).unwrap());
    // The config threads run until their (shared, per-call) cancel flag is raised.
    let stop = Cancel::default();
    let workers: Vec<_> = (0..4)
        .map(|_| {
            let (c, s) = (client.clone(), stop.clone());
            std::thread::spawn(move || {
                while c
                    .request_on(Lane::Config, &s, Method::Get, "/config", &[], None)
                    .is_ok()
                {}
                assert!(s.is_cancelled());
            })
        })
        .collect();
    // The burst is spent and every config thread waits for the budget.
    while mock.api_requests().len() < 10 {
        std::thread::sleep(Duration::from_millis(10));
    }
    std::thread::sleep(Duration::from_millis(200));
    let before = mock.api_requests().len();
    let cancel = Cancel::default();
    client
        .request_on(
            Lane::Presence,
            &cancel,
            Method::Put,
            "/presence",
            &[],
            Some(&serde_json::json!({"p": 1})),
        )
        .unwrap();
    stop.cancel();
    let seen = mock.api_requests();
    let at = seen.iter().position(|s| s.url == "/presence").unwrap();
    for w in workers {
        w.join().unwrap();
    }
    at - before
}

#[test]
fn presence_is_served_first_while_config_calls_queue() {
    // With a reserve, presence starts at once; without, it still takes the very next slot
    // ahead of the four waiting config threads. At most one config call can be between its
    // budget start and the server when the presence call begins.
    assert!(config_calls_ahead_of_presence(20) <= 1);
    assert!(config_calls_ahead_of_presence(0) <= 1);
}

#[test]
fn a_429_pauses_every_lane() {
    let arrivals: Arc<Mutex<Vec<(String, Instant)>>> = Arc::default();
    let log = arrivals.clone();
    let mock = Mock::new(move |s, i| {
        log.lock().unwrap().push((s.url.clone(), Instant::now()));
        if i == 0 {
            Reply::error(429, "too.many.requests").with("Retry-After", "1")
        } else {
            Reply::json(200, "{}")
        }
    });
    let metrics = Arc::new(Metrics::default());
    let client = Arc::new(Client::new(config(&mock.url), metrics.clone()).unwrap());
    let c = client.clone();
    let config_call =
        std::thread::spawn(move || c.request(Method::Get, "/config", &[], None).unwrap());
    while Metrics::get(&metrics.rate_limited) == 0 {
        std::thread::sleep(Duration::from_millis(5));
    }
    // Another thread, in the other lane, after the 429: it waits out the same Retry-After.
    let cancel = Cancel::default();
    client
        .request_on(Lane::Presence, &cancel, Method::Get, "/presence", &[], None)
        .unwrap();
    config_call.join().unwrap();
    let arrivals = arrivals.lock().unwrap().clone();
    let limited = arrivals[0].1;
    assert_eq!(arrivals[0].0, "/config");
    for (url, at) in &arrivals[1..] {
        let after = at.duration_since(limited);
        assert!(after >= Duration::from_millis(950), "{url} after {after:?}");
    }
    assert_eq!(arrivals.len(), 3);
}

#[test]
fn a_cancelled_call_sends_nothing_and_other_calls_go_on() {
    let mock = Mock::new(|_, _| Reply::json(200, "{}"));
    let client = Client::new(config(&mock.url), Arc::new(Metrics::default())).unwrap();
    let cancelled = Cancel::default();
    cancelled.cancel();
    let e = client
        .request_on(Lane::Config, &cancelled, Method::Get, "/x", &[], None)
        .unwrap_err();
    assert!(e.to_string().contains("shutting down"), "{e}");
    assert!(mock.seen().is_empty());
    // The client's own flag is untouched: other calls still run.
    client.request(Method::Get, "/x", &[], None).unwrap();
    assert_eq!(mock.api_requests().len(), 1);
}

#[test]
fn a_login_timeout_is_shared_not_repeated() {
    // The login service accepts connections and never answers.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let login = format!("http://{}", listener.local_addr().unwrap());
    let holder = std::thread::spawn(move || {
        let mut held = Vec::new();
        listener.set_nonblocking(true).unwrap();
        let until = Instant::now() + Duration::from_secs(2);
        while Instant::now() < until {
            if let Ok((s, _)) = listener.accept() {
                held.push(s);
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    });
    let mock = Mock::new(|_, _| Reply::json(200, "{}"));
    let mut cfg = config(&mock.url);
    cfg.login_base_url = login;
    cfg.request_timeout = Duration::from_millis(400);
    cfg.max_retries = 0;
    let metrics = Arc::new(Metrics::default());
    let client = Arc::new(Client::new(cfg, metrics.clone()).unwrap());
    for r in together(&client, |c| c.request(Method::Get, "/x", &[], None)) {
        let e = r.unwrap_err();
        assert!(
            matches!(&e, ApiError::Transport { message } if message.contains("timed out")),
            "{e:?}"
        );
    }
    // One token request was sent, and its failure answered every thread.
    assert_eq!(Metrics::get(&metrics.api_calls), 1);
    assert!(mock.seen().is_empty());
    holder.join().unwrap();
}
