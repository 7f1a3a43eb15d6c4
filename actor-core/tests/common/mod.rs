//! A protocol with an ordering bug, shared by the harness tests.

use std::time::Duration;

use actor_core::{Ctx, Pid, Reply, spawn};

enum Msg {
    Get(Reply<u64>),
    Set(u64, Reply<()>),
}

/// Two clients increment a counter by reading then writing: a lost update
/// under some interleavings.
pub(crate) async fn lost_update() -> Result<(), String> {
    let counter: Pid<Msg> = spawn(|mut ctx: Ctx<Msg>| async move {
        let mut value = 0;
        loop {
            match ctx.recv().await {
                Msg::Get(r) => {
                    let _ = r.send(value);
                }
                Msg::Set(v, r) => {
                    value = v;
                    let _ = r.send(());
                }
            }
        }
    });
    let t = Duration::from_secs(1);
    let clients: Vec<_> = (0..2)
        .map(|_| {
            let c = counter.clone();
            spawn(move |_: Ctx<()>| async move {
                let v = c.call(Msg::Get, t).await.unwrap();
                c.call(|r| Msg::Set(v + 1, r), t).await.unwrap();
            })
        })
        .collect();
    for c in &clients {
        c.wait().await;
    }
    match counter.call(Msg::Get, t).await {
        Ok(2) => Ok(()),
        other => Err(format!("lost update: {other:?}")),
    }
}
