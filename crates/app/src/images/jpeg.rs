//! A JPEG's own markers, walked without decoding: the frame's size and colour components, and where the image
//! ends. Phones append data after the end-of-image marker (a maker's trailer, a motion photo's video): that is
//! not the image and does not make it damaged; an image that never reaches its end-of-image marker is cut short.

/// What the markers say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Layout {
    pub width: u32,
    pub height: u32,
    /// 1 grey, 3 YCbCr/RGB, 4 CMYK (or YCCK).
    pub components: u8,
    /// The end-of-image marker was reached through the segments and scans.
    pub complete: bool,
}

/// Start-of-frame markers (every SOFn but DHT, JPG and DAC, which share the range).
fn is_frame(marker: u8) -> bool {
    matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC)
}

/// The layout of a JPEG, or `None` when the bytes are not one (no start-of-image marker, or no frame header).
pub(crate) fn layout(b: &[u8]) -> Option<Layout> {
    if b.get(..2)? != [0xFF, 0xD8] {
        return None;
    }
    let mut frame: Option<(u32, u32, u8)> = None;
    let mut in_scan = false;
    let mut i = 2;
    let mut complete = false;
    while i + 1 < b.len() {
        if b[i] != 0xFF {
            if in_scan {
                // Entropy-coded data.
                i += 1;
                continue;
            }
            return None;
        }
        let marker = b[i + 1];
        match marker {
            // Fill bytes before a marker.
            0xFF => i += 1,
            // A stuffed 0xFF in the data, a restart marker, a temporary marker: no length follows.
            0x00 | 0xD0..=0xD7 | 0x01 => i += 2,
            0xD9 => {
                complete = true;
                break;
            }
            _ => {
                let Some(len) = b
                    .get(i + 2..i + 4)
                    .map(|l| usize::from(u16::from_be_bytes([l[0], l[1]])))
                else {
                    break;
                };
                if len < 2 {
                    return None;
                }
                let Some(segment) = b.get(i + 4..i + 2 + len) else {
                    break;
                };
                if is_frame(marker) && segment.len() >= 6 {
                    let height = u32::from(u16::from_be_bytes([segment[1], segment[2]]));
                    let width = u32::from(u16::from_be_bytes([segment[3], segment[4]]));
                    frame = Some((width, height, segment[5]));
                }
                in_scan = marker == 0xDA;
                i += 2 + len;
            }
        }
    }
    let (width, height, components) = frame?;
    Some(Layout {
        width,
        height,
        components,
        complete,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn jpeg(w: u32, h: u32) -> Vec<u8> {
        let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 90]));
        let mut out = std::io::Cursor::new(Vec::new());
        image::DynamicImage::ImageRgb8(img)
            .write_to(&mut out, image::ImageFormat::Jpeg)
            .unwrap();
        out.into_inner()
    }

    #[test]
    fn the_frame_and_the_end_are_read_off_the_markers() {
        let b = jpeg(358, 441);
        assert_eq!(
            layout(&b),
            Some(Layout {
                width: 358,
                height: 441,
                components: 3,
                complete: true
            })
        );
        // A phone's trailer after the end: still complete.
        let mut trailer = b.clone();
        trailer.extend_from_slice(b"SEFT\x00\x00motion-photo-video\xFF\xD8\xFF\xE0junk");
        assert!(layout(&trailer).unwrap().complete);
        // Cut short: not complete.
        assert!(!layout(&b[..b.len() / 2]).unwrap().complete);
        assert_eq!(layout(b"\x89PNG\r\n"), None);
        assert_eq!(layout(b""), None);
    }
}
