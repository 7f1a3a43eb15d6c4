//! Subprocess ports (Erlang's `open_port({spawn, ...})`): an OS command
//! owned by a process. Its output arrives as messages with credit-based
//! flow control, its input is written by message, its exit status is a
//! message, and it is killed and reaped when its owner ends.

use std::collections::VecDeque;
use std::ffi::OsStr;
use std::fmt;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use actor_core::{AnyPid, Ctx, Down, Pid, spawn};
use bytes::{Buf, Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::process::{Child, ChildStdin};

use crate::error::{Error, need_reactor};
use crate::id::IoId;

/// How a child exited: with a code, or killed by a signal.
///
/// # Examples
///
/// ```
/// use actor_io::ChildExit;
///
/// let ok = ChildExit::from_code(0);
/// assert!(ok.success());
/// assert_eq!(ChildExit::from_signal(9).to_string(), "killed by signal 9");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ChildExit {
    code: Option<i32>,
    signal: Option<i32>,
}

impl ChildExit {
    /// An exit with `code`.
    pub fn from_code(code: i32) -> Self {
        ChildExit {
            code: Some(code),
            signal: None,
        }
    }

    /// A death by signal `signal`.
    pub fn from_signal(signal: i32) -> Self {
        ChildExit {
            code: None,
            signal: Some(signal),
        }
    }

    /// Exit code 0.
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }

    /// The exit code, if it exited.
    pub fn code(&self) -> Option<i32> {
        self.code
    }

    /// The signal that killed it, if one did.
    pub fn signal(&self) -> Option<i32> {
        self.signal
    }
}

impl From<std::process::ExitStatus> for ChildExit {
    fn from(s: std::process::ExitStatus) -> Self {
        ChildExit {
            code: s.code(),
            signal: s.signal(),
        }
    }
}

impl fmt::Display for ChildExit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.code, self.signal) {
            (Some(c), _) => write!(f, "exit code {c}"),
            (None, Some(s)) => write!(f, "killed by signal {s}"),
            (None, None) => f.write_str("unknown exit status"),
        }
    }
}

/// Where a child's stdout or stderr goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Capture {
    /// To the owner, as [`PortEvent`]s (the default).
    Messages,
    /// To this program's own stdout or stderr.
    Inherit,
    /// Nowhere (`/dev/null`).
    Discard,
}

impl Capture {
    fn stdio(self) -> Stdio {
        match self {
            Capture::Messages => Stdio::piped(),
            Capture::Inherit => Stdio::inherit(),
            Capture::Discard => Stdio::null(),
        }
    }
}

/// The longest line delivered whole in line mode; longer lines arrive in
/// pieces of this size.
pub const MAX_LINE: usize = 64 * 1024;

/// The size of the chunks read from a child's output.
const CHUNK: usize = 64 * 1024;

/// An OS command to run as a [`Port`] owned by a process.
///
/// # Examples
///
/// ```
/// use actor_core::{spawn, Ctx, Runtime};
/// use actor_io::{Command, PortEvent};
///
/// Runtime::tokio().block_on(async {
///     let owner = spawn(|mut ctx: Ctx<PortEvent>| async move {
///         let port = Command::new("echo").arg("hello").lines().spawn(&ctx.pid()).unwrap();
///         let mut lines = Vec::new();
///         loop {
///             match ctx.recv().await {
///                 PortEvent::Stdout { data, .. } => {
///                     lines.push(data);
///                     port.arm();
///                 }
///                 PortEvent::Exited { status, .. } => {
///                     assert!(status.success());
///                     break;
///                 }
///                 other => panic!("{other:?}"),
///             }
///         }
///         assert_eq!(lines, ["hello"]);
///     });
///     assert!(owner.wait().await.is_normal());
/// });
/// ```
#[derive(Debug)]
pub struct Command {
    cmd: tokio::process::Command,
    program: String,
    stdout: Capture,
    stderr: Capture,
    lines: bool,
    acks: bool,
    group: bool,
}

impl Command {
    /// A command running `program` (looked up in `PATH`), with stdin
    /// written by message and stdout and stderr delivered as messages.
    pub fn new(program: impl AsRef<OsStr>) -> Self {
        let program = program.as_ref();
        Command {
            cmd: tokio::process::Command::new(program),
            program: program.to_string_lossy().into_owned(),
            stdout: Capture::Messages,
            stderr: Capture::Messages,
            lines: false,
            acks: false,
            group: false,
        }
    }

    /// Adds an argument.
    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Self {
        self.cmd.arg(arg);
        self
    }

    /// Adds arguments.
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.cmd.args(args);
        self
    }

    /// Sets an environment variable for the child.
    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Self {
        self.cmd.env(key, value);
        self
    }

    /// Runs the child in `dir`.
    pub fn current_dir(mut self, dir: impl AsRef<Path>) -> Self {
        self.cmd.current_dir(dir);
        self
    }

    /// Where stdout goes ([`Capture::Messages`] by default).
    pub fn stdout(mut self, to: Capture) -> Self {
        self.stdout = to;
        self
    }

    /// Where stderr goes ([`Capture::Messages`] by default).
    pub fn stderr(mut self, to: Capture) -> Self {
        self.stderr = to;
        self
    }

    /// Line mode: each message carries one line of output, without its
    /// `\n` (or `\r\n`). Lines longer than [`MAX_LINE`] arrive in pieces;
    /// a last line without a newline arrives at end of file.
    pub fn lines(mut self) -> Self {
        self.lines = true;
        self
    }

    /// After each chunk given to [`Port::write`] has been written to the
    /// child's stdin, send the owner [`PortEvent::Written`], so that it can
    /// bound what it has in flight (flow control for input).
    pub fn stdin_acks(mut self) -> Self {
        self.acks = true;
        self
    }

    /// Runs the child in a process group of its own, and kills the whole
    /// group when the port ends (so that grandchildren started by a shell
    /// go too). The group no longer receives the terminal's Ctrl-C.
    pub fn process_group(mut self) -> Self {
        self.group = true;
        self
    }

    /// Starts the child, owned by `owner`: its output and its exit arrive
    /// in `owner`'s mailbox as [`PortEvent`]s. Output is delivered one
    /// message per credit; the port starts with one (`{active, once}`),
    /// and [`Port::arm`] or [`Port::grant`] gives more. With no credit the
    /// child's output is not read, so a fast child waits for a slow owner.
    ///
    /// The child is killed and reaped when the [`Port`] is dropped or when
    /// `owner` ends, whichever comes first.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] if the program does not exist, [`Error::Spawn`]
    /// if it cannot be started, [`Error::NoReactor`] outside a tokio
    /// runtime.
    pub fn spawn<M>(mut self, owner: &Pid<M>) -> Result<Port, Error>
    where
        M: From<PortEvent> + Send + 'static,
    {
        need_reactor()?;
        self.cmd
            .stdin(Stdio::piped())
            .stdout(self.stdout.stdio())
            .stderr(self.stderr.stdio())
            .kill_on_drop(true);
        if self.group {
            self.cmd.process_group(0);
        }
        let mut child = self
            .cmd
            .spawn()
            .map_err(|e| Error::spawn(&self.program, e))?;
        let os_pid = child.id().unwrap_or(0);
        let id = IoId::next();
        let io = ChildIo {
            stdin: child.stdin.take(),
            stdout: Reader::new(child.stdout.take(), self.lines),
            stderr: Reader::new(child.stderr.take(), self.lines),
        };
        let opts = LoopOpts {
            id,
            os_pid,
            acks: self.acks,
            group: self.group,
        };
        let owner = owner.clone();
        let stdin_open = StdinGate::default();
        let gate = stdin_open.clone();
        let helper = spawn(move |ctx: Ctx<PortCmd>| port_loop(ctx, child, io, owner, opts, gate));
        Ok(Port {
            id,
            os_pid,
            helper,
            stdin_open,
        })
    }
}

/// A message from a [`Port`]; the owner's message type implements
/// `From<PortEvent>`.
///
/// All of the child's output arrives before [`PortEvent::Exited`], which
/// is the port's last message. [`PortEvent::StdinClosed`], if it comes,
/// comes before it.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum PortEvent {
    /// Output on stdout: a chunk, or one line in line mode (one credit).
    Stdout {
        /// The port.
        port: IoId,
        /// The bytes.
        data: Bytes,
    },
    /// Output on stderr: a chunk, or one line in line mode (one credit).
    Stderr {
        /// The port.
        port: IoId,
        /// The bytes.
        data: Bytes,
    },
    /// One chunk given to [`Port::write`] has been written to the child's
    /// stdin (only with [`Command::stdin_acks`]).
    Written {
        /// The port.
        port: IoId,
        /// The chunk's length.
        bytes: usize,
    },
    /// The child's stdin is gone: closed by [`Port::close_stdin`] once what
    /// was queued had been written, or because writing failed (the child
    /// closed its end or exited). Sent at most once; from then on
    /// [`Port::write`] returns [`Error::Closed`]. `unwritten` counts the
    /// bytes given to [`Port::write`] that were never written (no
    /// [`PortEvent::Written`] comes for them).
    ///
    /// Not sent when the child exits with nothing left to write and its
    /// stdin still open, nor when the port is dropped or its owner ends.
    StdinClosed {
        /// The port.
        port: IoId,
        /// How many bytes accepted by [`Port::write`] were not written.
        unwritten: usize,
    },
    /// The child exited (a crash is a death by signal). Last message.
    Exited {
        /// The port.
        port: IoId,
        /// How it exited.
        status: ChildExit,
    },
    /// Reading the child's output or waiting for it failed. The port has
    /// killed the child and ended; this is its last message.
    Error {
        /// The port.
        port: IoId,
        /// What went wrong.
        error: Error,
    },
}

impl PortEvent {
    /// The port this event comes from.
    pub fn port(&self) -> IoId {
        match self {
            PortEvent::Stdout { port, .. }
            | PortEvent::Stderr { port, .. }
            | PortEvent::Written { port, .. }
            | PortEvent::StdinClosed { port, .. }
            | PortEvent::Exited { port, .. }
            | PortEvent::Error { port, .. } => *port,
        }
    }
}

pub(crate) enum PortCmd {
    Write(Bytes),
    CloseStdin,
    /// Sent by the port's process to itself once the gate is shut: every
    /// `Write` accepted before that is ahead of it in the mailbox.
    StdinMark,
    Grant(u32),
    Kill,
    Stop,
    OwnerDown,
}

impl From<Down> for PortCmd {
    fn from(_: Down) -> Self {
        PortCmd::OwnerDown
    }
}

/// A running child owned by a process (see [`Command::spawn`]). Dropping
/// it kills and reaps the child.
#[derive(Debug)]
pub struct Port {
    id: IoId,
    os_pid: u32,
    helper: Pid<PortCmd>,
    stdin_open: StdinGate,
}

/// Whether [`Port::write`] still accepts data, shared by the handle and
/// the port's process. A `Write` is queued while holding the lock, so once
/// the port's process has shut the gate no `Write` can arrive after its
/// own mark.
#[derive(Clone, Debug)]
struct StdinGate(Arc<Mutex<bool>>);

impl Default for StdinGate {
    fn default() -> Self {
        StdinGate(Arc::new(Mutex::new(true)))
    }
}

impl StdinGate {
    fn lock(&self) -> MutexGuard<'_, bool> {
        // Nothing panics while holding it; a poisoned lock is still a bool.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Port {
    /// The id carried by this port's events.
    pub fn id(&self) -> IoId {
        self.id
    }

    /// The child's OS process id.
    pub fn os_pid(&self) -> u32 {
        self.os_pid
    }

    /// Queues `data` for the child's stdin; it is written in order, without
    /// the caller waiting. Use [`Command::stdin_acks`] to learn when it has
    /// been written.
    ///
    /// Data that is accepted but cannot be written after all (the child
    /// closes its stdin or exits first) is counted in
    /// [`PortEvent::StdinClosed`], never dropped silently.
    ///
    /// # Errors
    ///
    /// [`Error::Closed`] if the port has ended, if [`close_stdin`] has been
    /// called, or if the port has found the child's stdin closed (it then
    /// sends [`PortEvent::StdinClosed`]).
    ///
    /// [`close_stdin`]: Port::close_stdin
    ///
    /// # Examples
    ///
    /// ```
    /// use actor_core::{spawn, Ctx, Runtime};
    /// use actor_io::{Command, Error, PortEvent};
    ///
    /// Runtime::tokio().block_on(async {
    ///     let owner = spawn(|mut ctx: Ctx<PortEvent>| async move {
    ///         let cat = Command::new("cat").spawn(&ctx.pid()).unwrap();
    ///         cat.write("hello").unwrap();
    ///         cat.close_stdin();
    ///         assert!(matches!(cat.write("late"), Err(Error::Closed)));
    ///         loop {
    ///             match ctx.recv().await {
    ///                 PortEvent::StdinClosed { unwritten, .. } => assert_eq!(unwritten, 0),
    ///                 PortEvent::Stdout { .. } => cat.arm(),
    ///                 PortEvent::Exited { .. } => break,
    ///                 other => panic!("{other:?}"),
    ///             }
    ///         }
    ///     });
    ///     assert!(owner.wait().await.is_normal());
    /// });
    /// ```
    pub fn write(&self, data: impl Into<Bytes>) -> Result<(), Error> {
        let open = self.stdin_open.lock();
        if !*open {
            return Err(Error::Closed);
        }
        self.helper
            .try_send(PortCmd::Write(data.into()))
            .map_err(|_| Error::Closed)
    }

    /// Closes the child's stdin once what is queued has been written: the
    /// child reads end of file, and the owner gets
    /// [`PortEvent::StdinClosed`]. Later writes fail with
    /// [`Error::Closed`].
    pub fn close_stdin(&self) {
        let mut open = self.stdin_open.lock();
        if *open {
            *open = false;
            let _ = self.helper.try_send(PortCmd::CloseStdin);
        }
    }

    /// One more output message may be delivered.
    pub fn arm(&self) {
        self.grant(1);
    }

    /// `n` more output messages may be delivered.
    pub fn grant(&self, n: u32) {
        let _ = self.helper.try_send(PortCmd::Grant(n));
    }

    /// Kills the child (`SIGKILL`); its exit arrives as
    /// [`PortEvent::Exited`] as usual.
    pub fn kill(&self) {
        let _ = self.helper.try_send(PortCmd::Kill);
    }

    /// The port's own process (it ends after the child has been reaped),
    /// to monitor or wait for.
    pub fn process(&self) -> AnyPid {
        AnyPid::from(&self.helper)
    }
}

impl Drop for Port {
    fn drop(&mut self) {
        let _ = self.helper.try_send(PortCmd::Stop);
    }
}

/// One of the child's output pipes, with what has been read from it and
/// not yet delivered.
struct Reader<R> {
    pipe: Option<R>,
    buf: BytesMut,
    lines: bool,
    eof: bool,
}

impl<R: AsyncRead + Unpin> Reader<R> {
    fn new(pipe: Option<R>, lines: bool) -> Self {
        Reader {
            eof: pipe.is_none(),
            pipe,
            buf: BytesMut::new(),
            lines,
        }
    }

    /// Whether a message's worth is buffered.
    fn has_message(&self) -> bool {
        if self.buf.is_empty() {
            return false;
        }
        !self.lines || self.eof || self.buf.len() > MAX_LINE || self.buf.contains(&b'\n')
    }

    /// Takes one message's worth, if buffered.
    fn take(&mut self) -> Option<Bytes> {
        if !self.has_message() {
            return None;
        }
        if !self.lines {
            return Some(self.buf.split().freeze());
        }
        match self.buf.iter().position(|&b| b == b'\n') {
            Some(i) if i <= MAX_LINE => {
                let mut line = self.buf.split_to(i + 1);
                line.truncate(i);
                if line.last() == Some(&b'\r') {
                    line.truncate(i - 1);
                }
                Some(line.freeze())
            }
            _ => {
                let n = self.buf.len().min(MAX_LINE);
                Some(self.buf.split_to(n).freeze())
            }
        }
    }

    fn wants_read(&self) -> bool {
        !self.eof && !self.has_message()
    }

    fn done(&self) -> bool {
        self.eof && self.buf.is_empty()
    }

    /// Reads more (cancel safe).
    async fn fill(&mut self) -> std::io::Result<()> {
        let Some(pipe) = self.pipe.as_mut() else {
            return Ok(());
        };
        if self.buf.capacity() - self.buf.len() < CHUNK / 4 {
            self.buf.reserve(CHUNK);
        }
        if pipe.read_buf(&mut self.buf).await? == 0 {
            self.eof = true;
            self.pipe = None;
        }
        Ok(())
    }
}

/// Splits output into messages as a port in line mode does: `chunks`
/// arrive one read at a time, then the end of file. For the fuzz targets.
pub(crate) fn split_lines(chunks: &[&[u8]]) -> Vec<Bytes> {
    let mut reader = Reader::<tokio::io::Empty>::new(None, true);
    reader.eof = false;
    let mut out = Vec::new();
    for chunk in chunks {
        reader.buf.extend_from_slice(chunk);
        out.extend(std::iter::from_fn(|| reader.take()));
    }
    reader.eof = true;
    out.extend(std::iter::from_fn(|| reader.take()));
    out
}

struct ChildIo {
    stdin: Option<ChildStdin>,
    stdout: Reader<tokio::process::ChildStdout>,
    stderr: Reader<tokio::process::ChildStderr>,
}

struct LoopOpts {
    id: IoId,
    os_pid: u32,
    acks: bool,
    group: bool,
}

/// Kills the child (or its group) and waits for it, so that no zombie is
/// left.
async fn kill_and_reap(child: &mut Child, opts: &LoopOpts) {
    if opts.group {
        if let Some(pid) = rustix::process::Pid::from_raw(opts.os_pid as i32) {
            let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
        }
    }
    let _ = child.start_kill();
    let _ = child.wait().await;
}

/// Where the child's stdin stands, in the port's process.
#[derive(Clone, Copy, PartialEq, Eq)]
enum StdinState {
    /// Writes are queued and written.
    Open,
    /// The gate is shut: what is queued is being written (after
    /// `close_stdin`) or has been dropped (after a failed write). With
    /// `mark`, `Write`s may still be in the mailbox ahead of the
    /// `StdinMark`; they are counted as unwritten.
    Closing { mark: bool },
    /// [`PortEvent::StdinClosed`] has been sent.
    Reported,
}

/// Drops the child's stdin after a failed write or the child's exit:
/// what is queued is counted as unwritten, and unless the owner already
/// closed stdin, the gate is shut and the mark sent, so that `Write`s
/// already in the mailbox are counted too.
fn lose_stdin(
    ctx: &Ctx<PortCmd>,
    gate: &StdinGate,
    stdin: &mut Option<ChildStdin>,
    queue: &mut VecDeque<(Bytes, usize)>,
    unwritten: &mut usize,
    state: &mut StdinState,
) {
    *stdin = None;
    *unwritten += queue.iter().map(|(b, _)| b.len()).sum::<usize>();
    queue.clear();
    if *state == StdinState::Open {
        *gate.lock() = false;
        // The mailbox is unbounded: this fails only if we have ended.
        let _ = ctx.pid().try_send(PortCmd::StdinMark);
        *state = StdinState::Closing { mark: true };
    }
}

async fn port_loop<M>(
    mut ctx: Ctx<PortCmd>,
    mut child: Child,
    io: ChildIo,
    owner: Pid<M>,
    opts: LoopOpts,
    gate: StdinGate,
) where
    M: From<PortEvent> + Send + 'static,
{
    ctx.monitor(&owner);
    let port = opts.id;
    let ChildIo {
        mut stdin,
        mut stdout,
        mut stderr,
    } = io;
    let mut queue: VecDeque<(Bytes, usize)> = VecDeque::new();
    let mut state = StdinState::Open;
    let mut unwritten = 0usize;
    let mut credit: u32 = 1;
    let mut status: Option<ChildExit> = None;
    loop {
        // Deliver what is buffered, as far as credit goes.
        while credit > 0 {
            let event = if let Some(data) = stdout.take() {
                PortEvent::Stdout { port, data }
            } else if let Some(data) = stderr.take() {
                PortEvent::Stderr { port, data }
            } else {
                break;
            };
            if owner.send(M::from(event)).await.is_err() {
                return kill_and_reap(&mut child, &opts).await;
            }
            credit -= 1;
        }
        if let Some(status) = status {
            if stdout.done() && stderr.done() {
                // The child is gone: what is still queued will never be
                // written.
                if !queue.is_empty() {
                    lose_stdin(
                        &ctx,
                        &gate,
                        &mut stdin,
                        &mut queue,
                        &mut unwritten,
                        &mut state,
                    );
                }
                if !matches!(state, StdinState::Closing { .. }) {
                    let _ = owner
                        .send(M::from(PortEvent::Exited { port, status }))
                        .await;
                    return;
                }
            }
        }
        if let StdinState::Closing { mark } = state {
            if queue.is_empty() {
                stdin = None;
                if !mark {
                    state = StdinState::Reported;
                    let event = PortEvent::StdinClosed { port, unwritten };
                    if owner.send(M::from(event)).await.is_err() {
                        return kill_and_reap(&mut child, &opts).await;
                    }
                    continue;
                }
            }
        }
        let writing = stdin.is_some() && !queue.is_empty();
        let reading = credit > 0;
        tokio::select! {
            biased;
            cmd = ctx.recv() => match cmd {
                PortCmd::Write(data) => {
                    if state == StdinState::Open && stdin.is_some() {
                        if !data.is_empty() {
                            let n = data.len();
                            queue.push_back((data, n));
                        }
                    } else {
                        // Accepted before the gate was shut, too late to
                        // be written.
                        unwritten += data.len();
                    }
                }
                PortCmd::CloseStdin => {
                    if state == StdinState::Open {
                        state = StdinState::Closing { mark: false };
                    }
                }
                PortCmd::StdinMark => {
                    if state == (StdinState::Closing { mark: true }) {
                        state = StdinState::Closing { mark: false };
                    }
                }
                PortCmd::Grant(n) => credit = credit.saturating_add(n),
                PortCmd::Kill => {
                    if opts.group {
                        if let Some(pid) = rustix::process::Pid::from_raw(opts.os_pid as i32) {
                            let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
                        }
                    }
                    let _ = child.start_kill();
                }
                PortCmd::Stop | PortCmd::OwnerDown => return kill_and_reap(&mut child, &opts).await,
            },
            r = write_some(stdin.as_mut(), queue.front().map(|(b, _)| b)), if writing => match r {
                Ok(n) => {
                    let front = queue.front_mut().expect("writing means queued");
                    front.0.advance(n);
                    if front.0.is_empty() {
                        let (_, len) = queue.pop_front().expect("just looked");
                        if opts.acks {
                            let _ = owner.send(M::from(PortEvent::Written { port, bytes: len })).await;
                        }
                    }
                }
                Err(e) => {
                    // The child closed its stdin (or exited): what is queued
                    // can no longer be written. The owner hears of it.
                    tracing::debug!(%port, error = %e, "stdin closed by the child");
                    lose_stdin(&ctx, &gate, &mut stdin, &mut queue, &mut unwritten, &mut state);
                }
            },
            r = stdout.fill(), if reading && stdout.wants_read() => {
                if let Err(e) = r {
                    return fail(&mut child, &owner, &opts, e.into()).await;
                }
            },
            r = stderr.fill(), if reading && stderr.wants_read() => {
                if let Err(e) = r {
                    return fail(&mut child, &owner, &opts, e.into()).await;
                }
            },
            r = child.wait(), if status.is_none() => match r {
                Ok(s) => status = Some(s.into()),
                Err(e) => return fail(&mut child, &owner, &opts, e.into()).await,
            },
        }
    }
}

async fn write_some(
    stdin: Option<&mut ChildStdin>,
    data: Option<&Bytes>,
) -> std::io::Result<usize> {
    match (stdin, data) {
        (Some(stdin), Some(data)) => stdin.write(data).await,
        _ => std::future::pending().await,
    }
}

async fn fail<M>(child: &mut Child, owner: &Pid<M>, opts: &LoopOpts, error: Error)
where
    M: From<PortEvent> + Send + 'static,
{
    kill_and_reap(child, opts).await;
    let _ = owner
        .send(M::from(PortEvent::Error {
            port: opts.id,
            error,
        }))
        .await;
}
