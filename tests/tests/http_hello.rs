//! The `http_hello` server against real clients (ureq, curl, raw sockets):
//! `Hello 127.0.0.1` over HTTP/1.1 with keep-alive; a malformed request
//! gets 400 and a close; a client that stalls half-way delays nobody; the
//! server keeps serving after any bad input.
//!
//! The clients block, so they run on the test's own thread while the
//! server runs on a multi-thread runtime's workers.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::Duration;

use actor_core::Runtime;
use actor_io::Server;
use examples::http_hello;

struct Running {
    rt: Runtime,
    server: Server,
    port: u16,
}

impl Running {
    fn start(idle: Duration) -> Self {
        let rt = Runtime::tokio();
        let server = rt
            .block_on(http_hello::start_with("127.0.0.1:0", idle))
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

    fn connections(&self) -> usize {
        self.rt.block_on(self.server.connections()).unwrap()
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

fn curl(args: &[&str]) -> String {
    let out = Command::new("curl")
        .args(["-s", "--max-time", "10"])
        .args(args)
        .output()
        .expect("curl is installed (Debian package curl)");
    assert!(out.status.success(), "curl {args:?}: {}", out.status);
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn get_root_says_hello_over_one_kept_alive_connection() {
    let s = Running::start(http_hello::IDLE_TIMEOUT);
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
    s.stop();
}

#[test]
fn curl_gets_hello_and_reuses_its_connection() {
    let s = Running::start(http_hello::IDLE_TIMEOUT);
    assert_eq!(curl(&[&s.url("/")]), "Hello 127.0.0.1");
    // Two transfers in one curl: the second makes no new connection.
    let connects = curl(&[
        "-o",
        "/dev/null",
        "-o",
        "/dev/null",
        "-w",
        "%{num_connects} ",
        &s.url("/"),
        &s.url("/"),
    ]);
    assert_eq!(connects.split_whitespace().collect::<Vec<_>>(), ["1", "0"]);
    let head = curl(&["-I", &s.url("/")]);
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
    assert!(head.contains("Content-Length: 15\r\n"), "{head}");
    s.stop();
}

#[test]
fn the_greeting_names_the_client_address() {
    let s = Running::start(http_hello::IDLE_TIMEOUT);
    // Another loopback address as the source: the answer follows it.
    assert_eq!(
        curl(&["--interface", "127.0.0.2", &s.url("/")]),
        "Hello 127.0.0.2"
    );
    s.stop();
}

#[test]
fn a_malformed_request_gets_400_and_a_close() {
    let s = Running::start(http_hello::IDLE_TIMEOUT);
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
    assert_eq!(curl(&[&s.url("/")]), "Hello 127.0.0.1");
    s.stop();
}

#[test]
fn pipelined_requests_are_answered_in_order() {
    let s = Running::start(http_hello::IDLE_TIMEOUT);
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
    let s = Running::start(http_hello::IDLE_TIMEOUT);
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
    assert_eq!(curl(&[&s.url("/")]), "Hello 127.0.0.1");
    s.stop();
}

#[test]
fn a_stalled_client_is_closed_after_the_idle_timeout() {
    let s = Running::start(Duration::from_millis(300));
    let mut stalled = s.connect();
    stalled.write_all(b"GET / HTTP/1.1\r\nHost: x").unwrap();
    // The server closes it: the read ends (the client's own read timeout
    // is 10 s, and would fail this test).
    let mut buf = [0u8; 64];
    match stalled.read(&mut buf) {
        Ok(n) => assert_eq!(n, 0, "the server closed the stalled connection"),
        Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::ConnectionReset, "{e}"),
    }
    assert_eq!(curl(&[&s.url("/")]), "Hello 127.0.0.1");
    s.stop();
}

#[test]
fn the_server_keeps_serving_after_any_bad_input() {
    let s = Running::start(http_hello::IDLE_TIMEOUT);
    // Malformed requests get 400; what is well-formed but refused gets the
    // status that says why. Every one is answered, then closed.
    let bad: Vec<(Vec<u8>, &str)> = vec![
        (b"\x00\x01\x02\x03".to_vec(), "400"),
        (
            b"GET / HTTP/1.1\r\nContent-Length: banana\r\n\r\n".to_vec(),
            "400",
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
    // A client that resets in the middle of a request.
    let mut c = s.connect();
    c.write_all(b"GET / HT").unwrap();
    rustix::net::sockopt::set_socket_linger(&c, Some(Duration::ZERO)).unwrap();
    drop(c);
    // A client that connects and leaves at once.
    drop(s.connect());
    let agent = agent();
    for _ in 0..5 {
        let body = agent
            .get(&s.url("/"))
            .call()
            .unwrap()
            .body_mut()
            .read_to_string()
            .unwrap();
        assert_eq!(body, "Hello 127.0.0.1");
    }
    assert!(s.server.process().is_alive());
    s.stop();
}
