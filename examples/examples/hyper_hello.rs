//! A plain hyper hello-world server, the yardstick for `http_hello`:
//! the same answer (`Hello <client ip>`), HTTP/1.1 with keep-alive, on
//! tokio's multi-thread runtime with a task per connection.
//!
//! `cargo run --release -p examples --example hyper_hello [-- --port N]`
//! (default port 8001).

use std::convert::Infallible;

use clap::Parser;
use http_body_util::Full;
use hyper::body::Bytes;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;

/// A plain hyper hello-world server, the yardstick for `http_hello`, on
/// 127.0.0.1.
#[derive(Parser)]
#[command(name = "hyper_hello")]
pub(crate) struct Args {
    /// The TCP port to listen on.
    #[arg(long, default_value_t = 8001)]
    pub(crate) port: u16,
}

fn main() {
    let addr = format!("127.0.0.1:{}", Args::parse().port);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    // hyper's own idiom: a tokio task per connection. (This program is the
    // yardstick, outside the actor system, so it spawns tasks directly.)
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(&addr).await.expect("bind");
        println!(
            "hyper_hello listening on http://{}/",
            listener.local_addr().unwrap()
        );
        loop {
            let Ok((stream, peer)) = listener.accept().await else {
                continue;
            };
            let _ = stream.set_nodelay(true);
            let hello = Bytes::from(format!("Hello {}", peer.ip()));
            let service = service_fn(move |_req: Request<hyper::body::Incoming>| {
                let hello = hello.clone();
                async move {
                    Ok::<_, Infallible>(
                        Response::builder()
                            .header("Content-Type", "text/html")
                            .body(Full::new(hello))
                            .expect("a valid response"),
                    )
                }
            });
            drop(tokio::spawn(async move {
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            }));
        }
    });
}
