//! Reading the facts of an uploaded file off its bytes (SPEC §5.4): the format by its magic bytes (never the
//! name or declared type), the dimensions from the header as the picture is shown (EXIF orientation applied),
//! and only then — when the header says the pixels are within bounds — a decode under memory limits, for
//! colour and integrity. Data after a JPEG's end (phones' trailers) is not the image ([`jpeg`]); a JPEG's
//! header must claim the picture its scan holds ([`scan`]).

mod jpeg;
mod scan;

use std::io::Cursor;

use image::{ImageDecoder, ImageFormat as Fmt, ImageReader};
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

/// The stored size, and the size as shown: a photo stored 441×358 with EXIF orientation 6 is shown upright,
/// 358×441, and the rules are about what a person sees.
fn header(bytes: &[u8], format: ImageFormat) -> Option<((u32, u32), (u32, u32))> {
    let f = match format {
        ImageFormat::Jpeg => Fmt::Jpeg,
        ImageFormat::Png => Fmt::Png,
        ImageFormat::Other => return None,
    };
    // The header alone, with no limits: reading it allocates nothing, and the bound is judged after.
    let mut decoder = ImageReader::with_format(Cursor::new(bytes), f).into_decoder().ok()?;
    let stored = decoder.dimensions();
    let turned = matches!(
        decoder
            .orientation()
            .unwrap_or(image::metadata::Orientation::NoTransforms),
        image::metadata::Orientation::Rotate90
            | image::metadata::Orientation::Rotate270
            | image::metadata::Orientation::Rotate90FlipH
            | image::metadata::Orientation::Rotate270FlipH
    );
    let shown = if turned { (stored.1, stored.0) } else { stored };
    Some((stored, shown))
}

/// Judges a document; returns its facts when it passes. CPU-bound: call it off the async threads.
pub fn inspect(kind: DocumentKind, bytes: &[u8]) -> Result<ImageFacts, DocumentError> {
    let format = format_of(bytes);
    let header = header(bytes, format);
    let layout = (format == ImageFormat::Jpeg).then(|| jpeg::layout(bytes)).flatten();
    let mut facts = ImageFacts {
        format,
        bytes: bytes.len() as u64,
        dimensions: header.map(|(_, shown)| shown),
        decodes: None,
        colour: None,
        cmyk: layout.map(|l| l.components == 4),
    };
    judge_header(kind, &facts)?;
    // The decoder may panic on a malformed file (zune-jpeg 0.5.15's IDCT on some frame headers, found by
    // fuzzing: `regressions/idct-panic.jpg`): a file the decoder cannot get through does not decode.
    let attempt = reader(bytes, format).map(|r| std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| r.decode())));
    let decoded = match attempt {
        Some(Ok(Ok(img))) => Some(img),
        // Within the side limit but more than the decoder may allocate (a 16-bit 8000×8000 PNG): too large
        // to check, which is not the same as damaged.
        Some(Ok(Err(image::ImageError::Limits(_)))) => {
            let (width, height) = facts.dimensions.unwrap_or((0, 0));
            return Err(DocumentError::TooLargeToCheck { width, height });
        }
        _ => None,
    };
    // A JPEG is whole when its markers reach the end-of-image marker (decoders fill in one cut short); the
    // frame its markers describe is the one decoded.
    let whole = match (format, layout) {
        (ImageFormat::Jpeg, Some(l)) => {
            l.complete
                && header.is_some_and(|(stored, _)| stored == (l.width, l.height))
                && scan::holds_what_header_claims(bytes) != Some(false)
        }
        (ImageFormat::Jpeg, None) => false,
        _ => true,
    };
    let agrees = match (&decoded, header) {
        (Some(img), Some((stored, _))) => (img.width(), img.height()) == stored,
        _ => false,
    };
    facts.decodes = Some(decoded.is_some() && whole && agrees);
    facts.colour = decoded.map(|img| img.color().has_color());
    judge_decoded(kind, &facts)?;
    Ok(facts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_the_decoder_panics_on_is_refused_as_undecodable() {
        let bytes = include_bytes!("regressions/idct-panic.jpg");
        for kind in DocumentKind::ALL {
            assert!(inspect(kind, bytes).is_err(), "{kind:?}");
        }
    }
}
