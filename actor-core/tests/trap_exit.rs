//! Trapping exits: exit signals become messages; kill still kills.

use std::time::Duration;

use actor_core::deterministic::Config;
use actor_core::{Ctx, Exit, ExitReason, Runtime, spawn};

fn det<F: std::future::Future>(f: F) -> F::Output {
    Runtime::deterministic(Config::seeded(2)).block_on(f)
}

#[derive(Debug, PartialEq)]
enum Msg {
    Exit(Exit),
}
impl From<Exit> for Msg {
    fn from(e: Exit) -> Self {
        Msg::Exit(e)
    }
}

#[test]
fn a_trapping_process_receives_linked_exits_as_messages() {
    det(async {
        let p = spawn(|mut ctx: Ctx<Msg>| async move {
            ctx.trap_exit();
            let child = ctx.spawn_link(|_c: Ctx<()>| async { ExitReason::other("crash") });
            let Msg::Exit(e) = ctx.recv().await;
            assert_eq!(e.from, child.id());
            assert_eq!(e.reason, ExitReason::other("crash"));
        });
        assert!(p.wait().await.is_normal());
    });
}

#[test]
fn a_trapping_process_also_receives_normal_exits_of_links() {
    det(async {
        let p = spawn(|mut ctx: Ctx<Msg>| async move {
            ctx.trap_exit();
            let child = ctx.spawn_link(|_c: Ctx<()>| async {});
            let Msg::Exit(e) = ctx.recv().await;
            assert_eq!((e.from, e.reason), (child.id(), ExitReason::Normal));
        });
        assert!(p.wait().await.is_normal());
    });
}

#[test]
fn exit_signals_sent_with_exit_are_trapped_too() {
    det(async {
        let p = spawn(|mut ctx: Ctx<Msg>| async move {
            ctx.trap_exit();
            let Msg::Exit(e) = ctx.recv().await;
            e.reason
        });
        actor_core::yield_now().await;
        p.exit(ExitReason::Shutdown);
        // The body returns the trapped reason as its own exit reason.
        assert_eq!(p.wait().await, ExitReason::Shutdown);
    });
}

#[test]
fn kill_cannot_be_trapped() {
    det(async {
        let p = spawn(|mut ctx: Ctx<Msg>| async move {
            ctx.trap_exit();
            ctx.recv().await;
            ExitReason::other("should not get here")
        });
        actor_core::yield_now().await;
        p.kill();
        assert_eq!(p.wait().await, ExitReason::Killed);
    });
}

#[test]
fn untrap_exit_restores_dying() {
    det(async {
        let p = spawn(|mut ctx: Ctx<Msg>| async move {
            ctx.trap_exit();
            ctx.untrap_exit();
            ctx.recv_timeout(Duration::from_secs(5)).await;
        });
        actor_core::yield_now().await;
        p.exit(ExitReason::other("bye"));
        assert_eq!(p.wait().await, ExitReason::other("bye"));
    });
}

#[test]
fn normal_exit_signal_is_ignored_by_a_non_trapping_process() {
    det(async {
        let p = spawn(|mut ctx: Ctx<()>| async move { ctx.recv().await });
        actor_core::yield_now().await;
        p.exit(ExitReason::Normal);
        actor_core::sleep(Duration::from_secs(1)).await;
        assert!(p.is_alive());
        p.send(()).await.unwrap();
        assert!(p.wait().await.is_normal());
    });
}
