//! The seed's WSGI hello server, as a process per connection: `GET /`
//! answers `Hello <client ip>`, over HTTP/1.1 with keep-alive. Requests are
//! parsed with `httparse`; a malformed one gets `400` and a close; a client
//! that stalls half-way delays nobody else (its connection is its own
//! process) and is dropped after the idle timeout.
//!
//! Used by the `http_hello` example and by the cross-crate tests, which
//! start it on port 0.

use std::time::Duration;

use actor_core::Ctx;
use actor_io::{Conn, Error, Listener, Server};
use bytes::{Buf, BytesMut};

/// How long a connection may stay silent (between requests, or in the
/// middle of one) before it is closed.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// The most header lines a request may have.
const MAX_HEADERS: usize = 32;
/// The largest request head (request line and headers).
const MAX_HEAD: usize = 16 * 1024;
/// The largest request body it will read past.
const MAX_BODY: usize = 1 << 20;

/// Starts the server on `addr` (`"127.0.0.1:0"` picks a port) with the
/// default idle timeout.
///
/// # Errors
///
/// The listener's [`Error`] (address in use, ...).
///
/// # Examples
///
/// ```
/// # actor_core::Runtime::tokio().block_on(async {
/// let server = examples::http_hello::start("127.0.0.1:0").await.unwrap();
/// println!("listening on http://{}", server.addr());
/// server.stop();
/// # server.wait().await;
/// # });
/// ```
pub async fn start(addr: &str) -> Result<Server, Error> {
    start_with(addr, IDLE_TIMEOUT).await
}

/// Starts the server with an idle timeout of your choosing.
///
/// # Errors
///
/// The listener's [`Error`].
pub async fn start_with(addr: &str, idle: Duration) -> Result<Server, Error> {
    Listener::tcp(addr)
        .read_timeout(idle)
        .write_timeout(idle)
        .serve(connection)
        .await
}

/// One response, written into a connection's output buffer.
struct Response<'a> {
    status: &'static str,
    body: &'a [u8],
    extra: &'static str,
    head_only: bool,
    /// The `Connection` header, if one is due: `close`, or `keep-alive`
    /// to an HTTP/1.0 client that asked for it.
    connection: Option<&'static str>,
}

impl Response<'_> {
    fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"HTTP/1.1 ");
        out.extend_from_slice(self.status.as_bytes());
        out.extend_from_slice(b"\r\nContent-Type: text/html\r\nContent-Length: ");
        out.extend_from_slice(self.body.len().to_string().as_bytes());
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(self.extra.as_bytes());
        if let Some(c) = self.connection {
            out.extend_from_slice(b"Connection: ");
            out.extend_from_slice(c.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"\r\n");
        if !self.head_only {
            out.extend_from_slice(self.body);
        }
    }
}

/// What to do with the request at the front of the buffer.
enum Step {
    /// A whole request: answered into the output; drop `consumed` bytes.
    Answered { consumed: usize, close: bool },
    /// Not all of it is here yet.
    NeedMore,
    /// Malformed: answered with an error and the connection closes.
    Reject,
}

fn header<'a>(req: &httparse::Request<'_, 'a>, name: &str) -> Option<&'a [u8]> {
    req.headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case(name))
        .map(|h| h.value)
}

fn has_token(value: &[u8], token: &str) -> bool {
    value
        .split(|&b| b == b',')
        .any(|t| t.trim_ascii().eq_ignore_ascii_case(token.as_bytes()))
}

/// Parses and answers the first request in `buf`.
fn step(buf: &[u8], greeting: &[u8], out: &mut Vec<u8>) -> Step {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut headers);
    let head_len = match req.parse(buf) {
        Ok(httparse::Status::Complete(n)) if n <= MAX_HEAD => n,
        Ok(httparse::Status::Complete(_)) => {
            reject(out, "431 Request Header Fields Too Large");
            return Step::Reject;
        }
        Ok(httparse::Status::Partial) if buf.len() <= MAX_HEAD => return Step::NeedMore,
        Ok(httparse::Status::Partial) => {
            reject(out, "431 Request Header Fields Too Large");
            return Step::Reject;
        }
        Err(_) => {
            reject(out, "400 Bad Request");
            return Step::Reject;
        }
    };
    if header(&req, "transfer-encoding").is_some() {
        reject(out, "501 Not Implemented");
        return Step::Reject;
    }
    let body_len = match header(&req, "content-length") {
        None => 0,
        Some(v) => match std::str::from_utf8(v)
            .ok()
            .and_then(|s| s.trim().parse::<usize>().ok())
        {
            Some(n) if n <= MAX_BODY => n,
            Some(_) => {
                reject(out, "413 Content Too Large");
                return Step::Reject;
            }
            None => {
                reject(out, "400 Bad Request");
                return Step::Reject;
            }
        },
    };
    if buf.len() < head_len + body_len {
        return Step::NeedMore;
    }
    let connection = header(&req, "connection");
    let close = match req.version {
        Some(1) => connection.is_some_and(|v| has_token(v, "close")),
        _ => !connection.is_some_and(|v| has_token(v, "keep-alive")),
    };
    let connection = match (close, req.version) {
        (true, _) => Some("close"),
        (false, Some(0)) => Some("keep-alive"),
        (false, _) => None,
    };
    let method = req.method.unwrap_or("");
    let path = req.path.unwrap_or("");
    let head_only = method == "HEAD";
    let response = match (method, path) {
        ("GET" | "HEAD", "/") => Response {
            status: "200 OK",
            body: greeting,
            extra: "",
            head_only,
            connection,
        },
        (_, "/") => Response {
            status: "405 Method Not Allowed",
            body: b"Method Not Allowed",
            extra: "Allow: GET, HEAD\r\n",
            head_only: false,
            connection,
        },
        _ => Response {
            status: "404 Not Found",
            body: b"Not Found",
            extra: "",
            head_only,
            connection,
        },
    };
    response.write(out);
    Step::Answered {
        consumed: head_len + body_len,
        close,
    }
}

fn reject(out: &mut Vec<u8>, status: &'static str) {
    Response {
        status,
        body: status.as_bytes(),
        extra: "",
        head_only: false,
        connection: Some("close"),
    }
    .write(out);
}

/// A connection's process: read, answer every whole request buffered
/// (pipelining included), write the answers in one go, repeat.
#[doc(hidden)] // Public for the fuzz target in `fuzz/`.
pub async fn connection(_ctx: Ctx<()>, mut conn: Conn) -> Result<(), Error> {
    // The seed's `"Hello " + request.remote_addr`.
    let greeting = match conn.peer().ip() {
        Some(ip) => format!("Hello {ip}"),
        None => "Hello".to_string(),
    };
    let mut buf = BytesMut::with_capacity(4096);
    let mut out = Vec::with_capacity(512);
    loop {
        let (mut close, mut rejected) = (false, false);
        while !buf.is_empty() {
            match step(&buf, greeting.as_bytes(), &mut out) {
                Step::Answered { consumed, close: c } => {
                    buf.advance(consumed);
                    if c {
                        close = true;
                        break;
                    }
                }
                Step::NeedMore => break,
                Step::Reject => {
                    (close, rejected) = (true, true);
                    break;
                }
            }
        }
        if !out.is_empty() {
            conn.write_all(&out).await?;
            out.clear();
        }
        if close {
            let _ = conn.shutdown_write();
            if rejected {
                linger(&mut conn).await;
            }
            return Ok(());
        }
        match conn.read_buf(&mut buf).await {
            Ok(0) => return Ok(()),
            Ok(_) => {}
            // Idle between requests: a quiet close. Half a request: the
            // stall is the connection's exit reason.
            Err(Error::TimedOut { .. }) if buf.is_empty() => return Ok(()),
            Err(e) => return Err(e),
        }
    }
}

/// After rejecting a request, reads and drops what the client still
/// sends (for a while), so that closing with unread input does not reset
/// the connection before the client has read the error response.
async fn linger(conn: &mut Conn) {
    // One second in all, however slowly the client trickles.
    let _ = actor_core::timeout(Duration::from_secs(1), async {
        let mut sink = [0u8; 4096];
        let mut drained = 0;
        while drained < MAX_BODY {
            match conn.read(&mut sink).await {
                Ok(0) | Err(_) => return,
                Ok(n) => drained += n,
            }
        }
    })
    .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(req: &[u8]) -> (String, bool) {
        let mut out = Vec::new();
        let close = match step(req, b"Hello 1.2.3.4", &mut out) {
            Step::Answered { close, .. } => close,
            Step::Reject => true,
            Step::NeedMore => panic!("incomplete"),
        };
        (String::from_utf8(out).unwrap(), close)
    }

    #[test]
    fn get_root_says_hello_and_keeps_alive() {
        let (resp, close) = answer(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        assert!(resp.starts_with("HTTP/1.1 200 OK\r\n"));
        assert!(resp.ends_with("\r\n\r\nHello 1.2.3.4"));
        assert!(resp.contains("Content-Length: 13\r\n"));
        assert!(!close);
    }

    #[test]
    fn http_1_0_closes_unless_asked_to_keep_alive() {
        let (resp, close) = answer(b"GET / HTTP/1.0\r\n\r\n");
        assert!(close && resp.contains("Connection: close\r\n"));
        // A 1.0 client that asks to keep alive is told so, or it would not.
        let (resp, close) = answer(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
        assert!(!close && resp.contains("Connection: keep-alive\r\n"));
        let (resp, close) = answer(b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n");
        assert!(close && resp.contains("Connection: close\r\n"));
        // HTTP/1.1 keeps alive without saying so.
        let (resp, close) = answer(b"GET / HTTP/1.1\r\n\r\n");
        assert!(!close && !resp.contains("Connection:"));
    }

    #[test]
    fn garbage_is_a_400_and_a_close() {
        let (resp, close) = answer(b"\x00\x01 nonsense\r\n\r\n");
        assert!(resp.starts_with("HTTP/1.1 400 Bad Request\r\n"));
        assert!(close);
    }

    #[test]
    fn other_paths_and_methods() {
        assert!(
            answer(b"GET /nope HTTP/1.1\r\n\r\n")
                .0
                .starts_with("HTTP/1.1 404")
        );
        let post = answer(b"POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc").0;
        assert!(post.starts_with("HTTP/1.1 405"));
        let head = answer(b"HEAD / HTTP/1.1\r\n\r\n").0;
        assert!(head.ends_with("\r\n\r\n") && head.contains("Content-Length: 13"));
    }

    #[test]
    fn a_body_not_yet_here_waits() {
        let mut out = Vec::new();
        let r = step(
            b"POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc",
            b"",
            &mut out,
        );
        assert!(matches!(r, Step::NeedMore));
        assert!(out.is_empty());
    }
}
