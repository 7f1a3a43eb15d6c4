//! The seed's gevent WSGI hello server, as a process per connection:
//!
//! ```python
//! def application(environ, start_response):
//!     start_response('200 OK', [('Content-Type', 'text/html')])
//!     return ["Hello " + request.remote_addr]
//! WSGIServer(('', 8000), application).serve_forever()
//! ```
//!
//! `cargo run --release -p examples --example http_hello [-- --port N]`,
//! then `curl http://127.0.0.1:8000/` prints `Hello 127.0.0.1`.

use actor_core::Runtime;

fn main() {
    let addr = format!("127.0.0.1:{}", examples::port_flag("http_hello", 8000));
    Runtime::tokio().block_on(async {
        let server = match examples::http_hello::start(&addr).await {
            Ok(server) => server,
            Err(e) => {
                eprintln!("http_hello: cannot listen on {addr}: {e}");
                std::process::exit(1);
            }
        };
        println!("http_hello listening on http://{}/", server.addr());
        let reason = server.wait().await;
        println!("http_hello stopped: {reason}");
    });
}
