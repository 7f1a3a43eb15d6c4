//! A node's end of the simulated network: what is in flight to it, by
//! arrival time, read as a stream on the runtime's (virtual) clock.

use std::collections::BTreeMap;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use futures::Stream;
use std::future::Future;

/// Messages in flight to one reader, by arrival time (ties in the order
/// they were sent).
pub(super) struct Queue<T> {
    inner: Mutex<Inner<T>>,
}

struct Inner<T> {
    items: BTreeMap<(Duration, u64), T>,
    /// The reader, waiting for something to arrive.
    waker: Option<Waker>,
}

impl<T> Queue<T> {
    pub(super) fn new() -> Arc<Queue<T>> {
        Arc::new(Queue {
            inner: Mutex::new(Inner {
                items: BTreeMap::new(),
                waker: None,
            }),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Inner<T>> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Puts `item` in flight, to arrive at `at`; `seq` orders arrivals at
    /// the same time.
    pub(super) fn push(&self, at: Duration, seq: u64, item: T) {
        let mut inner = self.lock();
        inner.items.insert((at, seq), item);
        if let Some(w) = inner.waker.take() {
            w.wake();
        }
    }

    /// How many are in flight.
    pub(super) fn len(&self) -> usize {
        self.lock().items.len()
    }
}

/// Whether an arriving item is let in (a partition or an outage may have
/// begun since it was sent).
pub(super) type Admit<T> = Box<dyn FnMut(&T) -> bool + Send>;

/// The arrivals of a [`Queue`], as a stream: each item once its time has
/// come, if [`Admit`] lets it in.
pub(super) struct Arrivals<T> {
    queue: Arc<Queue<T>>,
    sleep: Option<(Duration, Pin<Box<actor_core::Sleep>>)>,
    admit: Admit<T>,
}

impl<T> Arrivals<T> {
    pub(super) fn new(queue: Arc<Queue<T>>, admit: Admit<T>) -> Self {
        Arrivals {
            queue,
            sleep: None,
            admit,
        }
    }
}

impl<T> Stream for Arrivals<T> {
    type Item = T;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let this = self.get_mut();
        loop {
            let next = {
                let mut inner = this.queue.lock();
                match inner.items.first_key_value().map(|((at, _), _)| *at) {
                    Some(at) if at <= actor_core::now() => {
                        inner.items.pop_first().map(|(_, i)| Ok(i))
                    }
                    due => {
                        inner.waker = Some(cx.waker().clone());
                        due.map(Err)
                    }
                }
            };
            match next {
                // Checked with the queue unlocked: admitting may look at
                // the network.
                Some(Ok(item)) => {
                    if (this.admit)(&item) {
                        return Poll::Ready(Some(item));
                    }
                }
                Some(Err(at)) => {
                    if this.sleep.as_ref().is_none_or(|(t, _)| *t != at) {
                        this.sleep = Some((at, Box::pin(actor_core::sleep_until(at))));
                    }
                    let (_, sleep) = this.sleep.as_mut().expect("set above");
                    if sleep.as_mut().poll(cx).is_pending() {
                        return Poll::Pending;
                    }
                    this.sleep = None;
                }
                None => {
                    this.sleep = None;
                    return Poll::Pending;
                }
            }
        }
    }
}
