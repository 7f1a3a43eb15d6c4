//! A small known system under the observer, for the browser tests.

#![allow(dead_code)]

use actor_core::{
    AnyPid, ChildSpec, Ctx, Pid, Runtime, Spawn, Strategy, Supervisor, SupervisorMsg,
};
use actor_observer::{Observer, Serving};

/// The token the tests' observer uses.
pub(crate) const TOKEN: &str = "browser-test-token";

/// `app` supervising `alpha`, `beta` and `gamma`, served by an observer.
pub(crate) struct System {
    pub(crate) rt: Runtime,
    pub(crate) serving: Serving,
    pub(crate) app: Pid<SupervisorMsg>,
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
    let rt = Runtime::tokio();
    let (serving, app) = rt.block_on(async {
        let app = Supervisor::new(Strategy::OneForOne)
            .child(worker("alpha"))
            .child(worker("beta"))
            .child(worker("gamma"))
            .start_unlinked()
            .await
            .unwrap();
        let serving = Observer::new()
            .token(TOKEN)
            .unwrap()
            .serve("127.0.0.1:0")
            .await
            .unwrap();
        (serving, app)
    });
    System { rt, serving, app }
}

impl System {
    /// The page at `#/view`.
    pub(crate) fn page(&self, view: &str) -> String {
        format!("{}#/{view}", self.serving.url())
    }

    /// The current process of child `id`.
    pub(crate) async fn child(&self, id: &str) -> AnyPid {
        let children = self.app.which_children().await.unwrap();
        children.into_iter().find(|(i, _)| i == id).unwrap().1
    }
}
