//! Visiting the blobs of one pack: headers read once, deltas linked to their bases, then one
//! rayon task per blob root walking its delta tree depth-first with an explicit stack.

use std::ops::Range;

use flate2::Decompress;
use rayon::prelude::*;

use super::entry::{inflate, parse_header, Header, Kind};
use super::{apply_delta, ObjectId, Pack, PackLimits, PackWalkStats, PackedBlob};

/// How an entry relates to the others.
enum Link {
    /// Not a delta: its type is known.
    Plain(Kind),
    /// A delta on this entry.
    Base(u32),
    /// Cannot be decoded: why.
    Broken(String),
}

const UNRESOLVED: u32 = u32::MAX;

struct Ctx<'p> {
    pack: &'p Pack,
    headers: Vec<Option<Header>>,
    /// Children of each entry (deltas on it), as ranges of `kids`.
    kid_start: Vec<u32>,
    kids: Vec<u32>,
    limits: &'p PackLimits,
    visit: &'p (dyn Fn(PackedBlob<'_>) -> bool + Sync),
}

impl Ctx<'_> {
    fn children(&self, e: u32) -> &[u32] {
        let e = e as usize;
        match (self.kid_start.get(e), self.kid_start.get(e + 1)) {
            (Some(&a), Some(&b)) => self.kids.get(a as usize..b as usize).unwrap_or(&[]),
            _ => &[],
        }
    }

    fn id(&self, e: u32) -> ObjectId {
        let pos = self.pack.entries.get(e as usize).map_or(0, |&(_, p)| p);
        self.pack.idx.id(pos as usize)
    }

    /// The compressed bytes of entry `e`.
    fn compressed(&self, e: u32, h: &Header) -> &[u8] {
        let end = self.pack.entries.get(e as usize + 1).map_or(
            (self.pack.data.len() as u64).saturating_sub(20),
            |&(o, _)| o,
        );
        usize::try_from(h.data_start)
            .ok()
            .zip(usize::try_from(end).ok())
            .and_then(|(s, t)| self.pack.data.get(s..t))
            .unwrap_or(&[])
    }

    /// Inflates entry `e` (a blob or a delta) if its declared size is within `limit`.
    fn inflate(&self, e: u32, limit: u64, z: &mut Decompress) -> Result<Vec<u8>, String> {
        let h = self
            .headers
            .get(e as usize)
            .copied()
            .flatten()
            .ok_or("no header")?;
        if h.size > limit {
            return Err(format!(
                "declared size {} is over the limit of {limit} bytes",
                h.size
            ));
        }
        inflate(self.compressed(e, &h), h.size, z)
    }

    /// The number of entries below `e` in its delta tree.
    fn descendants(&self, e: u32) -> u64 {
        let mut count = 0;
        let mut stack = vec![e];
        while let Some(x) = stack.pop() {
            let c = self.children(x);
            count += c.len() as u64;
            stack.extend_from_slice(c);
        }
        count
    }

    fn skip_subtree(&self, e: u32, why: &str, st: &mut PackWalkStats) {
        let below = self.descendants(e);
        st.skip(format!(
            "{}: blob {} and the {below} deltas based on it: {why}",
            self.pack.name,
            self.id(e)
        ));
    }

    /// Checks the content's hash against the id, then visits; returns whether the blob was
    /// visited and found clean.
    fn verify_and_visit(
        &self,
        e: u32,
        content: &[u8],
        inserted: Option<&[Range<usize>]>,
        st: &mut PackWalkStats,
    ) -> bool {
        let id = self.id(e);
        if ObjectId::for_blob(content) != id {
            st.skip(format!(
                "{}: blob {id}: the decoded content does not hash to its id",
                self.pack.name
            ));
            return false;
        }
        st.blobs_visited += 1;
        st.bytes_visited += content.len() as u64;
        (self.visit)(PackedBlob {
            id,
            content,
            inserted,
        })
    }

    /// Walks the delta tree of blob entry `root`.
    fn walk_tree(&self, root: u32, z: &mut Decompress, st: &mut PackWalkStats) {
        let max_chain = self.limits.max_chain_bytes;
        let content = match self.inflate(root, self.limits.max_object, z) {
            Ok(c) => c,
            Err(why) => return self.skip_subtree(root, &why, st),
        };
        let clean = self.verify_and_visit(root, &content, None, st);
        if self.children(root).is_empty() {
            return;
        }
        if content.len() as u64 > max_chain {
            st.skip(format!(
                "{}: the {} deltas based on blob {}: its {} bytes exceed the chain limit",
                self.pack.name,
                self.descendants(root),
                self.id(root),
                content.len()
            ));
            return;
        }
        struct Frame {
            entry: u32,
            content: Vec<u8>,
            clean: bool,
            next: usize,
        }
        let mut chain = content.len() as u64;
        let mut stack = vec![Frame {
            entry: root,
            content,
            clean,
            next: 0,
        }];
        // A delta's own data may be a little larger than its result (inserts cost a byte per
        // 127); anything far larger is not a delta of an object within the limit.
        let max_delta = self
            .limits
            .max_object
            .saturating_add(self.limits.max_object / 64)
            .saturating_add(64);
        while let Some(top) = stack.last_mut() {
            let Some(&child) = self.children(top.entry).get(top.next) else {
                chain = chain.saturating_sub(top.content.len() as u64);
                stack.pop();
                continue;
            };
            top.next += 1;
            let base_clean = top.clean;
            let decoded = self.inflate(child, max_delta, z).and_then(|d| {
                apply_delta(&top.content, &d, self.limits.max_object).map_err(|e| e.to_string())
            });
            let (target, inserted) = match decoded {
                Ok(t) => t,
                Err(why) => {
                    self.skip_subtree(child, &why, st);
                    continue;
                }
            };
            let clean =
                self.verify_and_visit(child, &target, base_clean.then_some(&inserted[..]), st);
            if self.children(child).is_empty() {
                continue;
            }
            let with = chain.saturating_add(target.len() as u64);
            if with > max_chain {
                st.skip(format!(
                    "{}: the {} deltas based on blob {}: the chain would hold {with} bytes, over its limit",
                    self.pack.name,
                    self.descendants(child),
                    self.id(child)
                ));
                continue;
            }
            chain = with;
            stack.push(Frame {
                entry: child,
                content: target,
                clean,
                next: 0,
            });
        }
    }
}

/// Visits every blob of `pack`, in parallel on the current rayon pool.
pub(super) fn walk_pack(
    pack: &Pack,
    limits: &PackLimits,
    visit: &(dyn Fn(PackedBlob<'_>) -> bool + Sync),
) -> PackWalkStats {
    let mut stats = PackWalkStats::default();
    let n = pack.entries.len();
    let trailer = (pack.data.len() as u64).saturating_sub(20);
    let parsed: Vec<Result<Header, String>> = (0..n)
        .map(|e| {
            let offset = pack.entries.get(e).map_or(0, |&(o, _)| o);
            let end = pack.entries.get(e + 1).map_or(trailer, |&(o, _)| o);
            parse_header(&pack.data, offset, end)
        })
        .collect();
    let find_offset = |off: u64| -> Option<u32> {
        pack.entries
            .binary_search_by_key(&off, |&(o, _)| o)
            .ok()
            .map(|e| e as u32)
    };
    let links: Vec<Link> = parsed
        .iter()
        .map(|h| match h {
            Err(why) => Link::Broken(why.clone()),
            Ok(h) => match h.kind {
                Kind::OfsDelta(base) => match find_offset(base) {
                    Some(b) => Link::Base(b),
                    None => Link::Broken(format!("its base offset {base} is not an entry")),
                },
                Kind::RefDelta(id) => match pack.idx.find(&id) {
                    Some(pos) => Link::Base(pack.entry_of.get(pos).copied().unwrap_or(0)),
                    None => Link::Broken(format!("its base {id} is not in this pack")),
                },
                k => Link::Plain(k),
            },
        })
        .collect();

    // The plain entry at the end of each entry's delta chain (UNRESOLVED: a broken link or a
    // cycle on the way).
    const NEW: u8 = 0;
    const ON_PATH: u8 = 1;
    const DONE: u8 = 2;
    let mut state = vec![NEW; n];
    let mut root_of = vec![UNRESOLVED; n];
    let mut path = Vec::new();
    for start in 0..n {
        let mut cur = start;
        let outcome = loop {
            match state.get(cur).copied() {
                Some(DONE) => break root_of.get(cur).copied().unwrap_or(UNRESOLVED),
                Some(ON_PATH) | None => break UNRESOLVED,
                _ => {}
            }
            state[cur] = ON_PATH;
            path.push(cur);
            match links.get(cur) {
                Some(Link::Plain(_)) => break cur as u32,
                Some(Link::Base(b)) => cur = *b as usize,
                _ => break UNRESOLVED,
            }
        };
        for p in path.drain(..) {
            state[p] = DONE;
            root_of[p] = outcome;
        }
    }
    let is_blob_root = |e: usize| matches!(links.get(e), Some(Link::Plain(Kind::Blob)));

    // Children of the entries in blob trees; reasons for entries whose type is unknown.
    let mut counts = vec![0u32; n + 1];
    for (e, link) in links.iter().enumerate() {
        let root = root_of[e];
        if root == UNRESOLVED {
            let why = match link {
                Link::Broken(why) => why.as_str(),
                _ => "its delta chain has a cycle or a broken base",
            };
            stats.skip(format!(
                "{}: object {} at offset {}: {why}",
                pack.name,
                pack.idx.id(pack.entries[e].1 as usize),
                pack.entries[e].0
            ));
            continue;
        }
        if let Link::Base(b) = link {
            if is_blob_root(root as usize) {
                counts[*b as usize] += 1;
            }
        }
    }
    let mut kid_start = Vec::with_capacity(n + 1);
    let mut total = 0u32;
    for c in &counts {
        kid_start.push(total);
        total += c;
    }
    let mut fill = kid_start.clone();
    let mut kids = vec![0u32; total as usize];
    for (e, link) in links.iter().enumerate() {
        if let Link::Base(b) = link {
            let root = root_of[e];
            if root != UNRESOLVED && is_blob_root(root as usize) {
                let slot = &mut fill[*b as usize];
                kids[*slot as usize] = e as u32;
                *slot += 1;
            }
        }
    }
    let roots: Vec<u32> = (0..n)
        .filter(|&e| is_blob_root(e))
        .map(|e| e as u32)
        .collect();
    let ctx = Ctx {
        pack,
        headers: parsed.into_iter().map(Result::ok).collect(),
        kid_start,
        kids,
        limits,
        visit,
    };
    let walked = roots
        .par_iter()
        .map_init(
            || Decompress::new(true),
            |z, &root| {
                let mut st = PackWalkStats::default();
                ctx.walk_tree(root, z, &mut st);
                st
            },
        )
        .reduce(PackWalkStats::default, PackWalkStats::merge);
    stats.merge(walked)
}
