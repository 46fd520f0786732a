//! The core's scenario and validation tests, compiled for wasm32 and run in the browsers.
//!
//! One test binary for the three files, so that each engine starts one browser session for them
//! rather than three (a Firefox session takes up to 20 s to start on a loaded machine). Each file
//! also builds as its own wasm32 test binary, which is not configured for browsers and is skipped
//! by the browser runs; natively, each runs on its own (`cargo test`).
#![cfg(target_arch = "wasm32")]

wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

#[cfg(feature = "acked")]
#[path = "acked_scenarios.rs"]
mod acked_scenarios;
#[path = "machine_scenarios.rs"]
mod machine_scenarios;
#[path = "machine_validate.rs"]
mod machine_validate;
