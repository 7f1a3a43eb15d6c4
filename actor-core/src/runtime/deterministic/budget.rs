//! What stops a run that never ends on its own: a budget of polls (the
//! steps of a livelock or a spawn storm, which never let virtual time
//! advance, so no virtual deadline stops them) and a wall-clock watchdog.

use std::time::{Duration, Instant};

/// How often (in steps) the watchdog reads the wall clock.
const WATCH_EVERY: u64 = 1024;

/// Why the budget stopped a run.
pub(super) enum Spent {
    Steps,
    Watchdog(Duration),
}

pub(super) struct Budget {
    steps: u64,
    max_steps: u64,
    watchdog: Option<Duration>,
    started: Instant,
}

impl Budget {
    pub(super) fn new(max_steps: u64, watchdog: Option<Duration>) -> Self {
        Budget {
            steps: 0,
            max_steps,
            watchdog,
            started: Instant::now(),
        }
    }

    /// Takes one step (one poll of a task) from the budget; `Err` if none
    /// is left or the watchdog has expired. The wall clock only decides
    /// whether the run goes on, never what it does.
    pub(super) fn step(&mut self) -> Result<(), Spent> {
        if self.steps >= self.max_steps {
            return Err(Spent::Steps);
        }
        if self.steps % WATCH_EVERY == WATCH_EVERY - 1 {
            if let Some(limit) = self.watchdog {
                let wall = self.started.elapsed();
                if wall >= limit {
                    return Err(Spent::Watchdog(wall));
                }
            }
        }
        self.steps += 1;
        Ok(())
    }

    /// The steps taken so far.
    pub(super) fn steps(&self) -> u64 {
        self.steps
    }
}
