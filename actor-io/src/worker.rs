//! Worker processes over pipes (the seed's `multiprocessing` case): a child
//! process of the same binary, started in worker mode, that serves requests
//! framed with serde. To the rest of the program a [`Worker`] looks like a
//! process: send to it, call it, monitor it, link to it; when the OS
//! process dies, the worker's process ends and monitors get `Down`.
//!
//! Like a [`Port`](crate::Port), a worker has an owner: when the process
//! that started it ends, for any reason, the worker's OS process is killed
//! and reaped.
//!
//! The two sides talk over a Unix socketpair that is the child's stdin,
//! so the child's stdout and stderr stay free for its own output.

use std::collections::VecDeque;
use std::ffi::{OsStr, OsString};
use std::fmt;
use std::io::{Read, Write};
use std::os::fd::AsFd;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use actor_core::{
    AnyPid, CallError, Ctx, Down, ExitReason, MonitorRef, Pid, Reply, SendError, spawn,
};
use bytes::BytesMut;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::net::UnixStream;
use tokio::process::Child;

use crate::error::{Error, need_reactor};
use crate::frame;
use crate::port::ChildExit;

/// The environment variable that tells a program it was started as a
/// worker, and of which kind.
pub const WORKER_ENV: &str = "ACTOR_IO_WORKER";

/// Worker mode: if this program was started as a worker of `kind` (by
/// [`WorkerCommand::spawn`]), serves requests with `handler` until the
/// parent closes the connection, then exits the program. Otherwise returns
/// at once. Call it first thing in `main`, before starting a runtime.
///
/// The worker is a plain blocking loop: it runs in its own OS process, on
/// no runtime, so nothing cooperative is blocked. A panic in `handler`
/// ends the worker, and the parent sees it die.
///
/// # Examples
///
/// ```no_run
/// fn square(n: u64) -> u64 {
///     n * n
/// }
///
/// fn main() {
///     actor_io::worker::enter("square", square);
///     // ... the parent: start a runtime, spawn workers of kind "square" ...
/// }
/// ```
pub fn enter<Req, Resp, F>(kind: &str, handler: F)
where
    Req: DeserializeOwned,
    Resp: Serialize,
    F: FnMut(Req) -> Resp,
{
    if std::env::var_os(WORKER_ENV).as_deref() != Some(OsStr::new(kind)) {
        return;
    }
    let code = match serve(handler) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("worker {kind}: {e}");
            2
        }
    };
    std::process::exit(code);
}

/// The worker side's loop: read a request, answer it, until end of file.
fn serve<Req, Resp, F>(mut handler: F) -> Result<(), Error>
where
    Req: DeserializeOwned,
    Resp: Serialize,
    F: FnMut(Req) -> Resp,
{
    let fd = std::io::stdin().as_fd().try_clone_to_owned()?;
    let mut sock = std::os::unix::net::UnixStream::from(fd);
    let mut buf = BytesMut::new();
    let mut out = BytesMut::new();
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        while let Some(req) = frame::decode::<Req>(&mut buf)? {
            frame::encode(&mut out, &handler(req))?;
            sock.write_all(&out)?;
            out.clear();
        }
        let n = match sock.read(&mut chunk) {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e.into()),
        };
        if n == 0 {
            return if buf.is_empty() {
                Ok(())
            } else {
                Err(Error::Protocol("end of file inside a frame".into()))
            };
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// How to start a worker: by default this very program
/// (`std::env::current_exe`), with [`WORKER_ENV`] set to the kind.
///
/// # Examples
///
/// ```no_run
/// use actor_core::{spawn, Ctx, Runtime};
/// use actor_io::worker::{self, WorkerCommand};
/// use std::time::Duration;
///
/// fn main() {
///     worker::enter("square", |n: u64| n * n);
///     Runtime::tokio().block_on(async {
///         // The worker belongs to the process that starts it.
///         let owner = spawn(|ctx: Ctx<()>| async move {
///             let w = WorkerCommand::new("square")
///                 .spawn::<u64, u64, _>(&ctx.pid())
///                 .unwrap();
///             assert_eq!(w.call(7, Duration::from_secs(5)).await, Ok(49));
///             w.stop();
///             assert!(w.wait().await.is_normal());
///         });
///         assert!(owner.wait().await.is_normal());
///     });
/// }
/// ```
#[derive(Clone, Debug)]
pub struct WorkerCommand {
    kind: String,
    program: Option<PathBuf>,
    args: Vec<OsString>,
    envs: Vec<(OsString, OsString)>,
    discard_stdout: bool,
}

impl WorkerCommand {
    /// A worker of `kind`, run from this program's own executable.
    pub fn new(kind: &str) -> Self {
        WorkerCommand {
            kind: kind.to_string(),
            program: None,
            args: Vec::new(),
            envs: Vec::new(),
            discard_stdout: false,
        }
    }

    /// Runs another executable instead (one that calls [`enter`] with the
    /// same kind).
    pub fn program(mut self, path: impl Into<PathBuf>) -> Self {
        self.program = Some(path.into());
        self
    }

    /// Adds an argument (a test binary needs the name of the test that
    /// calls [`enter`], for instance).
    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Self {
        self.args.push(arg.as_ref().to_owned());
        self
    }

    /// Adds arguments.
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.args
            .extend(args.into_iter().map(|a| a.as_ref().to_owned()));
        self
    }

    /// Sets an environment variable for the worker.
    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Self {
        self.envs
            .push((key.as_ref().to_owned(), value.as_ref().to_owned()));
        self
    }

    /// Sends the worker's stdout to `/dev/null` (it goes to this program's
    /// stdout by default; stderr always does).
    pub fn discard_stdout(mut self) -> Self {
        self.discard_stdout = true;
        self
    }

    /// Starts the worker and the process that stands for it, owned by
    /// `owner` (as [`Command::spawn`](crate::Command::spawn) does for a
    /// port): the worker's process monitors `owner`, and when `owner` ends,
    /// for any reason, it kills and reaps the OS process and ends with
    /// [`ExitReason::Shutdown`] (calls in flight fail with that reason). A
    /// worker already asked to [`stop`](Worker::stop) finishes as asked.
    ///
    /// Others may use the [`Worker`] as any process: call it, send to it,
    /// monitor it.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] or [`Error::Spawn`] if the program cannot be
    /// started, [`Error::NoReactor`] outside a tokio runtime, or the OS
    /// error from making the socketpair.
    pub fn spawn<Req, Resp, M>(self, owner: &Pid<M>) -> Result<Worker<Req, Resp>, Error>
    where
        Req: Serialize + Send + 'static,
        Resp: DeserializeOwned + Send + 'static,
        M: Send + 'static,
    {
        need_reactor()?;
        let program = match self.program {
            Some(p) => p,
            None => std::env::current_exe()?,
        };
        let (ours, theirs) = rustix::net::socketpair(
            rustix::net::AddressFamily::UNIX,
            rustix::net::SocketType::STREAM,
            rustix::net::SocketFlags::CLOEXEC,
            None,
        )?;
        let ours = std::os::unix::net::UnixStream::from(ours);
        ours.set_nonblocking(true)?;
        let sock = UnixStream::from_std(ours)?;
        let mut cmd = tokio::process::Command::new(&program);
        cmd.args(&self.args)
            .env(WORKER_ENV, &self.kind)
            .envs(self.envs.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::from(theirs))
            .stdout(if self.discard_stdout {
                Stdio::null()
            } else {
                Stdio::inherit()
            })
            .kill_on_drop(true);
        let child = cmd
            .spawn()
            .map_err(|e| Error::spawn(&program.to_string_lossy(), e))?;
        // Our copy of the child's end goes with the command.
        drop(cmd);
        let os_pid = child.id().unwrap_or(0);
        let owner = AnyPid::from(owner);
        let pid = spawn(move |ctx: Ctx<WorkerMsg<Req, Resp>>| proxy_loop(ctx, child, sock, owner));
        Ok(Worker { pid, os_pid })
    }
}

/// The messages a worker's process accepts. Use [`Worker`]'s methods
/// rather than building them.
pub struct WorkerMsg<Req, Resp>(Op<Req, Resp>);

enum Op<Req, Resp> {
    Call(Req, Reply<Resp>),
    Cast(Req),
    Stop,
    Down(Down),
}

/// How the worker's process learns that its owner has ended (it monitors
/// the owner). A `Down` that does not answer that monitor is ignored.
impl<Req, Resp> From<Down> for WorkerMsg<Req, Resp> {
    fn from(d: Down) -> Self {
        WorkerMsg(Op::Down(d))
    }
}

impl<Req, Resp> fmt::Debug for WorkerMsg<Req, Resp> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.0 {
            Op::Call(..) => "WorkerMsg::Call",
            Op::Cast(_) => "WorkerMsg::Cast",
            Op::Stop => "WorkerMsg::Stop",
            Op::Down(_) => "WorkerMsg::Down",
        })
    }
}

/// A worker process (see [`WorkerCommand::spawn`]), seen as a process:
/// [`call`](Worker::call) and [`send`](Worker::send) it requests, monitor
/// or link to it (`AnyPid::from(&worker)`), [`wait`](Worker::wait) for it.
///
/// Requests are served one at a time, in order. When the OS process dies,
/// the worker's process ends with [`Error::WorkerExited`] as its reason:
/// calls in flight fail with that reason and monitors get `Down`.
pub struct Worker<Req, Resp> {
    pid: Pid<WorkerMsg<Req, Resp>>,
    os_pid: u32,
}

impl<Req, Resp> Clone for Worker<Req, Resp> {
    fn clone(&self) -> Self {
        Worker {
            pid: self.pid.clone(),
            os_pid: self.os_pid,
        }
    }
}

impl<Req: 'static, Resp: 'static> fmt::Debug for Worker<Req, Resp> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Worker({:?}, os pid {})", self.pid, self.os_pid)
    }
}

impl<Req: Send + 'static, Resp: Send + 'static> Worker<Req, Resp> {
    /// The worker's process.
    pub fn pid(&self) -> &Pid<WorkerMsg<Req, Resp>> {
        &self.pid
    }

    /// The worker's OS process id.
    pub fn os_pid(&self) -> u32 {
        self.os_pid
    }

    /// Sends a request and waits for the answer.
    ///
    /// # Errors
    ///
    /// As [`Pid::call`]: [`CallError::Exited`] with
    /// [`Error::WorkerExited`] if the worker dies first,
    /// [`CallError::Timeout`], or [`CallError::NoReply`] if the request
    /// cannot be encoded.
    ///
    /// # Cancel safety
    ///
    /// If cancelled, the request may still be served; the answer is dropped.
    pub async fn call(&self, req: Req, timeout: Duration) -> Result<Resp, CallError> {
        self.pid
            .call(|reply| WorkerMsg(Op::Call(req, reply)), timeout)
            .await
    }

    /// Sends a request whose answer is dropped (a cast).
    ///
    /// # Errors
    ///
    /// [`SendError`] with the request if the worker has ended.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: the request is queued at once or given back.
    pub async fn send(&self, req: Req) -> Result<(), SendError<Req>> {
        self.pid
            .send(WorkerMsg(Op::Cast(req)))
            .await
            .map_err(|SendError(m)| match m.0 {
                Op::Cast(req) => SendError(req),
                Op::Call(..) | Op::Stop | Op::Down(_) => {
                    unreachable!("a cast is given back as sent")
                }
            })
    }

    /// Asks the worker to finish what it has been sent and exit; its
    /// process then ends `normal`.
    pub fn stop(&self) {
        let _ = self.pid.try_send(WorkerMsg(Op::Stop));
    }

    /// Kills the worker's process, and with it the OS process.
    pub fn kill(&self) {
        self.pid.kill();
    }

    /// Whether the worker's process is running.
    pub fn is_alive(&self) -> bool {
        self.pid.is_alive()
    }

    /// Waits until the worker's process has ended; its exit reason.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe.
    pub async fn wait(&self) -> ExitReason {
        self.pid.wait().await
    }
}

impl<Req: Send + 'static, Resp: Send + 'static> From<&Worker<Req, Resp>> for AnyPid {
    fn from(w: &Worker<Req, Resp>) -> Self {
        AnyPid::from(&w.pid)
    }
}

impl<Req: Send + 'static, Resp: Send + 'static> From<Worker<Req, Resp>> for AnyPid {
    fn from(w: Worker<Req, Resp>) -> Self {
        AnyPid::from(w.pid)
    }
}

/// Delivers every whole answer in `buf` to the call waiting for it.
fn answer<Resp: DeserializeOwned>(
    buf: &mut BytesMut,
    pending: &mut VecDeque<Option<Reply<Resp>>>,
) -> Result<(), Error> {
    while let Some(resp) = frame::decode::<Resp>(buf)? {
        match pending.pop_front() {
            Some(Some(reply)) => {
                let _ = reply.send(resp);
            }
            Some(None) => {}
            None => return Err(Error::Protocol("an answer nobody asked for".into())),
        }
    }
    Ok(())
}

async fn proxy_loop<Req, Resp>(
    mut ctx: Ctx<WorkerMsg<Req, Resp>>,
    mut child: Child,
    sock: UnixStream,
    owner: AnyPid,
) -> ExitReason
where
    Req: Serialize + Send + 'static,
    Resp: DeserializeOwned + Send + 'static,
{
    let owner_ref: MonitorRef = ctx.monitor(owner);
    let mut out = BytesMut::new();
    let mut inb = BytesMut::new();
    let mut pending: VecDeque<Option<Reply<Resp>>> = VecDeque::new();
    let mut stopping = false;
    let mut shut = false;
    let mut status = None;
    loop {
        if stopping && out.is_empty() && !shut {
            // The worker reads end of file once it has all we sent.
            let _ = rustix::net::shutdown(&sock, rustix::net::Shutdown::Write);
            shut = true;
        }
        let writing = !out.is_empty();
        tokio::select! {
            biased;
            msg = ctx.recv(), if !stopping => match msg.0 {
                Op::Call(req, reply) => {
                    // A request that cannot be encoded drops its reply: the
                    // call fails with NoReply.
                    if frame::encode(&mut out, &req).is_ok() {
                        pending.push_back(Some(reply));
                    }
                }
                Op::Cast(req) => {
                    if frame::encode(&mut out, &req).is_ok() {
                        pending.push_back(None);
                    }
                }
                Op::Stop => stopping = true,
                Op::Down(down) => {
                    if down.monitor == owner_ref {
                        // The owner has ended: so does the worker, with no
                        // zombie left behind.
                        tracing::debug!(owner = %down.id, "a worker's owner ended");
                        let _ = child.start_kill();
                        let _ = child.wait().await;
                        return ExitReason::Shutdown;
                    }
                }
            },
            r = write_some(&sock, &out), if writing => match r {
                Ok(n) => {
                    let _ = out.split_to(n);
                }
                Err(e) => {
                    tracing::debug!(error = %e, "writing to a worker failed");
                    out.clear();
                }
            },
            r = read_some(&sock, &mut inb) => match r {
                Ok(0) => break,
                Ok(_) => {
                    if let Err(e) = answer(&mut inb, &mut pending) {
                        let _ = child.start_kill();
                        return ExitReason::error(e);
                    }
                }
                Err(e) => {
                    tracing::debug!(error = %e, "reading from a worker failed");
                    break;
                }
            },
            r = child.wait() => {
                status = r.ok().map(ChildExit::from);
                // Answers it wrote before it went are still in the socket.
                while let Ok(n) = sock.try_read_buf(&mut inb) {
                    if n == 0 {
                        break;
                    }
                }
                let _ = answer(&mut inb, &mut pending);
                break;
            },
        }
    }
    let status = match status {
        Some(s) => s,
        None => match actor_core::timeout(Duration::from_secs(5), child.wait()).await {
            Ok(Ok(s)) => s.into(),
            _ => {
                let _ = child.start_kill();
                child
                    .wait()
                    .await
                    .map(ChildExit::from)
                    .unwrap_or(ChildExit::from_signal(9))
            }
        },
    };
    if stopping && pending.is_empty() && status.success() {
        ExitReason::Normal
    } else {
        ExitReason::error(Error::WorkerExited(status))
    }
}

async fn write_some(sock: &UnixStream, data: &[u8]) -> std::io::Result<usize> {
    loop {
        match sock.try_write(data) {
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => sock.writable().await?,
            r => return r,
        }
    }
}

async fn read_some(sock: &UnixStream, buf: &mut BytesMut) -> std::io::Result<usize> {
    loop {
        if buf.capacity() - buf.len() < 16 * 1024 {
            buf.reserve(64 * 1024);
        }
        match sock.try_read_buf(buf) {
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => sock.readable().await?,
            r => return r,
        }
    }
}
