//! TLS and proxies end to end (issue 12 item 7), through the C API: a private CA made here with
//! rcgen, a loopback TLS server (rustls) in front of the emulator, and a CONNECT proxy written
//! here. The client accepts the server only when the CA is configured through `ca_bundle`, and
//! refuses it without, for a wrong host name and for an expired certificate, each with its own
//! message; requests reach the emulator through the proxy; a dead proxy is named. (Plain HTTP
//! to a non-loopback host is refused at settings time: `tests/bad_settings.rs`.)

mod common;

use common::proxy::connect_proxy;

use common::*;
use gcsync::result::GcsyncResult;
use rcgen::{date_time_ymd, BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// A CA and its PEM file in `dir`.
struct Ca {
    issuer: CertifiedIssuer<'static, KeyPair>,
    pem_file: PathBuf,
}

fn ca(dir: &std::path::Path) -> Ca {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "gcsync test CA");
    let issuer = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
    let pem_file = dir.join("private-ca.pem");
    std::fs::write(&pem_file, issuer.pem()).unwrap();
    Ca { issuer, pem_file }
}

/// A server certificate for `names`, signed by `ca`; `expired`: valid only in 2020.
fn server_cert(ca: &Ca, names: &[&str], expired: bool) -> (CertificateDer<'static>, KeyPair) {
    let names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    let mut params = CertificateParams::new(names).unwrap();
    if expired {
        params.not_before = date_time_ymd(2020, 1, 1);
        params.not_after = date_time_ymd(2020, 12, 31);
    }
    let key = KeyPair::generate().unwrap();
    let cert = params.signed_by(&key, &ca.issuer).unwrap();
    (cert.der().clone(), key)
}

/// A TLS server on 127.0.0.1 that forwards the decrypted bytes to `upstream` (the emulator's
/// plain address) and back. Returns its `https://127.0.0.1:PORT` and a handshake counter
/// (connections whose handshake completed).
fn tls_front(
    cert: CertificateDer<'static>,
    key: KeyPair,
    upstream: String,
) -> (String, Arc<AtomicUsize>) {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    let config = Arc::new(
        rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![cert], key)
            .unwrap(),
    );
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("https://{}", listener.local_addr().unwrap());
    let handshakes = Arc::new(AtomicUsize::new(0));
    let counter = handshakes.clone();
    std::thread::spawn(move || {
        for tcp in listener.incoming().flatten() {
            let conn = rustls::ServerConnection::new(config.clone()).unwrap();
            let up = upstream.clone();
            let counter = counter.clone();
            std::thread::spawn(move || relay(conn, tcp, &up, &counter));
        }
    });
    (url, handshakes)
}

/// Moves bytes between one TLS client and the upstream: one thread per direction, the rustls
/// state behind a mutex held only for non-blocking steps (and the small TLS writes).
fn relay(conn: rustls::ServerConnection, tcp: TcpStream, upstream: &str, handshakes: &AtomicUsize) {
    let conn = Arc::new(Mutex::new(conn));
    let Ok(up) = TcpStream::connect(upstream) else {
        return;
    };
    let (mut tcp_r, mut up_r) = (tcp.try_clone().unwrap(), up.try_clone().unwrap());
    let (tcp_w, mut up_w) = (Arc::new(Mutex::new(tcp)), up);
    let back = {
        let (conn, tcp_w) = (conn.clone(), tcp_w.clone());
        std::thread::spawn(move || {
            let mut buf = [0u8; 16384];
            loop {
                let n = up_r.read(&mut buf).unwrap_or(0);
                let mut c = conn.lock().unwrap();
                if n == 0 {
                    c.send_close_notify();
                } else if c.writer().write_all(&buf[..n]).is_err() {
                    return;
                }
                let mut t = tcp_w.lock().unwrap();
                while c.wants_write() {
                    if c.write_tls(&mut *t).is_err() {
                        return;
                    }
                }
                if n == 0 {
                    let _ = t.shutdown(std::net::Shutdown::Write);
                    return;
                }
            }
        })
    };
    let mut buf = [0u8; 16384];
    let mut counted = false;
    loop {
        let n = tcp_r.read(&mut buf).unwrap_or(0);
        if n == 0 {
            break;
        }
        let mut plain = Vec::new();
        {
            let mut c = conn.lock().unwrap();
            let mut input = &buf[..n];
            let mut failed = false;
            while !input.is_empty() && !failed {
                if c.read_tls(&mut input).is_err() || c.process_new_packets().is_err() {
                    failed = true;
                }
                let mut chunk = [0u8; 16384];
                while let Ok(k) = c.reader().read(&mut chunk) {
                    if k == 0 {
                        break;
                    }
                    plain.extend_from_slice(&chunk[..k]);
                }
            }
            let mut t = tcp_w.lock().unwrap();
            while c.wants_write() {
                if c.write_tls(&mut *t).is_err() {
                    break;
                }
            }
            if failed {
                break;
            }
            if !counted && !c.is_handshaking() {
                counted = true;
                handshakes.fetch_add(1, Ordering::SeqCst);
            }
        }
        if !plain.is_empty() && up_w.write_all(&plain).is_err() {
            break;
        }
    }
    let _ = up_w.shutdown(std::net::Shutdown::Both);
    let _ = back.join();
}

/// The emulator's `host:port`.
fn emulator_addr(w: &World) -> String {
    w.emu.base_url().trim_start_matches("http://").to_string()
}

fn use_base(url: &str) {
    set("api_base_url", url);
    set("login_base_url", url);
    set("max_retries", "1");
}

/// Queues one user and waits until its status is final; returns the status.
fn sync_one(id: &str) -> serde_json::Value {
    let json = cic_user(id, id, Some(&format!("{id}@example.com")));
    assert_eq!(user_changed(&json), GcsyncResult::Ok, "{}", last_error());
    eventually("a final state", || {
        let s = status(id);
        s["state"] == "Synced" || (s["state"] == "Error" && s["reason"].is_string())
    });
    status(id)
}

/// Starts against a TLS front with `cert`; with `trust`, `ca_bundle` names the private CA.
fn start_behind_tls(
    w: &World,
    ca: &Ca,
    cert: (CertificateDer<'static>, KeyPair),
    trust: bool,
) -> Arc<AtomicUsize> {
    let (url, handshakes) = tls_front(cert.0, cert.1, emulator_addr(w));
    use_base(&url);
    if trust {
        set("ca_bundle", ca.pem_file.to_str().unwrap());
    }
    w.start();
    handshakes
}

#[test]
fn https_with_the_private_ca_configured_syncs() {
    let w = World::new();
    let ca = ca(w.dir.path());
    let cert = server_cert(&ca, &["127.0.0.1", "localhost"], false);
    let handshakes = start_behind_tls(&w, &ca, cert, true);
    let s = sync_one("tls1");
    assert_eq!(s["state"], "Synced", "{s}");
    assert!(handshakes.load(Ordering::SeqCst) >= 1);
    assert!(w.emu.user_by_email("tls1@example.com").is_some());
    assert!(overview()["api_base_url"]
        .as_str()
        .unwrap()
        .starts_with("https://127.0.0.1:"));
}

/// Starts against a TLS front gcsync must refuse; returns the user's Error reason after
/// checking nothing reached the emulator.
fn refused(cert_names: &[&str], expired: bool, trust: bool) -> String {
    let w = World::new();
    let ca = ca(w.dir.path());
    let cert = server_cert(&ca, cert_names, expired);
    let handshakes = start_behind_tls(&w, &ca, cert, trust);
    let s = sync_one("refused");
    assert_eq!(s["state"], "Error", "{s}");
    assert_eq!(
        handshakes.load(Ordering::SeqCst),
        0,
        "a handshake completed"
    );
    assert!(
        w.emu.requests().is_empty(),
        "a request reached the emulator"
    );
    let reason = s["reason"].as_str().unwrap().to_string();
    let last = overview()["last_error"]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(reason.starts_with(&last), "{reason} vs {last}");
    assert!(
        reason.starts_with("could not reach Genesys Cloud: io: invalid peer certificate: "),
        "{reason}"
    );
    reason
}

#[test]
fn without_the_ca_the_server_is_refused() {
    let reason = refused(&["127.0.0.1"], false, false);
    assert!(reason.contains("UnknownIssuer"), "{reason}");
}

#[test]
fn a_wrong_host_name_is_refused() {
    let reason = refused(&["wrong.example.com"], false, true);
    assert!(
        reason.contains(r#"certificate not valid for name "127.0.0.1""#)
            && reason.contains("wrong.example.com"),
        "{reason}"
    );
}

#[test]
fn an_expired_certificate_is_refused() {
    let reason = refused(&["127.0.0.1"], true, true);
    assert!(reason.contains("certificate expired"), "{reason}");
}

#[test]
fn requests_reach_the_emulator_through_the_proxy_over_tls() {
    let w = World::new();
    let ca = ca(w.dir.path());
    let cert = server_cert(&ca, &["127.0.0.1"], false);
    let (url, handshakes) = tls_front(cert.0, cert.1, emulator_addr(&w));
    let (proxy, lines) = connect_proxy();
    use_base(&url);
    set("ca_bundle", ca.pem_file.to_str().unwrap());
    set("http_proxy", &proxy);
    w.start();
    assert_eq!(sync_one("viaproxy")["state"], "Synced");
    let front = url.trim_start_matches("https://");
    let lines = lines.lock().unwrap().clone();
    assert!(!lines.is_empty());
    assert!(
        lines
            .iter()
            .all(|l| l.starts_with(&format!("CONNECT {front} "))),
        "{lines:?}"
    );
    assert_eq!(handshakes.load(Ordering::SeqCst), lines.len());
    assert!(w.emu.call_count("POST", "/api/v2/users") == 1);
}

/// A `socks5://` proxy (documented as valid for `http_proxy`) carries the requests. Before the
/// HTTP client was built with SOCKS support, each request panicked in the worker ("Enable
/// feature socks-proxy"), caught as an internal error: found by the settings fuzz.
#[test]
fn requests_reach_the_emulator_through_a_socks5_proxy() {
    let w = World::new();
    let (proxy, relayed) = common::proxy::socks5_proxy();
    set("http_proxy", &proxy);
    set("max_retries", "1");
    w.start();
    let s = sync_one("viasocks");
    assert_eq!(s["state"], "Synced", "{s}");
    assert!(relayed.load(Ordering::SeqCst) >= 1);
    assert_eq!(overview()["worker_panics"], 0);
    assert!(w.emu.call_count("POST", "/api/v2/users") == 1);
}

#[test]
fn a_dead_proxy_is_named_in_the_error() {
    let w = World::new();
    let dead = TcpListener::bind("127.0.0.1:0").unwrap();
    let proxy = format!("http://{}", dead.local_addr().unwrap());
    drop(dead);
    set(
        "http_proxy",
        &format!(
            "http://someone:pr0xy-pass@{}",
            proxy.trim_start_matches("http://")
        ),
    );
    set("max_retries", "1");
    w.start();
    let s = sync_one("noproxy");
    assert_eq!(s["state"], "Error", "{s}");
    let reason = s["reason"].as_str().unwrap();
    assert!(
        reason.contains(&format!("cannot connect to the proxy {proxy}"))
            && reason.contains("http_proxy"),
        "{reason}"
    );
    assert!(
        !reason.contains("pr0xy-pass") && !reason.contains("someone"),
        "{reason}"
    );
    assert!(w.emu.requests().is_empty());
    assert!(logs().iter().all(|l| !l.contains("pr0xy-pass")));
}
