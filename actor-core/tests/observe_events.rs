//! The event stream tells spawns, exits, restarts and supervisors giving
//! up, in order; a listener that falls behind is told how many it missed.

use std::time::Duration;

use actor_core::deterministic::{self, Config};
use actor_core::observe::{self, EVENTS_BUFFERED, Event};
use actor_core::{
    AnyPid, ChildSpec, Ctx, EventsError, ExitReason, Spawn, Strategy, Supervisor, spawn,
};

fn fifo<T>(fut: impl std::future::Future<Output = T>) -> T {
    deterministic::run(Config::fifo(), fut).result.unwrap()
}

fn worker_spec(id: &str) -> ChildSpec {
    ChildSpec::new(id, || async {
        let w = Spawn::new()
            .link()
            .spawn(|mut ctx: Ctx<()>| async move { ctx.recv().await });
        Ok(AnyPid::from(w))
    })
}

#[test]
fn spawns_and_exits_arrive_in_order_with_parent_label_and_reason() {
    fifo(async {
        let mut events = observe::events();
        let pid = Spawn::new()
            .label("short")
            .spawn(|ctx: Ctx<()>| async move {
                let child = spawn(|_: Ctx<()>| async {});
                child.wait().await;
                let _ = ctx;
                ExitReason::other("done")
            });
        pid.wait().await;
        let mut seen = Vec::new();
        for _ in 0..4 {
            seen.push(events.recv().await.unwrap());
        }
        let Event::Spawned {
            id, parent, label, ..
        } = &seen[0]
        else {
            panic!("{seen:?}")
        };
        assert_eq!(
            (*id, *parent, label.as_deref()),
            (pid.id(), None, Some("short"))
        );
        let Event::Spawned {
            id: child, parent, ..
        } = &seen[1]
        else {
            panic!("{seen:?}")
        };
        assert_eq!(*parent, Some(pid.id()));
        let Event::Exited { id, reason, .. } = &seen[2] else {
            panic!("{seen:?}")
        };
        assert_eq!((id, reason), (child, &ExitReason::Normal));
        let Event::Exited {
            id, label, reason, ..
        } = &seen[3]
        else {
            panic!("{seen:?}")
        };
        assert_eq!((*id, label.as_deref()), (pid.id(), Some("short")));
        assert_eq!(*reason, ExitReason::other("done"));
    });
}

#[test]
fn a_restart_and_a_supervisor_giving_up_are_events() {
    fifo(async {
        let sup = Supervisor::new(Strategy::OneForOne)
            .intensity(1, Duration::from_secs(60))
            .child(worker_spec("worker"))
            .start_unlinked()
            .await
            .unwrap();
        let mut events = observe::events();
        let first = sup.which_children().await.unwrap()[0].1.clone();
        first.kill();
        let restarted = loop {
            if let Event::Restarted {
                supervisor,
                child_id,
                old,
                new,
                restarts,
                ..
            } = events.recv().await.unwrap()
            {
                assert_eq!(
                    (supervisor, &*child_id, old, restarts),
                    (sup.id(), "worker", first.id(), 1)
                );
                break new;
            }
        };
        let info = observe::snapshot().get(restarted).cloned().unwrap();
        assert_eq!(info.restarts, 1);
        assert_eq!(info.label.as_deref(), Some("worker"));
        assert_eq!(info.child_id.as_deref(), Some("worker"));
        assert_eq!(info.parent, Some(sup.id()));

        // A second crash within the minute is one too many.
        sup.which_children().await.unwrap()[0].1.kill();
        loop {
            if let Event::IntensityReached {
                supervisor,
                max_restarts,
                within,
                ..
            } = events.recv().await.unwrap()
            {
                assert_eq!(
                    (supervisor, max_restarts, within),
                    (sup.id(), 1, Duration::from_secs(60))
                );
                break;
            }
        }
        assert_eq!(sup.wait().await, ExitReason::Shutdown);
    });
}

#[test]
fn a_listener_that_falls_behind_is_told_how_many_events_it_missed() {
    fifo(async {
        let mut slow = observe::events();
        let n = EVENTS_BUFFERED + 10;
        for _ in 0..n {
            spawn(|_: Ctx<()>| async {});
        }
        // n spawns and, once they have run, n exits.
        for _ in 0..10 {
            actor_core::yield_now().await;
        }
        let mut events = 0;
        let mut missed = 0;
        loop {
            match actor_core::timeout(Duration::from_millis(1), slow.recv()).await {
                Ok(Ok(_)) => events += 1,
                Ok(Err(EventsError::Missed(k))) => missed += k,
                Ok(Err(e)) => panic!("{e}"),
                Err(_) => break,
            }
        }
        assert_eq!(events, EVENTS_BUFFERED as u64);
        assert_eq!(events + missed, 2 * n as u64);
    });
}
