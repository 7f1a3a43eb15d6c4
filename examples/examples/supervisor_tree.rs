//! A tree of two supervisors and workers: workers are killed and restarted,
//! then one keeps crashing until its supervisor gives up and the top
//! supervisor restarts the whole branch (escalation).
//!
//! ```text
//! top (one_for_one, 3 restarts in 60 s)
//! ├── logger                      (a worker)
//! └── pool (one_for_all, 2 restarts in 60 s)
//!     ├── worker-1
//!     └── worker-2
//! ```
//!
//! `cargo run -p examples --example supervisor_tree`

use std::time::Duration;

use actor_core::{
    AnyPid, ChildSpec, Ctx, Pid, Runtime, Strategy, Supervisor, SupervisorMsg, spawn,
};
use clap::Parser;

fn worker(id: &'static str) -> ChildSpec {
    ChildSpec::new(id, move || async move {
        let pid = spawn(move |mut ctx: Ctx<()>| async move { ctx.recv().await });
        println!("  started {id} as {:?}", pid.id());
        Ok(AnyPid::from(pid))
    })
}

async fn child(sup: &Pid<SupervisorMsg>, id: &str) -> AnyPid {
    let children = sup.which_children().await.expect("supervisor is up");
    children
        .into_iter()
        .find(|(i, _)| i == id)
        .map(|(_, p)| p)
        .expect("child exists")
}

async fn pool_of(top: &Pid<SupervisorMsg>) -> Pid<SupervisorMsg> {
    child(top, "pool").await.downcast().expect("a supervisor")
}

/// Kills `id` under `sup` and waits until `sup` has handled it.
async fn kill(sup: &Pid<SupervisorMsg>, id: &str) {
    let victim = child(sup, id).await;
    println!("killing {id} ({:?})", victim.id());
    victim.kill();
    victim.wait().await;
    let _ = sup.which_children().await;
}

/// A tree of supervisors: restarts, and escalation when a branch gives
/// up.
#[derive(Parser)]
#[command(name = "supervisor_tree")]
pub(crate) struct Args {}

fn main() {
    Args::parse();
    Runtime::tokio().block_on(async {
        let pool = Supervisor::new(Strategy::OneForAll)
            .intensity(2, Duration::from_secs(60))
            .child(worker("worker-1"))
            .child(worker("worker-2"));
        println!("starting the tree");
        let top = Supervisor::new(Strategy::OneForOne)
            .intensity(3, Duration::from_secs(60))
            .child(worker("logger"))
            .child(pool.child_spec("pool"))
            .start()
            .await
            .expect("the tree starts");

        println!("\n1. one_for_one: the logger alone is restarted");
        kill(&top, "logger").await;

        println!("\n2. one_for_all: killing worker-1 restarts both workers");
        let p = pool_of(&top).await;
        kill(&p, "worker-1").await;

        println!("\n3. escalation: the pool allows 2 restarts in 60 s; a third crash");
        let first_pool = pool_of(&top).await;
        kill(&first_pool, "worker-2").await;
        let victim = child(&first_pool, "worker-1").await;
        println!("killing worker-1 ({:?})", victim.id());
        victim.kill();
        let reason = first_pool.wait().await;
        println!("  pool {:?} exited: {reason}", first_pool.id());
        let _ = top.which_children().await;
        let second_pool = pool_of(&top).await;
        println!(
            "  top restarted the pool as {:?}; its workers: {:?}",
            second_pool.id(),
            second_pool
                .which_children()
                .await
                .expect("the new pool is up")
                .iter()
                .map(|(id, pid)| format!("{id}={:?}", pid.id()))
                .collect::<Vec<_>>()
        );
        top.exit(actor_core::ExitReason::Shutdown);
        println!("\nshutting down: {}", top.wait().await);
    });
}
