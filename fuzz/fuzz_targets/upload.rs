//! The portal's document upload from any body: the multipart form read as the portal reads it (the same parser,
//! the CSRF field looked up first), then each file judged as an upload is. Never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use sscard_domain::documents::DocumentKind;

fuzz_target!(|body: &[u8]| {
    // libfuzzer-sys aborts on any panic, even one the code under test catches; the service catches a decoder's
    // panic (`images::inspect`), so only a panic that escapes is a crash here.
    static DEFAULT_HOOK: std::sync::Once = std::sync::Once::new();
    DEFAULT_HOOK.call_once(|| drop(std::panic::take_hook()));
    let body = bytes::Bytes::copy_from_slice(body);
    futures::executor::block_on(async move {
        let stream = futures::stream::once(async move { Ok::<_, std::io::Error>(body) });
        let mut form = multer::Multipart::new(stream, "sscard-boundary");
        while let Ok(Some(field)) = form.next_field().await {
            let name = field.name().unwrap_or("").to_string();
            let Ok(bytes) = field.bytes().await else { break };
            if name == "csrf" {
                continue;
            }
            if let Some(kind) = DocumentKind::parse(&name) {
                let _ = sscard_app::images::inspect(kind, &bytes);
            }
        }
    });
});
