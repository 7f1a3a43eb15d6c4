//! The leak checks: churn that must leave nothing behind.
//!
//! ```text
//! cargo run --release -p tests --bin leaks
//! ```
//!
//! Each check runs its cycles in batches of a thousand and samples RSS
//! after each batch. It passes if RSS over the last tenth of the run is
//! within 10% (or 1 MiB) of RSS over its second tenth (medians; the first
//! tenth brings the runtime, the allocator and the tables to their working
//! size), along with checks of its own:
//!
//! - 1,000,000 spawn/exit cycles, half of them panicking, each process
//!   registering a name, linking to and monitoring a long-lived hub, half
//!   of them undoing all three before they end: the registry is empty
//!   after, and the hub got exactly the exit signals due to it.
//! - 100,000 calls whose callee dies holding the request (returning an
//!   error, panicking, or killed): each fails at once with the callee's
//!   reason.
//! - 100,000 timers cancelled (`send_after` and `send_interval`, an hour
//!   away): none fires.
//! - 1,000,000 short-lived processes that each monitor one long-lived server
//!   and end: the monitors go with them.
//!
//! `--only NAME` runs one check (`spawn`, `calls`, `timers`, `monitors`).
//! The exit code is 1 if any check fails, 2 for a bad command line.
//!
//! The allocator is the system's (glibc's malloc), as a program gets by
//! default: the checks compare quiescent states, between batches, where it
//! gives memory back.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

use actor_core::{
    CallError, Ctx, Down, Exit, ExitReason, Pid, Reply, Runtime, register, send_after,
    send_interval, spawn, unregister, whereis_any,
};
use tests::{Memory, mib};

/// Panics the checks cause on purpose start with this, and are not printed.
const PANIC_TAG: &str = "leak-check panic";
const BATCH: u64 = 1000;
const MAX_GROWTH: f64 = 10.0;
/// Growth under this many bytes passes whatever its percentage: on a
/// baseline of 4 MiB, the allocator's layout alone moves RSS by a few
/// hundred KiB from one run to the next, while a leak of even 8 bytes per
/// cycle shows as 8 MB over a million.
const SLACK: u64 = 1024 * 1024;

const USAGE: &str = "\
usage: leaks [--only spawn|calls|timers|monitors]

Runs churn that must leave nothing behind (spawn/exit cycles, calls whose
callee dies, cancelled timers, short-lived monitoring processes) and checks
that RSS comes back to within 10% of its baseline.";

/// Memory over one check, sampled after every batch.
struct Watch {
    /// (cycles done, RSS) after each batch.
    samples: Vec<(u64, u64)>,
    total: u64,
}

impl Watch {
    fn new(total: u64) -> Watch {
        Watch {
            samples: Vec::new(),
            total,
        }
    }

    /// Called after each batch, once `done` cycles have run.
    fn sample(&mut self, done: u64) {
        self.samples.push((done, Memory::now().rss));
    }

    /// The median RSS of the batches that ended within `from..=to` tenths
    /// of the run.
    fn median(&self, from: u64, to: u64) -> u64 {
        let mut in_range: Vec<u64> = self
            .samples
            .iter()
            .filter(|(done, _)| *done * 10 >= from * self.total && *done * 10 <= to * self.total)
            .map(|&(_, rss)| rss)
            .collect();
        in_range.sort_unstable();
        in_range.get(in_range.len() / 2).copied().unwrap_or(0)
    }

    /// The report line's memory part, and whether RSS came back: the
    /// baseline is the median over the second tenth of the run (the
    /// first brings the runtime, the allocator and the tables to their
    /// working size), the end the median over the last tenth. A leak of
    /// a few bytes per cycle moves both medians apart; a passing spike
    /// does not.
    fn finish(&self) -> (String, bool) {
        let base = self.median(1, 2);
        let end = self.median(9, 10);
        let highest = self.samples.iter().map(|&(_, rss)| rss).max().unwrap_or(0);
        let growth = (end as f64 - base as f64) * 100.0 / base.max(1) as f64;
        (
            format!(
                "rss {} (median over the second tenth), highest {}, {} (median over the last tenth, {growth:+.1}%)",
                mib(base),
                mib(highest),
                mib(end)
            ),
            growth < MAX_GROWTH || end.saturating_sub(base) < SLACK,
        )
    }
}

/// What one check found.
struct Outcome {
    name: &'static str,
    line: String,
    problems: Vec<String>,
}

enum HubMsg {
    Exit(Exit),
    /// How many exit signals have arrived (normal, other), and how many
    /// messages wait.
    Count(Reply<(u64, u64, usize)>),
}
impl From<Exit> for HubMsg {
    fn from(e: Exit) -> Self {
        HubMsg::Exit(e)
    }
}

/// A long-lived process that traps exits and counts them.
fn hub() -> Pid<HubMsg> {
    spawn(|mut ctx: Ctx<HubMsg>| async move {
        ctx.trap_exit();
        let (mut normal, mut other) = (0u64, 0u64);
        loop {
            match ctx.recv().await {
                HubMsg::Exit(e) if e.reason.is_normal() => normal += 1,
                HubMsg::Exit(_) => other += 1,
                HubMsg::Count(reply) => {
                    let _ = reply.send((normal, other, ctx.queued()));
                }
            }
        }
    })
}

fn cycle_name(i: u64) -> String {
    format!("leak-cycle-{i}")
}

/// One spawn/exit cycle's process. `i % 4`: 0 and 1 undo their name, link
/// and monitor themselves, 2 and 3 leave them to their exit; odd ones
/// panic.
async fn cycle(ctx: Ctx<Down>, i: u64, hub: Pid<HubMsg>) {
    let name = cycle_name(i);
    register(&name, &ctx.pid()).expect("a fresh name registers");
    ctx.link(&hub);
    let mref = ctx.monitor(&hub);
    if i % 4 < 2 {
        ctx.unlink(&hub);
        ctx.demonitor(mref);
        assert!(unregister(&name));
    }
    if i % 2 == 1 {
        panic!("{PANIC_TAG}: cycle {i}");
    }
}

/// Waits for every process of a batch to end; notes the first few that
/// ended otherwise than `ok` says.
async fn wait_all<M: Send + 'static>(
    batch: &mut Vec<Pid<M>>,
    problems: &mut Vec<String>,
    ok: impl Fn(&ExitReason) -> bool,
) {
    for pid in batch.drain(..) {
        let reason = pid.wait().await;
        if !ok(&reason) && problems.len() < 5 {
            problems.push(format!("{} ended with {reason}", pid.id()));
        }
    }
}

async fn spawn_exit_cycles(total: u64) -> Outcome {
    let hub = hub();
    let started = Instant::now();
    let (tx, rx) = tokio::sync::oneshot::channel();
    let h = hub.clone();
    spawn(move |_: Ctx<()>| async move {
        let mut watch = Watch::new(total);
        let mut problems = Vec::new();
        let mut batch = Vec::with_capacity(BATCH as usize);
        let mut i = 0;
        while i < total {
            let n = BATCH.min(total - i);
            for k in i..i + n {
                let h = h.clone();
                batch.push(spawn(move |c: Ctx<Down>| cycle(c, k, h)));
            }
            wait_all(&mut batch, &mut problems, |r| {
                r.is_normal() || matches!(r, ExitReason::Panicked(m) if m.starts_with(PANIC_TAG))
            })
            .await;
            i += n;
            watch.sample(i);
        }
        let _ = tx.send((watch, problems));
    });
    let (watch, mut problems) = rx.await.expect("the driver finishes");
    let elapsed = started.elapsed();
    let still_named = (0..total)
        .filter(|&i| whereis_any(&cycle_name(i)).is_some())
        .count();
    if still_named > 0 {
        problems.push(format!("{still_named} names still registered"));
    }
    // Exit signals reach the hub from the cycles that stayed linked (i % 4
    // is 2 or 3): normal or not, a process that traps exits hears of them.
    let due = (
        (0..total).filter(|i| i % 4 == 2).count() as u64,
        (0..total).filter(|i| i % 4 == 3).count() as u64,
    );
    match hub.call(HubMsg::Count, Duration::from_secs(10)).await {
        Ok((normal, other, 0)) if (normal, other) == due => {}
        Ok((normal, other, queued)) => problems.push(format!(
            "the hub got {normal} normal and {other} other exit signals (due: {due:?}), {queued} still queued"
        )),
        Err(e) => problems.push(format!("the hub did not answer: {e}")),
    }
    hub.kill();
    let (memory, flat) = watch.finish();
    if !flat {
        problems.push("rss did not come back".into());
    }
    Outcome {
        name: "spawn",
        line: format!(
            "{total} spawn/exit cycles (half panicking; a name, a link and a monitor each) in {elapsed:.1?}: {memory}; registry empty: {}; hub exit signals due (normal, panicked): {due:?}",
            still_named == 0
        ),
        problems,
    }
}

enum CalleeMsg {
    Req(Reply<u64>),
}

/// A callee that takes the request and dies holding it: by returning an
/// error reason, by panicking, or killed.
async fn doomed_callee(mut ctx: Ctx<CalleeMsg>, how: u64) -> ExitReason {
    let CalleeMsg::Req(reply) = ctx.recv().await;
    match how {
        0 => {
            let _keep = reply;
            ExitReason::other("died mid-call")
        }
        1 => {
            let _keep = reply;
            panic!("{PANIC_TAG}: callee");
        }
        _ => {
            ctx.pid().kill();
            // Killed at this await, the reply still held.
            let _keep = reply;
            ctx.recv().await;
            unreachable!("a killed process does not receive")
        }
    }
}

fn expected_reason(how: u64) -> ExitReason {
    match how {
        0 => ExitReason::other("died mid-call"),
        1 => ExitReason::Panicked(format!("{PANIC_TAG}: callee").into()),
        _ => ExitReason::Killed,
    }
}

async fn calls_to_dying_callees(total: u64) -> Outcome {
    let started = Instant::now();
    let wrong = Arc::new(AtomicU64::new(0));
    let slowest_us = Arc::new(AtomicU64::new(0));
    let (tx, rx) = tokio::sync::oneshot::channel();
    let (w, s) = (wrong.clone(), slowest_us.clone());
    spawn(move |_: Ctx<()>| async move {
        let mut watch = Watch::new(total);
        let mut problems = Vec::new();
        let mut batch = Vec::with_capacity(BATCH as usize);
        let mut i = 0;
        while i < total {
            let n = BATCH.min(total - i);
            for k in i..i + n {
                let (w, s) = (w.clone(), s.clone());
                let caller = spawn(move |_: Ctx<()>| async move {
                    let how = k % 3;
                    let callee = spawn(move |c: Ctx<CalleeMsg>| doomed_callee(c, how));
                    let t = Instant::now();
                    let r = callee.call(CalleeMsg::Req, Duration::from_secs(10)).await;
                    s.fetch_max(t.elapsed().as_micros() as u64, Relaxed);
                    if r != Err(CallError::Exited(expected_reason(how)))
                        && w.fetch_add(1, Relaxed) < 3
                    {
                        eprintln!("leaks: a call to a callee that died ({how}) gave {r:?}");
                    }
                });
                batch.push(caller);
            }
            wait_all(&mut batch, &mut problems, ExitReason::is_normal).await;
            i += n;
            watch.sample(i);
        }
        let _ = tx.send((watch, problems));
    });
    let (watch, mut problems) = rx.await.expect("the driver finishes");
    let elapsed = started.elapsed();
    let wrong = wrong.load(Relaxed);
    if wrong > 0 {
        problems.push(format!(
            "{wrong} calls did not fail with the callee's reason"
        ));
    }
    let (memory, flat) = watch.finish();
    if !flat {
        problems.push("rss did not come back".into());
    }
    Outcome {
        name: "calls",
        line: format!(
            "{total} calls whose callee died holding the request, in {elapsed:.1?}: {memory}; all failed with the callee's reason: {}; slowest {:?}",
            wrong == 0,
            Duration::from_micros(slowest_us.load(Relaxed))
        ),
        problems,
    }
}

enum TargetMsg {
    Timer,
    /// How many timer messages have arrived.
    Count(Reply<u64>),
}

async fn cancelled_timers(total: u64) -> Outcome {
    let started = Instant::now();
    let target = spawn(|mut ctx: Ctx<TargetMsg>| async move {
        let mut fired = 0u64;
        loop {
            match ctx.recv().await {
                TargetMsg::Timer => fired += 1,
                TargetMsg::Count(reply) => {
                    let _ = reply.send(fired);
                }
            }
        }
    });
    let (tx, rx) = tokio::sync::oneshot::channel();
    let t = target.clone();
    spawn(move |_: Ctx<()>| async move {
        let hour = Duration::from_secs(3600);
        let tasks = tokio::runtime::Handle::current().metrics();
        let before = tasks.num_alive_tasks();
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut watch = Watch::new(total);
        let mut i = 0;
        while i < total {
            let n = BATCH.min(total - i);
            for k in i..i + n {
                let timer = if k % 10 == 0 {
                    send_interval(&t, hour, || TargetMsg::Timer)
                } else {
                    send_after(&t, TargetMsg::Timer, hour)
                };
                timer.cancel();
            }
            // A cancelled timer's task ends when it next runs: let them
            // (within a bound: tasks that outlive it are a failure).
            while tasks.num_alive_tasks() > before && Instant::now() < deadline {
                actor_core::yield_now().await;
            }
            i += n;
            watch.sample(i);
        }
        let left = tasks.num_alive_tasks().saturating_sub(before);
        let _ = tx.send((watch, left));
    });
    let (watch, left) = rx.await.expect("the driver finishes");
    let elapsed = started.elapsed();
    let mut problems = Vec::new();
    if left > 0 {
        problems.push(format!(
            "{left} cancelled timers' tasks still alive after 10 s"
        ));
    }
    let fired = target.call(TargetMsg::Count, Duration::from_secs(10)).await;
    match &fired {
        Ok(0) => {}
        Ok(n) => problems.push(format!("{n} cancelled timers fired")),
        Err(e) => problems.push(format!("the target did not answer: {e}")),
    }
    target.kill();
    let (memory, flat) = watch.finish();
    if !flat {
        problems.push("rss did not come back".into());
    }
    Outcome {
        name: "timers",
        line: format!(
            "{total} timers cancelled (a tenth of them intervals), in {elapsed:.1?}: {memory}; none fired: {}; their tasks all ended: {}",
            fired == Ok(0),
            left == 0
        ),
        problems,
    }
}

async fn short_lived_monitors(total: u64) -> Outcome {
    let started = Instant::now();
    let server = spawn(|mut ctx: Ctx<()>| async move { ctx.recv().await });
    let (tx, rx) = tokio::sync::oneshot::channel();
    let s = server.clone();
    spawn(move |_: Ctx<()>| async move {
        let mut watch = Watch::new(total);
        let mut problems = Vec::new();
        let mut batch = Vec::with_capacity(BATCH as usize);
        let mut i = 0;
        while i < total {
            let n = BATCH.min(total - i);
            for _ in 0..n {
                let s = s.clone();
                batch.push(spawn(move |c: Ctx<Down>| async move {
                    c.monitor(&s);
                }));
            }
            wait_all(&mut batch, &mut problems, ExitReason::is_normal).await;
            i += n;
            watch.sample(i);
        }
        let _ = tx.send((watch, problems));
    });
    let (watch, mut problems) = rx.await.expect("the driver finishes");
    let elapsed = started.elapsed();
    server.kill();
    let (memory, flat) = watch.finish();
    if !flat {
        problems.push("rss did not come back".into());
    }
    Outcome {
        name: "monitors",
        line: format!(
            "{total} short-lived processes that each monitored one server, in {elapsed:.1?}: {memory}"
        ),
        problems,
    }
}

fn main() {
    let mut only: Option<String> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--help" | "-h" => {
                println!("{USAGE}");
                return;
            }
            "--only" => match args.next() {
                Some(v) if ["spawn", "calls", "timers", "monitors"].contains(&v.as_str()) => {
                    only = Some(v)
                }
                v => {
                    eprintln!(
                        "leaks: --only takes spawn, calls, timers or monitors, not {v:?}\n\n{USAGE}"
                    );
                    std::process::exit(2);
                }
            },
            other => {
                eprintln!("leaks: unknown argument {other:?}\n\n{USAGE}");
                std::process::exit(2);
            }
        }
    }
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let planned = info
            .payload()
            .downcast_ref::<String>()
            .is_some_and(|m| m.starts_with(PANIC_TAG));
        if !planned {
            default_hook(info);
        }
    }));
    let runs = |name: &str| only.as_deref().is_none_or(|o| o == name);
    let outcomes = Runtime::tokio().block_on(async {
        let mut out = Vec::new();
        if runs("spawn") {
            out.push(spawn_exit_cycles(1_000_000).await);
        }
        if runs("calls") {
            out.push(calls_to_dying_callees(100_000).await);
        }
        if runs("timers") {
            out.push(cancelled_timers(100_000).await);
        }
        if runs("monitors") {
            out.push(short_lived_monitors(1_000_000).await);
        }
        out
    });
    let mut failed = false;
    for o in &outcomes {
        println!("leaks: {}: {}", o.name, o.line);
        for p in &o.problems {
            println!("leaks: {}: FAILED: {p}", o.name);
            failed = true;
        }
    }
    println!(
        "leaks: {} checks, {}",
        outcomes.len(),
        if failed { "FAILED" } else { "all passed" }
    );
    std::process::exit(i32::from(failed));
}
