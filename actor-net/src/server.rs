//! A local `nats-server` for tests, examples and single-machine runs.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::error::Error;

/// How long a starting server may take to say it is ready.
const READY_TIMEOUT: Duration = Duration::from_secs(20);

/// How long a stopping server may take to exit before it is killed.
const EXIT_TIMEOUT: Duration = Duration::from_secs(10);

/// The log lines kept for error messages.
const LOG_LINES: usize = 40;

/// A `nats-server` child process with JetStream on, listening on a free
/// loopback port, its store in a fresh temporary directory.
///
/// The binary is `$NATS_SERVER` if set, else `nats-server` on the `PATH`,
/// else `/usr/sbin/nats-server` (where Debian's package puts it). Starting
/// returns once the server has logged that it is ready. The server can be
/// stopped (`SIGTERM`: it closes its clients' connections), killed
/// (`SIGKILL`) and restarted on the same port with the same store, so that
/// JetStream data (node ids, global names) survives a restart. Dropping it
/// kills the server and removes the store.
///
/// # Examples
///
/// ```
/// use actor_net::NatsServer;
///
/// let mut server = NatsServer::start()?;
/// assert!(server.url().starts_with("nats://127.0.0.1:"));
/// let port = server.port();
/// server.stop()?;
/// assert!(!server.is_running());
/// server.restart()?;
/// assert_eq!(server.port(), port);
/// assert!(server.is_running());
/// # Ok::<(), actor_net::Error>(())
/// ```
#[derive(Debug)]
pub struct NatsServer {
    binary: PathBuf,
    port: u16,
    store: PathBuf,
    running: Option<Running>,
    log: Arc<Mutex<Vec<String>>>,
}

/// The child while it runs: its pid and the channel its waiter thread
/// reports the exit on (the waiter reaps it).
#[derive(Debug)]
struct Running {
    pid: u32,
    exited: mpsc::Receiver<ExitStatus>,
}

impl NatsServer {
    /// Starts a server on a free loopback port with a fresh store.
    ///
    /// # Errors
    ///
    /// [`Error::Server`] if the binary is missing, the server does not
    /// start, or it does not say it is ready within 20 s.
    pub fn start() -> Result<NatsServer, Error> {
        let binary = find_binary()?;
        let store = fresh_store()?;
        let mut last = None;
        // Another program may take the port between our probe and the
        // server's bind: try a few ports.
        for _ in 0..5 {
            let port = free_port()?;
            let mut server = NatsServer {
                binary: binary.clone(),
                port,
                store: store.clone(),
                running: None,
                log: Arc::default(),
            };
            match server.launch() {
                Ok(()) => return Ok(server),
                Err(e) => {
                    // Keep the store for the next try.
                    server.store = PathBuf::new();
                    last = Some(e);
                }
            }
        }
        let _ = std::fs::remove_dir_all(&store);
        Err(last.unwrap_or_else(|| Error::Server("no free port".into())))
    }

    /// The URL clients connect to, `nats://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// The loopback port it listens on (the same after a restart).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The JetStream store directory.
    pub fn store(&self) -> &Path {
        &self.store
    }

    /// Whether the server process is running.
    pub fn is_running(&mut self) -> bool {
        match &self.running {
            Some(r) => match r.exited.try_recv() {
                Err(mpsc::TryRecvError::Empty) => true,
                _ => {
                    self.running = None;
                    false
                }
            },
            None => false,
        }
    }

    /// Stops the server with `SIGTERM` and waits for it to exit (killing it
    /// after 10 s). Clients see their connection closed.
    ///
    /// # Errors
    ///
    /// [`Error::Server`] if the signal cannot be sent.
    pub fn stop(&mut self) -> Result<(), Error> {
        self.signal(rustix::process::Signal::TERM)
    }

    /// Kills the server with `SIGKILL` and waits for it to exit.
    ///
    /// # Errors
    ///
    /// [`Error::Server`] if the signal cannot be sent.
    pub fn kill(&mut self) -> Result<(), Error> {
        self.signal(rustix::process::Signal::KILL)
    }

    /// Starts the server again on the same port with the same store (after
    /// [`stop`](Self::stop) or [`kill`](Self::kill); a running server is
    /// stopped first).
    ///
    /// # Errors
    ///
    /// [`Error::Server`] as for [`start`](Self::start).
    pub fn restart(&mut self) -> Result<(), Error> {
        self.stop()?;
        self.launch()
    }

    fn signal(&mut self, signal: rustix::process::Signal) -> Result<(), Error> {
        if !self.is_running() {
            return Ok(());
        }
        let Some(running) = self.running.take() else {
            return Ok(());
        };
        let pid = rustix::process::Pid::from_raw(running.pid as i32)
            .ok_or_else(|| Error::Server("bad pid".into()))?;
        rustix::process::kill_process(pid, signal)
            .map_err(|e| Error::Server(format!("cannot signal the server: {e}")))?;
        if running.exited.recv_timeout(EXIT_TIMEOUT).is_err() {
            let _ = rustix::process::kill_process(pid, rustix::process::Signal::KILL);
            let _ = running.exited.recv_timeout(EXIT_TIMEOUT);
        }
        Ok(())
    }

    /// Starts the child and waits for its "Server is ready" line.
    fn launch(&mut self) -> Result<(), Error> {
        let mut child = Command::new(&self.binary)
            .args([
                "-a",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-js",
                "-sd",
            ])
            .arg(&self.store)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| Error::Server(format!("cannot run {}: {e}", self.binary.display())))?;
        let stderr = child.stderr.take().expect("piped stderr");
        let (ready_tx, ready_rx) = mpsc::channel();
        let log = self.log.clone();
        std::thread::spawn(move || {
            let mut ready = Some(ready_tx);
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if line.contains("Server is ready") {
                    if let Some(tx) = ready.take() {
                        let _ = tx.send(());
                    }
                }
                let mut log = log.lock().unwrap_or_else(|e| e.into_inner());
                if log.len() == LOG_LINES {
                    log.remove(0);
                }
                log.push(line);
            }
        });
        let pid = child.id();
        let (exit_tx, exited) = mpsc::channel();
        std::thread::spawn(move || {
            if let Ok(status) = child.wait() {
                let _ = exit_tx.send(status);
            }
        });
        self.running = Some(Running { pid, exited });
        match ready_rx.recv_timeout(READY_TIMEOUT) {
            Ok(()) => Ok(()),
            Err(_) => {
                let _ = self.kill();
                let log = self.log.lock().unwrap_or_else(|e| e.into_inner());
                Err(Error::Server(format!(
                    "not ready on port {}: {}",
                    self.port,
                    log.join(" | ")
                )))
            }
        }
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        let _ = self.kill();
        if !self.store.as_os_str().is_empty() {
            let _ = std::fs::remove_dir_all(&self.store);
        }
    }
}

/// The `nats-server` binary to run.
fn find_binary() -> Result<PathBuf, Error> {
    if let Some(path) = std::env::var_os("NATS_SERVER") {
        return Ok(PathBuf::from(path));
    }
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|dir| dir.join("nats-server"));
    on_path
        .chain([
            PathBuf::from("/usr/sbin/nats-server"),
            PathBuf::from("/usr/local/bin/nats-server"),
        ])
        .find(|p| p.is_file())
        .ok_or_else(|| {
            Error::Server(
                "nats-server not found (install Debian's nats-server or set NATS_SERVER)".into(),
            )
        })
}

/// A free loopback port, as the kernel hands them out.
fn free_port() -> Result<u16, Error> {
    let listener = TcpListener::bind("127.0.0.1:0")
        .map_err(|e| Error::Server(format!("cannot find a free port: {e}")))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| Error::Server(format!("cannot find a free port: {e}")))
}

/// A new, empty directory under the system's temporary directory.
fn fresh_store() -> Result<PathBuf, Error> {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let dir = std::env::temp_dir().join(format!(
        "actor-net-nats-{}-{}-{nanos}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir)
        .map_err(|e| Error::Server(format!("cannot create {}: {e}", dir.display())))?;
    Ok(dir)
}
