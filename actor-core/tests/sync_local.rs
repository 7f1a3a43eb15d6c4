//! Process-local storage (gevent's `local`): each process sees its own
//! value, and the value is dropped when its process ends, whatever the
//! reason.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use actor_core::deterministic::Config;
use actor_core::sync::Event;
use actor_core::{Ctx, ExitReason, Runtime, spawn, yield_now};

struct Session {
    user: String,
    dropped: Arc<AtomicUsize>,
}

impl Drop for Session {
    fn drop(&mut self) {
        self.dropped.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn each_process_has_its_own_local_and_it_is_dropped_when_the_process_ends() {
    let dropped = Arc::new(AtomicUsize::new(0));
    let d = dropped.clone();
    Runtime::deterministic(Config::seeded(3)).block_on(async move {
        let cy_waits = Event::new();
        let handlers: Vec<_> = ["ann", "bob", "cy"]
            .into_iter()
            .map(|user| {
                let (d, cy_waits) = (d.clone(), cy_waits.clone());
                spawn(move |mut ctx: Ctx<()>| async move {
                    ctx.local(|| Session {
                        user: user.to_string(),
                        dropped: d.clone(),
                    });
                    yield_now().await;
                    let session: &mut Session = ctx.local(|| unreachable!("set above"));
                    assert_eq!(session.user, user);
                    if user == "cy" {
                        cy_waits.set();
                        ctx.recv().await; // killed here
                    }
                })
            })
            .collect();
        cy_waits.wait().await;
        handlers[2].kill();
        for h in &handlers[..2] {
            assert!(h.wait().await.is_normal());
        }
        assert_eq!(handlers[2].wait().await, ExitReason::Killed);
    });
    assert_eq!(dropped.load(Ordering::SeqCst), 3);
}
