//! The mailbox: the queue a process's senders push into, behind the
//! process's lock, and the receiver's own buffer ([`Inbox`]) that takes
//! what is queued in one step, so that a busy receiver takes the lock
//! once per batch, not once per message. Selective receive leaves the
//! messages it skips in that buffer, in order. Bounded mailboxes count the
//! messages in both against their capacity and park senders that find no
//! room.

use std::future::poll_fn;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll, Waker};

use crate::error::{SendError, TrySendError};
use crate::id::MonitorRef;
use crate::observe::{self, WaitMark};
use crate::process::{Shared, State};
use crate::raw::Ring;
use crate::runtime;

/// What a mailbox holds: a message, or a `Down` already converted into
/// the process's message type but still known by its monitor, so that
/// [`Ctx::demonitor_flush`](crate::Ctx::demonitor_flush) can take it back.
pub(crate) enum Item<M> {
    Msg(M),
    Down(Box<(MonitorRef, M)>),
}

impl<M> Item<M> {
    fn msg(&self) -> &M {
        match self {
            Item::Msg(m) => m,
            Item::Down(d) => &d.1,
        }
    }

    fn into_msg(self) -> M {
        match self {
            Item::Msg(m) => m,
            Item::Down(d) => d.1,
        }
    }

    pub(crate) fn is_down_of(&self, mref: MonitorRef) -> bool {
        matches!(self, Item::Down(d) if d.0 == mref)
    }
}

/// A receive buffer whose capacity is above this, and four times what it
/// holds, is given back after a burst.
const SHRINK_ABOVE: usize = 1024;

impl<M> Shared<M> {
    /// The messages in the receiver's own buffer, for observers.
    pub(crate) fn local(&self) -> usize {
        self.local.load(Ordering::Relaxed) as usize
    }
}

impl<M: Send + 'static> Shared<M> {
    pub(crate) fn bounded(&self) -> bool {
        self.capacity != u32::MAX
    }

    /// Queues `m` if the process is alive and, if bounded, has room.
    /// With `parked`, a full mailbox registers the waker under the
    /// sender's ticket, to be woken when room appears.
    pub(crate) fn push(
        &self,
        m: M,
        parked: Option<(&mut Option<u64>, &Waker)>,
    ) -> Result<(), TrySendError<M>> {
        let mut st = self.lock();
        if !self.alive(&st) {
            return Err(TrySendError::Closed(m));
        }
        if self.bounded()
            && st.queue.len() + st.ext.as_ref().map_or(0, |e| e.held) >= self.capacity as usize
        {
            if let Some((ticket, w)) = parked {
                let ext = st.ext();
                // A sender woken before keeps its ticket, and its place.
                let t = *ticket.get_or_insert_with(|| {
                    ext.next_ticket += 1;
                    ext.next_ticket
                });
                ext.send_waiters.insert(t, w.clone());
            }
            return Err(TrySendError::Full(m));
        }
        st.queue.push_back(Item::Msg(m));
        observe::count_sent();
        self.wake_receiver(&mut st);
        Ok(())
    }

    /// Sends to a bounded mailbox, waiting for room.
    pub(crate) async fn send_waiting(&self, m: M) -> Result<(), SendError<M>> {
        let mut slot = Some(m);
        let mut parked = Parked {
            shared: self,
            ticket: None,
        };
        let mut mark = WaitMark::new();
        poll_fn(|cx| {
            let m = slot.take().expect("polled after completion");
            match self.push(m, Some((&mut parked.ticket, cx.waker()))) {
                Ok(()) => {
                    parked.ticket = None;
                    runtime::trace_send(self.id, true);
                    Poll::Ready(Ok(()))
                }
                Err(TrySendError::Closed(m) | TrySendError::Unsendable(m, _)) => {
                    parked.ticket = None;
                    Poll::Ready(Err(SendError(m)))
                }
                Err(TrySendError::Full(m)) => {
                    slot = Some(m);
                    mark.set(self.id, true);
                    runtime::waiting_on("send (mailbox full)");
                    Poll::Pending
                }
            }
        })
        .await
    }
}

/// A sender parked on a full bounded mailbox: its ticket in the waiting
/// list (lowest first). Room wakes the first ticket only; a send that is
/// cancelled removes its ticket, or, if it had been woken, passes the
/// wakeup on to the next, so that abandoned sends leave nothing behind and
/// strand no one.
struct Parked<'a, M: Send + 'static> {
    shared: &'a Shared<M>,
    ticket: Option<u64>,
}

impl<M: Send + 'static> Drop for Parked<'_, M> {
    fn drop(&mut self) {
        let Some(t) = self.ticket else { return };
        let (mine, next) = {
            let mut st = self.shared.lock();
            let Some(ext) = st.ext.as_mut() else { return };
            match ext.send_waiters.remove(&t) {
                Some(w) => (Some(w), None),
                None => (None, ext.send_waiters.pop_first().map(|(_, w)| w)),
            }
        };
        drop(mine);
        if let Some(w) = next {
            w.wake();
        }
    }
}

/// The receiver's side of a mailbox: messages taken from the shared queue
/// but not yet received (selective receive leaves non-matching ones here,
/// in order).
pub(crate) struct Inbox<M> {
    pub(crate) local: Ring<Item<M>>,
}

impl<M: Send + 'static> Inbox<M> {
    pub(crate) fn new() -> Self {
        Inbox { local: Ring::new() }
    }

    /// Frees room in a bounded mailbox after a message left it, and wakes
    /// the first sender waiting for room (see [`Parked`]).
    fn taken(&self, shared: &Shared<M>) {
        if shared.bounded() {
            let first = {
                let mut st = shared.lock();
                let ext = st.ext();
                ext.held -= 1;
                ext.send_waiters.pop_first().map(|(_, w)| w)
            };
            if let Some(w) = first {
                w.wake();
            }
        }
        shared.note_taken(1, self.local.len());
        runtime::trace_receive(&shared.id);
    }

    /// Moves what is queued into the local buffer; `false` (and the waker
    /// registered) if nothing is.
    fn refill(&mut self, shared: &Shared<M>, cx: &mut Context<'_>) -> bool {
        let mut st = shared.lock();
        if st.queue.is_empty() {
            // Drained: a burst's buffers are given back before parking.
            if st.queue.capacity() > SHRINK_ABOVE {
                st.queue = Ring::new();
            }
            if self.local.is_empty() && self.local.capacity() > SHRINK_ABOVE {
                self.local = Ring::new();
            }
            // The drained receive buffer becomes the queue's, which the
            // last refill left without one: a process that empties its
            // mailbox before parking holds one buffer, not two.
            if self.local.is_empty() && st.queue.capacity() == 0 {
                std::mem::swap(&mut st.queue, &mut self.local);
            }
            shared.set_waiting(&mut st);
            if !st.waker.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                st.waker = Some(cx.waker().clone());
            }
            return false;
        }
        self.take_queued(shared.bounded(), &mut st);
        true
    }

    /// Moves the shared queue into the local buffer, in one step when the
    /// buffer is empty. A buffer left large by a burst is not handed back
    /// to the shared queue but freed (amortised: only after a burst).
    fn take_queued(&mut self, bounded: bool, st: &mut State<M>) {
        let n = st.queue.len();
        if bounded {
            st.ext().held += n;
        }
        if self.local.is_empty() {
            std::mem::swap(&mut st.queue, &mut self.local);
            if st.queue.capacity() > SHRINK_ABOVE.max(4 * n) {
                st.queue = Ring::new();
            }
        } else {
            self.local.append(&mut st.queue);
        }
    }

    pub(crate) fn poll_recv(&mut self, shared: &Shared<M>, cx: &mut Context<'_>) -> Poll<M> {
        if crate::process::budget_spent() {
            // Others first: back soon, with nothing taken.
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        loop {
            if let Some(m) = self.local.pop_front() {
                self.taken(shared);
                return Poll::Ready(m.into_msg());
            }
            if !self.refill(shared, cx) {
                runtime::waiting_on("receive");
                return Poll::Pending;
            }
        }
    }

    pub(crate) fn poll_recv_match(
        &mut self,
        shared: &Shared<M>,
        cx: &mut Context<'_>,
        scanned: &mut usize,
        pred: &mut impl FnMut(&M) -> bool,
    ) -> Poll<M> {
        if crate::process::budget_spent() {
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        loop {
            while *scanned < self.local.len() {
                let next = self.local.get(*scanned).expect("index is in range");
                if pred(next.msg()) {
                    let m = self.local.remove(*scanned).expect("index is in range");
                    self.taken(shared);
                    return Poll::Ready(m.into_msg());
                }
                *scanned += 1;
            }
            if !self.refill(shared, cx) {
                // What the scan skipped stays in the buffer: counted.
                shared.note_taken(0, self.local.len());
                runtime::waiting_on("selective receive");
                return Poll::Pending;
            }
        }
    }

    pub(crate) fn try_recv(&mut self, shared: &Shared<M>) -> Option<M> {
        if self.local.is_empty() {
            let mut st = shared.lock();
            if st.queue.is_empty() {
                return None;
            }
            self.take_queued(shared.bounded(), &mut st);
        }
        let m = self.local.pop_front()?;
        self.taken(shared);
        Some(m.into_msg())
    }

    /// Removes every `Down` of monitor `mref` from the mailbox.
    pub(crate) fn flush_down(&mut self, shared: &Shared<M>, mref: crate::id::MonitorRef) {
        let before = self.local.len();
        self.local.retain(|i| !i.is_down_of(mref));
        let flushed_here = before - self.local.len();
        shared.note_taken(0, self.local.len());
        let mut st = shared.lock();
        st.queue.retain(|i| !i.is_down_of(mref));
        if flushed_here > 0 {
            // Taken out of the local buffer: no longer holding room.
            if let Some(ext) = st.ext.as_mut() {
                ext.held = ext.held.saturating_sub(flushed_here);
            }
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.local.len()
    }
}

impl<M> Inbox<M> {
    /// Gives messages taken but not received back to the shared queue, in
    /// order, to die with the process when it ends (so that pending calls
    /// among them fail with its exit reason).
    pub(crate) fn give_back(&mut self, shared: &Shared<M>) {
        if self.local.is_empty() {
            return;
        }
        let mut st = shared.state.lock();
        let n = self.local.len();
        if let Some(ext) = st.ext.as_mut() {
            ext.held = ext.held.saturating_sub(n);
        }
        while let Some(m) = self.local.pop_back() {
            st.queue.push_front(m);
        }
        shared.note_taken(0, 0);
    }
}
