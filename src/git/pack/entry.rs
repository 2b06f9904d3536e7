//! One pack entry: its header (type, declared size, delta base) and its zlib-compressed data.

use flate2::{Decompress, FlushDecompress, Status};

use super::ObjectId;

/// An entry's type, with the base of a delta.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Commit,
    Tree,
    Blob,
    Tag,
    /// The base entry's offset in the same pack.
    OfsDelta(u64),
    /// The base's id.
    RefDelta(ObjectId),
}

/// A parsed entry header.
#[derive(Debug, Clone, Copy)]
pub(super) struct Header {
    pub kind: Kind,
    /// The size of the inflated data (for a delta: of the delta itself).
    pub size: u64,
    /// Where the compressed data starts.
    pub data_start: u64,
}

fn byte_at(pack: &[u8], pos: u64, end: u64) -> Result<u8, String> {
    if pos >= end {
        return Err("the entry header runs past the entry".into());
    }
    usize::try_from(pos)
        .ok()
        .and_then(|p| pack.get(p))
        .copied()
        .ok_or_else(|| "the entry header runs past the pack".into())
}

/// Parses the header of the entry at `offset`, which ends at `end` (the next entry or the
/// pack's trailer).
pub(super) fn parse_header(pack: &[u8], offset: u64, end: u64) -> Result<Header, String> {
    let mut pos = offset;
    let first = byte_at(pack, pos, end)?;
    pos += 1;
    let type_bits = (first >> 4) & 7;
    let mut size = u64::from(first & 0x0f);
    let mut shift = 4u32;
    let mut byte = first;
    while byte & 0x80 != 0 {
        byte = byte_at(pack, pos, end)?;
        pos += 1;
        let bits = u64::from(byte & 0x7f);
        if shift > 57 {
            return Err("the entry's size does not fit 64 bits".into());
        }
        size |= bits << shift;
        shift += 7;
    }
    let kind = match type_bits {
        1 => Kind::Commit,
        2 => Kind::Tree,
        3 => Kind::Blob,
        4 => Kind::Tag,
        6 => {
            let mut byte = byte_at(pack, pos, end)?;
            pos += 1;
            let mut distance = u64::from(byte & 0x7f);
            while byte & 0x80 != 0 {
                byte = byte_at(pack, pos, end)?;
                pos += 1;
                distance = distance
                    .checked_add(1)
                    .and_then(|d| d.checked_mul(128))
                    .map(|d| d | u64::from(byte & 0x7f))
                    .ok_or("the delta's base distance overflows")?;
            }
            match offset.checked_sub(distance) {
                Some(base) if distance > 0 => Kind::OfsDelta(base),
                _ => return Err("the delta's base lies outside the pack".into()),
            }
        }
        7 => {
            let mut id = [0u8; 20];
            for b in &mut id {
                *b = byte_at(pack, pos, end)?;
                pos += 1;
            }
            Kind::RefDelta(ObjectId(id))
        }
        t => return Err(format!("invalid entry type {t}")),
    };
    Ok(Header {
        kind,
        size,
        data_start: pos,
    })
}

/// Inflates one zlib stream that must produce exactly `declared` bytes (the caller has checked
/// `declared` against its limit) and end there.
pub(super) fn inflate(input: &[u8], declared: u64, z: &mut Decompress) -> Result<Vec<u8>, String> {
    let declared = usize::try_from(declared).map_err(|_| "the entry is too large".to_string())?;
    z.reset(true);
    // One byte of room more than declared, to see a stream that goes on.
    let mut out = Vec::with_capacity(declared.saturating_add(1));
    loop {
        let consumed = usize::try_from(z.total_in()).unwrap_or(usize::MAX);
        let rest = input.get(consumed..).unwrap_or(&[]);
        let before = (z.total_in(), z.total_out());
        let status = z
            .decompress_vec(rest, &mut out, FlushDecompress::Finish)
            .map_err(|e| format!("inflate failed: {e}"))?;
        if out.len() > declared {
            return Err(format!(
                "the entry inflates to more than its declared {declared} bytes"
            ));
        }
        match status {
            Status::StreamEnd => break,
            Status::Ok | Status::BufError => {
                if (z.total_in(), z.total_out()) == before {
                    return Err("the compressed data is truncated".into());
                }
                if out.len() == out.capacity() {
                    out.reserve(1);
                }
            }
        }
    }
    if out.len() != declared {
        return Err(format!(
            "the entry inflates to {} bytes, not its declared {declared}",
            out.len()
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn deflate(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn inflate_checks_the_declared_size() {
        let mut z = Decompress::new(true);
        let data = deflate(b"hello hello hello");
        assert_eq!(inflate(&data, 17, &mut z).unwrap(), b"hello hello hello");
        assert!(inflate(&data, 16, &mut z).is_err());
        assert!(inflate(&data, 18, &mut z).is_err());
        assert!(inflate(&data[..data.len() - 3], 17, &mut z).is_err());
        assert_eq!(inflate(&deflate(b""), 0, &mut z).unwrap(), b"");
        let mut bad = data.clone();
        bad[5] ^= 0x40;
        assert!(inflate(&bad, 17, &mut z).is_err());
    }

    #[test]
    fn headers() {
        // blob of size 0x123: 0b1_011_0011, then 0x12
        let pack = [0xb3, 0x12, 0, 0];
        let h = parse_header(&pack, 0, 4).unwrap();
        assert_eq!((h.kind, h.size, h.data_start), (Kind::Blob, 0x123, 2));
        assert!(parse_header(&pack, 0, 1).is_err(), "end bounds the header");
        // OFS delta at 300 with distance bytes 0x81 0x00 = (1 + 1) * 128 + 0 = 256.
        let mut pack = vec![0u8; 310];
        pack[300..303].copy_from_slice(&[0x65, 0x81, 0x00]);
        let h = parse_header(&pack, 300, 310).unwrap();
        assert_eq!((h.kind, h.size, h.data_start), (Kind::OfsDelta(44), 5, 303));
        pack[300..303].copy_from_slice(&[0x65, 0x82, 0x00]);
        assert!(parse_header(&pack, 300, 310).is_err(), "base before 0");
        pack[300..302].copy_from_slice(&[0x65, 0x00]);
        assert!(parse_header(&pack, 300, 310).is_err(), "distance 0");
        pack[300] = 0x55;
        assert!(parse_header(&pack, 300, 310).is_err(), "type 5");
        assert!(parse_header(&[0xff; 20], 0, 20).is_err(), "size overflow");
        assert!(parse_header(&[0x70, 1, 2], 0, 3).is_err(), "short ref");
    }
}
