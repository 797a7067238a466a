//! `# noqa` comments, as Ruff and flake8 read them: `# noqa` silences every code on its line,
//! `# noqa: QS101, QS104` only those codes. Matching is case-insensitive.

use rustc_hash::FxHashMap;

/// What a line's `# noqa` silences.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Noqa {
    All,
    Codes(Vec<String>),
}

impl Noqa {
    pub fn silences(&self, code: &str) -> bool {
        match self {
            Noqa::All => true,
            Noqa::Codes(codes) => codes.iter().any(|c| c.eq_ignore_ascii_case(code)),
        }
    }
}

/// 1-based line -> directive, for every line with a `# noqa`.
pub fn scan(source: &str) -> FxHashMap<u32, Noqa> {
    let mut out = FxHashMap::default();
    if !source.contains("noqa") && !source.contains("NOQA") {
        return out;
    }
    for (i, line) in source.lines().enumerate() {
        if let Some(directive) = parse_line(line) {
            out.insert(i as u32 + 1, directive);
        }
    }
    out
}

fn parse_line(line: &str) -> Option<Noqa> {
    let lower = line.to_ascii_lowercase();
    let hash = lower.find('#')?;
    let comment = &lower[hash..];
    let pos = comment.find("noqa")?;
    let before = comment[..pos].trim_start_matches('#').trim();
    if !before.is_empty() && !before.ends_with('#') {
        // `# some text noqa` is not a directive unless after another `#`.
        if !comment[..pos].trim_end().ends_with('#') {
            return None;
        }
    }
    let rest = &line[hash + pos + 4..];
    let Some(codes) = rest.trim_start().strip_prefix(':') else {
        return Some(Noqa::All);
    };
    let codes: Vec<String> = codes
        .split(|c: char| c == ',' || c.is_whitespace())
        .map(str::trim)
        .take_while(|c| c.is_empty() || c.chars().all(|ch| ch.is_ascii_alphanumeric()))
        .filter(|c| !c.is_empty())
        .map(str::to_ascii_uppercase)
        .collect();
    if codes.is_empty() {
        Some(Noqa::All)
    } else {
        Some(Noqa::Codes(codes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directives() {
        let map = scan("a = 1  # noqa\nb = 2  # noqa: QS101, qs104\nc = 3  # not a noqa\nd  # x # noqa:QS102\n");
        assert_eq!(map.get(&1), Some(&Noqa::All));
        assert!(map[&2].silences("QS104"));
        assert!(!map[&2].silences("QS102"));
        assert!(!map.contains_key(&3));
        assert!(map[&4].silences("QS102"));
    }
}
