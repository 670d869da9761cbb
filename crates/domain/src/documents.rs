//! Document rules (SPEC §5.4): what a card photo and ID images must be, judged from facts read off their
//! bytes (the adapter reads them; this module only judges). Every refusal names the rule and the value found.

use serde::{Deserialize, Serialize};

/// 8.75 MiB: the largest document accepted.
pub const MAX_DOCUMENT_BYTES: u64 = 9_175_040;
/// 20 KB: the smallest card photo accepted.
pub const MIN_PHOTO_BYTES: u64 = 20 * 1024;
pub const PHOTO_WIDTH: u32 = 358;
pub const PHOTO_HEIGHT: u32 = 441;
/// ID images larger than this (in pixels, per side) are not decoded: a decompression-bomb guard.
pub const MAX_SIDE_PIXELS: u32 = 8_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    CardPhoto,
    /// The applicant's ID card; for a minor, the child's.
    IdFront,
    IdBack,
    /// A minor's guardian's own ID card (national-emblem side, personal-information side).
    GuardianIdFront,
    GuardianIdBack,
    BirthCertificate,
    /// 户口本首页 (户主页).
    BookletFirstPage,
    /// The child's own page of the household booklet, and its back.
    BookletChildPage,
    BookletChildPageBack,
    /// 户主本人页, and its back.
    BookletHouseholderPage,
    BookletHouseholderPageBack,
    /// A holder's written authorisation of a proxy (SPEC §7.2, Q37): a scan or photo of the signed paper.
    ProxyAuthorisation,
}

impl DocumentKind {
    /// What every route but the minor's needs (SPEC §5.4).
    pub const OWN: [DocumentKind; 3] = [DocumentKind::CardPhoto, DocumentKind::IdFront, DocumentKind::IdBack];
    pub const ALL: [DocumentKind; 12] = [
        DocumentKind::CardPhoto,
        DocumentKind::IdFront,
        DocumentKind::IdBack,
        DocumentKind::GuardianIdFront,
        DocumentKind::GuardianIdBack,
        DocumentKind::BirthCertificate,
        DocumentKind::BookletFirstPage,
        DocumentKind::BookletChildPage,
        DocumentKind::BookletChildPageBack,
        DocumentKind::BookletHouseholderPage,
        DocumentKind::BookletHouseholderPageBack,
        DocumentKind::ProxyAuthorisation,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            DocumentKind::CardPhoto => "card_photo",
            DocumentKind::IdFront => "id_front",
            DocumentKind::IdBack => "id_back",
            DocumentKind::GuardianIdFront => "guardian_id_front",
            DocumentKind::GuardianIdBack => "guardian_id_back",
            DocumentKind::BirthCertificate => "birth_certificate",
            DocumentKind::BookletFirstPage => "booklet_first_page",
            DocumentKind::BookletChildPage => "booklet_child_page",
            DocumentKind::BookletChildPageBack => "booklet_child_page_back",
            DocumentKind::BookletHouseholderPage => "booklet_householder_page",
            DocumentKind::BookletHouseholderPageBack => "booklet_householder_page_back",
            DocumentKind::ProxyAuthorisation => "proxy_authorisation",
        }
    }
    pub fn parse(s: &str) -> Option<DocumentKind> {
        DocumentKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ImageFormat {
    Jpeg,
    Png,
    Other,
}

impl ImageFormat {
    pub fn media_type(self) -> &'static str {
        match self {
            ImageFormat::Jpeg => "image/jpeg",
            ImageFormat::Png => "image/png",
            ImageFormat::Other => "application/octet-stream",
        }
    }
}

/// What was read off a file's bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageFacts {
    pub format: ImageFormat,
    pub bytes: u64,
    /// From the header, when it could be read.
    pub dimensions: Option<(u32, u32)>,
    /// Whether it decoded; `None` when decoding was not attempted (refused earlier).
    pub decodes: Option<bool>,
    /// Whether the decoded image has colour channels.
    pub colour: Option<bool>,
    /// A JPEG in CMYK (4 components); `None` for other formats.
    pub cmyk: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum DocumentError {
    #[error("{bytes} bytes: must be at least {min} bytes")]
    TooSmall { bytes: u64, min: u64 },
    #[error("{bytes} bytes: must be at most {max} bytes")]
    TooLarge { bytes: u64, max: u64 },
    #[error("the file is {found}: must be a JPEG")]
    NotJpeg { found: &'static str },
    #[error("the file is {found}: must be a JPEG or PNG image")]
    NotAnImage { found: &'static str },
    #[error("{width}×{height} pixels: must be {PHOTO_WIDTH}×{PHOTO_HEIGHT}")]
    WrongDimensions { width: u32, height: u32 },
    #[error("{width}×{height} pixels: too large to open safely (at most {MAX_SIDE_PIXELS} per side)")]
    TooManyPixels { width: u32, height: u32 },
    #[error("the photo is black and white: it must be in colour")]
    Grayscale,
    #[error("the photo is in CMYK: it must be an RGB colour photo as a camera or phone takes it")]
    Cmyk,
    #[error("{width}×{height} pixels: more than can be checked (too much memory to open); send a smaller image")]
    TooLargeToCheck { width: u32, height: u32 },
    #[error("the image cannot be opened (damaged or incomplete)")]
    Undecodable,
}

impl DocumentError {
    pub fn code(&self) -> &'static str {
        match self {
            DocumentError::TooSmall { .. } => "document_too_small",
            DocumentError::TooLarge { .. } => "document_too_large",
            DocumentError::NotJpeg { .. } => "document_not_jpeg",
            DocumentError::NotAnImage { .. } => "document_not_image",
            DocumentError::WrongDimensions { .. } => "document_wrong_dimensions",
            DocumentError::TooManyPixels { .. } => "document_too_many_pixels",
            DocumentError::Grayscale => "document_grayscale",
            DocumentError::Cmyk => "document_cmyk",
            DocumentError::TooLargeToCheck { .. } => "document_too_large_to_check",
            DocumentError::Undecodable => "document_undecodable",
        }
    }
}

fn found(f: ImageFormat) -> &'static str {
    match f {
        ImageFormat::Jpeg => "JPEG",
        ImageFormat::Png => "PNG",
        ImageFormat::Other => "other",
    }
}

/// Checks that can be made before decoding: size, type, header dimensions. When this passes, the adapter may
/// decode the image (its pixels are bounded) and call [`judge_decoded`].
pub fn judge_header(kind: DocumentKind, f: &ImageFacts) -> Result<(), DocumentError> {
    if f.bytes > MAX_DOCUMENT_BYTES {
        return Err(DocumentError::TooLarge {
            bytes: f.bytes,
            max: MAX_DOCUMENT_BYTES,
        });
    }
    match kind {
        DocumentKind::CardPhoto => {
            if f.format != ImageFormat::Jpeg {
                return Err(DocumentError::NotJpeg { found: found(f.format) });
            }
            if f.bytes < MIN_PHOTO_BYTES {
                return Err(DocumentError::TooSmall {
                    bytes: f.bytes,
                    min: MIN_PHOTO_BYTES,
                });
            }
            // The banks print from an RGB photo; a CMYK one (from print software, not a camera) is refused
            // rather than converted, so that what is printed is what the applicant sent.
            if f.cmyk == Some(true) {
                return Err(DocumentError::Cmyk);
            }
            match f.dimensions {
                Some((PHOTO_WIDTH, PHOTO_HEIGHT)) => Ok(()),
                Some((width, height)) => Err(DocumentError::WrongDimensions { width, height }),
                None => Err(DocumentError::Undecodable),
            }
        }
        // ID images and the minor's supporting papers: JPEG or PNG, bounded, and they must decode.
        _ => {
            if f.format == ImageFormat::Other {
                return Err(DocumentError::NotAnImage { found: found(f.format) });
            }
            match f.dimensions {
                Some((w, h)) if w > MAX_SIDE_PIXELS || h > MAX_SIDE_PIXELS => {
                    Err(DocumentError::TooManyPixels { width: w, height: h })
                }
                Some(_) => Ok(()),
                None => Err(DocumentError::Undecodable),
            }
        }
    }
}

/// Checks on the decoded image.
pub fn judge_decoded(kind: DocumentKind, f: &ImageFacts) -> Result<(), DocumentError> {
    if f.decodes != Some(true) {
        return Err(DocumentError::Undecodable);
    }
    if kind == DocumentKind::CardPhoto && f.colour == Some(false) {
        return Err(DocumentError::Grayscale);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn photo(bytes: u64, dims: (u32, u32)) -> ImageFacts {
        ImageFacts {
            format: ImageFormat::Jpeg,
            bytes,
            dimensions: Some(dims),
            decodes: Some(true),
            colour: Some(true),
            cmyk: Some(false),
        }
    }

    #[test]
    fn card_photo_rules_name_the_value_found() {
        let k = DocumentKind::CardPhoto;
        assert_eq!(judge_header(k, &photo(50_000, (358, 441))), Ok(()));
        assert_eq!(
            judge_header(k, &photo(19 * 1024, (358, 441))),
            Err(DocumentError::TooSmall {
                bytes: 19_456,
                min: 20_480
            })
        );
        assert_eq!(judge_header(k, &photo(20_480, (358, 441))), Ok(()), "20 KB is allowed");
        assert_eq!(
            judge_header(k, &photo(MAX_DOCUMENT_BYTES, (358, 441))),
            Ok(()),
            "8.75 MB is allowed"
        );
        assert!(matches!(
            judge_header(k, &photo(MAX_DOCUMENT_BYTES + 1, (358, 441))),
            Err(DocumentError::TooLarge { .. })
        ));
        let e = judge_header(k, &photo(50_000, (441, 358))).unwrap_err();
        assert_eq!(e.to_string(), "441×358 pixels: must be 358×441");
        let mut png = photo(50_000, (358, 441));
        png.format = ImageFormat::Png;
        assert_eq!(judge_header(k, &png), Err(DocumentError::NotJpeg { found: "PNG" }));
        let mut grey = photo(50_000, (358, 441));
        grey.colour = Some(false);
        assert_eq!(judge_decoded(k, &grey), Err(DocumentError::Grayscale));
        let mut broken = photo(50_000, (358, 441));
        broken.decodes = Some(false);
        assert_eq!(judge_decoded(k, &broken), Err(DocumentError::Undecodable));
    }

    #[test]
    fn id_images_accept_png_but_not_bombs() {
        let mut f = photo(100_000, (1200, 800));
        f.format = ImageFormat::Png;
        assert_eq!(judge_header(DocumentKind::IdFront, &f), Ok(()));
        f.dimensions = Some((50_000, 50_000));
        assert!(matches!(
            judge_header(DocumentKind::IdFront, &f),
            Err(DocumentError::TooManyPixels { .. })
        ));
        f.format = ImageFormat::Other;
        assert!(matches!(
            judge_header(DocumentKind::IdBack, &f),
            Err(DocumentError::NotAnImage { .. })
        ));
    }
}
