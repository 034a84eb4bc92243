use super::*;
use std::sync::{Arc, Mutex};
use ureq::unversioned::transport::LazyBuffers;

/// What the fake inner transport saw: each write's bytes, and `READ` where it was read.
type Log = Arc<Mutex<Vec<Vec<u8>>>>;

const READ: &[u8] = b"<read>";

#[derive(Debug)]
struct Fake {
    buffers: LazyBuffers,
    log: Log,
    open: bool,
    fail_writes: bool,
    probes: usize,
    timeouts: Vec<NextTimeout>,
}

fn fake(output: usize) -> (Coalesced<Fake>, Log) {
    let log = Log::default();
    let inner = Fake {
        buffers: LazyBuffers::new(1024, output),
        log: log.clone(),
        open: true,
        fail_writes: false,
        probes: 0,
        timeouts: Vec::new(),
    };
    (Coalesced::new(inner), log)
}

impl Transport for Fake {
    fn buffers(&mut self) -> &mut dyn Buffers {
        &mut self.buffers
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), Error> {
        self.timeouts.push(timeout);
        if self.fail_writes {
            return Err(Error::Io(std::io::ErrorKind::BrokenPipe.into()));
        }
        let sent = self.buffers.output()[..amount].to_vec();
        self.log.lock().unwrap().push(sent);
        Ok(())
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, Error> {
        self.timeouts.push(timeout);
        self.log.lock().unwrap().push(READ.to_vec());
        Ok(true)
    }

    fn is_open(&mut self) -> bool {
        self.probes += 1;
        self.open
    }
}

/// Writes `bytes` the way ureq does: into the output buffer, then `transmit_output`.
fn write(t: &mut Coalesced<Fake>, bytes: &[u8]) -> Result<(), Error> {
    t.buffers().output()[..bytes.len()].copy_from_slice(bytes);
    t.transmit_output(bytes.len(), NextTimeout::default())
}

fn seen(log: &Log) -> Vec<Vec<u8>> {
    log.lock().unwrap().clone()
}

#[test]
fn a_request_s_head_and_body_go_out_in_one_write_when_the_answer_is_read() {
    let (mut t, log) = fake(4096);
    write(
        &mut t,
        b"POST /api/v2/users HTTP/1.1\r\ncontent-length: 9\r\n\r\n",
    )
    .unwrap();
    write(&mut t, b"{\"a\":\"b\"}").unwrap();
    assert!(seen(&log).is_empty(), "nothing is sent before the read");
    assert!(
        !t.is_open(),
        "a connection holding unsent bytes is not reusable"
    );
    assert!(t.await_input(NextTimeout::default()).unwrap());
    assert_eq!(
        seen(&log),
        [
            b"POST /api/v2/users HTTP/1.1\r\ncontent-length: 9\r\n\r\n{\"a\":\"b\"}".to_vec(),
            READ.to_vec()
        ]
    );
    assert!(t.is_open());
    // The next request starts from nothing held.
    write(&mut t, b"GET / HTTP/1.1\r\n\r\n").unwrap();
    t.maybe_await_input(NextTimeout::default()).unwrap();
    assert_eq!(seen(&log)[2], b"GET / HTTP/1.1\r\n\r\n".to_vec());
}

#[test]
fn a_large_body_is_sent_as_it_comes_and_never_lost() {
    // Output buffer of 1 000 bytes: held bytes past it go out in several writes.
    let (mut t, log) = fake(1000);
    let chunk: Vec<u8> = (0..1000u32).map(|i| (i % 251) as u8).collect();
    let mut all = Vec::new();
    for _ in 0..40 {
        write(&mut t, &chunk).unwrap();
        all.extend_from_slice(&chunk);
    }
    let before_read = seen(&log).concat();
    assert!(
        !before_read.is_empty() && all.len() - before_read.len() <= HOLD_AT_MOST,
        "at most {HOLD_AT_MOST} bytes held back (held {})",
        all.len() - before_read.len()
    );
    t.await_input(NextTimeout::default()).unwrap();
    let writes = seen(&log);
    assert!(writes.iter().all(|w| w.len() <= 1000));
    assert_eq!(writes.last().unwrap(), READ);
    assert_eq!(
        writes[..writes.len() - 1].concat(),
        all,
        "every byte, in order"
    );
}

#[test]
fn a_failed_send_is_reported_by_the_read_and_the_connection_is_not_reused() {
    let (mut t, log) = fake(4096);
    t.inner.fail_writes = true;
    write(&mut t, b"PATCH /x HTTP/1.1\r\n\r\n").unwrap();
    let e = t.await_input(NextTimeout::default()).unwrap_err();
    assert!(matches!(e, Error::Io(_)), "{e:?}");
    assert!(seen(&log).is_empty(), "no read after a failed send");
    t.inner.open = false;
    assert!(!t.is_open());
}

#[test]
fn after_an_answer_only_the_probe_before_the_next_request_reaches_the_socket() {
    let (mut t, _) = fake(4096);
    write(&mut t, b"GET /a HTTP/1.1\r\n\r\n").unwrap();
    t.await_input(NextTimeout::default()).unwrap();
    // Back to the pool: answered from memory.
    assert!(t.is_open());
    assert_eq!(t.inner.probes, 0);
    // Out of the pool for the next request: probed, and a closed connection says so.
    t.inner.open = false;
    assert!(!t.is_open());
    assert_eq!(t.inner.probes, 1);
    t.inner.open = true;
    assert!(t.is_open());
    assert_eq!(
        t.inner.probes, 2,
        "every question but the first after an answer probes"
    );
    // A write in between: the next question probes again.
    t.await_input(NextTimeout::default()).unwrap();
    write(&mut t, b"GET /b HTTP/1.1\r\n\r\n").unwrap();
    t.await_input(NextTimeout::default()).unwrap();
    assert!(t.is_open());
    assert!(t.is_open());
    assert_eq!(t.inner.probes, 3);
}

fn exact(ms: u64) -> NextTimeout {
    NextTimeout {
        after: Remaining::Exact(Duration::from_millis(ms)),
        ..NextTimeout::default()
    }
}

#[test]
fn socket_timeouts_are_rounded_down_to_the_grid_from_a_second_up() {
    let left = |t: NextTimeout| match t.after {
        Remaining::Exact(d) => Some(d.as_millis()),
        Remaining::NotHappening => None,
    };
    assert_eq!(left(on_grid(exact(29_987))), Some(29_750));
    assert_eq!(left(on_grid(exact(29_751))), Some(29_750));
    assert_eq!(left(on_grid(exact(29_750))), Some(29_750));
    assert_eq!(left(on_grid(exact(1_100))), Some(1_000));
    assert_eq!(
        left(on_grid(exact(999))),
        Some(999),
        "below a second: as it is"
    );
    assert_eq!(left(on_grid(exact(0))), Some(0));
    assert_eq!(left(on_grid(NextTimeout::default())), None);
    // What the socket is handed, for a read and for the held write before it.
    let (mut t, _) = fake(4096);
    write(&mut t, b"GET / HTTP/1.1\r\n\r\n").unwrap();
    t.await_input(exact(29_990)).unwrap();
    t.await_input(exact(29_980)).unwrap();
    let handed: Vec<_> = t.inner.timeouts.iter().map(|t| left(*t)).collect();
    assert_eq!(handed, [Some(29_750); 3]);
}

/// A server on a loopback port that answers each connection's first request with a small
/// keep-alive answer and then closes it; it counts the connections.
fn closing_server() -> (String, Arc<Mutex<usize>>) {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let accepted = Arc::new(Mutex::new(0));
    let count = accepted.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { return };
            *count.lock().unwrap() += 1;
            let mut got = Vec::new();
            let mut buf = [0u8; 1024];
            while !got.windows(4).any(|w| w == b"\r\n\r\n") {
                match conn.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => got.extend_from_slice(&buf[..n]),
                }
            }
            let _ = conn.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}");
            // Dropped: closed while the client keeps it in its pool.
        }
    });
    (url, accepted)
}

#[test]
fn a_connection_the_server_closed_while_idle_is_not_reused() {
    let (url, accepted) = closing_server();
    let agent = crate::genesys::setup::agent(
        Duration::from_secs(5),
        Duration::from_secs(5),
        None,
        ureq::tls::RootCerts::WebPki,
        2,
    );
    for i in 0..3 {
        let mut answer = agent
            .get(format!("{url}/{i}"))
            .call()
            .unwrap_or_else(|e| panic!("request {i} on a closed connection: {e}"));
        assert_eq!(answer.body_mut().read_to_string().unwrap(), "{}");
        // Let the server's close arrive while the connection sits in the pool.
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(*accepted.lock().unwrap(), 3, "one connection per request");
}
