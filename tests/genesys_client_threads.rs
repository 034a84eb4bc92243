//! The client creates no thread per call (ureq's default resolver spawned one per connection
//! when a timeout was set: 615 thread creations for 300 users).
//!
//! This test binary interposes `pthread_create` and `connect`: every thread creation and every
//! socket connect in the process goes through the functions below, which count those made from
//! a thread that asked to be watched (the servers' own threads are not counted) and hand over
//! to the C library's.

#[path = "client_support/mod.rs"]
mod common;

use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use common::*;
use gcsync::genesys::{Client, Method};
use gcsync::metrics::Metrics;

static CREATED: AtomicUsize = AtomicUsize::new(0);
static CONNECTS: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    static WATCHED: Cell<bool> = const { Cell::new(false) };
}

type Create = unsafe extern "C" fn(
    *mut libc::pthread_t,
    *const libc::pthread_attr_t,
    extern "C" fn(*mut libc::c_void) -> *mut libc::c_void,
    *mut libc::c_void,
) -> libc::c_int;

/// Counts, then calls the C library's `pthread_create`.
///
/// # Safety
/// Same contract as `pthread_create(3)`.
#[no_mangle]
pub unsafe extern "C" fn pthread_create(
    thread: *mut libc::pthread_t,
    attr: *const libc::pthread_attr_t,
    start: extern "C" fn(*mut libc::c_void) -> *mut libc::c_void,
    arg: *mut libc::c_void,
) -> libc::c_int {
    if WATCHED.with(Cell::get) {
        CREATED.fetch_add(1, Ordering::SeqCst);
    }
    // SAFETY: RTLD_NEXT finds the C library's pthread_create, whose signature is `Create`.
    let real = unsafe { libc::dlsym(libc::RTLD_NEXT, c"pthread_create".as_ptr()) };
    assert!(!real.is_null(), "the C library's pthread_create");
    let real: Create = unsafe { std::mem::transmute::<*mut libc::c_void, Create>(real) };
    unsafe { real(thread, attr, start, arg) }
}

type Connect =
    unsafe extern "C" fn(libc::c_int, *const libc::sockaddr, libc::socklen_t) -> libc::c_int;

/// Counts, then calls the C library's `connect`.
///
/// # Safety
/// Same contract as `connect(2)`.
#[no_mangle]
pub unsafe extern "C" fn connect(
    fd: libc::c_int,
    addr: *const libc::sockaddr,
    len: libc::socklen_t,
) -> libc::c_int {
    if WATCHED.with(Cell::get) {
        CONNECTS.fetch_add(1, Ordering::SeqCst);
    }
    // SAFETY: RTLD_NEXT finds the C library's connect, whose signature is `Connect`.
    let real = unsafe { libc::dlsym(libc::RTLD_NEXT, c"connect".as_ptr()) };
    assert!(!real.is_null(), "the C library's connect");
    let real: Connect = unsafe { std::mem::transmute::<*mut libc::c_void, Connect>(real) };
    unsafe { real(fd, addr, len) }
}

/// Threads created by `f` on this thread.
fn threads_created_by(f: impl FnOnce()) -> usize {
    let before = CREATED.load(Ordering::SeqCst);
    WATCHED.with(|w| w.set(true));
    f();
    WATCHED.with(|w| w.set(false));
    CREATED.load(Ordering::SeqCst) - before
}

#[test]
fn the_counter_sees_thread_creations() {
    let n = threads_created_by(|| {
        std::thread::spawn(|| {}).join().unwrap();
        std::thread::spawn(|| {}).join().unwrap();
    });
    assert_eq!(n, 2);
}

#[test]
fn two_hundred_calls_create_no_thread() {
    // Every answer closes the connection, so every call connects (and resolves) anew: by name
    // (`localhost`) and by IP literal.
    let mock = Mock::new(|_, _| Reply::json(200, "{}").with("Connection", "close"));
    let by_name = mock.url.replace("127.0.0.1", "localhost");
    for url in [mock.url.clone(), by_name] {
        let client = Arc::new(Client::new(config(&url), Arc::new(Metrics::default())).unwrap());
        let n = threads_created_by(|| {
            for _ in 0..100 {
                client.request(Method::Get, "/x", &[], None).unwrap();
            }
        });
        assert_eq!(n, 0, "{url}");
    }
    assert_eq!(mock.api_requests().len(), 200);
}

#[test]
fn threads_share_the_keep_alive_pool() {
    let mock = Mock::new(|_, _| Reply::json(200, "{}"));
    let mut cfg = config(&mock.url);
    cfg.max_concurrent_requests = 6;
    let client = Arc::new(Client::new(cfg, Arc::new(Metrics::default())).unwrap());
    let workers: Vec<_> = (0..6)
        .map(|_| {
            let c = client.clone();
            std::thread::spawn(move || {
                threads_created_by(|| {
                    for _ in 0..50 {
                        c.request(Method::Get, "/x", &[], None).unwrap();
                    }
                })
            })
        })
        .collect();
    for w in workers {
        assert_eq!(w.join().unwrap(), 0);
    }
    assert_eq!(mock.api_requests().len(), 300);
    // 300 calls (and the token request) over at most one connection per thread.
    let connects = CONNECTS.load(Ordering::SeqCst);
    assert!((1..=6).contains(&connects), "{connects} connections");
}
