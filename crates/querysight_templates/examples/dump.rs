//! Prints the parse tree of each argument (a template file), or of stdin.
#![allow(clippy::print_stdout)]
use std::io::Read;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.is_empty() {
        let mut src = String::new();
        let _ = std::io::stdin().read_to_string(&mut src);
        let t = querysight_templates::parse(&src);
        print!("{}", querysight_templates::dump_template(&t, &[&src]));
        return;
    }
    for path in args {
        match std::fs::read(&path) {
            Ok(bytes) => {
                let t = querysight_templates::parse_bytes(&bytes, querysight_templates::FileId(0));
                let src = String::from_utf8_lossy(&bytes);
                println!("== {path}");
                print!("{}", querysight_templates::dump_template(&t, &[&src]));
            }
            Err(e) => println!("== {path}: {e}"),
        }
    }
}
