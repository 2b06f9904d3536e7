//! An in-process reader of a repository's pack files, for the history scan: decodes every
//! blob of every pack in parallel and tells, for a blob rebuilt from a delta whose base was
//! visited and found clean, which bytes the delta inserted.
//!
//! Git stays the authority. Every blob is hashed as git hashes it and compared with its id
//! before it is visited, so a decoder bug or a tampered pack can only leave a blob unvisited
//! (the caller then reads it through `git cat-file`), never hand the scanner wrong bytes under
//! a real id. Anything that cannot be decoded with certainty is skipped with a reason.
//!
//! Formats: pack index version 2; packs version 2 or 3 (see `docs/design.md`, "Reading packs
//! in process").

mod delta;
mod entry;
mod idx;
mod walk;

use std::fmt;
use std::fs::File;
use std::io::{self, Read};
use std::ops::{Deref, Range};
use std::path::Path;

use memmap2::Mmap;

pub use delta::{apply_delta, delta_sizes, DeltaError};

/// A SHA-1 object id.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectId(pub [u8; 20]);

impl ObjectId {
    /// Parses 40 hexadecimal digits (either case).
    pub fn from_hex(s: &str) -> Option<ObjectId> {
        let s = s.as_bytes();
        if s.len() != 40 {
            return None;
        }
        let digit = |c: u8| match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        };
        let mut id = [0u8; 20];
        for (i, b) in id.iter_mut().enumerate() {
            *b = digit(s[2 * i])? << 4 | digit(s[2 * i + 1])?;
        }
        Some(ObjectId(id))
    }

    /// The id as 40 lowercase hexadecimal digits.
    pub fn to_hex(&self) -> String {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut s = String::with_capacity(40);
        for b in self.0 {
            s.push(char::from(HEX[usize::from(b >> 4)]));
            s.push(char::from(HEX[usize::from(b & 15)]));
        }
        s
    }

    /// The id git gives a blob with this content: SHA-1 of `blob <length>\0<content>`.
    pub fn for_blob(content: &[u8]) -> ObjectId {
        use sha1::{Digest, Sha1};
        let mut h = Sha1::new();
        h.update(format!("blob {}\0", content.len()).as_bytes());
        h.update(content);
        ObjectId(h.finalize().into())
    }
}

impl fmt::Debug for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Display for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// One blob decoded from a pack.
pub struct PackedBlob<'a> {
    pub id: ObjectId,
    pub content: &'a [u8],
    /// `Some` only when the blob was rebuilt from a delta whose base blob was visited first and
    /// for which the visitor returned `true`: the byte ranges of `content` that the delta's
    /// insert instructions produced, sorted, disjoint, adjacent ranges merged. Every byte
    /// outside them was copied from that base. `None`: scan the whole content.
    pub inserted: Option<&'a [Range<usize>]>,
}

/// Bounds on the work and memory of [`PackedObjects::for_each_blob`].
#[derive(Debug, Clone, Copy)]
pub struct PackLimits {
    /// Objects (blob or delta result) larger than this are not decoded (skipped, reason given).
    pub max_object: u64,
    /// Decoded bases kept on one delta chain's stack, in bytes; deeper parts are skipped.
    pub max_chain_bytes: u64,
}

/// What [`PackedObjects::for_each_blob`] did.
#[derive(Debug, Default)]
pub struct PackWalkStats {
    /// Packs walked (unusable ones are not counted; they are named in `skipped`).
    pub packs: usize,
    pub blobs_visited: u64,
    pub bytes_visited: u64,
    /// Why some packs or objects were not visited, one line each, at most 100 lines kept
    /// plus a count of the rest (`skipped_total`).
    pub skipped: Vec<String>,
    /// Every reason, including those kept in `skipped`.
    pub skipped_total: u64,
}

/// Reason lines kept in [`PackWalkStats::skipped`].
const MAX_REASONS: usize = 100;

impl PackWalkStats {
    fn skip(&mut self, reason: String) {
        self.skipped_total += 1;
        if self.skipped.len() < MAX_REASONS {
            self.skipped.push(reason);
        }
    }

    fn merge(mut self, other: PackWalkStats) -> PackWalkStats {
        self.packs += other.packs;
        self.blobs_visited += other.blobs_visited;
        self.bytes_visited += other.bytes_visited;
        self.skipped_total += other.skipped_total;
        let room = MAX_REASONS.saturating_sub(self.skipped.len());
        self.skipped.extend(other.skipped.into_iter().take(room));
        self
    }
}

/// A file's bytes: mapped, or read when small.
enum Bytes {
    Mapped(Mmap),
    Read(Vec<u8>),
}

impl Deref for Bytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Bytes::Mapped(m) => m,
            Bytes::Read(v) => v,
        }
    }
}

/// Files smaller than this are read rather than mapped.
const READ_BELOW: u64 = 64 * 1024;

fn load(path: &Path) -> io::Result<Bytes> {
    let mut file: File = crate::scan::source::open_regular(path)?;
    let len = file.metadata()?.len();
    if len >= READ_BELOW {
        if let Ok(map) = crate::scan::source::map_readonly(&file) {
            return Ok(Bytes::Mapped(map));
        }
    }
    let mut buf = Vec::new();
    file.read_to_end(&mut buf)?;
    Ok(Bytes::Read(buf))
}

/// One usable pack and its index.
struct Pack {
    /// `pack-….pack`, for the reasons.
    name: String,
    idx: idx::Index<Bytes>,
    data: Bytes,
    /// Every entry by ascending offset: its offset and its position in the index.
    entries: Vec<(u64, u32)>,
    /// The entry number of each index position.
    entry_of: Vec<u32>,
}

impl Pack {
    fn open(idx_path: &Path, pack_path: &Path, name: String) -> Result<Pack, String> {
        let idx_bytes = load(idx_path).map_err(|e| format!("index: {e}"))?;
        let idx = idx::Index::parse(idx_bytes)?;
        let data = load(pack_path).map_err(|e| format!("pack: {e}"))?;
        let n = idx.len();
        if data.len() < 32 || data.get(..4) != Some(&b"PACK"[..]) {
            return Err("not a pack (bad header)".into());
        }
        let word = |at: usize| {
            data.get(at..at + 4)
                .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
        };
        match word(4) {
            Some(2 | 3) => {}
            v => return Err(format!("pack version {v:?} is not 2 or 3")),
        }
        if word(8).map(|c| c as usize) != Some(n) {
            return Err(format!(
                "the pack's object count {:?} differs from its index's {n}",
                word(8)
            ));
        }
        if data.get(data.len() - 20..) != Some(idx.pack_checksum()) {
            return Err("the pack's checksum differs from the one its index records".into());
        }
        let trailer = (data.len() - 20) as u64;
        let u32_n = u32::try_from(n).map_err(|_| "too many objects".to_string())?;
        let mut entries: Vec<(u64, u32)> =
            (0..u32_n).map(|i| (idx.offset(i as usize), i)).collect();
        entries.sort_unstable();
        for (i, &(offset, _)) in entries.iter().enumerate() {
            if !(12..trailer).contains(&offset) {
                return Err(format!(
                    "the index points at offset {offset}, outside the pack's entries (12..{trailer})"
                ));
            }
            if i > 0 && entries[i - 1].0 == offset {
                return Err(format!("two objects share the offset {offset}"));
            }
        }
        let mut entry_of = vec![0u32; n];
        for (e, &(_, pos)) in entries.iter().enumerate() {
            entry_of[pos as usize] = e as u32;
        }
        Ok(Pack {
            name,
            idx,
            data,
            entries,
            entry_of,
        })
    }
}

/// The opened packs of one repository.
pub struct PackedObjects {
    packs: Vec<Pack>,
    /// Packs left out, with why.
    unusable: Vec<String>,
}

impl PackedObjects {
    /// Opens every `pack-*.idx` with its `.pack` in `objects_dir/pack/` (the repository's
    /// `objects` directory). A pack that cannot be used (index v1, bad header, size mismatch,
    /// missing .pack) is left out and named in the stats later; `open` itself fails only if the
    /// directory cannot be listed. No packs is fine (an empty set).
    pub fn open(objects_dir: &Path) -> io::Result<PackedObjects> {
        let dir = objects_dir.join("pack");
        let listing = match std::fs::read_dir(&dir) {
            Ok(l) => l,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Ok(PackedObjects {
                    packs: Vec::new(),
                    unusable: Vec::new(),
                })
            }
            Err(e) => return Err(e),
        };
        let mut names = Vec::new();
        for entry in listing {
            let name = entry?.file_name();
            if let Some(name) = name.to_str() {
                if name.starts_with("pack-") && name.ends_with(".idx") {
                    names.push(name.to_string());
                }
            }
        }
        names.sort();
        let mut packs = Vec::new();
        let mut unusable = Vec::new();
        for name in names {
            let stem = &name[..name.len() - 4];
            let pack_name = format!("{stem}.pack");
            match Pack::open(&dir.join(&name), &dir.join(&pack_name), pack_name.clone()) {
                Ok(p) => packs.push(p),
                Err(why) => unusable.push(format!("{pack_name}: not read ({why})")),
            }
        }
        Ok(PackedObjects { packs, unusable })
    }

    /// True if `id` is in one of the opened packs (binary search in the idx).
    pub fn contains(&self, id: &ObjectId) -> bool {
        self.packs.iter().any(|p| p.idx.find(id).is_some())
    }

    /// The number of usable packs opened.
    pub fn pack_count(&self) -> usize {
        self.packs.len()
    }

    /// Decodes every blob of every opened pack and calls `visit` once per blob copy (an id in
    /// two packs is visited twice). Runs in parallel on the *current* rayon pool (call it
    /// inside `pool.install`). A delta's base is visited before the delta, in the same task;
    /// `visit` returns whether the blob is clean (then its delta children get `inserted`).
    pub fn for_each_blob(
        &self,
        limits: &PackLimits,
        visit: &(dyn Fn(PackedBlob<'_>) -> bool + Sync),
    ) -> PackWalkStats {
        let mut stats = PackWalkStats::default();
        for why in &self.unusable {
            stats.skip(why.clone());
        }
        for pack in &self.packs {
            stats.packs += 1;
            stats = stats.merge(walk::walk_pack(pack, limits, visit));
        }
        stats
    }
}
