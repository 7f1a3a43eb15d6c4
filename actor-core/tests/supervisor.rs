//! Supervisors: strategies, restart types, start and stop order, shutdown,
//! intensity and escalation (with OTP's `shutdown`), nesting, dynamic
//! children, the link to the starter, children that end as they start.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actor_core::deterministic::Config;
use actor_core::testing::Harness;
use actor_core::{
    AnyPid, ChildSpec, Ctx, ExitReason, Pid, Restart, Runtime, Shutdown, Spawn, StartError,
    Strategy, Supervisor, SupervisorMsg, spawn,
};

type Log = Arc<Mutex<Vec<String>>>;

fn det<F: Future>(f: F) -> F::Output {
    Runtime::deterministic(Config::seeded(21)).block_on(f)
}

/// Runs `body` on the deterministic runtime under 20 seeds, then on
/// tokio's multi-thread runtime.
fn on_both<F, Fut>(body: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = ()>,
{
    Harness::new().seeds(20).run(&body);
    Runtime::tokio().block_on(body());
}

#[derive(Debug)]
enum Cmd {
    Crash,
    Quit,
}

struct Stopped(Log, &'static str);
impl Drop for Stopped {
    fn drop(&mut self) {
        self.0.lock().unwrap().push(format!("stop {}", self.1));
    }
}

fn worker(name: &'static str, log: &Log) -> ChildSpec {
    let log = log.clone();
    ChildSpec::new(name, move || {
        let log = log.clone();
        async move {
            log.lock().unwrap().push(format!("start {name}"));
            // Dropped with the process, even one stopped before it ran.
            let guard = Stopped(log, name);
            let pid = spawn(move |mut ctx: Ctx<Cmd>| async move {
                let _guard = guard;
                match ctx.recv().await {
                    Cmd::Crash => ExitReason::other("crash"),
                    Cmd::Quit => ExitReason::Normal,
                }
            });
            Ok(AnyPid::from(pid))
        }
    })
}

fn take(log: &Log) -> Vec<String> {
    std::mem::take(&mut *log.lock().unwrap())
}

async fn child(sup: &Pid<SupervisorMsg>, id: &str) -> Pid<Cmd> {
    let children = sup.which_children().await.unwrap();
    let (_, pid) = children
        .iter()
        .find(|(i, _)| i == id)
        .expect("child exists");
    pid.downcast::<Cmd>().expect("a worker")
}

/// Crashes child `id` and waits until the supervisor has dealt with it.
async fn crash(sup: &Pid<SupervisorMsg>, id: &str) {
    let c = child(sup, id).await;
    c.send(Cmd::Crash).await.unwrap();
    c.wait().await;
    // which_children is answered after the Exit has been handled.
    sup.which_children().await.unwrap();
}

async fn three(strategy: Strategy, log: &Log) -> Pid<SupervisorMsg> {
    Supervisor::new(strategy)
        .child(worker("a", log))
        .child(worker("b", log))
        .child(worker("c", log))
        .start()
        .await
        .unwrap()
}

#[test]
fn children_start_in_order_and_stop_in_reverse_order() {
    det(async {
        let log = Log::default();
        let sup = three(Strategy::OneForOne, &log).await;
        assert_eq!(take(&log), ["start a", "start b", "start c"]);
        sup.exit(ExitReason::Shutdown);
        assert_eq!(sup.wait().await, ExitReason::Shutdown);
        assert_eq!(take(&log), ["stop c", "stop b", "stop a"]);
    });
}

#[test]
fn one_for_one_restarts_only_the_child_that_died() {
    det(async {
        let log = Log::default();
        let sup = three(Strategy::OneForOne, &log).await;
        take(&log);
        let before = child(&sup, "a").await;
        crash(&sup, "b").await;
        assert_eq!(take(&log), ["stop b", "start b"]);
        assert_eq!(child(&sup, "a").await, before);
    });
}

#[test]
fn one_for_all_restarts_every_child() {
    det(async {
        let log = Log::default();
        let sup = three(Strategy::OneForAll, &log).await;
        take(&log);
        crash(&sup, "b").await;
        assert_eq!(
            take(&log),
            [
                "stop b", "stop c", "stop a", "start a", "start b", "start c"
            ]
        );
    });
}

#[test]
fn rest_for_one_restarts_the_child_and_those_after_it() {
    det(async {
        let log = Log::default();
        let sup = three(Strategy::RestForOne, &log).await;
        take(&log);
        crash(&sup, "b").await;
        assert_eq!(take(&log), ["stop b", "stop c", "start b", "start c"]);
    });
}

#[test]
fn restart_types_decide_who_comes_back() {
    det(async {
        let log = Log::default();
        let sup = Supervisor::new(Strategy::OneForOne)
            .intensity(10, Duration::from_secs(1))
            .child(worker("perm", &log).restart(Restart::Permanent))
            .child(worker("trans", &log).restart(Restart::Transient))
            .child(worker("temp", &log).restart(Restart::Temporary))
            .start()
            .await
            .unwrap();
        take(&log);
        for id in ["perm", "trans", "temp"] {
            let c = child(&sup, id).await;
            c.send(Cmd::Quit).await.unwrap();
            c.wait().await;
            sup.which_children().await.unwrap();
        }
        // A normal exit: only the permanent child is restarted; the
        // temporary one is forgotten, the transient one too (it finished).
        assert_eq!(
            take(&log),
            ["stop perm", "start perm", "stop trans", "stop temp"]
        );
        let ids: Vec<String> = sup
            .which_children()
            .await
            .unwrap()
            .into_iter()
            .map(|c| c.0)
            .collect();
        assert_eq!(ids, ["perm"]);
    });
}

#[test]
fn one_for_all_restarts_a_finished_transient_child_and_forgets_a_temporary_one() {
    det(async {
        let log = Log::default();
        let sup = Supervisor::new(Strategy::OneForAll)
            .child(worker("trans", &log).restart(Restart::Transient))
            .child(worker("perm", &log).restart(Restart::Permanent))
            .child(worker("temp", &log).restart(Restart::Temporary))
            .start()
            .await
            .unwrap();
        take(&log);
        // The transient child finishes: it keeps its place, not running.
        let t = child(&sup, "trans").await;
        t.send(Cmd::Quit).await.unwrap();
        t.wait().await;
        let ids = |v: Vec<(String, AnyPid)>| v.into_iter().map(|c| c.0).collect::<Vec<_>>();
        assert_eq!(ids(sup.which_children().await.unwrap()), ["perm", "temp"]);
        // A sibling's crash restarts every child OTP keeps: the transient
        // one starts again; the temporary one is stopped and forgotten.
        crash(&sup, "perm").await;
        assert_eq!(
            take(&log),
            [
                "stop trans",
                "stop perm",
                "stop temp",
                "start trans",
                "start perm"
            ]
        );
        assert_eq!(ids(sup.which_children().await.unwrap()), ["trans", "perm"]);
    });
}

#[test]
fn a_transient_child_is_restarted_after_a_crash() {
    det(async {
        let log = Log::default();
        let sup = Supervisor::new(Strategy::OneForOne)
            .child(worker("trans", &log).restart(Restart::Transient))
            .start()
            .await
            .unwrap();
        take(&log);
        crash(&sup, "trans").await;
        assert_eq!(take(&log), ["stop trans", "start trans"]);
    });
}

#[test]
fn exceeding_the_intensity_stops_the_supervisor() {
    det(async {
        let log = Log::default();
        let sup = Supervisor::new(Strategy::OneForOne)
            .intensity(2, Duration::from_secs(10))
            .child(worker("a", &log))
            .child(worker("b", &log))
            .start()
            .await
            .unwrap();
        for _ in 0..2 {
            crash(&sup, "a").await;
        }
        assert!(sup.is_alive(), "two restarts are allowed");
        let c = child(&sup, "a").await;
        c.send(Cmd::Crash).await.unwrap();
        // OTP's reason: its own supervisor applies the restart type.
        assert_eq!(sup.wait().await, ExitReason::Shutdown);
        let log = take(&log);
        assert_eq!(log.last().map(String::as_str), Some("stop b"), "{log:?}");
    });
}

#[test]
fn restarts_outside_the_window_do_not_count() {
    det(async {
        let log = Log::default();
        let sup = Supervisor::new(Strategy::OneForOne)
            .intensity(1, Duration::from_secs(10))
            .child(worker("a", &log))
            .start()
            .await
            .unwrap();
        for _ in 0..5 {
            crash(&sup, "a").await;
            actor_core::sleep(Duration::from_secs(11)).await;
        }
        assert!(sup.is_alive());
    });
}

#[test]
fn escalation_lets_the_parent_supervisor_restart_the_child_supervisor() {
    det(async {
        let log = Log::default();
        let sub = Supervisor::new(Strategy::OneForOne)
            .intensity(1, Duration::from_secs(10))
            .child(worker("w", &log));
        let top = Supervisor::new(Strategy::OneForOne)
            .intensity(5, Duration::from_secs(10))
            .child(sub.child_spec("sub"))
            .start()
            .await
            .unwrap();
        let sub_pid = |top: Pid<SupervisorMsg>| async move {
            top.which_children().await.unwrap()[0]
                .1
                .downcast::<SupervisorMsg>()
                .unwrap()
        };
        let first = sub_pid(top.clone()).await;
        crash(&first, "w").await; // one restart: within intensity
        let w = child(&first, "w").await;
        w.send(Cmd::Crash).await.unwrap(); // second: the sub-supervisor gives up
        assert_eq!(first.wait().await, ExitReason::Shutdown);
        top.which_children().await.unwrap();
        let second = sub_pid(top.clone()).await;
        assert_ne!(first, second);
        assert!(second.is_alive());
        assert!(child(&second, "w").await.is_alive());
        assert_eq!(take(&log).last().map(String::as_str), Some("start w"));
    });
}

#[test]
fn shutdown_timeout_then_kill_for_a_child_that_ignores_shutdown() {
    #[derive(Debug)]
    enum Stubborn {
        Exit(actor_core::Exit),
    }
    impl From<actor_core::Exit> for Stubborn {
        fn from(e: actor_core::Exit) -> Self {
            Stubborn::Exit(e)
        }
    }
    det(async {
        let log = Log::default();
        let l = log.clone();
        let spec = ChildSpec::new("stubborn", move || {
            let l = l.clone();
            async move {
                // Started once it traps exits (an init handshake).
                let (ready, is_ready) = tokio::sync::oneshot::channel();
                let pid = spawn(move |mut ctx: Ctx<Stubborn>| async move {
                    let _g = Stopped(l.clone(), "stubborn");
                    ctx.trap_exit();
                    ready.send(()).unwrap();
                    loop {
                        // Notes the shutdown signal and ignores it.
                        let Stubborn::Exit(e) = ctx.recv().await;
                        l.lock().unwrap().push(format!("ignored {:?}", e.reason));
                    }
                });
                is_ready.await.unwrap();
                Ok(AnyPid::from(pid))
            }
        })
        .shutdown(Shutdown::Timeout(Duration::from_secs(7)));
        let sup = Supervisor::new(Strategy::OneForOne)
            .child(spec)
            .start()
            .await
            .unwrap();
        let t0 = actor_core::now();
        sup.exit(ExitReason::Shutdown);
        sup.wait().await;
        assert_eq!(actor_core::now() - t0, Duration::from_secs(7));
        assert_eq!(take(&log), ["ignored shutdown", "stop stubborn"]);
    });
}

#[test]
fn brutal_kill_does_not_wait() {
    det(async {
        let log = Log::default();
        let sup = Supervisor::new(Strategy::OneForOne)
            .child(worker("a", &log).shutdown(Shutdown::BrutalKill))
            .start()
            .await
            .unwrap();
        let a = child(&sup, "a").await;
        let t0 = actor_core::now();
        sup.exit(ExitReason::Shutdown);
        sup.wait().await;
        assert_eq!(a.wait().await, ExitReason::Killed);
        assert_eq!(actor_core::now(), t0);
    });
}

#[test]
fn a_child_that_fails_to_start_fails_the_supervisor_start() {
    det(async {
        let log = Log::default();
        let bad = ChildSpec::new("bad", || async {
            Err(StartError::Failed(ExitReason::other("no config")))
        });
        let err = Supervisor::new(Strategy::OneForOne)
            .child(worker("a", &log))
            .child(bad)
            .child(worker("c", &log))
            .start()
            .await
            .unwrap_err();
        assert_eq!(err, StartError::Failed(ExitReason::other("no config")));
        assert_eq!(
            take(&log),
            ["start a", "stop a"],
            "c never started, a stopped again"
        );
    });
}

#[test]
fn duplicate_child_ids_are_refused() {
    det(async {
        let log = Log::default();
        let err = Supervisor::new(Strategy::OneForOne)
            .child(worker("a", &log))
            .child(worker("a", &log))
            .start()
            .await
            .unwrap_err();
        assert_eq!(err, StartError::DuplicateChild("a".into()));
    });
}

#[test]
fn a_dynamic_supervisor_grows_and_shrinks_at_run_time() {
    det(async {
        let log = Log::default();
        let sup = Supervisor::dynamic().start().await.unwrap();
        assert!(sup.which_children().await.unwrap().is_empty());
        for name in ["x", "y"] {
            sup.start_child(worker(name, &log)).await.unwrap();
        }
        assert_eq!(
            sup.start_child(worker("x", &log)).await.unwrap_err(),
            StartError::DuplicateChild("x".into())
        );
        crash(&sup, "x").await;
        assert!(sup.terminate_child("y").await.unwrap());
        assert!(!sup.terminate_child("y").await.unwrap());
        assert_eq!(
            take(&log),
            ["start x", "start y", "stop x", "start x", "stop y"]
        );
        sup.exit(ExitReason::Shutdown);
        sup.wait().await;
        assert_eq!(take(&log), ["stop x"]);
        assert_eq!(
            sup.start_child(worker("z", &log)).await.unwrap_err(),
            StartError::NoSupervisor
        );
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn supervision_works_on_the_multi_thread_runtime() {
    let log = Log::default();
    let sup = three(Strategy::OneForAll, &log).await;
    for _ in 0..3 {
        crash(&sup, "c").await;
    }
    assert!(sup.is_alive());
    assert_eq!(sup.which_children().await.unwrap().len(), 3);
}

/// A sub-supervisor with worker "w" that gives up on the second crash
/// within 10 s, as the child `sub` of a top supervisor that also runs "t".
async fn tree_with_sub(restart: Restart, log: &Log) -> Pid<SupervisorMsg> {
    let sub = Supervisor::new(Strategy::OneForOne)
        .intensity(1, Duration::from_secs(10))
        .child(worker("w", log));
    Supervisor::new(Strategy::OneForOne)
        .intensity(5, Duration::from_secs(10))
        .child(sub.child_spec("sub").restart(restart))
        .child(worker("t", log))
        .start()
        .await
        .unwrap()
}

/// Makes the sub-supervisor of [`tree_with_sub`] give up; returns it once
/// it has ended and the top supervisor has handled its exit.
async fn make_sub_give_up(top: &Pid<SupervisorMsg>) -> Pid<SupervisorMsg> {
    let sub = child_sup(top, "sub").await;
    crash(&sub, "w").await;
    child(&sub, "w").await.send(Cmd::Crash).await.unwrap();
    assert_eq!(sub.wait().await, ExitReason::Shutdown);
    top.which_children().await.unwrap();
    sub
}

async fn child_sup(sup: &Pid<SupervisorMsg>, id: &str) -> Pid<SupervisorMsg> {
    let children = sup.which_children().await.unwrap();
    let (_, pid) = children
        .iter()
        .find(|(i, _)| i == id)
        .expect("child exists");
    pid.downcast::<SupervisorMsg>().expect("a supervisor")
}

async fn ids(sup: &Pid<SupervisorMsg>) -> Vec<String> {
    let children = sup.which_children().await.unwrap();
    children.into_iter().map(|(id, _)| id).collect()
}

#[test]
fn a_transient_child_supervisor_that_gave_up_stays_down() {
    on_both(|| async {
        let log = Log::default();
        let top = tree_with_sub(Restart::Transient, &log).await;
        make_sub_give_up(&top).await;
        assert_eq!(ids(&top).await, ["t"], "not restarted");
        assert!(top.is_alive());
        top.exit(ExitReason::Shutdown);
        top.wait().await;
    });
}

#[test]
fn a_permanent_child_supervisor_that_gave_up_is_started_again() {
    on_both(|| async {
        let log = Log::default();
        let top = tree_with_sub(Restart::Permanent, &log).await;
        let first = make_sub_give_up(&top).await;
        assert_eq!(ids(&top).await, ["sub", "t"]);
        let second = child_sup(&top, "sub").await;
        assert_ne!(second, first);
        assert!(child(&second, "w").await.is_alive());
        top.exit(ExitReason::Shutdown);
        top.wait().await;
    });
}

/// The warnings and errors logged by this test binary, one line each.
fn logged() -> &'static Mutex<Vec<String>> {
    static EVENTS: std::sync::OnceLock<&'static Mutex<Vec<String>>> = std::sync::OnceLock::new();
    EVENTS.get_or_init(|| {
        let events: &'static Mutex<Vec<String>> = Box::leak(Box::default());
        // The global subscriber: a thread's own one would miss events whose
        // callsite another test thread reached first.
        tracing::subscriber::set_global_default(Events(events)).unwrap();
        events
    })
}

struct Events(&'static Mutex<Vec<String>>);

struct Fields(String);

impl tracing::field::Visit for Fields {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.0 += &format!("{}={:?} ", field.name(), value);
    }
}

impl tracing::Subscriber for Events {
    fn enabled(&self, metadata: &tracing::Metadata<'_>) -> bool {
        *metadata.level() <= tracing::Level::WARN
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        let mut fields = Fields(format!("{} ", event.metadata().level()));
        event.record(&mut fields);
        self.0.lock().unwrap().push(fields.0);
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn giving_up_is_logged_as_reached_max_restart_intensity() {
    let events = logged();
    let log = Log::default();
    let sup = Supervisor::new(Strategy::OneForOne)
        .intensity(0, Duration::from_secs(10))
        .child(worker("a", &log))
        .start()
        .await
        .unwrap();
    child(&sup, "a").await.send(Cmd::Crash).await.unwrap();
    assert_eq!(sup.wait().await, ExitReason::Shutdown);
    // Pids are unique on tokio: this supervisor's event.
    let this_sup = format!("sup={} ", sup.id());
    let events = events.lock().unwrap();
    assert!(
        events.iter().any(|e| e.starts_with("ERROR")
            && e.contains(&this_sup)
            && e.contains("reason=\"reached_max_restart_intensity\"")),
        "{events:#?}"
    );
}

/// Starts [`three`] inside a new process that then waits for a message
/// (or, with `then_end`, ends with that reason at once); returns both.
async fn started_by_a_process(
    log: &Log,
    then_end: Option<ExitReason>,
) -> (Pid<()>, Pid<SupervisorMsg>) {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let l = log.clone();
    let starter = spawn(move |mut ctx: Ctx<()>| async move {
        let sub = Supervisor::new(Strategy::OneForOne)
            .child(worker("x", &l))
            .child(worker("y", &l));
        let sup = Supervisor::new(Strategy::OneForOne)
            .child(worker("a", &l))
            .child(sub.child_spec("sub"))
            .child(worker("c", &l))
            .start()
            .await
            .unwrap();
        tx.send(sup).unwrap();
        match then_end {
            Some(reason) => reason,
            None => {
                ctx.recv().await;
                ExitReason::Normal
            }
        }
    });
    (starter, rx.await.unwrap())
}

#[test]
fn killing_the_starter_takes_the_tree_down_in_reverse_order() {
    on_both(|| async {
        let log = Log::default();
        let (starter, sup) = started_by_a_process(&log, None).await;
        let sub = child_sup(&sup, "sub").await;
        let mut everyone: Vec<AnyPid> = vec![AnyPid::from(&sup), AnyPid::from(&sub)];
        for s in [&sup, &sub] {
            everyone.extend(s.which_children().await.unwrap().into_iter().map(|c| c.1));
        }
        assert_eq!(take(&log), ["start a", "start x", "start y", "start c"]);
        starter.kill();
        assert_eq!(sup.wait().await, ExitReason::Killed);
        assert_eq!(take(&log), ["stop c", "stop y", "stop x", "stop a"]);
        for p in &everyone {
            assert!(!p.is_alive(), "{p:?} outlived the tree");
        }
    });
}

#[test]
fn a_supervisor_ends_with_its_starter_whatever_the_reason() {
    on_both(|| async {
        for reason in [ExitReason::Normal, ExitReason::other("oops")] {
            let log = Log::default();
            let (starter, sup) = started_by_a_process(&log, Some(reason.clone())).await;
            assert_eq!(starter.wait().await, reason);
            assert_eq!(sup.wait().await, reason);
            assert_eq!(take(&log)[4..], ["stop c", "stop y", "stop x", "stop a"]);
        }
    });
}

#[test]
fn start_unlinked_outlives_its_starter() {
    on_both(|| async {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let starter = spawn(move |_: Ctx<()>| async move {
            let sup = Supervisor::dynamic().start_unlinked().await.unwrap();
            tx.send(sup).unwrap();
            ExitReason::other("starter crashed")
        });
        let sup = rx.await.unwrap();
        starter.wait().await;
        // A linked supervisor would have the starter's exit signal queued
        // before this call, and stop on it.
        assert!(sup.which_children().await.unwrap().is_empty());
        sup.exit(ExitReason::Shutdown);
        assert_eq!(sup.wait().await, ExitReason::Shutdown);
    });
}

#[test]
fn a_supervisor_that_gives_up_takes_its_starter_down() {
    on_both(|| async {
        let log = Log::default();
        let (tx, rx) = tokio::sync::oneshot::channel();
        let l = log.clone();
        let starter = spawn(move |mut ctx: Ctx<()>| async move {
            let sup = Supervisor::new(Strategy::OneForOne)
                .intensity(0, Duration::from_secs(1))
                .child(worker("a", &l))
                .start()
                .await
                .unwrap();
            tx.send(sup).unwrap();
            ctx.recv().await;
        });
        let sup = rx.await.unwrap();
        child(&sup, "a").await.send(Cmd::Crash).await.unwrap();
        assert_eq!(sup.wait().await, ExitReason::Shutdown);
        assert_eq!(starter.wait().await, ExitReason::Shutdown);
    });
}

#[test]
fn a_supervisor_that_fails_to_start_leaves_its_starter_running() {
    on_both(|| async {
        let starter = spawn(|_: Ctx<()>| async {
            let bad = ChildSpec::new("bad", || async {
                Err(StartError::Failed(ExitReason::other("no config")))
            });
            let err = Supervisor::new(Strategy::OneForOne)
                .child(bad)
                .start()
                .await
                .unwrap_err();
            assert_eq!(err, StartError::Failed(ExitReason::other("no config")));
            // Still here to tell.
            actor_core::yield_now().await;
        });
        assert!(starter.wait().await.is_normal());
    });
}

/// A child that ends with `reason` before its start function returns
/// (the start function waits for its end), spawned linked to the
/// supervisor or not.
fn ends_as_it_starts(linked: bool, reason: ExitReason) -> ChildSpec {
    ChildSpec::new("early", move || {
        let reason = reason.clone();
        async move {
            let opts = if linked {
                Spawn::new().link()
            } else {
                Spawn::new()
            };
            let child = opts.spawn(move |mut ctx: Ctx<()>| async move {
                ctx.recv().await;
                reason
            });
            // Watched before it is told to go, so this returns after it
            // has ended and its link has fired.
            let (_, sent) = futures::join!(child.wait(), child.send(()));
            sent.unwrap();
            Ok(AnyPid::from(child))
        }
    })
}

#[test]
fn a_child_that_dies_before_its_start_function_returns_fails_to_start_with_its_reason() {
    on_both(|| async {
        for linked in [true, false] {
            let log = Log::default();
            let crash = ExitReason::other("died at birth");
            let err = Supervisor::new(Strategy::OneForOne)
                .child(worker("a", &log))
                .child(ends_as_it_starts(linked, crash.clone()))
                .start()
                .await
                .unwrap_err();
            assert_eq!(err, StartError::Failed(crash.clone()), "linked: {linked}");
            assert_eq!(take(&log), ["start a", "stop a"]);

            // Under a running supervisor: start_child fails with the
            // reason, and the supervisor carries on (no exit signal of the
            // dead child is left to be taken for something else).
            let sup = Supervisor::dynamic().start().await.unwrap();
            let err = sup
                .start_child(ends_as_it_starts(linked, crash.clone()))
                .await
                .unwrap_err();
            assert_eq!(err, StartError::Failed(crash), "linked: {linked}");
            sup.start_child(worker("b", &log)).await.unwrap();
            assert_eq!(ids(&sup).await, ["b"]);
            sup.exit(ExitReason::Shutdown);
            assert_eq!(sup.wait().await, ExitReason::Shutdown);
        }
    });
}

#[test]
fn a_child_that_ended_normally_as_it_started_is_handled_as_ended() {
    on_both(|| async {
        for linked in [true, false] {
            let log = Log::default();
            let sup = Supervisor::dynamic().start().await.unwrap();
            let spec = ends_as_it_starts(linked, ExitReason::Normal).restart(Restart::Temporary);
            let pid = sup.start_child(spec).await.unwrap();
            assert!(!pid.is_alive());
            // Forgotten, as a temporary child that ended.
            assert!(ids(&sup).await.is_empty(), "linked: {linked}");
            sup.start_child(worker("b", &log)).await.unwrap();
            sup.exit(ExitReason::Shutdown);
            assert_eq!(sup.wait().await, ExitReason::Shutdown);
        }
    });
}
