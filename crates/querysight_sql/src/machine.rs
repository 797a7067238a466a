//! The normalizer: one left-to-right pass over the bytes that lexes a token and writes its
//! canonical form straight into one output buffer. The few rules that need context (list
//! collapse, `VALUES` rows, relation names, `IS NULL`, signs, per-call names) keep a little
//! state: the previous token's category, a stack of open brackets with positions into the
//! output buffer, and a handful of flags. A collapse rewinds the output buffer to the
//! bracket and writes `?+`; nothing is re-lexed.
//!
//! Rule numbers refer to `shared/reference/sql-fingerprint.md`.

use std::cell::RefCell;

use memchr::memmem;

use crate::keywords::{
    self, Kw, KwId, FROM_END, FROM_LIST, FUNC, LITERAL, NON_OPERAND, NO_SPACE_PAREN, RELATION,
    RELATION_PASS, SPACE_PAREN, VALUES,
};
use crate::scan;
use crate::sqlcommenter;
use crate::{Dialect, Options};

/// Deeper brackets are still balanced but no longer tracked for list collapse, so that
/// adversarial input (`((((...`) cannot grow the bracket stack without bound.
const MAX_TRACKED_DEPTH: usize = 256;

/// What the previous emitted token was: decides spacing, signs and list openings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cat {
    /// Nothing emitted yet in this statement.
    Start,
    /// An identifier (operand).
    Word,
    /// A keyword from [`keywords`]; its flags are kept beside it.
    Kw,
    /// `?`: a literal or a placeholder (operand).
    Value,
    OpenParen,
    OpenBracket,
    Close,
    Comma,
    Dot,
    /// `::`
    Cast,
    /// A binary operator (any operator after an operand, and those that are never a prefix):
    /// one space on each side.
    BinOp,
    /// `- + ~ ! @ # :` alone where an operand may start (after `(`, `,`, an operator or a
    /// keyword): a prefix, so the space after it follows the input (`-x`, `- x`).
    AmbOp,
    /// A byte with no SQL meaning here; passed through.
    Other,
}

/// One space between `prev` and `cur` in canonical text (rule 4)? Pairs that are not fixed here
/// keep the input's choice (`had_ws`: whitespace or a comment separated them).
#[inline]
fn need_space(prev: Cat, prev_flags: u16, cur: Cat, had_ws: bool) -> bool {
    use Cat::*;
    match (prev, cur) {
        (Start | OpenParen | OpenBracket, _) => false,
        (_, Close | Comma) => false,
        (Dot | Cast, _) | (_, Dot | Cast) => false,
        (Comma | BinOp, _) => true,
        (_, OpenBracket) => false,
        (Kw, OpenParen) if prev_flags & SPACE_PAREN != 0 => true,
        (Kw, OpenParen) if prev_flags & NO_SPACE_PAREN != 0 => false,
        (_, BinOp) => true,
        (Word | Kw | Value | Close, Word | Kw | Value) => true,
        _ => had_ws,
    }
}

/// Where the rows after `VALUES` stand, in one bracket level.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Vals {
    None,
    /// `values` was the last token: the next `(` opens a row.
    Expect,
    /// A row just closed; it spans `out[.0...1]`.
    After(usize, usize),
    /// `,` after a row: the next `(` opens a row to compare with `out[.0...1]`.
    ExpectNext(usize, usize),
}

/// One open bracket (or the statement itself, at the bottom of the stack).
#[derive(Clone, Copy, Debug)]
struct Frame {
    /// Offset of the `(` or `[` in the output buffer.
    open_pos: usize,
    /// A list that may collapse to `(?+)` (not a call's arguments, not a subscript).
    collapsible: bool,
    /// A row after `VALUES`.
    values_row: bool,
    /// Every complete element so far is `?` with the same cast.
    pure: bool,
    /// Complete elements (commas seen).
    elems: u32,
    /// Output offset where the current element starts.
    elem_start: usize,
    /// Output range of the first element's cast (`::type`), empty when it has none.
    first_cast: (usize, usize),
    /// Inside a `from a, b` list at this level (until a clause keyword such as `where`): a
    /// relation name follows each comma.
    from_list: bool,
    values: Vals,
}

impl Frame {
    fn root() -> Self {
        Frame {
            open_pos: 0,
            collapsible: false,
            values_row: false,
            pure: false,
            elems: 0,
            elem_start: 0,
            first_cast: (0, 0),
            from_list: false,
            values: Vals::None,
        }
    }
}

/// Statements whose first word announces a per-call name (rule 13).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Other,
    Savepoint,
    Release,
    Rollback,
    Declare,
    Close,
    Fetch,
    Prepare,
    Execute,
    Deallocate,
}

/// A word followed by a quote may be a prefixed string or identifier (rule 6).
enum Prefixed {
    /// `N'..'`, `E'..'`, `B'..'`, `X'..'`, `U&'..'`, MySQL `_charset'..'`: the body starts at
    /// `body`.
    String { body: usize, backslash: bool },
    /// PostgreSQL `U&"..."`: the quote is at `quote_at`.
    Identifier { quote_at: usize },
    /// A plain word.
    Word,
}

/// One finished statement, borrowed from the machine until the sink returns.
pub(crate) struct Finished<'b> {
    /// Canonical text, possibly invalid UTF-8 where the input was.
    pub(crate) text: &'b [u8],
    /// Replaced literal values in order (empty unless literals are collected).
    pub(crate) literals: Vec<String>,
    pub(crate) truncated: bool,
    /// sqlcommenter tags (empty unless literals are collected).
    pub(crate) tags: Vec<(String, String)>,
    /// Byte range of the statement in the input (first token or comment to last one).
    pub(crate) span: std::ops::Range<usize>,
}

/// The normalizer state. `LIT` collects literals and sqlcommenter tags; the fingerprint fast
/// path runs without.
pub(crate) struct Machine<'a, const LIT: bool> {
    src: &'a [u8],
    dialect: Dialect,
    partition_digits: bool,
    /// The input is at least as long as the source's known cut-off.
    at_limit: bool,
    pos: usize,
    out: Vec<u8>,
    frames: Vec<Frame>,
    /// Brackets opened beyond [`MAX_TRACKED_DEPTH`] and not closed yet.
    untracked: usize,
    literals: Vec<String>,
    prev: Cat,
    prev_flags: u16,
    prev_id: KwId,
    prev2_id: KwId,
    /// Whitespace or a comment since the previous token.
    had_ws: bool,
    /// The next identifier is a relation name (rule 11).
    rel_pending: bool,
    kind: Kind,
    /// The next identifier is a per-call name (rule 13).
    name_next: bool,
    /// Inside MySQL's `/*!NNNNN ... */`.
    versioned: bool,
    /// A string, quoted identifier or block comment ran to the end.
    unterminated: bool,
    /// Body range of the last `key='value'` block comment with no token after it yet (the
    /// sqlcommenter candidate; other comments after it do not replace it).
    trailing_comment: Option<(usize, usize)>,
    stmt_begin: usize,
    stmt_start: Option<usize>,
    last_end: usize,
    emitted: usize,
}

thread_local! {
    /// The output buffer and bracket stack of the last run on this thread, reused so that the
    /// fingerprint path allocates nothing in the steady state.
    static SCRATCH: RefCell<(Vec<u8>, Vec<Frame>)> = const { RefCell::new((Vec::new(), Vec::new())) };
}

/// Scratch buffers larger than this go back to the allocator instead of being kept.
const SCRATCH_KEEP_BYTES: usize = 1 << 20;

/// Normalizes `sql`, handing each statement to `sink` (see [`Machine::run`]).
pub(crate) fn run<const LIT: bool>(
    sql: &[u8],
    options: &Options,
    sink: &mut dyn FnMut(Finished<'_>) -> bool,
) {
    let (out, frames) = SCRATCH
        .try_with(|cell| {
            cell.try_borrow_mut()
                .map(|mut s| std::mem::take(&mut *s))
                .unwrap_or_default()
        })
        .unwrap_or_default();
    let mut machine = Machine::<LIT>::new(sql, options, out, frames);
    machine.run(sink);
    let Machine { out, frames, .. } = machine;
    if out.capacity() <= SCRATCH_KEEP_BYTES {
        let _ = SCRATCH.try_with(|cell| {
            if let Ok(mut s) = cell.try_borrow_mut() {
                *s = (out, frames);
            }
        });
    }
}

impl<'a, const LIT: bool> Machine<'a, LIT> {
    fn new(sql: &'a [u8], options: &Options, mut out: Vec<u8>, mut frames: Vec<Frame>) -> Self {
        out.clear();
        out.reserve(sql.len() + 8);
        frames.clear();
        frames.push(Frame::root());
        Machine {
            src: sql,
            dialect: options.dialect,
            partition_digits: options.partition_digits,
            at_limit: options
                .max_len
                .is_some_and(|max| max > 0 && sql.len() >= max),
            pos: 0,
            out,
            frames,
            untracked: 0,
            literals: Vec::new(),
            prev: Cat::Start,
            prev_flags: 0,
            prev_id: KwId::Other,
            prev2_id: KwId::Other,
            had_ws: false,
            rel_pending: false,
            kind: Kind::Other,
            name_next: false,
            versioned: false,
            unterminated: false,
            trailing_comment: None,
            stmt_begin: 0,
            stmt_start: None,
            last_end: 0,
            emitted: 0,
        }
    }

    /// Normalizes the whole input, handing each statement to `sink`; stops early when `sink`
    /// returns `false`. `sink` is called at least once, even for empty input.
    fn run(&mut self, sink: &mut dyn FnMut(Finished<'_>) -> bool) {
        let src = self.src;
        while self.pos < src.len() {
            let i = self.pos;
            let b = src[i];
            match b {
                b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c => {
                    let mut j = i + 1;
                    while j < src.len() && scan::is_space(src[j]) {
                        j += 1;
                    }
                    self.pos = j;
                    self.had_ws = true;
                }
                b'\'' => self.string(i, i + 1, b'\'', self.dialect.backslash_strings()),
                b'"' if self.dialect.double_quote_string() => self.string(i, i + 1, b'"', true),
                b'"' | b'`' => self.quoted_ident(i, i, b),
                b'[' if self.dialect.bracket_identifiers() => self.quoted_ident(i, i, b']'),
                b'(' => self.open(i, false),
                b'[' => self.open(i, true),
                b')' | b']' => self.close(i),
                b',' => self.comma(i),
                b';' if self.frames.len() <= 1 && self.untracked == 0 => {
                    self.pos = i + 1;
                    if !self.finish(false, sink) {
                        return;
                    }
                }
                b'.' => {
                    // `.5` is a number where an operand may start and no name follows it.
                    let digit = src.get(i + 1).is_some_and(u8::is_ascii_digit);
                    let operand_may_start =
                        !matches!(self.prev, Cat::Word | Cat::Value | Cat::Close | Cat::Dot);
                    if digit
                        && operand_may_start
                        && !scan::name_continues_at(src, scan::number_end(src, i))
                    {
                        self.number(i, i);
                    } else {
                        self.dot(i);
                    }
                }
                b'0'..=b'9' => self.number(i, i),
                b'-' if src.get(i + 1) == Some(&b'-') && self.dash_comment(i) => {
                    self.line_comment(i)
                }
                b'/' if src.get(i + 1) == Some(&b'*') => self.block_comment(i),
                b'#' if self.dialect.hash_comments() => self.line_comment(i),
                b'*' if self.versioned && src.get(i + 1) == Some(&b'/') => {
                    self.versioned = false;
                    self.had_ws = true;
                    self.pos = i + 2;
                }
                b'?' => self.question(i),
                b'$' => self.dollar(i),
                b'%' => self.percent(i),
                b':' => self.colon(i),
                b'@' => self.at(i),
                b'-' | b'+' | b'*' | b'/' | b'<' | b'>' | b'=' | b'~' | b'!' | b'^' | b'&'
                | b'|' | b'#' => self.op(i),
                _ if scan::is_ident_start(b) => self.word(i),
                _ => self.other(i, 1),
            }
        }
        self.finish(true, sink);
    }

    // ----- token plumbing -----

    /// Writes the separator before a token of category `cur` starting at input offset `start`.
    #[inline]
    fn begin(&mut self, cur: Cat, start: usize) {
        if self.stmt_start.is_none() {
            self.stmt_start = Some(start);
        }
        // Two `-` written together would read back as a comment.
        let dashes = self.out.last() == Some(&b'-') && self.src.get(start) == Some(&b'-');
        if dashes || need_space(self.prev, self.prev_flags, cur, self.had_ws) {
            self.out.push(b' ');
        }
        self.had_ws = false;
        self.trailing_comment = None;
    }

    /// Records the token just written and moves past it (`next`: input offset after it).
    #[inline]
    fn end(&mut self, cat: Cat, flags: u16, id: KwId, next: usize) {
        self.prev2_id = self.prev_id;
        self.prev_id = id;
        self.prev = cat;
        self.prev_flags = flags;
        self.pos = next;
        self.last_end = next;
    }

    #[inline]
    fn top(&mut self) -> &mut Frame {
        if self.frames.is_empty() {
            self.frames.push(Frame::root());
        }
        let last = self.frames.len() - 1;
        &mut self.frames[last]
    }

    /// After any token that is not a keyword, identifier, `.`, `(` or `,`: pending relation,
    /// per-call name and `VALUES` rows end.
    #[inline]
    fn plain_token(&mut self) {
        self.rel_pending = false;
        self.name_next = false;
        self.top().values = Vals::None;
    }

    /// Emits `?` (or `?+`) for a literal or placeholder spanning `start..next`.
    #[inline]
    fn value(&mut self, start: usize, next: usize, text: &[u8]) {
        self.begin(Cat::Value, start);
        self.out.extend_from_slice(text);
        self.plain_token();
        self.end(Cat::Value, 0, KwId::Other, next);
    }

    #[inline]
    fn push_literal(&mut self, bytes: &[u8]) {
        if LIT {
            self.literals
                .push(String::from_utf8_lossy(bytes).into_owned());
        }
    }

    fn other(&mut self, i: usize, len: usize) {
        let end = (i + len).min(self.src.len());
        self.begin(Cat::Other, i);
        self.out.extend_from_slice(&self.src[i..end]);
        self.plain_token();
        self.end(Cat::Other, 0, KwId::Other, end);
    }

    // ----- comments and whitespace (rule 3) -----

    /// `--` starts a comment here (MySQL wants whitespace or a control character after it).
    fn dash_comment(&self, i: usize) -> bool {
        !self.dialect.strict_dash_comments()
            || self
                .src
                .get(i + 2)
                .is_none_or(|&c| c.is_ascii_whitespace() || c.is_ascii_control())
    }

    /// Where the SQL body of a MySQL `/*!NNNNN body */` (or MariaDB `/*M!NNNNNN body */`)
    /// starting at `i` begins; `None` when the comment at `i` is not one.
    fn versioned_body(&self, i: usize) -> Option<usize> {
        if !self.dialect.versioned_comments() {
            return None;
        }
        let src = self.src;
        let mut j = match (src.get(i + 2), src.get(i + 3)) {
            (Some(b'!'), _) => i + 3,
            (Some(b'M'), Some(b'!')) => i + 4,
            _ => return None,
        };
        let digits = j;
        while j < digits + 6 && src.get(j).is_some_and(u8::is_ascii_digit) {
            j += 1;
        }
        Some(j)
    }

    fn line_comment(&mut self, i: usize) {
        if self.stmt_start.is_none() {
            self.stmt_start = Some(i);
        }
        let end = scan::line_comment_end(self.src, i);
        self.had_ws = true;
        self.pos = end;
        self.last_end = end;
    }

    fn block_comment(&mut self, i: usize) {
        let src = self.src;
        if self.stmt_start.is_none() {
            self.stmt_start = Some(i);
        }
        self.had_ws = true;
        let body = i + 2;
        if let Some(sql) = self.versioned_body(i).filter(|_| !self.versioned) {
            // `/*!NNNNN body */`: the version digits go, the body is SQL.
            self.versioned = true;
            self.pos = sql;
            return;
        }
        match scan::block_comment_end(src, body, self.dialect.nested_comments()) {
            Some(close) => {
                // A sqlcommenter candidate (`key='value'`); hints (`/*+`) and notes are not.
                let text = src.get(body..close).unwrap_or(&[]);
                let pair =
                    memchr::memchr_iter(b'=', text).any(|at| text.get(at + 1) == Some(&b'\''));
                if text.first() != Some(&b'+') && pair {
                    self.trailing_comment = Some((body, close));
                }
                self.pos = close + 2;
            }
            None => {
                self.unterminated = true;
                self.pos = src.len();
            }
        }
        self.last_end = self.pos;
    }

    // ----- strings and literals (rules 6, 7, 8) -----

    /// A string whose token starts at `start` (a prefix such as `E` included) and whose body
    /// starts at `body`.
    fn string(&mut self, start: usize, body: usize, quote: u8, backslash: bool) {
        let q = scan::quoted(self.src, body, quote, backslash);
        if !q.terminated {
            self.unterminated = true;
        }
        if LIT {
            let raw = self.src.get(body..q.close).unwrap_or(&[]);
            self.literals
                .push(sqlcommenter::unescape_literal(raw, quote, backslash));
        }
        self.value(start, q.next, b"?");
    }

    /// A number starting at `digits`; `start` is earlier when a sign was absorbed.
    fn number(&mut self, start: usize, digits: usize) {
        let src = self.src;
        let end = scan::number_end(src, digits);
        let follows_name = scan::name_continues_at(src, end);
        if start == digits && follows_name && src[digits..end].iter().all(u8::is_ascii_digit) {
            // An identifier that starts with digits (MySQL allows `1st_table`).
            let word_end = scan::ident_end(src, digits);
            self.begin(Cat::Word, digits);
            let ostart = self.out.len();
            self.out
                .extend(src[digits..word_end].iter().map(u8::to_ascii_lowercase));
            self.ident_tail(digits, ostart, word_end, None);
            return;
        }
        self.push_literal(&src[start..end]);
        self.value(start, end, b"?");
    }

    /// May a sign here belong to the number after it (rule 7)?
    fn sign_allowed(&self) -> bool {
        match self.prev {
            Cat::Start
            | Cat::OpenParen
            | Cat::OpenBracket
            | Cat::Comma
            | Cat::BinOp
            | Cat::AmbOp => true,
            Cat::Kw => self.prev_flags & NON_OPERAND != 0,
            _ => false,
        }
    }

    // ----- placeholders (rule 9) -----

    fn question(&mut self, i: usize) {
        let src = self.src;
        let mut end = i + 1;
        while src.get(end).is_some_and(u8::is_ascii_digit) {
            end += 1; // SQLite `?NNN`
        }
        if end == i + 1 && src.get(end) == Some(&b'+') {
            // `?+`, the canonical collapsed list, reads back as itself before `)`, `]` or the
            // end of the statement (a truncation marker may come first).
            let mut k = end + 1;
            loop {
                while src.get(k).is_some_and(|&c| scan::is_space(c)) {
                    k += 1;
                }
                let rest = src.get(k..).unwrap_or(&[]);
                if rest.starts_with(b"...") {
                    k += rest.iter().take_while(|&&b| b == b'.').count();
                } else if rest.starts_with("…".as_bytes()) {
                    k += "…".len();
                } else {
                    break;
                }
            }
            if matches!(src.get(k), None | Some(b')' | b']' | b';')) {
                return self.value(i, end + 1, b"?+");
            }
        }
        self.value(i, end, b"?");
    }

    fn dollar(&mut self, i: usize) {
        let src = self.src;
        if src.get(i + 1).is_some_and(u8::is_ascii_digit) {
            let mut end = i + 2;
            while src.get(end).is_some_and(u8::is_ascii_digit) {
                end += 1;
            }
            return self.value(i, end, b"?");
        }
        if self.dialect.dollar_quotes() {
            if let Some(body) = scan::dollar_tag_end(src, i) {
                let tag = &src[i..body];
                let rest = src.get(body..).unwrap_or(&[]);
                let (close, next) = match memmem::find(rest, tag) {
                    Some(off) => (body + off, body + off + tag.len()),
                    None => {
                        self.unterminated = true;
                        (src.len(), src.len())
                    }
                };
                self.push_literal(src.get(body..close).unwrap_or(&[]));
                return self.value(i, next, b"?");
            }
        }
        if self.dialect.dollar_named_params()
            && src.get(i + 1).is_some_and(|&c| scan::is_ident_start(c))
        {
            let end = scan::ident_end(src, i + 1);
            return self.value(i, end, b"?");
        }
        self.other(i, 1);
    }

    fn percent(&mut self, i: usize) {
        let src = self.src;
        match src.get(i + 1) {
            Some(b's') if !src.get(i + 2).is_some_and(|&c| scan::is_ident_cont(c)) => {
                return self.value(i, i + 2, b"?");
            }
            Some(b'(') => {
                let name_end = scan::ident_end(src, i + 2);
                if name_end > i + 2
                    && src.get(name_end) == Some(&b')')
                    && src.get(name_end + 1) == Some(&b's')
                {
                    return self.value(i, name_end + 2, b"?");
                }
            }
            Some(b'%') => {
                // `%%` is how a `%` operator is written in SQL that goes through `%s` formatting.
                self.begin(Cat::BinOp, i);
                self.out.push(b'%');
                self.plain_token();
                return self.end(Cat::BinOp, 0, KwId::Other, i + 2);
            }
            _ => {}
        }
        self.op(i);
    }

    fn colon(&mut self, i: usize) {
        let src = self.src;
        match src.get(i + 1) {
            Some(b':') => {
                self.begin(Cat::Cast, i);
                self.out.extend_from_slice(b"::");
                self.plain_token();
                self.end(Cat::Cast, 0, KwId::Other, i + 2);
            }
            Some(&c) if scan::is_ident_start(c) => {
                let end = scan::ident_end(src, i + 1);
                self.value(i, end, b"?");
            }
            _ => self.op(i),
        }
    }

    fn at(&mut self, i: usize) {
        let src = self.src;
        let next = src.get(i + 1).copied();
        if self.dialect == Dialect::Mysql
            && next == Some(b'@')
            && src.get(i + 2).is_some_and(|&c| scan::is_ident_start(c))
        {
            // A system variable (`@@sql_mode`): a name, kept.
            let end = scan::ident_end(src, i + 2);
            self.begin(Cat::Word, i);
            self.out
                .extend(src[i..end].iter().map(u8::to_ascii_lowercase));
            self.plain_token();
            return self.end(Cat::Word, 0, KwId::Other, end);
        }
        if next.is_some_and(|c| scan::is_ident_start(c) || c.is_ascii_digit()) {
            let end = scan::ident_end(src, i + 1);
            return self.value(i, end, b"?");
        }
        self.op(i);
    }

    // ----- operators and punctuation -----

    fn op(&mut self, i: usize) {
        let src = self.src;
        let b = src[i];
        if (b == b'-' || b == b'+') && self.sign_allowed() {
            let d = i + 1;
            let starts_number = match src.get(d) {
                Some(c) if c.is_ascii_digit() => true,
                Some(b'.') => src.get(d + 1).is_some_and(u8::is_ascii_digit),
                _ => false,
            };
            if starts_number {
                let end = scan::number_end(src, d);
                if !scan::name_continues_at(src, end) {
                    self.push_literal(&src[i..end]);
                    return self.value(i, end, b"?");
                }
            }
        }
        let len = op_len(&src[i..]);
        // A one-byte operator that can be a prefix keeps the input's spacing only where it is
        // a prefix (after `(`, `,`, an operator or a keyword); after an operand it is binary.
        let prefix_capable = matches!(b, b'-' | b'+' | b'~' | b'!' | b'@' | b'#' | b':');
        let cat = if len == 1 && prefix_capable && self.sign_allowed() {
            Cat::AmbOp
        } else {
            Cat::BinOp
        };
        self.begin(cat, i);
        self.out.extend_from_slice(&src[i..i + len]);
        self.plain_token();
        self.end(cat, 0, KwId::Other, i + len);
    }

    fn dot(&mut self, i: usize) {
        self.begin(Cat::Dot, i);
        self.out.push(b'.');
        self.end(Cat::Dot, 0, KwId::Other, i + 1);
    }

    fn comma(&mut self, i: usize) {
        self.begin(Cat::Comma, i);
        if self.frames.len() > 1 {
            let last = self.frames.len() - 1;
            let f = self.frames[last];
            let mut pure = f.pure;
            if pure {
                pure = match elem_cast(&self.out, f.elem_start) {
                    Some(cast) if f.elems == 0 => {
                        self.frames[last].first_cast = cast;
                        true
                    }
                    Some(cast) => same(&self.out, cast, f.first_cast),
                    None => false,
                };
            }
            self.frames[last].pure = pure;
            self.frames[last].elems += 1;
        }
        self.out.push(b',');
        let len = self.out.len();
        let f = self.top();
        f.elem_start = len;
        f.values = match f.values {
            Vals::After(s, e) => Vals::ExpectNext(s, e),
            _ => Vals::None,
        };
        let from_list = f.from_list;
        self.rel_pending = from_list;
        self.name_next = false;
        self.end(Cat::Comma, 0, KwId::Other, i + 1);
    }

    fn open(&mut self, i: usize, bracket: bool) {
        let cat = if bracket {
            Cat::OpenBracket
        } else {
            Cat::OpenParen
        };
        if self.frames.len() >= MAX_TRACKED_DEPTH || self.untracked > 0 {
            self.untracked += 1;
            self.begin(cat, i);
            self.out.push(self.src[i]);
            self.plain_token();
            return self.end(cat, 0, KwId::Other, i + 1);
        }
        // Rule 12: a list, unless the bracket follows a name (call, type modifier, subscript)
        // or a call-like keyword (`any(`).
        let collapsible = match self.prev {
            Cat::Start
            | Cat::OpenParen
            | Cat::OpenBracket
            | Cat::Comma
            | Cat::BinOp
            | Cat::AmbOp => true,
            Cat::Kw => self.prev_flags & FUNC == 0 && self.prev_flags & NON_OPERAND != 0,
            _ => false,
        };
        let parent = self.top();
        let values_row = !bracket && matches!(parent.values, Vals::Expect | Vals::ExpectNext(..));
        if !values_row {
            parent.values = Vals::None;
        }
        self.begin(cat, i);
        self.out.push(self.src[i]);
        let len = self.out.len();
        self.frames.push(Frame {
            open_pos: len - 1,
            collapsible,
            values_row,
            pure: true,
            elems: 0,
            elem_start: len,
            first_cast: (len, len),
            from_list: false,
            values: Vals::None,
        });
        self.rel_pending = false;
        self.name_next = false;
        self.end(cat, 0, KwId::Other, i + 1);
    }

    fn close(&mut self, i: usize) {
        let byte = self.src[i];
        if self.untracked > 0 || self.frames.len() <= 1 {
            // Beyond the tracked depth, or unbalanced: pass through.
            self.untracked = self.untracked.saturating_sub(1);
            self.begin(Cat::Close, i);
            self.out.push(byte);
            self.plain_token();
            return self.end(Cat::Close, 0, KwId::Other, i + 1);
        }
        let Some(f) = self.frames.pop() else {
            return self.other(i, 1);
        };
        self.collapse(&f, false);
        self.begin(Cat::Close, i);
        self.out.push(byte);
        let row_end = self.out.len();
        let mut parent_values = Vals::None;
        if f.values_row {
            // Rule 12: identical consecutive rows after VALUES become one.
            parent_values = Vals::After(f.open_pos, row_end);
            if let Some(Vals::ExpectNext(ps, pe)) = self.frames.last().map(|p| p.values) {
                if self.out.get(ps..pe).is_some()
                    && self.out.get(ps..pe) == self.out.get(f.open_pos..row_end)
                {
                    self.out.truncate(pe);
                    parent_values = Vals::After(ps, pe);
                    let top = self.top();
                    top.elem_start = top.elem_start.min(pe);
                }
            }
        }
        self.top().values = parent_values;
        self.rel_pending = false;
        self.name_next = false;
        self.end(Cat::Close, 0, KwId::Other, i + 1);
    }

    /// Rewrites a closed (or, with `cut`, cut-off) list whose every element is `?` with one
    /// cast to `?+`.
    fn collapse(&mut self, f: &Frame, cut: bool) {
        if !f.collapsible {
            return;
        }
        let mut pure = f.pure;
        let mut n = f.elems;
        let tail = self.out.get(f.elem_start..).unwrap_or(&[]);
        if tail.iter().any(|&b| b != b' ') {
            n += 1;
            if pure {
                pure = match elem_cast(&self.out, f.elem_start) {
                    Some(cast) => n == 1 || same(&self.out, cast, f.first_cast),
                    None => false,
                };
            }
        } else if n > 0 && !cut {
            pure = false; // a trailing comma (when cut, the next element is what is missing)
        }
        if pure && n >= 1 && f.open_pos < self.out.len() {
            self.out.truncate(f.open_pos + 1);
            self.out.extend_from_slice(b"?+");
        }
    }

    // ----- words (rules 5, 8, 11, 13) -----

    /// What a word starting at `i` really is when it prefixes a quote (rule 6).
    fn prefixed(&self, i: usize) -> Prefixed {
        self.prefixed_with_end(i, scan::ident_end(self.src, i + 1))
    }

    /// [`Self::prefixed`] for a word known to end at `end`.
    #[inline]
    fn prefixed_with_end(&self, i: usize, end: usize) -> Prefixed {
        let src = self.src;
        let len = end - i;
        let first = src[i].to_ascii_lowercase();
        match src.get(end) {
            Some(b'\'') if len == 1 && matches!(first, b'n' | b'e' | b'b' | b'x') => {
                // N'..' E'..' B'..' X'..'
                let backslash =
                    first == b'e' || (first == b'n' && self.dialect.backslash_strings());
                Prefixed::String {
                    body: end + 1,
                    backslash,
                }
            }
            Some(b'\'') if self.dialect == Dialect::Mysql && first == b'_' && len > 1 => {
                // A character set introducer: `_utf8mb4'..'`, `_binary'..'`.
                Prefixed::String {
                    body: end + 1,
                    backslash: true,
                }
            }
            Some(b'&') if len == 1 && first == b'u' => match src.get(end + 1) {
                Some(b'\'') => Prefixed::String {
                    body: end + 2,
                    backslash: false,
                },
                Some(b'"') if !self.dialect.double_quote_string() => {
                    Prefixed::Identifier { quote_at: end + 1 }
                }
                _ => Prefixed::Word,
            },
            _ => Prefixed::Word,
        }
    }

    fn word(&mut self, i: usize) {
        let src = self.src;
        let end = scan::ident_end(src, i + 1);
        if matches!(src.get(end), Some(b'\'' | b'&')) {
            match self.prefixed_with_end(i, end) {
                Prefixed::String { body, backslash } => {
                    return self.string(i, body, b'\'', backslash)
                }
                Prefixed::Identifier { quote_at } => return self.quoted_ident(i, quote_at, b'"'),
                Prefixed::Word => {}
            }
        }
        self.begin(Cat::Word, i);
        let ostart = self.out.len();
        self.out
            .extend(src[i..end].iter().map(u8::to_ascii_lowercase));
        self.ident_tail(i, ostart, end, None);
    }

    /// A quoted identifier: the token starts at `start`, the opening quote is at `quote_at`,
    /// and `close` ends it (`"`, `` ` ``, or `]` for `[x]`, which has no escape).
    fn quoted_ident(&mut self, start: usize, quote_at: usize, close: u8) {
        let src = self.src;
        self.begin(Cat::Word, start);
        let ostart = self.out.len();
        let body = src.get(quote_at + 1..).unwrap_or(&[]);
        // Names are short: a plain loop finds the end faster than a memchr call.
        let len = body.iter().position(|&c| c == close);
        let doubled = len.is_some_and(|n| close != b']' && body.get(n + 1) == Some(&close));
        let (next, plain) = match len {
            Some(n) if !doubled => {
                let name = &body[..n];
                self.out.extend(name.iter().map(u8::to_ascii_lowercase));
                let plain = name.iter().all(|&c| scan::is_ident_cont(c) && c != 0xE2);
                (quote_at + 1 + n + 1, plain)
            }
            _ => {
                let q = scan::quoted(src, quote_at + 1, close, false);
                if !q.terminated {
                    self.unterminated = true;
                }
                let name = src.get(quote_at + 1..q.close).unwrap_or(&[]);
                let mut k = 0;
                while k < name.len() {
                    let c = name[k];
                    if c == close && close != b']' && name.get(k + 1) == Some(&c) {
                        k += 1; // a doubled quote is one quote
                    }
                    self.out.push(c.to_ascii_lowercase());
                    k += 1;
                }
                (q.next, false)
            }
        };
        self.ident_tail(start, ostart, next, Some(plain));
    }

    /// Everything after a word's lower-cased text was written at `out[ostart..]`: keywords,
    /// literal words, per-call names, relation names and re-quoting. `quoted` is `None` for an
    /// unquoted word, and for a quoted identifier whether every byte of its name is known to
    /// continue a name (then re-quoting needs no scan).
    fn ident_tail(&mut self, start: usize, ostart: usize, next: usize, quoted: Option<bool>) {
        let next_is_dot = self.qualifier_dot_at(next);
        let kw = if quoted.is_some() || next_is_dot || self.prev == Cat::Dot {
            None
        } else {
            keywords::lookup(&self.out[ostart..])
        };
        if self.per_call_name(ostart, kw.is_some()) {
            self.out.truncate(ostart);
            self.out.push(b'?');
            self.plain_token();
            return self.end(Cat::Value, 0, KwId::Other, next);
        }
        match kw {
            Some(kw) if kw.flags & LITERAL != 0 => {
                let keep = kw.id == KwId::Null
                    && (matches!(self.prev_id, KwId::Is | KwId::Not)
                        || (self.prev_id == KwId::From && self.prev2_id == KwId::Distinct));
                if keep {
                    // `IS [NOT] NULL`, `IS [NOT] DISTINCT FROM NULL`, `NOT NULL`: not a value.
                    self.plain_token();
                    self.end(Cat::Kw, 0, KwId::Null, next);
                } else {
                    self.push_literal(&self.src[start..next.min(self.src.len())]);
                    self.out.truncate(ostart);
                    self.out.push(b'?');
                    self.plain_token();
                    self.end(Cat::Value, 0, KwId::Other, next);
                }
            }
            Some(kw) => {
                self.keyword_effects(kw);
                self.end(Cat::Kw, kw.flags, kw.id, next);
            }
            None => {
                let relation = self.rel_pending || next_is_dot;
                if !next_is_dot {
                    self.rel_pending = false;
                }
                if relation && self.partition_digits {
                    replace_digit_runs(&mut self.out, ostart);
                }
                if let Some(plain) = quoted {
                    if needs_quotes(&self.out[ostart..], plain) {
                        requote(&mut self.out, ostart, self.dialect.identifier_quote());
                    }
                }
                self.top().values = Vals::None;
                self.end(Cat::Word, 0, KwId::Other, next);
            }
        }
    }

    /// Is the next token at or after `k` a qualifier's `.`: a dot with a name (or `*`) after
    /// it? Whitespace and comments are skipped, as canonical text drops both around `.`; a dot
    /// before anything else (`...`, `;`, the end) does not make the word before it a qualifier.
    #[inline]
    fn qualifier_dot_at(&self, k: usize) -> bool {
        let src = self.src;
        // Fast paths: `name.` followed directly by a name or quote, or no dot at all. Inside
        // MySQL's `/*!...*/` the closing `*/` is whitespace: the full lookahead handles it.
        match src.get(k).filter(|_| !self.versioned) {
            None if !self.versioned => return false,
            None => {}
            Some(b'.') => match src.get(k + 1) {
                Some(b'"') => return !self.dialect.double_quote_string(),
                Some(&b) if b.is_ascii_alphabetic() || b == b'_' => {
                    return !matches!(self.prefixed(k + 1), Prefixed::String { .. });
                }
                _ => {}
            },
            Some(b'/' | b'-' | b'#') => {} // perhaps a comment: the full lookahead below
            Some(&b) if scan::is_space(b) => {
                // Only a dot or a comment after the whitespace needs the full lookahead.
                let mut j = k + 1;
                while src.get(j).is_some_and(|&b| scan::is_space(b)) {
                    j += 1;
                }
                if !matches!(src.get(j), Some(b'.' | b'/' | b'-' | b'#')) {
                    return false;
                }
            }
            Some(_) => return false,
        }
        let Some(at) = self.next_significant(k) else {
            return false;
        };
        if src[at] != b'.' {
            return false;
        }
        let Some(after) = self.next_significant(at + 1) else {
            return false;
        };
        match src[after] {
            b'"' => !self.dialect.double_quote_string(),
            b'`' | b'*' => true,
            b'[' => self.dialect.bracket_identifiers(),
            b if scan::is_ident_start(b) && !scan::is_ellipsis_at(src, after) => {
                !matches!(self.prefixed(after), Prefixed::String { .. })
            }
            _ => false,
        }
    }

    /// The offset of the first byte at or after `k` that is not whitespace or inside a comment,
    /// reading MySQL's `/*!NNNNN ... */` as the main loop does (its body is SQL).
    fn next_significant(&self, mut k: usize) -> Option<usize> {
        let src = self.src;
        let mut versioned = self.versioned;
        loop {
            let b = *src.get(k)?;
            match b {
                _ if scan::is_space(b) => k += 1,
                b'*' if versioned && src.get(k + 1) == Some(&b'/') => {
                    versioned = false;
                    k += 2;
                }
                b'/' if src.get(k + 1) == Some(&b'*') => {
                    if let Some(body) = self.versioned_body(k).filter(|_| !versioned) {
                        versioned = true;
                        k = body;
                        continue;
                    }
                    k = scan::block_comment_end(src, k + 2, self.dialect.nested_comments())? + 2;
                }
                b'-' if src.get(k + 1) == Some(&b'-') && self.dash_comment(k) => {
                    k = scan::line_comment_end(src, k)
                }
                b'#' if self.dialect.hash_comments() => k = scan::line_comment_end(src, k),
                _ => return Some(k),
            }
        }
    }

    fn keyword_effects(&mut self, kw: Kw) {
        if kw.flags & RELATION != 0 {
            self.rel_pending = true;
        } else if kw.flags & RELATION_PASS == 0 {
            self.rel_pending = false;
        }
        let f = self.top();
        f.values = if kw.flags & VALUES != 0 {
            Vals::Expect
        } else {
            Vals::None
        };
        if kw.flags & FROM_LIST != 0 {
            f.from_list = true;
        } else if kw.flags & FROM_END != 0 {
            f.from_list = false;
        }
    }

    /// Rule 13: follows `SAVEPOINT x`, `RELEASE [SAVEPOINT] x`, `ROLLBACK [WORK] TO [SAVEPOINT] x`,
    /// `DECLARE x`, `CLOSE x`, `FETCH|MOVE ... FROM|IN x`, `PREPARE x`, `EXECUTE x`,
    /// `DEALLOCATE [PREPARE] x`, and any `_django_curs_*` name. True when the word at
    /// `out[ostart..]` is such a name.
    fn per_call_name(&mut self, ostart: usize, is_keyword: bool) -> bool {
        let w = &self.out[ostart..];
        if self.kind == Kind::Other && self.prev != Cat::Start && w.first() != Some(&b'_') {
            return false; // the common case: no pattern is open
        }
        if self.prev == Cat::Dot {
            return false; // `x.name`: a column, never a per-call name
        }
        let first = self.prev == Cat::Start;
        if w.first() == Some(&b'_') && w.starts_with(b"_django_curs_") {
            self.name_next = false;
            return true;
        }
        if first {
            let (kind, name_next) = match w {
                b"savepoint" => (Kind::Savepoint, true),
                b"release" => (Kind::Release, true),
                b"rollback" => (Kind::Rollback, false),
                b"declare" => (Kind::Declare, true),
                b"close" => (Kind::Close, true),
                b"fetch" | b"move" => (Kind::Fetch, false),
                b"prepare" => (Kind::Prepare, true),
                b"execute" => (Kind::Execute, true),
                b"deallocate" => (Kind::Deallocate, true),
                _ => (Kind::Other, false),
            };
            self.kind = kind;
            self.name_next = name_next;
            return false;
        }
        if self.name_next {
            let still_waiting = match self.kind {
                Kind::Release | Kind::Rollback => w == b"savepoint",
                Kind::Deallocate => w == b"prepare",
                _ => false,
            };
            if still_waiting {
                return false;
            }
            self.name_next = false;
            return !is_keyword;
        }
        match self.kind {
            Kind::Rollback if w == b"to" => self.name_next = true,
            Kind::Fetch if w == b"from" || w == b"in" => self.name_next = true,
            _ => {}
        }
        false
    }

    // ----- statements (rules 14, 15) -----

    /// Ends the current statement and hands it to `sink` unless it is empty (an empty input
    /// still gives one statement). Returns what `sink` returned (true when skipped).
    fn finish(&mut self, end_of_input: bool, sink: &mut dyn FnMut(Finished<'_>) -> bool) -> bool {
        let cut = self.unterminated
            || self.untracked > 0
            || self.frames.len() > 1
            || (end_of_input && self.at_limit);
        let truncated = strip_cut_tail(&mut self.out, cut);
        while self.frames.len() > 1 {
            if let Some(f) = self.frames.pop() {
                self.collapse(&f, true);
            }
        }
        let mut keep_going = true;
        if !self.out.is_empty() || (end_of_input && self.emitted == 0) {
            if truncated {
                if self.out.is_empty() {
                    self.out.extend_from_slice(b"...");
                } else {
                    self.out.extend_from_slice(b" ...");
                }
            }
            let tags = match (LIT, self.trailing_comment) {
                (true, Some((a, b))) => self
                    .src
                    .get(a..b)
                    .and_then(sqlcommenter::parse_tags)
                    .unwrap_or_default(),
                _ => Vec::new(),
            };
            let start = self.stmt_start.unwrap_or(self.stmt_begin);
            keep_going = sink(Finished {
                text: &self.out,
                literals: std::mem::take(&mut self.literals),
                truncated,
                tags,
                span: start..self.last_end.max(start),
            });
            self.emitted += 1;
        }
        self.reset();
        keep_going
    }

    fn reset(&mut self) {
        self.out.clear();
        self.frames.clear();
        self.frames.push(Frame::root());
        self.untracked = 0;
        self.literals.clear();
        self.prev = Cat::Start;
        self.prev_flags = 0;
        self.prev_id = KwId::Other;
        self.prev2_id = KwId::Other;
        self.had_ws = false;
        self.rel_pending = false;
        self.kind = Kind::Other;
        self.name_next = false;
        self.unterminated = false;
        self.trailing_comment = None;
        self.stmt_begin = self.pos;
        self.stmt_start = None;
        self.last_end = self.pos;
    }
}

/// Rule 15: removes the `...` (three dots or more) or `…` that a statement's canonical text
/// ends with (comments are already gone, so `-- and so on...` does not count), and, once the
/// statement is known to be cut (`cut`, or such a marker was found), any dot and space left at
/// the end: a cut right after `t.` would otherwise merge with the ` ...` written after it.
/// Returns whether the statement is truncated.
fn strip_cut_tail(out: &mut Vec<u8>, mut cut: bool) -> bool {
    loop {
        let before = out.len();
        let dots = out.iter().rev().take_while(|&&b| b == b'.').count();
        if dots >= 3 {
            out.truncate(out.len() - dots);
            cut = true;
        } else if out.ends_with("…".as_bytes()) {
            out.truncate(out.len() - "…".len());
            cut = true;
        }
        if cut {
            while matches!(out.last(), Some(b'.' | b' ')) {
                out.pop();
            }
        }
        if out.len() == before {
            return cut;
        }
    }
}

/// Length of the operator at the start of `s`: the multi-byte operators of PostgreSQL and
/// MySQL (longest match), anything else one byte.
fn op_len(s: &[u8]) -> usize {
    let at = |k: usize| s.get(k).copied().unwrap_or(0);
    let (a, b, c) = (at(0), at(1), at(2));
    let three = matches!(
        (a, b, c),
        (b'<', b'=', b'>')
            | (b'-', b'>', b'>')
            | (b'#', b'>', b'>')
            | (b'!', b'~', b'*' | b'~')
            | (b'~', b'~', b'*')
            | (b'<', b'<', b'=')
            | (b'>', b'>', b'=')
            | (b'|', b'|', b'/')
            | (b'-', b'|', b'-')
            | (b'@', b'-', b'@')
    );
    if three {
        return 3;
    }
    let two = matches!(
        (a, b),
        (b'<', b'=' | b'>' | b'@' | b'<' | b'^')
            | (b'>', b'=' | b'>' | b'^')
            | (b'!', b'=' | b'~' | b'!')
            | (b'|', b'|' | b'/')
            | (b'&', b'&' | b'<' | b'>')
            | (b':', b'=')
            | (b'=', b'>')
            | (b'-', b'>')
            | (b'#', b'>' | b'-')
            | (b'@', b'>' | b'@')
            | (b'~', b'*' | b'~')
            | (b'^', b'@')
            | (b'?', b'|')
    );
    if two {
        2
    } else {
        1
    }
}

/// If the list element written at `out[start..]` is `?` (or `?+`) with at most a simple cast
/// (`::type`, `::timestamp with time zone`, `::int[]`), the output range of the cast (empty
/// when there is none); otherwise `None`.
fn elem_cast(out: &[u8], start: usize) -> Option<(usize, usize)> {
    let mut i = start;
    while out.get(i) == Some(&b' ') {
        i += 1;
    }
    if out.get(i) != Some(&b'?') {
        return None;
    }
    i += 1;
    if out.get(i) == Some(&b'+') {
        i += 1;
    }
    if i >= out.len() {
        return Some((out.len(), out.len()));
    }
    if out.get(i..i + 2) != Some(b"::") {
        return None;
    }
    let cast = out.get(i + 2..)?;
    let simple = |b: &u8| {
        b.is_ascii_lowercase()
            || b.is_ascii_digit()
            || matches!(
                b,
                b'_' | b'.' | b'[' | b']' | b' ' | b'"' | b'`' | b':' | b'{' | b'}'
            )
            || *b >= 0x80
    };
    if cast.is_empty() || !cast.iter().all(simple) {
        return None;
    }
    Some((i, out.len()))
}

fn same(out: &[u8], a: (usize, usize), b: (usize, usize)) -> bool {
    match (out.get(a.0..a.1), out.get(b.0..b.1)) {
        (Some(x), Some(y)) => x == y,
        _ => false,
    }
}

/// Rule 11: in `out[start..]`, every run of digits (joined by single `_`) holding two digits or
/// more becomes `{n}`: `orders_2024_01` -> `orders_{n}`, `events_p20240101` -> `events_p{n}`;
/// `shard_1` stays.
fn replace_digit_runs(out: &mut Vec<u8>, start: usize) {
    fn run(w: &[u8], i: usize) -> (usize, usize) {
        let (mut j, mut digits) = (i, 0);
        loop {
            while j < w.len() && w[j].is_ascii_digit() {
                j += 1;
                digits += 1;
            }
            if j + 1 < w.len() && w[j] == b'_' && w[j + 1].is_ascii_digit() {
                j += 1;
                continue;
            }
            return (j, digits);
        }
    }
    let word = out.get(start..).unwrap_or(&[]);
    let mut i = 0;
    let mut found = false;
    while i < word.len() {
        if word[i].is_ascii_digit() {
            let (end, digits) = run(word, i);
            if digits >= 2 {
                found = true;
                break;
            }
            i = end;
        } else {
            i += 1;
        }
    }
    if !found {
        return;
    }
    let word = out.split_off(start);
    let mut i = 0;
    while i < word.len() {
        if word[i].is_ascii_digit() {
            let (end, digits) = run(&word, i);
            if digits >= 2 {
                out.extend_from_slice(b"{n}");
            } else {
                out.extend_from_slice(&word[i..end]);
            }
            i = end;
        } else {
            out.push(word[i]);
            i += 1;
        }
    }
}

/// A quoted identifier keeps quotes in canonical text when, unquoted, it would read back as
/// something else: empty, not an identifier's characters, or a keyword (`"order"`, `"null"`).
/// `plain`: every byte is known to continue a name (skips a scan).
fn needs_quotes(name: &[u8], plain: bool) -> bool {
    let Some(&first) = name.first() else {
        return true;
    };
    if (!plain && scan::ident_end(name, 0) != name.len()) || keywords::lookup(name).is_some() {
        return true; // a byte that ends a name (a space, a quote, `…`), or a keyword
    }
    if first.is_ascii_digit() {
        // Reads back as a name only the way `Machine::number` allows: digits, then more name.
        let end = scan::number_end(name, 0);
        let digits_then_name = end < name.len() && name[..end].iter().all(u8::is_ascii_digit);
        return !digits_then_name;
    }
    !scan::is_ident_start(first)
}

fn requote(out: &mut Vec<u8>, start: usize, quote: u8) {
    let name = out.split_off(start);
    out.push(quote);
    for b in name {
        if b == quote {
            out.push(quote);
        }
        out.push(b);
    }
    out.push(quote);
}
