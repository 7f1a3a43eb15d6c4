//! No orphans, no zombies: a port's child is killed and reaped when its
//! owner ends or its handle is dropped, and with `process_group` its own
//! children go too.

use std::time::Duration;

use actor_core::{AnyPid, Ctx, ExitReason, spawn};
use actor_io::{Command, Fd, PortEvent};
use rustix::process::{Pid, PidfdFlags};

mod common;
use common::exists;

const T: Duration = Duration::from_secs(10);

fn pid(os_pid: u32) -> Pid {
    Pid::from_raw(os_pid as i32).unwrap()
}

#[tokio::test]
async fn the_child_is_killed_and_reaped_when_its_owner_ends() {
    for how in ["killed", "panicked", "returned"] {
        let (tx, rx) = tokio::sync::oneshot::channel::<(u32, AnyPid)>();
        let owner = spawn(move |mut ctx: Ctx<PortEvent>| async move {
            let port = Command::new("sleep").arg("1000").spawn(&ctx.pid()).unwrap();
            tx.send((port.os_pid(), port.process())).unwrap();
            // Keep the port alive in this process's state; never drop it by
            // hand: the owner's end must be enough.
            let port = Box::leak(Box::new(port));
            let _ = port;
            match how {
                "killed" => {
                    ctx.recv().await;
                }
                "panicked" => panic!("owner crashes"),
                _ => {}
            }
        });
        let (os_pid, port_process) = rx.await.unwrap();
        if how == "killed" {
            owner.kill();
        }
        let reason = owner.wait().await;
        match how {
            "killed" => assert_eq!(reason, ExitReason::Killed),
            "panicked" => assert!(matches!(reason, ExitReason::Panicked(_))),
            _ => assert!(reason.is_normal()),
        }
        // The port's process reaps the child before it ends.
        actor_core::timeout(T, port_process.wait()).await.unwrap();
        assert!(!exists(os_pid), "child {os_pid} is still there ({how})");
    }
}

#[tokio::test]
async fn dropping_the_port_kills_and_reaps_the_child() {
    let owner = spawn(|_ctx: Ctx<PortEvent>| async move {
        let port = Command::new("sleep")
            .arg("1000")
            .spawn(&_ctx.pid())
            .unwrap();
        let (os_pid, process) = (port.os_pid(), port.process());
        assert!(exists(os_pid));
        drop(port);
        actor_core::timeout(T, process.wait()).await.unwrap();
        assert!(!exists(os_pid));
    });
    common::ends_normally(owner.wait(), T).await;
}

#[tokio::test]
async fn a_process_group_takes_grandchildren_with_it() {
    let owner = spawn(|mut ctx: Ctx<PortEvent>| async move {
        let port = Command::new("sh")
            .args(["-c", "sleep 1000 & echo $!; wait"])
            .lines()
            .process_group()
            .spawn(&ctx.pid())
            .unwrap();
        let grandchild: u32 = match actor_core::timeout(T, ctx.recv()).await.unwrap() {
            PortEvent::Stdout { data, .. } => std::str::from_utf8(&data).unwrap().parse().unwrap(),
            other => panic!("{other:?}"),
        };
        // A pidfd becomes readable when its process terminates.
        let pidfd = rustix::process::pidfd_open(pid(grandchild), PidfdFlags::empty()).unwrap();
        let pidfd = Fd::new(pidfd).unwrap();
        let process = port.process();
        drop(port);
        actor_core::timeout(T, pidfd.readable())
            .await
            .unwrap()
            .unwrap();
        actor_core::timeout(T, process.wait()).await.unwrap();
    });
    common::ends_normally(owner.wait(), T).await;
}
