//! Splits a template into text, `{{ }}`, `{% %}` and `{# #}` tokens.
//!
//! Follows Django's `Lexer` (`django/template/base.py`): a tag starts at `{{`, `{%` or `{#` and
//! ends at the first matching `}}`, `%}` or `#}` on the same line; an opener without a closer
//! on its line is text. Inside `{% verbatim %}` (or `{% verbatim name %}`) everything up to the
//! block tag whose content is exactly `endverbatim` (`endverbatim name`) is text.
//!
//! Linear time: openers are found with `memchr`, and the position of the next closer of each
//! kind and of the next newline are cached, so no byte is searched twice for the same thing.

use memchr::memmem;

use crate::diagnostics::{DiagnosticKind, Diags, FileId, Span};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TokenKind {
    Text,
    Var,
    Block,
    Comment,
}

/// A token: `start..end` is the whole token (delimiters included); `content` is the trimmed
/// inside of a tag (for text, the same as the whole token).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Token {
    pub(crate) kind: TokenKind,
    pub(crate) start: usize,
    pub(crate) end: usize,
    pub(crate) content_start: usize,
    pub(crate) content_end: usize,
    pub(crate) line: u32,
    pub(crate) column: u32,
}

/// Caches "the next occurrence at or after `from`" for one needle.
struct NextFinder<'n> {
    finder: memmem::Finder<'n>,
    /// `Some(Some(p))`: next occurrence at `p`; `Some(None)`: no more occurrences.
    cached: Option<Option<usize>>,
}

impl<'n> NextFinder<'n> {
    fn new(needle: &'n [u8]) -> Self {
        Self {
            finder: memmem::Finder::new(needle),
            cached: None,
        }
    }

    fn next(&mut self, hay: &[u8], from: usize) -> Option<usize> {
        match self.cached {
            Some(None) => return None,
            Some(Some(p)) if p >= from => return Some(p),
            _ => {}
        }
        let found = self.finder.find(&hay[from..]).map(|p| p + from);
        self.cached = Some(found);
        found
    }
}

/// Tracks line and column of increasing byte offsets in linear total time.
pub(crate) struct LineTracker<'a> {
    bytes: &'a [u8],
    pos: usize,
    line: u32,
    column: u32,
}

impl<'a> LineTracker<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Self {
            bytes,
            pos: 0,
            line: 1,
            column: 1,
        }
    }

    /// Line and column of `offset`, which must not be before the previous call's offset.
    pub(crate) fn advance(&mut self, offset: usize) -> (u32, u32) {
        let offset = offset.min(self.bytes.len());
        if offset > self.pos {
            let chunk = &self.bytes[self.pos..offset];
            let mut from = 0;
            if let Some(last_nl) = memchr::memrchr(b'\n', chunk) {
                let lines = memchr::memchr_iter(b'\n', chunk).count();
                self.line = self.line.saturating_add(lines as u32);
                self.column = 1;
                from = last_nl + 1;
            }
            self.column = self
                .column
                .saturating_add(count_chars(&chunk[from..]) as u32);
            self.pos = offset;
        }
        (self.line, self.column)
    }
}

/// Number of chars in UTF-8 bytes (bytes that do not continue a char).
pub(crate) fn count_chars(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| (b & 0xC0) != 0x80).count()
}

fn trim_range(src: &str, start: usize, end: usize) -> (usize, usize) {
    let inner = &src[start..end];
    let trimmed_start = inner.trim_start();
    let s = start + (inner.len() - trimmed_start.len());
    let e = s + trimmed_start.trim_end().len();
    (s, e)
}

/// Splits `src` into tokens. Reports `{{`/`{%` left open on their line as
/// [`DiagnosticKind::Unterminated`] (Django silently renders them as text).
pub(crate) fn tokenize(src: &str, file: FileId, diags: &mut Diags) -> Vec<Token> {
    let bytes = src.as_bytes();
    let mut tokens = Vec::new();
    let mut lines = LineTracker::new(bytes);
    let mut var_close = NextFinder::new(b"}}");
    let mut block_close = NextFinder::new(b"%}");
    let mut comment_close = NextFinder::new(b"#}");
    let mut newline_cache: Option<Option<usize>> = None;
    // `Some(end)` while inside `{% verbatim %}`: the content that ends it.
    let mut verbatim: Option<String> = None;
    let mut text_start = 0;
    let mut pos = 0;

    while let Some(found) = memchr::memchr(b'{', &bytes[pos..]) {
        let open = pos + found;
        let kind = match bytes.get(open + 1) {
            Some(b'{') => TokenKind::Var,
            Some(b'%') => TokenKind::Block,
            Some(b'#') => TokenKind::Comment,
            _ => {
                pos = open + 1;
                continue;
            }
        };
        let inner = open + 2;
        let newline = match newline_cache {
            Some(Some(p)) if p >= inner => Some(p),
            Some(None) => None,
            _ => {
                let n = memchr::memchr(b'\n', &bytes[inner..]).map(|p| p + inner);
                newline_cache = Some(n);
                n
            }
        };
        let close = match kind {
            TokenKind::Var => var_close.next(bytes, inner),
            TokenKind::Block => block_close.next(bytes, inner),
            _ => comment_close.next(bytes, inner),
        };
        let close = close.filter(|&c| newline.is_none_or(|n| c < n));
        let Some(close) = close else {
            if verbatim.is_none() && kind != TokenKind::Comment {
                let (line, column) = lines.advance(open);
                let what = if kind == TokenKind::Var { "{{" } else { "{%" };
                let closer = if kind == TokenKind::Var { "}}" } else { "%}" };
                diags.push(
                    DiagnosticKind::Unterminated,
                    format!("`{what}` is not closed by `{closer}` on the same line; Django renders it as text"),
                    Span {
                        offset: open as u32,
                        len: 2,
                        line,
                        column,
                        file,
                    },
                );
            }
            pos = open + 1;
            continue;
        };
        let end = close + 2;
        let (content_start, content_end) = trim_range(src, inner, close);
        if let Some(end_tag) = &verbatim {
            if kind == TokenKind::Block && &src[content_start..content_end] == end_tag.as_str() {
                verbatim = None;
            } else {
                // Still verbatim text: keep the text run going.
                pos = end;
                continue;
            }
        } else if kind == TokenKind::Block {
            let content = &src[content_start..content_end];
            if content == "verbatim" || content.starts_with("verbatim ") {
                verbatim = Some(format!("end{content}"));
            }
        }
        if text_start < open {
            let (line, column) = lines.advance(text_start);
            tokens.push(Token {
                kind: TokenKind::Text,
                start: text_start,
                end: open,
                content_start: text_start,
                content_end: open,
                line,
                column,
            });
        }
        let (line, column) = lines.advance(open);
        tokens.push(Token {
            kind,
            start: open,
            end,
            content_start,
            content_end,
            line,
            column,
        });
        pos = end;
        text_start = end;
    }
    if text_start < bytes.len() {
        let (line, column) = lines.advance(text_start);
        tokens.push(Token {
            kind: TokenKind::Text,
            start: text_start,
            end: bytes.len(),
            content_start: text_start,
            content_end: bytes.len(),
            line,
            column,
        });
    }
    tokens
}
