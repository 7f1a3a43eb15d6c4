//! The parent process: runs every (implementation, workload, repetition) in a
//! fresh child process, interleaved, and reports medians as a markdown table
//! and, if asked, as JSON records.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::impls::{Erlang, Implementation};
use crate::workloads::{Counts, Metric, Outcome, Workload};

/// What to run.
#[derive(Debug)]
pub(crate) struct Plan {
    /// Smaller counts ([`Counts::QUICK`]).
    pub(crate) quick: bool,
    /// Repetitions of every (implementation, workload).
    pub(crate) reps: usize,
    /// Workloads, in table order.
    pub(crate) workloads: Vec<Workload>,
    /// Implementations, in table order.
    pub(crate) implementations: Vec<Implementation>,
    /// Where to write the JSON records.
    pub(crate) json: Option<PathBuf>,
    /// The nats-server to use; `None` starts one if a remote workload needs it.
    pub(crate) nats: Option<String>,
}

/// One JSON record: the statistics of one metric of one implementation.
#[derive(Debug, Serialize)]
struct Record {
    implementation: &'static str,
    workload: &'static str,
    median: f64,
    min: f64,
    max: f64,
    unit: &'static str,
    higher_is_better: bool,
}

/// Median, min and max of the repetitions.
#[derive(Clone, Copy, Debug)]
struct Stats {
    median: f64,
    min: f64,
    max: f64,
}

impl Stats {
    fn of(values: &[f64]) -> Option<Stats> {
        if values.is_empty() {
            return None;
        }
        let mut v = values.to_vec();
        v.sort_by(f64::total_cmp);
        let mid = v.len() / 2;
        let median = if v.len() % 2 == 1 {
            v[mid]
        } else {
            (v[mid - 1] + v[mid]) / 2.0
        };
        Some(Stats {
            median,
            min: v[0],
            max: v[v.len() - 1],
        })
    }
}

/// Everything the children reported.
#[derive(Debug, Default)]
struct Results {
    samples: HashMap<(Implementation, Metric), Vec<f64>>,
    failures: Vec<(Implementation, Workload, String)>,
    /// Implementations that could not run at all, with the reason.
    unavailable: HashMap<Implementation, String>,
}

impl Results {
    fn stats(&self, imp: Implementation, metric: Metric) -> Option<Stats> {
        Stats::of(self.samples.get(&(imp, metric))?)
    }

    fn failed(&self, imp: Implementation, workload: Workload) -> bool {
        self.failures
            .iter()
            .any(|(i, w, _)| *i == imp && *w == workload)
    }
}

/// Runs the plan and prints the table; fails if any child failed.
pub(crate) fn run(plan: &Plan) -> ExitCode {
    let started = Instant::now();
    let counts = Counts::new(plan.quick);
    let exe = std::env::current_exe().expect("current exe");
    let timeout = Duration::from_secs(if plan.quick { 60 } else { 600 });
    let mut results = Results::default();

    let erlang = if plan.implementations.contains(&Implementation::Erlang) {
        match Erlang::prepare() {
            Ok(erlang) => Some(erlang),
            Err(reason) => {
                eprintln!("erlang: {reason}; its row says so");
                results.unavailable.insert(Implementation::Erlang, reason);
                None
            }
        }
    } else {
        None
    };
    let beam_dir = erlang.as_ref().map(Erlang::beam_dir);

    let needs_nats = plan
        .implementations
        .iter()
        .any(|i| plan.workloads.iter().any(|w| i.needs_nats(*w)));
    // Kept until the end of the run, then killed with its store.
    let mut local_nats = None;
    let nats = match (&plan.nats, needs_nats) {
        (Some(url), _) => Some(url.clone()),
        (None, true) => match actor_net::NatsServer::start() {
            Ok(server) => {
                let url = server.url();
                eprintln!("nats-server started at {url}");
                local_nats = Some(server);
                Some(url)
            }
            Err(e) => {
                eprintln!("{e}; the NATS rows say so");
                results
                    .unavailable
                    .insert(Implementation::NatsRaw, e.to_string());
                None
            }
        },
        (None, false) => None,
    };

    eprintln!(
        "benches: {} mode, {} repetitions, {} workloads x {} implementations, each run in a fresh process",
        if plan.quick { "quick" } else { "full" },
        plan.reps,
        plan.workloads.len(),
        plan.implementations.len()
    );
    let available: Vec<Implementation> = plan
        .implementations
        .iter()
        .copied()
        .filter(|i| !results.unavailable.contains_key(i))
        .collect();
    for rep in 0..plan.reps {
        for &workload in &plan.workloads {
            let runnable: Vec<Implementation> = available
                .iter()
                .copied()
                .filter(|i| i.supports(workload))
                .collect();
            // Interleave the implementations, starting one further each repetition.
            for k in 0..runnable.len() {
                let imp = runnable[(k + rep) % runnable.len()];
                let run_started = Instant::now();
                let outcome = run_child(
                    &exe,
                    imp,
                    workload,
                    plan.quick,
                    beam_dir,
                    nats.as_deref(),
                    timeout,
                );
                let secs = run_started.elapsed().as_secs_f64();
                match outcome {
                    Ok(outcome) => {
                        let shown: Vec<String> = workload
                            .metrics()
                            .iter()
                            .filter_map(|&m| {
                                let v = m.value(&counts, &outcome)?;
                                results.samples.entry((imp, m)).or_default().push(v);
                                Some(format!("{} {}", format_value(m, v), m.unit()))
                            })
                            .collect();
                        eprintln!(
                            "[{}/{}] {:<10} {:<26} {}  ({secs:.2} s)",
                            rep + 1,
                            plan.reps,
                            workload.name(),
                            imp.name(),
                            shown.join(", ")
                        );
                    }
                    Err(reason) => {
                        eprintln!(
                            "[{}/{}] {:<10} {:<26} FAILED: {reason}",
                            rep + 1,
                            plan.reps,
                            workload.name(),
                            imp.name()
                        );
                        results.failures.push((imp, workload, reason));
                    }
                }
            }
        }
    }

    let versions = Versions {
        erlang: erlang.as_ref().map(|e| e.release().to_string()),
        nats: nats_server_version(),
    };
    drop(local_nats);
    print!("{}", table(plan, &counts, &results, &versions));
    println!();
    println!("Total time: {:.1} s.", started.elapsed().as_secs_f64());

    if let Some(path) = &plan.json {
        let records = records(plan, &results);
        let text = serde_json::to_string_pretty(&records).expect("serialize records");
        if let Err(e) = std::fs::write(path, text + "\n") {
            eprintln!("cannot write {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
        eprintln!("wrote {} records to {}", records.len(), path.display());
    }
    if results.failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// The version `nats-server --version` prints, if it runs.
fn nats_server_version() -> Option<String> {
    let out = ["nats-server", "/usr/sbin/nats-server"]
        .iter()
        .find_map(|bin| Command::new(bin).arg("--version").output().ok())?;
    let text = String::from_utf8_lossy(&out.stdout);
    Some(text.trim().trim_start_matches("nats-server: ").to_string())
}

/// Re-executes this binary as `--child IMPL WORKLOAD` and parses its result.
fn run_child(
    exe: &Path,
    imp: Implementation,
    workload: Workload,
    quick: bool,
    beam_dir: Option<&Path>,
    nats: Option<&str>,
    timeout: Duration,
) -> Result<Outcome, String> {
    let mut cmd = Command::new(exe);
    cmd.args(["--child", imp.name(), workload.name()]);
    if quick {
        cmd.arg("--quick");
    }
    if let Some(dir) = beam_dir {
        cmd.arg("--beam-dir").arg(dir);
    }
    if let Some(url) = nats {
        cmd.args(["--nats", url]);
    }
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start child: {e}"))?;
    let stdout = drain(child.stdout.take().expect("piped stdout"));
    let stderr = drain(child.stderr.take().expect("piped stderr"));
    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("timed out after {} s", timeout.as_secs()));
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let stdout = stdout.join().unwrap_or_default();
    let stderr = stderr.join().unwrap_or_default();
    if !status.success() {
        let tail: Vec<&str> = stderr.lines().rev().take(6).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        return Err(format!("child {status}: {}", tail.join(" | ")));
    }
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("RESULT "))
        .ok_or_else(|| "child printed no RESULT line".to_string())?;
    serde_json::from_str(line).map_err(|e| format!("bad RESULT line: {e}"))
}

/// Reads a pipe to the end on a thread, so that neither pipe can fill up.
fn drain<R: Read + Send + 'static>(mut pipe: R) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut text = String::new();
        let _ = pipe.read_to_string(&mut text);
        text
    })
}

fn records(plan: &Plan, results: &Results) -> Vec<Record> {
    let mut out = Vec::new();
    for &imp in &plan.implementations {
        for &workload in &plan.workloads {
            for &metric in workload.metrics() {
                if let Some(s) = results.stats(imp, metric) {
                    out.push(Record {
                        implementation: imp.name(),
                        workload: metric.key(),
                        median: s.median,
                        min: s.min,
                        max: s.max,
                        unit: metric.unit(),
                        higher_is_better: metric.higher_is_better(),
                    });
                }
            }
        }
    }
    out
}

/// Versions that are only known at run time.
#[derive(Debug)]
struct Versions {
    erlang: Option<String>,
    nats: Option<String>,
}

/// The markdown table, with one ratio row per actor-core implementation, and
/// its notes.
fn table(plan: &Plan, counts: &Counts, results: &Results, versions: &Versions) -> String {
    let metrics: Vec<Metric> = plan
        .workloads
        .iter()
        .flat_map(|w| w.metrics().iter().copied())
        .collect();
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut header = vec!["implementation".to_string()];
    header.extend(metrics.iter().map(|m| {
        let arrow = if m.higher_is_better() { "↑" } else { "↓" };
        format!("{} ({} {arrow})", m.key(), m.unit())
    }));
    rows.push(header);

    for &imp in &plan.implementations {
        let mut row = vec![imp.name().to_string()];
        for (k, &metric) in metrics.iter().enumerate() {
            let workload = workload_of(metric, &plan.workloads);
            let cell = if let Some(reason) = results.unavailable.get(&imp) {
                if k == 0 {
                    reason.clone()
                } else {
                    "–".to_string()
                }
            } else if !imp.supports(workload) {
                "n/a".to_string()
            } else if let Some(s) = results.stats(imp, metric) {
                let spread = (s.max - s.median).max(s.median - s.min) / s.median * 100.0;
                let failed = if results.failed(imp, workload) {
                    " (some failed)"
                } else {
                    ""
                };
                format!("{} ±{spread:.0}%{failed}", format_value(metric, s.median))
            } else if results.failed(imp, workload) {
                "failed".to_string()
            } else {
                "–".to_string()
            };
            row.push(cell);
        }
        rows.push(row);
    }

    let ours: Vec<Implementation> = plan
        .implementations
        .iter()
        .copied()
        .filter(|i| i.is_actor_core())
        .collect();
    for &ours in &ours {
        for baseline in Baseline::ALL {
            let mut row = vec![format!("**{} vs {}**", ours.name(), baseline.label())];
            for &metric in &metrics {
                row.push(advantage_cell(plan, results, ours, baseline, metric));
            }
            rows.push(row);
        }
    }

    let mut out = String::new();
    for (i, row) in rows.iter().enumerate() {
        out.push_str("| ");
        out.push_str(&row.join(" | "));
        out.push_str(" |\n");
        if i == 0 {
            out.push_str("|---");
            out.push_str(&"|---:".repeat(row.len() - 1));
            out.push_str("|\n");
        }
    }
    out.push('\n');
    for note in notes(plan, counts, results, versions) {
        out.push_str("- ");
        out.push_str(&note);
        out.push('\n');
    }
    out
}

fn workload_of(metric: Metric, workloads: &[Workload]) -> Workload {
    *workloads
        .iter()
        .find(|w| w.metrics().contains(&metric))
        .expect("metric of a planned workload")
}

/// What an actor-core row is compared with.
#[derive(Clone, Copy)]
enum Baseline {
    /// The best of ractor, kameo and actix.
    BestActorPeer,
    /// Erlang/OTP.
    Erlang,
    /// Raw tokio channels on the same runtime flavour: the floor an actor
    /// layer adds to.
    TokioSameFlavour,
}

impl Baseline {
    const ALL: [Baseline; 3] = [
        Baseline::BestActorPeer,
        Baseline::Erlang,
        Baseline::TokioSameFlavour,
    ];

    fn label(self) -> &'static str {
        match self {
            Baseline::BestActorPeer => "best Rust actor peer",
            Baseline::Erlang => "erlang",
            Baseline::TokioSameFlavour => "its floor (tokio-mpsc same flavour; nats-raw)",
        }
    }

    fn candidates(self, ours: Implementation) -> Vec<Implementation> {
        match self {
            Baseline::BestActorPeer => vec![
                Implementation::Ractor,
                Implementation::Kameo,
                Implementation::Actix,
            ],
            Baseline::Erlang => vec![Implementation::Erlang],
            Baseline::TokioSameFlavour => vec![match ours {
                Implementation::ActorCore => Implementation::TokioMpsc,
                Implementation::ActorNet => Implementation::NatsRaw,
                _ => Implementation::TokioMpscCurrentThread,
            }],
        }
    }
}

/// How many times better `ours` is than the best of the baseline's
/// implementations (above 1: actor-core is ahead), naming that one.
fn advantage_cell(
    plan: &Plan,
    results: &Results,
    ours: Implementation,
    baseline: Baseline,
    metric: Metric,
) -> String {
    let candidates = baseline.candidates(ours);
    let Some(ours) = results.stats(ours, metric) else {
        return "–".to_string();
    };
    let best = candidates
        .into_iter()
        .filter(|i| plan.implementations.contains(i))
        .filter_map(|i| Some((i, results.stats(i, metric)?.median)))
        .reduce(|a, b| {
            let b_better = if metric.higher_is_better() {
                b.1 > a.1
            } else {
                b.1 < a.1
            };
            if b_better { b } else { a }
        });
    match best {
        Some((peer, median)) if median > 0.0 && ours.median > 0.0 => {
            let advantage = if metric.higher_is_better() {
                ours.median / median
            } else {
                median / ours.median
            };
            format!("{advantage:.2}× ({})", peer.name())
        }
        _ => "–".to_string(),
    }
}

fn notes(plan: &Plan, counts: &Counts, results: &Results, versions: &Versions) -> Vec<String> {
    let mut notes = vec![
        format!(
            "Median of {} runs; every (implementation, workload, run) in a fresh OS process, implementations \
             interleaved; ± is the larger distance of min or max from the median. ↑ higher is better, ↓ lower is \
             better; the \"vs\" rows say how many times better actor-core's median is than the baseline's (named): \
             above 1× actor-core is ahead, whichever way the column counts.",
            plan.reps
        ),
        format!(
            "Counts{}: ping-pong {} round trips; fan-in {} producers × {} messages; ask {} sequential asks; spawn {} \
             processes; ring {} processes × {} hops; skynet {} leaves ({} processes).",
            if plan.quick { " (--quick)" } else { "" },
            counts.ping_pong_round_trips,
            counts.fan_in_producers,
            counts.fan_in_per_producer,
            counts.ask_requests,
            counts.spawn_processes,
            counts.ring_processes,
            counts.ring_hops,
            counts.skynet_leaves,
            (counts.skynet_leaves * 10 - 1) / 9,
        ),
        format!(
            "Runtimes: tokio {} multi-thread with 2 workers for actor-core, tokio-mpsc, ractor {} and kameo {}; \
             tokio's current-thread runtime for the -current-thread rows; actix {} on its own System (actix-rt {}, one \
             thread); Erlang/OTP {} as `erl -noshell +S 2 +P 2097152` (+P lets skynet's processes fit). The driver \
             is a task spawned on the runtime's workers (robot-world excepted: `actor_sim::run` drives its own \
             runtime).",
            env!("BENCHES_VERSION_TOKIO"),
            env!("BENCHES_VERSION_RACTOR"),
            env!("BENCHES_VERSION_KAMEO"),
            env!("BENCHES_VERSION_ACTIX"),
            env!("BENCHES_VERSION_ACTIX_RT"),
            versions.erlang.as_deref().unwrap_or("(not run)"),
        ),
        "Mailboxes are unbounded everywhere: actor-core's default, tokio `unbounded_channel`, ractor's own, kameo \
         `mailbox::unbounded()`, actix `set_mailbox_capacity(0)`, Erlang's. Tells never wait (actor-core and \
         tokio `send`, kameo `try_send`, actix `do_send`); actor-core's ask is `call` with `INFINITY` (no timer \
         armed), as the peers' asks have no deadline either."
            .to_string(),
        "Every Rust implementation runs in one binary with mimalloc as the global allocator, so memory compares \
         like with like."
            .to_string(),
        format!(
            "robot-world and robot-world-1m (actor-core only; n/a for the peers, which have no robot world): \
             actor-sim with {} and {} random robots (seed fixed) for {} and {} ticks as World, Robot and \
             Display processes via `actor_sim::run` on actor-core's `Runtime::tokio()` (one worker per core) or \
             `Runtime::tokio_current_thread()`, rate from actor-sim's own ticking time (tick 0 to the World's \
             end; the setup that spawns and joins the robots is left out, as actor-sim leaves it out, and is \
             the -setup column); -vs-loop: that rate ÷ the rate of `actor_sim::plain::run` over the same \
             scenario in the same process (the collisions are checked equal); -rss: peak RSS (VmHWM) of the \
             OS process once the world has run, before the plain loop.",
            counts.robot_world_robots,
            counts.robot_world_1m_robots,
            counts.robot_world_ticks,
            counts.robot_world_1m_ticks
        ),
        "spawn-memory: growth of peak RSS (VmHWM) over the spawn workload ÷ processes; skynet-rss: peak RSS of the \
         whole OS process. ask-p99: 99th percentile of one ask, timed one clock read per ask."
            .to_string(),
    ];
    if plan.workloads.iter().any(|w| w.is_remote()) {
        notes.push(format!(
            "remote-* (two OS processes on this machine): remote-ping-pong {} sequential round trips; remote-tell \
             {} tells of one integer from one process, then one barrier; remote-call {} sequential calls (mean and \
             p99). nats-raw: bare async-nats {} publish/subscribe, each OS process with its own connection to one \
             local nats-server {} (call: async-nats `request`), the floor NATS sets. erlang: two `erl -sname` \
             nodes with Erlang distribution; they talk over one direct TCP connection, where NATS nodes go through \
             the server (two hops), which buys no full mesh of connections, NATS clusters and leaf nodes for \
             scale, NATS authentication, and one port to open.",
            counts.remote_round_trips,
            counts.remote_tells,
            counts.remote_calls,
            env!("BENCHES_VERSION_ASYNC_NATS"),
            versions.nats.as_deref().unwrap_or("(given by --nats)"),
        ));
    }
    for (imp, workload, reason) in &results.failures {
        notes.push(format!(
            "FAILED {} / {}: {reason}",
            imp.name(),
            workload.name()
        ));
    }
    notes
}

/// A value with three significant digits and an SI suffix where it helps.
pub(crate) fn format_value(metric: Metric, v: f64) -> String {
    match metric {
        Metric::AskMean
        | Metric::AskP99
        | Metric::Skynet
        | Metric::SkynetRss
        | Metric::RobotWorldVsLoop
        | Metric::RobotWorldSetup
        | Metric::RobotWorldRss
        | Metric::RobotWorld1mVsLoop
        | Metric::RobotWorld1mSetup
        | Metric::RobotWorld1mRss => sig3(v),
        _ => si(v),
    }
}

fn si(v: f64) -> String {
    let (scaled, suffix) = if v >= 1e9 {
        (v / 1e9, " G")
    } else if v >= 1e6 {
        (v / 1e6, " M")
    } else if v >= 1e3 {
        (v / 1e3, " k")
    } else {
        (v, "")
    };
    format!("{}{suffix}", sig3(scaled))
}

fn sig3(v: f64) -> String {
    let a = v.abs();
    if a >= 100.0 {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else if a >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        let s = Stats::of(&[3.0, 1.0, 2.0]).unwrap();
        assert_eq!((s.median, s.min, s.max), (2.0, 1.0, 3.0));
        let s = Stats::of(&[4.0, 1.0, 2.0, 3.0]).unwrap();
        assert_eq!(s.median, 2.5);
        assert!(Stats::of(&[]).is_none());
    }

    #[test]
    fn values_read_well() {
        assert_eq!(si(5_612_345.0), "5.61 M");
        assert_eq!(si(915.0), "915");
        assert_eq!(si(6_912.0), "6.91 k");
        assert_eq!(sig3(0.4021), "0.402");
    }
}
