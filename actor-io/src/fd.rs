//! Readiness of any file descriptor: awaited in a process body (gevent's
//! `wait_read` / `wait_write`), or delivered to a process as messages,
//! one at a time (Erlang's `{active, once}`).
//!
//! The engine is tokio's reactor (epoll, edge-triggered). The readiness
//! this module reports is *level*: it is checked with a zero-timeout
//! `poll(2)` before it is reported, so a wait returns at once while data
//! is left and waits again once the fd has been drained.

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::sync::Arc;

use actor_core::{AnyPid, Ctx, Down, Pid, spawn};
use rustix::event::{PollFd, PollFlags, Timespec};
use tokio::io::unix::AsyncFd;

use crate::error::{Error, need_reactor};
use crate::id::IoId;

/// Which readiness to wait for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Interest {
    /// Readable (data to read, or end of file).
    Read,
    /// Writable (room to write).
    Write,
    /// Either.
    ReadWrite,
}

impl Interest {
    fn tokio(self) -> tokio::io::Interest {
        match self {
            Interest::Read => tokio::io::Interest::READABLE,
            Interest::Write => tokio::io::Interest::WRITABLE,
            Interest::ReadWrite => tokio::io::Interest::READABLE | tokio::io::Interest::WRITABLE,
        }
    }

    fn poll_flags(self) -> PollFlags {
        match self {
            Interest::Read => PollFlags::IN | PollFlags::RDHUP,
            Interest::Write => PollFlags::OUT,
            Interest::ReadWrite => PollFlags::IN | PollFlags::RDHUP | PollFlags::OUT,
        }
    }
}

/// What an fd is ready for, as seen by `poll(2)` at that moment.
///
/// # Examples
///
/// ```
/// use actor_core::Runtime;
/// use actor_io::Fd;
///
/// Runtime::tokio_current_thread().block_on(async {
///     let (r, w) = rustix::pipe::pipe().unwrap();
///     let w = Fd::new(w).unwrap();
///     let ready = w.writable().await.unwrap();
///     assert!(ready.is_writable() && !ready.is_readable());
///     # drop(r);
/// });
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Readiness {
    flags: u16,
}

impl Readiness {
    fn from_poll(f: PollFlags) -> Self {
        Readiness { flags: f.bits() }
    }

    fn has(self, f: PollFlags) -> bool {
        PollFlags::from_bits_retain(self.flags).intersects(f)
    }

    /// Data can be read (or a read would return end of file).
    pub fn is_readable(self) -> bool {
        self.has(PollFlags::IN | PollFlags::PRI)
    }

    /// Data can be written.
    pub fn is_writable(self) -> bool {
        self.has(PollFlags::OUT)
    }

    /// The other end hung up (`POLLHUP` or `POLLRDHUP`): what is left can
    /// still be read, then reads return end of file.
    pub fn is_hangup(self) -> bool {
        self.has(PollFlags::HUP | PollFlags::RDHUP)
    }

    /// An error is pending on the fd (`POLLERR`).
    pub fn is_error(self) -> bool {
        self.has(PollFlags::ERR | PollFlags::NVAL)
    }

    /// Nothing is ready.
    pub fn is_empty(self) -> bool {
        self.flags == 0
    }
}

impl std::fmt::Debug for Readiness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut l = f.debug_set();
        for (on, name) in [
            (self.is_readable(), "readable"),
            (self.is_writable(), "writable"),
            (self.is_hangup(), "hangup"),
            (self.is_error(), "error"),
        ] {
            if on {
                l.entry(&format_args!("{name}"));
            }
        }
        l.finish()
    }
}

/// The fd as tokio's reactor wants it.
struct Raw<T>(T);

impl<T: AsFd> AsRawFd for Raw<T> {
    fn as_raw_fd(&self) -> RawFd {
        self.0.as_fd().as_raw_fd()
    }
}

/// The level readiness of `fd` for `interest`, without waiting.
fn level(fd: BorrowedFd<'_>, interest: Interest) -> io::Result<Readiness> {
    let mut fds = [PollFd::from_borrowed_fd(fd, interest.poll_flags())];
    let zero = Timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    loop {
        match rustix::event::poll(&mut fds, Some(&zero)) {
            Ok(_) => return Ok(Readiness::from_poll(fds[0].revents())),
            Err(rustix::io::Errno::INTR) => continue,
            Err(e) => return Err(e.into()),
        }
    }
}

/// Waits until `fd` is level-ready for `interest` (or hung up, or in error).
async fn wait_level<T: AsFd>(io: &AsyncFd<Raw<T>>, interest: Interest) -> io::Result<Readiness> {
    loop {
        let mut guard = io.ready(interest.tokio()).await?;
        let now = level(io.get_ref().0.as_fd(), interest)?;
        if now.is_empty() {
            // tokio saw an edge that has since been consumed: wait for the next.
            guard.clear_ready();
            continue;
        }
        return Ok(now);
    }
}

/// Any file descriptor (pipe, socketpair, eventfd, tty, inotify, ...),
/// registered with the reactor so that a process can wait for it
/// cooperatively.
///
/// The fd is switched to non-blocking mode. Its owner `T` (an
/// [`OwnedFd`](std::os::fd::OwnedFd), a `File`, a `UnixStream`, ...) is
/// kept and given back by [`into_inner`](Fd::into_inner).
///
/// # Examples
///
/// ```
/// use actor_core::Runtime;
/// use actor_io::Fd;
///
/// Runtime::tokio_current_thread().block_on(async {
///     let (r, w) = rustix::pipe::pipe().unwrap();
///     let (r, w) = (Fd::new(r).unwrap(), Fd::new(w).unwrap());
///     w.write(b"hello").await.unwrap();
///     let ready = r.readable().await.unwrap();
///     assert!(ready.is_readable());
///     let mut buf = [0; 16];
///     let n = r.read(&mut buf).await.unwrap();
///     assert_eq!(&buf[..n], b"hello");
/// });
/// ```
pub struct Fd<T: AsFd> {
    io: AsyncFd<Raw<T>>,
}

impl<T: AsFd> std::fmt::Debug for Fd<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Fd({})", self.io.get_ref().as_raw_fd())
    }
}

impl<T: AsFd> Fd<T> {
    /// Registers `fd` with the reactor, after switching it to non-blocking
    /// mode.
    ///
    /// # Errors
    ///
    /// [`Error::NotPollable`] for an fd epoll refuses (a regular file),
    /// [`Error::NoReactor`] outside a tokio runtime, [`Error::Io`] if the
    /// fd is not open.
    pub fn new(fd: T) -> Result<Self, Error> {
        need_reactor()?;
        rustix::io::ioctl_fionbio(fd.as_fd(), true)?;
        // tokio 1.54 deprecates the safe constructor because an arbitrary
        // `AsRawFd` may name an fd it does not keep open. `Raw<T>` takes its
        // fd from `T: AsFd`, which keeps it open for as long as `T` lives,
        // and the `AsyncFd` owns `T`: the fd outlives the registration.
        #[allow(deprecated)]
        let io = AsyncFd::with_interest(
            Raw(fd),
            tokio::io::Interest::READABLE | tokio::io::Interest::WRITABLE,
        )
        .map_err(Error::register)?;
        Ok(Fd { io })
    }

    /// The fd's owner.
    pub fn get_ref(&self) -> &T {
        &self.io.get_ref().0
    }

    /// Deregisters the fd and gives its owner back (still non-blocking).
    pub fn into_inner(self) -> T {
        self.io.into_inner().0
    }

    /// Waits until the fd is readable, hung up or in error, and says which.
    /// Returns at once while unread data is left.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] if the reactor or `poll(2)` fails.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe.
    pub async fn readable(&self) -> Result<Readiness, Error> {
        Ok(wait_level(&self.io, Interest::Read).await?)
    }

    /// Waits until the fd is writable, hung up or in error, and says which.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] if the reactor or `poll(2)` fails.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe.
    pub async fn writable(&self) -> Result<Readiness, Error> {
        Ok(wait_level(&self.io, Interest::Write).await?)
    }

    /// Reads what is there, waiting until something is; `Ok(0)` at end of
    /// file.
    ///
    /// # Errors
    ///
    /// The OS error, classified ([`Error::ConnectionReset`],
    /// [`Error::Io`], ...).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: nothing is read unless the future completes.
    pub async fn read(&self, buf: &mut [u8]) -> Result<usize, Error> {
        Ok(self
            .io
            .async_io(tokio::io::Interest::READABLE, |raw| {
                Ok(rustix::io::read(raw.0.as_fd(), &mut *buf)?)
            })
            .await?)
    }

    /// Writes some of `buf`, waiting for room; returns how much was written.
    ///
    /// # Errors
    ///
    /// The OS error, classified ([`Error::Closed`] for a broken pipe, ...).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: nothing is written unless the future completes.
    pub async fn write(&self, buf: &[u8]) -> Result<usize, Error> {
        Ok(self
            .io
            .async_io(tokio::io::Interest::WRITABLE, |raw| {
                Ok(rustix::io::write(raw.0.as_fd(), buf)?)
            })
            .await?)
    }
}

impl<T: AsFd + Send + Sync + 'static> Fd<T> {
    /// Watch mode: readiness arrives in `owner`'s mailbox as [`FdEvent`]s,
    /// one at a time. After each [`FdEvent::Ready`] the watch waits for
    /// [`Watch::arm`] before it reports again (active-once), so a slow
    /// owner is never flooded. A hang-up with nothing left to read arrives
    /// as [`FdEvent::Closed`], an error as [`FdEvent::Error`]; either ends
    /// the watch.
    ///
    /// The watch is a small process of its own; it ends when the [`Watch`]
    /// is dropped or when `owner` ends. Idle, it costs no CPU: it waits on
    /// the reactor.
    ///
    /// # Examples
    ///
    /// ```
    /// use actor_io::{Fd, FdEvent, Interest};
    /// use actor_core::{spawn, Ctx, Runtime};
    ///
    /// Runtime::tokio().block_on(async {
    ///     let (r, w) = rustix::pipe::pipe().unwrap();
    ///     let reader = spawn(move |mut ctx: Ctx<FdEvent>| async move {
    ///         let watch = Fd::new(r).unwrap().watch(&ctx.pid(), Interest::Read);
    ///         let mut got = Vec::new();
    ///         loop {
    ///             match ctx.recv().await {
    ///                 FdEvent::Ready { .. } => {
    ///                     let mut buf = [0; 64];
    ///                     while let Some(n) = watch.try_read(&mut buf).unwrap() {
    ///                         if n == 0 { break; }
    ///                         got.extend_from_slice(&buf[..n]);
    ///                     }
    ///                     watch.arm();
    ///                 }
    ///                 FdEvent::Closed { .. } => break,
    ///                 other => panic!("{other:?}"),
    ///             }
    ///         }
    ///         assert_eq!(got, b"ping");
    ///     });
    ///     rustix::io::write(&w, b"ping").unwrap();
    ///     drop(w);
    ///     assert!(reader.wait().await.is_normal());
    /// });
    /// ```
    pub fn watch<M>(self, owner: &Pid<M>, interest: Interest) -> Watch<T>
    where
        M: From<FdEvent> + Send + 'static,
    {
        let id = IoId::next();
        let io = Arc::new(self.io);
        let owner = owner.clone();
        let shared = io.clone();
        let helper = spawn(move |ctx: Ctx<WatchCmd>| watch_loop(ctx, shared, owner, interest, id));
        Watch { id, io, helper }
    }
}

/// A readiness message from a [`Watch`]; the owner's message type
/// implements `From<FdEvent>`.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum FdEvent {
    /// The fd is ready; nothing more is reported until [`Watch::arm`].
    Ready {
        /// The watch.
        watch: IoId,
        /// What it is ready for.
        ready: Readiness,
    },
    /// The other end hung up and nothing is left to read (or the fd can no
    /// longer be written). The watch has ended.
    Closed {
        /// The watch.
        watch: IoId,
    },
    /// The fd reported an error. The watch has ended.
    Error {
        /// The watch.
        watch: IoId,
        /// What went wrong.
        error: Error,
    },
}

impl FdEvent {
    /// The watch this event comes from.
    pub fn watch(&self) -> IoId {
        match self {
            FdEvent::Ready { watch, .. }
            | FdEvent::Closed { watch }
            | FdEvent::Error { watch, .. } => *watch,
        }
    }
}

pub(crate) enum WatchCmd {
    Arm,
    Stop,
    OwnerDown,
}

impl From<Down> for WatchCmd {
    fn from(_: Down) -> Self {
        WatchCmd::OwnerDown
    }
}

/// A watched fd (see [`Fd::watch`]): the owner reads and writes through it
/// and re-arms it after each [`FdEvent::Ready`]. Dropping it ends the
/// watch and, once the owner's copy goes too, closes the fd.
pub struct Watch<T: AsFd> {
    id: IoId,
    io: Arc<AsyncFd<Raw<T>>>,
    helper: Pid<WatchCmd>,
}

impl<T: AsFd> std::fmt::Debug for Watch<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Watch({}, fd {})",
            self.id,
            self.io.get_ref().as_raw_fd()
        )
    }
}

impl<T: AsFd> Watch<T> {
    /// The id carried by this watch's events.
    pub fn id(&self) -> IoId {
        self.id
    }

    /// The fd's owner.
    pub fn get_ref(&self) -> &T {
        &self.io.get_ref().0
    }

    /// Re-arms the watch: the next readiness is reported (at once, if the
    /// fd is still ready).
    pub fn arm(&self) {
        let _ = self.helper.try_send(WatchCmd::Arm);
    }

    /// The watch's own process, to monitor or link to.
    pub fn process(&self) -> AnyPid {
        AnyPid::from(&self.helper)
    }

    /// Reads without waiting: `Ok(None)` if nothing is there, `Ok(Some(0))`
    /// at end of file.
    ///
    /// # Errors
    ///
    /// The OS error, classified.
    pub fn try_read(&self, buf: &mut [u8]) -> Result<Option<usize>, Error> {
        would_block(rustix::io::read(self.get_ref().as_fd(), buf))
    }

    /// Writes without waiting: `Ok(None)` if there is no room.
    ///
    /// # Errors
    ///
    /// The OS error, classified ([`Error::Closed`] for a broken pipe).
    pub fn try_write(&self, buf: &[u8]) -> Result<Option<usize>, Error> {
        would_block(rustix::io::write(self.get_ref().as_fd(), buf))
    }
}

impl<T: AsFd> Drop for Watch<T> {
    fn drop(&mut self) {
        let _ = self.helper.try_send(WatchCmd::Stop);
    }
}

fn would_block(r: rustix::io::Result<usize>) -> Result<Option<usize>, Error> {
    match r {
        Ok(n) => Ok(Some(n)),
        Err(rustix::io::Errno::AGAIN) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// What a level readiness means for a watch.
fn classify(fd: BorrowedFd<'_>, ready: Readiness, id: IoId) -> FdEvent {
    let flags = PollFlags::from_bits_retain(ready.flags);
    if flags.contains(PollFlags::NVAL) {
        return FdEvent::Error {
            watch: id,
            error: Error::Io(Arc::new(io::Error::from(rustix::io::Errno::BADF))),
        };
    }
    if flags.contains(PollFlags::ERR) {
        // On a socket, the pending error says what happened; elsewhere
        // (a pipe whose reader has gone) it means the other end is closed.
        return match rustix::net::sockopt::socket_error(fd) {
            Ok(Err(errno)) => FdEvent::Error {
                watch: id,
                error: errno.into(),
            },
            _ => FdEvent::Closed { watch: id },
        };
    }
    // A socket whose peer has closed stays readable (a read returns end
    // of file): with nothing left to read, that is the end of it, as a
    // hang-up is for a pipe.
    if ready.is_hangup()
        && !ready.is_writable()
        && rustix::io::ioctl_fionread(fd).is_ok_and(|queued| queued == 0)
    {
        return FdEvent::Closed { watch: id };
    }
    if ready.is_readable() || ready.is_writable() {
        return FdEvent::Ready { watch: id, ready };
    }
    FdEvent::Closed { watch: id }
}

async fn watch_loop<T, M>(
    mut ctx: Ctx<WatchCmd>,
    io: Arc<AsyncFd<Raw<T>>>,
    owner: Pid<M>,
    interest: Interest,
    id: IoId,
) where
    T: AsFd + Send + Sync + 'static,
    M: From<FdEvent> + Send + 'static,
{
    ctx.monitor(&owner);
    let mut armed = true;
    loop {
        if !armed {
            match ctx.recv().await {
                WatchCmd::Arm => armed = true,
                WatchCmd::Stop | WatchCmd::OwnerDown => return,
            }
            continue;
        }
        let event = tokio::select! {
            biased;
            cmd = ctx.recv() => match cmd {
                WatchCmd::Arm => continue,
                WatchCmd::Stop | WatchCmd::OwnerDown => return,
            },
            r = wait_level(&io, interest) => match r {
                Ok(ready) => classify(io.get_ref().0.as_fd(), ready, id),
                Err(e) => FdEvent::Error { watch: id, error: e.into() },
            },
        };
        let last = !matches!(event, FdEvent::Ready { .. });
        if owner.send(M::from(event)).await.is_err() || last {
            return;
        }
        armed = false;
    }
}
