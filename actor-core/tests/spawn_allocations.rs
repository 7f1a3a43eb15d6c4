//! What a spawn costs the allocator: one allocation in the common case (the
//! process's task, its state and its mailbox together), and under 400 bytes
//! for a process waiting in `recv`, counted by a wrapping allocator on this
//! test's thread only.
#![allow(unsafe_code)] // The counting allocator below; it only delegates to the system's.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use actor_core::{Ctx, Runtime, spawn};

struct Counting;

thread_local! {
    /// Allocations and bytes live on this thread while `COUNTING` is set.
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    static ALLOCS: Cell<u64> = const { Cell::new(0) };
    static BYTES: Cell<i64> = const { Cell::new(0) };
}

fn note(delta_allocs: u64, delta_bytes: i64) {
    // `try_with`: thread-locals may be gone while a thread ends.
    let _ = COUNTING.try_with(|c| {
        if c.get() {
            let _ = ALLOCS.try_with(|a| a.set(a.get() + delta_allocs));
            let _ = BYTES.try_with(|b| b.set(b.get() + delta_bytes));
        }
    });
}

// SAFETY: every method delegates to `System` with the caller's arguments
// unchanged, so `System`'s guarantees are this allocator's; the counting
// touches only const-initialized thread-locals, which never allocate.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note(1, layout.size() as i64);
        // SAFETY: the caller's contract for `alloc` is `System::alloc`'s.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        note(0, -(layout.size() as i64));
        // SAFETY: `ptr` came from `System` with this layout (above).
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note(1, new_size as i64 - layout.size() as i64);
        // SAFETY: as for `dealloc`, and the caller's contract for `realloc`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Runs `f` and returns the allocations it made on this thread and the
/// bytes it left allocated.
fn counted(f: impl FnOnce()) -> (u64, i64) {
    let (a0, b0) = (ALLOCS.with(Cell::get), BYTES.with(Cell::get));
    COUNTING.with(|c| c.set(true));
    f();
    COUNTING.with(|c| c.set(false));
    (ALLOCS.with(Cell::get) - a0, BYTES.with(Cell::get) - b0)
}

const N: u64 = 10_000;

#[test]
fn a_spawn_allocates_once_and_an_idle_process_takes_under_400_bytes() {
    Runtime::tokio_current_thread().block_on(async {
        let mut pids = Vec::with_capacity(2 * N as usize);
        // Warm up: the process table's first pages, the scheduler's queue.
        for _ in 0..N {
            pids.push(spawn(|mut ctx: Ctx<u32>| async move {
                ctx.recv().await;
            }));
        }
        let (allocs, bytes) = counted(|| {
            for _ in 0..N {
                pids.push(spawn(|mut ctx: Ctx<u32>| async move {
                    ctx.recv().await;
                }));
            }
        });
        let each = bytes / N as i64;
        println!("{N} spawns: {allocs} allocations, {each} bytes each");
        // Beside each process's one allocation, the scheduler's queue of
        // new tasks takes a block per 63 of them, and the table of live
        // processes doubles now and then.
        assert!(allocs <= N + N / 50, "{allocs} allocations for {N} spawns");
        assert!(each < 400, "{each} bytes per idle process");
        for p in &pids {
            p.send(0).await.unwrap();
        }
        for p in pids {
            p.wait().await;
        }
    });
}
