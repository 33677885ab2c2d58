//! Zeroed memory for visited tables, on transparent huge pages where Linux offers them.
//!
//! Why: a visited table of millions of slots is read and written at random. With 4 KiB pages
//! every first touch of a page is a page fault (on a VM, also an exit to the hypervisor), and
//! every access to a page the TLB does not cover is a page walk. A table grows by doubling and
//! its rehash touches every page of the new table, so a 16 MiB table costs 4,096 faults
//! before the search can go on. On 2 MiB pages it costs 8, and the TLB covers the table.
//! Where huge pages are unavailable (another OS, or `transparent_hugepage` set to `never`) the
//! memory is the same zeroed memory on small pages.

use std::ptr::NonNull;
use std::sync::atomic::AtomicU64;

/// Tables of at least this many bytes (1 MiB) get huge pages. A smaller table would get one
/// too, but 512 KiB is where a fresh visited set starts, and a search that small often touches
/// only some of its pages; from 1 MiB on (the set has grown once) the table is filling and the
/// one 2 MiB fault costs less than the 256 small ones it replaces (about 2 µs each on a VM,
/// and more when two threads fault in the same region at once: a 1 MiB table's growth took 3 ms
/// on two threads with small pages).
#[cfg(target_os = "linux")]
const MAPPED: usize = 1 << 20;

/// Types for which all-zero bytes are a valid value.
///
/// # Safety
/// Implement only for types whose all-zero bit pattern is a valid value.
pub(crate) unsafe trait Zeroable {}
// SAFETY: zero is a `u64`.
unsafe impl Zeroable for u64 {}
// SAFETY: `AtomicU64` has the bit validity of `u64`.
unsafe impl Zeroable for AtomicU64 {}

/// A zeroed, fixed-size array of `u64`s or `AtomicU64`s.
pub(crate) struct ZeroedSlots<T: Zeroable> {
    ptr: NonNull<T>,
    len: usize,
    /// How the memory was obtained, to give it back the same way.
    source: Source,
}

enum Source {
    Heap(std::alloc::Layout),
    #[cfg(target_os = "linux")]
    Map {
        base: *mut libc::c_void,
        bytes: usize,
    },
}

// SAFETY: the memory is owned (like a `Box<[T]>`), so sending it sends the `T`s.
unsafe impl<T: Zeroable + Send> Send for ZeroedSlots<T> {}
// SAFETY: shared access only gives `&[T]`.
unsafe impl<T: Zeroable + Sync> Sync for ZeroedSlots<T> {}

impl<T: Zeroable> ZeroedSlots<T> {
    pub(crate) fn new(len: usize) -> Self {
        assert!(len > 0);
        #[cfg(target_os = "linux")]
        if let Some(s) = Self::mapped(len) {
            return s;
        }
        let layout = std::alloc::Layout::array::<T>(len).expect("table size");
        // SAFETY: non-zero size (`T` is a word); all-zero bytes are valid `T`s (`Zeroable`).
        let p = unsafe { std::alloc::alloc_zeroed(layout) } as *mut T;
        let Some(ptr) = NonNull::new(p) else {
            std::alloc::handle_alloc_error(layout)
        };
        ZeroedSlots {
            ptr,
            len,
            source: Source::Heap(layout),
        }
    }

    /// Huge-page memory for tables of at least [`MAPPED`] bytes; `None` for smaller ones or
    /// when the mapping fails. The mapping is whole huge pages, aligned, so that the kernel
    /// can back every part of the table with them.
    #[cfg(target_os = "linux")]
    fn mapped(len: usize) -> Option<Self> {
        const HUGE: usize = 2 << 20;
        let table = len.checked_mul(std::mem::size_of::<T>())?;
        if table < MAPPED {
            return None;
        }
        let huge = table.checked_next_multiple_of(HUGE)?;
        let bytes = huge.checked_add(HUGE)?;
        // SAFETY: an anonymous private mapping: no file, no aliasing; checked for failure.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                bytes,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if base == libc::MAP_FAILED {
            return None;
        }
        let start = (base as usize).next_multiple_of(HUGE);
        // SAFETY: [start, start + huge) lies inside the mapping (HUGE bytes of slack were added
        // for the alignment). madvise is advice: if it fails the pages are small.
        unsafe {
            libc::madvise(start as *mut libc::c_void, huge, libc::MADV_HUGEPAGE);
        }
        Some(ZeroedSlots {
            ptr: NonNull::new(start as *mut T)?,
            len,
            source: Source::Map { base, bytes },
        })
    }
}

impl<T: Zeroable> std::ops::Deref for ZeroedSlots<T> {
    type Target = [T];
    #[inline]
    fn deref(&self) -> &[T] {
        // SAFETY: `len` initialised (zeroed) slots live at `ptr` for as long as `self`.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }
}

impl<T: Zeroable> std::ops::DerefMut for ZeroedSlots<T> {
    #[inline]
    fn deref_mut(&mut self) -> &mut [T] {
        // SAFETY: as in `deref`, and `&mut self` makes the access exclusive.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len) }
    }
}

impl<T: Zeroable> Drop for ZeroedSlots<T> {
    fn drop(&mut self) {
        match self.source {
            // SAFETY: allocated with this very layout in `new`.
            Source::Heap(layout) => unsafe {
                std::alloc::dealloc(self.ptr.as_ptr().cast(), layout)
            },
            // SAFETY: the whole mapping made in `mapped`, unmapped once.
            #[cfg(target_os = "linux")]
            Source::Map { base, bytes } => unsafe {
                libc::munmap(base, bytes);
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::Ordering;

    #[test]
    fn small_and_huge_tables_start_zeroed_and_keep_what_is_written() {
        for len in [2, 1 << 10, 1 << 18, (1 << 18) + 3] {
            let mut s = ZeroedSlots::<AtomicU64>::new(len);
            assert_eq!(s.len(), len);
            assert!(s.iter().all(|v| v.load(Ordering::Relaxed) == 0));
            s[len - 1].store(7, Ordering::Relaxed);
            *s[0].get_mut() = 5;
            assert_eq!(s[len - 1].load(Ordering::Relaxed), 7);
            assert_eq!(s[0].load(Ordering::Relaxed), 5);
        }
    }
}
