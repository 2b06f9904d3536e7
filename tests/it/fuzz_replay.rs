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
