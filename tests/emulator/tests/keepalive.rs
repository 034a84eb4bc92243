//! Persistent connections: several requests on one socket, and shutdown with idle sockets open.
use gc_emulator::{Emulator, EmulatorConfig};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

fn read_one(r: &mut BufReader<TcpStream>) -> (u16, String) {
    let mut line = String::new();
    r.read_line(&mut line).unwrap();
    let status = line.split(' ').nth(1).unwrap().parse().unwrap();
    let mut len = 0;
    loop {
        let mut h = String::new();
        r.read_line(&mut h).unwrap();
        if h == "\r\n" {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                len = v.trim().parse().unwrap();
            }
        }
    }
    let mut body = vec![0; len];
    r.read_exact(&mut body).unwrap();
    (status, String::from_utf8(body).unwrap())
}

#[test]
fn keep_alive_and_chunked() {
    let emu = Emulator::start(EmulatorConfig::default()).unwrap();
    let host = emu.base_url().trim_start_matches("http://").to_string();
    let mut s = TcpStream::connect(&host).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut r = BufReader::new(s.try_clone().unwrap());
    let form = "grant_type=client_credentials";
    let req = format!(
        "POST /oauth/token HTTP/1.1\r\nHost: x\r\nAuthorization: Basic Z2NzeW5jLXRlc3Q6dGVzdC1zZWNyZXQ=\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{form}",
        form.len()
    );
    s.write_all(req.as_bytes()).unwrap();
    let (status, body) = read_one(&mut r);
    assert_eq!(status, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    let tok = v["access_token"].as_str().unwrap();
    let json = r#"{"name":"Ann","email":"ann@example.com"}"#;
    let req = format!(
        "POST /api/v2/users HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {tok}\r\n\
         Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n{json}\r\n0\r\n\r\n",
        json.len()
    );
    s.write_all(req.as_bytes()).unwrap();
    assert_eq!(read_one(&mut r).0, 200);
    let req =
        format!("GET /api/v2/users HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {tok}\r\n\r\n");
    s.write_all(req.as_bytes()).unwrap();
    let (status, body) = read_one(&mut r);
    assert_eq!(status, 200);
    assert!(body.contains("ann@example.com"));
    // Stopping with the idle connection still open is quick.
    let t = Instant::now();
    emu.stop();
    assert!(t.elapsed() < Duration::from_secs(2));
}
