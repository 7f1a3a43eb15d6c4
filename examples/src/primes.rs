//! A pool of worker processes over pipes (the seed's `multiprocessing`
//! case) counting primes in ranges. Each worker is a child process of the
//! program, seen as a process; the pool monitors them, and when one dies
//! it starts another and hands the lost job out again.
//! Used by the `worker_pool` example and the cross-crate tests.

use std::collections::VecDeque;
use std::time::Duration;

use actor_core::{Ctx, Down, ExitReason, Pid, ProcessId, Reply, spawn};
use actor_io::worker::{Worker, WorkerCommand};
use serde::{Deserialize, Serialize};

/// The worker kind the pool starts.
pub const KIND: &str = "primes";

/// A job: count the primes in `start..end`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Job {
    /// Which job this is (its index in the list).
    pub index: usize,
    /// First number of the range.
    pub start: u64,
    /// One past the last number.
    pub end: u64,
}

/// The work itself, run inside a worker: trial division by odd numbers.
///
/// # Examples
///
/// ```
/// use examples::primes::{count_primes, Job};
///
/// assert_eq!(count_primes(Job { index: 0, start: 0, end: 100 }), 25);
/// ```
pub fn count_primes(job: Job) -> u64 {
    (job.start..job.end).filter(|&n| is_prime(n)).count() as u64
}

fn is_prime(n: u64) -> bool {
    if n < 4 {
        return n >= 2;
    }
    if n.is_multiple_of(2) {
        return false;
    }
    let mut d = 3;
    while d * d <= n {
        if n.is_multiple_of(d) {
            return false;
        }
        d += 2;
    }
    true
}

/// `n` jobs of `size` numbers each, from 0 up.
pub fn jobs(n: usize, size: u64) -> Vec<Job> {
    (0..n)
        .map(|i| Job {
            index: i,
            start: i as u64 * size,
            end: (i as u64 + 1) * size,
        })
        .collect()
}

/// What a pool run produced.
#[derive(Debug)]
pub struct Report {
    /// The count for each job, by index.
    pub results: Vec<u64>,
    /// How many workers died and were replaced.
    pub restarts: usize,
    /// How many jobs were handed out again after their worker died.
    pub retried: usize,
}

type PrimeWorker = Worker<Job, u64>;

enum Msg {
    /// A runner asks for its next job (`None`: no more work).
    Next(ProcessId, Reply<Option<Job>>),
    Done(ProcessId, Job, u64),
    Failed(Job),
    Down(Down),
}

impl From<Down> for Msg {
    fn from(d: Down) -> Self {
        Msg::Down(d)
    }
}

/// How long one job may take.
const JOB_TIMEOUT: Duration = Duration::from_secs(120);

/// Runs `jobs` on a pool of `size` workers started by `command`. After
/// `kill_after` results (if given), the pool kills one busy worker's OS
/// process with `SIGKILL`, to show that it recovers.
///
/// # Errors
///
/// The reason the pool's process ended, if it did not finish (a worker
/// that cannot be started, for instance).
pub async fn run(
    command: WorkerCommand,
    size: usize,
    jobs: Vec<Job>,
    kill_after: Option<usize>,
) -> Result<Report, ExitReason> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let pool = spawn(move |ctx: Ctx<Msg>| async move {
        let report = pool(ctx, command, size, jobs, kill_after).await?;
        let _ = tx.send(report);
        Ok::<(), actor_io::Error>(())
    });
    match rx.await {
        Ok(report) => Ok(report),
        Err(_) => Err(pool.wait().await),
    }
}

struct Slot {
    worker: PrimeWorker,
    runner: ProcessId,
    busy: Option<Job>,
}

async fn pool(
    mut ctx: Ctx<Msg>,
    command: WorkerCommand,
    size: usize,
    jobs: Vec<Job>,
    kill_after: Option<usize>,
) -> Result<Report, actor_io::Error> {
    let total = jobs.len();
    let mut queue: VecDeque<Job> = jobs.into();
    let mut results = vec![None; total];
    let mut done = 0;
    let mut slots: Vec<Slot> = Vec::new();
    let mut waiting: Vec<(ProcessId, Reply<Option<Job>>)> = Vec::new();
    let (mut restarts, mut retried, mut killed) = (0, 0, false);
    for _ in 0..size {
        slots.push(start_worker(&ctx, &command)?);
    }
    while done < total {
        match ctx.recv().await {
            Msg::Next(runner, reply) => match queue.pop_front() {
                Some(job) => hand_out(&mut slots, runner, job, reply),
                None => waiting.push((runner, reply)),
            },
            Msg::Done(runner, job, count) => {
                if let Some(slot) = slots.iter_mut().find(|s| s.runner == runner) {
                    slot.busy = None;
                }
                if results[job.index].is_none() {
                    results[job.index] = Some(count);
                    done += 1;
                }
                if kill_after.is_some_and(|k| done >= k) && !killed {
                    // Kill a busy worker's OS process, midway through a job.
                    if let Some(slot) = slots.iter().find(|s| s.busy.is_some()) {
                        killed = true;
                        let pid = rustix::process::Pid::from_raw(slot.worker.os_pid() as i32);
                        if let Some(pid) = pid {
                            let _ =
                                rustix::process::kill_process(pid, rustix::process::Signal::KILL);
                        }
                    }
                }
            }
            Msg::Failed(job) => {
                retried += 1;
                match waiting.pop() {
                    Some((runner, reply)) => hand_out(&mut slots, runner, job, reply),
                    None => queue.push_front(job),
                }
            }
            Msg::Down(down) => {
                // A worker died: replace it (its runner reports the lost job).
                if let Some(i) = slots.iter().position(|s| s.worker.pid().id() == down.id) {
                    slots.swap_remove(i);
                    restarts += 1;
                    slots.push(start_worker(&ctx, &command)?);
                }
            }
        }
    }
    for (_, reply) in waiting {
        let _ = reply.send(None);
    }
    for slot in &slots {
        slot.worker.stop();
    }
    Ok(Report {
        results: results.into_iter().map(|r| r.unwrap_or(0)).collect(),
        restarts,
        retried,
    })
}

fn hand_out(slots: &mut [Slot], runner: ProcessId, job: Job, reply: Reply<Option<Job>>) {
    if let Some(slot) = slots.iter_mut().find(|s| s.runner == runner) {
        slot.busy = Some(job);
    }
    let _ = reply.send(Some(job));
}

/// Starts a worker owned by the pool (it goes when the pool ends),
/// monitors it, and starts the runner that feeds it.
fn start_worker(ctx: &Ctx<Msg>, command: &WorkerCommand) -> Result<Slot, actor_io::Error> {
    let worker: PrimeWorker = command.clone().spawn(&ctx.pid())?;
    ctx.monitor(&worker);
    let runner = spawn_runner(ctx.pid(), worker.clone());
    Ok(Slot {
        worker,
        runner: runner.id(),
        busy: None,
    })
}

/// A runner: asks the pool for a job, has its worker do it, reports, and
/// again, until there is no more work or its worker dies.
fn spawn_runner(pool: Pid<Msg>, worker: PrimeWorker) -> Pid<()> {
    spawn(move |ctx: Ctx<()>| async move {
        let me = ctx.id();
        loop {
            let Ok(Some(job)) = pool.call(|r| Msg::Next(me, r), actor_core::INFINITY).await else {
                return;
            };
            match worker.call(job, JOB_TIMEOUT).await {
                Ok(count) => {
                    if pool.send(Msg::Done(me, job, count)).await.is_err() {
                        return;
                    }
                }
                Err(_) => {
                    let _ = pool.send(Msg::Failed(job)).await;
                    return;
                }
            }
        }
    })
}
