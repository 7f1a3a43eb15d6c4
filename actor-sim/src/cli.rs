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

use crate::nodes::{NodesConfig, NodesReport};
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
    /// Run on N nodes over NATS: the World on this one, the robots spread
    /// over N-1 robot nodes, each an OS process started here.
    #[arg(long, value_name = "N", value_parser = node_count)]
    pub(crate) nodes: Option<usize>,
    /// The NATS server for `--nodes` (default: a nats-server started for
    /// the run, on a free loopback port).
    #[arg(long, value_name = "URL")]
    pub(crate) nats: Option<String>,
    /// The actor-net cluster of a run on `--nodes` (runs sharing a NATS
    /// server need different ones).
    #[arg(long, value_name = "NAME", default_value = "robot-world")]
    pub(crate) cluster: String,
    /// Kill the first robot node's OS process when tick T begins (needs
    /// `--nodes 3` or more): its robots are restarted on the others.
    #[arg(long, value_name = "T", requires = "nodes")]
    pub(crate) kill_node_at: Option<u64>,
    /// Seconds a silent node is given before it is declared down, with
    /// `--nodes` (default: actor-net's, 2 s; heartbeats every 0.5 s).
    #[arg(long, value_name = "SECONDS", value_parser = grace_secs)]
    pub(crate) grace: Option<Duration>,
    /// Run as robot node K of a run on `--nodes` (started by it).
    #[arg(long, value_name = "K", hide = true, requires = "nats")]
    pub(crate) robot_node: Option<usize>,
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

fn grace_secs(s: &str) -> Result<Duration, String> {
    match s.parse::<f64>() {
        Ok(secs) if secs.is_finite() && secs > 0.5 && secs <= 86_400.0 => {
            Ok(Duration::from_secs_f64(secs))
        }
        Ok(_) => Err("longer than the heartbeat (0.5 s), at most a day".into()),
        Err(e) => Err(format!("not a number of seconds: {e}")),
    }
}

fn node_count(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if n < 2 => Err("at least 2: the World's node and one for robots".into()),
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
    /// A run across nodes.
    pub(crate) nodes: Option<NodesConfig>,
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
        let nodes = self.nodes_config();
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
            nodes,
        })
    }

    /// The run across nodes asked for, checked against the other flags.
    fn nodes_config(&self) -> Option<NodesConfig> {
        let Some(nodes) = self.nodes else {
            if self.nats.is_some() {
                usage("--nats is for a run on --nodes".into());
            }
            if self.grace.is_some() {
                usage("--grace is for a run on --nodes".into());
            }
            return None;
        };
        if self.runtime == RuntimeArg::Deterministic {
            usage(
                "--nodes runs on tokio: nodes talk over NATS, outside the deterministic runtime"
                    .into(),
            );
        }
        if self.observe.is_some() || self.tick_ms > 0 {
            usage("--observe and --tick-ms watch a run on one node, not a run on --nodes".into());
        }
        if self.chaos > 0 {
            usage(
                "--chaos kills robots on one node; with --nodes, kill a node with --kill-node-at"
                    .into(),
            );
        }
        if let Some(tick) = self.kill_node_at {
            if nodes < 3 {
                usage(
                    "--kill-node-at needs --nodes 3 or more: the robots of the killed node need another node"
                        .into(),
                );
            }
            if tick >= self.ticks {
                usage(format!(
                    "--kill-node-at {tick} is past the last tick ({})",
                    self.ticks - 1
                ));
            }
        }
        Some(NodesConfig {
            nodes,
            nats: self.nats.clone(),
            cluster: self.cluster.clone(),
            program: std::env::current_exe().unwrap_or_else(|_| PathBuf::from("robot-world")),
            kill_node_at: self.kill_node_at,
            grace: self.grace,
            current_thread: self.runtime == RuntimeArg::TokioCurrentThread,
        })
    }
}

/// Exits with a usage message (code 2) for flags that conflict.
fn usage(message: String) -> ! {
    Args::command()
        .error(clap::error::ErrorKind::ArgumentConflict, message)
        .exit()
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
    if report.kills > 0 {
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

/// The lines a run across nodes adds to the summary.
pub(crate) fn nodes_summary(report: &NodesReport) -> String {
    let mut s = String::new();
    let (url, started) = &report.nats;
    let _ = writeln!(
        s,
        "nodes: {} (the World on one, robots on {})",
        report.robot_nodes + 1,
        report.robot_nodes
    );
    let _ = writeln!(
        s,
        "nats: {url}{}",
        if *started {
            " (started for the run)"
        } else {
            ""
        }
    );
    if report.lost > 0 || report.restarted > 0 {
        let _ = writeln!(
            s,
            "robot nodes lost: {}; robots restarted on other nodes: {} (of which {} were sent their tick again)",
            report.lost, report.restarted, report.replayed
        );
    }
    s
}
