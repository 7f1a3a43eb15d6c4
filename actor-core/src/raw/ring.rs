//! A FIFO queue one word wide: a mailbox's queue, and its receiver's
//! buffer. A `VecDeque` is four words, and a process holds two of them in
//! its one allocation; here the head, length and capacity live in the
//! heap block, before the elements, and an empty queue allocates nothing.
//! Capacity starts at one and doubles: most processes hold one message at
//! a time, and a million of them hold a million buffers.
//!
//! The elements are a ring: element `i` is in slot `(head + i) % cap`.
//! Every slot in `[head, head + len)` (mod `cap`) holds a value; the
//! others are uninitialised. Each `unsafe` block below keeps that.
//!
//! The unit tests run under Miri as well:
//! `cargo +nightly miri test -p actor-core --lib raw::ring`.

use std::alloc::{Layout, alloc, dealloc, handle_alloc_error};
use std::marker::PhantomData;
use std::ptr::{self, NonNull};

/// What the heap block starts with.
struct Header {
    head: u32,
    len: u32,
    cap: u32,
}

/// A FIFO queue of `T`, one pointer wide.
pub(crate) struct Ring<T> {
    /// `None` while it has never held anything (or was emptied by
    /// [`take`](std::mem::take)); else a block of [`Ring::layout`]`(cap)`,
    /// `cap >= 1`.
    block: Option<NonNull<Header>>,
    _owns: PhantomData<T>,
}

// SAFETY: a `Ring<T>` owns its `T`s as a `Vec<T>` does; it shares nothing.
unsafe impl<T: Send> Send for Ring<T> {}
// SAFETY: `&Ring<T>` gives out only `&T`.
unsafe impl<T: Sync> Sync for Ring<T> {}

impl<T> Default for Ring<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> Ring<T> {
    pub(crate) const fn new() -> Self {
        Ring {
            block: None,
            _owns: PhantomData,
        }
    }

    /// The block's layout for `cap` elements.
    fn layout(cap: usize) -> Layout {
        let (layout, offset) = Layout::new::<Header>()
            .extend(Layout::array::<T>(cap).expect("a ring's capacity fits memory"))
            .expect("a ring's capacity fits memory");
        debug_assert_eq!(offset, Self::OFFSET);
        layout
    }

    #[inline]
    fn header(&self) -> Option<&Header> {
        // SAFETY: a block starts with an initialised header, which only
        // `&mut self` methods change.
        self.block.map(|b| unsafe { b.as_ref() })
    }

    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.header().map_or(0, |h| h.len as usize)
    }

    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    #[inline]
    pub(crate) fn capacity(&self) -> usize {
        self.header().map_or(0, |h| h.cap as usize)
    }

    /// Where the elements start in a block: after the header, aligned
    /// for `T` (as [`Layout::extend`] in [`Ring::layout`] places them).
    const OFFSET: usize = size_of::<Header>().next_multiple_of(align_of::<T>());

    /// The first slot of a block.
    #[inline]
    fn elements(block: NonNull<Header>) -> *mut T {
        // SAFETY: the elements start `OFFSET` bytes into the block (see
        // `layout`), inside it: every block has room for one at least.
        unsafe { block.as_ptr().cast::<u8>().add(Self::OFFSET).cast::<T>() }
    }

    /// The slot for element `i` (`i < cap`), of a block with `head` and
    /// `cap`.
    #[inline]
    fn slot(block: NonNull<Header>, head: u32, cap: u32, i: usize) -> *mut T {
        let j = head as usize + i;
        let j = if j >= cap as usize {
            j - cap as usize
        } else {
            j
        };
        // SAFETY: `j < cap`, so the slot is inside the block.
        unsafe { Self::elements(block).add(j) }
    }

    /// Makes room for `extra` more elements.
    #[inline]
    fn reserve(&mut self, extra: usize) {
        if self.len() + extra > self.capacity() {
            self.grow(extra);
        }
    }

    /// Moves the elements, in order, to the start of a new block twice as
    /// large (at least), with room for `extra` more.
    #[cold]
    #[inline(never)]
    fn grow(&mut self, extra: usize) {
        const { assert!(size_of::<T>() != 0, "a ring holds values with a size") };
        let (len, cap) = (self.len(), self.capacity());
        let new_cap = (len + extra).max(2 * cap);
        let new_cap32 = u32::try_from(new_cap).expect("a ring holds fewer than 2^32 elements");
        let layout = Self::layout(new_cap);
        // SAFETY: the layout has a non-zero size (it holds the header).
        let new = unsafe { alloc(layout) }.cast::<Header>();
        let Some(new) = NonNull::new(new) else {
            handle_alloc_error(layout)
        };
        // SAFETY: `new` is a fresh block, aligned for its header.
        unsafe {
            new.as_ptr().write(Header {
                head: 0,
                len: len as u32,
                cap: new_cap32,
            });
        }
        if let Some(old) = self.block.take() {
            // SAFETY: the old header is initialised.
            let Header { head, cap, .. } = unsafe { old.as_ptr().read() };
            let (head, cap) = (head as usize, cap as usize);
            // The elements from `head` to the end of the old block, then
            // the rest from its start.
            let first = len.min(cap - head);
            let (from, to) = (Self::elements(old), Self::elements(new));
            // SAFETY: the two runs are the old block's `len` values, moved
            // (the old block is freed without dropping anything) to slots
            // `0..len` of the new one, which are inside it (`len < new_cap`)
            // and uninitialised; two blocks never overlap.
            unsafe {
                ptr::copy_nonoverlapping(from.add(head), to, first);
                ptr::copy_nonoverlapping(from, to.add(first), len - first);
            }
            // SAFETY: the old block was allocated with this layout, and its
            // values have moved out.
            unsafe { dealloc(old.as_ptr().cast(), Self::layout(cap)) };
        }
        self.block = Some(new);
    }

    /// The block and its header, mutably; `None` if it has none.
    #[inline]
    fn parts(&mut self) -> Option<(NonNull<Header>, &mut Header)> {
        let block = self.block?;
        // SAFETY: `&mut self` makes this the only reference to the header.
        Some((block, unsafe { &mut *block.as_ptr() }))
    }

    #[inline]
    pub(crate) fn push_back(&mut self, value: T) {
        match self.parts() {
            Some((block, h)) if h.len < h.cap => {
                let slot = Self::slot(block, h.head, h.cap, h.len as usize);
                // SAFETY: `len < cap`, so the slot after the last element
                // is inside the block and uninitialised.
                unsafe { slot.write(value) };
                h.len += 1;
            }
            _ => self.grow_and_push(value),
        }
    }

    #[cold]
    #[inline(never)]
    fn grow_and_push(&mut self, value: T) {
        self.grow(1);
        self.push_back(value);
    }

    pub(crate) fn push_front(&mut self, value: T) {
        self.reserve(1);
        let (block, h) = self.parts().expect("reserved");
        h.head = if h.head == 0 { h.cap - 1 } else { h.head - 1 };
        // SAFETY: `len < cap`, so the slot before the first element is
        // uninitialised; it is element 0 now.
        unsafe { Self::slot(block, h.head, h.cap, 0).write(value) };
        h.len += 1;
    }

    #[inline]
    pub(crate) fn pop_front(&mut self) -> Option<T> {
        let (block, h) = self.parts()?;
        if h.len == 0 {
            return None;
        }
        // SAFETY: element 0 holds a value; it is moved out and its slot
        // leaves the ring.
        let value = unsafe { Self::slot(block, h.head, h.cap, 0).read() };
        h.head = if h.head + 1 == h.cap { 0 } else { h.head + 1 };
        h.len -= 1;
        Some(value)
    }

    pub(crate) fn pop_back(&mut self) -> Option<T> {
        let (block, h) = self.parts()?;
        if h.len == 0 {
            return None;
        }
        h.len -= 1;
        // SAFETY: the last element holds a value; it is moved out and its
        // slot has left the ring.
        Some(unsafe { Self::slot(block, h.head, h.cap, h.len as usize).read() })
    }

    #[inline]
    pub(crate) fn get(&self, i: usize) -> Option<&T> {
        let block = self.block?;
        let h = self.header()?;
        // SAFETY: element `i < len` holds a value, borrowed with `self`.
        (i < h.len as usize).then(|| unsafe { &*Self::slot(block, h.head, h.cap, i) })
    }

    /// Removes element `i`, moving the shorter side of the ring over it.
    pub(crate) fn remove(&mut self, i: usize) -> Option<T> {
        let (block, h) = self.parts()?;
        let len = h.len as usize;
        if i >= len {
            return None;
        }
        let (head, cap) = (h.head, h.cap);
        let at = |k: usize| Self::slot(block, head, cap, k);
        // SAFETY: element `i` holds a value: moved out, its slot is a hole.
        let value = unsafe { at(i).read() };
        if i < len - 1 - i {
            // Elements `0..i` move one slot back, over the hole; the old
            // first slot leaves the ring.
            for k in (0..i).rev() {
                // SAFETY: both slots are in the block; `k` holds a value
                // and `k + 1` is the hole, which `k` becomes.
                unsafe { ptr::copy_nonoverlapping(at(k), at(k + 1), 1) };
            }
            h.head = if head + 1 == cap { 0 } else { head + 1 };
        } else {
            // Elements `i + 1..len` move one slot forward; the old last
            // slot leaves the ring.
            for k in i + 1..len {
                // SAFETY: as above, towards the front.
                unsafe { ptr::copy_nonoverlapping(at(k), at(k - 1), 1) };
            }
        }
        h.len -= 1;
        Some(value)
    }

    /// Keeps the elements for which `keep` is true, in order. Built on
    /// `pop_front` and `push_back`: a panic in `keep` or in a dropped
    /// element's destructor leaves a valid ring (its order then rotated).
    pub(crate) fn retain(&mut self, mut keep: impl FnMut(&T) -> bool) {
        for _ in 0..self.len() {
            let value = self.pop_front().expect("counted");
            if keep(&value) {
                // Never grows: one element has just left.
                self.push_back(value);
            }
        }
    }

    /// Moves every element of `other` to the back of this one, in order.
    pub(crate) fn append(&mut self, other: &mut Ring<T>) {
        let n = other.len();
        if n == 0 {
            return;
        }
        self.reserve(n);
        let (block, h) = self.parts().expect("reserved");
        let (from, f) = other.parts().expect("not empty");
        for i in 0..n {
            // SAFETY: element `i` of `other` holds a value, moved to the
            // `i`th slot after this ring's last element, which is inside
            // its block (`len + n <= cap`) and uninitialised; `other` then
            // forgets its values.
            unsafe {
                let to = Self::slot(block, h.head, h.cap, h.len as usize + i);
                ptr::copy_nonoverlapping(Self::slot(from, f.head, f.cap, i), to, 1);
            }
        }
        h.len += n as u32;
        (f.head, f.len) = (0, 0);
    }
}

impl<T> Drop for Ring<T> {
    fn drop(&mut self) {
        while let Some(value) = self.pop_front() {
            drop(value);
        }
        if let Some(block) = self.block {
            let cap = self.capacity();
            // SAFETY: allocated with this layout; its values are gone.
            unsafe { dealloc(block.as_ptr().cast(), Self::layout(cap)) };
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;
    use std::rc::Rc;

    use super::Ring;

    /// A value whose token counts the values alive.
    #[derive(Debug)]
    struct Counted {
        v: u32,
        _token: Rc<()>,
    }

    impl PartialEq for Counted {
        fn eq(&self, other: &Self) -> bool {
            self.v == other.v
        }
    }

    fn contents(r: &Ring<Counted>) -> Vec<u32> {
        (0..r.len())
            .map(|i| r.get(i).expect("in range").v)
            .collect()
    }

    /// Every operation, driven by a fixed pseudo-random sequence, agrees
    /// with `VecDeque` as the model, across wraps and growth; and every
    /// value is dropped exactly once.
    #[test]
    fn behaves_as_a_vecdeque_and_drops_each_value_once() {
        let token = Rc::new(());
        let mut ring = Ring::new();
        let mut model = VecDeque::new();
        let mut other = Ring::new();
        let mut seed = 0x9E37_79B9_7F4A_7C15_u64;
        let mut next = |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        let steps = if cfg!(miri) { 400 } else { 20_000 };
        for v in 0..steps {
            let c = || Counted {
                v,
                _token: token.clone(),
            };
            match next(9) {
                0 | 1 => {
                    ring.push_back(c());
                    model.push_back(c());
                }
                2 => {
                    ring.push_front(c());
                    model.push_front(c());
                }
                3 => assert_eq!(ring.pop_front(), model.pop_front()),
                4 => assert_eq!(ring.pop_back(), model.pop_back()),
                5 if !model.is_empty() => {
                    let i = next(model.len() as u64) as usize;
                    assert_eq!(ring.remove(i), model.remove(i));
                }
                6 => {
                    ring.retain(|x| x.v % 3 != 0);
                    model.retain(|x| x.v % 3 != 0);
                }
                7 => {
                    for k in 0..next(5) as u32 {
                        other.push_back(Counted {
                            v: v * 10 + k,
                            _token: token.clone(),
                        });
                        model.push_back(Counted {
                            v: v * 10 + k,
                            _token: token.clone(),
                        });
                    }
                    ring.append(&mut other);
                    assert!(other.is_empty());
                }
                _ => {
                    if next(20) == 0 {
                        ring = Ring::new();
                        model.clear();
                    }
                }
            }
            assert_eq!(ring.len(), model.len());
            assert!(ring.len() <= ring.capacity());
            assert_eq!(
                contents(&ring),
                model.iter().map(|x| x.v).collect::<Vec<_>>()
            );
            assert_eq!(ring.get(ring.len()), None);
        }
        drop((ring, other, model));
        assert_eq!(Rc::strong_count(&token), 1, "every value dropped once");
    }

    #[test]
    fn capacity_starts_at_one_and_doubles() {
        let mut ring = Ring::new();
        assert_eq!(ring.capacity(), 0);
        let mut seen = Vec::new();
        for v in 0..9u32 {
            ring.push_back(v);
            if seen.last() != Some(&ring.capacity()) {
                seen.push(ring.capacity());
            }
        }
        assert_eq!(seen, [1, 2, 4, 8, 16]);
        assert_eq!(size_of::<Ring<u64>>(), size_of::<usize>());
    }

    #[test]
    fn a_panicking_drop_in_retain_leaves_a_valid_ring() {
        struct Bomb(u32);
        impl Drop for Bomb {
            fn drop(&mut self) {
                if self.0 == 2 {
                    panic!("boom");
                }
            }
        }
        let mut ring = Ring::new();
        for v in 0..5 {
            ring.push_back(Bomb(v));
        }
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            ring.retain(|b| b.0 != 2);
        }));
        assert!(r.is_err());
        let mut left: Vec<u32> = (0..ring.len()).map(|i| ring.get(i).unwrap().0).collect();
        left.sort_unstable();
        assert_eq!(left, [0, 1, 3, 4]);
    }
}
