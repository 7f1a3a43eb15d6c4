//! Global names: one owner across the cluster, typed lookups that work
//! from any node, typed errors.

mod support;

use actor_net::{Error, NatsServer};
use support::{idle, node, pair, wire};

#[tokio::test]
async fn a_name_registered_on_one_node_is_found_from_another() {
    let server = NatsServer::start().unwrap();
    let (a, b) = pair(&server).await;
    let printer = idle();
    a.register_global("printer", &printer).await.unwrap();
    let found = b.whereis_global::<u64>("printer").await.unwrap().unwrap();
    assert_eq!(found.id(), wire(&a, &printer));
    match b.register_global("printer", &idle()).await {
        Err(Error::AlreadyRegistered { name, owner }) => {
            assert_eq!((name.as_str(), owner), ("printer", wire(&a, &printer)));
        }
        other => panic!("{other:?}"),
    }
    b.unregister_global("printer").await.unwrap();
    assert!(a.whereis_global::<u64>("printer").await.unwrap().is_none());
    assert!(matches!(
        a.unregister_global("printer").await,
        Err(Error::NotRegistered(n)) if n == "printer"
    ));
    // Free again: anyone may take it.
    b.register_global("printer", &idle()).await.unwrap();
    a.shutdown().await;
    b.shutdown().await;
}

#[tokio::test]
async fn a_lookup_with_another_message_type_is_a_typed_error() {
    let server = NatsServer::start().unwrap();
    let a = node(&server, "a").await;
    a.register_global("counter", &idle()).await.unwrap();
    match a.whereis_global::<String>("counter").await {
        Err(Error::WrongType {
            registered,
            expected,
            ..
        }) => assert_eq!(
            (registered.as_str(), expected),
            ("u64", "alloc::string::String")
        ),
        other => panic!("{other:?}"),
    }
    a.shutdown().await;
}

#[tokio::test]
async fn names_outside_the_key_alphabet_are_refused() {
    let server = NatsServer::start().unwrap();
    let a = node(&server, "a").await;
    let pid = idle();
    for bad in ["", "has space", ".lead", "trail.", "star*", "gt>"] {
        assert!(
            matches!(
                a.register_global(bad, &pid).await,
                Err(Error::InvalidName(n)) if n == bad
            ),
            "{bad:?}"
        );
    }
    a.register_global("tier/db.primary=1", &pid).await.unwrap();
    a.shutdown().await;
}
