//! A deliberately small HTTP/1.1 server over `std::net`.
//!
//! tiny_http cannot close a connection without answering (dropping its `Request` sends a 500),
//! and the emulator must be able to simulate dropped connections, so it owns the socket itself.
//! Supports keep-alive, `Content-Length` and chunked request bodies, `Expect: 100-continue`.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::Duration;

/// Largest accepted request head.
const MAX_HEAD: usize = 64 * 1024;
/// Largest accepted request body (the documented `request.bytes.max`).
pub const MAX_BODY: usize = 512_000;

/// One parsed HTTP request.
#[derive(Debug, Clone)]
pub struct HttpRequest {
    /// Upper-case method, e.g. `PATCH`.
    pub method: String,
    /// Path without the query string (still percent-encoded).
    pub path: String,
    /// Raw query string without `?` (empty when absent).
    pub query: String,
    /// Headers in arrival order; names as sent.
    pub headers: Vec<(String, String)>,
    /// Decoded body bytes.
    pub body: Vec<u8>,
    /// True when the body exceeded [`MAX_BODY`] (body is then empty).
    pub body_too_large: bool,
}

impl HttpRequest {
    /// First header with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A response to write back.
#[derive(Debug, Clone)]
pub struct HttpResponse {
    /// Status code.
    pub status: u16,
    /// Extra headers (Content-Length and Connection are added by the server).
    pub headers: Vec<(String, String)>,
    /// Body bytes.
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// A JSON response.
    pub fn json(status: u16, v: &serde_json::Value) -> HttpResponse {
        HttpResponse {
            status,
            headers: vec![(
                "Content-Type".into(),
                "application/json; charset=UTF-8".into(),
            )],
            body: serde_json::to_vec(v).unwrap_or_default(),
        }
    }

    /// A response without a body (e.g. 204).
    pub fn empty(status: u16) -> HttpResponse {
        HttpResponse {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// Add a header.
    pub fn with_header(mut self, k: &str, v: &str) -> HttpResponse {
        self.headers.push((k.to_string(), v.to_string()));
        self
    }
}

/// What the handler wants done with a request.
pub enum Reply {
    /// Write this response.
    Respond(HttpResponse),
    /// Close the connection without answering.
    Drop,
    /// Send the status line, the headers and the first half of this response's body (the
    /// head alone cut in half when there is no body), then close: a response lost mid-way.
    Cut(HttpResponse),
}

/// The request handler shared by all connection threads.
pub type Handler = Arc<dyn Fn(HttpRequest) -> Reply + Send + Sync>;

/// A running server: one accept thread plus one thread per connection.
pub struct HttpServer {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    accept: Option<JoinHandle<()>>,
}

impl HttpServer {
    /// Bind and start serving. `stop` ends the server when set (also set by [`HttpServer::shutdown`]).
    pub fn start(bind: &str, handler: Handler, stop: Arc<AtomicBool>) -> io::Result<HttpServer> {
        let listener = TcpListener::bind(bind)?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let stop2 = stop.clone();
        let accept = thread::Builder::new()
            .name("gc-emulator-accept".into())
            .spawn(move || accept_loop(listener, handler, stop2))?;
        Ok(HttpServer {
            addr,
            stop,
            accept: Some(accept),
        })
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stop accepting, close all connections and join every thread.
    pub fn shutdown(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(h) = self.accept.take() {
            let _ = h.join();
        }
    }
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn accept_loop(listener: TcpListener, handler: Handler, stop: Arc<AtomicBool>) {
    let mut conns: Vec<JoinHandle<()>> = Vec::new();
    while !stop.load(Ordering::SeqCst) {
        match listener.accept() {
            Ok((s, _)) => {
                let (h, st) = (handler.clone(), stop.clone());
                if let Ok(j) = thread::Builder::new()
                    .name("gc-emulator-conn".into())
                    .spawn(move || conn_loop(s, h, st))
                {
                    conns.push(j);
                }
                conns.retain(|j| !j.is_finished());
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                thread::sleep(Duration::from_millis(5))
            }
            Err(_) => thread::sleep(Duration::from_millis(20)),
        }
    }
    for j in conns {
        let _ = j.join();
    }
}

fn conn_loop(mut s: TcpStream, handler: Handler, stop: Arc<AtomicBool>) {
    let _ = s.set_nonblocking(false);
    let _ = s.set_nodelay(true);
    let _ = s.set_read_timeout(Some(Duration::from_millis(50)));
    let mut buf = Vec::new();
    loop {
        let req = match read_request(&mut s, &mut buf, &stop) {
            Ok(Some(r)) => r,
            Ok(None) => return,
            Err(_) => {
                let _ = s.write_all(
                    b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                );
                return;
            }
        };
        let close = req
            .header("connection")
            .is_some_and(|v| v.to_ascii_lowercase().contains("close"));
        match handler(req) {
            Reply::Drop => {
                let _ = s.shutdown(Shutdown::Both);
                return;
            }
            Reply::Cut(resp) => {
                let (head, body) = response_bytes(&resp, false);
                let mut part = head;
                if body.is_empty() {
                    part.truncate(part.len() / 2);
                } else {
                    part.extend_from_slice(&body[..body.len() / 2]);
                }
                let _ = s.write_all(&part);
                let _ = s.flush();
                let _ = s.shutdown(Shutdown::Both);
                return;
            }
            Reply::Respond(resp) => {
                if write_response(&mut s, &resp, close).is_err() || close {
                    return;
                }
            }
        }
    }
}

/// Read more bytes; `Ok(false)` on EOF. Polls the stop flag while waiting.
fn read_more(s: &mut TcpStream, buf: &mut Vec<u8>, stop: &AtomicBool) -> io::Result<bool> {
    let mut tmp = [0u8; 16 * 1024];
    loop {
        match s.read(&mut tmp) {
            Ok(0) => return Ok(false),
            Ok(n) => {
                buf.extend_from_slice(&tmp[..n]);
                return Ok(true);
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock
                        | io::ErrorKind::TimedOut
                        | io::ErrorKind::Interrupted
                ) =>
            {
                if stop.load(Ordering::SeqCst) {
                    return Ok(false);
                }
            }
            Err(e) => return Err(e),
        }
    }
}

fn bad(msg: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.to_string())
}

fn read_request(
    s: &mut TcpStream,
    buf: &mut Vec<u8>,
    stop: &AtomicBool,
) -> io::Result<Option<HttpRequest>> {
    let head_end = loop {
        if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break p;
        }
        if buf.len() > MAX_HEAD {
            return Err(bad("head too large"));
        }
        if !read_more(s, buf, stop)? {
            return Ok(None);
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    buf.drain(..head_end + 4);
    let mut lines = head.split("\r\n");
    let mut parts = lines.next().unwrap_or("").split(' ');
    let (method, target) = match (parts.next(), parts.next(), parts.next()) {
        (Some(m), Some(t), Some(v)) if v.starts_with("HTTP/1.") => (m.to_string(), t.to_string()),
        _ => return Err(bad("bad request line")),
    };
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let hdr = |n: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(n))
            .map(|(_, v)| v.clone())
    };
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p.to_string(), q.to_string()),
        None => (target.clone(), String::new()),
    };
    let mut req = HttpRequest {
        method: method.to_ascii_uppercase(),
        path,
        query,
        headers: headers.clone(),
        body: Vec::new(),
        body_too_large: false,
    };
    let chunked =
        hdr("transfer-encoding").is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
    let len: usize = match hdr("content-length") {
        Some(v) => v.parse().map_err(|_| bad("bad content-length"))?,
        None => 0,
    };
    if (chunked || len > 0)
        && buf.is_empty()
        && hdr("expect").is_some_and(|v| v.eq_ignore_ascii_case("100-continue"))
    {
        s.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
    }
    if chunked {
        loop {
            match decode_chunked(buf)? {
                Some((body, used)) => {
                    buf.drain(..used);
                    req.body = body;
                    break;
                }
                None if buf.len() > MAX_BODY * 2 => return Err(bad("body too large")),
                None => {
                    if !read_more(s, buf, stop)? {
                        return Ok(None);
                    }
                }
            }
        }
    } else {
        if len > MAX_BODY * 4 {
            return Err(bad("body too large"));
        }
        while buf.len() < len {
            if !read_more(s, buf, stop)? {
                return Ok(None);
            }
        }
        req.body = buf.drain(..len).collect();
    }
    if req.body.len() > MAX_BODY {
        req.body.clear();
        req.body_too_large = true;
    }
    Ok(Some(req))
}

/// Decode a complete chunked body at the start of `b`: `Some((body, bytes used))`, `None` if
/// more input is needed.
fn decode_chunked(b: &[u8]) -> io::Result<Option<(Vec<u8>, usize)>> {
    let mut pos = 0;
    let mut out = Vec::new();
    loop {
        let Some(eol) = b[pos..].windows(2).position(|w| w == b"\r\n") else {
            return Ok(None);
        };
        let line = String::from_utf8_lossy(&b[pos..pos + eol]).into_owned();
        let size_hex = line.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_hex, 16).map_err(|_| bad("bad chunk size"))?;
        pos += eol + 2;
        if size == 0 {
            // Skip trailers up to the empty line.
            loop {
                let Some(e) = b[pos..].windows(2).position(|w| w == b"\r\n") else {
                    return Ok(None);
                };
                pos += e + 2;
                if e == 0 {
                    return Ok(Some((out, pos)));
                }
            }
        }
        if b.len() < pos + size + 2 {
            return Ok(None);
        }
        out.extend_from_slice(&b[pos..pos + size]);
        pos += size + 2;
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        409 => "Conflict",
        413 => "Payload Too Large",
        415 => "Unsupported Media Type",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}

fn write_response(s: &mut TcpStream, r: &HttpResponse, close: bool) -> io::Result<()> {
    let (mut bytes, body) = response_bytes(r, close);
    bytes.extend_from_slice(&body);
    s.write_all(&bytes)?;
    s.flush()
}

/// A response as bytes on the wire: the head (status line and headers) and the body.
fn response_bytes(r: &HttpResponse, close: bool) -> (Vec<u8>, Vec<u8>) {
    let mut out = format!("HTTP/1.1 {} {}\r\n", r.status, reason(r.status));
    for (k, v) in &r.headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    if r.status != 204 {
        // RFC 9110 §8.6: no Content-Length on a 204.
        out.push_str(&format!("Content-Length: {}\r\n", r.body.len()));
    }
    if close {
        out.push_str("Connection: close\r\n");
    }
    out.push_str("\r\n");
    (out.into_bytes(), r.body.clone())
}

#[cfg(test)]
mod tests {
    use super::decode_chunked;

    #[test]
    fn chunked_decoding() {
        let raw = b"4\r\nWiki\r\n5;x=y\r\npedia\r\n0\r\n\r\nNEXT";
        let (body, used) = decode_chunked(raw).unwrap().unwrap();
        assert_eq!(body, b"Wikipedia");
        assert_eq!(&raw[used..], b"NEXT");
        assert!(decode_chunked(b"4\r\nWi").unwrap().is_none());
    }
}
