//! Two nodes registering the same name at the same moment: exactly one wins.

mod support;

use actor_net::{Error, NatsServer, Node};
use support::{idle, pair, wire};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exactly_one_of_two_simultaneous_registrations_wins() {
    let server = NatsServer::start().unwrap();
    let (a, b) = pair(&server).await;
    let (on_a, on_b) = (idle(), idle());
    let (id_a, id_b) = (wire(&a, &on_a), wire(&b, &on_b));
    let mut wins = [0, 0];
    for round in 0..50 {
        let name = format!("race-{round}");
        let (ra, rb) = tokio::join!(
            a.register_global(&name, &on_a),
            b.register_global(&name, &on_b),
        );
        let winner = match (&ra, &rb) {
            (Ok(()), Err(Error::AlreadyRegistered { owner, .. })) => {
                assert_eq!(*owner, id_a);
                wins[0] += 1;
                id_a
            }
            (Err(Error::AlreadyRegistered { owner, .. }), Ok(())) => {
                assert_eq!(*owner, id_b);
                wins[1] += 1;
                id_b
            }
            other => panic!("round {round}: {other:?}"),
        };
        // Both nodes see the winner; the pid a node gets back is the wire
        // id for the other node's process, and its own local process.
        let seen_by_a = a.whereis_global::<u64>(&name).await.unwrap().unwrap();
        let seen_by_b = b.whereis_global::<u64>(&name).await.unwrap().unwrap();
        let local_or_wire = |node: &Node, id: actor_core::ProcessId| {
            if id.node == node.id() {
                actor_core::ProcessId {
                    node: actor_core::NodeId::LOCAL,
                    serial: id.serial,
                }
            } else {
                id
            }
        };
        assert_eq!(seen_by_a.id(), local_or_wire(&a, winner));
        assert_eq!(seen_by_b.id(), local_or_wire(&b, winner));
    }
    assert_eq!(wins[0] + wins[1], 50);
    a.shutdown().await;
    b.shutdown().await;
}
