//! Replays the cargo-fuzz corpus (`fuzz/corpus/`) on stable, as the fuzz targets do:
//! `cargo fuzz` needs nightly and libFuzzer, which CI does not have.

use std::path::PathBuf;

use querysight_logs::{analyze_bytes, fuzz_options, Format};
use querysight_sql::{fingerprint, normalize, Dialect};

fn corpus(target: &str) -> Vec<Vec<u8>> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus")
        .join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(!files.is_empty());
    files
        .into_iter()
        .map(|p| std::fs::read(p).unwrap())
        .collect()
}

#[test]
fn readers_corpus() {
    for data in corpus("readers") {
        let Some((&selector, input)) = data.split_first() else {
            continue;
        };
        // Same mapping as fuzz_targets/readers.rs, then every format.
        let chosen = Format::ALL[usize::from(selector) % Format::ALL.len()];
        for format in std::iter::once(chosen).chain(Format::ALL) {
            let _ = analyze_bytes(input, &fuzz_options(selector, format));
        }
    }
}

#[test]
fn sql_lexer_corpus() {
    for data in corpus("sql") {
        for cut in 0..=data.len() {
            let data = &data[..cut];
            for dialect in [Dialect::Postgres, Dialect::Mysql, Dialect::Sqlite] {
                let all = normalize(data, dialect);
                assert!(!all.is_empty());
                assert_eq!(fingerprint(data, dialect), all[0].fingerprint);
            }
        }
    }
}
