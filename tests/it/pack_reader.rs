//! The in-process pack reader (`git::pack`) against real git: it visits exactly the blobs of
//! the packs with git's bytes, reports delta inserts, and on hostile packs visits nothing
//! wrong and never panics.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Write;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;

use amplihack_remote::git::pack::{
    apply_delta, ObjectId, PackLimits, PackWalkStats, PackedBlob, PackedObjects,
};

use super::support::{git, git_repo, pinned_git_env};

const LIMITS: PackLimits = PackLimits {
    max_object: 64 << 20,
    max_chain_bytes: 256 << 20,
};

/// One visit: the content and the inserted ranges.
type Visit = (Vec<u8>, Option<Vec<Range<usize>>>);

/// Ranges from (start, end) pairs.
fn spans(pairs: &[(usize, usize)]) -> Vec<Range<usize>> {
    pairs.iter().map(|&(s, e)| s..e).collect()
}

/// Runs `for_each_blob` with a visitor that returns `clean(id)`; every visit by id.
fn visit_all(
    objects: &PackedObjects,
    limits: &PackLimits,
    clean: &(dyn Fn(&ObjectId) -> bool + Sync),
) -> (HashMap<ObjectId, Vec<Visit>>, PackWalkStats) {
    let seen: Mutex<HashMap<ObjectId, Vec<Visit>>> = Mutex::new(HashMap::new());
    let visit = |b: PackedBlob<'_>| {
        seen.lock()
            .unwrap()
            .entry(b.id)
            .or_default()
            .push((b.content.to_vec(), b.inserted.map(|r| r.to_vec())));
        clean(&b.id)
    };
    let stats = objects.for_each_blob(limits, &visit);
    (seen.into_inner().unwrap(), stats)
}

fn objects_dir(repo: &Path) -> PathBuf {
    repo.join(".git/objects")
}

/// `git cat-file --batch-all-objects --batch-check`: every object id with its type.
fn all_objects(repo: &Path) -> BTreeMap<ObjectId, String> {
    git(
        repo,
        &[
            "cat-file",
            "--batch-all-objects",
            "--batch-check=%(objectname) %(objecttype)",
        ],
    )
    .lines()
    .map(|l| {
        let (id, ty) = l.split_once(' ').unwrap();
        (ObjectId::from_hex(id).unwrap(), ty.to_string())
    })
    .collect()
}

fn blob_ids(repo: &Path) -> BTreeSet<ObjectId> {
    all_objects(repo)
        .into_iter()
        .filter(|(_, t)| t == "blob")
        .map(|(id, _)| id)
        .collect()
}

/// The contents git gives for `ids` (one `cat-file --batch`).
fn git_contents(repo: &Path, ids: &BTreeSet<ObjectId>) -> HashMap<ObjectId, Vec<u8>> {
    let mut child = Command::new("git")
        .args(["cat-file", "--batch"])
        .current_dir(repo)
        .envs(pinned_git_env(repo))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let input: String = ids.iter().map(|id| format!("{id}\n")).collect();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()).unwrap());
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    let mut rest = &out.stdout[..];
    let mut map = HashMap::new();
    while !rest.is_empty() {
        let nl = rest.iter().position(|&b| b == b'\n').unwrap();
        let head = std::str::from_utf8(&rest[..nl]).unwrap();
        let mut f = head.split(' ');
        let id = ObjectId::from_hex(f.next().unwrap()).unwrap();
        assert_eq!(f.next(), Some("blob"));
        let len: usize = f.next().unwrap().parse().unwrap();
        map.insert(id, rest[nl + 1..nl + 1 + len].to_vec());
        rest = &rest[nl + 2 + len..];
    }
    map
}

/// `git verify-pack -v` of every pack: each delta blob's base (deltas of deltas included),
/// and the offset of every object.
fn delta_bases(repo: &Path) -> (HashMap<ObjectId, ObjectId>, HashMap<ObjectId, u64>) {
    let mut bases = HashMap::new();
    let mut offsets = HashMap::new();
    for idx in pack_files(repo, "idx") {
        let out = git(repo, &["verify-pack", "-v", idx.to_str().unwrap()]);
        for line in out.lines() {
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.len() >= 5 && ["blob", "tree", "commit", "tag"].contains(&f[1]) {
                let id = ObjectId::from_hex(f[0]).unwrap();
                offsets.insert(id, f[4].parse().unwrap());
                if f[1] == "blob" && f.len() == 7 {
                    bases.insert(id, ObjectId::from_hex(f[6]).unwrap());
                }
            }
        }
    }
    (bases, offsets)
}

fn pack_files(repo: &Path, ext: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(objects_dir(repo).join("pack"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .collect();
    v.sort();
    v
}

/// A line of ~60 characters that differs per file and line.
fn line(file: usize, n: usize, version: usize) -> String {
    format!("file {file} line {n:05} version {version:03} lorem ipsum dolor sit amet\n")
}

/// A repository built with `git fast-import`: 3 text files of 2,000 lines, `commits` commits
/// each editing 3 lines in the middle of every file, a binary-ish blob rewritten every 10th
/// commit and an empty blob.
fn history_repo(commits: usize) -> tempfile::TempDir {
    let dir = git_repo();
    let mut stream = Vec::new();
    let mut files: Vec<Vec<String>> = (0..3)
        .map(|f| (0..2000).map(|n| line(f, n, 0)).collect())
        .collect();
    for c in 1..=commits {
        writeln!(stream, "commit refs/heads/main").unwrap();
        writeln!(
            stream,
            "committer T <t@e.invalid> {} +0000",
            1_700_000_000 + c
        )
        .unwrap();
        let msg = format!("commit {c}");
        writeln!(stream, "data {}\n{msg}", msg.len()).unwrap();
        for (f, lines) in files.iter_mut().enumerate() {
            for k in 0..3 {
                let n = 900 + (c * 7 + k * 31 + f * 13) % 200;
                lines[n] = line(f, n, c);
            }
            let body: String = lines.concat();
            writeln!(stream, "M 100644 inline file{f}.txt\ndata {}", body.len()).unwrap();
            stream.extend_from_slice(body.as_bytes());
            stream.push(b'\n');
        }
        if c % 10 == 1 {
            let bin: Vec<u8> = (0..3000u32)
                .map(|i| (i.wrapping_mul(2_654_435_761).wrapping_add(c as u32 * 97) >> 13) as u8)
                .collect();
            writeln!(stream, "M 100644 inline blob.bin\ndata {}", bin.len()).unwrap();
            stream.extend_from_slice(&bin);
            stream.push(b'\n');
            writeln!(stream, "M 100644 inline empty\ndata 0").unwrap();
        }
    }
    let mut child = Command::new("git")
        .args(["fast-import", "--quiet"])
        .current_dir(dir.path())
        .envs(pinned_git_env(dir.path()))
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&stream).unwrap();
    assert!(child.wait().unwrap().success());
    dir
}

/// Checks that every blob of the repository was visited exactly `copies` times with git's
/// bytes; returns the visits.
fn assert_visits_match_git(
    repo: &Path,
    seen: &HashMap<ObjectId, Vec<Visit>>,
    expected: &BTreeSet<ObjectId>,
) {
    let git_bytes = git_contents(repo, expected);
    let visited: BTreeSet<ObjectId> = seen.keys().copied().collect();
    assert_eq!(&visited, expected, "the visited blobs are the packed blobs");
    for (id, visits) in seen {
        for (content, inserted) in visits {
            assert_eq!(content, &git_bytes[id], "the bytes of {id}");
            if let Some(r) = inserted {
                for w in r.windows(2) {
                    assert!(w[0].end < w[1].start, "sorted, disjoint, merged: {r:?}");
                }
                assert!(r.iter().all(|x| x.start < x.end && x.end <= content.len()));
            }
        }
    }
}

#[test]
fn visits_exactly_the_blobs_git_lists_with_git_bytes_and_delta_inserts() {
    let repo = history_repo(40);
    let dir = repo.path();
    git(dir, &["repack", "-adfq"]);
    let objects = PackedObjects::open(&objects_dir(dir)).unwrap();
    let (seen, stats) = visit_all(&objects, &LIMITS, &|_| true);
    assert_eq!(stats.packs, 1);
    assert_eq!(stats.skipped_total, 0, "{:?}", stats.skipped);
    let blobs = blob_ids(dir);
    assert!(blobs.len() > 120, "{} blobs", blobs.len());
    assert!(blobs.contains(&ObjectId::for_blob(b"")), "the empty blob");
    assert_visits_match_git(dir, &seen, &blobs);
    assert!(
        seen.values().all(|v| v.len() == 1),
        "one pack: one visit each"
    );
    assert_eq!(stats.blobs_visited, blobs.len() as u64);

    // Every blob git stored as a delta arrives with its inserts, every other without.
    let (bases, _) = delta_bases(dir);
    let (mut with, mut content_total, mut inserted_total) = (0, 0usize, 0usize);
    for (id, visits) in &seen {
        let (content, inserted) = &visits[0];
        assert_eq!(
            inserted.is_some(),
            bases.contains_key(id),
            "{id}: inserts iff a delta"
        );
        if let Some(r) = inserted {
            with += 1;
            content_total += content.len();
            inserted_total += r.iter().map(|x| x.len()).sum::<usize>();
        }
    }
    assert!(with >= 100, "only {with} blobs arrived as deltas");
    assert!(
        inserted_total * 10 < content_total,
        "inserted {inserted_total} of {content_total} bytes"
    );
    // The edited versions are nearly all copies: the inserts are a few lines each.
    assert!(
        inserted_total < with * 2000,
        "{inserted_total} bytes for {with}"
    );

    // `contains` agrees with git for every object.
    for id in all_objects(dir).keys() {
        assert!(objects.contains(id));
    }
    assert!(!objects.contains(&ObjectId([0x42; 20])));
}

#[test]
fn a_base_found_unclean_gives_its_children_no_inserts() {
    let repo = history_repo(12);
    let dir = repo.path();
    git(dir, &["repack", "-adfq"]);
    let (bases, _) = delta_bases(dir);
    // The base with the most delta children.
    let mut children: HashMap<ObjectId, Vec<ObjectId>> = HashMap::new();
    for (child, base) in &bases {
        children.entry(*base).or_default().push(*child);
    }
    let (dirty, kids) = children.iter().max_by_key(|(_, k)| k.len()).unwrap();
    assert!(!kids.is_empty());
    let objects = PackedObjects::open(&objects_dir(dir)).unwrap();
    let (seen, stats) = visit_all(&objects, &LIMITS, &|id| id != dirty);
    assert_eq!(stats.skipped_total, 0);
    for kid in kids {
        assert_eq!(
            seen[kid][0].1, None,
            "{kid} is based on the unclean {dirty}"
        );
    }
    let others = bases.iter().filter(|(_, b)| *b != dirty);
    let mut n = 0;
    for (child, _) in others {
        assert!(seen[child][0].1.is_some(), "{child} keeps its inserts");
        n += 1;
    }
    assert!(n > 0);
}

#[test]
fn ref_delta_packs_decode_identically() {
    let repo = history_repo(20);
    let dir = repo.path();
    git(
        dir,
        &["-c", "repack.useDeltaBaseOffset=false", "repack", "-adfq"],
    );
    // The pack really holds REF_DELTA entries (type 7).
    let (bases, offsets) = delta_bases(dir);
    let pack = std::fs::read(&pack_files(dir, "pack")[0]).unwrap();
    let refs = bases
        .keys()
        .filter(|id| (pack[offsets[id] as usize] >> 4) & 7 == 7)
        .count();
    assert!(refs > 20 && refs == bases.len(), "{refs} REF_DELTA blobs");
    let objects = PackedObjects::open(&objects_dir(dir)).unwrap();
    let (seen, stats) = visit_all(&objects, &LIMITS, &|_| true);
    assert_eq!(stats.skipped_total, 0, "{:?}", stats.skipped);
    assert_visits_match_git(dir, &seen, &blob_ids(dir));
    for (id, v) in &seen {
        assert_eq!(v[0].1.is_some(), bases.contains_key(id));
    }
}

#[test]
fn two_packs_are_visited_and_loose_objects_are_not() {
    let repo = history_repo(5);
    let dir = repo.path();
    git(dir, &["repack", "-adq"]);
    let first: BTreeSet<ObjectId> = blob_ids(dir);
    std::fs::write(dir.join("second.txt"), "second pack\n").unwrap();
    git(dir, &["add", "second.txt"]);
    git(dir, &["commit", "-qm", "second"]);
    git(dir, &["repack", "-dq"]);
    assert_eq!(pack_files(dir, "pack").len(), 2);
    let second_blob =
        ObjectId::from_hex(git(dir, &["rev-parse", "HEAD:second.txt"]).trim()).unwrap();
    // A third pack holding one blob of the first again: it is visited twice.
    let again = *first.iter().next().unwrap();
    let mut child = Command::new("git")
        .args(["pack-objects", "-q", ".git/objects/pack/pack"])
        .current_dir(dir)
        .envs(pinned_git_env(dir))
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{again}\n").as_bytes())
        .unwrap();
    assert!(child.wait().unwrap().success());
    // Loose objects.
    std::fs::write(dir.join("loose.txt"), "loose\n").unwrap();
    git(dir, &["add", "loose.txt"]);
    git(dir, &["commit", "-qm", "loose"]);
    let loose = ObjectId::from_hex(git(dir, &["rev-parse", "HEAD:loose.txt"]).trim()).unwrap();

    let objects = PackedObjects::open(&objects_dir(dir)).unwrap();
    let (seen, stats) = visit_all(&objects, &LIMITS, &|_| true);
    assert_eq!(stats.packs, 3);
    assert_eq!(stats.skipped_total, 0, "{:?}", stats.skipped);
    let mut packed = first.clone();
    packed.insert(second_blob);
    assert_visits_match_git(dir, &seen, &packed);
    assert_eq!(seen[&again].len(), 2, "in two packs: visited twice");
    assert!(!seen.contains_key(&loose), "loose objects are the caller's");
    for id in &packed {
        assert!(objects.contains(id), "{id}");
    }
    assert!(!objects.contains(&loose));
    let e = Command::new("git")
        .args(["cat-file", "-e", &loose.to_hex()])
        .current_dir(dir)
        .status()
        .unwrap();
    assert!(e.success(), "git has the loose blob");
}

#[test]
fn no_pack_directory_is_an_empty_set() {
    let dir = tempfile::tempdir().unwrap();
    let objects = PackedObjects::open(dir.path()).unwrap();
    let (seen, stats) = visit_all(&objects, &LIMITS, &|_| true);
    assert!(seen.is_empty());
    assert_eq!((stats.packs, stats.skipped_total), (0, 0));
    assert!(PackedObjects::open(&dir.path().join("missing")).is_ok());
}

// ---- Hand-built packs ----

enum Base {
    None,
    /// Index of an earlier entry.
    Ofs(usize),
    Ref(ObjectId),
}

/// One entry to write: type, uncompressed data, the id the index gives it.
struct Raw {
    kind: u8,
    data: Vec<u8>,
    base: Base,
    id: ObjectId,
    /// The size written in the header (default: the data's).
    declared: Option<u64>,
}

fn blob(content: &[u8]) -> Raw {
    Raw {
        kind: 3,
        data: content.to_vec(),
        base: Base::None,
        id: ObjectId::for_blob(content),
        declared: None,
    }
}

fn zlib(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn sha1(data: &[u8]) -> [u8; 20] {
    use sha1::{Digest, Sha1};
    Sha1::digest(data).into()
}

fn varint(mut v: u64) -> Vec<u8> {
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

/// A delta: header sizes, then raw instructions.
fn delta(source: u64, target: u64, ops: &[u8]) -> Vec<u8> {
    let mut d = varint(source);
    d.extend(varint(target));
    d.extend_from_slice(ops);
    d
}

/// A pack and its entries' offsets and CRC32s.
fn build_pack(entries: &[Raw]) -> (Vec<u8>, Vec<u64>, Vec<u32>) {
    let mut pack = b"PACK".to_vec();
    pack.extend(2u32.to_be_bytes());
    pack.extend((entries.len() as u32).to_be_bytes());
    let (mut offsets, mut crcs) = (Vec::new(), Vec::new());
    for e in entries {
        let start = pack.len();
        offsets.push(start as u64);
        let mut size = e.declared.unwrap_or(e.data.len() as u64);
        let kind = match e.base {
            Base::None => e.kind,
            Base::Ofs(_) => 6,
            Base::Ref(_) => 7,
        };
        let mut b = (kind << 4) | (size & 15) as u8;
        size >>= 4;
        while size != 0 {
            pack.push(b | 0x80);
            b = (size & 0x7f) as u8;
            size >>= 7;
        }
        pack.push(b);
        match e.base {
            Base::None => {}
            Base::Ofs(i) => {
                let mut ofs = start as u64 - offsets[i];
                let mut enc = vec![(ofs & 127) as u8];
                ofs >>= 7;
                while ofs != 0 {
                    ofs -= 1;
                    enc.insert(0, 0x80 | (ofs & 127) as u8);
                    ofs >>= 7;
                }
                pack.extend(enc);
            }
            Base::Ref(id) => pack.extend(id.0),
        }
        pack.extend(zlib(&e.data));
        crcs.push(crc32fast::hash(&pack[start..]));
    }
    let sum = sha1(&pack);
    pack.extend(sum);
    (pack, offsets, crcs)
}

/// An index version 2 for a pack (ids need not be unique to the caller: they are sorted here).
fn build_idx(ids: &[ObjectId], offsets: &[u64], crcs: &[u32], pack_sum: &[u8]) -> Vec<u8> {
    let mut order: Vec<usize> = (0..ids.len()).collect();
    order.sort_by_key(|&i| ids[i]);
    let mut idx = vec![0xff, b't', b'O', b'c', 0, 0, 0, 2];
    for b in 0..256usize {
        let n = ids.iter().filter(|id| (id.0[0] as usize) <= b).count() as u32;
        idx.extend(n.to_be_bytes());
    }
    for &i in &order {
        idx.extend(ids[i].0);
    }
    for &i in &order {
        idx.extend(crcs[i].to_be_bytes());
    }
    let mut large = Vec::new();
    for &i in &order {
        if offsets[i] >= 0x8000_0000 {
            idx.extend((0x8000_0000 | (large.len() as u32 / 8)).to_be_bytes());
            large.extend(offsets[i].to_be_bytes());
        } else {
            idx.extend((offsets[i] as u32).to_be_bytes());
        }
    }
    idx.extend(large);
    idx.extend_from_slice(pack_sum);
    let sum = sha1(&idx);
    idx.extend(sum);
    idx
}

/// A hand-built pack in a new objects directory.
struct Built {
    dir: tempfile::TempDir,
    pack: Vec<u8>,
    idx: Vec<u8>,
    offsets: Vec<u64>,
}

impl Built {
    fn new(entries: &[Raw]) -> Built {
        let (pack, offsets, crcs) = build_pack(entries);
        let ids: Vec<ObjectId> = entries.iter().map(|e| e.id).collect();
        let idx = build_idx(&ids, &offsets, &crcs, &pack[pack.len() - 20..]);
        let built = Built {
            dir: tempfile::tempdir().unwrap(),
            pack,
            idx,
            offsets,
        };
        built.write();
        built
    }

    fn write(&self) {
        let d = self.dir.path().join("pack");
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("pack-test.pack"), &self.pack).unwrap();
        std::fs::write(d.join("pack-test.idx"), &self.idx).unwrap();
    }

    fn run(&self, limits: &PackLimits) -> (HashMap<ObjectId, Vec<Visit>>, PackWalkStats) {
        let objects = PackedObjects::open(self.dir.path()).unwrap();
        visit_all(&objects, limits, &|_| true)
    }
}

fn text(n: usize) -> Vec<u8> {
    (0..n)
        .map(|i| format!("line {i} of a blob\n"))
        .collect::<String>()
        .into_bytes()
}

/// A base blob, an OFS delta and a REF delta on it, all valid.
fn valid_entries() -> (Vec<Raw>, Vec<u8>, Vec<u8>) {
    let base = text(200);
    let rest = base.len() - 100;
    let tail = [0xb3, 100, 0, (rest & 0xff) as u8, (rest >> 8) as u8];
    let ops1 = [&[0x91u8, 0, 100][..], &[4], b"NEW!", &tail].concat();
    let d1 = delta(
        base.len() as u64,
        100 + 4 + (base.len() as u64 - 100),
        &ops1,
    );
    let (t1, _) = apply_delta(&base, &d1, 1 << 20).unwrap();
    let ops2 = [&[2u8][..], b"ok", &[0x90, 50]].concat();
    let d2 = delta(base.len() as u64, 52, &ops2);
    let (t2, _) = apply_delta(&base, &d2, 1 << 20).unwrap();
    let entries = vec![
        blob(&base),
        Raw {
            kind: 0,
            data: d1,
            base: Base::Ofs(0),
            id: ObjectId::for_blob(&t1),
            declared: None,
        },
        Raw {
            kind: 0,
            data: d2,
            base: Base::Ref(ObjectId::for_blob(&base)),
            id: ObjectId::for_blob(&t2),
            declared: None,
        },
    ];
    (entries, t1, t2)
}

#[test]
fn the_hand_built_pack_is_what_git_builds() {
    let (entries, t1, t2) = valid_entries();
    let built = Built::new(&entries);
    // git accepts the pack and writes the same index.
    let pack_path = built.dir.path().join("pack/pack-test.pack");
    let out = Command::new("git")
        .args(["index-pack", "-o"])
        .arg(built.dir.path().join("git.idx"))
        .arg(&pack_path)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        std::fs::read(built.dir.path().join("git.idx")).unwrap(),
        built.idx
    );
    let (seen, stats) = built.run(&LIMITS);
    assert_eq!(stats.skipped_total, 0, "{:?}", stats.skipped);
    assert_eq!(
        seen[&ObjectId::for_blob(&t1)][0],
        (t1.clone(), Some(spans(&[(100, 104)])))
    );
    assert_eq!(
        seen[&ObjectId::for_blob(&t2)][0],
        (t2, Some(spans(&[(0, 2)])))
    );
    assert_eq!(seen.len(), 3);
}

fn assert_reason(stats: &PackWalkStats, what: &str) {
    assert!(stats.skipped_total >= 1);
    assert!(
        stats.skipped.iter().any(|s| s.contains(what)),
        "no reason mentions {what:?}: {:?}",
        stats.skipped
    );
}

#[test]
fn a_corrupted_byte_in_a_blob_is_skipped_not_visited() {
    let content = text(300);
    let id = ObjectId::for_blob(&content);
    let built = Built::new(&[blob(&content), blob(b"other")]);
    let start = built.offsets[0] as usize + 3;
    let end = built.offsets[1] as usize;
    let mut failures = 0;
    // Flip bytes all over the compressed data: never visited.
    for at in (start..end).step_by(7) {
        let mut b = Built {
            dir: tempfile::tempdir().unwrap(),
            pack: built.pack.clone(),
            idx: built.idx.clone(),
            offsets: built.offsets.clone(),
        };
        b.pack[at] ^= 0x10;
        b.write();
        let (seen, stats) = b.run(&LIMITS);
        assert!(!seen.contains_key(&id), "corrupted at {at}: visited");
        assert!(seen.contains_key(&ObjectId::for_blob(b"other")));
        assert!(stats.skipped_total >= 1);
        failures += 1;
    }
    assert!(failures > 10);
}

#[test]
fn content_that_does_not_hash_to_its_id_is_skipped() {
    // The index claims the id of other bytes: a tampered pack.
    let mut entry = blob(b"the real content\n");
    entry.id = ObjectId::for_blob(b"what the id says\n");
    let built = Built::new(&[entry]);
    let (seen, stats) = built.run(&LIMITS);
    assert!(seen.is_empty());
    assert_reason(&stats, "does not hash to its id");
}

#[test]
fn a_delta_copying_past_its_base_is_skipped() {
    let base = text(10);
    let bad = delta(base.len() as u64, 20, &[0x91, 0xf0, 20]);
    let built = Built::new(&[
        blob(&base),
        Raw {
            kind: 0,
            data: bad,
            base: Base::Ofs(0),
            id: ObjectId([7; 20]),
            declared: None,
        },
    ]);
    let (seen, stats) = built.run(&LIMITS);
    assert_eq!(seen.len(), 1);
    assert!(seen.contains_key(&ObjectId::for_blob(&base)));
    assert_reason(&stats, "reads past the base");
}

#[test]
fn a_non_monotonic_fan_out_leaves_the_pack_out() {
    let (entries, _, _) = valid_entries();
    let mut built = Built::new(&entries);
    // Bump one early fan-out slot above the next.
    built.idx[8 + 4 * 10 + 3] = 9;
    built.write();
    let (seen, stats) = built.run(&LIMITS);
    assert!(seen.is_empty());
    assert_eq!(stats.packs, 0);
    assert_reason(&stats, "fan-out is not monotonic");
}

#[test]
fn offsets_past_the_pack_leave_it_out() {
    let (entries, _, _) = valid_entries();
    let mut built = Built::new(&entries);
    let n = 3;
    let offsets = 8 + 1024 + 24 * n;
    built.idx[offsets..offsets + 4].copy_from_slice(&(built.pack.len() as u32 + 5).to_be_bytes());
    built.write();
    let (seen, stats) = built.run(&LIMITS);
    assert!(seen.is_empty());
    assert_reason(&stats, "outside the pack");
    // A large offset (64-bit table) far past the end: the index must grow by 8 bytes.
    let mut built = Built::new(&valid_entries().0);
    let trailer = built.idx.split_off(built.idx.len() - 40);
    built.idx[offsets..offsets + 4].copy_from_slice(&0x8000_0000u32.to_be_bytes());
    built.idx.extend(u64::MAX.to_be_bytes());
    built.idx.extend(trailer);
    built.write();
    let (seen, stats) = built.run(&LIMITS);
    assert!(seen.is_empty());
    assert_reason(&stats, "outside the pack");
}

#[test]
fn truncated_packs_and_entries() {
    let (entries, _, _) = valid_entries();
    let mut built = Built::new(&entries);
    built.pack.truncate(built.pack.len() - 30);
    built.write();
    let (seen, stats) = built.run(&LIMITS);
    assert!(seen.is_empty());
    assert_eq!(stats.packs, 0);
    assert_reason(&stats, "checksum");
    // The last entry cut short, the trailer kept: only that entry is lost.
    let mut built = Built::new(&entries);
    let trailer = built.pack.split_off(built.pack.len() - 20);
    built.pack.truncate(built.pack.len() - 5);
    built.pack.extend(trailer);
    built.write();
    let (seen, stats) = built.run(&LIMITS);
    assert_eq!(seen.len(), 2);
    assert_eq!(stats.skipped_total, 1, "{:?}", stats.skipped);
    // Cut to the header.
    let mut built = Built::new(&entries);
    built.pack.truncate(11);
    built.write();
    let (seen, stats) = built.run(&LIMITS);
    assert!(seen.is_empty());
    assert_reason(&stats, "bad header");
}

#[test]
fn declared_sizes_over_the_limit_are_not_decoded() {
    let big = text(100);
    let mut lying = blob(b"small");
    lying.declared = Some(u64::MAX >> 8);
    let built = Built::new(&[blob(&big), lying, blob(b"tiny")]);
    let limits = PackLimits {
        max_object: 1000,
        max_chain_bytes: 1 << 20,
    };
    let (seen, stats) = built.run(&limits);
    assert_eq!(seen.len(), 1, "only the tiny blob");
    assert!(seen.contains_key(&ObjectId::for_blob(b"tiny")));
    assert_eq!(stats.skipped_total, 2);
    assert_reason(&stats, "over the limit of 1000 bytes");
    // A delta whose target is over the limit.
    let base = text(5);
    let grow = delta(base.len() as u64, 5000, &[0x90, 10]);
    let built = Built::new(&[
        blob(&base),
        Raw {
            kind: 0,
            data: grow,
            base: Base::Ofs(0),
            id: ObjectId([1; 20]),
            declared: None,
        },
    ]);
    let (seen, stats) = built.run(&limits);
    assert_eq!(seen.len(), 1);
    assert_reason(&stats, "over the limit");
}

#[test]
fn a_chain_over_its_byte_limit_is_skipped() {
    let (entries, _, _) = valid_entries();
    let built = Built::new(&entries);
    let limits = PackLimits {
        max_object: 1 << 20,
        max_chain_bytes: 100,
    };
    let (seen, stats) = built.run(&limits);
    assert_eq!(seen.len(), 1, "the base only");
    assert_reason(&stats, "chain limit");
}

#[test]
fn a_ref_delta_cycle_and_a_foreign_base_are_skipped() {
    let a = ObjectId([0xaa; 20]);
    let b = ObjectId([0xbb; 20]);
    let d = delta(3, 3, &[3, b'a', b'b', b'c']);
    let built = Built::new(&[
        blob(b"plain"),
        Raw {
            kind: 0,
            data: d.clone(),
            base: Base::Ref(b),
            id: a,
            declared: None,
        },
        Raw {
            kind: 0,
            data: d.clone(),
            base: Base::Ref(a),
            id: b,
            declared: None,
        },
        Raw {
            kind: 0,
            data: d.clone(),
            base: Base::Ref(ObjectId([0xcc; 20])),
            id: ObjectId([0xdd; 20]),
            declared: None,
        },
        Raw {
            kind: 0,
            data: d,
            base: Base::Ref(ObjectId([0xee; 20])),
            id: ObjectId([0xee; 20]),
            declared: None,
        },
    ]);
    let (seen, stats) = built.run(&LIMITS);
    assert_eq!(seen.len(), 1);
    assert_eq!(stats.skipped_total, 4, "{:?}", stats.skipped);
    assert_reason(&stats, "cycle");
    assert_reason(&stats, "not in this pack");
}

#[test]
fn tree_deltas_are_not_decoded_nor_reasons() {
    let tree = b"100644 f\0aaaaaaaaaaaaaaaaaaaa".to_vec();
    let d = delta(tree.len() as u64, 3, &[0x80]); // invalid: never looked at
    let built = Built::new(&[
        Raw {
            kind: 2,
            data: tree,
            base: Base::None,
            id: ObjectId([0x11; 20]),
            declared: None,
        },
        Raw {
            kind: 0,
            data: d,
            base: Base::Ofs(0),
            id: ObjectId([0x12; 20]),
            declared: None,
        },
        blob(b"x"),
    ]);
    let (seen, stats) = built.run(&LIMITS);
    assert_eq!(seen.len(), 1);
    assert_eq!(stats.skipped_total, 0, "{:?}", stats.skipped);
}

#[test]
fn index_v1_and_other_unusable_packs_are_named() {
    let (entries, _, _) = valid_entries();
    let built = Built::new(&entries);
    // Index v1: the fan-out directly, then (offset, id) pairs.
    let mut v1 = Vec::new();
    let mut pairs: Vec<(ObjectId, u64)> = entries
        .iter()
        .map(|e| e.id)
        .zip(built.offsets.iter().copied())
        .collect();
    pairs.sort();
    for b in 0..256usize {
        let n = pairs
            .iter()
            .filter(|(id, _)| (id.0[0] as usize) <= b)
            .count() as u32;
        v1.extend(n.to_be_bytes());
    }
    for (id, off) in &pairs {
        v1.extend((*off as u32).to_be_bytes());
        v1.extend(id.0);
    }
    v1.extend_from_slice(&built.pack[built.pack.len() - 20..]);
    v1.extend(sha1(&v1));
    let mut b = Built::new(&entries);
    b.idx = v1;
    b.write();
    let (seen, stats) = b.run(&LIMITS);
    assert!(seen.is_empty());
    assert_reason(&stats, "version 1");
    // An index without its pack; a pack of another version; garbage.
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("pack");
    std::fs::create_dir_all(&p).unwrap();
    std::fs::write(p.join("pack-a.idx"), &built.idx).unwrap();
    let mut v4 = built.pack.clone();
    v4[7] = 4;
    std::fs::write(p.join("pack-b.idx"), &built.idx).unwrap();
    std::fs::write(p.join("pack-b.pack"), &v4).unwrap();
    std::fs::write(p.join("pack-c.idx"), b"garbage").unwrap();
    std::fs::write(p.join("pack-c.pack"), b"garbage").unwrap();
    std::fs::write(p.join("pack-d.idx"), &built.idx[..built.idx.len() - 1]).unwrap();
    std::fs::write(p.join("pack-d.pack"), &built.pack).unwrap();
    let objects = PackedObjects::open(dir.path()).unwrap();
    let (seen, stats) = visit_all(&objects, &LIMITS, &|_| true);
    assert!(seen.is_empty());
    assert_eq!(stats.skipped_total, 4, "{:?}", stats.skipped);
    assert_reason(&stats, "pack-a.pack");
    assert_reason(&stats, "version Some(4)");
}

#[test]
fn random_corruption_never_panics_nor_visits_wrong_bytes() {
    let (entries, t1, t2) = valid_entries();
    let built = Built::new(&entries);
    let good: HashMap<ObjectId, Vec<u8>> = [t1, t2, text(200)]
        .into_iter()
        .map(|c| (ObjectId::for_blob(&c), c))
        .collect();
    let mut state = 0x1234_5678_9abc_def0u64;
    for round in 0..300 {
        let mut b = Built {
            dir: tempfile::tempdir().unwrap(),
            pack: built.pack.clone(),
            idx: built.idx.clone(),
            offsets: built.offsets.clone(),
        };
        for _ in 0..3 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let target = if round % 2 == 0 {
                &mut b.pack
            } else {
                &mut b.idx
            };
            let at = (state >> 8) as usize % target.len();
            target[at] = (state >> 40) as u8;
        }
        b.write();
        let (seen, _) = b.run(&LIMITS);
        for (id, visits) in seen {
            for (content, _) in visits {
                assert_eq!(good.get(&id), Some(&content), "round {round}");
            }
        }
    }
}

/// Wall and CPU time of `for_each_blob` on the benchmark history (not part of the suite):
/// `cargo test --release --test tests pack_reader::bench -- --ignored --nocapture`.
#[test]
#[ignore]
fn bench_history() {
    let repo = std::env::var("PACK_BENCH_REPO")
        .unwrap_or_else(|_| "/tmp/amplihack-bench/history".to_string());
    let objects = PackedObjects::open(&Path::new(&repo).join(".git/objects")).unwrap();
    let limits = PackLimits {
        max_object: 256 << 20,
        max_chain_bytes: 1 << 30,
    };
    for threads in [1, 2] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let content = std::sync::atomic::AtomicU64::new(0);
        let inserted = std::sync::atomic::AtomicU64::new(0);
        let visit = |b: PackedBlob<'_>| {
            use std::sync::atomic::Ordering::Relaxed;
            content.fetch_add(b.content.len() as u64, Relaxed);
            if let Some(r) = b.inserted {
                inserted.fetch_add(r.iter().map(|x| x.len() as u64).sum(), Relaxed);
            }
            true
        };
        let cpu0 = cpu_seconds();
        let t0 = std::time::Instant::now();
        let stats = pool.install(|| objects.for_each_blob(&limits, &visit));
        let wall = t0.elapsed().as_secs_f64();
        let cpu = cpu_seconds() - cpu0;
        println!(
            "threads {threads}: wall {wall:.3} s, cpu {cpu:.3} s, {} blobs, {} bytes, {} inserted, {} skipped {:?}",
            stats.blobs_visited,
            content.into_inner(),
            inserted.into_inner(),
            stats.skipped_total,
            stats.skipped.first()
        );
    }
}

/// User + system CPU seconds of this process (from /proc/self/stat; 0 elsewhere).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 = [11, 12]
        .iter()
        .filter_map(|&i| f.get(i).and_then(|v| v.parse::<f64>().ok()))
        .sum();
    ticks / 100.0
}

#[test]
fn a_delta_on_an_unvisited_base_is_visited_without_inserts() {
    // The base's bytes do not hash to the id the index gives it: not visited. Its delta child
    // still verifies, so it is visited, but whole (no inserts: the base was never scanned).
    let base = text(50);
    let mut tampered = blob(&base);
    tampered.id = ObjectId::for_blob(b"something else");
    let d = delta(base.len() as u64, 12, &[2, b'o', b'k', 0x90, 10]);
    let (child, ins) = apply_delta(&base, &d, 1 << 20).unwrap();
    assert_eq!(ins, spans(&[(0, 2)]));
    let built = Built::new(&[
        tampered,
        Raw {
            kind: 0,
            data: d,
            base: Base::Ofs(0),
            id: ObjectId::for_blob(&child),
            declared: None,
        },
    ]);
    let (seen, stats) = built.run(&LIMITS);
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[&ObjectId::for_blob(&child)][0], (child, None));
    assert_reason(&stats, "does not hash to its id");
}
