//! Every log reader on arbitrary bytes, through the whole pipeline with tiny chunks:
//! must not panic or hang. The first byte picks the format and the chunk size.
#![no_main]

use libfuzzer_sys::fuzz_target;
use querysight_logs::{analyze_bytes, fuzz_options, Format};

fuzz_target!(|data: &[u8]| {
    let Some((&selector, input)) = data.split_first() else {
        return;
    };
    let format = Format::ALL[usize::from(selector) % Format::ALL.len()];
    let _ = analyze_bytes(input, &fuzz_options(selector, format));
});
