//! Applying a git delta (the format of git's `patch-delta.c`), recording which bytes of the
//! result the delta's insert instructions wrote.

use std::ops::Range;

/// Why a delta could not be applied. Every variant means "not decoded": the caller skips the
/// object.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeltaError {
    #[error("the delta header is truncated or its sizes overflow")]
    BadHeader,
    #[error("the delta's source size {declared} differs from its base's {actual} bytes")]
    SourceSize { declared: u64, actual: u64 },
    #[error("the delta's target size {declared} is over the limit of {limit} bytes")]
    TargetTooLarge { declared: u64, limit: u64 },
    #[error("the delta ends inside an instruction")]
    Truncated,
    #[error("the delta holds the reserved instruction 0")]
    ZeroInstruction,
    #[error("a copy of {size} bytes at {offset} reads past the base's {base} bytes")]
    CopyOutsideBase { offset: u64, size: u64, base: u64 },
    #[error("an instruction writes past the declared target size {declared}")]
    PastTarget { declared: u64 },
    #[error("the delta wrote {written} of the {declared} bytes its header declares")]
    ShortTarget { written: u64, declared: u64 },
}

/// Reads one little-endian base-128 size from `data` at `*pos`.
fn read_size(data: &[u8], pos: &mut usize) -> Result<u64, DeltaError> {
    let mut value: u64 = 0;
    let mut shift = 0u32;
    loop {
        let byte = *data.get(*pos).ok_or(DeltaError::BadHeader)?;
        *pos += 1;
        let bits = u64::from(byte & 0x7f);
        if shift > 63 || (shift > 0 && bits >> (64 - shift) != 0) {
            return Err(DeltaError::BadHeader);
        }
        value |= bits << shift;
        if byte & 0x80 == 0 {
            return Ok(value);
        }
        shift += 7;
    }
}

/// The source and target sizes a delta declares, and where its instructions begin.
pub fn delta_sizes(delta: &[u8]) -> Result<(u64, u64, usize), DeltaError> {
    let mut pos = 0;
    let source = read_size(delta, &mut pos)?;
    let target = read_size(delta, &mut pos)?;
    Ok((source, target, pos))
}

/// Applies `delta` to `base`. Returns the target and the ranges of it that insert
/// instructions produced (sorted, disjoint, adjacent ranges merged); every other byte was
/// copied from `base`. The source size must equal `base.len()`, the target size must be at most
/// `max_object`, every copy must lie inside `base` and the remaining target, and the delta
/// must fill the target exactly and be consumed entirely.
pub fn apply_delta(
    base: &[u8],
    delta: &[u8],
    max_object: u64,
) -> Result<(Vec<u8>, Vec<Range<usize>>), DeltaError> {
    let (source, target_size, mut pos) = delta_sizes(delta)?;
    if source != base.len() as u64 {
        return Err(DeltaError::SourceSize {
            declared: source,
            actual: base.len() as u64,
        });
    }
    if target_size > max_object || usize::try_from(target_size).is_err() {
        return Err(DeltaError::TargetTooLarge {
            declared: target_size,
            limit: max_object,
        });
    }
    let declared = target_size as usize;
    let mut out: Vec<u8> = Vec::with_capacity(declared);
    let mut inserted: Vec<Range<usize>> = Vec::new();
    while let Some(&op) = delta.get(pos) {
        pos += 1;
        if op & 0x80 != 0 {
            let mut offset: u64 = 0;
            for i in 0..4 {
                if op & (1 << i) != 0 {
                    let b = *delta.get(pos).ok_or(DeltaError::Truncated)?;
                    pos += 1;
                    offset |= u64::from(b) << (8 * i);
                }
            }
            let mut size: u64 = 0;
            for i in 0..3 {
                if op & (0x10 << i) != 0 {
                    let b = *delta.get(pos).ok_or(DeltaError::Truncated)?;
                    pos += 1;
                    size |= u64::from(b) << (8 * i);
                }
            }
            if size == 0 {
                size = 0x10000;
            }
            let outside = DeltaError::CopyOutsideBase {
                offset,
                size,
                base: base.len() as u64,
            };
            let end = offset.checked_add(size).ok_or(outside.clone())?;
            let src = usize::try_from(offset)
                .ok()
                .zip(usize::try_from(end).ok())
                .and_then(|(s, e)| base.get(s..e))
                .ok_or(outside)?;
            if src.len() > declared - out.len() {
                return Err(DeltaError::PastTarget {
                    declared: target_size,
                });
            }
            out.extend_from_slice(src);
        } else if op != 0 {
            let n = usize::from(op);
            let lit = delta.get(pos..pos + n).ok_or(DeltaError::Truncated)?;
            pos += n;
            if n > declared - out.len() {
                return Err(DeltaError::PastTarget {
                    declared: target_size,
                });
            }
            let start = out.len();
            out.extend_from_slice(lit);
            match inserted.last_mut() {
                Some(last) if last.end == start => last.end = out.len(),
                _ => inserted.push(start..out.len()),
            }
        } else {
            return Err(DeltaError::ZeroInstruction);
        }
    }
    if out.len() != declared {
        return Err(DeltaError::ShortTarget {
            written: out.len() as u64,
            declared: target_size,
        });
    }
    Ok((out, inserted))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Ranges from (start, end) pairs.
    fn spans(pairs: &[(usize, usize)]) -> Vec<Range<usize>> {
        pairs.iter().map(|&(s, e)| s..e).collect()
    }

    fn size(mut v: u64) -> Vec<u8> {
        let mut out = Vec::new();
        loop {
            let b = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                out.push(b);
                return out;
            }
            out.push(b | 0x80);
        }
    }

    fn header(source: u64, target: u64) -> Vec<u8> {
        let mut d = size(source);
        d.extend(size(target));
        d
    }

    #[test]
    fn copy_and_insert_build_the_target_and_record_inserts() {
        let base = b"hello, world";
        let mut d = header(12, 17);
        d.extend([0x90, 7]); // copy offset 0, size 7: "hello, "
        d.extend([3, b'n', b'e', b'w']); // insert "new"
        d.extend([0x91, 6, 6]); // copy offset 6, size 6: " world"
        d.extend([1, b'!']); // insert "!"
        let (out, ins) = apply_delta(base, &d, 100).unwrap();
        assert_eq!(out, b"hello, new world!");
        assert_eq!(ins, vec![7..10, 16..17]);
    }

    #[test]
    fn adjacent_inserts_merge() {
        let mut d = header(3, 5);
        d.extend([2, b'a', b'b', 1, b'c']);
        d.extend([0x90, 2]);
        let (out, ins) = apply_delta(b"xyz", &d, 100).unwrap();
        assert_eq!(out, b"abcxy");
        assert_eq!(ins, spans(&[(0, 3)]));
    }

    #[test]
    fn a_copy_without_size_bytes_copies_0x10000() {
        let base: Vec<u8> = (0..0x10010u32).map(|i| (i % 251) as u8).collect();
        let mut d = header(base.len() as u64, 0x10000);
        d.extend([0x81, 0x10]); // offset 0x10, no size bytes
        let (out, ins) = apply_delta(&base, &d, 1 << 20).unwrap();
        assert_eq!(out, &base[0x10..0x10010]);
        assert!(ins.is_empty());
    }

    #[test]
    fn multi_byte_offsets_and_sizes() {
        let base: Vec<u8> = (0..70_000u32).map(|i| (i % 253) as u8).collect();
        let mut d = header(base.len() as u64, 0x0102);
        // offset 0x010203 is past the base: use 0x00_0203 via bytes 0 and 1.
        d.extend([0xb3, 0x03, 0x02, 0x02, 0x01]);
        let (out, _) = apply_delta(&base, &d, 1 << 20).unwrap();
        assert_eq!(out, &base[0x0203..0x0203 + 0x0102]);
    }

    #[test]
    fn every_error() {
        let base = b"0123456789";
        let with = |body: &[u8], target: u64| {
            let mut d = header(10, target);
            d.extend_from_slice(body);
            apply_delta(base, &d, 1000)
        };
        assert_eq!(apply_delta(base, &[], 1000), Err(DeltaError::BadHeader));
        assert_eq!(apply_delta(base, &[0x8a], 1000), Err(DeltaError::BadHeader));
        assert_eq!(
            apply_delta(base, &[0xff; 12], 1000),
            Err(DeltaError::BadHeader),
            "a size over 64 bits"
        );
        assert_eq!(
            apply_delta(base, &header(9, 1), 1000),
            Err(DeltaError::SourceSize {
                declared: 9,
                actual: 10
            })
        );
        assert_eq!(
            with(&[], 1001),
            Err(DeltaError::TargetTooLarge {
                declared: 1001,
                limit: 1000
            })
        );
        assert_eq!(with(&[0x91, 1], 2), Err(DeltaError::Truncated));
        assert_eq!(with(&[3, b'a'], 3), Err(DeltaError::Truncated));
        assert_eq!(with(&[0], 0), Err(DeltaError::ZeroInstruction));
        assert_eq!(
            with(&[0x91, 8, 3], 3),
            Err(DeltaError::CopyOutsideBase {
                offset: 8,
                size: 3,
                base: 10
            })
        );
        assert_eq!(
            with(&[0x80], 3),
            Err(DeltaError::CopyOutsideBase {
                offset: 0,
                size: 0x10000,
                base: 10
            })
        );
        assert_eq!(
            with(&[0x9f, 1, 2], 1),
            Err(DeltaError::Truncated),
            "an offset byte missing"
        );
        assert_eq!(
            with(&[0x90, 5], 4),
            Err(DeltaError::PastTarget { declared: 4 })
        );
        assert_eq!(
            with(&[3, b'a', b'b', b'c'], 2),
            Err(DeltaError::PastTarget { declared: 2 })
        );
        assert_eq!(
            with(&[0x90, 5], 6),
            Err(DeltaError::ShortTarget {
                written: 5,
                declared: 6
            })
        );
    }

    #[test]
    fn empty_target_and_empty_base() {
        assert_eq!(apply_delta(b"", &header(0, 0), 0), Ok((Vec::new(), vec![])));
        let mut d = header(0, 2);
        d.extend([2, b'h', b'i']);
        assert_eq!(
            apply_delta(b"", &d, 2),
            Ok((b"hi".to_vec(), spans(&[(0, 2)])))
        );
    }
}
