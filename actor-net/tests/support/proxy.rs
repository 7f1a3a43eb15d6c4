//! A TCP proxy between one node and the nats-server: cutting it cuts that
//! node off from NATS (and so from every other node) while the others stay
//! connected, a partition; healing it lets the node reconnect.

use std::sync::{Arc, Mutex};

use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

#[derive(Default)]
struct State {
    cut: bool,
    pipes: Vec<JoinHandle<()>>,
}

/// Forwards connections on a loopback port of its own to the server's.
pub(crate) struct Proxy {
    port: u16,
    state: Arc<Mutex<State>>,
    accept: JoinHandle<()>,
}

impl Proxy {
    /// A proxy to the server listening on loopback port `upstream`.
    pub(crate) async fn start(upstream: u16) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        let accept = tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let mut st = shared.lock().unwrap();
                if st.cut {
                    // Refused: the reconnecting client sees it closed.
                    continue;
                }
                st.pipes.push(tokio::spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(("127.0.0.1", upstream)).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                }));
            }
        });
        Proxy {
            port,
            state,
            accept,
        }
    }

    /// The URL to connect through the proxy.
    pub(crate) fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// Closes every connection through the proxy and refuses new ones.
    pub(crate) fn cut(&self) {
        let mut st = self.state.lock().unwrap();
        st.cut = true;
        for pipe in st.pipes.drain(..) {
            pipe.abort();
        }
    }

    /// Accepts connections again.
    pub(crate) fn heal(&self) {
        self.state.lock().unwrap().cut = false;
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.accept.abort();
        self.cut();
    }
}
