//! Criterion benchmarks of the scanner's stages, in bytes per second.
//!
//! Data: real source code that exists on every machine that built this project (the crate
//! sources under `$CARGO_HOME/registry/src`), read once into memory; if absent, this
//! project's own sources, repeated. Stages:
//! - `prefilter`: the Aho-Corasick pass alone;
//! - `candidates`: prefilter + windowed regex confirmation + filters;
//! - `scan_buffer`: the above + positions, excerpts and suppression (a whole file's work);
//! - `walk`: the .gitignore-aware walk of the registry tree, without reading files;
//! - `scan_paths`: the whole parallel scan of that tree with 2 threads (walk, read, scan).
//!
//! Run with `cargo bench --bench scan`. The peer comparison is `benches/compare.sh`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

use amplihack_remote::scan::engine::{find_candidates, prefilter_hits};
use amplihack_remote::scan::{InputName, RuleSet, ScanOptions, Scanner, Scratch, WalkOptions};

const SAMPLE_BYTES: usize = 48 << 20;

fn registry_src() -> Option<PathBuf> {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))?;
    let src = home.join("registry").join("src");
    src.is_dir().then_some(src)
}

fn collect_files(dir: &Path, out: &mut Vec<Vec<u8>>, total: &mut usize) {
    for entry in ignore::WalkBuilder::new(dir)
        .hidden(false)
        .build()
        .flatten()
    {
        if *total >= SAMPLE_BYTES {
            return;
        }
        if entry.file_type().is_some_and(|t| t.is_file()) {
            if let Ok(bytes) = std::fs::read(entry.path()) {
                *total += bytes.len();
                out.push(bytes);
            }
        }
    }
}

fn sample() -> Vec<Vec<u8>> {
    let mut files = Vec::new();
    let mut total = 0;
    if let Some(src) = registry_src() {
        collect_files(&src, &mut files, &mut total);
    }
    if total < (8 << 20) {
        let own = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut own_files = Vec::new();
        let mut own_total = 0;
        collect_files(&own, &mut own_files, &mut own_total);
        while total < (8 << 20) && own_total > 0 {
            for f in &own_files {
                total += f.len();
                files.push(f.clone());
            }
        }
    }
    files
}

fn stages(c: &mut Criterion) {
    let files = sample();
    let bytes: usize = files.iter().map(Vec::len).sum();
    let rules = RuleSet::builtin().expect("built-in rules");
    let scanner = Scanner::new(RuleSet::builtin().expect("built-in rules"));
    let mut group = c.benchmark_group("stages");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(8));
    group.bench_function("prefilter", |b| {
        let mut scratch = Scratch::default();
        b.iter(|| {
            files
                .iter()
                .map(|f| prefilter_hits(&rules, f, &mut scratch))
                .sum::<usize>()
        })
    });
    group.bench_function("candidates", |b| {
        let mut scratch = Scratch::default();
        b.iter(|| {
            files
                .iter()
                .map(|f| {
                    find_candidates(&rules, f, "bench.txt", &mut scratch).map_or(0, |c| c.len())
                })
                .sum::<usize>()
        })
    });
    group.bench_function("scan_buffer", |b| {
        let mut scratch = Scratch::default();
        let name = InputName::plain("bench");
        b.iter(|| {
            files
                .iter()
                .map(|f| {
                    scanner
                        .scan_buffer(&name, f, &mut scratch)
                        .map_or(0, |r| r.findings.len())
                })
                .sum::<usize>()
        })
    });
    group.finish();
}

fn tree(c: &mut Criterion) {
    let Some(src) = registry_src() else {
        eprintln!("no cargo registry sources: skipping the tree benchmarks");
        return;
    };
    let scanner = Scanner::new(RuleSet::builtin().expect("built-in rules"));
    let options = ScanOptions {
        walk: WalkOptions {
            respect_gitignore: false,
        },
        threads: 2,
        root: src.clone(),
    };
    let first = scanner.scan_paths(std::slice::from_ref(&src), &options);
    let mut group = c.benchmark_group("tree");
    group.throughput(Throughput::Bytes(first.bytes_scanned));
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(10));
    group.bench_function("walk", |b| {
        b.iter(|| {
            ignore::WalkBuilder::new(&src)
                .hidden(false)
                .git_ignore(false)
                .build()
                .flatten()
                .count()
        })
    });
    group.bench_function("scan_paths_2_threads", |b| {
        b.iter(|| {
            scanner
                .scan_paths(std::slice::from_ref(&src), &options)
                .files_scanned
        })
    });
    group.finish();
}

criterion_group!(benches, stages, tree);
criterion_main!(benches);
