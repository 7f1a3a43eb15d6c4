//! The observer's page of one node of an actor-net cluster, in headless
//! Chromium: picking another node in the process table's node selector
//! lists that node's processes (ids `<N.serial>`), and the Kill button of
//! one of them kills it on its node.

use std::time::Duration;

use actor_core::{Ctx, Pid, Runtime, Spawn};
use actor_net::{NatsServer, Node, NodeConfig};
use fantoccini::Locator;
use tests::browser::Browser;

const TOKEN: &str = "browser-test-token";

/// No live node is lost within the test (only a goodbye makes one down).
fn steady(url: &str, name: &str) -> NodeConfig {
    NodeConfig::new(url, "page", name)
        .heartbeat(Duration::from_millis(200))
        .grace(Duration::from_secs(600))
}

#[test]
fn picking_another_node_shows_its_processes() {
    let server = NatsServer::start().unwrap();
    let url = server.url();
    // Node B, on a runtime (a process table) of its own.
    let rt_b = Runtime::tokio();
    let (b, worker): (Node, Pid<u32>) = rt_b.block_on(async {
        let b = Node::connect(steady(&url, "b")).await.unwrap();
        let worker = Spawn::new()
            .label("only-on-b")
            .spawn(|mut ctx: Ctx<u32>| async move {
                loop {
                    ctx.recv().await;
                }
            });
        actor_observer::net::answer(&b).await.unwrap();
        (b, worker)
    });
    let rt_a = Runtime::tokio();
    rt_a.block_on(async {
        let a = Node::connect(steady(&url, "a")).await.unwrap();
        a.until_up(b.id(), Duration::from_secs(15)).await.unwrap();
        let serving = actor_observer::Observer::new()
            .token(TOKEN)
            .unwrap()
            .cluster(&a)
            .serve("127.0.0.1:0")
            .await
            .unwrap();
        let bn = b.id().0;
        let want = format!("<{bn}.{}>", worker.id().serial);

        let br = Browser::start(1280, 900).await.unwrap();
        br.client
            .goto(&format!("{}#/processes", serving.url()))
            .await
            .unwrap();
        // This node's table first: its observer, not B's worker.
        br.until(
            r#"const labels = [...document.querySelectorAll('#process-table tbody tr')].map(r => r.children[2].textContent);
               return labels.includes('observer') && !labels.includes('only-on-b');"#,
        )
        .await
        .unwrap();
        // B is offered by name; picking it shows B's processes only.
        br.until(&format!(
            "return !!document.querySelector('#node option[value=\"{bn}\"]');"
        ))
        .await
        .unwrap();
        br.client
            .find(Locator::Css("#node"))
            .await
            .unwrap()
            .select_by_value(&bn.to_string())
            .await
            .unwrap();
        let text = br
            .until(&format!(
                r#"const row = document.querySelector('#process-table tr[data-id="{want}"]');
                   const labels = [...document.querySelectorAll('#process-table tbody tr')].map(r => r.children[2].textContent);
                   return row && !labels.includes('observer') && row.textContent;"#
            ))
            .await
            .unwrap();
        assert!(text.as_str().unwrap().contains("only-on-b"), "{text}");
        let count = br.js("return document.querySelector('#table-count').textContent;").await.unwrap();
        assert!(count.as_str().unwrap().ends_with(&format!("on node {bn}")), "{count}");
        assert!(br.client.current_url().await.unwrap().as_str().ends_with(&format!("#/processes/{bn}")));

        // Its process page: B's process, killed from the page.
        br.client
            .find(Locator::LinkText(&want))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        let heading = br
            .until("const h = document.querySelector('#detail h2'); return h && h.textContent.includes('only-on-b') && h.textContent;")
            .await
            .unwrap();
        assert!(heading.as_str().unwrap().contains(&want), "{heading}");
        br.type_into("#token", TOKEN).await.unwrap();
        br.click("#kill").await.unwrap();
        let toast = br.toast().await.unwrap();
        assert_eq!(toast, format!("killed {want}"));
        br.close().await;

        serving.stop();
        a.shutdown().await;
    });
    rt_b.block_on(async {
        tokio::time::timeout(Duration::from_secs(15), worker.wait())
            .await
            .expect("B's worker killed from A's page");
        b.shutdown().await;
    });
}
