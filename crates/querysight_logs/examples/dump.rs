//! Prints the text report of the files given (development aid): `cargo run -p querysight_logs --example dump -- FILE...`.
#![allow(clippy::print_stdout)]
fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut options = querysight_logs::Options::default();
    let mut files = Vec::new();
    for a in args {
        if let Some(f) = a.strip_prefix("--format=") {
            options.format = f.parse().ok();
        } else if a == "--json" {
            options.timeline = true;
        } else {
            files.push(querysight_logs::Input::Path(a.into()));
        }
    }
    match querysight_logs::analyze(&files, &options) {
        Ok(a) => print!("{}", querysight_logs::report::text::render(&a, &querysight_logs::report::text::TextOptions { top: 10 })),
        Err(e) => println!("error: {e}"),
    }
}
