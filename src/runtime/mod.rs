//! What std would otherwise bring to the shipped wasm module: an allocator and a panic handler.
//!
//! std's own are dlmalloc and a panic handler that formats its message (pulling in `core::fmt`),
//! about a third of the module's size, for a message that wasm32-unknown-unknown prints nowhere.
//! Installed only with the `own-runtime` feature (scripts/build.sh): test builds link std, which
//! supplies both. The allocator's logic is in [`heap`], which is tested natively.

mod heap;

#[cfg(all(feature = "own-runtime", target_arch = "wasm32"))]
mod wasm {
    use super::heap::{Heap, PAGE};
    use core::alloc::{GlobalAlloc, Layout};
    use core::cell::UnsafeCell;

    #[global_allocator]
    static ALLOCATOR: Allocator = Allocator(UnsafeCell::new(Heap::new()));

    struct Allocator(UnsafeCell<Heap>);

    // SAFETY: the module is single-threaded (built without the atomics feature), so the heap is
    // never reached from two threads; and no allocation happens inside another.
    #[cfg(not(target_feature = "atomics"))]
    unsafe impl Sync for Allocator {}

    /// Grows the wasm memory by whole pages; the heap owns everything it adds.
    fn grow(bytes: usize) -> Option<(usize, usize)> {
        let pages = bytes.div_ceil(PAGE);
        let old = core::arch::wasm32::memory_grow(0, pages);
        (old != usize::MAX).then(|| (old * PAGE, pages * PAGE))
    }

    unsafe impl GlobalAlloc for Allocator {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            // SAFETY: memory added by `grow` belongs to the heap alone (nothing else grows it).
            unsafe { (*self.0.get()).alloc(layout, grow) }
        }

        unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
            // SAFETY: the caller hands back a block of ours with its layout.
            unsafe { (*self.0.get()).dealloc(block, layout) }
        }

        unsafe fn realloc(&self, block: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            // SAFETY: GlobalAlloc::realloc's contract makes this a valid layout.
            let new = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
            if Heap::fits(layout, new) {
                return block;
            }
            // SAFETY: a fresh block, then the old one's bytes copied and the old one freed.
            unsafe {
                let moved = self.alloc(new);
                if !moved.is_null() {
                    core::ptr::copy_nonoverlapping(block, moved, layout.size().min(new_size));
                    self.dealloc(block, layout);
                }
                moved
            }
        }
    }

    /// A panic is a bug (the driver does not unwrap anything the browser or the user controls);
    /// it traps, which JS sees as a `RuntimeError: unreachable`, as it would with std and
    /// `panic = "abort"`.
    #[panic_handler]
    fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
        core::arch::wasm32::unreachable()
    }
}
