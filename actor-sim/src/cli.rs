//! Command-line arguments of `robot-world`, their validation, the progress
//! bar and the summary.

use std::fmt::Write as _;
use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use actor_sim::display::{Outputs, Recorder};
use actor_sim::picture::DEFAULT_TRAIL;
use actor_sim::{Report, RuntimeKind, Scenario, SimConfig, SimError};
use clap::{CommandFactory, Parser, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// The picture written when the command runs with no flags at all.
pub(crate) const DEFAULT_PNG: &str = "world.png";

/// Runs the robot world of the seed document headless: World, Display and
/// one process per robot.
#[derive(Debug, Parser)]
#[command(name = "robot-world", version, about, long_about = None)]
pub(crate) struct Args {
    /// Ticks to run.
    #[arg(long, value_name = "N", default_value_t = 1000, value_parser = at_least_one)]
    pub(crate) ticks: u64,
    /// Run N random robots instead of the seed's twelve.
    #[arg(long, value_name = "N", value_parser = robot_count)]
    pub(crate) robots: Option<usize>,
    /// Seed for random robots, chaos and the deterministic runtime.
    #[arg(long, value_name = "S", default_value_t = 1)]
    pub(crate) seed: u64,
    /// Write one JSON line per tick to FILE.
    #[arg(long, value_name = "FILE")]
    pub(crate) trace: Option<PathBuf>,
    /// Write a picture of the last tick to FILE (default `world.png` when
    /// the command runs with no flags).
    #[arg(long, value_name = "FILE")]
    pub(crate) png: Option<PathBuf>,
    /// Write a picture every `--every` ticks into DIR (created if missing).
    #[arg(long, value_name = "DIR")]
    pub(crate) frames: Option<PathBuf>,
    /// Frame interval for `--frames`, in ticks.
    #[arg(long, value_name = "K", default_value_t = 1, value_parser = at_least_one, requires = "frames")]
    pub(crate) every: u64,
    /// Kill K random robots per tick; their supervisor restarts them.
    #[arg(long, value_name = "K", default_value_t = 0)]
    pub(crate) chaos: u32,
    /// The runtime the processes run on.
    #[arg(long, value_enum, default_value_t = RuntimeArg::Tokio)]
    pub(crate) runtime: RuntimeArg,
    /// Positions shown in each robot's trail.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_TRAIL)]
    pub(crate) trail: usize,
    /// Serve the observer and a live view of the world on ADDR (such as
    /// 127.0.0.1:7070) while the world runs; tokio runtimes only.
    #[arg(long, value_name = "ADDR")]
    pub(crate) observe: Option<SocketAddr>,
    /// Make each tick take at least MS milliseconds (0: as fast as it goes).
    #[arg(long, value_name = "MS", default_value_t = 0)]
    pub(crate) tick_ms: u64,
}

/// `--runtime`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum RuntimeArg {
    /// tokio, multi-thread.
    Tokio,
    /// tokio, current-thread.
    TokioCurrentThread,
    /// actor-core's deterministic runtime, seeded by `--seed`.
    Deterministic,
}

fn at_least_one(s: &str) -> Result<u64, String> {
    match s.parse::<u64>() {
        Ok(0) => Err("must be at least 1".into()),
        Ok(n) => Ok(n),
        Err(e) => Err(format!("not a number: {e}")),
    }
}

fn robot_count(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(0) => Err("the world needs at least one robot".into()),
        Ok(n) if u32::try_from(n).is_err() => Err(format!("at most {} robots", u32::MAX)),
        Ok(n) => Ok(n),
        Err(e) => Err(format!("not a number: {e}")),
    }
}

/// Everything a run needs, checked.
pub(crate) struct Plan {
    pub(crate) scenario: Scenario,
    pub(crate) config: SimConfig,
    pub(crate) outputs: Outputs,
}

impl Args {
    /// Parses the command line; with no arguments at all, asks for the
    /// default picture. Exits with a usage message on bad flags.
    pub(crate) fn from_env() -> Self {
        let bare = std::env::args_os().len() <= 1;
        let mut args = Self::parse();
        if bare {
            args.png = Some(PathBuf::from(DEFAULT_PNG));
        }
        args
    }

    /// Checks combinations clap cannot and builds the plan. Exits with a
    /// usage message (code 2) when the flags do not make sense together.
    pub(crate) fn plan(&self) -> Result<Plan, SimError> {
        let scenario = match self.robots {
            Some(n) => Scenario::random(n, self.seed)?,
            None => Scenario::seed(),
        };
        if self.chaos as usize > scenario.len() {
            Self::command()
                .error(
                    clap::error::ErrorKind::ValueValidation,
                    format!(
                        "--chaos {} kills more robots per tick than the {} in the world",
                        self.chaos,
                        scenario.len()
                    ),
                )
                .exit();
        }
        if self.observe.is_some() && self.runtime == RuntimeArg::Deterministic {
            Self::command()
                .error(
                    clap::error::ErrorKind::ArgumentConflict,
                    "--observe needs a tokio runtime: the deterministic runtime has no sockets",
                )
                .exit();
        }
        let runtime = match self.runtime {
            RuntimeArg::Tokio => RuntimeKind::Tokio,
            RuntimeArg::TokioCurrentThread => RuntimeKind::TokioCurrentThread,
            RuntimeArg::Deterministic => RuntimeKind::Deterministic { seed: self.seed },
        };
        Ok(Plan {
            scenario,
            config: SimConfig {
                ticks: self.ticks,
                runtime,
                chaos: self.chaos,
                chaos_seed: self.seed,
                tick_interval: Duration::from_millis(self.tick_ms),
            },
            outputs: Outputs {
                trace: self.trace.clone(),
                png: self.png.clone(),
                frames: self.frames.clone(),
                every: self.every,
                trail: self.trail,
            },
        })
    }
}

/// A progress bar on stderr that appears once a run has taken a second, and
/// never when stderr is not a terminal.
pub(crate) fn progress(recorder: Recorder, ticks: u64) -> (Recorder, ProgressBar) {
    let bar = ProgressBar::with_draw_target(Some(ticks), ProgressDrawTarget::hidden());
    if let Ok(style) = ProgressStyle::with_template(
        "{elapsed_precise} [{wide_bar}] tick {pos}/{len} ({per_sec}, eta {eta})",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    let on_terminal = std::io::stderr().is_terminal();
    let started = Instant::now();
    let mut shown = false;
    let hook_bar = bar.clone();
    let recorder = recorder.on_tick(move |tick| {
        if on_terminal && !shown && started.elapsed() >= Duration::from_secs(1) {
            hook_bar.set_draw_target(ProgressDrawTarget::stderr());
            shown = true;
        }
        hook_bar.set_position(tick + 1);
    });
    (recorder, bar)
}

/// The summary printed on stdout at the end of a run.
pub(crate) fn summary(report: &Report, runtime: RuntimeKind) -> String {
    let mut s = String::new();
    let runtime = match runtime {
        RuntimeKind::Deterministic { seed } => format!("deterministic (seed {seed})"),
        RuntimeKind::TokioCurrentThread => "tokio (current thread)".to_string(),
        _ => "tokio".to_string(),
    };
    let _ = writeln!(s, "runtime: {runtime}");
    let _ = writeln!(s, "robots: {}", report.robots);
    let _ = writeln!(s, "ticks: {}", report.stats.ticks);
    let _ = writeln!(s, "collisions: {}", report.stats.collisions);
    let _ = writeln!(s, "messages: {}", report.stats.messages);
    if report.kills > 0 || report.stats.rejoins > 0 {
        let _ = writeln!(
            s,
            "chaos: {} killed, {} rejoined, {} of {} robots joined at the end",
            report.kills, report.stats.rejoins, report.joined_at_end, report.robots
        );
    }
    let _ = writeln!(
        s,
        "wall time: {:.3} s (setup {:.3} s, ticks {:.3} s)",
        report.wall().as_secs_f64(),
        report.setup.as_secs_f64(),
        report.ticking.as_secs_f64()
    );
    let _ = writeln!(s, "rate: {:.0} robot-ticks/s", report.robot_ticks_per_sec());
    let rec = &report.recorded;
    if rec.trace_lines > 0 {
        let _ = writeln!(s, "trace: {} lines", rec.trace_lines);
    }
    if rec.frames > 0 {
        let _ = writeln!(s, "frames: {}", rec.frames);
    }
    if let Some(png) = &rec.png {
        let _ = writeln!(s, "picture: {}", png.display());
    }
    s
}
