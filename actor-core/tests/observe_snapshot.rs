//! A snapshot tells what each live process is and does: its label, name,
//! parent, links, monitors, trap_exit, counters, mailbox and status, on
//! both runtimes.

use std::time::Duration;

use actor_core::deterministic::{self, Config};
use actor_core::observe::{self, Observed, Status};
use actor_core::{
    Down, Exit, ExitReason, INFINITY, Pid, Reply, Runtime, Spawn, register, spawn, yield_now,
};

enum Msg {
    Ping(Reply<u32>),
    Signal,
}
impl From<Down> for Msg {
    fn from(_: Down) -> Self {
        Msg::Signal
    }
}
impl From<Exit> for Msg {
    fn from(_: Exit) -> Self {
        Msg::Signal
    }
}

/// Lets every ready process run until all are parked (FIFO runtime).
async fn settle() {
    for _ in 0..10 {
        yield_now().await;
    }
}

fn fifo<T>(fut: impl std::future::Future<Output = T>) -> T {
    deterministic::run(Config::fifo(), fut).result.unwrap()
}

#[test]
fn a_snapshot_lists_labels_names_parents_links_monitors_and_trap_exit() {
    fifo(async {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let parent =
            Spawn::new()
                .label("parent")
                .spawn(move |mut ctx: actor_core::Ctx<Msg>| async move {
                    ctx.trap_exit();
                    let child =
                        ctx.spawn_link(|mut c: actor_core::Ctx<()>| async move { c.recv().await });
                    let watched = spawn(|mut c: actor_core::Ctx<()>| async move { c.recv().await });
                    ctx.monitor(&watched);
                    let _ = tx.send((child, watched));
                    loop {
                        if let Msg::Ping(r) = ctx.recv().await {
                            let _ = r.send(1);
                        }
                    }
                });
        register("the-parent", &parent).unwrap();
        let (child, watched) = rx.await.unwrap();
        settle().await;

        let snap = observe::snapshot();
        assert_eq!(snap.processes.len(), 3);
        let p = snap.get(parent.id()).unwrap();
        assert_eq!(p.label.as_deref(), Some("parent"));
        assert_eq!(p.name.as_deref(), Some("the-parent"));
        assert_eq!(p.parent, None, "spawned by the main future, not a process");
        assert_eq!(p.links, vec![child.id()]);
        assert_eq!(p.monitors, vec![watched.id()]);
        assert!(p.trap_exit);
        assert!(!p.supervisor);
        assert!(p.message_type.ends_with("Msg"), "{}", p.message_type);

        let c = snap.get(child.id()).unwrap();
        assert_eq!(c.parent, Some(parent.id()));
        assert_eq!(c.links, vec![parent.id()]);
        assert_eq!((c.label.clone(), c.name.clone()), (None, None));
        assert!(!c.trap_exit);

        let w = snap.get(watched.id()).unwrap();
        assert_eq!(w.parent, Some(parent.id()));
        assert_eq!(w.monitored_by, 1);
        assert!(w.links.is_empty());

        parent.kill();
        watched.kill();
        child.wait().await;
        assert!(observe::snapshot().processes.is_empty());
    });
}

#[test]
fn counters_say_what_a_process_received_and_sent_and_what_waits_in_its_mailbox() {
    fifo(async {
        // An echo that answers each number with the next, to `reply_to`.
        let sink = spawn(|mut ctx: actor_core::Ctx<u32>| async move {
            loop {
                ctx.recv().await;
            }
        });
        let s = sink.clone();
        let echo = spawn(move |mut ctx: actor_core::Ctx<u32>| async move {
            loop {
                let n = ctx.recv().await;
                s.send(n + 1).await.unwrap();
            }
        });
        for n in 0..5 {
            echo.send(n).await.unwrap();
        }
        settle().await;
        let snap = observe::snapshot();
        let e = snap.get(echo.id()).unwrap();
        assert_eq!((e.received, e.sent, e.mailbox), (5, 5, 0));
        let k = snap.get(sink.id()).unwrap();
        assert_eq!((k.received, k.sent), (5, 0));

        // A process that never receives: its mailbox holds what was sent.
        let deaf = spawn(|_: actor_core::Ctx<u32>| async {
            actor_core::sleep(INFINITY).await;
        });
        for n in 0..7 {
            deaf.send(n).await.unwrap();
        }
        let d = observe::snapshot().get(deaf.id()).cloned().unwrap();
        assert_eq!((d.mailbox, d.received), (7, 0));
        assert_eq!(d.status, Status::Waiting);

        // Skipped by a selective receive, still in the mailbox.
        let picky = spawn(|mut ctx: actor_core::Ctx<u32>| async move {
            ctx.recv_match(|n| *n == 99).await;
        });
        for n in 0..4 {
            picky.send(n).await.unwrap();
        }
        settle().await;
        let p = observe::snapshot().get(picky.id()).cloned().unwrap();
        assert_eq!((p.mailbox, p.received), (4, 0));
        assert_eq!(p.status, Status::Receiving);

        // Took the first of three queued messages, then waits on something
        // else: the other two, taken from its queue in the same step, are
        // still its mailbox.
        let busy = spawn(|mut ctx: actor_core::Ctx<u32>| async move {
            ctx.recv().await;
            actor_core::sleep(INFINITY).await;
        });
        for n in 0..3 {
            busy.send(n).await.unwrap();
        }
        settle().await;
        let b = observe::snapshot().get(busy.id()).cloned().unwrap();
        assert_eq!((b.mailbox, b.received), (2, 1));
        assert_eq!(b.status, Status::Waiting);
        for pid in [&sink, &echo, &deaf, &picky, &busy] {
            pid.kill();
        }
    });
}

#[test]
fn the_status_says_receiving_calling_sending_to_a_full_mailbox_or_running() {
    fifo(async {
        // A server that takes calls but never answers them.
        let mute = spawn(|mut ctx: actor_core::Ctx<Msg>| async move {
            let mut held = Vec::new();
            loop {
                if let Msg::Ping(r) = ctx.recv().await {
                    held.push(r);
                }
            }
        });
        let m = mute.clone();
        let caller = spawn(move |_: actor_core::Ctx<()>| async move {
            let _ = m.call(Msg::Ping, INFINITY).await;
        });
        let full: Pid<u8> = Spawn::new()
            .bounded(1)
            .spawn(|_: actor_core::Ctx<u8>| async {
                actor_core::sleep(INFINITY).await;
            });
        full.try_send(0).unwrap();
        let f = full.clone();
        let sender = spawn(move |_: actor_core::Ctx<()>| async move {
            f.send(1).await.unwrap();
        });
        settle().await;
        let snap = observe::snapshot();
        assert_eq!(snap.get(mute.id()).unwrap().status, Status::Receiving);
        assert_eq!(
            snap.get(caller.id()).unwrap().status,
            Status::Calling(mute.id())
        );
        assert_eq!(
            snap.get(sender.id()).unwrap().status,
            Status::Sending(full.id())
        );
        assert_eq!(snap.get(full.id()).unwrap().status, Status::Waiting);

        // A process sees itself running.
        let (tx, rx) = tokio::sync::oneshot::channel();
        spawn(move |ctx: actor_core::Ctx<()>| async move {
            let me = Observed::current().process(ctx.id()).unwrap();
            let _ = tx.send(me.status);
        });
        assert_eq!(rx.await.unwrap(), Status::Running);

        // The call ends (its callee dies): the caller waits on no one.
        mute.kill();
        assert_eq!(caller.wait().await, ExitReason::Normal);
        full.kill();
        sender.wait().await;
    });
}

#[test]
fn uptime_follows_the_runtime_clock() {
    fifo(async {
        let pid = spawn(|mut ctx: actor_core::Ctx<()>| async move { ctx.recv().await });
        settle().await;
        actor_core::sleep(Duration::from_secs(90)).await;
        let info = observe::snapshot().get(pid.id()).cloned().unwrap();
        assert_eq!(info.uptime, Duration::from_secs(90));
        pid.kill();
    });
}

#[test]
fn a_snapshot_on_tokio_sees_the_same_as_on_the_deterministic_runtime() {
    Runtime::tokio_current_thread().block_on(async {
        let server =
            Spawn::new()
                .label("server")
                .spawn(|mut ctx: actor_core::Ctx<Msg>| async move {
                    loop {
                        match ctx.recv().await {
                            Msg::Ping(r) => {
                                let _ = r.send(7);
                            }
                            Msg::Signal => {}
                        }
                    }
                });
        for _ in 0..3 {
            assert_eq!(server.call(Msg::Ping, Duration::from_secs(5)).await, Ok(7));
        }
        let observed = Observed::current();
        // From another thread, as a web server's task would look.
        let id = server.id();
        let info = std::thread::spawn(move || observed.process(id))
            .join()
            .unwrap()
            .unwrap();
        assert_eq!(info.label.as_deref(), Some("server"));
        assert_eq!(info.received, 3);
        assert_eq!(info.status, Status::Receiving);
        let json = serde_json::to_value(&info).unwrap();
        assert_eq!(json["id"], id.to_string());
        assert_eq!(json["status"]["state"], "receiving");
        assert_eq!(json["received"], 3);
        server.kill();
    });
}
