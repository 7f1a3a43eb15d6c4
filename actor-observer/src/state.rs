//! What the observer keeps while it runs: the runtime it looks at, its
//! token, the last minutes of samples, the recent events, and a channel
//! that tells open pages what is new.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use actor_core::observe::{Event, Observed, Snapshot};
use actor_core::{Ctx, EventsError, ProcessId, Spawn};
use serde::Serialize;
use tokio::sync::{broadcast, watch};

/// Samples kept: one a second, ten minutes.
pub(crate) const HISTORY: usize = 600;
/// Events kept for the log and for a process page's recent exits.
pub(crate) const LOG: usize = 1000;
/// How often the sampler looks.
pub(crate) const EVERY: Duration = Duration::from_secs(1);

/// One look at the system.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Sample {
    /// The runtime's clock, seconds.
    pub(crate) at: f64,
    pub(crate) processes: usize,
    /// Messages received per second since the previous sample.
    pub(crate) received_per_sec: f64,
    pub(crate) sent_per_sec: f64,
    /// Resident memory of the OS process, bytes (`None` where the OS does
    /// not say).
    pub(crate) rss: Option<u64>,
}

/// One line of the event log.
#[derive(Clone, Debug, Serialize)]
#[serde(untagged)]
pub(crate) enum LogEntry {
    Event(Event),
    Missed {
        kind: &'static str,
        missed: u64,
        text: String,
    },
}

impl LogEntry {
    fn missed(n: u64) -> Self {
        LogEntry::Missed {
            kind: "missed",
            missed: n,
            text: format!("the observer fell behind and missed {n} events"),
        }
    }
}

/// What the sampler tells open pages.
#[derive(Clone, Debug)]
pub(crate) enum Live {
    Sample(Sample),
    Log(LogEntry),
}

/// A page shown in the navigation besides the observer's own.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Page {
    pub(crate) title: String,
    pub(crate) path: String,
}

pub(crate) struct State {
    pub(crate) observed: Observed,
    pub(crate) token: Arc<str>,
    pub(crate) pages: Vec<Page>,
    pub(crate) history: Mutex<VecDeque<Sample>>,
    pub(crate) log: Mutex<VecDeque<LogEntry>>,
    pub(crate) live: broadcast::Sender<Live>,
    /// The latest snapshot, taken once a second while a page streams the
    /// table (its receivers count the pages).
    pub(crate) table: watch::Sender<Arc<Snapshot>>,
    pub(crate) nodes: Option<crate::server::NodesFn>,
    /// The way to other nodes' processes, if the observer has one.
    pub(crate) remote: Option<Arc<dyn crate::remote::Remote>>,
}

impl State {
    pub(crate) fn new(
        observed: Observed,
        token: Arc<str>,
        pages: Vec<Page>,
        nodes: Option<crate::server::NodesFn>,
        remote: Option<Arc<dyn crate::remote::Remote>>,
    ) -> Arc<Self> {
        Arc::new(State {
            observed,
            token,
            pages,
            history: Mutex::new(VecDeque::with_capacity(HISTORY)),
            log: Mutex::new(VecDeque::with_capacity(LOG)),
            live: broadcast::channel(1024).0,
            table: watch::channel(Arc::new(Snapshot::default())).0,
            nodes,
            remote,
        })
    }

    pub(crate) fn history(&self) -> Vec<Sample> {
        lock(&self.history).iter().cloned().collect()
    }

    pub(crate) fn log(&self) -> Vec<LogEntry> {
        lock(&self.log).iter().cloned().collect()
    }

    /// The recent exits of the children of `parent`, newest first.
    pub(crate) fn exits_of_children(&self, parent: ProcessId) -> Vec<Event> {
        lock(&self.log)
            .iter()
            .rev()
            .filter_map(|e| match e {
                LogEntry::Event(
                    ev @ Event::Exited {
                        parent: Some(p), ..
                    },
                ) if *p == parent => Some(ev.clone()),
                _ => None,
            })
            .take(20)
            .collect()
    }

    fn push_log(&self, entry: LogEntry) {
        {
            let mut log = lock(&self.log);
            if log.len() == LOG {
                log.pop_front();
            }
            log.push_back(entry.clone());
        }
        let _ = self.live.send(Live::Log(entry));
    }

    fn push_sample(&self, sample: Sample) {
        {
            let mut h = lock(&self.history);
            if h.len() == HISTORY {
                h.pop_front();
            }
            h.push_back(sample.clone());
        }
        let _ = self.live.send(Live::Sample(sample));
    }
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // Nothing panics while these are held.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Resident memory of this OS process, from `/proc/self/status`.
pub(crate) fn rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Starts the sampler: a process that samples the system once a second,
/// keeps the event log, and takes a snapshot for the pages that stream the
/// table. It ends when the observer's state is gone.
pub(crate) fn start_sampler(state: &Arc<State>) {
    let weak = Arc::downgrade(state);
    let events = state.observed.events();
    Spawn::new()
        .label("observer-sampler")
        .system()
        .spawn(move |_: Ctx<()>| sample_loop(weak, events));
}

async fn sample_loop(weak: Weak<State>, mut events: actor_core::observe::Events) {
    let mut last = match weak.upgrade() {
        Some(s) => (s.observed.now(), s.observed.totals()),
        None => return,
    };
    let mut next = actor_core::now() + EVERY;
    loop {
        let tick = actor_core::sleep_until(next);
        tokio::pin!(tick);
        // Events until the next tick.
        loop {
            tokio::select! {
                _ = &mut tick => break,
                e = events.recv() => {
                    let Some(state) = weak.upgrade() else { return };
                    match e {
                        Ok(ev) => state.push_log(LogEntry::Event(ev)),
                        Err(EventsError::Missed(n)) => state.push_log(LogEntry::missed(n)),
                        Err(_) => return,
                    }
                }
            }
        }
        next += EVERY;
        let Some(state) = weak.upgrade() else { return };
        let now = state.observed.now();
        let totals = state.observed.totals();
        let dt = now.saturating_sub(last.0).as_secs_f64().max(1e-9);
        let rate = |a: u64, b: u64| a.saturating_sub(b) as f64 / dt;
        state.push_sample(Sample {
            at: now.as_secs_f64(),
            processes: totals.processes,
            received_per_sec: rate(totals.received, last.1.received),
            sent_per_sec: rate(totals.sent, last.1.sent),
            rss: rss(),
        });
        last = (now, totals);
        if state.table.receiver_count() > 0 {
            state
                .table
                .send_replace(Arc::new(state.observed.snapshot()));
        }
    }
}
