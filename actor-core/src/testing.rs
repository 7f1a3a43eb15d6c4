//! Protocol testing: run a test body on the [deterministic
//! runtime](crate::deterministic) under many seeds, and report the first
//! seed that fails in a form that replays bit for bit.
//!
//! Each seed chooses which ready process runs next, how long each message
//! stays in flight (never reordering one sender's messages to one
//! receiver, never dropping one), how much timers are late, and — if asked
//! — which processes are killed and when. A seed **fails** when the body
//! panics, returns an error, deadlocks, runs past the virtual deadline, or
//! never finishes: a livelock or a spawn storm, which never let virtual time
//! advance, spends the [step budget](Harness::max_steps), and a run that
//! takes too long on the wall clock meets the [watchdog](Harness::watchdog).
//!
//! The failure report prints the seed, the knobs, the
//! [notes](crate::deterministic::note) the run made (a simulated network's
//! knobs and the faults it injected), the tail of the trace and the way to
//! replay it: set `ACTOR_SEED` to the seed and run the same
//! test again; the harness then runs only that seed, and the same failure
//! comes back with the same trace hash. `ACTOR_SEEDS` overrides how many
//! seeds are explored.
//!
//! [`Harness::check_determinism`] runs every seed twice and fails if the
//! two traces differ: that catches hidden nondeterminism in a test or the
//! code under test (hash map iteration order, the wall clock, OS threads).
//!
//! # Examples
//!
//! A lost update: two clients each read a counter, then write back one
//! more. Some interleavings lose one of the increments, and the harness
//! finds one.
//!
//! ```
//! use actor_core::testing::Harness;
//! use actor_core::{spawn, Ctx, Reply};
//! use std::time::Duration;
//!
//! enum Msg { Get(Reply<u64>), Set(u64) }
//!
//! let report = Harness::new().seeds(200).explore(|| async {
//!     let counter = spawn(|mut ctx: Ctx<Msg>| async move {
//!         let mut value = 0;
//!         loop {
//!             match ctx.recv().await {
//!                 Msg::Get(r) => { let _ = r.send(value); }
//!                 Msg::Set(v) => value = v,
//!             }
//!         }
//!     });
//!     let clients: Vec<_> = (0..2).map(|_| {
//!         let counter = counter.clone();
//!         spawn(move |_: Ctx<()>| async move {
//!             let v = counter.call(Msg::Get, Duration::from_secs(1)).await.unwrap();
//!             counter.send(Msg::Set(v + 1)).await.unwrap();
//!         })
//!     }).collect();
//!     for c in &clients { c.wait().await; }
//!     let total = counter.call(Msg::Get, Duration::from_secs(1)).await.unwrap();
//!     if total == 2 { Ok(()) } else { Err(format!("lost an update: {total}")) }
//! });
//! let failure = report.failure.expect("some seed loses an update");
//! assert!(failure.to_string().contains(&format!("ACTOR_SEED={}", failure.seed)));
//! ```

use std::fmt;
use std::future::Future;
use std::ops::Range;
use std::time::Duration;

use crate::deterministic::{self, Config, Deadlock, Event, Overrun, RunError, Trace};
use crate::observe::Snapshot;

/// The environment variable that makes the harness run one seed only.
pub const SEED_VAR: &str = "ACTOR_SEED";
/// The environment variable that overrides how many seeds are explored.
pub const SEEDS_VAR: &str = "ACTOR_SEEDS";

/// What a test body returns: `()` (it passes unless it panics) or a
/// `Result`, whose error fails the seed.
pub trait Verdict {
    /// `None` if the seed passed, else what went wrong.
    fn failure(self) -> Option<String>;
}

impl Verdict for () {
    fn failure(self) -> Option<String> {
        None
    }
}

impl<T, E: fmt::Display> Verdict for Result<T, E> {
    fn failure(self) -> Option<String> {
        self.err().map(|e| e.to_string())
    }
}

/// Runs a test body on the deterministic runtime under many seeds.
///
/// Defaults: 1,000 seeds (0 to 999), messages in flight up to 1 ms, no
/// timer jitter, no kills, a virtual deadline of one hour, the last 32
/// events of a failing run in the report, and the runtime's
/// [step budget](deterministic::DEFAULT_MAX_STEPS) and
/// [watchdog](deterministic::DEFAULT_WATCHDOG) for each run.
///
/// # Examples
///
/// As a `#[test]`: [`run`](Harness::run) panics with the report if a seed
/// fails.
///
/// ```
/// use actor_core::testing::Harness;
/// use actor_core::{spawn, Ctx};
/// use std::time::Duration;
///
/// // #[test]
/// fn messages_from_one_sender_keep_their_order() {
///     Harness::new().max_delay(Duration::from_millis(5)).run(|| async {
///         let rx = spawn(|mut ctx: Ctx<u32>| async move {
///             for want in 0..10 { assert_eq!(ctx.recv().await, want); }
///         });
///         for n in 0..10 { rx.send(n).await.unwrap(); }
///         let reason = rx.wait().await;
///         if reason.is_normal() { Ok(()) } else { Err(reason) }
///     });
/// }
/// # messages_from_one_sender_keep_their_order();
/// ```
#[derive(Clone, Debug)]
pub struct Harness {
    seeds: u64,
    first_seed: u64,
    /// The knobs of every run; each run sets its own seed.
    base: Config,
    check: bool,
    replay_command: Option<String>,
}

impl Default for Harness {
    fn default() -> Self {
        Self::new()
    }
}

impl Harness {
    /// The defaults: see [`Harness`].
    pub fn new() -> Self {
        Harness {
            seeds: 1000,
            first_seed: 0,
            base: Config::seeded(0)
                .max_delay(Duration::from_millis(1))
                .deadline(Duration::from_secs(3600))
                .trace_tail(32)
                .snapshot_at_end(),
            check: false,
            replay_command: None,
        }
    }

    /// How many seeds to explore (`ACTOR_SEEDS` overrides it); at least
    /// one, so 0 counts as 1.
    pub fn seeds(mut self, count: u64) -> Self {
        self.seeds = count.max(1);
        self
    }

    /// The first seed explored (the default is 0).
    pub fn first_seed(mut self, seed: u64) -> Self {
        self.first_seed = seed;
        self
    }

    /// Holds each message in flight for a seeded delay in `0..=max` of
    /// virtual time. Messages are never dropped, and one sender's messages
    /// to one receiver keep their order.
    pub fn max_delay(mut self, max: Duration) -> Self {
        self.base = self.base.max_delay(max);
        self
    }

    /// Makes each timer fire up to `max` late, by a seeded amount.
    ///
    /// # Examples
    ///
    /// ```
    /// use actor_core::testing::Harness;
    /// use std::time::Duration;
    ///
    /// let report = Harness::new().seeds(20).timer_jitter(Duration::from_millis(3)).explore(|| async {
    ///     actor_core::sleep(Duration::from_millis(10)).await;
    ///     let late = actor_core::now() - Duration::from_millis(10);
    ///     if late <= Duration::from_millis(3) { Ok(()) } else { Err(format!("{late:?} late")) }
    /// });
    /// assert!(report.passed());
    /// ```
    pub fn timer_jitter(mut self, max: Duration) -> Self {
        self.base = self.base.timer_jitter(max);
        self
    }

    /// Kills `count` random processes at random virtual times within
    /// `window` of the start. Processes spawned with
    /// [`Spawn::system`](crate::Spawn::system) (supervisors) are spared.
    ///
    /// # Examples
    ///
    /// ```
    /// use actor_core::testing::Harness;
    /// use actor_core::{spawn, Ctx, ExitReason};
    /// use std::time::Duration;
    ///
    /// // A body that expects its worker to finish fails once kills are on.
    /// let body = || async {
    ///     let worker = spawn(|mut ctx: Ctx<()>| async move {
    ///         ctx.recv_timeout(Duration::from_secs(1)).await;
    ///     });
    ///     match worker.wait().await {
    ///         ExitReason::Normal => Ok(()),
    ///         other => Err(other),
    ///     }
    /// };
    /// assert!(Harness::new().seeds(20).explore(body).passed());
    /// let killed = Harness::new().seeds(20).kills(1, Duration::from_millis(500)).explore(body);
    /// assert!(!killed.passed());
    /// ```
    pub fn kills(mut self, count: u32, window: Duration) -> Self {
        self.base = self.base.kills(count, window);
        self
    }

    /// Fails a seed whose run goes past `at` of virtual time.
    pub fn deadline(mut self, at: Duration) -> Self {
        self.base = self.base.deadline(at);
        self
    }

    /// Fails a seed whose run would poll a task more than `steps` times
    /// (see [`Config::max_steps`]): a livelock or a spawn storm is
    /// reported with its seed, its trace and its replay line.
    ///
    /// # Examples
    ///
    /// ```
    /// use actor_core::testing::{FailureKind, Harness};
    /// use actor_core::{spawn, Ctx, Pid};
    ///
    /// // Two processes that answer each other at once, forever: virtual
    /// // time never advances, so no deadline would stop them.
    /// let report = Harness::new().seeds(3).max_steps(10_000).explore(|| async {
    ///     let ping = spawn(|mut ctx: Ctx<Pid<u8>>| async move {
    ///         loop { ctx.recv().await.send(0).await.unwrap(); }
    ///     });
    ///     let pong = spawn(move |mut ctx: Ctx<u8>| async move {
    ///         loop { ping.send(ctx.pid()).await.unwrap(); ctx.recv().await; }
    ///     });
    ///     pong.wait().await;
    /// });
    /// let failure = report.failure.unwrap();
    /// assert!(matches!(failure.kind, FailureKind::StepBudgetExhausted(_)));
    /// assert!(failure.to_string().contains("ACTOR_SEED=0"));
    /// ```
    pub fn max_steps(mut self, steps: u64) -> Self {
        self.base = self.base.max_steps(steps);
        self
    }

    /// Fails a seed whose run takes more than `limit` of wall-clock time
    /// (see [`Config::watchdog`]).
    pub fn watchdog(mut self, limit: Duration) -> Self {
        self.base = self.base.watchdog(limit);
        self
    }

    /// How many of the last events of a failing run the report shows.
    pub fn trace_tail(mut self, events: usize) -> Self {
        self.base = self.base.trace_tail(events);
        self
    }

    /// Runs every seed twice and fails if the traces differ (hidden
    /// nondeterminism: hash map order, the wall clock, OS threads).
    ///
    /// # Examples
    ///
    /// ```
    /// use actor_core::testing::{FailureKind, Harness};
    /// use std::collections::HashSet;
    ///
    /// // Iterating a HashSet: its order changes from run to run.
    /// let report = Harness::new().seeds(10).check_determinism().explore(|| async {
    ///     let names: HashSet<u32> = (0..32).collect();
    ///     for n in names {
    ///         actor_core::sleep(std::time::Duration::from_millis(n.into())).await;
    ///     }
    /// });
    /// let failure = report.failure.unwrap();
    /// assert!(matches!(failure.kind, FailureKind::Nondeterministic { .. }));
    /// ```
    pub fn check_determinism(mut self) -> Self {
        self.check = true;
        self
    }

    /// The command the report tells to run, after `ACTOR_SEED=<seed>`, to
    /// replay a failure. By default it is `cargo test -- --exact <test>`
    /// when run by the test harness (which names the thread after the
    /// test).
    pub fn replay_command(mut self, command: impl Into<String>) -> Self {
        self.replay_command = Some(command.into());
        self
    }

    /// The runtime configuration the harness uses for `seed`, for a run of
    /// one's own with [`deterministic::run`].
    ///
    /// # Examples
    ///
    /// ```
    /// use actor_core::testing::Harness;
    /// use actor_core::deterministic;
    ///
    /// let config = Harness::new().config(7);
    /// assert_eq!(config.seed(), Some(7));
    /// let out = deterministic::run(config, async { 1 + 1 });
    /// assert_eq!(out.result, Ok(2));
    /// ```
    pub fn config(&self, seed: u64) -> Config {
        self.base.clone().reseeded(seed)
    }

    /// The seeds to run: the one in `ACTOR_SEED` if set, else the
    /// configured range (its length overridden by `ACTOR_SEEDS`).
    fn plan(&self) -> (Range<u64>, bool) {
        // An empty variable counts as unset; anything else must be a whole
        // number that makes a non-empty range.
        let var = |name: &str, valid: fn(u64) -> bool, what: &str| {
            let v = std::env::var(name).ok()?;
            let v = v.trim();
            if v.is_empty() {
                return None;
            }
            match v.parse::<u64>() {
                Ok(n) if valid(n) => Some(n),
                _ => panic!("{name} must be {what}, not {v:?}"),
            }
        };
        if let Some(seed) = var(SEED_VAR, |s| s < u64::MAX, "a whole number below 2^64 - 1") {
            return (seed..seed + 1, true);
        }
        let count = var(SEEDS_VAR, |n| n > 0, "a whole number of at least 1").unwrap_or(self.seeds);
        (
            self.first_seed..self.first_seed.saturating_add(count),
            false,
        )
    }

    fn replay_hint(&self, seed: u64) -> String {
        let command = match &self.replay_command {
            Some(c) => c.clone(),
            None => match std::thread::current().name() {
                Some(test) if test != "main" => format!("cargo test -- --exact {test}"),
                _ => "<the same command>".to_string(),
            },
        };
        format!("{SEED_VAR}={seed} {command}")
    }

    /// Runs the body once under `seed`: its trace, virtual time, and what
    /// went wrong if anything did.
    fn run_seed<F, Fut>(&self, seed: u64, body: &F) -> Run
    where
        F: Fn() -> Fut,
        Fut: Future,
        Fut::Output: Verdict,
    {
        // The body is called inside the run, so that what it does before
        // its first await (a spawn) happens on the deterministic runtime.
        let out = deterministic::run(self.config(seed), async { body().await });
        let kind = match out.result {
            Ok(v) => v.failure().map(FailureKind::Error),
            Err(RunError::Panicked(m)) => Some(FailureKind::Panicked(m)),
            Err(RunError::Deadlock(d)) => Some(FailureKind::Deadlock(d)),
            Err(RunError::DeadlineReached(t)) => Some(FailureKind::DeadlineReached(t)),
            Err(RunError::StepBudgetExhausted(o)) => Some(FailureKind::StepBudgetExhausted(o)),
            Err(RunError::WatchdogExpired { after, overrun }) => {
                Some(FailureKind::WatchdogExpired { after, overrun })
            }
        };
        Run {
            trace: out.trace,
            elapsed: out.elapsed,
            kind,
            processes: out.processes.unwrap_or_default(),
        }
    }

    /// Runs `body` under every seed and returns what happened, stopping
    /// at the first failing seed. Never panics because of the body: use it
    /// to look for a failing seed from a program; use
    /// [`run`](Harness::run) in a `#[test]`.
    ///
    /// `body` is called once per run to make the test's future.
    ///
    /// # Panics
    ///
    /// If `ACTOR_SEED` is set to something that is not a whole number
    /// below 2^64 - 1, or `ACTOR_SEEDS` to something that is not a whole
    /// number of at least 1 (empty counts as unset).
    pub fn explore<F, Fut>(&self, body: F) -> Report
    where
        F: Fn() -> Fut,
        Fut: Future,
        Fut::Output: Verdict,
    {
        let (seeds, replayed) = self.plan();
        let mut run = 0;
        for seed in seeds.clone() {
            run += 1;
            let Run {
                trace,
                elapsed,
                mut kind,
                processes,
            } = self.run_seed(seed, &body);
            // A run stopped by the wall clock is not run again: it would
            // take as long, and stop somewhere else.
            let watchdog = matches!(kind, Some(FailureKind::WatchdogExpired { .. }));
            if self.check && !watchdog {
                let again = self.run_seed(seed, &body);
                if again.trace.hash() != trace.hash() || again.kind != kind {
                    kind = Some(FailureKind::Nondeterministic {
                        first: trace.hash(),
                        second: again.trace.hash(),
                    });
                }
            }
            if let Some(kind) = kind {
                return Report {
                    seeds,
                    seeds_run: run,
                    replayed,
                    failure: Some(Failure {
                        seed,
                        kind,
                        knobs: self.config(seed).describe(),
                        trace,
                        elapsed,
                        processes,
                        replay: self.replay_hint(seed),
                    }),
                };
            }
        }
        Report {
            seeds,
            seeds_run: run,
            replayed,
            failure: None,
        }
    }

    /// Runs `body` under every seed, and panics with the failure report at
    /// the first seed that fails: the `#[test]` form of
    /// [`explore`](Harness::explore).
    ///
    /// # Panics
    ///
    /// If a seed fails (the message is the report), or if `ACTOR_SEED` or
    /// `ACTOR_SEEDS` is malformed (as for [`explore`](Harness::explore)).
    #[track_caller]
    pub fn run<F, Fut>(&self, body: F)
    where
        F: Fn() -> Fut,
        Fut: Future,
        Fut::Output: Verdict,
    {
        let report = self.explore(body);
        if let Some(failure) = report.failure {
            panic!("{failure}");
        }
    }
}

/// One run of one seed.
struct Run {
    trace: Trace,
    elapsed: Duration,
    kind: Option<FailureKind>,
    processes: Snapshot,
}

/// What [`Harness::explore`] found.
#[derive(Clone, Debug)]
pub struct Report {
    /// The seeds planned (one seed when replaying with `ACTOR_SEED`).
    pub seeds: Range<u64>,
    /// How many seeds ran (all of them, unless one failed).
    pub seeds_run: u64,
    /// Whether `ACTOR_SEED` chose the seed.
    pub replayed: bool,
    /// The first failing seed, if any.
    pub failure: Option<Failure>,
}

impl Report {
    /// Whether every seed passed.
    pub fn passed(&self) -> bool {
        self.failure.is_none()
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.failure {
            Some(failure) => failure.fmt(f),
            None => write!(
                f,
                "all {} seeds passed ({}..{})",
                self.seeds_run, self.seeds.start, self.seeds.end
            ),
        }
    }
}

/// A failing seed: what went wrong, under which knobs, the end of its
/// trace, and how to replay it. Its `Display` is the failure report.
#[derive(Clone, Debug)]
pub struct Failure {
    /// The seed.
    pub seed: u64,
    /// What went wrong.
    pub kind: FailureKind,
    /// The knobs of the run, as text.
    pub knobs: String,
    /// The trace of the run (its hash, and its last events).
    pub trace: Trace,
    /// Virtual time at the end of the run.
    pub elapsed: Duration,
    /// The processes alive when the run ended: the report lists the
    /// first [`PROCESSES_SHOWN`] of them.
    pub processes: Snapshot,
    /// How to replay it: `ACTOR_SEED=<seed> <command>`.
    pub replay: String,
}

/// How many of the processes alive at the end a failure report lists.
pub const PROCESSES_SHOWN: usize = 32;

/// How a seed failed.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FailureKind {
    /// The body panicked, with this message.
    Panicked(String),
    /// The body returned an error, shown here.
    Error(String),
    /// Nothing could run and the body was not done.
    Deadlock(Deadlock),
    /// Virtual time passed the deadline.
    DeadlineReached(Duration),
    /// The run spent its [step budget](Harness::max_steps): a livelock or
    /// a spawn storm.
    StepBudgetExhausted(Overrun),
    /// The run took longer than the [watchdog](Harness::watchdog) allows.
    WatchdogExpired {
        /// The wall-clock time the run had taken.
        after: Duration,
        /// Where the run was.
        overrun: Overrun,
    },
    /// Two runs of the same seed gave different traces.
    Nondeterministic {
        /// The hash of the first run's trace.
        first: u64,
        /// The hash of the second run's trace.
        second: u64,
    },
}

impl fmt::Display for FailureKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FailureKind::Panicked(m) => write!(f, "the test body panicked: {m}"),
            FailureKind::Error(e) => write!(f, "the test body returned an error: {e}"),
            FailureKind::Deadlock(d) => write!(f, "{}", d.to_string().trim_end()),
            FailureKind::DeadlineReached(t) => write!(f, "the virtual deadline of {t:?} passed"),
            FailureKind::StepBudgetExhausted(o) => RunError::StepBudgetExhausted(o.clone()).fmt(f),
            FailureKind::WatchdogExpired { after, overrun } => RunError::WatchdogExpired {
                after: *after,
                overrun: overrun.clone(),
            }
            .fmt(f),
            FailureKind::Nondeterministic { first, second } => write!(
                f,
                "two runs of the same seed differ (trace hashes {first:016x} and {second:016x}): \
                 something outside the runtime's control chose an order (a hash map's \
                 iteration order, the wall clock, an OS thread, unseeded randomness)"
            ),
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "protocol test failed at seed {}", self.seed)?;
        writeln!(f, "  failure: {}", self.kind)?;
        writeln!(f, "  knobs:   {}", self.knobs)?;
        let mut notes = self.trace.notes().peekable();
        if notes.peek().is_some() {
            writeln!(f, "  notes:")?;
            for e in notes {
                if let Event::Note { text } = &e.event {
                    writeln!(f, "    {:>12.3}ms {text}", e.time_ns as f64 / 1e6)?;
                }
            }
        }
        writeln!(
            f,
            "  trace:   {} events over {:?} of virtual time, hash {:016x}",
            self.trace.len(),
            self.elapsed,
            self.trace.hash()
        )?;
        let tail: Vec<_> = self.trace.tail().collect();
        if !tail.is_empty() {
            writeln!(f, "  last {} events:", tail.len())?;
            for e in tail {
                writeln!(f, "    {e}")?;
            }
        }
        let alive = self.processes.processes.len();
        if alive > 0 {
            writeln!(f, "  processes alive at the end ({alive}):")?;
            for line in self.processes.lines().take(PROCESSES_SHOWN) {
                writeln!(f, "    {line}")?;
            }
            if alive > PROCESSES_SHOWN {
                writeln!(f, "    ... and {} more", alive - PROCESSES_SHOWN)?;
            }
        }
        write!(f, "  replay:  {}", self.replay)
    }
}
