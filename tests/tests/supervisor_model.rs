//! Supervisors against a model of OTP's rules, on the deterministic
//! runtime: a supervisor of one to five children (each permanent,
//! transient or temporary; stopped by brutal kill or by a shutdown signal
//! with a timeout; some trapping exits so that only the kill after the
//! timeout stops them), and a generated sequence of child exits (normal,
//! shutdown, an error, a panic, a kill) at generated virtual times.
//!
//! Children log when they start (in their start function) and when they
//! end (as their state is dropped); the log must equal the model's, event
//! for event. The model is OTP's `supervisor` (checked against OTP 25):
//! - A permanent child is always restarted, a transient one only after an
//!   abnormal exit (not `normal` or `shutdown`), a temporary one never.
//!   A temporary child is forgotten once it ends; a transient child that
//!   ended cleanly stays in the list, not running.
//! - A restart counts against the intensity first: if it makes more than
//!   `max_restarts` within `within`, the supervisor stops every running
//!   child in reverse start order and exits with reason `shutdown`.
//! - one_for_one restarts the child; one_for_all stops the other running
//!   children in reverse order and starts every child again in order;
//!   rest_for_one does the same for the child and those after it. A
//!   temporary child stopped by such a restart is not started again; a
//!   transient child that had ended cleanly is.
//!
//! Exits are spaced by multiples of 30 ms and the window is 100 ms, so no
//! two exits are ever exactly one window apart (OTP counts that boundary
//! in, and measures in whole seconds).

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use actor_core::deterministic::{self, Config};
use actor_core::{
    AnyPid, ChildSpec, Ctx, Exit, ExitReason, Pid, Restart, Shutdown, Spawn, Strategy as Kind,
    Supervisor, SupervisorMsg,
};
use proptest::prelude::*;

const WITHIN: Duration = Duration::from_millis(100);
const GAP_UNIT_MS: u64 = 30;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum How {
    Normal,
    Shutdown,
    Error,
    Panic,
    Kill,
}

impl How {
    fn reason(self) -> ExitReason {
        match self {
            How::Normal => ExitReason::Normal,
            How::Shutdown => ExitReason::Shutdown,
            How::Error => ExitReason::other("boom"),
            How::Panic => ExitReason::Panicked("boom".into()),
            How::Kill => ExitReason::Killed,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stop {
    BrutalKill,
    /// A shutdown signal and no time to act on it.
    Zero,
    /// A shutdown signal and an hour to act on it.
    Hour,
    Infinity,
}

#[derive(Clone, Debug)]
struct ChildDef {
    restart: Restart,
    stop: Stop,
    /// Traps exits, so that a shutdown signal does not stop it: only the
    /// kill when its time is up. (Only with BrutalKill or Zero.)
    stubborn: bool,
}

#[derive(Clone, Copy, Debug)]
struct Crash {
    /// Which running child (modulo their number).
    child: usize,
    how: How,
    /// Virtual time before it, in units of `GAP_UNIT_MS`.
    gap: u64,
}

#[derive(Clone, Debug)]
struct Case {
    strategy: Kind,
    max_restarts: u32,
    children: Vec<ChildDef>,
    crashes: Vec<Crash>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Event {
    Start(usize),
    Stop(usize),
}

type Log = Arc<Mutex<Vec<Event>>>;

/// Logs the end of a child when its state is dropped.
struct Ends(usize, Log);
impl Drop for Ends {
    fn drop(&mut self) {
        self.1.lock().unwrap().push(Event::Stop(self.0));
    }
}

enum ChildMsg {
    End(How),
    Exit,
}
impl From<Exit> for ChildMsg {
    fn from(_: Exit) -> Self {
        ChildMsg::Exit
    }
}

fn spec(i: usize, def: &ChildDef, log: &Log) -> ChildSpec {
    let (log, stubborn) = (log.clone(), def.stubborn);
    ChildSpec::new(format!("c{i}"), move || {
        let log = log.clone();
        async move {
            log.lock().unwrap().push(Event::Start(i));
            let ends = Ends(i, log);
            let pid = Spawn::new()
                .link()
                .spawn(move |mut ctx: Ctx<ChildMsg>| async move {
                    let _ends = ends;
                    if stubborn {
                        ctx.trap_exit();
                    }
                    loop {
                        match ctx.recv().await {
                            ChildMsg::End(How::Panic) => panic!("boom"),
                            ChildMsg::End(how) => return how.reason(),
                            // A stubborn child ignores exit signals.
                            ChildMsg::Exit => {}
                        }
                    }
                });
            Ok(AnyPid::from(pid))
        }
    })
    .restart(def.restart)
    .shutdown(match def.stop {
        Stop::BrutalKill => Shutdown::BrutalKill,
        Stop::Zero => Shutdown::Timeout(Duration::ZERO),
        Stop::Hour => Shutdown::Timeout(Duration::from_secs(3600)),
        Stop::Infinity => Shutdown::Infinity,
    })
}

struct ModelChild {
    restart: Restart,
    running: bool,
}

/// OTP's supervisor, as far as the log and the exit reason show it.
struct Model {
    strategy: Kind,
    max_restarts: u32,
    /// In start order: (child index, its state).
    children: Vec<(usize, ModelChild)>,
    restarts: Vec<Duration>,
    exit: Option<ExitReason>,
    log: Vec<Event>,
}

impl Model {
    fn new(case: &Case) -> Model {
        let mut m = Model {
            strategy: case.strategy,
            max_restarts: case.max_restarts,
            children: Vec::new(),
            restarts: Vec::new(),
            exit: None,
            log: Vec::new(),
        };
        for (i, def) in case.children.iter().enumerate() {
            m.children.push((
                i,
                ModelChild {
                    restart: def.restart,
                    running: true,
                },
            ));
            m.log.push(Event::Start(i));
        }
        m
    }

    fn running(&self) -> Vec<usize> {
        self.children
            .iter()
            .filter(|(_, c)| c.running)
            .map(|&(i, _)| i)
            .collect()
    }

    /// Child `id` (the child index) exits with `how` at time `now`.
    fn exit(&mut self, id: usize, how: How, now: Duration) {
        let reason = how.reason();
        let pos = self
            .children
            .iter()
            .position(|&(i, _)| i == id)
            .expect("a running child");
        self.log.push(Event::Stop(id));
        self.children[pos].1.running = false;
        let restart = match self.children[pos].1.restart {
            Restart::Permanent => true,
            Restart::Transient => !reason.is_clean(),
            _ => false,
        };
        if !restart {
            if self.children[pos].1.restart == Restart::Temporary {
                self.children.remove(pos);
            }
            return;
        }
        // add_restart: the restarts within the window, this one included.
        self.restarts.push(now);
        self.restarts.retain(|&t| now - t < WITHIN);
        if self.restarts.len() > self.max_restarts as usize {
            for k in (0..self.children.len()).rev() {
                if self.children[k].1.running {
                    self.log.push(Event::Stop(self.children[k].0));
                }
            }
            self.children.clear();
            self.exit = Some(ExitReason::Shutdown);
            return;
        }
        let group = match self.strategy {
            Kind::OneForOne => pos..pos + 1,
            Kind::OneForAll => 0..self.children.len(),
            _ => pos..self.children.len(),
        };
        for k in group.clone().rev() {
            if self.children[k].1.running {
                self.log.push(Event::Stop(self.children[k].0));
                self.children[k].1.running = false;
            }
        }
        let mut k = group.start;
        let mut end = group.end;
        while k < end {
            if self.children[k].1.restart == Restart::Temporary {
                self.children.remove(k);
                end -= 1;
                continue;
            }
            self.children[k].1.running = true;
            self.log.push(Event::Start(self.children[k].0));
            k += 1;
        }
    }
}

async fn run_case(case: Case) -> Result<(), String> {
    let log: Log = Arc::default();
    let mut sup = Supervisor::new(case.strategy).intensity(case.max_restarts, WITHIN);
    for (i, def) in case.children.iter().enumerate() {
        sup = sup.child(spec(i, def, &log));
    }
    let sup: Pid<SupervisorMsg> = sup
        .start()
        .await
        .map_err(|e| format!("the supervisor did not start: {e}"))?;
    let mut model = Model::new(&case);
    let mut done = Vec::new();
    let check = |model: &Model, done: &Vec<Crash>, sup: &Pid<SupervisorMsg>| {
        let got = log.lock().unwrap().clone();
        if got != model.log {
            return Err(format!(
                "the log is\n  {got:?}\nthe model's is\n  {:?}\n  crashes: {done:?}",
                model.log
            ));
        }
        if sup.is_alive() != model.exit.is_none() {
            return Err(format!(
                "the supervisor is {}, the model says otherwise\n  crashes: {done:?}",
                if sup.is_alive() { "alive" } else { "gone" }
            ));
        }
        Ok(())
    };
    check(&model, &done, &sup)?;
    for crash in case.crashes {
        if model.exit.is_some() {
            break;
        }
        let running = model.running();
        if running.is_empty() {
            break;
        }
        let id = running[crash.child % running.len()];
        actor_core::sleep(Duration::from_millis(crash.gap * GAP_UNIT_MS)).await;
        done.push(crash);
        let children = sup
            .which_children()
            .await
            .map_err(|e| format!("which_children: {e}\n  crashes: {done:?}"))?;
        let ids: Vec<String> = children.iter().map(|(id, _)| id.clone()).collect();
        let want: Vec<String> = running.iter().map(|i| format!("c{i}")).collect();
        if ids != want {
            return Err(format!(
                "the running children are {ids:?}, the model says {want:?}\n  crashes: {done:?}"
            ));
        }
        let pid = children
            .into_iter()
            .find(|(name, _)| *name == format!("c{id}"))
            .map(|(_, pid)| pid)
            .expect("listed");
        match crash.how {
            How::Kill => pid.kill(),
            how => {
                let child = pid.downcast::<ChildMsg>().expect("a child takes ChildMsg");
                let _ = child.send(ChildMsg::End(how)).await;
            }
        }
        pid.wait().await;
        model.exit(id, crash.how, actor_core::now());
        // The supervisor handles the exit before this request.
        let _ = sup.which_children().await;
        check(&model, &done, &sup)?;
    }
    match &model.exit {
        Some(want) => {
            let reason = sup.wait().await;
            if &reason != want {
                return Err(format!(
                    "the supervisor exited with {reason}, OTP's exits with {want}\n  crashes: {done:?}"
                ));
            }
        }
        None => sup.kill(),
    }
    Ok(())
}

fn child() -> impl Strategy<Value = ChildDef> {
    let restart = prop_oneof![
        Just(Restart::Permanent),
        Just(Restart::Transient),
        Just(Restart::Temporary)
    ];
    let stop = prop_oneof![
        Just(Stop::BrutalKill),
        Just(Stop::Zero),
        Just(Stop::Hour),
        Just(Stop::Infinity)
    ];
    (restart, stop, any::<bool>()).prop_map(|(restart, stop, stubborn)| ChildDef {
        restart,
        stop,
        stubborn: stubborn && matches!(stop, Stop::BrutalKill | Stop::Zero),
    })
}

fn crash() -> impl Strategy<Value = Crash> {
    let how = prop_oneof![
        Just(How::Normal),
        Just(How::Shutdown),
        Just(How::Error),
        Just(How::Panic),
        Just(How::Kill)
    ];
    (
        0usize..5,
        how,
        prop_oneof![Just(0u64), Just(1), Just(2), Just(3), Just(5)],
    )
        .prop_map(|(child, how, gap)| Crash { child, how, gap })
}

fn case() -> impl Strategy<Value = Case> {
    let strategy = prop_oneof![
        Just(Kind::OneForOne),
        Just(Kind::OneForAll),
        Just(Kind::RestForOne)
    ];
    (
        strategy,
        0u32..=3,
        proptest::collection::vec(child(), 1..=5),
        proptest::collection::vec(crash(), 1..16),
    )
        .prop_map(|(strategy, max_restarts, children, crashes)| Case {
            strategy,
            max_restarts,
            children,
            crashes,
        })
}

proptest! {
    #![proptest_config(common::config())]

    #[test]
    fn supervisors_follow_otps_rules(case in case(), seed in any::<u64>()) {
        common::quiet_boom();
        let out = deterministic::run(Config::seeded(seed), run_case(case));
        match out.result {
            Ok(Ok(())) => {}
            Ok(Err(e)) => prop_assert!(false, "seed {seed}: {e}"),
            Err(e) => prop_assert!(false, "seed {seed}: the run stopped: {e}"),
        }
    }
}
