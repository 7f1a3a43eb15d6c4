//! The second OS process of a remote workload: this binary run again as
//! `--peer IMPL WORKLOAD`, killed when the measurement is over.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::impls::Implementation;
use crate::workloads::Workload;

/// How long a peer may take to say it is ready.
const READY_TIMEOUT: Duration = Duration::from_secs(30);

/// The line a peer prints once it listens.
pub(crate) const READY: &str = "READY";

/// A running peer process, killed on drop.
#[derive(Debug)]
pub(crate) struct Peer {
    child: Child,
}

impl Peer {
    /// Starts `--peer IMPL WORKLOAD --nats URL --tag TAG [--quick]` and waits
    /// for its [`READY`] line.
    ///
    /// # Panics
    ///
    /// Panics if it cannot start or does not say it is ready in 30 s.
    pub(crate) fn start(
        imp: Implementation,
        workload: Workload,
        nats: &str,
        tag: &str,
        quick: bool,
    ) -> Peer {
        let mut cmd = Command::new(std::env::current_exe().expect("current exe"));
        cmd.args([
            "--peer",
            imp.name(),
            workload.name(),
            "--nats",
            nats,
            "--tag",
            tag,
        ]);
        if quick {
            cmd.arg("--quick");
        }
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the peer process");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if line == READY {
                    let _ = tx.send(());
                }
            }
        });
        let peer = Peer { child };
        rx.recv_timeout(READY_TIMEOUT)
            .expect("the peer process did not say it was ready");
        peer
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Says [`READY`] on stdout, for [`Peer::start`].
pub(crate) fn say_ready() {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{READY}").expect("write READY");
    out.flush().expect("flush READY");
}
