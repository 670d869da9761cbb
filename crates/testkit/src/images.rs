//! Real image bytes for document tests: photos that pass, and one of each kind that must fail.

use std::io::Cursor;

use image::{DynamicImage, GrayImage, ImageFormat, RgbImage};

/// Deterministic noise, so a JPEG of it is large (a flat picture compresses to a few KB).
fn noise(w: u32, h: u32, seed: u32) -> RgbImage {
    let mut x = seed.wrapping_mul(2_654_435_761).max(1);
    RgbImage::from_fn(w, h, |_, _| {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        image::Rgb([(x & 0xff) as u8, ((x >> 8) & 0xff) as u8, ((x >> 16) & 0xff) as u8])
    })
}

fn encode(img: DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, format).unwrap();
    out.into_inner()
}

/// A colour JPEG of `w`×`h` full of noise (358×441 comes to well over 20 KB).
pub fn jpeg(w: u32, h: u32) -> Vec<u8> {
    encode(DynamicImage::ImageRgb8(noise(w, h, w ^ h)), ImageFormat::Jpeg)
}

/// A card photo that passes every rule.
pub fn card_photo() -> Vec<u8> {
    jpeg(358, 441)
}

/// A flat JPEG of the right size: a few KB, under the 20 KB minimum.
pub fn tiny_photo() -> Vec<u8> {
    encode(
        DynamicImage::ImageRgb8(RgbImage::from_pixel(358, 441, image::Rgb([200, 180, 160]))),
        ImageFormat::Jpeg,
    )
}

/// A black-and-white JPEG of the right size and weight.
pub fn grayscale_photo() -> Vec<u8> {
    let rgb = noise(358, 441, 7);
    let gray = GrayImage::from_fn(358, 441, |x, y| image::Luma([rgb.get_pixel(x, y)[0]]));
    encode(DynamicImage::ImageLuma8(gray), ImageFormat::Jpeg)
}

pub fn png(w: u32, h: u32) -> Vec<u8> {
    encode(DynamicImage::ImageRgb8(noise(w, h, 3)), ImageFormat::Png)
}

/// A valid JPEG header followed by padding: `len` bytes in all.
pub fn oversized(len: usize) -> Vec<u8> {
    let mut v = card_photo();
    v.resize(len, 0);
    v
}

/// A JPEG cut in half.
pub fn truncated_jpeg() -> Vec<u8> {
    let mut v = card_photo();
    v.truncate(v.len() / 2);
    v
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for b in data {
        crc ^= u32::from(*b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A decompression bomb: a small PNG whose header claims `side`×`side` pixels (decoding it would need
/// gigabytes).
pub fn png_bomb(side: u32) -> Vec<u8> {
    let mut v = png(64, 64);
    // IHDR data starts at byte 16 (8 signature + 4 length + 4 type); its CRC follows the 13 data bytes.
    v[16..20].copy_from_slice(&side.to_be_bytes());
    v[20..24].copy_from_slice(&side.to_be_bytes());
    let crc = crc32(&v[12..29]);
    v[29..33].copy_from_slice(&crc.to_be_bytes());
    v
}

/// A photograph-like image: smooth gradients with a little grain (real ID photos compress to 20–200 KB).
fn photo_like(w: u32, h: u32) -> RgbImage {
    photo_like_grain(w, h, 16)
}

fn photo_like_grain(w: u32, h: u32, grain_span: u32) -> RgbImage {
    let grain = noise(w, h, 11);
    RgbImage::from_fn(w, h, |x, y| {
        let g = grain.get_pixel(x, y);
        let base = |v: u32, span: u32| (v * 200 / span.max(1)) as u8;
        image::Rgb([
            base(x, w).saturating_add((u32::from(g[0]) % grain_span) as u8),
            base(y, h).saturating_add((u32::from(g[1]) % grain_span) as u8),
            base(x + y, w + h).saturating_add((u32::from(g[2]) % grain_span) as u8),
        ])
    })
}

/// A typical ID-card photograph as JPEG.
pub fn typical_jpeg(w: u32, h: u32) -> Vec<u8> {
    encode(DynamicImage::ImageRgb8(photo_like(w, h)), ImageFormat::Jpeg)
}

/// A typical ID-card scan as PNG.
pub fn typical_png(w: u32, h: u32) -> Vec<u8> {
    encode(DynamicImage::ImageRgb8(photo_like(w, h)), ImageFormat::Png)
}

/// A typical card photo: 358×441, colour, a few tens of KB (above the 20 KB minimum).
pub fn typical_card_photo() -> Vec<u8> {
    encode(
        DynamicImage::ImageRgb8(photo_like_grain(358, 441, 64)),
        ImageFormat::Jpeg,
    )
}

/// A card photo with what phones write after the end-of-image marker (a maker's trailer, then a motion
/// photo's video).
pub fn photo_with_trailer() -> Vec<u8> {
    let mut v = card_photo();
    v.extend_from_slice(b"\x00\x00SEFHSEFT\x00\x00\x00\x00MotionPhoto_Data");
    v.extend_from_slice(&[0x00, 0x00, 0x00, 0x18, b'f', b't', b'y', b'p', b'm', b'p', b'4', b'2']);
    v.extend(std::iter::repeat_n(0xAB, 4096));
    v
}

/// `jpeg` with an EXIF orientation tag (6: the camera was turned a quarter; viewers rotate it to show it).
pub fn with_orientation(jpeg: &[u8], orientation: u16) -> Vec<u8> {
    // APP1 "Exif": a big-endian TIFF header and one IFD entry, Orientation (0x0112, SHORT, 1).
    let mut exif = b"Exif\x00\x00MM\x00\x2A\x00\x00\x00\x08\x00\x01\x01\x12\x00\x03\x00\x00\x00\x01".to_vec();
    exif.extend_from_slice(&orientation.to_be_bytes());
    exif.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
    let len = u16::try_from(exif.len() + 2).unwrap();
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&exif);
    out.extend_from_slice(&jpeg[2..]);
    out
}

/// A 358×441 CMYK JPEG, as print software writes it.
pub fn cmyk_photo() -> Vec<u8> {
    let rgb = noise(358, 441, 5);
    let mut data = Vec::with_capacity(358 * 441 * 4);
    for p in rgb.pixels() {
        data.extend_from_slice(&[255 - p[0], 255 - p[1], 255 - p[2], 0]);
    }
    let mut out = Vec::new();
    jpeg_encoder::Encoder::new(&mut out, 90)
        .encode(&data, 358, 441, jpeg_encoder::ColorType::Cmyk)
        .unwrap();
    out
}

/// A PNG whose header says 16-bit RGBA at `side`×`side`: within the side limit, but decoding it would need more
/// memory than the decoder may take (8000×8000 is 512 MB).
pub fn deep_png(side: u32) -> Vec<u8> {
    let mut v = png_bomb(side);
    // IHDR: bit depth 16, colour type 6 (RGBA), then its CRC again.
    v[24] = 16;
    v[25] = 6;
    let crc = crc32(&v[12..29]);
    v[29..33].copy_from_slice(&crc.to_be_bytes());
    v
}

/// A JPEG whose frame header claims `claimed` (width, height) over the scan data of a `real` one: the header
/// lies about the picture (a 358×441 claim over 600×600 data).
pub fn lying_header(real: (u32, u32), claimed: (u16, u16)) -> Vec<u8> {
    claiming(jpeg(real.0, real.1), claimed)
}

/// A progressive JPEG of `w`×`h`, as some cameras and editors write it.
pub fn progressive_jpeg(w: u16, h: u16) -> Vec<u8> {
    let rgb = noise(u32::from(w), u32::from(h), 11);
    let mut out = Vec::new();
    let mut encoder = jpeg_encoder::Encoder::new(&mut out, 90);
    encoder.set_progressive(true);
    encoder
        .encode(rgb.as_raw(), w, h, jpeg_encoder::ColorType::Rgb)
        .unwrap();
    out
}

/// `jpeg` with its frame header claiming `claimed` (width, height) instead of what its scans hold.
pub fn claiming(mut v: Vec<u8>, claimed: (u16, u16)) -> Vec<u8> {
    let mut i = 2;
    while i + 9 < v.len() {
        let marker = v[i + 1];
        let len = usize::from(u16::from_be_bytes([v[i + 2], v[i + 3]]));
        if matches!(marker, 0xC0..=0xC2) {
            v[i + 5..i + 7].copy_from_slice(&claimed.1.to_be_bytes());
            v[i + 7..i + 9].copy_from_slice(&claimed.0.to_be_bytes());
            return v;
        }
        i += 2 + len;
    }
    panic!("no frame header");
}
