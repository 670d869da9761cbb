//! The image-facts reader from any bytes, for the kind the first byte picks: never a panic, never more memory
//! than its bound (libFuzzer's -rss_limit_mb watches), and what passes is what the rules allow.
#![no_main]
use libfuzzer_sys::fuzz_target;
use sscard_domain::documents::{DocumentKind, MAX_DOCUMENT_BYTES, PHOTO_HEIGHT, PHOTO_WIDTH};

fuzz_target!(|data: &[u8]| {
    // libfuzzer-sys aborts on any panic, even one the code under test catches; the service catches a decoder's
    // panic (`images::inspect`), so only a panic that escapes is a crash here.
    static DEFAULT_HOOK: std::sync::Once = std::sync::Once::new();
    DEFAULT_HOOK.call_once(|| drop(std::panic::take_hook()));
    let Some((&pick, bytes)) = data.split_first() else {
        return;
    };
    let kind = DocumentKind::ALL[usize::from(pick) % DocumentKind::ALL.len()];
    if let Ok(facts) = sscard_app::images::inspect(kind, bytes) {
        assert!(facts.bytes <= MAX_DOCUMENT_BYTES);
        assert_eq!(facts.decodes, Some(true));
        if kind == DocumentKind::CardPhoto {
            assert_eq!(facts.dimensions, Some((PHOTO_WIDTH, PHOTO_HEIGHT)));
            assert_ne!(facts.cmyk, Some(true));
        }
    }
});
