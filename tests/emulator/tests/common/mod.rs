//! Tiny blocking HTTP client over `TcpStream` for the emulator tests.
#![allow(dead_code)]

use gc_emulator::{Emulator, EmulatorConfig};
use serde_json::Value;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub fn code(&self) -> String {
        self.json()["code"].as_str().unwrap_or_default().to_string()
    }
}

/// One request on a fresh connection (`Connection: close`).
pub fn request(
    base: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&[u8]>,
) -> std::io::Result<Resp> {
    let host = base.trim_start_matches("http://");
    let mut s = TcpStream::connect(host)?;
    s.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut out = format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    let body = body.unwrap_or(b"");
    if !body.is_empty() || matches!(method, "POST" | "PATCH" | "PUT") {
        out.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    out.push_str("\r\n");
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(body);
    s.write_all(&bytes)?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "no response"))?;
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    Ok(Resp {
        status,
        headers,
        body: body.to_string(),
    })
}

pub fn b64(input: &str) -> String {
    const T: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let b = input.as_bytes();
    let mut out = String::new();
    for chunk in b.chunks(3) {
        let n = (chunk[0] as u32) << 16
            | (*chunk.get(1).unwrap_or(&0) as u32) << 8
            | *chunk.get(2).unwrap_or(&0) as u32;
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(T[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

pub fn start() -> Emulator {
    Emulator::start(EmulatorConfig::default()).unwrap()
}

pub fn login_with(emu: &Emulator, id: &str, secret: &str, form: &str) -> Resp {
    try_login_with(emu, id, secret, form).unwrap()
}

/// [`login_with`] for a login whose answer a fault may lose: the connection's error, if any.
pub fn try_login_with(emu: &Emulator, id: &str, secret: &str, form: &str) -> std::io::Result<Resp> {
    let basic = format!("Basic {}", b64(&format!("{id}:{secret}")));
    request(
        &emu.base_url(),
        "POST",
        "/oauth/token",
        &[
            ("Authorization", &basic),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        Some(form.as_bytes()),
    )
}

pub fn token(emu: &Emulator) -> String {
    let r = login_with(
        emu,
        "gcsync-test",
        "test-secret",
        "grant_type=client_credentials",
    );
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()["access_token"].as_str().unwrap().to_string()
}

/// An authenticated API call with a JSON body.
pub fn api(emu: &Emulator, tok: &str, method: &str, path: &str, body: Option<Value>) -> Resp {
    try_api(emu, tok, method, path, body).unwrap()
}

/// A `POST` of `body` ([`api`]).
pub fn post(emu: &Emulator, tok: &str, path: &str, body: Value) -> Resp {
    api(emu, tok, "POST", path, Some(body))
}

/// A `PATCH` of `body` ([`api`]).
pub fn patch(emu: &Emulator, tok: &str, path: &str, body: Value) -> Resp {
    api(emu, tok, "PATCH", path, Some(body))
}

/// A `PUT` of `body` ([`api`]).
pub fn put(emu: &Emulator, tok: &str, path: &str, body: Value) -> Resp {
    api(emu, tok, "PUT", path, Some(body))
}

/// [`api`] for a call whose answer a fault may lose: the connection's error, if any.
pub fn try_api(
    emu: &Emulator,
    tok: &str,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> std::io::Result<Resp> {
    let auth = format!("Bearer {tok}");
    let body = body.map(|b| b.to_string());
    let mut h = vec![("Authorization", auth.as_str())];
    if body.is_some() {
        h.push(("Content-Type", "application/json"));
    }
    request(
        &emu.base_url(),
        method,
        path,
        &h,
        body.as_deref().map(str::as_bytes),
    )
}

/// The JSON of a 200 answer (panics with the body otherwise).
pub fn ok(r: Resp) -> Value {
    assert_eq!(r.status, 200, "{}", r.body);
    if r.body.is_empty() {
        Value::Null
    } else {
        r.json()
    }
}

/// Assert an error answer's status, code and a piece of its message.
pub fn refused(r: &Resp, status: u16, code: &str, msg: &str) {
    assert_eq!(r.status, status, "{}", r.body);
    assert_eq!(r.code(), code, "{}", r.body);
    let m = r.json()["message"].as_str().unwrap_or_default().to_string();
    assert!(m.contains(msg), "message {m:?} lacks {msg:?}");
}

/// `n` active users `User 000`… seeded directly; their ids.
pub fn seed_users(emu: &Emulator, n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            emu.seed_user(
                &format!("User {i:03}"),
                &format!("u{i}@example.com"),
                "active",
            )
        })
        .collect()
}

/// A control-endpoint call (no auth).
pub fn control(emu: &Emulator, method: &str, name: &str, body: Option<Value>) -> Resp {
    let body = body.map(|b| b.to_string());
    request(
        &emu.base_url(),
        method,
        &format!("/__emulator/{name}"),
        &[("Content-Type", "application/json")],
        body.as_deref().map(str::as_bytes),
    )
    .unwrap()
}

/// An emulator that grants only `granted`.
pub fn start_granting(granted: &[&str]) -> Emulator {
    let cfg = EmulatorConfig {
        granted_permissions: Some(granted.iter().map(|s| s.to_string()).collect()),
        ..EmulatorConfig::default()
    };
    Emulator::start(cfg).unwrap()
}

/// The `name`s of a listing's entities.
pub fn names(v: &Value) -> Vec<String> {
    v["entities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap().to_string())
        .collect()
}
