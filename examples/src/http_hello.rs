//! The seed's WSGI hello server, as a process per connection: `GET /`
//! answers `Hello <client ip>`, over HTTP/1.1 with keep-alive. Requests are
//! parsed with `httparse`; a malformed one gets `400` and a close; a client
//! that stalls half-way delays nobody else (its connection is its own
//! process).
//!
//! Slow and greedy clients are bounded by [`Limits`]: a request must be
//! in within a deadline however slowly it trickles (`408`), connections
//! over the limit are refused at accept (`503`), and the request bodies
//! being read share one memory budget (`503` when it is spent).
//!
//! Used by the `http_hello` example and by the cross-crate tests, which
//! start it on port 0.

use std::time::Duration;

use actor_core::Ctx;
use actor_io::{Conn, Error, Listener, Reservation, Server};
use bytes::{Buf, BytesMut};

/// The most header lines a request may have.
const MAX_HEADERS: usize = 32;
/// The largest request head (request line and headers).
const MAX_HEAD: usize = 16 * 1024;
/// The largest request body it will read past.
pub const MAX_BODY: usize = 1 << 20;

/// What the server allows its clients: [`Limits::default`] is what the
/// example runs with.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use examples::http_hello::Limits;
///
/// let strict = Limits { head: Duration::from_secs(2), ..Limits::default() };
/// assert_eq!(strict.idle, Duration::from_secs(30));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// How long a connection may stay silent, between requests or in the
    /// middle of one, before it is closed (30 s).
    pub idle: Duration,
    /// How long a request's head may take to arrive, from its first byte
    /// (from the accept for a connection's first request), however
    /// steadily it trickles in (10 s). Then the client gets `408` and a
    /// close.
    pub head: Duration,
    /// How long a whole request, body included, may take to arrive,
    /// counted as for `head` (30 s). Then the client gets `408`.
    pub request: Duration,
    /// The most connections open at once; one more is sent `503` and
    /// closed at accept (10,000, or the open-file limit less 32 if that
    /// is lower, so that the server refuses before the OS does).
    pub max_connections: usize,
    /// The memory all connections may hold in request bodies they are
    /// reading, together (64 MiB: 64 bodies of the largest size,
    /// [`MAX_BODY`]). A request whose body does not fit gets `503`.
    pub body_budget: usize,
}

impl Default for Limits {
    fn default() -> Self {
        let fds = rustix::process::getrlimit(rustix::process::Resource::Nofile)
            .current
            .unwrap_or(u64::MAX);
        Limits {
            idle: Duration::from_secs(30),
            head: Duration::from_secs(10),
            request: Duration::from_secs(30),
            max_connections: fds.saturating_sub(32).clamp(1, 10_000) as usize,
            body_budget: 64 << 20,
        }
    }
}

/// Starts the server on `addr` (`"127.0.0.1:0"` picks a port) with the
/// default [`Limits`].
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
    start_with(addr, Limits::default()).await
}

/// Starts the server with [`Limits`] of your choosing.
///
/// # Errors
///
/// The listener's [`Error`].
pub async fn start_with(addr: &str, limits: Limits) -> Result<Server, Error> {
    let mut refusal = Vec::new();
    reject(&mut refusal, "503 Service Unavailable");
    Listener::tcp(addr)
        .read_timeout(limits.idle)
        .write_timeout(limits.idle)
        .read_deadline(limits.head)
        .max_connections(limits.max_connections)
        .refusal(refusal)
        .buffer_limit(limits.body_budget)
        .serve(move |ctx, conn| connection(ctx, conn, limits))
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
    /// The head is not all here yet.
    NeedHead,
    /// The head is here; the request ends `total` bytes into the buffer,
    /// a body of `body` bytes included.
    NeedBody { body: usize, total: usize },
    /// Malformed or refused: answered with an error, and the connection
    /// closes.
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

/// The body's length from the `Content-Length` fields (0 without one),
/// or the status that refuses the request. Each field must be digits
/// only; several fields, or a field listing several values, are accepted
/// only if every value is the same (RFC 9110, 8.6): differing ones are how
/// requests are smuggled past proxies that read another one (RFC 9112,
/// 6.3), so they get `400`.
fn body_length(req: &httparse::Request<'_, '_>) -> Result<usize, &'static str> {
    let mut length = None;
    let fields = req
        .headers
        .iter()
        .filter(|h| h.name.eq_ignore_ascii_case("content-length"));
    for value in fields.flat_map(|h| h.value.split(|&b| b == b',')) {
        let value = value.trim_ascii();
        if value.is_empty() || !value.iter().all(u8::is_ascii_digit) {
            return Err("400 Bad Request");
        }
        // All digits: a number too large for usize is too large, full stop.
        let n = std::str::from_utf8(value)
            .ok()
            .and_then(|v| v.parse::<usize>().ok())
            .unwrap_or(usize::MAX);
        match length {
            Some(m) if m != n => return Err("400 Bad Request"),
            _ => length = Some(n),
        }
    }
    match length.unwrap_or(0) {
        n if n > MAX_BODY => Err("413 Content Too Large"),
        n => Ok(n),
    }
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
        Ok(httparse::Status::Partial) if buf.len() <= MAX_HEAD => return Step::NeedHead,
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
    let body_len = match body_length(&req) {
        Ok(n) => n,
        Err(status) => {
            reject(out, status);
            return Step::Reject;
        }
    };
    if buf.len() < head_len + body_len {
        return Step::NeedBody {
            body: body_len,
            total: head_len + body_len,
        };
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

/// An error answer, closing the connection. A `503` (the server is busy)
/// says when to try again.
fn reject(out: &mut Vec<u8>, status: &'static str) {
    Response {
        status,
        body: status.as_bytes(),
        extra: if status.starts_with("503") {
            "Retry-After: 1\r\n"
        } else {
            ""
        },
        head_only: false,
        connection: Some("close"),
    }
    .write(out);
}

/// A connection's process: read, answer every whole request buffered
/// (pipelining included), write the answers in one go, repeat.
///
/// Each request has a read deadline, counted from its first byte (the
/// listener sets the first request's at accept): the head must be in
/// within `limits.head`, the whole request within `limits.request`. Room
/// for a body still to come is reserved from the listener's budget while
/// it is read.
#[doc(hidden)] // Public for the fuzz target in `fuzz/`.
pub async fn connection(_ctx: Ctx<()>, mut conn: Conn, limits: Limits) -> Result<(), Error> {
    // The seed's `"Hello " + request.remote_addr`.
    let greeting = match conn.peer().ip() {
        Some(ip) => format!("Hello {ip}"),
        None => "Hello".to_string(),
    };
    let mut buf = BytesMut::with_capacity(4096);
    let mut out = Vec::with_capacity(512);
    // The room held for the body being read, if one is.
    let mut body: Option<Reservation> = None;
    loop {
        let (mut close, mut rejected) = (false, false);
        while !buf.is_empty() {
            match step(&buf, greeting.as_bytes(), &mut out) {
                Step::Answered { consumed, close: c } => {
                    buf.advance(consumed);
                    body = None;
                    // This request is in; the next one's clock starts
                    // with its first byte.
                    conn.set_read_deadline(None);
                    if c {
                        close = true;
                        break;
                    }
                }
                Step::NeedHead => break,
                Step::NeedBody { body: len, total } => {
                    if body.is_none() {
                        let Ok(room) = conn.reserve(len) else {
                            reject(&mut out, "503 Service Unavailable");
                            (close, rejected) = (true, true);
                            break;
                        };
                        body = Some(room);
                        buf.reserve(total - buf.len());
                        // The head is in: the body gets what is left of
                        // the request's time. (A request pipelined behind
                        // one just answered has no deadline yet: its clock
                        // starts now.)
                        let head_by = conn
                            .read_deadline()
                            .unwrap_or_else(|| actor_core::now() + limits.head);
                        let more = limits.request.saturating_sub(limits.head);
                        conn.set_read_deadline(Some(head_by + more));
                    }
                    break;
                }
                Step::Reject => {
                    (close, rejected) = (true, true);
                    break;
                }
            }
        }
        if !close && !buf.is_empty() && conn.read_deadline().is_none() {
            conn.set_read_deadline(Some(actor_core::now() + limits.head));
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
            // No request under way: a quiet close.
            Err(Error::TimedOut { .. }) if buf.is_empty() => return Ok(()),
            // Half a request, stalled or too slow: 408 and a close.
            Err(Error::TimedOut { .. }) => {
                reject(&mut out, "408 Request Timeout");
                conn.write_all(&out).await?;
                let _ = conn.shutdown_write();
                linger(&mut conn).await;
                return Ok(());
            }
            Err(e) => return Err(e),
        }
    }
}

/// After rejecting a request, reads and drops what the client still
/// sends (for a while), so that closing with unread input does not reset
/// the connection before the client has read the error response.
async fn linger(conn: &mut Conn) {
    // One second in all, however slowly the client trickles.
    conn.set_read_deadline(Some(actor_core::now() + Duration::from_secs(1)));
    let mut sink = [0u8; 4096];
    let mut drained = 0;
    while drained < MAX_BODY {
        match conn.read(&mut sink).await {
            Ok(0) | Err(_) => return,
            Ok(n) => drained += n,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(req: &[u8]) -> (String, bool) {
        let mut out = Vec::new();
        let close = match step(req, b"Hello 1.2.3.4", &mut out) {
            Step::Answered { close, .. } => close,
            Step::Reject => true,
            Step::NeedHead | Step::NeedBody { .. } => panic!("incomplete"),
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
        assert!(matches!(
            r,
            Step::NeedBody {
                body: 10,
                total: 49
            }
        ));
        assert!(out.is_empty());
    }

    /// RFC 9112, 6.3: differing lengths are how a request is smuggled
    /// past a proxy that reads the other one. A length is digits only.
    #[test]
    fn differing_or_malformed_content_lengths_are_a_400() {
        for req in [
            &b"POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd"[..],
            b"POST / HTTP/1.1\r\nContent-Length: 4\r\ncontent-length: 3\r\n\r\nabcd",
            b"POST / HTTP/1.1\r\nContent-Length: 3, 4\r\n\r\nabcd",
            b"POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: \r\n\r\nabc",
            b"POST / HTTP/1.1\r\nContent-Length: +3\r\n\r\nabc",
            b"POST / HTTP/1.1\r\nContent-Length: 0x3\r\n\r\nabc",
            b"POST / HTTP/1.1\r\nContent-Length: 3,\r\n\r\nabc",
        ] {
            let (resp, close) = answer(req);
            assert!(
                resp.starts_with("HTTP/1.1 400 Bad Request\r\n") && close,
                "{:?} -> {resp:?}",
                String::from_utf8_lossy(req)
            );
        }
        let (resp, _) =
            answer(b"POST / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n");
        assert!(resp.starts_with("HTTP/1.1 413 "), "{resp}");
    }

    /// RFC 9110, 8.6 lets a recipient take repeated identical values as
    /// one; this server does.
    #[test]
    fn identical_content_lengths_count_once() {
        for req in [
            &b"POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc"[..],
            b"POST / HTTP/1.1\r\nContent-Length: 3, 3\r\n\r\nabc",
        ] {
            let mut out = Vec::new();
            match step(req, b"", &mut out) {
                Step::Answered { consumed, close } => {
                    assert_eq!(consumed, req.len());
                    assert!(!close);
                }
                _ => panic!("{:?} was not answered", String::from_utf8_lossy(req)),
            }
            assert!(out.starts_with(b"HTTP/1.1 405 "));
        }
    }
}
