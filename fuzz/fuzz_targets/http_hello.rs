//! http_hello's connection process, end to end over a socketpair: the
//! fuzz input is what a client sends (in pieces; the first byte sets
//! their size), then the client half-closes and reads everything back.
//!
//! Checks: the connection process ends, within five seconds, normally or
//! with a typed error, never a panic; everything it sends is a sequence of
//! whole HTTP/1.1 responses, each with a `Content-Length` its body agrees
//! with, and nothing follows a response that says `Connection: close`.
#![no_main]

use std::sync::LazyLock;
use std::time::Duration;

use actor_core::{Ctx, ExitReason, Runtime, spawn};
use actor_io::Conn;
use examples::http_hello::Limits;
use libfuzzer_sys::fuzz_target;

static RUNTIME: LazyLock<Runtime> = LazyLock::new(Runtime::tokio_current_thread);

/// Requests beyond this would fill the socket buffers both ways (the
/// client writes everything before it reads).
const MAX_INPUT: usize = 16 * 1024;

fn check_responses(mut out: &[u8]) {
    while !out.is_empty() {
        let mut headers = [httparse::EMPTY_HEADER; 16];
        let mut resp = httparse::Response::new(&mut headers);
        let head = match resp.parse(out) {
            Ok(httparse::Status::Complete(n)) => n,
            other => panic!(
                "not a whole response ({other:?}): {:?}",
                String::from_utf8_lossy(out)
            ),
        };
        assert_eq!(resp.version, Some(1), "HTTP/1.1");
        let code = resp.code.expect("a status");
        assert!((200..600).contains(&code), "status {code}");
        let length: usize = resp
            .headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case("content-length"))
            .and_then(|h| std::str::from_utf8(h.value).ok()?.parse().ok())
            .expect("a Content-Length");
        let close = resp
            .headers
            .iter()
            .any(|h| h.name.eq_ignore_ascii_case("connection") && h.value == b"close");
        let rest = &out[head..];
        // A HEAD response has no body: the next response, or the end,
        // follows its head.
        let body = if rest.is_empty() || rest.starts_with(b"HTTP/1.1 ") {
            0
        } else {
            length
        };
        assert!(rest.len() >= body, "a body shorter than its Content-Length");
        out = &rest[body..];
        if close {
            assert!(out.is_empty(), "bytes after Connection: close");
        }
    }
}

fuzz_target!(|data: &[u8]| {
    if data.len() > MAX_INPUT {
        return;
    }
    let Some((&first, request)) = data.split_first() else {
        return;
    };
    RUNTIME.block_on(async {
        let (server_side, mut client) = Conn::pair().expect("a socketpair");
        let server = spawn(move |ctx: Ctx<()>| {
            examples::http_hello::connection(ctx, server_side, Limits::default())
        });
        let piece = if first == 0 {
            request.len().max(1)
        } else {
            usize::from(first)
        };
        for chunk in request.chunks(piece) {
            if client.write_all(chunk).await.is_err() {
                break; // the server closed: it rejected the request
            }
            actor_core::yield_now().await;
        }
        let _ = client.shutdown_write();
        let mut out = Vec::new();
        let read_all = async {
            let mut buf = [0u8; 4096];
            while let Ok(n) = client.read(&mut buf).await {
                if n == 0 {
                    break;
                }
                out.extend_from_slice(&buf[..n]);
            }
        };
        actor_core::timeout(Duration::from_secs(5), read_all)
            .await
            .expect("the server closes the connection");
        let reason = actor_core::timeout(Duration::from_secs(5), server.wait())
            .await
            .expect("the connection process ends");
        assert!(
            !matches!(reason, ExitReason::Panicked(_)),
            "the connection process panicked: {reason}"
        );
        check_responses(&out);
    });
});
