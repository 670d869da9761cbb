//! Reading the facts of an uploaded file off its bytes (SPEC §5.4): the format by its magic bytes (never the
//! name or declared type), the dimensions from the header, and only then — when the header says the pixels
//! are within bounds — a decode under memory limits, for colour and integrity.

use std::io::Cursor;

use image::{ImageFormat as Fmt, ImageReader};
use sscard_domain::documents::{judge_decoded, judge_header, DocumentError, DocumentKind, ImageFacts, ImageFormat};

/// Decoding never allocates more than this, whatever the header claims.
const DECODE_ALLOC_LIMIT: u64 = 256 * 1024 * 1024;

fn format_of(bytes: &[u8]) -> ImageFormat {
    match image::guess_format(bytes) {
        Ok(Fmt::Jpeg) => ImageFormat::Jpeg,
        Ok(Fmt::Png) => ImageFormat::Png,
        _ => ImageFormat::Other,
    }
}

fn reader(bytes: &[u8], format: ImageFormat) -> Option<ImageReader<Cursor<&[u8]>>> {
    let f = match format {
        ImageFormat::Jpeg => Fmt::Jpeg,
        ImageFormat::Png => Fmt::Png,
        ImageFormat::Other => return None,
    };
    let mut r = ImageReader::with_format(Cursor::new(bytes), f);
    let mut limits = image::Limits::default();
    limits.max_alloc = Some(DECODE_ALLOC_LIMIT);
    limits.max_image_width = Some(sscard_domain::documents::MAX_SIDE_PIXELS);
    limits.max_image_height = Some(sscard_domain::documents::MAX_SIDE_PIXELS);
    r.limits(limits);
    Some(r)
}

/// Judges a document; returns its facts when it passes. CPU-bound: call it off the async threads.
pub fn inspect(kind: DocumentKind, bytes: &[u8]) -> Result<ImageFacts, DocumentError> {
    let format = format_of(bytes);
    // The header alone, with no limits: reading it allocates nothing, and the bound is judged below.
    let dimensions = match format {
        ImageFormat::Jpeg => ImageReader::with_format(Cursor::new(bytes), Fmt::Jpeg)
            .into_dimensions()
            .ok(),
        ImageFormat::Png => ImageReader::with_format(Cursor::new(bytes), Fmt::Png)
            .into_dimensions()
            .ok(),
        ImageFormat::Other => None,
    };
    let mut facts = ImageFacts {
        format,
        bytes: bytes.len() as u64,
        dimensions,
        decodes: None,
        colour: None,
    };
    judge_header(kind, &facts)?;
    let decoded = reader(bytes, format).and_then(|r| r.decode().ok());
    // Decoders fill in a JPEG cut short rather than fail; a whole JPEG ends with its end-of-image marker.
    let whole = format != ImageFormat::Jpeg || ends_with_eoi(bytes);
    facts.decodes = Some(decoded.is_some() && whole);
    facts.colour = decoded.map(|img| img.color().has_color());
    judge_decoded(kind, &facts)?;
    Ok(facts)
}

fn ends_with_eoi(bytes: &[u8]) -> bool {
    let trimmed = bytes
        .iter()
        .rposition(|b| *b != 0)
        .map(|i| &bytes[..=i])
        .unwrap_or(bytes);
    trimmed.ends_with(&[0xFF, 0xD9])
}
