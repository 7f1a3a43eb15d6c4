//! `GET /api/processes` lists every live process as JSON with ids printed
//! `<node.serial>`; one process, the tree and the live stream say the same.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::Duration;

use common::{get, seg, start};

#[test]
fn the_snapshot_lists_the_known_processes_with_erlang_style_ids() {
    let sys = start();
    let (status, list) = get(&sys.url("api/processes"));
    assert_eq!(status, 200);
    let list = list.as_array().unwrap();
    let labels: Vec<&str> = list.iter().filter_map(|p| p["label"].as_str()).collect();
    for want in ["alpha", "beta", "loner", "observer", "observer-sampler"] {
        assert!(labels.contains(&want), "{want} missing from {labels:?}");
    }
    let loner = list
        .iter()
        .find(|p| p["name"] == sys.name.as_str())
        .unwrap();
    assert_eq!(loner["id"], sys.loner.id().to_string());
    assert!(loner["id"].as_str().unwrap().starts_with("<0."));
    let sup = list
        .iter()
        .find(|p| p["id"] == sys.sup.id().to_string())
        .unwrap();
    assert_eq!(sup["supervisor"], true);
    assert_eq!(sup["links"].as_array().unwrap().len(), 2);

    // Filtered and sorted.
    let (_, only) = get(&sys.url("api/processes?filter=alp"));
    let only = only.as_array().unwrap();
    assert_eq!(only.len(), 1);
    assert_eq!(only[0]["child_id"], "alpha");
    let (status, bad) = get(&sys.url("api/processes?sort=colour"));
    assert_eq!(status, 400);
    assert!(bad["error"].as_str().unwrap().contains("colour"));
}

#[test]
fn one_process_shows_its_children_and_monitors_and_the_tree_nests_them() {
    let sys = start();
    let (status, sup) = get(&sys.url(&format!("api/processes/{}", seg(sys.sup.id()))));
    assert_eq!(status, 200);
    let alpha = sys.child("alpha").id().to_string();
    let beta = sys.child("beta").id().to_string();
    assert_eq!(sup["children"], serde_json::json!([alpha, beta]));
    // Bare ids work too.
    let bare = sys.loner.id().to_string();
    let bare = bare.trim_start_matches('<').trim_end_matches('>');
    let (status, loner) = get(&sys.url(&format!("api/processes/{bare}")));
    assert_eq!((status, loner["label"].as_str()), (200, Some("loner")));

    let (_, tree) = get(&sys.url("api/tree"));
    let root = tree
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["id"] == sys.sup.id().to_string())
        .unwrap();
    let kids: Vec<&str> = root["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["label"].as_str().unwrap())
        .collect();
    assert_eq!(kids, ["alpha", "beta"]);
}

#[test]
fn the_live_stream_sends_the_table_then_only_what_changed() {
    let sys = start();
    let addr = sys.serving.addr();
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    write!(
        s,
        "GET /api/events?table=true&filter=loner HTTP/1.1\r\nHost: {addr}\r\n\r\n"
    )
    .unwrap();
    let mut lines = BufReader::new(s).lines();
    let table = |lines: &mut dyn Iterator<Item = std::io::Result<String>>| loop {
        let line = lines.next().unwrap().unwrap();
        if line == "event: table" {
            let data = lines.next().unwrap().unwrap();
            let json: serde_json::Value =
                serde_json::from_str(data.strip_prefix("data: ").unwrap()).unwrap();
            return json;
        }
    };
    let first = table(&mut lines);
    assert_eq!(
        first["order"],
        serde_json::json!([sys.loner.id().to_string()])
    );
    assert_eq!(first["rows"][0]["received"], 0);
    // One message later, the row comes again with its new count.
    sys.rt.block_on(sys.loner.send(5)).unwrap();
    let next = table(&mut lines);
    assert_eq!(next["rows"].as_array().unwrap().len(), 1);
    assert_eq!(next["rows"][0]["received"], 1);
}

#[test]
fn the_nodes_the_program_names_are_listed_beside_this_one() {
    let rt = actor_core::Runtime::tokio();
    let serving = rt.block_on(async {
        actor_observer::Observer::new()
            .nodes(|| vec![actor_observer::Node::new(actor_core::NodeId(3), "b@host")])
            .serve("127.0.0.1:0")
            .await
            .unwrap()
    });
    let (status, nodes) = get(&format!("{}api/nodes", serving.url()));
    assert_eq!(status, 200);
    assert_eq!(nodes["this"], 0);
    assert_eq!(
        nodes["others"],
        serde_json::json!([{ "id": 3, "name": "b@host" }])
    );
    let sys = start();
    let (_, alone) = get(&sys.url("api/nodes"));
    assert_eq!(alone["others"], serde_json::json!([]));
}
