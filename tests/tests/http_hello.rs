//! The `http_hello` server against real clients (ureq and raw sockets):
//! `Hello 127.0.0.1` over HTTP/1.1 with keep-alive; a malformed request
//! gets 400 and a close; a client that stalls half-way delays nobody; the
//! server keeps serving after any bad input; and slow or greedy clients
//! are bounded: a request trickled too slowly gets 408, a connection over
//! the limit 503, a body that does not fit the shared budget 503.
//!
//! The blocking clients run on the test's own thread while the server
//! runs on a multi-thread runtime's workers. The tests of deadlines run
//! server and clients on one runtime with tokio's clock paused, so that a
//! trickle of a byte a second takes no real time.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddrV4, TcpStream};
use std::time::Duration;

use actor_core::Runtime;
use actor_io::Server;
use examples::http_hello::{self, Limits};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

struct Running {
    rt: Runtime,
    server: Server,
    port: u16,
}

impl Running {
    fn start(limits: Limits) -> Self {
        let rt = Runtime::tokio();
        let server = rt
            .block_on(http_hello::start_with("127.0.0.1:0", limits))
            .expect("the server starts");
        let port = server.addr().tcp().unwrap().port();
        Running { rt, server, port }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    fn connect(&self) -> TcpStream {
        let s = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s
    }

    /// A connection from another local address than 127.0.0.1.
    fn connect_from(&self, ip: Ipv4Addr) -> TcpStream {
        use rustix::net::{AddressFamily, SocketType};
        let fd = rustix::net::socket(AddressFamily::INET, SocketType::STREAM, None).unwrap();
        rustix::net::bind(&fd, &SocketAddrV4::new(ip, 0)).unwrap();
        rustix::net::connect(&fd, &SocketAddrV4::new(Ipv4Addr::LOCALHOST, self.port)).unwrap();
        let s = TcpStream::from(fd);
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s
    }

    fn connections(&self) -> usize {
        self.rt.block_on(self.server.connections()).unwrap()
    }

    /// `GET path` with a fresh client; the body.
    fn get(&self, path: &str) -> String {
        agent()
            .get(&self.url(path))
            .call()
            .unwrap()
            .body_mut()
            .read_to_string()
            .unwrap()
    }

    fn stop(self) {
        self.rt.block_on(async {
            self.server.stop();
            self.server.wait().await;
        });
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(10)))
        .http_status_as_error(false)
        .build()
        .into()
}

/// Reads until the server closes the connection.
fn read_to_close(mut s: TcpStream) -> String {
    let mut out = Vec::new();
    match s.read_to_end(&mut out) {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {}
        Err(e) => panic!("reading until close: {e}"),
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Reads one whole response (its head, and the body its
/// `Content-Length` announces), then whatever else has arrived with it.
fn read_response(s: &mut TcpStream) -> String {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        if let Some(end) = got.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&got[..end]).to_ascii_lowercase();
            let len: usize = head
                .split("\r\n")
                .find_map(|l| l.strip_prefix("content-length: "))
                .map_or(0, |v| v.parse().unwrap());
            if got.len() >= end + 4 + len {
                break;
            }
        }
        let n = s.read(&mut buf).expect("a response in time");
        assert!(
            n > 0,
            "closed mid-response: {:?}",
            String::from_utf8_lossy(&got)
        );
        got.extend_from_slice(&buf[..n]);
    }
    // Anything the server wrote together with it is here already.
    s.set_nonblocking(true).unwrap();
    while let Ok(n) = s.read(&mut buf) {
        if n == 0 {
            break;
        }
        got.extend_from_slice(&buf[..n]);
    }
    s.set_nonblocking(false).unwrap();
    String::from_utf8_lossy(&got).into_owned()
}

#[test]
fn get_root_says_hello_over_one_kept_alive_connection() {
    let s = Running::start(Limits::default());
    let agent = agent();
    for _ in 0..20 {
        let mut resp = agent.get(&s.url("/")).call().unwrap();
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.headers().get("content-type").unwrap(), "text/html");
        assert_eq!(resp.body_mut().read_to_string().unwrap(), "Hello 127.0.0.1");
    }
    assert_eq!(s.connections(), 1, "twenty requests, one connection");
    let mut resp = agent.get(&s.url("/elsewhere")).call().unwrap();
    assert_eq!(resp.status(), 404);
    let _ = resp.body_mut().read_to_string();
    assert_eq!(s.connections(), 1, "and the 404 on the same one");
    s.stop();
}

#[test]
fn head_gets_the_headers_and_no_body() {
    let s = Running::start(Limits::default());
    let resp = agent().head(&s.url("/")).call().unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers().get("content-length").unwrap(), "15");
    // On the wire: the head, and nothing after it.
    let mut c = s.connect();
    c.write_all(b"HEAD / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let all = read_to_close(c);
    assert!(all.starts_with("HTTP/1.1 200 OK\r\n"), "{all}");
    assert!(all.contains("Content-Length: 15\r\n"), "{all}");
    assert!(all.ends_with("\r\n\r\n"), "no body: {all:?}");
    s.stop();
}

#[test]
fn the_greeting_names_the_client_address() {
    let s = Running::start(Limits::default());
    // Another loopback address as the source: the answer follows it.
    for ip in [Ipv4Addr::new(127, 0, 0, 2), Ipv4Addr::LOCALHOST] {
        let mut c = s.connect_from(ip);
        c.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .unwrap();
        let all = read_to_close(c);
        assert!(all.ends_with(&format!("\r\n\r\nHello {ip}")), "{all}");
    }
    s.stop();
}

#[test]
fn a_malformed_request_gets_400_and_a_close() {
    let s = Running::start(Limits::default());
    let mut c = s.connect();
    c.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    c.write_all(b"\x16\x03\x01 this is not http\r\n\r\n")
        .unwrap();
    let all = read_to_close(c);
    // The good request was answered, then the bad one got 400 and a close.
    assert!(all.starts_with("HTTP/1.1 200 OK\r\n"), "{all}");
    let second = &all[all.find("Hello 127.0.0.1").unwrap() + 15..];
    assert!(
        second.starts_with("HTTP/1.1 400 Bad Request\r\n"),
        "{second}"
    );
    assert!(second.contains("Connection: close\r\n"));
    assert_eq!(s.get("/"), "Hello 127.0.0.1");
    s.stop();
}

#[test]
fn pipelined_requests_are_answered_in_order() {
    let s = Running::start(Limits::default());
    let mut c = s.connect();
    c.write_all(
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /nope HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nConnection: close\r\n\r\n",
    )
    .unwrap();
    let all = read_to_close(c);
    let statuses: Vec<&str> = all.split("HTTP/1.1 ").skip(1).map(|r| &r[..3]).collect();
    assert_eq!(statuses, ["200", "404", "200"], "{all}");
    s.stop();
}

#[test]
fn a_client_that_stalls_half_way_delays_nobody() {
    let s = Running::start(Limits::default());
    let mut stalled = s.connect();
    stalled
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\nUser-Agent: sl")
        .unwrap();
    // Everyone else is served while it stalls, on fresh connections (a
    // server held up by it would leave these reads to time out).
    for _ in 0..50 {
        let mut c = s.connect();
        c.write_all(b"GET / HTTP/1.0\r\n\r\n").unwrap();
        assert!(read_to_close(c).ends_with("Hello 127.0.0.1"));
    }
    // And the stalled client is still connected, waiting: not dropped to
    // make room.
    stalled.set_nonblocking(true).unwrap();
    let mut buf = [0u8; 64];
    let err = stalled.read(&mut buf).expect_err("nothing to read yet");
    assert_eq!(err.kind(), std::io::ErrorKind::WouldBlock);
    assert_eq!(s.get("/"), "Hello 127.0.0.1");
    s.stop();
}

#[test]
fn a_stalled_client_gets_408_after_the_idle_timeout() {
    let s = Running::start(Limits {
        idle: Duration::from_millis(300),
        ..Limits::default()
    });
    let mut stalled = s.connect();
    stalled.write_all(b"GET / HTTP/1.1\r\nHost: x").unwrap();
    // The server answers and closes: the read ends (the client's own read
    // timeout is 10 s, and would fail this test).
    let all = read_to_close(stalled);
    assert!(all.starts_with("HTTP/1.1 408 Request Timeout\r\n"), "{all}");
    assert!(all.contains("Connection: close\r\n"), "{all}");
    // A connection that never said anything is closed without a word.
    assert_eq!(read_to_close(s.connect()), "");
    assert_eq!(s.get("/"), "Hello 127.0.0.1");
    s.stop();
}

#[test]
fn the_server_keeps_serving_after_any_bad_input() {
    let s = Running::start(Limits::default());
    // Malformed requests get 400; what is well-formed but refused gets the
    // status that says why. Every one is answered, then closed.
    let bad: Vec<(Vec<u8>, &str)> = vec![
        (b"\x00\x01\x02\x03".to_vec(), "400"),
        (
            b"GET / HTTP/1.1\r\nContent-Length: banana\r\n\r\n".to_vec(),
            "400",
        ),
        // Two lengths that differ: a request smuggled past a proxy that
        // reads the other one (RFC 9112, 6.3).
        (
            b"POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 30\r\n\r\nabc".to_vec(),
            "400",
        ),
        (
            b"POST / HTTP/1.1\r\nContent-Length: 30\r\nContent-Length: 3\r\n\r\nabc".to_vec(),
            "400",
        ),
        (
            b"POST / HTTP/1.1\r\nContent-Length: 3, 30\r\n\r\nabc".to_vec(),
            "400",
        ),
        (
            b"POST / HTTP/1.1\r\nContent-Length: +3\r\n\r\nabc".to_vec(),
            "400",
        ),
        (
            b"POST / HTTP/1.1\r\nContent-Length: 2000000\r\n\r\n".to_vec(),
            "413",
        ),
        (
            b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n".to_vec(),
            "501",
        ),
        (
            [
                b"GET / HTTP/1.1\r\nX: ".to_vec(),
                vec![b'a'; 20_000],
                b"\r\n\r\n".to_vec(),
            ]
            .concat(),
            "431",
        ),
        (b"GET / HTTP/9.9\r\n\r\n".to_vec(), "400"),
        (b"GET\r\n\r\n".to_vec(), "400"),
        (b"GET / HTTP/1.1\r\nBad Header Line\r\n\r\n".to_vec(), "400"),
    ];
    for (input, status) in &bad {
        let mut c = s.connect();
        let _ = c.write_all(input);
        let reply = read_to_close(c);
        assert!(
            reply.starts_with(&format!("HTTP/1.1 {status} ")),
            "{:?} -> {reply:?}",
            String::from_utf8_lossy(&input[..input.len().min(40)])
        );
        assert!(reply.contains("Connection: close\r\n"));
    }
    // The same length twice is one length (RFC 9110, 8.6).
    let mut c = s.connect();
    c.write_all(b"POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc")
        .unwrap();
    assert!(read_response(&mut c).starts_with("HTTP/1.1 405 "));
    // A client that resets in the middle of a request.
    let mut c = s.connect();
    c.write_all(b"GET / HT").unwrap();
    rustix::net::sockopt::set_socket_linger(&c, Some(Duration::ZERO)).unwrap();
    drop(c);
    // A client that connects and leaves at once.
    drop(s.connect());
    for _ in 0..5 {
        assert_eq!(s.get("/"), "Hello 127.0.0.1");
    }
    assert!(s.server.process().is_alive());
    s.stop();
}

#[test]
fn connections_over_the_limit_get_503_and_a_close() {
    let s = Running::start(Limits {
        max_connections: 2,
        ..Limits::default()
    });
    let get = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    let mut served = [s.connect(), s.connect()];
    for c in &mut served {
        c.write_all(get).unwrap();
        assert!(read_response(c).ends_with("Hello 127.0.0.1"));
    }
    for _ in 0..3 {
        let refused = read_to_close(s.connect());
        assert!(
            refused.starts_with("HTTP/1.1 503 Service Unavailable\r\n"),
            "{refused:?}"
        );
        assert!(refused.contains("Connection: close\r\n"), "{refused}");
        assert!(refused.contains("Retry-After: 1\r\n"), "{refused}");
    }
    // The two it serves never noticed.
    for c in &mut served {
        c.write_all(get).unwrap();
        assert!(read_response(c).ends_with("Hello 127.0.0.1"));
    }
    assert_eq!(s.connections(), 2);
    s.stop();
}

#[test]
fn bodies_being_read_share_one_budget_and_beyond_it_get_503() {
    let s = Running::start(Limits {
        body_budget: 1000,
        ..Limits::default()
    });
    // A GET, then a POST whose body is not all there: once the GET's
    // answer is back, the POST's head has been read and room reserved for
    // its body (or refused, in the same answer).
    let start_post = |len: usize| {
        let mut c = s.connect();
        let req = format!(
            "GET / HTTP/1.1\r\nHost: x\r\n\r\nPOST / HTTP/1.1\r\nHost: x\r\nContent-Length: {len}\r\n\r\nab"
        );
        c.write_all(req.as_bytes()).unwrap();
        let answer = read_response(&mut c);
        assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
        (c, answer)
    };
    let (mut a, answer) = start_post(800);
    assert!(answer.ends_with("Hello 127.0.0.1"), "800 fits: {answer}");
    let (b, answer) = start_post(800);
    let refusal = &answer[answer.find("Hello 127.0.0.1").unwrap() + 15..];
    assert!(
        refusal.starts_with("HTTP/1.1 503 Service Unavailable\r\n"),
        "800 more does not fit: {answer}"
    );
    assert!(refusal.contains("Connection: close\r\n"), "{refusal}");
    assert_eq!(read_to_close(b), "", "and b is closed");
    let (_c, answer) = start_post(200);
    assert!(answer.ends_with("Hello 127.0.0.1"), "200 fits: {answer}");
    // a's body is complete: answered, its room given back.
    a.write_all(&[b'z'; 798]).unwrap();
    assert!(read_response(&mut a).starts_with("HTTP/1.1 405 "));
    let (_d, answer) = start_post(800);
    assert!(
        answer.ends_with("Hello 127.0.0.1"),
        "800 fits again: {answer}"
    );
    s.stop();
}

/// Writes `data` a byte a second (tokio's clock); never returns before
/// it is all written.
async fn trickle(mut w: impl AsyncWrite + Unpin, data: &[u8]) {
    for b in data {
        w.write_all(std::slice::from_ref(b)).await.unwrap();
        actor_core::sleep(Duration::from_secs(1)).await;
    }
}

/// Reads until the server closes.
async fn read_until_closed(mut r: impl AsyncRead + Unpin) -> String {
    let mut got = Vec::new();
    let _ = r.read_to_end(&mut got).await;
    String::from_utf8_lossy(&got).into_owned()
}

/// A request head that takes 200 s to trickle in.
fn slow_head() -> Vec<u8> {
    let mut head = b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ".to_vec();
    head.resize(196, b'z');
    head.extend_from_slice(b"\r\n\r\n");
    head
}

/// Trickles `data` on `stream` until the server answers and closes;
/// returns the answer and when it closed (from `start`). Panics if all of
/// `data` goes out first.
async fn trickle_until_closed(
    stream: &mut tokio::net::TcpStream,
    data: &[u8],
) -> (String, Duration) {
    let (r, w) = stream.split();
    tokio::select! {
        answer = read_until_closed(r) => (answer, actor_core::now()),
        () = trickle(w, data) => panic!("all {} bytes went out unanswered", data.len()),
    }
}

fn assert_408(answer: &str) {
    assert!(
        answer.starts_with("HTTP/1.1 408 Request Timeout\r\n"),
        "{answer:?}"
    );
    assert!(answer.contains("Connection: close\r\n"), "{answer}");
}

#[tokio::test(start_paused = true)]
async fn a_head_trickled_a_byte_a_second_gets_408_at_the_head_deadline() {
    let limits = Limits::default();
    let server = http_hello::start_with("127.0.0.1:0", limits).await.unwrap();
    let start = actor_core::now();
    let mut c = tokio::net::TcpStream::connect(server.addr().tcp().unwrap())
        .await
        .unwrap();
    // Every byte comes well within the idle timeout; the head would take
    // 200 s.
    let (answer, closed) = trickle_until_closed(&mut c, &slow_head()).await;
    assert_408(&answer);
    let after = closed - start;
    assert!(
        after >= limits.head && after < limits.head + Duration::from_secs(5),
        "closed {after:?} after the connect, with a {:?} head deadline",
        limits.head
    );
    server.stop();
    server.wait().await;
}

#[tokio::test(start_paused = true)]
async fn a_later_request_gets_its_own_head_deadline_from_its_first_byte() {
    let limits = Limits::default();
    let server = http_hello::start_with("127.0.0.1:0", limits).await.unwrap();
    let mut c = tokio::net::TcpStream::connect(server.addr().tcp().unwrap())
        .await
        .unwrap();
    c.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut buf = vec![0u8; 4096];
    let n = c.read(&mut buf).await.unwrap();
    assert!(buf[..n].ends_with(b"Hello 127.0.0.1"));
    // A quiet spell longer than the head deadline, shorter than the idle
    // timeout: the connection stays, and the next head's clock has not
    // started.
    actor_core::sleep(limits.head * 2).await;
    let first_byte = actor_core::now();
    let (answer, closed) = trickle_until_closed(&mut c, &slow_head()).await;
    assert_408(&answer);
    let after = closed - first_byte;
    assert!(
        after >= limits.head && after < limits.head + Duration::from_secs(5),
        "closed {after:?} after the request's first byte"
    );
    server.stop();
    server.wait().await;
}

#[tokio::test(start_paused = true)]
async fn a_body_trickled_a_byte_a_second_gets_408_at_the_request_deadline() {
    let limits = Limits::default();
    let server = http_hello::start_with("127.0.0.1:0", limits).await.unwrap();
    let post = "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n";
    // Alone, and pipelined behind a request answered at once.
    for (head, before) in [
        (post.to_string(), ""),
        (
            format!("GET / HTTP/1.1\r\nHost: x\r\n\r\n{post}"),
            "HTTP/1.1 200 OK\r\n",
        ),
    ] {
        let start = actor_core::now();
        let mut c = tokio::net::TcpStream::connect(server.addr().tcp().unwrap())
            .await
            .unwrap();
        c.write_all(head.as_bytes()).await.unwrap();
        let (answer, closed) = trickle_until_closed(&mut c, &[b'z'; 1000]).await;
        let answer = answer.strip_prefix(before).expect(&answer);
        let answer = &answer[answer.find("HTTP/1.1 408").unwrap_or(0)..];
        assert_408(answer);
        let after = closed - start;
        assert!(
            after >= limits.request && after < limits.request + Duration::from_secs(5),
            "closed {after:?} after the connect, with a {:?} request deadline",
            limits.request
        );
    }
    server.stop();
    server.wait().await;
}
