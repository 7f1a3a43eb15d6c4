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
use std::time::{Duration, Instant};

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
    let idle = Duration::from_secs(2);
    let s = Running::start(idle);
    let mut stalled = s.connect();
    stalled
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\nUser-Agent: sl")
        .unwrap();
    // Everyone else is served while it stalls, on fresh connections.
    let started = Instant::now();
    for _ in 0..50 {
        let mut c = s.connect();
        c.write_all(b"GET / HTTP/1.0\r\n\r\n").unwrap();
        assert!(read_to_close(c).ends_with("Hello 127.0.0.1"));
    }
    assert!(
        started.elapsed() < idle,
        "served while the stalled client waited"
    );
    // The stalled client is dropped after the idle timeout.
    let mut buf = [0u8; 64];
    let n = stalled.read(&mut buf).unwrap_or(0);
    assert_eq!(n, 0, "the server closed the stalled connection");
    assert!(started.elapsed() >= idle / 2);
    assert_eq!(curl(&[&s.url("/")]), "Hello 127.0.0.1");
    s.stop();
}

#[test]
fn the_server_keeps_serving_after_any_bad_input() {
    let s = Running::start(http_hello::IDLE_TIMEOUT);
    let bad: Vec<Vec<u8>> = vec![
        b"\x00\x01\x02\x03".to_vec(),
        b"GET / HTTP/1.1\r\nContent-Length: banana\r\n\r\n".to_vec(),
        b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n".to_vec(),
        [
            b"GET / HTTP/1.1\r\nX: ".to_vec(),
            vec![b'a'; 20_000],
            b"\r\n\r\n".to_vec(),
        ]
        .concat(),
        b"GET / HTTP/9.9\r\n\r\n".to_vec(),
        b"GET\r\n\r\n".to_vec(),
        b"GET / HTTP/1.1\r\nBad Header Line\r\n\r\n".to_vec(),
    ];
    for input in &bad {
        let mut c = s.connect();
        let _ = c.write_all(input);
        let reply = read_to_close(c);
        assert!(
            reply.starts_with("HTTP/1.1 4") || reply.starts_with("HTTP/1.1 5"),
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
