//! Supervisors: strategies, restart types, start and stop order, shutdown,
//! intensity and escalation, nesting, dynamic children.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use actor_core::deterministic::Config;
use actor_core::{
    AnyPid, ChildSpec, Ctx, ExitReason, Pid, Restart, Runtime, Shutdown, StartError, Strategy,
    Supervisor, SupervisorMsg, spawn,
};

type Log = Arc<Mutex<Vec<String>>>;

fn det<F: std::future::Future>(f: F) -> F::Output {
    Runtime::deterministic(Config::seeded(21)).block_on(f)
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
        assert_eq!(
            sup.wait().await,
            ExitReason::other("reached_max_restart_intensity")
        );
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
        assert_eq!(
            first.wait().await,
            ExitReason::other("reached_max_restart_intensity")
        );
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
