//! Replays the committed seed corpus of every fuzz target (`fuzz/corpus/TARGET/*`, crashes
//! found by fuzzing included) through the same checks the targets run
//! (`amplihack_remote::fuzzing`). CI has no cargo-fuzz; this is how it keeps every input that
//! ever mattered passing.

use amplihack_remote::fuzzing::{self, TARGETS};

use super::support::project_root;

fn corpus_files(target: &str) -> Vec<std::path::PathBuf> {
    let dir = project_root().join("fuzz/corpus").join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

#[test]
fn every_target_has_a_seed_corpus_and_a_fuzz_target() {
    for (name, _) in TARGETS {
        assert!(
            corpus_files(name).len() >= 3,
            "fuzz/corpus/{name} needs seeds"
        );
        let target = project_root()
            .join("fuzz/fuzz_targets")
            .join(format!("{name}.rs"));
        let text = std::fs::read_to_string(&target).unwrap();
        assert!(
            text.contains(&format!("amplihack_remote::fuzzing::{name}(data)")),
            "{} must call the shared check",
            target.display()
        );
    }
}

#[test]
fn the_seed_corpus_replays_clean() {
    let mut replayed = 0;
    for (name, check) in TARGETS {
        for file in corpus_files(name) {
            let data = std::fs::read(&file).unwrap();
            let outcome = std::panic::catch_unwind(|| check(&data));
            assert!(outcome.is_ok(), "{name}: {} fails", file.display());
            replayed += 1;
        }
    }
    assert!(replayed >= 50, "only {replayed} corpus files");
}

/// The archive seeds reach both outcomes: some are unpacked (the checks of what was written
/// run), the hostile ones are refused.
#[test]
fn archive_seeds_reach_extraction_and_refusal() {
    let good = std::fs::read(project_root().join("fuzz/corpus/archive_verify_unpack/entries-good"))
        .unwrap();
    assert_eq!(fuzzing::archive_outcome(&good), Some(3));
    // A real archive made by `package` (fuzz/seed-archive.sh): repo.bundle and two files.
    for real in ["real-archive", "real-tar"] {
        let data = std::fs::read(
            project_root()
                .join("fuzz/corpus/archive_verify_unpack")
                .join(real),
        )
        .unwrap();
        assert_eq!(fuzzing::archive_outcome(&data), Some(3), "{real}");
    }
    for bad in [
        "entries-dotdot",
        "entries-absolute",
        "entries-symlink",
        "entries-hardlink",
        "entries-device",
        "entries-duplicate",
        "entries-size-lie",
        "entries-unlisted",
    ] {
        let data = std::fs::read(
            project_root()
                .join("fuzz/corpus/archive_verify_unpack")
                .join(bad),
        )
        .unwrap();
        assert_eq!(fuzzing::archive_outcome(&data), None, "{bad} was unpacked");
    }
}

/// What `scan_bytes` found (fuzz/corpus/scan_bytes/crash-*): the same secret value again on
/// its line, where no rule flagged it (inside a token cut by an invalid byte), was shown in
/// clear in the excerpt of the finding next to it. Every excerpt now redacts every
/// occurrence of a reported value near the finding.
#[test]
fn a_secret_value_repeated_unflagged_next_to_a_finding_is_redacted_in_its_excerpt() {
    use amplihack_remote::scan::{InputName, RuleSet, Scanner, Scratch};
    let scanner = Scanner::new(RuleSet::builtin().unwrap());
    for crash in ["crash-af6112f5c942", "crash-ca414fd2d1df"] {
        let hay = std::fs::read(project_root().join("fuzz/corpus/scan_bytes").join(crash)).unwrap();
        let found = scanner
            .scan_buffer(&InputName::plain("x"), &hay, &mut Scratch::default())
            .unwrap();
        assert!(found.findings.len() >= 2, "{crash}");
        for f in &found.findings {
            let value = String::from_utf8_lossy(f.secret.expose()).into_owned();
            assert!(!f.excerpt.contains(&value), "{crash}: {}", f.excerpt);
        }
    }
    // A hand-made case: `export` of a value, then the value again where no rule looks.
    let value = format!("{}{}", "Zx81QmT0vKp3", "Lr7Wn2Ys5Hd9");
    let hay = format!("export DB_PASSWORD=\"{value}\"; echo x{value}x\n");
    let found = scanner
        .scan_buffer(
            &InputName::plain("run.sh"),
            hay.as_bytes(),
            &mut Scratch::default(),
        )
        .unwrap();
    assert_eq!(found.findings.len(), 1, "{:?}", found.findings);
    assert!(
        !found.findings[0].excerpt.contains(&value),
        "{}",
        found.findings[0].excerpt
    );
}

/// The delta seeds reach both outcomes: the valid ones apply (so the checks of a result run),
/// the others are refused.
#[test]
fn pack_delta_seeds_apply_and_fail() {
    use amplihack_remote::git::pack::apply_delta;
    let outcome = |name: &str| {
        let data = std::fs::read(project_root().join("fuzz/corpus/pack_delta").join(name)).unwrap();
        let (&first, rest) = data.split_first().unwrap();
        let (base, delta) = rest.split_at(usize::from(first) * rest.len() / 256);
        apply_delta(base, delta, 1 << 16).is_ok()
    };
    for good in ["valid-copy-insert", "valid-inserts-only", "valid-empty"] {
        assert!(outcome(good), "{good}");
    }
    for bad in [
        "copy-past-base",
        "zero-instruction",
        "truncated-insert",
        "short-target",
        "source-size-mismatch",
        "target-over-limit",
    ] {
        assert!(!outcome(bad), "{bad}");
    }
}

/// The pack seeds are what the reader meets in repositories: the two real packs (OFS and REF
/// deltas) give every blob, deltas with inserted ranges among them; the damaged ones give
/// fewer or none, never a blob under a wrong id (the check itself asserts that).
#[test]
fn pack_files_seeds_are_read_and_damage_is_refused() {
    use amplihack_remote::git::pack::{PackLimits, PackedObjects};
    use std::sync::atomic::{AtomicUsize, Ordering};
    let visits = |name: &str| {
        let data = std::fs::read(project_root().join("fuzz/corpus/pack_files").join(name)).unwrap();
        let (len, rest) = data.split_at(4);
        let at = u32::from_le_bytes(len.try_into().unwrap()) as usize;
        let (idx, pack) = rest.split_at(at);
        let objects = tempfile::tempdir().unwrap();
        let dir = objects.path().join("pack");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("pack-a.idx"), idx).unwrap();
        std::fs::write(dir.join("pack-a.pack"), pack).unwrap();
        let (blobs, deltas) = (AtomicUsize::new(0), AtomicUsize::new(0));
        let limits = PackLimits {
            max_object: 1 << 20,
            max_chain_bytes: 4 << 20,
        };
        PackedObjects::open(objects.path())
            .unwrap()
            .for_each_blob(&limits, &|b| {
                blobs.fetch_add(1, Ordering::Relaxed);
                if b.inserted.is_some() {
                    deltas.fetch_add(1, Ordering::Relaxed);
                }
                true
            });
        (blobs.into_inner(), deltas.into_inner())
    };
    for good in ["deltas-ofs.bin", "deltas-ref.bin"] {
        let (blobs, deltas) = visits(good);
        assert_eq!(blobs, 12, "{good}: 6 versions of 2 files");
        assert!(deltas >= 3, "{good}: {deltas} deltas");
    }
    assert!(visits("flipped-byte.bin").0 < 12);
    assert_eq!(visits("truncated.bin").0, 0);
}
