//! Whether a baseline JPEG's scan holds the picture its frame header claims. Decoders trust the header: given
//! 358×441 over the data of a 600×600 picture they decode the first 358×441 worth of blocks and stop, and given
//! more than the data holds they fill the rest in. Counting the Huffman-coded blocks (no dequantising, no
//! transform) says how many the data really holds.
//!
//! Judged: the first scan of a Huffman-coded frame, which covers the whole picture for the components it
//! carries: all of them in a sequential JPEG (SOF0/SOF1, what cameras and phones write), or one coefficient
//! for every block in a progressive JPEG's first DC scan (SOF2). Lossless, hierarchical and arithmetic-coded
//! files are not judged here.

/// Bytes left in a scan after its last block that are still taken for padding (encoders pad the last byte
/// with one-bits; a few tolerate a stray byte or two).
const SLACK_BYTES: usize = 8;

/// Bits looked up at once: most codes are this short, and the rest are decoded bit by bit.
const FAST_BITS: u8 = 9;

/// A canonical Huffman table: for each code length, the first code and where its symbols start, and a lookup
/// of the codes up to [`FAST_BITS`] long.
#[derive(Clone)]
struct Huffman {
    counts: [u16; 17],
    symbols: Vec<u8>,
    /// By the next `FAST_BITS` bits: the code's length (0: longer, or none) and its symbol.
    fast: Vec<(u8, u8)>,
}

impl Huffman {
    fn parse(counts16: &[u8], symbols: &[u8]) -> Self {
        let mut counts = [0u16; 17];
        for (len, c) in counts16.iter().enumerate() {
            counts[len + 1] = u16::from(*c);
        }
        let mut fast = vec![(0u8, 0u8); 1 << FAST_BITS];
        let (mut code, mut k) = (0usize, 0usize);
        for len in 1..=FAST_BITS {
            for _ in 0..counts[usize::from(len)] {
                let (Some(&symbol), Some(first)) = (symbols.get(k), code.checked_shl(u32::from(FAST_BITS - len)))
                else {
                    break;
                };
                let span = 1usize << (FAST_BITS - len);
                if let Some(slots) = fast.get_mut(first..first + span) {
                    slots.fill((len, symbol));
                }
                code += 1;
                k += 1;
            }
            code <<= 1;
        }
        Self {
            counts,
            symbols: symbols.to_vec(),
            fast,
        }
    }

    fn decode(&self, bits: &mut Bits<'_>) -> Option<u8> {
        if let Some(peek) = bits.peek(FAST_BITS) {
            let (len, symbol) = self.fast[usize::from(peek)];
            if len > 0 {
                bits.consume(len);
                return Some(symbol);
            }
        }
        let (mut code, mut first, mut index) = (0i32, 0i32, 0usize);
        for len in 1..=16 {
            code |= i32::from(bits.bit()?);
            let count = i32::from(self.counts[len]);
            if code - first < count {
                let at = index + usize::try_from(code - first).ok()?;
                return self.symbols.get(at).copied();
            }
            index += usize::from(self.counts[len]);
            first = (first + count) << 1;
            code <<= 1;
        }
        None
    }
}

/// The entropy-coded bytes as bits, read ahead into a 64-bit buffer: a stuffed 0xFF00 is one 0xFF; any other
/// marker ends the data (the buffer is not filled past it).
struct Bits<'a> {
    b: &'a [u8],
    at: usize,
    acc: u64,
    /// Bits in `acc` not yet consumed (the low ones).
    held: u8,
}

impl Bits<'_> {
    fn refill(&mut self) {
        while self.held <= 56 {
            let Some(&byte) = self.b.get(self.at) else {
                return;
            };
            if byte == 0xFF {
                if self.b.get(self.at + 1) != Some(&0x00) {
                    return;
                }
                self.at += 2;
            } else {
                self.at += 1;
            }
            self.acc = (self.acc << 8) | u64::from(byte);
            self.held += 8;
        }
    }

    /// The next `n` bits (up to 16) without consuming them; `None` when fewer are left.
    fn peek(&mut self, n: u8) -> Option<u16> {
        if self.held < n {
            self.refill();
            if self.held < n {
                return None;
            }
        }
        u16::try_from((self.acc >> (self.held - n)) & ((1u64 << n) - 1)).ok()
    }

    fn consume(&mut self, n: u8) {
        self.held -= n;
    }

    fn bit(&mut self) -> Option<u8> {
        let b = self.peek(1)?;
        self.consume(1);
        u8::try_from(b).ok()
    }

    fn skip(&mut self, n: u8) -> Option<()> {
        self.peek(n.min(16))?;
        self.consume(n.min(16));
        Some(())
    }

    /// At a restart marker: drop the partial byte's padding and step over the marker.
    fn restart(&mut self) -> Option<()> {
        // The buffer is never filled past a marker, so what it holds is the last byte's padding.
        self.refill();
        if self.held >= 8 {
            return None;
        }
        self.held = 0;
        match self.b.get(self.at..self.at + 2)? {
            [0xFF, 0xD0..=0xD7] => {
                self.at += 2;
                Some(())
            }
            _ => None,
        }
    }

    /// Whole bytes of data left before the next marker (the read-ahead included).
    fn bytes_left(&self) -> usize {
        let mut i = self.at;
        let mut n = usize::from(self.held / 8);
        while let Some(&byte) = self.b.get(i) {
            if byte == 0xFF && self.b.get(i + 1) != Some(&0x00) {
                break;
            }
            i += if byte == 0xFF { 2 } else { 1 };
            n += 1;
        }
        n
    }
}

#[derive(Clone, Copy)]
struct Component {
    id: u8,
    h: u8,
    v: u8,
}

/// `Some(true)` when the scan holds exactly the blocks the frame header claims, `Some(false)` when it holds
/// fewer or more, `None` when the file is not of the kind judged here.
pub(crate) fn holds_what_header_claims(b: &[u8]) -> Option<bool> {
    let mut dc: [Option<Huffman>; 4] = Default::default();
    let mut ac: [Option<Huffman>; 4] = Default::default();
    let mut frame: Option<(u32, u32, Vec<Component>)> = None;
    let mut progressive = false;
    let mut restart_interval = 0u32;
    let mut i = 2;
    loop {
        if *b.get(i)? != 0xFF {
            return None;
        }
        let marker = *b.get(i + 1)?;
        if marker == 0xFF {
            i += 1;
            continue;
        }
        let len = usize::from(u16::from_be_bytes([*b.get(i + 2)?, *b.get(i + 3)?]));
        let seg = b.get(i + 4..(i + 2 + len).max(i + 4))?;
        match marker {
            0xC0..=0xC2 => {
                progressive = marker == 0xC2;
                let height = u32::from(u16::from_be_bytes([*seg.get(1)?, *seg.get(2)?]));
                let width = u32::from(u16::from_be_bytes([*seg.get(3)?, *seg.get(4)?]));
                let n = usize::from(*seg.get(5)?);
                let mut comps = Vec::with_capacity(n);
                for k in 0..n {
                    let c = seg.get(6 + 3 * k..9 + 3 * k)?;
                    let (h, v) = (c[1] >> 4, c[1] & 0x0F);
                    if !(1..=4).contains(&h) || !(1..=4).contains(&v) {
                        return None;
                    }
                    comps.push(Component { id: c[0], h, v });
                }
                frame = Some((width, height, comps));
            }
            // Lossless, hierarchical, arithmetic: not judged here.
            0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF => return None,
            0xC4 => {
                let mut t = seg;
                while !t.is_empty() {
                    let class_id = *t.first()?;
                    let counts = t.get(1..17)?;
                    let total: usize = counts.iter().map(|c| usize::from(*c)).sum();
                    let symbols = t.get(17..17 + total)?;
                    let table = Some(Huffman::parse(counts, symbols));
                    let slot = usize::from(class_id & 0x0F);
                    match class_id >> 4 {
                        0 => *dc.get_mut(slot)? = table,
                        1 => *ac.get_mut(slot)? = table,
                        _ => return None,
                    }
                    t = &t[17 + total..];
                }
            }
            0xDD => restart_interval = u32::from(u16::from_be_bytes([*seg.first()?, *seg.get(1)?])),
            0xDA => {
                let (width, height, comps) = frame?;
                let n = usize::from(*seg.first()?);
                // Spectral selection and successive approximation: a progressive file's first DC scan.
                let spectral = seg.get(1 + 2 * n..4 + 2 * n)?;
                let dc_only = progressive;
                if progressive && (spectral[0] != 0 || spectral[1] != 0 || spectral[2] >> 4 != 0) {
                    return None;
                }
                let mut tables = Vec::with_capacity(n);
                for k in 0..n {
                    let s = seg.get(1 + 2 * k..3 + 2 * k)?;
                    let c = comps.iter().find(|c| c.id == s[0])?;
                    let d = dc.get(usize::from(s[1] >> 4))?.as_ref()?;
                    let a = if dc_only {
                        d
                    } else {
                        ac.get(usize::from(s[1] & 0x0F))?.as_ref()?
                    };
                    let blocks = if n == 1 { 1 } else { c.h * c.v };
                    tables.push((d, a, blocks));
                }
                let hmax = u32::from(comps.iter().map(|c| c.h).max()?);
                let vmax = u32::from(comps.iter().map(|c| c.v).max()?);
                // One component alone is coded block by block over its own (subsampled) plane; several
                // together, in units of the largest sampling factors.
                let mcus = if n == 1 {
                    let first = *seg.get(1)?;
                    let c = comps.iter().find(|c| c.id == first)?;
                    let plane_w = (width * u32::from(c.h)).div_ceil(hmax);
                    let plane_h = (height * u32::from(c.v)).div_ceil(vmax);
                    plane_w.div_ceil(8) * plane_h.div_ceil(8)
                } else {
                    width.div_ceil(8 * hmax) * height.div_ceil(8 * vmax)
                };
                let mut bits = Bits {
                    b,
                    at: i + 2 + len,
                    acc: 0,
                    held: 0,
                };
                return Some(count(&mut bits, &tables, mcus, restart_interval, dc_only));
            }
            0xD9 => return None,
            _ => {}
        }
        i += 2 + len;
    }
}

/// Decodes `mcus` units; true when they are all there and nothing but padding follows.
fn count(
    bits: &mut Bits<'_>,
    tables: &[(&Huffman, &Huffman, u8)],
    mcus: u32,
    restart_interval: u32,
    dc_only: bool,
) -> bool {
    for m in 0..mcus {
        if restart_interval > 0 && m > 0 && m % restart_interval == 0 && bits.restart().is_none() {
            return false;
        }
        for (dc, ac, blocks) in tables {
            for _ in 0..*blocks {
                if block(bits, dc, ac, dc_only).is_none() {
                    return false;
                }
            }
        }
    }
    bits.bytes_left() <= SLACK_BYTES
}

fn block(bits: &mut Bits<'_>, dc: &Huffman, ac: &Huffman, dc_only: bool) -> Option<()> {
    let size = dc.decode(bits)?;
    bits.skip(size)?;
    if dc_only {
        return Some(());
    }
    let mut k = 1;
    while k < 64 {
        let rs = ac.decode(bits)?;
        let (run, size) = (rs >> 4, rs & 0x0F);
        if size == 0 {
            if run != 15 {
                break; // end of block
            }
            k += 16;
            continue;
        }
        bits.skip(size)?;
        k += usize::from(run) + 1;
    }
    Some(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn jpeg(w: u32, h: u32, grey: bool) -> Vec<u8> {
        let rgb = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([(x * 7 % 256) as u8, (x * y % 256) as u8, 90]));
        let img = if grey {
            image::DynamicImage::ImageLuma8(image::DynamicImage::ImageRgb8(rgb).to_luma8())
        } else {
            image::DynamicImage::ImageRgb8(rgb)
        };
        let mut out = std::io::Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
        out.into_inner()
    }

    fn claim(mut v: Vec<u8>, w: u16, h: u16) -> Vec<u8> {
        let mut i = 2;
        loop {
            let len = usize::from(u16::from_be_bytes([v[i + 2], v[i + 3]]));
            if v[i + 1] == 0xC0 {
                v[i + 5..i + 7].copy_from_slice(&h.to_be_bytes());
                v[i + 7..i + 9].copy_from_slice(&w.to_be_bytes());
                return v;
            }
            i += 2 + len;
        }
    }

    #[test]
    fn a_truthful_header_agrees_with_its_scan() {
        for (w, h) in [(358, 441), (600, 600), (441, 358), (17, 9), (1, 1)] {
            for grey in [false, true] {
                assert_eq!(
                    holds_what_header_claims(&jpeg(w, h, grey)),
                    Some(true),
                    "{w}×{h} grey {grey}"
                );
            }
        }
    }

    #[test]
    fn a_header_that_claims_less_or_more_than_its_scan_holds_does_not() {
        let big = jpeg(600, 600, false);
        assert_eq!(holds_what_header_claims(&claim(big, 358, 441)), Some(false));
        let small = jpeg(358, 441, false);
        assert_eq!(holds_what_header_claims(&claim(small, 600, 600)), Some(false));
    }

    #[test]
    fn what_is_not_a_baseline_jpeg_is_not_judged() {
        assert_eq!(holds_what_header_claims(b"\x89PNG\r\n"), None);
        assert_eq!(holds_what_header_claims(b""), None);
        assert_eq!(holds_what_header_claims(&[0xFF, 0xD8, 0xFF, 0xD9]), None);
    }
}
