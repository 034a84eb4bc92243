//! Loopback test servers with scripted answers.
#![allow(dead_code)]

use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use gcsync::genesys::ClientConfig;
use gcsync::secret::Secret;

pub const CLIENT_ID: &str = "client-id-123";
pub const CLIENT_SECRET: &str = "s3cr3t-client-SECRET-value";

/// One request the server saw.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub fn is_token(&self) -> bool {
        self.url == "/oauth/token"
    }
}

/// A scripted answer.
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    pub fn json(status: u16, body: &str) -> Reply {
        Reply {
            status,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: body.into(),
        }
    }
    pub fn with(mut self, name: &str, value: &str) -> Reply {
        self.headers.push((name.into(), value.into()));
        self
    }
    pub fn error(status: u16, code: &str) -> Reply {
        Reply::json(
            status,
            &format!(
                r#"{{"status":{status},"code":"{code}","message":"msg {code}","contextId":"ctx-{status}"}}"#
            ),
        )
    }
}

type Handler = dyn FnMut(&Seen, usize) -> Reply + Send;

/// A tiny_http server on 127.0.0.1 answering with a script. `/oauth/token` gets a fresh token
/// (`tok-<n>`) unless the script handles it; the script gets each API request and its index
/// among API requests.
pub struct Mock {
    pub url: String,
    pub seen: Arc<Mutex<Vec<Seen>>>,
    server: Arc<tiny_http::Server>,
    thread: Option<JoinHandle<()>>,
}

pub fn token_reply(n: usize, expires_in: u64) -> Reply {
    Reply::json(
        200,
        &format!(
            r#"{{"access_token":"tok-{n}-SECRETTOKEN","token_type":"bearer","expires_in":{expires_in}}}"#
        ),
    )
}

impl Mock {
    /// Tokens live a day; `api` scripts the API answers.
    pub fn new(api: impl FnMut(&Seen, usize) -> Reply + Send + 'static) -> Mock {
        Mock::with_tokens(86_400, api)
    }

    pub fn with_tokens(
        expires_in: u64,
        mut api: impl FnMut(&Seen, usize) -> Reply + Send + 'static,
    ) -> Mock {
        let tokens = AtomicUsize::new(0);
        Mock::raw(move |seen, i| {
            if seen.is_token() {
                token_reply(tokens.fetch_add(1, Ordering::SeqCst) + 1, expires_in)
            } else {
                api(seen, i)
            }
        })
    }

    /// Scripts every request, token requests included (index counts all requests).
    pub fn raw(handler: impl FnMut(&Seen, usize) -> Reply + Send + 'static) -> Mock {
        let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").unwrap());
        let port = server.server_addr().to_ip().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (srv, log) = (server.clone(), seen.clone());
        let mut handler: Box<Handler> = Box::new(handler);
        let thread = std::thread::spawn(move || {
            let mut api_index = 0;
            while let Ok(mut rq) = srv.recv() {
                let mut body = String::new();
                let _ = std::io::Read::read_to_string(rq.as_reader(), &mut body);
                let s = Seen {
                    method: rq.method().to_string(),
                    url: rq.url().to_string(),
                    headers: rq
                        .headers()
                        .iter()
                        .map(|h| (h.field.to_string(), h.value.to_string()))
                        .collect(),
                    body,
                };
                log.lock().unwrap().push(s.clone());
                let reply = handler(&s, api_index);
                if !s.is_token() {
                    api_index += 1;
                }
                let mut resp =
                    tiny_http::Response::from_string(reply.body).with_status_code(reply.status);
                for (k, v) in reply.headers {
                    resp.add_header(tiny_http::Header::from_bytes(k, v).unwrap());
                }
                let _ = rq.respond(resp);
            }
        });
        Mock {
            url: format!("http://127.0.0.1:{port}"),
            seen,
            server,
            thread: Some(thread),
        }
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
    pub fn token_requests(&self) -> usize {
        self.seen().iter().filter(|s| s.is_token()).count()
    }
    pub fn api_requests(&self) -> Vec<Seen> {
        self.seen().into_iter().filter(|s| !s.is_token()).collect()
    }
}

impl Drop for Mock {
    fn drop(&mut self) {
        self.server.unblock();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A port nothing listens on (bound, then released).
pub fn dead_url() -> String {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    drop(l);
    format!("http://127.0.0.1:{port}")
}

/// A config pointing both bases at `url`, fast retries.
pub fn config(url: &str) -> ClientConfig {
    ClientConfig {
        api_base_url: url.to_string(),
        login_base_url: url.to_string(),
        client_id: CLIENT_ID.into(),
        client_secret: Secret::new(CLIENT_SECRET),
        requests_per_minute: 6000,
        proxy: None,
        ca_bundle_pem: None,
        connect_timeout: Duration::from_secs(2),
        request_timeout: Duration::from_secs(5),
        max_retries: 3,
        retry_base: Duration::from_millis(5),
        max_retry_after: Duration::from_secs(180),
        max_concurrent_requests: 4,
        presence_reserved_share: 20,
    }
}
