//! Bare async-nats between two OS processes, each with its own connection
//! to one local nats-server: the floor NATS sets under any actor layer.
//!
//! ping-pong: plain publish/subscribe, the driver publishes a counter, the
//! peer publishes it back. tell: the driver publishes every message (8
//! bytes) and the peer publishes one barrier when it has counted them all.
//! call: async-nats `request` (one multiplexed reply inbox) answered by
//! the peer.

use futures::StreamExt;

use crate::measure::{AskMeter, Timer};
use crate::workloads::{Counts, Outcome, Workload};

/// Messages a subscription may buffer before async-nats drops them: room
/// for a whole `remote-tell` burst.
const SUBSCRIPTION_CAPACITY: usize = 1 << 20;

fn subjects(tag: &str) -> (String, String) {
    (format!("{tag}.peer"), format!("{tag}.driver"))
}

async fn connect(url: &str) -> async_nats::Client {
    async_nats::ConnectOptions::new()
        .subscription_capacity(SUBSCRIPTION_CAPACITY)
        .connect(url)
        .await
        .expect("connect to nats-server")
}

/// The driver's side; to be spawned on the runtime's workers.
pub(crate) async fn run(workload: Workload, counts: Counts, url: String, tag: String) -> Outcome {
    let (to_peer, to_driver) = subjects(&tag);
    let client = connect(&url).await;
    let mut inbox = client.subscribe(to_driver).await.expect("subscribe");
    client.flush().await.expect("flush");
    match workload {
        Workload::RemotePingPong => {
            let n = counts.remote_round_trips;
            let timer = Timer::start();
            let mut ball = 0u64;
            while ball < n {
                client
                    .publish(to_peer.clone(), ball.to_le_bytes().to_vec().into())
                    .await
                    .expect("publish");
                let back = inbox.next().await.expect("the ball comes back");
                ball = u64::from_le_bytes(back.payload[..].try_into().expect("8 bytes")) + 1;
            }
            Outcome::timed(timer.elapsed())
        }
        Workload::RemoteTell => {
            let n = counts.remote_tells;
            let timer = Timer::start();
            for i in 1..=n {
                client
                    .publish(to_peer.clone(), i.to_le_bytes().to_vec().into())
                    .await
                    .expect("publish");
            }
            let done = inbox.next().await.expect("the barrier");
            let sum = u64::from_le_bytes(done.payload[..].try_into().expect("8 bytes"));
            assert_eq!(sum, n * (n + 1) / 2, "nats-raw remote-tell: lost messages");
            Outcome::timed(timer.elapsed())
        }
        Workload::RemoteCall => {
            let n = counts.remote_calls;
            let mut meter = AskMeter::start(n);
            for i in 0..n {
                let reply = client
                    .request(to_peer.clone(), i.to_le_bytes().to_vec().into())
                    .await
                    .expect("request");
                let got = u64::from_le_bytes(reply.payload[..].try_into().expect("8 bytes"));
                assert_eq!(got, i + 1, "nats-raw remote-call: wrong reply");
                meter.tick();
            }
            meter.finish()
        }
        other => panic!("nats-raw has no {} workload", other.name()),
    }
}

/// The peer's side: answers until it is killed.
pub(crate) async fn peer(workload: Workload, counts: Counts, url: String, tag: String) {
    let (to_peer, to_driver) = subjects(&tag);
    let client = connect(&url).await;
    let mut inbox = client.subscribe(to_peer).await.expect("subscribe");
    client.flush().await.expect("flush");
    super::peer::say_ready();
    let (mut seen, mut sum) = (0u64, 0u64);
    while let Some(message) = inbox.next().await {
        let value = u64::from_le_bytes(message.payload[..].try_into().expect("8 bytes"));
        match workload {
            Workload::RemotePingPong => client
                .publish(to_driver.clone(), message.payload)
                .await
                .expect("publish"),
            Workload::RemoteTell => {
                seen += 1;
                sum += value;
                if seen == counts.remote_tells {
                    client
                        .publish(to_driver.clone(), sum.to_le_bytes().to_vec().into())
                        .await
                        .expect("publish");
                    client.flush().await.expect("flush");
                }
            }
            Workload::RemoteCall => {
                let reply = message.reply.expect("a request has a reply subject");
                client
                    .publish(reply, (value + 1).to_le_bytes().to_vec().into())
                    .await
                    .expect("publish");
            }
            other => panic!("nats-raw has no {} workload", other.name()),
        }
    }
}
