//! One spare `Arc` per thread, of any type: a value that is made, used
//! and dropped in a loop (a call's reply slot) can be kept and reused
//! instead of freed and allocated again. The type is erased in the
//! thread-local and checked by `TypeId` on the way out.

use std::any::TypeId;
use std::cell::Cell;
use std::ptr::NonNull;
use std::sync::Arc;

/// An `Arc<T>` with its type erased.
#[derive(Clone, Copy)]
struct Spare {
    ptr: NonNull<()>,
    /// `TypeId::of::<T>()`.
    type_id: TypeId,
    /// Drops it as the `Arc<T>` it is.
    drop: unsafe fn(NonNull<()>),
}

impl Spare {
    /// # Safety
    ///
    /// Once per `Spare` made by [`put`].
    unsafe fn drop(self) {
        // SAFETY: the caller's promise, and `drop` was made for its type.
        unsafe { (self.drop)(self.ptr) }
    }
}

struct Cache(Cell<Option<Spare>>);

impl Drop for Cache {
    fn drop(&mut self) {
        if let Some(s) = self.0.take() {
            // SAFETY: taken out of the cell, so dropped once.
            unsafe { s.drop() }
        }
    }
}

thread_local! {
    static CACHE: Cache = const { Cache(Cell::new(None)) };
}

/// # Safety
///
/// `ptr` must come from `Arc::into_raw` of an `Arc<T>`, and the reference
/// it stands for must not be used again.
unsafe fn drop_arc<T>(ptr: NonNull<()>) {
    // SAFETY: the caller's promise.
    drop(unsafe { Arc::from_raw(ptr.as_ptr().cast::<T>()) });
}

/// This thread's spare, if it is an `Arc<T>`.
pub(crate) fn take<T: 'static>() -> Option<Arc<T>> {
    CACHE
        .try_with(|c| {
            let spare = c.0.get()?;
            if spare.type_id != TypeId::of::<T>() {
                return None;
            }
            c.0.set(None);
            // SAFETY: `put::<T>` made it from `Arc::into_raw` of an
            // `Arc<T>` (its `TypeId` says so), and it is out of the cell
            // now, so its reference is taken back once.
            Some(unsafe { Arc::from_raw(spare.ptr.as_ptr().cast::<T>()) })
        })
        .ok()
        .flatten()
}

/// Keeps `value` as this thread's spare, dropping the one before.
pub(crate) fn put<T: 'static>(value: Arc<T>) {
    let spare = Spare {
        ptr: NonNull::new(Arc::into_raw(value).cast_mut())
            .expect("an Arc is never null")
            .cast(),
        type_id: TypeId::of::<T>(),
        drop: drop_arc::<T>,
    };
    let dropped = match CACHE.try_with(|c| c.0.replace(Some(spare))) {
        Ok(before) => before,
        // The thread is ending: no cache to keep it in.
        Err(_) => Some(spare),
    };
    if let Some(s) = dropped {
        // SAFETY: out of the cell (or never in it), so dropped once.
        unsafe { s.drop() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spare_comes_back_only_as_its_own_type_and_is_dropped_once() {
        let a = Arc::new(7u64);
        put(Arc::clone(&a));
        assert!(take::<u32>().is_none(), "another type gets nothing");
        let back = take::<u64>().expect("the spare");
        assert!(Arc::ptr_eq(&a, &back));
        assert!(take::<u64>().is_none(), "taken once");
        drop(back);
        // A new spare drops the one before: no reference is lost or kept.
        put(Arc::clone(&a));
        put(Arc::new(1u64));
        assert_eq!(Arc::strong_count(&a), 1);
    }
}
