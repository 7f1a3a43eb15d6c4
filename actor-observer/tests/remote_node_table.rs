//! The observer of one node of an actor-net cluster shows another node's
//! processes (`?node=N`, ids `<N.serial>`), streams them to the page,
//! kills them there, and answers a clear error for a node that is not up
//! or does not answer observers.
//!
//! Two nodes in one test process, each on a runtime of its own (so each has
//! its own process table), on a `nats-server` the test starts.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::Duration;

use actor_core::{AnyPid, ChildSpec, Ctx, Runtime, Spawn, Strategy, Supervisor};
use actor_net::{NatsServer, Node, NodeConfig};
use common::{get, post, seg};
use serde_json::Value;

/// A configuration that never loses a live node within a test: a grace
/// period far longer than the test (only a goodbye makes a node down).
fn steady(url: &str, name: &str) -> NodeConfig {
    NodeConfig::new(url, "obs", name)
        .heartbeat(Duration::from_millis(200))
        .grace(Duration::from_secs(600))
}

fn rows_of(list: &Value) -> &Vec<Value> {
    list.as_array()
        .unwrap_or_else(|| panic!("not an array: {list}"))
}

fn labels(list: &Value) -> Vec<&str> {
    rows_of(list)
        .iter()
        .filter_map(|p| p["label"].as_str())
        .collect()
}

#[test]
fn the_observer_of_one_node_lists_another_nodes_processes() {
    let server = NatsServer::start().unwrap();
    let url = server.url();

    // Node B: a process only it runs, and the answering process.
    let rt_b = Runtime::tokio();
    let (b, worker, sup) = rt_b.block_on(async {
        let b = Node::connect(steady(&url, "b")).await.unwrap();
        let sup = Supervisor::new(Strategy::OneForOne)
            .child(ChildSpec::new("bee", || async {
                let w = Spawn::new().link().spawn(|mut ctx: Ctx<u32>| async move {
                    loop {
                        ctx.recv().await;
                    }
                });
                Ok(AnyPid::from(w))
            }))
            .start_unlinked()
            .await
            .unwrap();
        let worker = Spawn::new()
            .label("only-on-b")
            .spawn(|mut ctx: Ctx<u32>| async move {
                loop {
                    ctx.recv().await;
                }
            });
        actor_observer::net::answer(&b).await.unwrap();
        (b, worker, sup)
    });

    // Node A serves the observer; node C is up but does not answer.
    let rt_a = Runtime::tokio();
    let (a, c, serving) = rt_a.block_on(async {
        let a = Node::connect(steady(&url, "a")).await.unwrap();
        let c = Node::connect(steady(&url, "c")).await.unwrap();
        a.until_up(b.id(), Duration::from_secs(15)).await.unwrap();
        a.until_up(c.id(), Duration::from_secs(15)).await.unwrap();
        let serving = actor_observer::Observer::new()
            .token("test-token")
            .unwrap()
            .cluster(&a)
            .serve("127.0.0.1:0")
            .await
            .unwrap();
        (a, c, serving)
    });
    let at = |path: &str| format!("{}{path}", serving.url());
    let (bn, cn) = (b.id().0, c.id().0);

    // The overview lists the nodes, this one by its cluster id.
    let (status, nodes) = get(&at("api/nodes"));
    assert_eq!(status, 200);
    assert_eq!(nodes["this"], a.id().0);
    let others: Vec<(u64, &str)> = rows_of(&nodes["others"])
        .iter()
        .map(|n| (n["id"].as_u64().unwrap(), n["name"].as_str().unwrap()))
        .collect();
    assert!(others.contains(&(bn.into(), "b")), "{nodes}");
    assert!(others.contains(&(cn.into(), "c")), "{nodes}");

    // B's table: its worker, with an id carrying B's node id; none of A's
    // processes (A's observer runs on A only).
    let (status, table) = get(&at(&format!("api/processes?node={bn}")));
    assert_eq!(status, 200, "{table}");
    let want = format!("<{bn}.{}>", worker.id().serial);
    let row = rows_of(&table)
        .iter()
        .find(|p| p["label"] == "only-on-b")
        .unwrap_or_else(|| panic!("only-on-b missing from {:?}", labels(&table)));
    assert_eq!(row["id"], want.as_str());
    assert!(labels(&table).contains(&"observer-answer"));
    assert!(
        !labels(&table).contains(&"observer"),
        "{:?}",
        labels(&table)
    );
    for p in rows_of(&table) {
        assert!(
            p["id"].as_str().unwrap().starts_with(&format!("<{bn}.")),
            "{p}"
        );
    }
    // A's own table does not have it; A's own id names this node too.
    let (_, own) = get(&at("api/processes"));
    assert!(!labels(&own).contains(&"only-on-b"));
    assert!(labels(&own).contains(&"observer"));
    let (_, own_by_id) = get(&at(&format!("api/processes?node={}", a.id().0)));
    assert!(labels(&own_by_id).contains(&"observer"));
    let observer = format!("<{}.{}>", a.id().0, serving.pid().id().serial);
    let (status, mine) = get(&at(&format!("api/processes/{}", seg(&observer))));
    assert_eq!((status, &mine["label"]), (200, &Value::from("observer")));
    assert_eq!(mine["remote"], false);
    // The query is applied there: filtered, and a bad sort refused here.
    let (_, only) = get(&at(&format!("api/processes?node={bn}&filter=only-on")));
    assert_eq!(labels(&only), ["only-on-b"]);
    let (status, bad) = get(&at(&format!("api/processes?node={bn}&sort=colour")));
    assert_eq!(status, 400);
    assert!(bad["error"].as_str().unwrap().contains("colour"));

    // One process of B, by its id.
    let (status, detail) = get(&at(&format!("api/processes/{}", seg(&want))));
    assert_eq!(status, 200, "{detail}");
    assert_eq!(detail["label"], "only-on-b");
    assert_eq!(detail["remote"], true);
    let gone = format!("<{bn}.{}>", u64::MAX);
    let (status, _) = get(&at(&format!("api/processes/{}", seg(&gone))));
    assert_eq!(status, 404);

    // The page's stream sends B's table.
    let addr = serving.addr();
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    write!(
        s,
        "GET /api/events?table=true&node={bn}&filter=only-on HTTP/1.1\r\nHost: {addr}\r\n\r\n"
    )
    .unwrap();
    let mut lines = BufReader::new(s).lines();
    let streamed: Value = loop {
        let line = lines.next().unwrap().unwrap();
        if line == "event: table" {
            let data = lines.next().unwrap().unwrap();
            break serde_json::from_str(data.strip_prefix("data: ").unwrap()).unwrap();
        }
        assert_ne!(line, "event: table-error", "{:?}", lines.next());
    };
    assert_eq!(streamed["order"], serde_json::json!([want]));

    // Actions on B's processes: the token checked here, done there.
    let kill = at(&format!("api/processes/{}/kill", seg(&want)));
    assert_eq!(post(&kill, None).0, 401);
    assert!(worker.is_alive());
    let (status, refused) = post(
        &at(&format!("api/processes/{}/restart", seg(&want))),
        Some("test-token"),
    );
    assert_eq!(status, 409, "{refused}");
    assert!(
        refused["error"]
            .as_str()
            .unwrap()
            .contains(&format!("{want} is not a supervisor's child")),
        "{refused}"
    );
    // A supervised child of B restarted by its supervisor there.
    let bee = |rt: &Runtime| rt.block_on(sup.which_children()).unwrap()[0].1.id().serial;
    let before = bee(&rt_b);
    let (status, restarted) = post(
        &at(&format!(
            "api/processes/{}/restart",
            seg(format!("<{bn}.{before}>"))
        )),
        Some("test-token"),
    );
    assert_eq!(status, 200, "{restarted}");
    assert_eq!(restarted["child_id"], "bee");
    let after = bee(&rt_b);
    assert_ne!(before, after);
    assert_eq!(restarted["new"], format!("<{bn}.{after}>"));

    let (status, killed) = post(&kill, Some("test-token"));
    assert_eq!(
        (status, &killed["killed"]),
        (200, &Value::from(want.as_str()))
    );
    rt_b.block_on(async {
        tokio::time::timeout(Duration::from_secs(15), worker.wait())
            .await
            .expect("B's worker killed")
    });
    let (status, _) = post(&kill, Some("test-token"));
    assert_eq!(status, 404, "killed already");

    // A node that is up but does not answer observers, an unknown node, a
    // malformed node: each a clear error.
    let (status, silent) = get(&at(&format!("api/processes?node={cn}")));
    assert_eq!(status, 404);
    assert!(
        silent["error"]
            .as_str()
            .unwrap()
            .contains("does not answer"),
        "{silent}"
    );
    let (status, unknown) = get(&at("api/processes?node=4000000"));
    assert_eq!(status, 404);
    assert!(
        unknown["error"].as_str().unwrap().contains("not up"),
        "{unknown}"
    );
    let (status, _) = get(&at("api/processes?node=b"));
    assert_eq!(status, 400);

    // B shuts down: asking for it is the same clear 404, at once.
    let down = a.monitor_node(b.id());
    rt_b.block_on(b.shutdown());
    rt_a.block_on(async {
        tokio::time::timeout(Duration::from_secs(15), down)
            .await
            .expect("B seen down")
    });
    let (status, gone) = get(&at(&format!("api/processes?node={bn}")));
    assert_eq!(status, 404);
    assert!(gone["error"].as_str().unwrap().contains("not up"), "{gone}");

    rt_a.block_on(async {
        serving.stop();
        c.shutdown().await;
        a.shutdown().await;
    });
}
