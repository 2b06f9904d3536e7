//! Pack index version 2: validated once when opened, then read without further checks that
//! could fail (every position below `len()` is inside the file).

use std::ops::Deref;

use super::ObjectId;

const MAGIC: [u8; 4] = [0xff, b't', b'O', b'c'];
const FANOUT: usize = 8;
const IDS: usize = FANOUT + 256 * 4;

/// A validated index over some bytes (a map or a buffer).
pub(super) struct Index<B> {
    data: B,
    n: usize,
}

fn be32(data: &[u8], at: usize) -> Option<u32> {
    let b = data.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

fn be64(data: &[u8], at: usize) -> Option<u64> {
    let b = data.get(at..at.checked_add(8)?)?;
    let mut a = [0u8; 8];
    a.copy_from_slice(b);
    Some(u64::from_be_bytes(a))
}

impl<B: Deref<Target = [u8]>> Index<B> {
    /// Validates an index: magic and version 2, a monotonic fan-out whose last value is N,
    /// N ids sorted strictly ascending and consistent with the fan-out, every large offset's
    /// position inside the 64-bit table, and the file's length exactly what N and the count of
    /// large offsets imply.
    pub(super) fn parse(data: B) -> Result<Index<B>, String> {
        let bytes: &[u8] = &data;
        if bytes.get(..4) != Some(&MAGIC[..]) {
            return Err("not a version 2 pack index (version 1 or not an index)".into());
        }
        if be32(bytes, 4) != Some(2) {
            return Err("pack index version is not 2".into());
        }
        let mut prev = 0u32;
        for i in 0..256 {
            let v = be32(bytes, FANOUT + 4 * i).ok_or("the index is truncated in its fan-out")?;
            if v < prev {
                return Err("the index's fan-out is not monotonic".into());
            }
            prev = v;
        }
        let n = usize::try_from(prev).map_err(|_| "too many objects")?;
        let offsets = n
            .checked_mul(24)
            .and_then(|x| x.checked_add(IDS))
            .ok_or("too many objects")?;
        let large_table = offsets.checked_add(4 * n).ok_or("too many objects")?;
        if bytes.len() < large_table.saturating_add(40) {
            return Err("the index is shorter than its object count implies".into());
        }
        let mut large = 0usize;
        for i in 0..n {
            let v = be32(bytes, offsets + 4 * i).ok_or("truncated")?;
            if v & 0x8000_0000 != 0 {
                large += 1;
            }
        }
        let expected = large
            .checked_mul(8)
            .and_then(|x| x.checked_add(large_table + 40))
            .ok_or("too many objects")?;
        if bytes.len() != expected {
            return Err(format!(
                "the index has {} bytes, not the {expected} its {n} objects and {large} large offsets imply",
                bytes.len()
            ));
        }
        for i in 0..n {
            let v = be32(bytes, offsets + 4 * i).ok_or("truncated")?;
            if v & 0x8000_0000 != 0 && (v & 0x7fff_ffff) as usize >= large {
                return Err("a large offset's position is outside the 64-bit table".into());
            }
        }
        let index = Index { data, n };
        let mut last: Option<&[u8]> = None;
        for i in 0..n {
            let id = index.id_bytes(i);
            if last.is_some_and(|l| l >= id) {
                return Err("the index's ids are not sorted strictly ascending".into());
            }
            let (lo, hi) = index.bucket(id.first().copied().unwrap_or(0));
            if i < lo || i >= hi {
                return Err("the index's fan-out does not match its ids".into());
            }
            last = Some(id);
        }
        Ok(index)
    }

    /// The number of objects.
    pub(super) fn len(&self) -> usize {
        self.n
    }

    fn id_bytes(&self, i: usize) -> &[u8] {
        let at = IDS + 20 * i;
        self.data.get(at..at + 20).unwrap_or(&[])
    }

    /// The id of the `i`th object (in id order).
    pub(super) fn id(&self, i: usize) -> ObjectId {
        let mut id = [0u8; 20];
        let b = self.id_bytes(i);
        if b.len() == 20 {
            id.copy_from_slice(b);
        }
        ObjectId(id)
    }

    /// The pack offset of the `i`th object.
    pub(super) fn offset(&self, i: usize) -> u64 {
        let offsets = IDS + 24 * self.n;
        let v = be32(&self.data, offsets + 4 * i).unwrap_or(0);
        if v & 0x8000_0000 == 0 {
            return u64::from(v);
        }
        let large = offsets + 4 * self.n + 8 * (v & 0x7fff_ffff) as usize;
        be64(&self.data, large).unwrap_or(u64::MAX)
    }

    /// The checksum of the pack this index describes.
    pub(super) fn pack_checksum(&self) -> &[u8] {
        let len = self.data.len();
        self.data
            .get(len.saturating_sub(40)..len.saturating_sub(20))
            .unwrap_or(&[])
    }

    /// The range of positions whose ids start with `first`.
    fn bucket(&self, first: u8) -> (usize, usize) {
        let f = |b: usize| be32(&self.data, FANOUT + 4 * b).unwrap_or(0) as usize;
        let hi = f(usize::from(first));
        let lo = if first == 0 {
            0
        } else {
            f(usize::from(first) - 1)
        };
        (lo, hi)
    }

    /// The position of `id`, if present.
    pub(super) fn find(&self, id: &ObjectId) -> Option<usize> {
        let (mut lo, mut hi) = self.bucket(id.0[0]);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match self.id_bytes(mid).cmp(&id.0[..]) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Some(mid),
            }
        }
        None
    }
}
