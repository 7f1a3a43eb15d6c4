//! Helpers every implementation uses to measure: peak RSS, ask latencies and
//! the barrier that proves the work was done.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::oneshot;

use crate::workloads::{Outcome, nanos};

/// Peak resident set size of this OS process so far, in bytes (`VmHWM`).
///
/// # Panics
///
/// Panics if `/proc/self/status` cannot be read or has no `VmHWM` line.
pub(crate) fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("read /proc/self/status");
    status
        .lines()
        .find_map(|line| {
            let kb = line.strip_prefix("VmHWM:")?.trim().strip_suffix("kB")?;
            kb.trim().parse::<u64>().ok()
        })
        .expect("VmHWM in /proc/self/status")
        * 1024
}

/// Measures the spawn workload's memory: peak RSS before spawning, and the
/// growth per process once all have ended.
#[derive(Debug)]
pub(crate) struct SpawnMeter {
    before: u64,
    start: Instant,
}

impl SpawnMeter {
    /// Reads peak RSS and starts the clock.
    pub(crate) fn start() -> SpawnMeter {
        let before = peak_rss();
        SpawnMeter {
            before,
            start: Instant::now(),
        }
    }

    /// Stops the clock once all `n` processes have ended, and reads peak RSS.
    pub(crate) fn finish(self, n: u64) -> Outcome {
        let elapsed = self.start.elapsed();
        let grown = peak_rss().saturating_sub(self.before);
        Outcome {
            bytes_per_process: Some(grown as f64 / n as f64),
            ..Outcome::timed(elapsed)
        }
    }
}

/// Records the time of every ask, one clock read per ask, so that the mean
/// (total / n) and the p99 come from the same loop.
#[derive(Debug)]
pub(crate) struct AskMeter {
    start: Instant,
    last: Instant,
    latencies: Vec<u64>,
}

impl AskMeter {
    /// Starts the clock, with room for `n` asks.
    pub(crate) fn start(n: u64) -> AskMeter {
        let now = Instant::now();
        AskMeter {
            start: now,
            last: now,
            latencies: Vec::with_capacity(usize::try_from(n).expect("count fits usize")),
        }
    }

    /// Marks the end of one ask.
    #[inline]
    pub(crate) fn tick(&mut self) {
        let now = Instant::now();
        self.latencies.push(nanos(now - self.last));
        self.last = now;
    }

    /// The wall time of all asks and their 99th percentile.
    pub(crate) fn finish(mut self) -> Outcome {
        let elapsed = self.last - self.start;
        Outcome {
            p99_ns: Some(percentile(&mut self.latencies, 0.99)),
            ..Outcome::timed(elapsed)
        }
    }
}

/// The `q` quantile (nearest rank) of `values`; 0 if there are none.
pub(crate) fn percentile(values: &mut [u64], q: f64) -> u64 {
    if values.is_empty() {
        return 0;
    }
    values.sort_unstable();
    let rank = ((q * values.len() as f64).ceil() as usize).clamp(1, values.len());
    values[rank - 1]
}

/// Measures a workload that ends on a [`Done`] barrier.
#[derive(Debug)]
pub(crate) struct Timer(Instant);

impl Timer {
    /// Starts the clock.
    pub(crate) fn start() -> Timer {
        Timer(Instant::now())
    }

    /// The time since the start.
    pub(crate) fn elapsed(&self) -> Duration {
        self.0.elapsed()
    }
}

/// The sending side of the final barrier: the process that sees the work
/// finished fires it once, with a value the driver checks.
///
/// It is a `tokio::sync::oneshot`, which runs on any executor (tokio, actix).
#[derive(Clone, Debug)]
pub(crate) struct Done(Arc<Mutex<Option<oneshot::Sender<u64>>>>);

/// The receiving side of the final barrier, awaited by the driver.
pub(crate) type DoneWait = oneshot::Receiver<u64>;

impl Done {
    /// A new barrier.
    pub(crate) fn new() -> (Done, DoneWait) {
        let (tx, rx) = oneshot::channel();
        (Done(Arc::new(Mutex::new(Some(tx)))), rx)
    }

    /// Fires the barrier with `value`; later fires are ignored.
    pub(crate) fn fire(&self, value: u64) {
        if let Some(tx) = self.0.lock().expect("done lock").take() {
            let _ = tx.send(value);
        }
    }
}

/// Awaits the barrier and checks the value it carries.
///
/// # Panics
///
/// Panics if the barrier was dropped unfired or `expected` differs.
pub(crate) async fn await_done(wait: DoneWait, expected: u64, what: &str) {
    let got = wait.await.expect("the final barrier was dropped unfired");
    assert_eq!(got, expected, "{what}: wrong result");
}
