//! A one-value slot between one sender and one receiver, without a lock:
//! what a call's reply goes through. The sender claims it, writes the value
//! and publishes it; the receiver registers its waker and reads the value
//! once it is published; either side may have gone.

use std::sync::atomic::Ordering;
use std::task::{Context, Poll, Waker};

use super::sync::{AtomicU8, UnsafeCell};

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
        self.value.with_mut(|v| unsafe { *v = Some(value) });
        let prev = self.state.fetch_or(VALUE, Ordering::AcqRel);
        if prev & CLOSED != 0 {
            // The receiver left before the value was published: it will
            // never read it, so it is ours to give back.
            // SAFETY: as above; the receiver does not touch the value.
            let value = self.value.with_mut(|v| unsafe { (*v).take() });
            return Err(value.expect("written above"));
        }
        if prev & WAKER != 0 {
            // SAFETY: WAKER was set when VALUE was published: the waker is
            // written, and the receiver clears WAKER before it writes it
            // again and then sees VALUE, so it does not write it again.
            self.waker.with(|w| {
                if let Some(w) = unsafe { (*w).as_ref() } {
                    w.wake_by_ref();
                }
            });
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
            let same = self
                .waker
                .with(|w| unsafe { (*w).as_ref() }.is_some_and(|w| w.will_wake(cx.waker())));
            if same {
                return Poll::Pending;
            }
            let prev = self.state.fetch_and(!WAKER, Ordering::AcqRel);
            if prev & VALUE != 0 {
                return Poll::Ready(self.take());
            }
        }
        // SAFETY: WAKER is clear, so no sender reads the waker now.
        self.waker
            .with_mut(|w| unsafe { *w = Some(cx.waker().clone()) });
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
        self.value
            .with_mut(|v| unsafe { (*v).take() })
            .expect("VALUE is set after the value is written")
    }

    /// The receiver has gone: a value sent from now on is given back.
    pub(crate) fn close(&self) {
        // Nothing to tell once the value is taken.
        if self.state.load(Ordering::Relaxed) & TAKEN == 0 {
            self.state.fetch_or(CLOSED, Ordering::AcqRel);
        }
    }
}

#[cfg(all(test, actor_loom))]
mod loom_tests {
    use std::sync::atomic::Ordering::SeqCst;
    use std::task::{Context, Poll, Waker};

    use futures::task::ArcWake;
    use loom::sync::Arc;
    use loom::sync::atomic::AtomicUsize;
    use loom::thread;

    use super::Oneshot;

    /// A waker that counts its wakes.
    struct Wakes(AtomicUsize);

    impl ArcWake for Wakes {
        fn wake_by_ref(wakes: &std::sync::Arc<Self>) {
            wakes.0.fetch_add(1, SeqCst);
        }
    }

    fn waker() -> (std::sync::Arc<Wakes>, Waker) {
        let wakes = std::sync::Arc::new(Wakes(AtomicUsize::new(0)));
        (wakes.clone(), futures::task::waker(wakes))
    }

    /// A value that counts its drops.
    struct Value {
        id: usize,
        drops: Arc<AtomicUsize>,
    }

    impl Drop for Value {
        fn drop(&mut self) {
            self.drops.fetch_add(1, SeqCst);
        }
    }

    fn value(id: usize, drops: &Arc<AtomicUsize>) -> Value {
        Value {
            id,
            drops: drops.clone(),
        }
    }

    fn poll(slot: &Oneshot<Value>, waker: &Waker) -> Poll<Value> {
        slot.poll_recv(&mut Context::from_waker(waker))
    }

    /// Once every sender is done: the receiver has its value, or it was
    /// woken since its last poll and the value is there for it.
    fn receive(slot: &Oneshot<Value>, last: Poll<Value>, wakes: &Wakes, waker: &Waker) -> Value {
        match last {
            Poll::Ready(v) => v,
            Poll::Pending => {
                assert_eq!(wakes.0.load(SeqCst), 1, "a pending receiver is woken once");
                match poll(slot, waker) {
                    Poll::Ready(v) => v,
                    Poll::Pending => panic!("woken, yet no value"),
                }
            }
        }
    }

    #[test]
    fn loom_a_value_sent_during_a_poll_is_received_once() {
        loom::model(|| {
            let drops = Arc::new(AtomicUsize::new(0));
            let slot = Arc::new(Oneshot::new());
            let sender = {
                let (slot, v) = (slot.clone(), value(1, &drops));
                thread::spawn(move || assert!(slot.send(v).is_ok()))
            };
            let (wakes, waker) = waker();
            let first = poll(&slot, &waker);
            sender.join().unwrap();
            let got = receive(&slot, first, &wakes, &waker);
            assert_eq!(got.id, 1);
            assert_eq!(drops.load(SeqCst), 0);
            drop((got, slot));
            assert_eq!(drops.load(SeqCst), 1);
        });
    }

    #[test]
    fn loom_of_two_racing_senders_one_delivers_and_one_gets_its_value_back() {
        loom::model(|| {
            let drops = Arc::new(AtomicUsize::new(0));
            let slot = Arc::new(Oneshot::new());
            let senders: Vec<_> = (1..=2)
                .map(|id| {
                    let (slot, v) = (slot.clone(), value(id, &drops));
                    thread::spawn(move || slot.send(v).err().map(|back| back.id))
                })
                .collect();
            let (wakes, waker) = waker();
            let first = poll(&slot, &waker);
            let back: Vec<_> = senders.into_iter().map(|s| s.join().unwrap()).collect();
            let got = receive(&slot, first, &wakes, &waker);
            // The loser had its own value back (and dropped it).
            let loser = 3 - got.id;
            assert!(
                back.contains(&Some(loser)) && back.contains(&None),
                "{back:?}"
            );
            assert_eq!(drops.load(SeqCst), 1);
            drop((got, slot));
            assert_eq!(drops.load(SeqCst), 2);
        });
    }

    #[test]
    fn loom_a_value_sent_as_the_receiver_leaves_is_dropped_once() {
        loom::model(|| {
            let drops = Arc::new(AtomicUsize::new(0));
            let slot = Arc::new(Oneshot::new());
            let sender = {
                let (slot, v) = (slot.clone(), value(1, &drops));
                thread::spawn(move || slot.send(v).is_ok())
            };
            // The caller polls once, then gives up (a timeout) and leaves.
            let (_wakes, waker) = waker();
            let received = poll(&slot, &waker).is_ready();
            slot.close();
            let delivered = sender.join().unwrap();
            assert!(delivered || !received, "a value received was sent");
            drop(slot);
            assert_eq!(drops.load(SeqCst), 1);
        });
    }

    #[test]
    fn loom_the_last_waker_registered_is_the_one_woken() {
        loom::model(|| {
            let drops = Arc::new(AtomicUsize::new(0));
            let slot = Arc::new(Oneshot::new());
            let sender = {
                let (slot, v) = (slot.clone(), value(1, &drops));
                thread::spawn(move || assert!(slot.send(v).is_ok()))
            };
            // The receiver moves to another task between two polls.
            let (_, first_waker) = waker();
            let (wakes, second_waker) = waker();
            let last = match poll(&slot, &first_waker) {
                Poll::Ready(v) => Poll::Ready(v),
                Poll::Pending => poll(&slot, &second_waker),
            };
            sender.join().unwrap();
            let got = receive(&slot, last, &wakes, &second_waker);
            assert_eq!(got.id, 1);
            drop((got, slot));
            assert_eq!(drops.load(SeqCst), 1);
        });
    }
}
