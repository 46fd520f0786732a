#![cfg(not(target_arch = "wasm32"))]
//! The core stays sans-IO: no browser binding, clock or random source may enter `src/machine`.

use std::fs;
use std::path::Path;

#[test]
fn the_core_imports_nothing_from_the_browser_side() {
    const FORBIDDEN: [&str; 9] = [
        "wasm_bindgen",
        "web_sys",
        "js_sys",
        "gloo",
        "getrandom",
        "std::time",
        "Instant",
        "crate::web",
        "super::web",
    ];
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/machine");
    let mut checked = 0;
    for entry in fs::read_dir(&dir).expect("src/machine exists") {
        let path = entry.expect("readable entry").path();
        if path.extension().is_some_and(|ext| ext == "rs") {
            let source = fs::read_to_string(&path).expect("readable source");
            for word in FORBIDDEN {
                assert!(!source.contains(word), "{} mentions {word}", path.display());
            }
            checked += 1;
        }
    }
    assert!(checked >= 7, "only {checked} files checked");
}
