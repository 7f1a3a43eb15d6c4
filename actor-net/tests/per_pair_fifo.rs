//! Messages from one process to a process on another node arrive in the
//! order sent: 100,000 of them, in batches, through one NATS server.

mod support;

use std::time::Duration;

use actor_core::{Ctx, Pid, Reply, Runtime, spawn};
use actor_net::NatsServer;
use serde::{Deserialize, Serialize};
use support::pair;

#[derive(Serialize, Deserialize)]
enum Msg {
    Next(u64),
    Seen(Reply<(u64, u64)>),
}

const N: u64 = 100_000;

#[test]
fn one_hundred_thousand_messages_arrive_in_the_order_sent() {
    Runtime::tokio().block_on(async {
        let server = NatsServer::start().unwrap();
        let (a, b) = pair(&server).await;
        // Counts the messages and those that came out of order.
        let sink: Pid<Msg> = spawn(|mut ctx: Ctx<Msg>| async move {
            let (mut seen, mut out_of_order) = (0, 0);
            loop {
                match ctx.recv().await {
                    Msg::Next(n) => {
                        if n != seen {
                            out_of_order += 1;
                        }
                        seen += 1;
                    }
                    Msg::Seen(r) => {
                        let _ = r.send((seen, out_of_order));
                    }
                }
            }
        });
        a.register_global("sink", &sink).await.unwrap();
        let remote = b.whereis_global::<Msg>("sink").await.unwrap().unwrap();
        // One sending process; the call travels after its tells.
        let (tx, rx) = tokio::sync::oneshot::channel();
        spawn(move |_ctx: Ctx<()>| async move {
            for n in 0..N {
                remote.send(Msg::Next(n)).await.unwrap();
            }
            let _ = tx.send(remote.call(Msg::Seen, Duration::from_secs(60)).await);
        });
        let (seen, out_of_order) = support::within("the count", rx).await.unwrap().unwrap();
        assert_eq!((seen, out_of_order), (N, 0));
        a.shutdown().await;
        b.shutdown().await;
    });
}
