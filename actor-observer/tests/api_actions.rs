//! Kill and restart need the token; a bad token, a bad id or a process
//! that is not alive gets a clear 4xx, and the server goes on serving.

mod common;

use common::{get, post, seg, start};

#[test]
fn an_action_without_the_token_or_with_a_wrong_one_is_refused() {
    let sys = start();
    let url = sys.url(&format!("api/processes/{}/kill", seg(sys.loner.id())));
    let (status, body) = post(&url, None);
    assert_eq!(status, 401);
    assert!(body["error"].as_str().unwrap().contains("Bearer"));
    let (status, body) = post(&url, Some("guess"));
    assert_eq!(status, 403);
    assert_eq!(body["error"], "wrong token");
    assert!(sys.loner.is_alive(), "refused means nothing was done");

    let (status, body) = post(&url, Some("test-token"));
    assert_eq!(status, 200);
    assert_eq!(body["killed"], sys.loner.id().to_string());
    let reason = sys.rt.block_on(sys.loner.wait());
    assert_eq!(reason, actor_core::ExitReason::Killed);
}

#[test]
fn restart_has_the_supervisor_start_the_child_again() {
    let sys = start();
    let alpha = sys.child("alpha");
    let url = sys.url(&format!("api/processes/{}/restart", seg(alpha.id())));
    assert_eq!(post(&url, None).0, 401);
    let (status, body) = post(&url, Some("test-token"));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["child_id"], "alpha");
    let new = sys.child("alpha");
    assert_eq!(body["new"], new.id().to_string());
    assert!(!alpha.is_alive());
    let (_, info) = get(&sys.url(&format!("api/processes/{}", seg(new.id()))));
    assert_eq!(info["restarts"], 1);
}

#[test]
fn bad_ids_dead_processes_and_unsupervised_restarts_get_clear_errors() {
    let sys = start();
    let t = Some("test-token");
    let (status, body) = post(&sys.url("api/processes/not-a-pid/kill"), t);
    assert_eq!(status, 400);
    assert!(body["error"].as_str().unwrap().contains("not a process id"));
    assert_eq!(get(&sys.url("api/processes/%3C0.x%3E")).0, 400);

    let gone = sys.rt.block_on(async {
        let p = actor_core::spawn(|_: actor_core::Ctx<()>| async {});
        p.wait().await;
        p.id()
    });
    let (status, body) = get(&sys.url(&format!("api/processes/{}", seg(gone))));
    assert_eq!(status, 404);
    assert!(body["error"].as_str().unwrap().contains("no live process"));
    assert_eq!(
        post(&sys.url(&format!("api/processes/{}/kill", seg(gone))), t).0,
        404
    );
    // Another node's process, and this observer has no cluster.
    for (status, body) in [
        post(&sys.url("api/processes/%3C7.1%3E/kill"), t),
        get(&sys.url("api/processes/%3C7.1%3E")),
    ] {
        assert_eq!(status, 404, "another node, and no cluster");
        assert!(
            body["error"].as_str().unwrap().contains("no other node"),
            "{body}"
        );
    }

    let (status, body) = post(
        &sys.url(&format!("api/processes/{}/restart", seg(sys.loner.id()))),
        t,
    );
    assert_eq!(status, 409);
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("not a supervisor's child")
    );

    // Still serving after all that.
    assert_eq!(get(&sys.url("api/processes")).0, 200);
}
