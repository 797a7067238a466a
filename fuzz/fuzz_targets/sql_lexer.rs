//! The SQL lexer and normalizer on arbitrary bytes, in every dialect: never panics, and the
//! canonical text normalizes to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use querysight_sql::{fingerprint, normalize, Dialect};

fuzz_target!(|data: &[u8]| {
    for dialect in [Dialect::Postgres, Dialect::Mysql, Dialect::Sqlite] {
        let all = normalize(data, dialect);
        assert!(!all.is_empty());
        assert_eq!(fingerprint(data, dialect), all[0].fingerprint);
        for n in &all {
            if !n.truncated && !n.multi_statement && !n.text.contains('\u{fffd}') {
                let again = normalize(n.text.as_bytes(), dialect);
                assert_eq!(again[0].text, n.text);
            }
        }
    }
});
