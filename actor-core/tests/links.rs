//! Links: abnormal exits propagate both ways, normal exits do not.

use actor_core::{Ctx, Exit, ExitReason, Pid, Spawn, spawn};

fn idle() -> Pid<()> {
    spawn(|mut ctx: Ctx<()>| async move { ctx.recv().await })
}

#[tokio::test]
async fn abnormal_exit_kills_a_linked_process() {
    let victim = idle();
    let v = victim.clone();
    let crasher = spawn(move |mut ctx: Ctx<()>| async move {
        ctx.link(&v);
        ctx.recv().await;
        ExitReason::other("boom")
    });
    crasher.send(()).await.unwrap();
    assert_eq!(victim.wait().await, ExitReason::other("boom"));
}

/// A parent that spawn-links an idle child and reports the child's pid.
async fn parent_and_child() -> (Pid<()>, Pid<()>) {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let parent = spawn(move |mut ctx: Ctx<()>| async move {
        let child = ctx.spawn_link(|mut c: Ctx<()>| async move { c.recv().await });
        tx.send(child).unwrap();
        ctx.recv().await
    });
    (parent, rx.await.unwrap())
}

#[tokio::test]
async fn links_are_bidirectional() {
    let (parent, child) = parent_and_child().await;
    child.exit(ExitReason::other("from child"));
    assert_eq!(parent.wait().await, ExitReason::other("from child"));

    let (parent, child) = parent_and_child().await;
    parent.exit(ExitReason::other("from parent"));
    assert_eq!(child.wait().await, ExitReason::other("from parent"));
}

#[tokio::test]
async fn normal_exit_does_not_kill_a_linked_process() {
    let survivor = idle();
    let s = survivor.clone();
    let quitter = spawn(move |ctx: Ctx<()>| async move {
        ctx.link(&s);
    });
    assert!(quitter.wait().await.is_normal());
    assert!(survivor.is_alive());
    survivor.send(()).await.unwrap();
    assert!(survivor.wait().await.is_normal());
}

#[tokio::test]
async fn unlink_stops_propagation() {
    let survivor = idle();
    let s = survivor.clone();
    let crasher = spawn(move |ctx: Ctx<()>| async move {
        ctx.link(&s);
        ctx.unlink(&s);
        ExitReason::other("crash")
    });
    assert_eq!(crasher.wait().await, ExitReason::other("crash"));
    assert!(survivor.is_alive());
    survivor.kill();
}

/// Erlang's `link/1` to a process that has ended: an exit signal with
/// reason `noproc`, whatever the dead process's own reason was.
#[tokio::test]
async fn linking_to_a_dead_process_kills_the_caller_with_noproc() {
    for last_words in [ExitReason::other("gone"), ExitReason::Normal] {
        let dead = spawn(move |_ctx: Ctx<()>| async move { last_words });
        dead.wait().await;
        let linker = spawn(move |mut ctx: Ctx<()>| async move {
            ctx.link(&dead);
            ctx.recv().await
        });
        assert_eq!(linker.wait().await, ExitReason::NoProc);
    }
}

#[tokio::test]
async fn a_trapping_caller_gets_noproc_as_a_message() {
    let dead = spawn(|_ctx: Ctx<()>| async { ExitReason::other("crashed") });
    dead.wait().await;
    let dead_id = dead.id();
    let linker = spawn(move |mut ctx: Ctx<Exit>| async move {
        ctx.trap_exit();
        ctx.link(&dead);
        let exit = ctx.recv().await;
        assert_eq!((exit.from, exit.reason), (dead_id, ExitReason::NoProc));
    });
    assert!(linker.wait().await.is_normal());
}

#[tokio::test]
async fn spawn_with_link_ties_the_child_to_its_spawner_before_it_runs() {
    let parent = spawn(|mut ctx: Ctx<Exit>| async move {
        ctx.trap_exit();
        let child = Spawn::new()
            .link()
            .spawn(|_c: Ctx<()>| async { panic!("fails at once") });
        let exit = ctx.recv().await;
        assert_eq!(exit.from, child.id());
        assert_eq!(exit.reason, ExitReason::Panicked("fails at once".into()));
    });
    assert!(parent.wait().await.is_normal());
}

#[tokio::test]
async fn exit_propagates_through_a_chain_of_links() {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let a = spawn(move |mut ctx: Ctx<()>| async move {
        ctx.spawn_link(move |mut b: Ctx<()>| async move {
            let c = b.spawn_link(|mut c: Ctx<()>| async move { c.recv().await });
            tx.send(c).unwrap();
            b.recv().await
        });
        ctx.recv().await;
        ExitReason::Shutdown
    });
    let c = rx.await.unwrap();
    a.send(()).await.unwrap();
    assert_eq!(a.wait().await, ExitReason::Shutdown);
    assert_eq!(c.wait().await, ExitReason::Shutdown);
}

#[tokio::test]
async fn spawn_link_links_before_the_child_runs() {
    let parent = spawn(|mut ctx: Ctx<()>| async move {
        let _child = ctx.spawn_link(|_c: Ctx<()>| async { panic!("child fails at once") });
        ctx.recv().await
    });
    assert_eq!(
        parent.wait().await,
        ExitReason::Panicked("child fails at once".into())
    );
}
