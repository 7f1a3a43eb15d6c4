//! Process groups: join and leave, typed lookup, a process in several
//! groups, members removed when they end, subscriptions to a group's
//! changes (in order, on both runtimes), and one set of groups per runtime.

use std::future::Future;

use actor_core::deterministic::Config;
use actor_core::pg::{self, GroupChange, GroupError, GroupEvent};
use actor_core::testing::Harness;
use actor_core::{AnyPid, Ctx, ExitReason, Pid, Runtime, Spawn, spawn};

fn det<F: Future>(f: F) -> F::Output {
    Runtime::deterministic(Config::seeded(3)).block_on(f)
}

/// Runs `body` on the deterministic runtime under 30 seeds, then on
/// tokio's multi-thread runtime.
fn on_both<F, Fut>(body: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = ()>,
{
    Harness::new().seeds(30).run(&body);
    Runtime::tokio().block_on(body());
}

fn idle<M: Send + 'static>() -> Pid<M> {
    spawn(|mut ctx: Ctx<M>| async move {
        ctx.recv().await;
    })
}

/// A group name no other test (or runtime) uses.
fn unique(name: &str) -> String {
    format!("{name}-{:?}", std::thread::current().id())
}

#[test]
fn members_are_looked_up_by_type_in_pid_order() {
    det(async {
        let (a, b) = (idle::<u32>(), idle::<u32>());
        let s = idle::<String>();
        pg::join("mixed", &b).unwrap();
        pg::join("mixed", &s).unwrap();
        pg::join("mixed", &a).unwrap();
        assert_eq!(pg::members::<u32>("mixed"), [a.clone(), b.clone()]);
        assert_eq!(pg::members::<String>("mixed"), vec![s.clone()]);
        assert_eq!(pg::members::<()>("mixed"), []);
        let all: Vec<AnyPid> = [&a, &b].map(AnyPid::from).into();
        assert_eq!(pg::members_any("mixed")[..2], all);
        assert_eq!(pg::members_any("mixed").len(), 3);
        assert!(pg::members_any("nobody").is_empty());
    });
}

#[test]
fn a_process_can_be_in_several_groups_and_joins_each_once() {
    det(async {
        let p = idle::<()>();
        for g in ["red", "green", "blue"] {
            pg::join(g, &p).unwrap();
        }
        pg::join("red", &p).unwrap();
        assert_eq!(pg::members::<()>("red"), vec![p.clone()], "joined once");
        assert_eq!(pg::which_groups(), ["blue", "green", "red"]);
        assert!(pg::leave("green", &p));
        assert!(!pg::leave("green", &p), "left already");
        assert!(!pg::leave("nowhere", &p));
        assert_eq!(pg::which_groups(), ["blue", "red"]);
        assert_eq!(pg::members::<()>("blue"), vec![p.clone()]);
    });
}

#[test]
fn members_leave_every_group_when_they_end() {
    on_both(|| async {
        let (red, blue) = (unique("red"), unique("blue"));
        let (p, q) = (idle::<()>(), idle::<()>());
        for g in [&red, &blue] {
            pg::join(g, &p).unwrap();
            pg::join(g, &q).unwrap();
        }
        p.kill();
        p.wait().await;
        assert_eq!(pg::members::<()>(&red), vec![q.clone()]);
        assert_eq!(pg::members::<()>(&blue), vec![q.clone()]);
        q.exit(ExitReason::other("done"));
        q.wait().await;
        assert!(pg::members_any(&red).is_empty());
        assert!(!pg::which_groups().contains(&red));
    });
}

#[test]
fn a_process_that_has_ended_cannot_join() {
    det(async {
        let p = spawn(|_: Ctx<()>| async {});
        p.wait().await;
        assert_eq!(pg::join("late", &p), Err(GroupError::NoProc));
        assert!(pg::members_any("late").is_empty());
    });
}

enum Watch {
    Event(GroupEvent),
    /// Stop watching, and report every event seen.
    Report(tokio::sync::oneshot::Sender<Vec<(GroupChange, AnyPid)>>),
}

impl From<GroupEvent> for Watch {
    fn from(e: GroupEvent) -> Self {
        Watch::Event(e)
    }
}

/// A process that subscribes to `group` and records its events; returns
/// it once subscribed, with the members it was told of.
async fn watcher(group: &str) -> (Pid<Watch>, Vec<AnyPid>) {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let group = group.to_string();
    let pid = spawn(move |mut ctx: Ctx<Watch>| async move {
        let (mref, now) = pg::monitor(&ctx, &group).unwrap();
        tx.send(now).unwrap();
        let mut seen = Vec::new();
        loop {
            match ctx.recv().await {
                Watch::Event(e) => {
                    assert_eq!((e.monitor, &*e.group), (mref, group.as_str()));
                    seen.push((e.change, e.pid));
                }
                Watch::Report(reply) => break reply.send(seen).unwrap(),
            }
        }
    });
    (pid, rx.await.unwrap())
}

async fn report(watcher: &Pid<Watch>) -> Vec<(GroupChange, AnyPid)> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    watcher.send(Watch::Report(tx)).await.unwrap();
    rx.await.unwrap()
}

#[test]
fn a_subscriber_sees_every_join_and_leave_in_order() {
    on_both(|| async {
        let g = unique("room");
        let first = idle::<()>();
        pg::join(&g, &first).unwrap();
        let (w, now) = watcher(&g).await;
        assert_eq!(now, [AnyPid::from(&first)]);
        let (a, b) = (idle::<()>(), idle::<u8>());
        pg::join(&g, &a).unwrap();
        pg::join(&g, &b).unwrap();
        pg::join(&g, &a).unwrap(); // a member already: no event
        assert!(pg::leave(&g, &a));
        b.kill();
        b.wait().await;
        pg::join(&unique("elsewhere"), &a).unwrap(); // another group
        first.kill();
        first.wait().await;
        let (a, b, first) = (AnyPid::from(&a), AnyPid::from(&b), AnyPid::from(&first));
        assert_eq!(
            report(&w).await,
            [
                (GroupChange::Joined, a.clone()),
                (GroupChange::Joined, b.clone()),
                (GroupChange::Left, a),
                (GroupChange::Left, b),
                (GroupChange::Left, first),
            ]
        );
    });
}

#[test]
fn demonitor_ends_a_subscription() {
    det(async {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let w = spawn(move |mut ctx: Ctx<GroupEvent>| async move {
            let (mref, _) = pg::monitor(&ctx, "quiet").unwrap();
            assert!(pg::demonitor(mref));
            assert!(!pg::demonitor(mref));
            tx.send(()).unwrap();
            // Nothing comes after the demonitor.
            match ctx.recv_timeout(std::time::Duration::from_secs(1)).await {
                None => ExitReason::Normal,
                Some(e) => ExitReason::other(format!("{e:?}")),
            }
        });
        rx.await.unwrap();
        let p = idle::<()>();
        pg::join("quiet", &p).unwrap();
        assert!(w.wait().await.is_normal(), "no event arrived");
    });
}

#[test]
fn a_scope_subscriber_sees_every_group() {
    on_both(|| async {
        let (x, y) = (unique("x"), unique("y"));
        let p = idle::<()>();
        pg::join(&x, &p).unwrap();
        let (now_tx, now_rx) = tokio::sync::oneshot::channel();
        let (seen_tx, seen_rx) = tokio::sync::oneshot::channel();
        let ours = [x.clone(), y.clone()];
        spawn(move |mut ctx: Ctx<GroupEvent>| async move {
            let (_, now) = pg::monitor_scope(&ctx).unwrap();
            now_tx.send(now).unwrap();
            let mut seen = Vec::new();
            // Other tests' groups share tokio's scope: only ours count.
            while seen.len() < 3 {
                let e = ctx.recv().await;
                if ours.iter().any(|g| **g == *e.group) {
                    seen.push((e.group.to_string(), e.change));
                }
            }
            seen_tx.send(seen).unwrap();
        });
        let now = now_rx.await.unwrap();
        let x_now = now.iter().find(|(g, _)| **g == *x).expect("x is listed");
        assert_eq!(x_now.1, [AnyPid::from(&p)]);
        assert!(!now.iter().any(|(g, _)| **g == *y), "y has no members yet");
        pg::join(&y, &p).unwrap();
        p.kill();
        assert_eq!(
            seen_rx.await.unwrap(),
            [
                (y.clone(), GroupChange::Joined),
                (x, GroupChange::Left),
                (y, GroupChange::Left),
            ]
        );
    });
}

#[test]
fn a_process_with_a_bounded_mailbox_cannot_subscribe() {
    det(async {
        let p = Spawn::new()
            .bounded(4)
            .spawn(|ctx: Ctx<GroupEvent>| async move {
                assert_eq!(
                    pg::monitor(&ctx, "g").unwrap_err(),
                    GroupError::BoundedMailbox
                );
            });
        assert!(p.wait().await.is_normal());
    });
}

#[test]
fn each_runtime_has_its_own_groups() {
    let name = unique("own");
    det(async {
        let p = idle::<()>();
        pg::join(&name, &p).unwrap();
        assert_eq!(pg::members_any(&name).len(), 1);
    });
    det(async {
        assert!(pg::members_any(&name).is_empty(), "a fresh run has none");
    });
    Runtime::tokio_current_thread().block_on(async {
        assert!(pg::members_any(&name).is_empty());
    });
}
