//! Global names: one owner across the cluster, typed errors, freed when
//! the owner's node is gone.

mod support;

use actor_core::{NodeId, ProcessId};
use actor_net::{Error, NatsServer, Node};
use support::{quick, until_up};

fn pid(node: NodeId, serial: u64) -> ProcessId {
    ProcessId { node, serial }
}

#[tokio::test]
async fn a_name_registered_on_one_node_is_found_from_another() {
    let server = NatsServer::start().unwrap();
    let a = Node::connect(quick(&server.url(), "c", "a")).await.unwrap();
    let b = Node::connect(quick(&server.url(), "c", "b")).await.unwrap();
    until_up(&b, a.id()).await;
    a.register_global_id("printer", pid(a.id(), 3))
        .await
        .unwrap();
    assert_eq!(
        b.whereis_global_id("printer").await.unwrap(),
        Some(pid(a.id(), 3))
    );
    match b.register_global_id("printer", pid(b.id(), 1)).await {
        Err(Error::AlreadyRegistered { name, owner }) => {
            assert_eq!((name.as_str(), owner), ("printer", pid(a.id(), 3)));
        }
        other => panic!("{other:?}"),
    }
    b.unregister_global("printer").await.unwrap();
    assert_eq!(a.whereis_global_id("printer").await.unwrap(), None);
    assert!(matches!(
        a.unregister_global("printer").await,
        Err(Error::NotRegistered(n)) if n == "printer"
    ));
    // Free again: anyone may take it.
    b.register_global_id("printer", pid(b.id(), 1))
        .await
        .unwrap();
    a.shutdown().await;
    b.shutdown().await;
}

#[tokio::test]
async fn names_outside_the_key_alphabet_are_refused() {
    let server = NatsServer::start().unwrap();
    let a = Node::connect(quick(&server.url(), "c", "a")).await.unwrap();
    for bad in ["", "has space", ".lead", "trail.", "star*", "gt>"] {
        assert!(
            matches!(
                a.register_global_id(bad, pid(a.id(), 1)).await,
                Err(Error::InvalidName(n)) if n == bad
            ),
            "{bad:?}"
        );
    }
    a.register_global_id("tier/db.primary=1", pid(a.id(), 1))
        .await
        .unwrap();
    a.shutdown().await;
}

#[tokio::test]
async fn a_stale_name_of_a_node_never_seen_is_taken_over() {
    let server = NatsServer::start().unwrap();
    let a = Node::connect(quick(&server.url(), "c", "a")).await.unwrap();
    // A node that died before a started: a never heard of node 999, which
    // does not answer a ping.
    a.register_global_id("old", pid(NodeId(999), 1))
        .await
        .unwrap();
    assert_eq!(a.whereis_global_id("old").await.unwrap(), None);
    a.register_global_id("old", pid(a.id(), 2)).await.unwrap();
    assert_eq!(
        a.whereis_global_id("old").await.unwrap(),
        Some(pid(a.id(), 2))
    );
    a.shutdown().await;
}
