//! Two nodes registering the same name at the same moment: exactly one wins.

mod support;

use actor_core::ProcessId;
use actor_net::{Error, NatsServer, Node};
use support::{quick, until_up};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exactly_one_of_two_simultaneous_registrations_wins() {
    let server = NatsServer::start().unwrap();
    let a = Node::connect(quick(&server.url(), "c", "a")).await.unwrap();
    let b = Node::connect(quick(&server.url(), "c", "b")).await.unwrap();
    until_up(&a, b.id()).await;
    until_up(&b, a.id()).await;
    let mine = |node: &Node| ProcessId {
        node: node.id(),
        serial: 1,
    };
    let mut wins = [0, 0];
    for round in 0..50 {
        let name = format!("race-{round}");
        let (ra, rb) = tokio::join!(
            a.register_global_id(&name, mine(&a)),
            b.register_global_id(&name, mine(&b)),
        );
        let winner = match (&ra, &rb) {
            (Ok(()), Err(Error::AlreadyRegistered { owner, .. })) => {
                assert_eq!(*owner, mine(&a));
                wins[0] += 1;
                mine(&a)
            }
            (Err(Error::AlreadyRegistered { owner, .. }), Ok(())) => {
                assert_eq!(*owner, mine(&b));
                wins[1] += 1;
                mine(&b)
            }
            other => panic!("round {round}: {other:?}"),
        };
        assert_eq!(a.whereis_global_id(&name).await.unwrap(), Some(winner));
        assert_eq!(b.whereis_global_id(&name).await.unwrap(), Some(winner));
    }
    assert_eq!(wins[0] + wins[1], 50);
    a.shutdown().await;
    b.shutdown().await;
}
