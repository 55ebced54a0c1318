//! Keeps secrets out of freed memory: `ZeroOnFree`, the allocator of `keyward-run`, wipes every
//! heap buffer before it is freed or moved; `WipeWhenArmed`, the allocator of `keyward`, does
//! so while the scanner holds `--known-secrets` values. (The launcher's core-dump guard is
//! `launch::run::coredump`.)

use std::alloc::{GlobalAlloc, Layout, System};

/// A global allocator that zeroes memory before it returns it to `Inner`, so that freed
/// buffers (env files, Vault answers, copies made by `Command`) keep no secret behind.
pub struct ZeroOnFree<Inner = System>(pub Inner);

/// Zeroes `len` bytes at `ptr` in a way the optimiser may not drop as a dead store.
///
/// # Safety
/// `ptr` must be valid for writes of `len` bytes.
unsafe fn wipe(ptr: *mut u8, len: usize) {
    std::ptr::write_bytes(ptr, 0, len);
    std::hint::black_box(ptr);
    std::sync::atomic::compiler_fence(std::sync::atomic::Ordering::SeqCst);
}

// SAFETY: every method forwards to `Inner` with the same layouts; `realloc` is alloc + copy +
// dealloc of the old block, so the old block is wiped like any other.
unsafe impl<Inner: GlobalAlloc> GlobalAlloc for ZeroOnFree<Inner> {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        self.0.alloc(layout)
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        self.0.alloc_zeroed(layout)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        wipe(ptr, layout.size());
        self.0.dealloc(ptr, layout);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let new_layout = Layout::from_size_align_unchecked(new_size, layout.align());
        let new = self.0.alloc(new_layout);
        if !new.is_null() {
            std::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
            self.dealloc(ptr, layout);
        }
        new
    }
}

/// The allocator of `keyward`: passes through to `Inner` until `wipe_frees(true)`, then wipes
/// like `ZeroOnFree`. The scanner arms it while it holds `--known-secrets` values (loading
/// them, and dropping the automaton built from them) and disarms it while blobs stream past,
/// so a plain scan pays one relaxed load per free.
pub struct WipeWhenArmed<Inner = System>(pub ZeroOnFree<Inner>);

static ARMED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Turns wiping of freed memory on or off for `WipeWhenArmed`.
pub fn wipe_frees(on: bool) {
    ARMED.store(on, std::sync::atomic::Ordering::SeqCst);
}

fn armed() -> bool {
    ARMED.load(std::sync::atomic::Ordering::Relaxed)
}

// SAFETY: every method forwards to the `ZeroOnFree` when armed, else to its `Inner`, with the
// same layouts; a block allocated either way is freed correctly by both.
unsafe impl<Inner: GlobalAlloc> GlobalAlloc for WipeWhenArmed<Inner> {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        self.0.alloc(layout)
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        self.0.alloc_zeroed(layout)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        match armed() {
            true => self.0.dealloc(ptr, layout),
            false => self.0 .0.dealloc(ptr, layout),
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        match armed() {
            true => self.0.realloc(ptr, layout, new_size),
            false => self.0 .0.realloc(ptr, layout, new_size),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};

    /// Checks, at each free, that the block it is handed is all zeros.
    struct Inspecting(AtomicBool);

    unsafe impl GlobalAlloc for Inspecting {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            System.alloc(layout)
        }
        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            let block = std::slice::from_raw_parts(ptr, layout.size());
            if block.iter().any(|&b| b != 0) {
                self.0.store(true, Ordering::SeqCst);
            }
            System.dealloc(ptr, layout);
        }
    }

    /// Frees a block holding data, after moving it with `realloc`, through `alloc`; then
    /// asserts that the inspecting allocator under it only ever got zeroed blocks back.
    fn assert_wipes<A: GlobalAlloc>(alloc: &A, inspected: &Inspecting) {
        unsafe {
            let layout = Layout::from_size_align(16, 1).unwrap();
            let ptr = alloc.alloc(layout);
            ptr.copy_from(b"hunter22hunter22".as_ptr(), 16);
            let grown = alloc.realloc(ptr, layout, 64);
            assert_eq!(std::slice::from_raw_parts(grown, 16), b"hunter22hunter22");
            alloc.dealloc(grown, Layout::from_size_align(64, 1).unwrap());
        }
        assert!(
            !inspected.0.load(Ordering::SeqCst),
            "a block was freed with data in it"
        );
    }

    #[test]
    fn freed_and_moved_blocks_are_wiped() {
        let alloc = ZeroOnFree(Inspecting(AtomicBool::new(false)));
        assert_wipes(&alloc, &alloc.0);
    }

    #[test]
    fn an_armed_scanner_allocator_wipes_like_the_launchers() {
        let alloc = WipeWhenArmed(ZeroOnFree(Inspecting(AtomicBool::new(false))));
        // Other tests only ever arm it (dropping a known-secrets matcher), never disarm it.
        wipe_frees(true);
        assert_wipes(&alloc, &alloc.0 .0);
    }
}
