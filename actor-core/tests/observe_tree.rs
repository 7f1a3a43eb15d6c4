//! The supervision tree: supervisors over their children, labelled with
//! their child ids, with restart counts; a child restarted by hand; and
//! the processes alive at the end of a failing seed in its report.

use std::time::Duration;

use actor_core::deterministic::{self, Config};
use actor_core::observe;
use actor_core::testing::Harness;
use actor_core::{AnyPid, ChildSpec, Ctx, Spawn, StartError, Strategy, Supervisor};

fn worker_spec(id: &str) -> ChildSpec {
    ChildSpec::new(id, || async {
        let w = Spawn::new()
            .link()
            .spawn(|mut ctx: Ctx<()>| async move { ctx.recv().await });
        Ok(AnyPid::from(w))
    })
}

fn labelled_spec(id: &str, label: &'static str) -> ChildSpec {
    ChildSpec::new(id, move || async move {
        let w = Spawn::new()
            .link()
            .label(label)
            .spawn(|mut ctx: Ctx<()>| async move { ctx.recv().await });
        Ok(AnyPid::from(w))
    })
}

#[test]
fn the_tree_nests_supervisors_and_children_under_their_child_ids() {
    let out = deterministic::run(Config::fifo(), async {
        let inner = Supervisor::new(Strategy::OneForAll)
            .child(worker_spec("a"))
            .child(labelled_spec("b", "bee"));
        let root = Supervisor::new(Strategy::OneForOne)
            .child(worker_spec("first"))
            .child(inner.child_spec("inner"))
            .start_unlinked()
            .await
            .unwrap();
        let tree = observe::snapshot().tree();
        assert_eq!(tree.len(), 1, "one root: {tree:#?}");
        let top = &tree[0];
        assert_eq!(top.process.id, root.id());
        assert!(top.process.supervisor);
        let names: Vec<_> = top
            .children
            .iter()
            .map(|c| c.process.label.as_deref().unwrap())
            .collect();
        assert_eq!(names, ["first", "inner"]);
        let inner = &top.children[1];
        assert!(inner.process.supervisor);
        let leaves: Vec<_> = inner
            .children
            .iter()
            .map(|c| (c.process.label.as_deref(), c.process.child_id.as_deref()))
            .collect();
        assert_eq!(leaves, [(Some("a"), Some("a")), (Some("bee"), Some("b"))]);

        // JSON: the tree nests `children`, ids print as <node.serial>.
        let json = serde_json::to_value(&tree).unwrap();
        assert_eq!(json[0]["id"], root.id().to_string());
        assert_eq!(json[0]["children"][1]["children"][1]["label"], "bee");
        root.kill();
    });
    out.result.unwrap();
}

#[test]
fn restart_child_replaces_a_child_counts_it_and_spares_the_intensity() {
    let out = deterministic::run(Config::fifo(), async {
        // At most one restart a minute: restarts by hand must not count.
        let sup = Supervisor::new(Strategy::OneForOne)
            .intensity(1, Duration::from_secs(60))
            .child(worker_spec("w"))
            .start_unlinked()
            .await
            .unwrap();
        let mut pid = sup.which_children().await.unwrap()[0].1.clone();
        for n in 1..=3 {
            let next = sup.restart_child("w").await.unwrap();
            assert!(!pid.is_alive());
            let info = observe::snapshot().get(next.id()).cloned().unwrap();
            assert_eq!(info.restarts, n);
            pid = next;
        }
        assert!(sup.is_alive(), "restarts by hand are not failures");
        assert_eq!(
            sup.restart_child("nope").await,
            Err(StartError::NoChild("nope".into()))
        );
        sup.kill();
    });
    out.result.unwrap();
}

#[test]
fn a_failing_seed_reports_the_processes_alive_at_the_end() {
    let report = Harness::new().seeds(1).explore(|| async {
        let stuck = Spawn::new()
            .label("stuck-worker")
            .spawn(|mut ctx: Ctx<u32>| async move {
                ctx.recv_match(|n| *n == 0).await;
            });
        stuck.send(1).await.unwrap();
        Err::<(), _>("the protocol is broken")
    });
    let failure = report.failure.expect("the body fails");
    assert_eq!(failure.processes.processes.len(), 1);
    let text = failure.to_string();
    assert!(text.contains("processes alive at the end (1):"), "{text}");
    assert!(text.contains("[stuck-worker]"), "{text}");
}
