//! What std would otherwise bring to the shipped wasm module: an allocator and a panic handler.
//!
//! std's own are dlmalloc and a panic handler that formats its message (pulling in `core::fmt`),
//! about a third of the module's size, for a message that wasm32-unknown-unknown prints nowhere.
//! Built only with the `own-runtime` feature (scripts/build.sh): test builds link std, which
//! supplies both.

/// Talc: small and fast, and it returns freed memory to its free lists, as a connection that runs
/// for days must.
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

/// A panic is a bug (the driver does not unwrap anything the browser or the user controls); it
/// traps, which JS sees as a `RuntimeError: unreachable`, as it would with std and `panic = "abort"`.
#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    core::arch::wasm32::unreachable()
}
