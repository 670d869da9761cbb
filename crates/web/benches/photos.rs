//! The photo judgement's own cost (issue 19): the CPU per typical application — its three files (card photo
//! 358×441 JPEG, ID front and back 1000×630, one JPEG and one PNG, 20–200 KB each) — judged by
//! `images::inspect` (format by magic bytes, the header with EXIF orientation, the JPEG's markers walked, a
//! bounded decode), against a bare decode of the same files by the same decoder in the same run.
//!
//! `cargo bench -p sscard-web --bench photos` (`SSCARD_BENCH_ROUNDS`, default 200).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use sscard_domain::documents::DocumentKind;
use sscard_testkit::images;

fn main() {
    let rounds: usize = std::env::var("SSCARD_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let files = [
        (DocumentKind::CardPhoto, images::typical_card_photo()),
        (DocumentKind::IdFront, images::typical_jpeg(1000, 630)),
        (DocumentKind::IdBack, images::typical_png(1000, 630)),
    ];
    for (kind, bytes) in &files {
        println!("{:<10} {:>4} KB", kind.as_str(), bytes.len() / 1024);
        sscard_app::images::inspect(*kind, bytes).expect("a typical file passes");
    }
    let time = |label: &str, f: &dyn Fn()| {
        f();
        let start = Instant::now();
        for _ in 0..rounds {
            f();
        }
        let per = start.elapsed().as_secs_f64() * 1000.0 / rounds as f64;
        println!("{label:<42} {per:>7.2} ms CPU per application");
        per
    };
    let bare = time("bare decode (image::load_from_memory)", &|| {
        for (_, bytes) in &files {
            std::hint::black_box(image::load_from_memory(bytes).unwrap());
        }
    });
    let judged = time("judgement (images::inspect)", &|| {
        for (kind, bytes) in &files {
            std::hint::black_box(sscard_app::images::inspect(*kind, bytes).unwrap());
        }
    });
    println!(
        "judgement / bare decode: {:.2}× ({:+.2} ms of its own per application)",
        judged / bare,
        judged - bare
    );
}
