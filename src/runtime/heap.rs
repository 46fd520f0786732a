//! The shipped module's allocator: power-of-two size classes, each with a free list.
//!
//! Every block is a power of two of at least 8 bytes, aligned to its size (up to a wasm page), and
//! carved from the top of the heap, which grows by whole pages. A freed block goes on the free list
//! of its class and is the next one that class hands out; blocks are never split or merged. That
//! wastes up to half of each block, and memory that served one class stays with it. It suits a
//! driver whose allocations repeat (per message, per reconnect) so that its memory levels off, and
//! it costs a few hundred bytes of wasm where a general-purpose allocator costs kilobytes.

use core::alloc::Layout;
use core::ptr;

/// A wasm page, the unit memory grows by, and the largest alignment a block gets.
pub(crate) const PAGE: usize = 65536;

/// The smallest class, 8 bytes: room for the link of a free block, and any scalar's alignment.
const MIN_CLASS: u32 = 3;

/// Free lists, carving and growth. Addresses are plain integers; a free block's first word holds
/// the address of the next free block of its class (0 ends the list).
pub(crate) struct Heap {
    /// The first free block of each class, by log2 of the block size.
    free: [usize; usize::BITS as usize],
    /// Where the next block may be carved, and the end of the memory the heap owns.
    top: usize,
    end: usize,
}

impl Heap {
    pub(crate) const fn new() -> Heap {
        Heap {
            free: [0; usize::BITS as usize],
            top: 0,
            end: 0,
        }
    }

    /// A block for `layout`, or null when memory cannot grow (or the layout asks for an alignment
    /// beyond a page, which no type in this crate does).
    ///
    /// `grow(bytes)` adds at least `bytes` bytes of memory and returns where they start and how
    /// many there are, or `None`.
    ///
    /// # Safety
    ///
    /// Every address `grow` returns must be valid for reads and writes, page-aligned, and not
    /// used by anything else.
    pub(crate) unsafe fn alloc(
        &mut self,
        layout: Layout,
        grow: impl FnOnce(usize) -> Option<(usize, usize)>,
    ) -> *mut u8 {
        let Some(class) = class_of(layout) else {
            return ptr::null_mut();
        };
        let Some(list) = self.free.get_mut(class as usize) else {
            return ptr::null_mut();
        };
        let head = *list;
        if head != 0 {
            // SAFETY: a listed block is free memory of the heap, and starts with its link.
            *list = unsafe { (head as *const usize).read() };
            return head as *mut u8;
        }
        let size = 1usize << class;
        let align = size.min(PAGE);
        let mut grow = Some(grow);
        loop {
            let start = self.top.next_multiple_of(align);
            if start <= self.end && size <= self.end - start {
                // SAFETY: the skipped bytes are heap memory nothing holds.
                unsafe { self.release(self.top, start) };
                self.top = start + size;
                return start as *mut u8;
            }
            // One growth is always enough: it adds room for `size` bytes and an alignment gap.
            let Some((region, len)) = grow.take().and_then(|grow| grow(size + align)) else {
                return ptr::null_mut();
            };
            if region != self.end {
                // Not contiguous (the first growth): what was left below is released.
                // SAFETY: heap memory nothing holds.
                unsafe { self.release(self.top, self.end) };
                self.top = region;
            }
            self.end = region + len;
        }
    }

    /// Returns a block to its class.
    ///
    /// # Safety
    ///
    /// `block` came from [`Heap::alloc`] with this `layout` and is not used any more.
    pub(crate) unsafe fn dealloc(&mut self, block: *mut u8, layout: Layout) {
        if let Some(class) = class_of(layout) {
            // SAFETY: the block is ours again, at least 8 bytes and aligned for a usize.
            unsafe { self.push(class, block as usize) };
        }
    }

    /// Whether a block for `old` also serves `new` (same class), so that a reallocation can keep it.
    pub(crate) fn fits(old: Layout, new: Layout) -> bool {
        class_of(old).is_some() && class_of(old) == class_of(new)
    }

    /// Puts the unused range `from..to` (both multiples of 8) on the free lists, in the largest
    /// aligned blocks it holds.
    unsafe fn release(&mut self, mut from: usize, to: usize) {
        while from < to {
            let aligned = from.trailing_zeros();
            let fitting = (to - from).checked_ilog2().unwrap_or(0);
            let class = aligned.min(fitting);
            // SAFETY: unused heap memory, at least 8 bytes, aligned to its size.
            unsafe { self.push(class, from) };
            from += 1 << class;
        }
    }

    unsafe fn push(&mut self, class: u32, block: usize) {
        if let Some(list) = self.free.get_mut(class as usize) {
            // SAFETY: the caller hands over a free block of this class.
            unsafe { (block as *mut usize).write(*list) };
            *list = block;
        }
    }
}

/// log2 of the block size that serves `layout`: a power of two at least as large as its size and
/// its alignment. `None` beyond what the heap hands out.
fn class_of(layout: Layout) -> Option<u32> {
    if layout.align() > PAGE {
        return None;
    }
    let size = layout.size().max(layout.align()).max(1 << MIN_CLASS);
    Some(size.checked_next_power_of_two()?.trailing_zeros())
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::{Heap, PAGE};
    use core::alloc::Layout;
    use std::vec::Vec;

    /// Memory for the heap under test, handed out page by page as `grow` asks, with a count of the
    /// growths.
    struct Arena {
        memory: Vec<u8>,
        base: usize,
        used: usize,
        growths: usize,
    }

    impl Arena {
        fn new(pages: usize) -> Arena {
            let memory = std::vec![0u8; (pages + 1) * PAGE];
            let base = (memory.as_ptr() as usize).next_multiple_of(PAGE);
            Arena {
                memory,
                base,
                used: 0,
                growths: 0,
            }
        }

        fn grow(&mut self, bytes: usize) -> Option<(usize, usize)> {
            let len = bytes.next_multiple_of(PAGE);
            if self.used + len > self.memory.len() - PAGE {
                return None;
            }
            let start = self.base + self.used;
            self.used += len;
            self.growths += 1;
            Some((start, len))
        }

        fn alloc(&mut self, heap: &mut Heap, layout: Layout) -> usize {
            let block = unsafe { heap.alloc(layout, |bytes| self.grow(bytes)) } as usize;
            assert_ne!(block, 0, "{layout:?} allocated");
            assert_eq!(block % layout.align(), 0, "{layout:?} aligned");
            assert!(block >= self.base && block + layout.size() <= self.base + self.used);
            block
        }
    }

    /// A deterministic sequence for the shuffled workload (SplitMix64).
    fn next(state: &mut u64) -> u64 {
        *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = *state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    #[test]
    fn live_blocks_never_overlap_and_keep_their_contents() {
        let mut arena = Arena::new(256);
        let mut heap = Heap::new();
        let mut live: Vec<(usize, Layout, u8)> = Vec::new();
        let mut state = 7;
        for step in 0..20_000u32 {
            if live.len() > 200 || (!live.is_empty() && next(&mut state) % 3 == 0) {
                let (block, layout, fill) =
                    live.swap_remove(next(&mut state) as usize % live.len());
                let bytes =
                    unsafe { std::slice::from_raw_parts(block as *const u8, layout.size()) };
                assert!(
                    bytes.iter().all(|&b| b == fill),
                    "block {block:#x} kept its contents"
                );
                unsafe { heap.dealloc(block as *mut u8, layout) };
            } else {
                let size =
                    [0, 1, 7, 8, 9, 24, 100, 1000, 5000, 70_000][next(&mut state) as usize % 10];
                let align = [1, 2, 4, 8, 16, 4096][next(&mut state) as usize % 6];
                let layout = Layout::from_size_align(size, align).expect("valid layout");
                let block = arena.alloc(&mut heap, layout);
                let fill = step as u8;
                unsafe { std::ptr::write_bytes(block as *mut u8, fill, size) };
                live.push((block, layout, fill));
            }
        }
        for (i, &(a, la, _)) in live.iter().enumerate() {
            for &(b, lb, _) in &live[i + 1..] {
                assert!(
                    a + la.size() <= b || b + lb.size() <= a,
                    "{a:#x} and {b:#x} overlap"
                );
            }
        }
    }

    #[test]
    fn a_repeating_workload_stops_growing_memory() {
        let mut arena = Arena::new(16);
        let mut heap = Heap::new();
        let layouts = [
            Layout::new::<u64>(),
            Layout::from_size_align(300, 8).expect("valid layout"),
            Layout::from_size_align(5000, 4).expect("valid layout"),
        ];
        for round in 0..1000 {
            let blocks: Vec<usize> = layouts.iter().map(|&l| arena.alloc(&mut heap, l)).collect();
            for (&block, &layout) in blocks.iter().zip(&layouts) {
                unsafe { heap.dealloc(block as *mut u8, layout) };
            }
            if round == 0 {
                assert_eq!(arena.growths, 1, "one page serves the whole workload");
            }
        }
        assert_eq!(arena.growths, 1, "freed blocks are reused");
    }

    #[test]
    fn the_gap_before_an_aligned_block_serves_smaller_ones() {
        let mut arena = Arena::new(4);
        let mut heap = Heap::new();
        let layout = |size| Layout::from_size_align(size, 8).expect("valid layout");
        let first = arena.alloc(&mut heap, layout(8));
        assert_eq!(first % PAGE, 0, "the first block starts the first page");
        arena.alloc(&mut heap, layout(4096));
        // The 4096-byte block starts at 4096: the bytes from 8 to 4096 hold one free block of
        // each class from 8 to 2048 bytes.
        let mut size = 8;
        while size < 4096 {
            assert_eq!(
                arena.alloc(&mut heap, layout(size)),
                first + size,
                "{size} bytes"
            );
            size *= 2;
        }
        assert_eq!(arena.growths, 1);
    }

    #[test]
    fn refuses_what_it_cannot_serve() {
        let mut arena = Arena::new(2);
        let mut heap = Heap::new();
        let huge = Layout::from_size_align(4 * PAGE, 8).expect("valid layout");
        assert!(unsafe { heap.alloc(huge, |bytes| arena.grow(bytes)) }.is_null());
        let over_aligned = Layout::from_size_align(8, 2 * PAGE).expect("valid layout");
        assert!(unsafe { heap.alloc(over_aligned, |bytes| arena.grow(bytes)) }.is_null());
        // Still usable after a refusal.
        arena.alloc(&mut heap, Layout::new::<u32>());
    }

    #[test]
    fn a_reallocation_keeps_the_block_within_its_class() {
        let layout = |size| Layout::from_size_align(size, 8).expect("valid layout");
        assert!(Heap::fits(layout(20), layout(32)));
        assert!(!Heap::fits(layout(32), layout(33)));
        assert!(Heap::fits(layout(1), layout(8)));
    }
}
