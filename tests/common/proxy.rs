//! A CONNECT proxy for tests (`tests/tls.rs`, `tests/genesys_client/`) and a SOCKS5 one
//! (`tests/tls.rs`).
// `tests/genesys_client/` includes this file on its own and uses only the CONNECT proxy.
#![allow(dead_code)]

use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

/// A CONNECT proxy on 127.0.0.1: records each request line, then tunnels to the target.
pub fn connect_proxy() -> (String, Arc<Mutex<Vec<String>>>) {
    use std::io::{BufRead, BufReader};
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let lines = Arc::new(Mutex::new(Vec::new()));
    let log = lines.clone();
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let log = log.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(client.try_clone().unwrap());
                let mut first = String::new();
                if reader.read_line(&mut first).unwrap_or(0) == 0 {
                    return;
                }
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                }
                log.lock().unwrap().push(first.trim().to_string());
                let target = first.split_whitespace().nth(1).unwrap_or("").to_string();
                let Ok(upstream) = TcpStream::connect(&target) else {
                    let mut c = client;
                    let _ = c.write_all(b"HTTP/1.1 502 Bad Gateway\r\n\r\n");
                    return;
                };
                let mut client_w = client;
                client_w
                    .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                    .unwrap();
                let (mut up_r, mut up_w) = (upstream.try_clone().unwrap(), upstream);
                let mut down_w = client_w.try_clone().unwrap();
                std::thread::spawn(move || std::io::copy(&mut up_r, &mut down_w));
                let _ = std::io::copy(&mut reader, &mut up_w);
            });
        }
    });
    (url, lines)
}

/// A SOCKS5 proxy on 127.0.0.1 (no authentication, CONNECT only): relays to the target and
/// counts the connections it relayed.
pub fn socks5_proxy() -> (String, Arc<std::sync::atomic::AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("socks5://{}", listener.local_addr().unwrap());
    let relayed = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = relayed.clone();
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let count = count.clone();
            std::thread::spawn(move || {
                if let Ok(Some(upstream)) = socks5_handshake(&client) {
                    count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    let (mut up_r, mut up_w) = (upstream.try_clone().unwrap(), upstream);
                    let (mut down_r, mut down_w) = (client.try_clone().unwrap(), client);
                    std::thread::spawn(move || std::io::copy(&mut up_r, &mut down_w));
                    let _ = std::io::copy(&mut down_r, &mut up_w);
                }
            });
        }
    });
    (url, relayed)
}

/// RFC 1928: greeting (method 0, no authentication), CONNECT request, reply; the upstream
/// connection, or None when refused.
fn socks5_handshake(mut c: &TcpStream) -> std::io::Result<Option<TcpStream>> {
    use std::io::Read;
    let mut head = [0u8; 2];
    c.read_exact(&mut head)?;
    let mut methods = vec![0u8; head[1] as usize];
    c.read_exact(&mut methods)?;
    if head[0] != 5 || !methods.contains(&0) {
        c.write_all(&[5, 0xFF])?;
        return Ok(None);
    }
    c.write_all(&[5, 0])?;
    let mut req = [0u8; 4];
    c.read_exact(&mut req)?;
    let host = match req[3] {
        1 => {
            let mut a = [0u8; 4];
            c.read_exact(&mut a)?;
            std::net::Ipv4Addr::from(a).to_string()
        }
        3 => {
            let mut n = [0u8; 1];
            c.read_exact(&mut n)?;
            let mut d = vec![0u8; n[0] as usize];
            c.read_exact(&mut d)?;
            String::from_utf8_lossy(&d).into_owned()
        }
        _ => return Ok(None),
    };
    let mut port = [0u8; 2];
    c.read_exact(&mut port)?;
    let target = format!("{host}:{}", u16::from_be_bytes(port));
    match TcpStream::connect(&target) {
        Ok(up) if req[1] == 1 => {
            c.write_all(&[5, 0, 0, 1, 0, 0, 0, 0, 0, 0])?;
            Ok(Some(up))
        }
        _ => {
            c.write_all(&[5, 5, 0, 1, 0, 0, 0, 0, 0, 0])?;
            Ok(None)
        }
    }
}
