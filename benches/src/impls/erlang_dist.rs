//! Erlang distribution: the remote workloads between two `erl -sname`
//! nodes on this machine, which talk over a direct TCP connection.
//!
//! An `epmd` of our own runs in the foreground on a free loopback port
//! (`ERL_EPMD_PORT`, `-start_epmd false`), so that nothing is left running
//! and nothing listens beyond loopback; both nodes bind their distribution
//! listener to 127.0.0.1 (`inet_dist_use_interface`). The peer node starts
//! and says `READY`; the driver node connects to it, spawns the other
//! process there, measures, and prints its `RESULT` line.

use std::io::{BufRead, BufReader};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::workloads::{Counts, Outcome, Workload};

/// How long `epmd` or the peer node may take to start.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// The cookie both nodes share.
const COOKIE: &str = "actor_benches";

/// A child process killed on drop.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The arguments both nodes take after `erl`.
fn node_args(sname: &str, beam_dir: &Path) -> Vec<String> {
    [
        "-sname",
        sname,
        "-setcookie",
        COOKIE,
        "-noshell",
        "+S",
        "2",
        "-start_epmd",
        "false",
        "-kernel",
        "inet_dist_use_interface",
        "{127,0,0,1}",
        "-pa",
    ]
    .iter()
    .map(|s| s.to_string())
    .chain([beam_dir.display().to_string()])
    .collect()
}

/// Runs one remote workload between two fresh nodes.
///
/// # Panics
///
/// Panics if `epmd` or a node does not start, or the driver node fails.
pub(crate) fn run(beam_dir: &Path, workload: Workload, counts: &Counts) -> Outcome {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port for epmd")
        .port()
        .to_string();
    let _epmd = Killed(
        Command::new("epmd")
            .args(["-address", "127.0.0.1", "-port", &port])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("run epmd"),
    );
    let deadline = Instant::now() + START_TIMEOUT;
    while TcpStream::connect(format!("127.0.0.1:{port}")).is_err() {
        assert!(Instant::now() < deadline, "epmd did not start");
        std::thread::yield_now();
    }

    let tag = std::process::id();
    let peer_name = format!("benchpeer{tag}");
    let mut peer = Killed(
        Command::new("erl")
            .env("ERL_EPMD_PORT", &port)
            .args(node_args(&peer_name, beam_dir))
            .args(["-eval", "io:format(\"READY~n\")"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .expect("run the peer erl"),
    );
    let stdout = peer.0.stdout.take().expect("piped stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if line.trim() == "READY" {
                let _ = tx.send(());
            }
        }
    });
    rx.recv_timeout(START_TIMEOUT)
        .expect("the peer node did not say it was ready");

    let output = Command::new("erl")
        .env("ERL_EPMD_PORT", &port)
        .args(node_args(&format!("benchdrv{tag}"), beam_dir))
        .args(["-run", "bench", "main", workload.name(), &peer_name])
        .args(workload.args(counts).iter().map(u64::to_string))
        .output()
        .expect("run the driver erl");
    super::erlang::parse(&output, counts)
}
