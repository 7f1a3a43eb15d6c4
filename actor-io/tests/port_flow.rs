//! Flow control: 100 MB streamed through `cat` keeps memory flat. Input is
//! bounded by acknowledgements (a window of chunks in flight), output by
//! credit (a chunk is read only when the owner asks for one).

use std::time::Duration;

use actor_core::{Ctx, spawn};
use actor_io::{Command, PortEvent};

const TOTAL: usize = 100 << 20;
const CHUNK: usize = 64 << 10;
const WINDOW: usize = 4;

/// A field of /proc/self/status, in kB.
fn status_kb(field: &str) -> usize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status
        .lines()
        .find(|l| l.starts_with(field))
        .unwrap_or_else(|| panic!("{field} in /proc/self/status"));
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

fn byte_at(offset: usize) -> u8 {
    (offset % 251) as u8
}

fn chunk_at(offset: usize, len: usize) -> Vec<u8> {
    (offset..offset + len).map(byte_at).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_megabytes_through_cat_in_flat_memory() {
    let baseline = status_kb("VmRSS:");
    let owner = spawn(|mut ctx: Ctx<PortEvent>| async move {
        let cat = Command::new("cat").stdin_acks().spawn(&ctx.pid()).unwrap();
        cat.grant(WINDOW as u32 - 1); // one credit to start with, plus these
        let mut sent = 0;
        let mut in_flight = 0;
        let mut received = 0;
        while sent < TOTAL && in_flight < WINDOW {
            cat.write(chunk_at(sent, CHUNK)).unwrap();
            sent += CHUNK;
            in_flight += 1;
        }
        loop {
            let event = actor_core::timeout(Duration::from_secs(60), ctx.recv())
                .await
                .expect("cat keeps answering");
            match event {
                PortEvent::Written { bytes, .. } => {
                    assert_eq!(bytes, CHUNK);
                    in_flight -= 1;
                    if sent < TOTAL {
                        cat.write(chunk_at(sent, CHUNK)).unwrap();
                        sent += CHUNK;
                        in_flight += 1;
                    } else if in_flight == 0 {
                        cat.close_stdin();
                    }
                }
                PortEvent::Stdout { data, .. } => {
                    for (i, &b) in data.iter().enumerate() {
                        assert_eq!(b, byte_at(received + i), "byte {}", received + i);
                    }
                    received += data.len();
                    cat.arm();
                }
                PortEvent::StdinClosed { unwritten, .. } => assert_eq!(unwritten, 0),
                PortEvent::Exited { status, .. } => {
                    assert!(status.success());
                    assert_eq!(received, TOTAL);
                    return;
                }
                other => panic!("{other:?}"),
            }
        }
    });
    let reason = actor_core::timeout(Duration::from_secs(120), owner.wait())
        .await
        .expect("100 MB in time");
    assert!(reason.is_normal(), "{reason}");
    let peak = status_kb("VmHWM:");
    let grown_mb = peak.saturating_sub(baseline) / 1024;
    assert!(
        grown_mb < 40,
        "memory grew by {grown_mb} MB while streaming {} MB",
        TOTAL >> 20
    );
}
