//! Sockets: TCP and Unix listeners as processes that hand each connection
//! to a connection process under a supervisor; connections read in a
//! process body ([`Conn`], passive) or delivered as messages with
//! credit-based flow control ([`ActiveConn`], Erlang's `{active, once}`).

use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::os::fd::{AsFd, BorrowedFd};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actor_core::{
    AnyPid, CallError, ChildSpec, Ctx, Down, ExitReason, IntoExitReason, Pid, Restart, Shutdown,
    StartError, Supervisor, SupervisorMsg, spawn,
};
use bytes::{Bytes, BytesMut};
use tokio::net::{TcpListener, TcpStream, UnixListener, UnixStream};

use crate::error::{Error, need_reactor};
use crate::id::IoId;

/// The address of a socket's end: a TCP address, or a Unix socket path
/// (`None` for an unnamed Unix socket).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Addr {
    /// A TCP address.
    Tcp(SocketAddr),
    /// A Unix socket, with its path if it has one.
    Unix(Option<PathBuf>),
}

impl Addr {
    /// The IP address, for TCP.
    pub fn ip(&self) -> Option<IpAddr> {
        self.tcp().map(|a| a.ip())
    }

    /// The TCP address, for TCP.
    pub fn tcp(&self) -> Option<SocketAddr> {
        match self {
            Addr::Tcp(a) => Some(*a),
            Addr::Unix(_) => None,
        }
    }

    /// The path, for a named Unix socket.
    pub fn path(&self) -> Option<&Path> {
        match self {
            Addr::Unix(p) => p.as_deref(),
            Addr::Tcp(_) => None,
        }
    }

    fn unix(a: &tokio::net::unix::SocketAddr) -> Self {
        Addr::Unix(a.as_pathname().map(Path::to_path_buf))
    }
}

impl std::fmt::Display for Addr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Addr::Tcp(a) => write!(f, "{a}"),
            Addr::Unix(Some(p)) => write!(f, "unix:{}", p.display()),
            Addr::Unix(None) => f.write_str("unix:(unnamed)"),
        }
    }
}

/// A connected stream socket, TCP or Unix.
#[derive(Debug)]
enum Stream {
    Tcp(TcpStream),
    Unix(UnixStream),
}

impl Stream {
    async fn readable(&self) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.readable().await,
            Stream::Unix(s) => s.readable().await,
        }
    }

    async fn writable(&self) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.writable().await,
            Stream::Unix(s) => s.writable().await,
        }
    }

    fn try_read_buf(&self, buf: &mut BytesMut) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.try_read_buf(buf),
            Stream::Unix(s) => s.try_read_buf(buf),
        }
    }

    fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.try_read(buf),
            Stream::Unix(s) => s.try_read(buf),
        }
    }

    fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.try_write(buf),
            Stream::Unix(s) => s.try_write(buf),
        }
    }

    fn fd(&self) -> BorrowedFd<'_> {
        match self {
            Stream::Tcp(s) => s.as_fd(),
            Stream::Unix(s) => s.as_fd(),
        }
    }

    /// Reads into `buf` (growing it), waiting for data; `Ok(0)` at end of
    /// file. Cancel safe.
    async fn read_buf(&self, buf: &mut BytesMut, min_room: usize) -> io::Result<usize> {
        loop {
            if buf.capacity() - buf.len() < min_room {
                buf.reserve(min_room);
            }
            match self.try_read_buf(buf) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => self.readable().await?,
                r => return r,
            }
        }
    }

    async fn write_all(&self, mut data: &[u8], timeout: Option<Duration>) -> Result<(), Error> {
        while !data.is_empty() {
            match self.try_write(data) {
                Ok(n) => data = &data[n..],
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    limit(timeout, "write", self.writable()).await?
                }
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    fn shutdown_write(&self) -> Result<(), Error> {
        Ok(rustix::net::shutdown(
            self.fd(),
            rustix::net::Shutdown::Write,
        )?)
    }
}

/// Runs an IO wait with an optional time limit.
async fn limit<F: Future<Output = io::Result<()>>>(
    timeout: Option<Duration>,
    op: &'static str,
    f: F,
) -> Result<(), Error> {
    match timeout {
        None => Ok(f.await?),
        Some(d) => match actor_core::timeout(d, f).await {
            Ok(r) => Ok(r?),
            Err(_) => Err(Error::TimedOut { op }),
        },
    }
}

/// The size of the chunks a connection reads at a time.
const CHUNK: usize = 16 * 1024;

/// The `op` of the [`Error::TimedOut`] a passed read deadline gives.
const READ_DEADLINE: &str = "read deadline";

/// The earlier of an idle limit and a read deadline (both times on the
/// runtime's clock), with the `op` to report when it passes.
fn earliest(
    idle: Option<Duration>,
    deadline: Option<Duration>,
) -> (Option<Duration>, &'static str) {
    match (idle, deadline) {
        (Some(i), Some(d)) if d <= i => (Some(d), READ_DEADLINE),
        (Some(i), _) => (Some(i), "read"),
        (None, d) => (d, READ_DEADLINE),
    }
}

/// Fails if `deadline` has passed.
fn check_deadline(deadline: Option<Duration>) -> Result<(), Error> {
    match deadline {
        Some(d) if actor_core::now() >= d => Err(Error::TimedOut { op: READ_DEADLINE }),
        _ => Ok(()),
    }
}

/// A connection, read and written from its process's body (passive mode,
/// Erlang's `{active, false}`): `read` waits cooperatively, `write_all`
/// waits for room.
///
/// A read or write timeout turns a silent or stuck peer into
/// [`Error::TimedOut`]; a read deadline does the same to a peer that
/// trickles its data too slowly to finish a message in time (see
/// [`set_read_deadline`](Conn::set_read_deadline)); a reset becomes
/// [`Error::ConnectionReset`]. Returned from the process body with `?`,
/// each becomes its exit reason.
///
/// # Examples
///
/// ```
/// use actor_core::Runtime;
/// use actor_io::Conn;
///
/// Runtime::tokio_current_thread().block_on(async {
///     let (mut a, mut b) = Conn::pair().unwrap();
///     a.write_all(b"ping").await.unwrap();
///     a.shutdown_write().unwrap();
///     let mut buf = [0; 8];
///     let n = b.read(&mut buf).await.unwrap();
///     assert_eq!(&buf[..n], b"ping");
///     assert_eq!(b.read(&mut buf).await.unwrap(), 0); // end of file
/// });
/// ```
#[derive(Debug)]
pub struct Conn {
    id: IoId,
    stream: Stream,
    peer: Addr,
    read_timeout: Option<Duration>,
    read_deadline: Option<Duration>,
    write_timeout: Option<Duration>,
    /// The listener this connection was accepted by, if any.
    member: Option<Member>,
}

impl Conn {
    fn new(stream: Stream, peer: Addr) -> Self {
        Conn {
            id: IoId::next(),
            stream,
            peer,
            read_timeout: None,
            read_deadline: None,
            write_timeout: None,
            member: None,
        }
    }

    /// Connects to a TCP address (`"127.0.0.1:8000"`, `"localhost:80"`;
    /// names are resolved without blocking the runtime).
    ///
    /// # Errors
    ///
    /// The OS error ([`Error::Io`] with `ConnectionRefused`, ...), or
    /// [`Error::NoReactor`].
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: a cancelled connect leaves nothing behind.
    pub async fn connect_tcp(addr: &str) -> Result<Conn, Error> {
        need_reactor()?;
        let s = TcpStream::connect(addr).await?;
        let peer = Addr::Tcp(s.peer_addr()?);
        Ok(Conn::new(Stream::Tcp(s), peer))
    }

    /// Connects to a Unix socket.
    ///
    /// # Errors
    ///
    /// The OS error, or [`Error::NoReactor`].
    ///
    /// # Cancel safety
    ///
    /// Cancel safe.
    pub async fn connect_unix(path: impl AsRef<Path>) -> Result<Conn, Error> {
        need_reactor()?;
        let path = path.as_ref();
        let s = UnixStream::connect(path).await?;
        Ok(Conn::new(Stream::Unix(s), Addr::Unix(Some(path.into()))))
    }

    /// A connected pair of Unix sockets (a socketpair).
    ///
    /// # Errors
    ///
    /// The OS error, or [`Error::NoReactor`].
    pub fn pair() -> Result<(Conn, Conn), Error> {
        need_reactor()?;
        let (a, b) = UnixStream::pair()?;
        Ok((
            Conn::new(Stream::Unix(a), Addr::Unix(None)),
            Conn::new(Stream::Unix(b), Addr::Unix(None)),
        ))
    }

    /// The id carried by this connection's events once it is active.
    pub fn id(&self) -> IoId {
        self.id
    }

    /// The other end's address.
    pub fn peer(&self) -> &Addr {
        &self.peer
    }

    /// How long a read may wait for data before it fails with
    /// [`Error::TimedOut`]; `None` (the default) waits forever.
    pub fn set_read_timeout(&mut self, timeout: Option<Duration>) {
        self.read_timeout = timeout;
    }

    /// How long a write may wait for room (the peer not reading) before it
    /// fails with [`Error::TimedOut`]; `None` (the default) waits forever.
    pub fn set_write_timeout(&mut self, timeout: Option<Duration>) {
        self.write_timeout = timeout;
    }

    /// When reading must be over, on the runtime's clock
    /// ([`actor_core::now`]): from then on every read fails with
    /// [`Error::TimedOut`] (`op` `"read deadline"`), however steadily data
    /// has been arriving. `None` (the default) clears it.
    ///
    /// A read timeout starts again with every byte, so a peer that trickles
    /// a message one byte at a time never trips it; a deadline bounds the
    /// whole message. The protocol knows where its messages begin and end:
    /// it sets the deadline when one begins (or lets
    /// [`Listener::read_deadline`] set it at accept, for the first) and
    /// clears or moves it when the message is complete.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use actor_core::Runtime;
    /// use actor_io::{Conn, Error};
    ///
    /// Runtime::tokio_current_thread().block_on(async {
    ///     let (mut a, mut b) = Conn::pair().unwrap();
    ///     // The whole message must be in within 50 ms.
    ///     a.set_read_deadline(Some(actor_core::now() + Duration::from_millis(50)));
    ///     b.write_all(b"GET / HT").await.unwrap(); // ... and no more
    ///     let mut buf = [0; 64];
    ///     assert_eq!(a.read(&mut buf).await.unwrap(), 8);
    ///     let err = a.read(&mut buf).await.unwrap_err();
    ///     assert!(matches!(err, Error::TimedOut { op: "read deadline" }));
    ///     // The message is over: no deadline until the next one begins.
    ///     a.set_read_deadline(None);
    ///     b.write_all(b"TP/1.1").await.unwrap();
    ///     assert_eq!(a.read(&mut buf).await.unwrap(), 6);
    /// });
    /// ```
    pub fn set_read_deadline(&mut self, deadline: Option<Duration>) {
        self.read_deadline = deadline;
    }

    /// The read deadline, if one is set (see
    /// [`set_read_deadline`](Conn::set_read_deadline)).
    pub fn read_deadline(&self) -> Option<Duration> {
        self.read_deadline
    }

    /// Reserves `bytes` of the memory that the connections of this
    /// connection's listener share for what they buffer (request bodies,
    /// frames): see [`Listener::buffer_limit`]. The room is given back
    /// when the [`Reservation`] is dropped (at the latest when the
    /// connection's process ends). A connection that no listener with a
    /// buffer limit accepted may reserve any amount.
    ///
    /// # Errors
    ///
    /// [`Error::BufferLimit`] if the room is not there now; nothing is
    /// reserved then.
    ///
    /// # Examples
    ///
    /// ```
    /// use actor_core::{Ctx, Runtime};
    /// use actor_io::{Conn, Error, Listener};
    ///
    /// Runtime::tokio().block_on(async {
    ///     let server = Listener::tcp("127.0.0.1:0")
    ///         .buffer_limit(1 << 20)
    ///         .serve(|_ctx: Ctx<()>, mut conn: Conn| async move {
    ///             let _body = conn.reserve(800 << 10)?; // 800 KB: fits
    ///             let refused = conn.reserve(800 << 10).unwrap_err(); // not twice
    ///             conn.write_all(refused.to_string().as_bytes()).await
    ///         })
    ///         .await
    ///         .unwrap();
    ///     let mut client = Conn::connect_tcp(&server.addr().to_string()).await.unwrap();
    ///     let mut said = Vec::new();
    ///     let mut buf = [0; 256];
    ///     loop {
    ///         match client.read(&mut buf).await.unwrap() {
    ///             0 => break,
    ///             n => said.extend_from_slice(&buf[..n]),
    ///         }
    ///     }
    ///     assert!(String::from_utf8(said).unwrap().starts_with("no room to buffer 819200 bytes"));
    ///     server.stop();
    ///     server.wait().await;
    /// });
    /// ```
    pub fn reserve(&self, bytes: usize) -> Result<Reservation, Error> {
        Member::reserve(self.member.as_ref(), bytes)
    }

    /// Waits until the socket is readable, within the read timeout and
    /// the read deadline.
    async fn wait_readable(&self) -> Result<(), Error> {
        let idle = self
            .read_timeout
            .map(|t| actor_core::now().saturating_add(t));
        match earliest(idle, self.read_deadline) {
            (None, _) => Ok(self.stream.readable().await?),
            (Some(at), op) => tokio::select! {
                biased;
                r = self.stream.readable() => Ok(r?),
                () = actor_core::sleep_until(at) => Err(Error::TimedOut { op }),
            },
        }
    }

    /// Reads what is there into `buf`, waiting until something is;
    /// `Ok(0)` at end of file (the peer closed or half-closed).
    ///
    /// # Errors
    ///
    /// [`Error::TimedOut`] after the read timeout (`op` `"read"`) or once
    /// the read deadline has passed (`op` `"read deadline"`),
    /// [`Error::ConnectionReset`], or another OS error.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: nothing is read unless the future completes.
    pub async fn read(&mut self, buf: &mut [u8]) -> Result<usize, Error> {
        check_deadline(self.read_deadline)?;
        loop {
            match self.stream.try_read(buf) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => self.wait_readable().await?,
                r => return Ok(r?),
            }
        }
    }

    /// Reads what is there, appending it to `buf` (which grows as needed);
    /// `Ok(0)` at end of file.
    ///
    /// # Errors
    ///
    /// As [`read`](Conn::read).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe.
    pub async fn read_buf(&mut self, buf: &mut BytesMut) -> Result<usize, Error> {
        check_deadline(self.read_deadline)?;
        if buf.capacity() - buf.len() < 1024 {
            buf.reserve(CHUNK);
        }
        loop {
            match self.stream.try_read_buf(buf) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => self.wait_readable().await?,
                r => return Ok(r?),
            }
        }
    }

    /// Writes all of `data`, waiting for room as needed.
    ///
    /// # Errors
    ///
    /// [`Error::TimedOut`] if the peer stops reading for longer than the
    /// write timeout, [`Error::Closed`] or [`Error::ConnectionReset`] if it
    /// has gone.
    ///
    /// # Cancel safety
    ///
    /// Not cancel safe: part of `data` may have been written.
    pub async fn write_all(&mut self, data: &[u8]) -> Result<(), Error> {
        self.stream.write_all(data, self.write_timeout).await
    }

    /// Half-closes the connection: the peer reads end of file; this side
    /// can still read.
    ///
    /// # Errors
    ///
    /// The OS error.
    pub fn shutdown_write(&self) -> Result<(), Error> {
        self.stream.shutdown_write()
    }

    /// Active mode: from now on data arrives in `owner`'s mailbox as
    /// [`SocketEvent`]s, one message per credit. It starts with one credit
    /// (`{active, once}`); [`ActiveConn::arm`] or
    /// [`ActiveConn::grant`] gives more. With no credit nothing is read,
    /// so the peer is slowed by TCP's own flow control.
    ///
    /// The read timeout (see [`set_read_timeout`](Conn::set_read_timeout)
    /// and [`Listener::read_timeout`]) carries over: if no data arrives for
    /// that long while the owner has credit, the owner receives
    /// [`SocketEvent::Error`] with [`Error::TimedOut`] (`op` `"read"`) and
    /// no more events come. Time spent without credit does not count.
    /// The read deadline carries over too (see
    /// [`set_read_deadline`](Conn::set_read_deadline) and
    /// [`ActiveConn::set_read_deadline`]): once it has passed, the owner
    /// receives [`Error::TimedOut`] (`op` `"read deadline"`) instead of
    /// more data.
    ///
    /// # Examples
    ///
    /// ```
    /// use actor_core::{spawn, Ctx, Runtime};
    /// use actor_io::{Conn, SocketEvent};
    ///
    /// Runtime::tokio().block_on(async {
    ///     let (a, mut b) = Conn::pair().unwrap();
    ///     let owner = spawn(move |mut ctx: Ctx<SocketEvent>| async move {
    ///         let conn = a.into_active(&ctx.pid());
    ///         let mut got = Vec::new();
    ///         loop {
    ///             match ctx.recv().await {
    ///                 SocketEvent::Data { data, .. } => {
    ///                     got.extend_from_slice(&data);
    ///                     conn.arm();
    ///                 }
    ///                 SocketEvent::Closed { .. } => break,
    ///                 SocketEvent::Error { error, .. } => panic!("{error}"),
    ///                 _ => {}
    ///             }
    ///         }
    ///         assert_eq!(got, b"hello");
    ///     });
    ///     b.write_all(b"hello").await.unwrap();
    ///     b.shutdown_write().unwrap();
    ///     assert!(owner.wait().await.is_normal());
    /// });
    /// ```
    pub fn into_active<M>(self, owner: &Pid<M>) -> ActiveConn
    where
        M: From<SocketEvent> + Send + 'static,
    {
        let stream = Arc::new(self.stream);
        let shared = stream.clone();
        let owner = owner.clone();
        let id = self.id;
        let limits = (self.read_timeout, self.read_deadline);
        let helper = spawn(move |ctx: Ctx<SockCmd>| active_loop(ctx, shared, owner, id, limits));
        ActiveConn {
            id,
            stream,
            peer: self.peer,
            write_timeout: self.write_timeout,
            helper,
            member: self.member,
        }
    }
}

impl AsFd for Conn {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.stream.fd()
    }
}

/// A message from an [`ActiveConn`]; the owner's message type implements
/// `From<SocketEvent>`.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum SocketEvent {
    /// Data read from the connection (one credit's worth).
    Data {
        /// The connection.
        conn: IoId,
        /// What was read.
        data: Bytes,
    },
    /// The peer closed its side (end of file). Writing may still work
    /// (a half-close); no more data will come.
    Closed {
        /// The connection.
        conn: IoId,
    },
    /// Reading failed ([`Error::ConnectionReset`], ...), no data came
    /// within the read timeout while the owner had credit, or the read
    /// deadline passed ([`Error::TimedOut`]). No more data will come.
    Error {
        /// The connection.
        conn: IoId,
        /// What went wrong.
        error: Error,
    },
}

impl SocketEvent {
    /// The connection this event comes from.
    pub fn conn(&self) -> IoId {
        match self {
            SocketEvent::Data { conn, .. }
            | SocketEvent::Closed { conn }
            | SocketEvent::Error { conn, .. } => *conn,
        }
    }
}

pub(crate) enum SockCmd {
    Grant(u32),
    Deadline(Option<Duration>),
    Stop,
    OwnerDown,
}

impl From<Down> for SockCmd {
    fn from(_: Down) -> Self {
        SockCmd::OwnerDown
    }
}

/// A connection in active mode (see [`Conn::into_active`]): data arrives as
/// messages; writes go straight to the socket. Dropping it closes the
/// connection.
#[derive(Debug)]
pub struct ActiveConn {
    id: IoId,
    stream: Arc<Stream>,
    peer: Addr,
    write_timeout: Option<Duration>,
    helper: Pid<SockCmd>,
    member: Option<Member>,
}

impl ActiveConn {
    /// The id carried by this connection's events.
    pub fn id(&self) -> IoId {
        self.id
    }

    /// The other end's address.
    pub fn peer(&self) -> &Addr {
        &self.peer
    }

    /// One more message may be delivered (`{active, once}` again).
    pub fn arm(&self) {
        self.grant(1);
    }

    /// `n` more messages may be delivered (Erlang's `{active, N}`).
    pub fn grant(&self, n: u32) {
        let _ = self.helper.try_send(SockCmd::Grant(n));
    }

    /// Sets or clears the read deadline, as
    /// [`Conn::set_read_deadline`]: once it has passed, the owner receives
    /// [`SocketEvent::Error`] with [`Error::TimedOut`] (`op`
    /// `"read deadline"`) and no more data.
    ///
    /// # Examples
    ///
    /// ```
    /// use actor_core::{spawn, Ctx, Runtime};
    /// use actor_io::{Conn, Error, SocketEvent};
    ///
    /// Runtime::tokio().block_on(async {
    ///     let (a, _quiet_peer) = Conn::pair().unwrap();
    ///     let owner = spawn(move |mut ctx: Ctx<SocketEvent>| async move {
    ///         let conn = a.into_active(&ctx.pid());
    ///         conn.set_read_deadline(Some(actor_core::now()));
    ///         match ctx.recv().await {
    ///             SocketEvent::Error { error: Error::TimedOut { op }, .. } => {
    ///                 assert_eq!(op, "read deadline")
    ///             }
    ///             other => panic!("{other:?}"),
    ///         }
    ///     });
    ///     assert!(owner.wait().await.is_normal());
    /// });
    /// ```
    pub fn set_read_deadline(&self, deadline: Option<Duration>) {
        let _ = self.helper.try_send(SockCmd::Deadline(deadline));
    }

    /// Reserves room in the listener's buffer budget, as
    /// [`Conn::reserve`].
    ///
    /// # Errors
    ///
    /// [`Error::BufferLimit`] if the room is not there now.
    pub fn reserve(&self, bytes: usize) -> Result<Reservation, Error> {
        Member::reserve(self.member.as_ref(), bytes)
    }

    /// Writes all of `data`, waiting for room as needed.
    ///
    /// # Errors
    ///
    /// As [`Conn::write_all`].
    ///
    /// # Cancel safety
    ///
    /// Not cancel safe: part of `data` may have been written.
    pub async fn write_all(&self, data: &[u8]) -> Result<(), Error> {
        self.stream.write_all(data, self.write_timeout).await
    }

    /// Half-closes the connection; see [`Conn::shutdown_write`].
    ///
    /// # Errors
    ///
    /// The OS error.
    pub fn shutdown_write(&self) -> Result<(), Error> {
        self.stream.shutdown_write()
    }

    /// The process that reads the connection, to monitor or link to.
    pub fn process(&self) -> AnyPid {
        AnyPid::from(&self.helper)
    }
}

impl AsFd for ActiveConn {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.stream.fd()
    }
}

impl Drop for ActiveConn {
    fn drop(&mut self) {
        let _ = self.helper.try_send(SockCmd::Stop);
    }
}

/// Waits until `deadline` on the runtime's clock, or forever for `None`.
fn idle_limit(deadline: Option<Duration>) -> actor_core::Sleep {
    match deadline {
        Some(d) => actor_core::sleep_until(d),
        None => actor_core::sleep(actor_core::INFINITY),
    }
}

async fn active_loop<M>(
    mut ctx: Ctx<SockCmd>,
    stream: Arc<Stream>,
    owner: Pid<M>,
    id: IoId,
    (read_timeout, mut read_deadline): (Option<Duration>, Option<Duration>),
) where
    M: From<SocketEvent> + Send + 'static,
{
    ctx.monitor(&owner);
    let mut credit: u32 = 1;
    let mut buf = BytesMut::new();
    // When a wait for data with credit must give up for want of data: set
    // as the wait starts, kept across grants, cleared with each event
    // delivered, so that only time with credit counts as idle.
    let mut idle_at: Option<Duration> = None;
    loop {
        if credit == 0 {
            match ctx.recv().await {
                SockCmd::Grant(n) => credit = credit.saturating_add(n),
                SockCmd::Deadline(d) => read_deadline = d,
                SockCmd::Stop | SockCmd::OwnerDown => return,
            }
            continue;
        }
        if idle_at.is_none() {
            idle_at = read_timeout.map(|d| actor_core::now().saturating_add(d));
        }
        let (limit, op) = earliest(idle_at, read_deadline);
        let event = if let Err(error) = check_deadline(read_deadline) {
            SocketEvent::Error { conn: id, error }
        } else {
            tokio::select! {
                biased;
                cmd = ctx.recv() => match cmd {
                    SockCmd::Grant(n) => {
                        credit = credit.saturating_add(n);
                        continue;
                    }
                    SockCmd::Deadline(d) => {
                        read_deadline = d;
                        continue;
                    }
                    SockCmd::Stop | SockCmd::OwnerDown => return,
                },
                r = stream.read_buf(&mut buf, CHUNK) => match r {
                    Ok(0) => SocketEvent::Closed { conn: id },
                    Ok(_) => SocketEvent::Data { conn: id, data: buf.split().freeze() },
                    Err(e) => SocketEvent::Error { conn: id, error: e.into() },
                },
                () = idle_limit(limit) => SocketEvent::Error {
                    conn: id,
                    error: Error::TimedOut { op },
                },
            }
        };
        idle_at = None;
        let last = !matches!(event, SocketEvent::Data { .. });
        if owner.send(M::from(event)).await.is_err() || last {
            return;
        }
        credit -= 1;
    }
}

/// Where a [`Listener`] listens.
#[derive(Clone, Debug)]
enum Bind {
    Tcp(String),
    Unix(PathBuf),
}

/// A listening socket to be served by a listener process: each accepted
/// connection becomes a process of its own, started under a dynamic
/// supervisor as a temporary child, so that one that crashes affects no
/// other.
///
/// # Examples
///
/// An echo server:
///
/// ```
/// use actor_core::{Ctx, Runtime};
/// use actor_io::{Conn, Error, Listener};
///
/// Runtime::tokio().block_on(async {
///     let server = Listener::tcp("127.0.0.1:0")
///         .serve(|_ctx: Ctx<()>, mut conn: Conn| async move {
///             let mut buf = [0; 1024];
///             loop {
///                 let n = conn.read(&mut buf).await?;
///                 if n == 0 {
///                     return Ok::<(), Error>(());
///                 }
///                 conn.write_all(&buf[..n]).await?;
///             }
///         })
///         .await
///         .unwrap();
///     let addr = server.addr().tcp().unwrap().to_string();
///     let mut client = Conn::connect_tcp(&addr).await.unwrap();
///     client.write_all(b"hello").await.unwrap();
///     let mut buf = [0; 5];
///     let mut got = 0;
///     while got < 5 {
///         got += client.read(&mut buf[got..]).await.unwrap();
///     }
///     assert_eq!(&buf, b"hello");
///     server.stop();
///     server.wait().await;
/// });
/// ```
///
/// # Slow and greedy clients
///
/// Three limits keep a few clients from taking what all need, each off
/// by default: [`read_deadline`](Listener::read_deadline) (a whole first
/// message within a time, however slowly it trickles in),
/// [`max_connections`](Listener::max_connections) (connections over the
/// limit are turned away at accept, with a
/// [`refusal`](Listener::refusal) of your protocol's choosing), and
/// [`buffer_limit`](Listener::buffer_limit) (the memory all connections
/// may reserve for what they buffer).
#[derive(Clone, Debug)]
pub struct Listener {
    bind: Bind,
    read_timeout: Option<Duration>,
    read_deadline: Option<Duration>,
    write_timeout: Option<Duration>,
    nodelay: bool,
    max_connections: Option<usize>,
    refusal: Bytes,
    buffer_limit: Option<usize>,
}

impl Listener {
    /// A TCP listener on `addr` (`"127.0.0.1:0"` picks a free port).
    pub fn tcp(addr: &str) -> Self {
        Self::with(Bind::Tcp(addr.to_string()))
    }

    /// A Unix socket listener on `path`. The socket file is removed when
    /// the listener ends.
    pub fn unix(path: impl AsRef<Path>) -> Self {
        Self::with(Bind::Unix(path.as_ref().to_path_buf()))
    }

    fn with(bind: Bind) -> Self {
        Listener {
            bind,
            read_timeout: None,
            read_deadline: None,
            write_timeout: None,
            nodelay: true,
            max_connections: None,
            refusal: Bytes::new(),
            buffer_limit: None,
        }
    }

    /// The read timeout each accepted [`Conn`] starts with.
    pub fn read_timeout(mut self, timeout: Duration) -> Self {
        self.read_timeout = Some(timeout);
        self
    }

    /// Each accepted [`Conn`] starts with a read deadline `within` after
    /// it was accepted (see [`Conn::set_read_deadline`]): a client must
    /// have sent its first whole message by then, however slowly it
    /// trickles. The handler clears or moves the deadline once the
    /// message is in, as its protocol says.
    pub fn read_deadline(mut self, within: Duration) -> Self {
        self.read_deadline = Some(within);
        self
    }

    /// The write timeout each accepted [`Conn`] starts with.
    pub fn write_timeout(mut self, timeout: Duration) -> Self {
        self.write_timeout = Some(timeout);
        self
    }

    /// Whether accepted TCP connections disable Nagle's algorithm
    /// (`TCP_NODELAY`; on by default).
    pub fn nodelay(mut self, on: bool) -> Self {
        self.nodelay = on;
        self
    }

    /// The most connections open at once (accepted, and not yet dropped
    /// by their process). A connection accepted while `max` are open is
    /// refused: it is sent the [`refusal`](Listener::refusal), if any,
    /// and closed at once, and no process is started for it. The listener
    /// logs a warning when it starts refusing and an info line with the
    /// count when it accepts again. Set it below the process's open-file
    /// limit, so that the limit refuses before the OS does.
    ///
    /// # Examples
    ///
    /// ```
    /// use actor_core::{Ctx, Runtime};
    /// use actor_io::{Conn, Listener};
    ///
    /// Runtime::tokio().block_on(async {
    ///     let server = Listener::tcp("127.0.0.1:0")
    ///         .max_connections(1)
    ///         .refusal("busy, try later\n")
    ///         .serve(|_ctx: Ctx<()>, mut conn: Conn| async move {
    ///             conn.write_all(b"welcome\n").await?;
    ///             let mut buf = [0; 16];
    ///             while conn.read(&mut buf).await? > 0 {}
    ///             Ok::<(), actor_io::Error>(())
    ///         })
    ///         .await
    ///         .unwrap();
    ///     let addr = server.addr().to_string();
    ///     let mut buf = [0; 64];
    ///     let mut first = Conn::connect_tcp(&addr).await.unwrap();
    ///     let n = first.read(&mut buf).await.unwrap();
    ///     assert_eq!(&buf[..n], b"welcome\n");
    ///     let mut second = Conn::connect_tcp(&addr).await.unwrap();
    ///     let n = second.read(&mut buf).await.unwrap();
    ///     assert_eq!(&buf[..n], b"busy, try later\n");
    ///     assert_eq!(second.read(&mut buf).await.unwrap(), 0); // closed
    ///     server.stop();
    ///     server.wait().await;
    /// });
    /// ```
    pub fn max_connections(mut self, max: usize) -> Self {
        self.max_connections = Some(max);
        self
    }

    /// What a connection refused for
    /// [`max_connections`](Listener::max_connections) is sent before it is
    /// closed: an HTTP
    /// server's `503`, a line of text, nothing (the default). It is sent
    /// without waiting, at accept; whatever the client had sent by then is
    /// read and dropped first, so that the close does not reset the
    /// connection, but the refusal of a client that keeps sending may be
    /// lost to a reset. Keep it short (one packet).
    pub fn refusal(mut self, message: impl Into<Bytes>) -> Self {
        self.refusal = message.into();
        self
    }

    /// The most memory the connections may hold at once in what they
    /// buffer, as they reserve it with [`Conn::reserve`]: one client
    /// cannot starve the others, nor many the machine. A reservation that
    /// does not fit fails at once with [`Error::BufferLimit`], for the
    /// protocol to answer as it sees fit (an HTTP server's `503`).
    pub fn buffer_limit(mut self, bytes: usize) -> Self {
        self.buffer_limit = Some(bytes);
        self
    }

    /// Binds, then starts the listener process and its connection
    /// supervisor. Each accepted connection runs `handler` in a new
    /// process, with the connection and the process's context; what the
    /// handler returns is the process's exit reason.
    ///
    /// # Errors
    ///
    /// The OS error from binding ([`Error::Io`] with `AddrInUse`, ...),
    /// [`Error::NoReactor`], [`Error::SupervisorStart`] with the cause if
    /// the listener could not start its connection supervisor, or
    /// [`Error::Closed`] if the listener process ended before it started
    /// serving (killed while starting).
    ///
    /// # Cancel safety
    ///
    /// If cancelled, the socket is closed and a listener process that was
    /// starting ends by itself, unless the cancellation falls in the short
    /// window after the listener has reported back and before this future
    /// returns; then it keeps serving with no one holding its [`Server`].
    /// Await it to the end.
    pub async fn serve<M, H, Fut>(self, handler: H) -> Result<Server, Error>
    where
        M: Send + 'static,
        H: Fn(Ctx<M>, Conn) -> Fut + Send + Sync + 'static,
        Fut: Future + Send + 'static,
        Fut::Output: IntoExitReason,
    {
        self.serve_with(handler, Supervisor::dynamic().start())
            .await
    }

    /// [`serve`](Listener::serve), with the connection supervisor started
    /// by `start_sup`, polled inside the listener process (so that the
    /// supervisor takes it as its parent).
    async fn serve_with<M, H, Fut, S>(self, handler: H, start_sup: S) -> Result<Server, Error>
    where
        M: Send + 'static,
        H: Fn(Ctx<M>, Conn) -> Fut + Send + Sync + 'static,
        Fut: Future + Send + 'static,
        Fut::Output: IntoExitReason,
        S: Future<Output = Result<Pid<SupervisorMsg>, StartError>> + Send + 'static,
    {
        need_reactor()?;
        let (listener, addr) = match &self.bind {
            Bind::Tcp(a) => {
                let l = TcpListener::bind(a.as_str()).await?;
                let addr = Addr::Tcp(l.local_addr()?);
                (Accept::Tcp(l), addr)
            }
            Bind::Unix(p) => {
                let l = UnixListener::bind(p)?;
                let addr = Addr::unix(&l.local_addr()?);
                let cleanup = RemoveOnDrop(p.clone());
                (
                    Accept::Unix {
                        listener: l,
                        _cleanup: cleanup,
                    },
                    addr,
                )
            }
        };
        let (tx, rx) = tokio::sync::oneshot::channel();
        let handler = Arc::new(handler);
        let pid =
            spawn(move |ctx: Ctx<()>| listen_loop(ctx, listener, self, handler, start_sup, tx));
        match rx.await {
            Ok(Ok(sup)) => Ok(Server {
                listener: AnyPid::from(pid),
                sup,
                addr,
            }),
            Ok(Err(e)) => Err(Error::SupervisorStart(e)),
            Err(_) => Err(Error::Closed),
        }
    }
}

/// A listening socket, TCP or Unix.
enum Accept {
    Tcp(TcpListener),
    Unix {
        listener: UnixListener,
        _cleanup: RemoveOnDrop,
    },
}

/// Removes a Unix socket's file when the listener goes.
struct RemoveOnDrop(PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

impl Accept {
    async fn accept(&self, nodelay: bool) -> io::Result<(Stream, Addr)> {
        match self {
            Accept::Tcp(l) => {
                let (s, a) = l.accept().await?;
                if nodelay {
                    let _ = s.set_nodelay(true);
                }
                Ok((Stream::Tcp(s), Addr::Tcp(a)))
            }
            Accept::Unix { listener, .. } => {
                let (s, a) = listener.accept().await?;
                Ok((Stream::Unix(s), Addr::unix(&a)))
            }
        }
    }
}

/// Accept errors that say "not now" rather than "never".
fn transient(e: &io::Error) -> bool {
    use rustix::io::Errno;
    matches!(
        e.raw_os_error().map(Errno::from_raw_os_error),
        Some(
            Errno::MFILE
                | Errno::NFILE
                | Errno::NOBUFS
                | Errno::NOMEM
                | Errno::CONNABORTED
                | Errno::INTR
                | Errno::PROTO
                | Errno::PERM
        )
    )
}

async fn listen_loop<M, H, Fut, S>(
    ctx: Ctx<()>,
    listener: Accept,
    opts: Listener,
    handler: Arc<H>,
    start_sup: S,
    started: tokio::sync::oneshot::Sender<Result<Pid<SupervisorMsg>, StartError>>,
) -> ExitReason
where
    M: Send + 'static,
    H: Fn(Ctx<M>, Conn) -> Fut + Send + Sync + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: IntoExitReason,
    S: Future<Output = Result<Pid<SupervisorMsg>, StartError>> + Send + 'static,
{
    // Started from inside this process, the supervisor takes it as its
    // parent: when the listener ends, for any reason, the supervisor stops
    // every connection and ends too.
    let sup = match start_sup.await {
        Ok(sup) => sup,
        Err(e) => {
            // The caller of `serve` gets the cause; this process, which
            // no one holds yet, still ends with it.
            let _ = started.send(Err(e.clone()));
            return ExitReason::error(e);
        }
    };
    ctx.link(&sup);
    if started.send(Ok(sup.clone())).is_err() {
        return ExitReason::Normal;
    }
    let shared = Arc::new(Shared {
        open: AtomicUsize::new(0),
        reserved: AtomicUsize::new(0),
        buffer_limit: opts.buffer_limit.unwrap_or(usize::MAX),
    });
    let mut serial: u64 = 0;
    // Connections refused since the limit was last reached.
    let mut refused: u64 = 0;
    loop {
        let (stream, peer) = match listener.accept(opts.nodelay).await {
            Ok(accepted) => accepted,
            Err(e) if transient(&e) => {
                tracing::warn!(error = %e, "accept failed; retrying");
                actor_core::sleep(Duration::from_millis(20)).await;
                continue;
            }
            Err(e) => return ExitReason::error(Error::from(e)),
        };
        if let Some(max) = opts.max_connections {
            if shared.open.load(Ordering::Acquire) >= max {
                refuse(&stream, &opts.refusal);
                if refused == 0 {
                    tracing::warn!(
                        limit = max, %peer,
                        "{max} connections open, the limit: refusing new ones"
                    );
                }
                refused += 1;
                continue;
            }
            if refused > 0 {
                tracing::info!(
                    limit = max,
                    refused,
                    "accepting connections again after refusing {refused}"
                );
                refused = 0;
            }
        }
        serial += 1;
        shared.open.fetch_add(1, Ordering::AcqRel);
        let mut conn = Conn::new(stream, peer);
        conn.member = Some(Member(shared.clone()));
        conn.read_timeout = opts.read_timeout;
        conn.read_deadline = opts
            .read_deadline
            .map(|d| actor_core::now().saturating_add(d));
        conn.write_timeout = opts.write_timeout;
        let slot = Arc::new(Mutex::new(Some(conn)));
        let handler = handler.clone();
        let spec = ChildSpec::new(format!("conn-{serial}"), move || {
            let slot = slot.clone();
            let handler = handler.clone();
            async move {
                let conn = slot
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .take()
                    .ok_or_else(|| StartError::Failed(ExitReason::other("connection taken")))?;
                Ok(AnyPid::from(spawn(move |ctx: Ctx<M>| handler(ctx, conn))))
            }
        })
        .restart(Restart::Temporary)
        .shutdown(Shutdown::Timeout(Duration::from_secs(1)));
        if let Err(e) = sup.start_child(spec).await {
            return ExitReason::error(e);
        }
    }
}

/// Turns away a connection accepted over the limit: reads and drops what
/// it has sent already (so that closing does not reset it), sends
/// `refusal` without waiting, and half-closes it; dropping it closes it.
fn refuse(stream: &Stream, refusal: &[u8]) {
    use rustix::net::{RecvFlags, SendFlags, Shutdown};
    let fd = stream.fd();
    let mut sink = [0u8; 4096];
    // What is there already, and no more than a few reads' worth.
    for _ in 0..16 {
        match rustix::net::recv(fd, &mut sink, RecvFlags::DONTWAIT) {
            Ok((n, _)) if n > 0 => {}
            _ => break,
        }
    }
    if !refusal.is_empty() {
        let _ = rustix::net::send(fd, refusal, SendFlags::DONTWAIT | SendFlags::NOSIGNAL);
    }
    let _ = rustix::net::shutdown(fd, Shutdown::Write);
}

/// What the connections of one listener share.
#[derive(Debug)]
struct Shared {
    /// Connections accepted and not yet dropped.
    open: AtomicUsize,
    /// Bytes reserved with [`Conn::reserve`].
    reserved: AtomicUsize,
    /// The most that may be reserved at once.
    buffer_limit: usize,
}

/// A connection's membership of its listener: counted as open while it
/// lives.
#[derive(Debug)]
struct Member(Arc<Shared>);

impl Member {
    fn reserve(member: Option<&Member>, bytes: usize) -> Result<Reservation, Error> {
        let Some(Member(shared)) = member else {
            return Ok(Reservation {
                shared: None,
                bytes,
            });
        };
        let limit = shared.buffer_limit;
        let mut in_use = shared.reserved.load(Ordering::Relaxed);
        loop {
            let total = match in_use.checked_add(bytes) {
                Some(t) if t <= limit => t,
                _ => {
                    return Err(Error::BufferLimit {
                        wanted: bytes,
                        in_use,
                        limit,
                    });
                }
            };
            match shared.reserved.compare_exchange_weak(
                in_use,
                total,
                Ordering::AcqRel,
                Ordering::Relaxed,
            ) {
                Ok(_) => {
                    return Ok(Reservation {
                        shared: Some(shared.clone()),
                        bytes,
                    });
                }
                Err(now) => in_use = now,
            }
        }
    }
}

impl Drop for Member {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Room reserved in a listener's buffer budget with [`Conn::reserve`]
/// (see [`Listener::buffer_limit`]); given back when dropped.
#[derive(Debug)]
#[must_use = "the room is given back as soon as the reservation is dropped"]
pub struct Reservation {
    shared: Option<Arc<Shared>>,
    bytes: usize,
}

impl Reservation {
    /// How many bytes it holds.
    pub fn bytes(&self) -> usize {
        self.bytes
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        if let Some(shared) = &self.shared {
            shared.reserved.fetch_sub(self.bytes, Ordering::AcqRel);
        }
    }
}

/// A running listener (see [`Listener::serve`]): its address, its process
/// and the supervisor of its connections.
#[derive(Clone, Debug)]
pub struct Server {
    listener: AnyPid,
    sup: Pid<SupervisorMsg>,
    addr: Addr,
}

impl Server {
    /// The address it listens on (with the port picked for `:0`).
    pub fn addr(&self) -> &Addr {
        &self.addr
    }

    /// The listener process. Stopping or killing it stops the server and
    /// every connection.
    pub fn process(&self) -> &AnyPid {
        &self.listener
    }

    /// The supervisor of the connection processes.
    pub fn supervisor(&self) -> &Pid<SupervisorMsg> {
        &self.sup
    }

    /// How many connection processes are running.
    ///
    /// # Errors
    ///
    /// [`CallError`] if the server has stopped.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe.
    pub async fn connections(&self) -> Result<usize, CallError> {
        Ok(self.sup.which_children().await?.len())
    }

    /// Stops accepting and stops every connection (with a `shutdown` exit
    /// signal, then a kill after one second).
    pub fn stop(&self) {
        self.listener.exit(ExitReason::Shutdown);
    }

    /// Waits until the listener and all its connections have ended;
    /// returns the listener's exit reason.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe.
    pub async fn wait(&self) -> ExitReason {
        let reason = self.listener.wait().await;
        self.sup.wait().await;
        reason
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A supervisor that cannot start: `serve` reports why, rather than a
    /// bare [`Error::Closed`]. (Supervisor::dynamic().start() cannot be
    /// made to fail from outside, so the failure is injected.)
    #[tokio::test]
    async fn serve_reports_why_the_supervisor_did_not_start() {
        let cause = StartError::Failed(ExitReason::other("no room"));
        let failing = {
            let cause = cause.clone();
            async move { Err(cause) }
        };
        let r = actor_core::timeout(
            Duration::from_secs(10),
            Listener::tcp("127.0.0.1:0").serve_with(|_ctx: Ctx<()>, _conn: Conn| async {}, failing),
        )
        .await
        .expect("serve returns in time");
        match r {
            Err(Error::SupervisorStart(e)) => assert_eq!(e, cause),
            Err(e) => panic!("expected the supervisor's start error, got {e}"),
            Ok(_) => panic!("served without a supervisor"),
        }
    }
}
