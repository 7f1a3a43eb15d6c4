//! A one-value slot between one sender and one receiver, without a lock:
//! what a call's reply goes through. The sender claims it, writes the value
//! and publishes it; the receiver registers its waker and reads the value
//! once it is published; either side may have gone.

use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicU8, Ordering};
use std::task::{Context, Poll, Waker};

/// A sender has claimed the slot (it alone writes the value).
const CLAIMED: u8 = 1;
/// The value is written and published.
const VALUE: u8 = 2;
/// The receiver's waker is written and published.
const WAKER: u8 = 4;
/// The receiver has gone.
const CLOSED: u8 = 8;
/// The receiver has taken the value.
const TAKEN: u8 = 16;

pub(crate) struct Oneshot<T> {
    state: AtomicU8,
    /// Written only by the sender that set CLAIMED, before it sets VALUE;
    /// read only by the receiver after it sees VALUE, or by that sender
    /// after it sees CLOSED (the receiver then never reads it).
    value: UnsafeCell<Option<T>>,
    /// Written only by the receiver while WAKER is clear; read by the
    /// sender only after it sees WAKER set.
    waker: UnsafeCell<Option<Waker>>,
}

// SAFETY: the protocol above gives each cell one writer at a time, and a
// reader only after an acquire of the flag its writer released; `T: Send`
// lets the value move from the sender's thread to the receiver's.
unsafe impl<T: Send> Sync for Oneshot<T> {}

impl<T> Oneshot<T> {
    pub(crate) fn new() -> Self {
        Oneshot {
            state: AtomicU8::new(0),
            value: UnsafeCell::new(None),
            waker: UnsafeCell::new(None),
        }
    }

    /// Sends the value; gives it back if a value was sent already or the
    /// receiver has gone.
    pub(crate) fn send(&self, value: T) -> Result<(), T> {
        let prev = self.state.fetch_or(CLAIMED, Ordering::Acquire);
        if prev & (CLAIMED | CLOSED) != 0 {
            return Err(value);
        }
        // SAFETY: CLAIMED is ours: no other sender writes, and the receiver
        // reads only after VALUE, which is not set yet.
        unsafe { *self.value.get() = Some(value) };
        let prev = self.state.fetch_or(VALUE, Ordering::AcqRel);
        if prev & CLOSED != 0 {
            // The receiver left before the value was published: it will
            // never read it, so it is ours to give back.
            // SAFETY: as above; the receiver does not touch the value.
            let value = unsafe { (*self.value.get()).take() };
            return Err(value.expect("written above"));
        }
        if prev & WAKER != 0 {
            // SAFETY: WAKER was set when VALUE was published: the waker is
            // written, and the receiver clears WAKER before it writes it
            // again and then sees VALUE, so it does not write it again.
            let waker = unsafe { (*self.waker.get()).as_ref() };
            if let Some(w) = waker {
                w.wake_by_ref();
            }
        }
        Ok(())
    }

    /// Receives the value, registering the task of `cx` until it comes.
    /// After `Ready` the slot is empty.
    pub(crate) fn poll_recv(&self, cx: &mut Context<'_>) -> Poll<T> {
        let state = self.state.load(Ordering::Acquire);
        if state & VALUE != 0 {
            return Poll::Ready(self.take());
        }
        if state & WAKER != 0 {
            // SAFETY: the receiver (us) is the only writer of the waker, and
            // a sender only reads it: reading it here is sound.
            let same =
                unsafe { (*self.waker.get()).as_ref() }.is_some_and(|w| w.will_wake(cx.waker()));
            if same {
                return Poll::Pending;
            }
            let prev = self.state.fetch_and(!WAKER, Ordering::AcqRel);
            if prev & VALUE != 0 {
                return Poll::Ready(self.take());
            }
        }
        // SAFETY: WAKER is clear, so no sender reads the waker now.
        unsafe { *self.waker.get() = Some(cx.waker().clone()) };
        let prev = self.state.fetch_or(WAKER, Ordering::AcqRel);
        if prev & VALUE != 0 {
            return Poll::Ready(self.take());
        }
        Poll::Pending
    }

    fn take(&self) -> T {
        let prev = self.state.fetch_or(TAKEN, Ordering::Relaxed);
        assert!(prev & TAKEN == 0, "a oneshot's value is received once");
        // SAFETY: VALUE was seen with acquire, so the sender's write is
        // visible and done; TAKEN makes this the only read.
        unsafe { (*self.value.get()).take() }.expect("VALUE is set after the value is written")
    }

    /// The receiver has gone: a value sent from now on is given back.
    pub(crate) fn close(&self) {
        // Nothing to tell once the value is taken.
        if self.state.load(Ordering::Relaxed) & TAKEN == 0 {
            self.state.fetch_or(CLOSED, Ordering::AcqRel);
        }
    }
}
