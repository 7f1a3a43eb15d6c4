//! A running observer over a small known system, and an HTTP client for it.
//!
//! The client blocks, so it runs on the test's own thread while the
//! system and the server run on a multi-thread runtime's workers.

#![allow(dead_code)]

use std::time::Duration;

use actor_core::{
    AnyPid, ChildSpec, Ctx, Pid, Runtime, Spawn, Strategy, Supervisor, SupervisorMsg, register,
};
use actor_observer::Serving;

/// The system under observation: a supervisor over two workers, and a
/// registered process of its own.
pub(crate) struct System {
    pub(crate) rt: Runtime,
    pub(crate) serving: Serving,
    pub(crate) sup: Pid<SupervisorMsg>,
    pub(crate) loner: Pid<u32>,
    /// The loner's registered name (names are global: one per test).
    pub(crate) name: String,
}

fn worker(id: &'static str) -> ChildSpec {
    ChildSpec::new(id, || async {
        let w = Spawn::new().link().spawn(|mut ctx: Ctx<u32>| async move {
            loop {
                ctx.recv().await;
            }
        });
        Ok(AnyPid::from(w))
    })
}

pub(crate) fn start() -> System {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let name = format!(
        "the-loner-{}",
        NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    let rt = Runtime::tokio();
    let (serving, sup, loner) = rt.block_on(async {
        let sup = Supervisor::new(Strategy::OneForOne)
            .child(worker("alpha"))
            .child(worker("beta"))
            .start_unlinked()
            .await
            .unwrap();
        let loner = Spawn::new()
            .label("loner")
            .spawn(|mut ctx: Ctx<u32>| async move {
                loop {
                    ctx.recv().await;
                }
            });
        register(&name, &loner).unwrap();
        let serving = actor_observer::Observer::new()
            .token("test-token")
            .unwrap()
            .serve("127.0.0.1:0")
            .await
            .unwrap();
        (serving, sup, loner)
    });
    System {
        rt,
        serving,
        sup,
        loner,
        name,
    }
}

impl System {
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{}", self.serving.url(), path.trim_start_matches('/'))
    }

    /// The child of the supervisor with this id.
    pub(crate) fn child(&self, id: &str) -> AnyPid {
        self.rt.block_on(async {
            self.sup
                .which_children()
                .await
                .unwrap()
                .into_iter()
                .find(|(i, _)| i == id)
                .unwrap()
                .1
        })
    }
}

pub(crate) fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(20)))
        .http_status_as_error(false)
        .build()
        .into()
}

/// `GET url`: the status and the body as JSON.
pub(crate) fn get(url: &str) -> (u16, serde_json::Value) {
    let mut r = agent().get(url).call().unwrap();
    let status = r.status().as_u16();
    (
        status,
        serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap(),
    )
}

/// `POST url` with `Authorization: Bearer token` if given.
pub(crate) fn post(url: &str, token: Option<&str>) -> (u16, serde_json::Value) {
    let mut req = agent().post(url);
    if let Some(t) = token {
        req = req.header("Authorization", &format!("Bearer {t}"));
    }
    let mut r = req.send_empty().unwrap();
    let status = r.status().as_u16();
    (
        status,
        serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap(),
    )
}

/// A process id as a URL path segment.
pub(crate) fn seg(id: impl std::fmt::Display) -> String {
    id.to_string().replace('<', "%3C").replace('>', "%3E")
}
