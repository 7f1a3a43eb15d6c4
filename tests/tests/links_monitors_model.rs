//! Links and monitors against a model of Erlang's rules, on the
//! deterministic runtime: generated process graphs, links made and
//! removed, monitors set up and removed, exits trapped or not, and
//! processes ending normally, with a reason, by a panic, by a kill or by
//! an exit signal sent from outside.
//!
//! The rules the model follows (Erlang's):
//! - When a process ends with reason R, each process linked to it gets an
//!   exit signal R, and the link is gone. A process that traps exits
//!   receives it as an `Exit` message; one that does not ends with R,
//!   unless R is `normal`, which it ignores.
//! - A kill cannot be trapped: the process ends with `killed`, and its
//!   linked processes get `killed`, which they can trap.
//! - An exit signal sent from outside with reason R: trapped, it is a
//!   message; otherwise it ends the process unless R is `normal`.
//! - Each monitor gives exactly one `Down` with the reason, unless removed
//!   first or its holder ended first; monitoring a process that has ended
//!   gives `Down` with `noproc` at once.
//! - Linking to a process that has ended gives an exit signal with reason
//!   `noproc` (as `link/1`): trapped, a message; otherwise the end.
//!
//! The test takes one step at a time and lets everything settle before
//! the next: on the deterministic runtime virtual time only passes when
//! nothing can run, so a one-millisecond sleep returns once every signal
//! of the step has been delivered and handled. After each step every
//! process must be alive or ended as the model says, with the model's
//! reason, having observed exactly the model's signals. One freedom is
//! Erlang's own: signals from different processes are not ordered, so a
//! process that ends in a step because of another's exit may or may not
//! have seen a `Down` that was on its way; its observations in that step
//! must be among those the model allows.

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actor_core::deterministic::{self, Config};
use actor_core::{AnyPid, Ctx, Down, Exit, ExitReason, MonitorRef, Pid, ProcessId, spawn};
use proptest::prelude::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Reason {
    Normal,
    Shutdown,
    Other,
}

impl Reason {
    fn exit_reason(self) -> ExitReason {
        match self {
            Reason::Normal => ExitReason::Normal,
            Reason::Shutdown => ExitReason::Shutdown,
            Reason::Other => ExitReason::other("boom"),
        }
    }
}

/// One step. Process indices are taken modulo the number of processes.
#[derive(Clone, Copy, Debug)]
enum Act {
    Link(usize, usize),
    Unlink(usize, usize),
    Monitor(usize, usize),
    /// Removes the `k`-th monitor (modulo their number) `a` holds.
    Demonitor(usize, usize),
    Trap(usize, bool),
    /// The process's body returns this reason.
    End(usize, Reason),
    Panic(usize),
    Kill(usize),
    /// An exit signal sent from outside any process.
    Signal(usize, Reason),
}

#[derive(Clone, Debug)]
struct Case {
    processes: usize,
    acts: Vec<Act>,
}

/// What a process observed: an exit signal as a message (`from` is
/// `None` when it came from outside any process) or a `Down`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Obs {
    Exit {
        from: Option<usize>,
        reason: String,
    },
    Down {
        monitor: usize,
        from: usize,
        reason: String,
    },
}

enum Cmd {
    Link(AnyPid),
    Unlink(AnyPid),
    Monitor(usize, AnyPid),
    Demonitor(usize),
    Trap(bool),
    End(ExitReason),
    Panic,
}

enum Msg {
    Cmd(Cmd),
    Exit(Exit),
    Down(Down),
}
impl From<Exit> for Msg {
    fn from(e: Exit) -> Self {
        Msg::Exit(e)
    }
}
impl From<Down> for Msg {
    fn from(d: Down) -> Self {
        Msg::Down(d)
    }
}

/// What the processes share with the test: raw observations, and the
/// model's number of each monitor reference.
#[derive(Default)]
struct Shared {
    logs: Mutex<Vec<Vec<RawObs>>>,
    monitors: Mutex<HashMap<MonitorRef, usize>>,
}

enum RawObs {
    Exit(Exit),
    Down(Down),
}

async fn process(mut ctx: Ctx<Msg>, me: usize, shared: Arc<Shared>) -> ExitReason {
    let mut held: HashMap<usize, MonitorRef> = HashMap::new();
    loop {
        match ctx.recv().await {
            Msg::Cmd(Cmd::Link(p)) => ctx.link(p),
            Msg::Cmd(Cmd::Unlink(p)) => ctx.unlink(p),
            Msg::Cmd(Cmd::Monitor(k, p)) => {
                let mref = ctx.monitor(p);
                shared.monitors.lock().unwrap().insert(mref, k);
                held.insert(k, mref);
            }
            Msg::Cmd(Cmd::Demonitor(k)) => {
                let mref = held
                    .remove(&k)
                    .expect("the model removes a monitor it holds");
                ctx.demonitor(mref);
            }
            Msg::Cmd(Cmd::Trap(true)) => ctx.trap_exit(),
            Msg::Cmd(Cmd::Trap(false)) => ctx.untrap_exit(),
            Msg::Cmd(Cmd::End(reason)) => return reason,
            Msg::Cmd(Cmd::Panic) => panic!("boom"),
            Msg::Exit(e) => shared.logs.lock().unwrap()[me].push(RawObs::Exit(e)),
            Msg::Down(d) => shared.logs.lock().unwrap()[me].push(RawObs::Down(d)),
        }
    }
}

struct ModelProcess {
    alive: bool,
    trap: bool,
    links: BTreeSet<usize>,
    reason: Option<ExitReason>,
}

struct Monitor {
    holder: usize,
    target: usize,
    /// Neither removed nor fired.
    live: bool,
}

struct Model {
    procs: Vec<ModelProcess>,
    monitors: Vec<Monitor>,
}

/// What one step must produce.
#[derive(Default)]
struct Outcome {
    /// Observations of each process, in no particular order.
    obs: BTreeMap<usize, Vec<Obs>>,
    /// Processes that ended in the step as a consequence of another's end.
    knock_on: BTreeSet<usize>,
}

/// What the driver does for one step; processes by index.
enum Plan {
    Send(usize, CmdSpec),
    Kill(usize),
    Signal(usize, ExitReason),
}

enum CmdSpec {
    Link(usize),
    Unlink(usize),
    Monitor(usize, usize),
    Demonitor(usize),
    Trap(bool),
    End(ExitReason),
    Panic,
}

impl Model {
    fn new(n: usize) -> Model {
        Model {
            procs: (0..n)
                .map(|_| ModelProcess {
                    alive: true,
                    trap: false,
                    links: BTreeSet::new(),
                    reason: None,
                })
                .collect(),
            monitors: Vec::new(),
        }
    }

    fn observe(out: &mut Outcome, p: usize, o: Obs) {
        out.obs.entry(p).or_default().push(o);
    }

    /// An exit signal `reason` from `from` (None: outside) reaches `to`;
    /// `origin` if it is the step's own (not set off by another's end).
    fn signal(
        &mut self,
        to: usize,
        from: Option<usize>,
        reason: ExitReason,
        origin: bool,
        out: &mut Outcome,
    ) {
        if !self.procs[to].alive {
            return;
        }
        if self.procs[to].trap {
            Self::observe(
                out,
                to,
                Obs::Exit {
                    from,
                    reason: reason.to_string(),
                },
            );
        } else if !reason.is_normal() {
            if !origin {
                out.knock_on.insert(to);
            }
            self.end(to, reason, out);
        }
    }

    /// `p` ends with `reason`: its links and monitors fire.
    fn end(&mut self, p: usize, reason: ExitReason, out: &mut Outcome) {
        let me = &mut self.procs[p];
        me.alive = false;
        me.reason = Some(reason.clone());
        let links = std::mem::take(&mut me.links);
        for &q in &links {
            self.procs[q].links.remove(&p);
        }
        for q in links {
            self.signal(q, Some(p), reason.clone(), false, out);
        }
        for k in 0..self.monitors.len() {
            let m = &mut self.monitors[k];
            if !m.live || m.target != p {
                continue;
            }
            m.live = false;
            let holder = m.holder;
            // A holder alive has seen it; one that ended in this step
            // because of this end may have (see the module's docs).
            if self.procs[holder].alive || out.knock_on.contains(&holder) {
                Self::observe(
                    out,
                    holder,
                    Obs::Down {
                        monitor: k,
                        from: p,
                        reason: reason.to_string(),
                    },
                );
            }
        }
    }

    /// Applies `act`: what the driver must do and what it must see;
    /// `None` if the act does not apply (its process has ended).
    fn apply(&mut self, act: Act) -> Option<(Plan, Outcome)> {
        let n = self.procs.len();
        let mut out = Outcome::default();
        let a = match act {
            Act::Link(a, _)
            | Act::Unlink(a, _)
            | Act::Monitor(a, _)
            | Act::Demonitor(a, _)
            | Act::Trap(a, _)
            | Act::End(a, _)
            | Act::Panic(a)
            | Act::Kill(a)
            | Act::Signal(a, _) => a % n,
        };
        if !self.procs[a].alive {
            return None;
        }
        let plan = match act {
            Act::Link(_, b) => {
                let b = b % n;
                if a != b {
                    if self.procs[b].alive {
                        self.procs[a].links.insert(b);
                        self.procs[b].links.insert(a);
                    } else {
                        self.signal(a, Some(b), ExitReason::NoProc, true, &mut out);
                    }
                }
                Plan::Send(a, CmdSpec::Link(b))
            }
            Act::Unlink(_, b) => {
                let b = b % n;
                self.procs[a].links.remove(&b);
                self.procs[b].links.remove(&a);
                Plan::Send(a, CmdSpec::Unlink(b))
            }
            Act::Monitor(_, b) => {
                let b = b % n;
                if a == b {
                    return None;
                }
                let k = self.monitors.len();
                let live = self.procs[b].alive;
                self.monitors.push(Monitor {
                    holder: a,
                    target: b,
                    live,
                });
                if !live {
                    Self::observe(
                        &mut out,
                        a,
                        Obs::Down {
                            monitor: k,
                            from: b,
                            reason: ExitReason::NoProc.to_string(),
                        },
                    );
                }
                Plan::Send(a, CmdSpec::Monitor(k, b))
            }
            Act::Demonitor(_, k) => {
                let held: Vec<usize> = (0..self.monitors.len())
                    .filter(|&i| self.monitors[i].holder == a && self.monitors[i].live)
                    .collect();
                if held.is_empty() {
                    return None;
                }
                let i = held[k % held.len()];
                self.monitors[i].live = false;
                Plan::Send(a, CmdSpec::Demonitor(i))
            }
            Act::Trap(_, on) => {
                self.procs[a].trap = on;
                Plan::Send(a, CmdSpec::Trap(on))
            }
            Act::End(_, r) => {
                self.end(a, r.exit_reason(), &mut out);
                Plan::Send(a, CmdSpec::End(r.exit_reason()))
            }
            Act::Panic(_) => {
                self.end(a, ExitReason::Panicked("boom".into()), &mut out);
                Plan::Send(a, CmdSpec::Panic)
            }
            Act::Kill(_) => {
                self.end(a, ExitReason::Killed, &mut out);
                Plan::Kill(a)
            }
            Act::Signal(_, r) => {
                self.signal(a, None, r.exit_reason(), true, &mut out);
                Plan::Signal(a, r.exit_reason())
            }
        };
        Some((plan, out))
    }
}

fn command(spec: CmdSpec, pids: &[Pid<Msg>]) -> Cmd {
    let pid = |i: usize| AnyPid::from(&pids[i]);
    match spec {
        CmdSpec::Link(b) => Cmd::Link(pid(b)),
        CmdSpec::Unlink(b) => Cmd::Unlink(pid(b)),
        CmdSpec::Monitor(k, b) => Cmd::Monitor(k, pid(b)),
        CmdSpec::Demonitor(k) => Cmd::Demonitor(k),
        CmdSpec::Trap(on) => Cmd::Trap(on),
        CmdSpec::End(r) => Cmd::End(r),
        CmdSpec::Panic => Cmd::Panic,
    }
}

async fn run_case(case: Case) -> Result<(), String> {
    let n = case.processes;
    let shared = Arc::new(Shared::default());
    *shared.logs.lock().unwrap() = (0..n).map(|_| Vec::new()).collect();
    let pids: Vec<Pid<Msg>> = (0..n)
        .map(|i| {
            let shared = shared.clone();
            spawn(move |ctx| process(ctx, i, shared))
        })
        .collect();
    let index: HashMap<ProcessId, usize> =
        pids.iter().enumerate().map(|(i, p)| (p.id(), i)).collect();
    let mut model = Model::new(n);
    let mut done = Vec::new();
    for act in case.acts {
        let Some((plan, want)) = model.apply(act) else {
            continue;
        };
        done.push(act);
        match plan {
            Plan::Kill(a) => pids[a].kill(),
            Plan::Signal(a, r) => pids[a].exit(r),
            Plan::Send(a, spec) => {
                if pids[a].send(Msg::Cmd(command(spec, &pids))).await.is_err() {
                    return Err(format!(
                        "step {} ({act:?}): process {a} has ended, the model says it is alive\n  steps: {done:?}",
                        done.len()
                    ));
                }
            }
        }
        // Everything the step set off happens before virtual time moves.
        actor_core::sleep(Duration::from_millis(1)).await;
        let step =
            |what: String| format!("step {} ({act:?}): {what}\n  steps: {done:?}", done.len());
        let logs: Vec<Vec<RawObs>> = std::mem::replace(
            &mut *shared.logs.lock().unwrap(),
            (0..n).map(|_| Vec::new()).collect(),
        );
        let monitors = shared.monitors.lock().unwrap().clone();
        for (p, log) in logs.into_iter().enumerate() {
            let mut seen: Vec<Obs> = log
                .into_iter()
                .map(|o| match o {
                    RawObs::Exit(e) => Obs::Exit {
                        from: index.get(&e.from).copied(),
                        reason: e.reason.to_string(),
                    },
                    RawObs::Down(d) => Obs::Down {
                        monitor: monitors.get(&d.monitor).copied().unwrap_or(usize::MAX),
                        from: index.get(&d.id).copied().unwrap_or(usize::MAX),
                        reason: d.reason.to_string(),
                    },
                })
                .collect();
            let mut due = want.obs.get(&p).cloned().unwrap_or_default();
            seen.sort();
            due.sort();
            let ok = if want.knock_on.contains(&p) {
                // Ended because another did: it may not have seen all.
                seen.iter().all(|o| due.contains(o))
            } else {
                seen == due
            };
            if !ok {
                return Err(step(format!(
                    "process {p} observed {seen:?}, the model says {due:?}"
                )));
            }
            let alive = pids[p].is_alive();
            if alive != model.procs[p].alive {
                return Err(step(format!(
                    "process {p} is {}, the model says otherwise",
                    if alive { "alive" } else { "ended" }
                )));
            }
            if !alive {
                let reason = pids[p].wait().await;
                if Some(&reason) != model.procs[p].reason.as_ref() {
                    return Err(step(format!(
                        "process {p} ended with {reason}, the model says {:?}",
                        model.procs[p].reason
                    )));
                }
            }
        }
    }
    for p in &pids {
        p.kill();
    }
    Ok(())
}

fn act(n: usize) -> impl Strategy<Value = Act> {
    let p = 0..n;
    let reason = prop_oneof![
        Just(Reason::Normal),
        Just(Reason::Shutdown),
        Just(Reason::Other)
    ];
    prop_oneof![
        5 => (p.clone(), p.clone()).prop_map(|(a, b)| Act::Link(a, b)),
        1 => (p.clone(), p.clone()).prop_map(|(a, b)| Act::Unlink(a, b)),
        4 => (p.clone(), p.clone()).prop_map(|(a, b)| Act::Monitor(a, b)),
        1 => (p.clone(), 0..8usize).prop_map(|(a, k)| Act::Demonitor(a, k)),
        3 => (p.clone(), any::<bool>()).prop_map(|(a, on)| Act::Trap(a, on)),
        2 => (p.clone(), reason.clone()).prop_map(|(a, r)| Act::End(a, r)),
        1 => p.clone().prop_map(Act::Panic),
        1 => p.clone().prop_map(Act::Kill),
        2 => (p, reason).prop_map(|(a, r)| Act::Signal(a, r)),
    ]
}

fn case() -> impl Strategy<Value = Case> {
    (2usize..=6).prop_flat_map(|n| {
        proptest::collection::vec(act(n), 1..40).prop_map(move |acts| Case { processes: n, acts })
    })
}

proptest! {
    #![proptest_config(common::config())]

    #[test]
    fn links_and_monitors_follow_erlangs_rules(case in case(), seed in any::<u64>()) {
        common::quiet_boom();
        let out = deterministic::run(Config::seeded(seed), run_case(case));
        match out.result {
            Ok(Ok(())) => {}
            Ok(Err(e)) => prop_assert!(false, "seed {seed}: {e}"),
            Err(e) => prop_assert!(false, "seed {seed}: the run stopped: {e}"),
        }
    }
}
