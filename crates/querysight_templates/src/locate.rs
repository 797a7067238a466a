//! Spans for positions inside one token.
//!
//! A tag never spans lines (the lexer ends it at the first closer on its line), so a position
//! inside it is on the token's line, and its column is the token's column plus the chars in
//! between. Positions are mostly asked for left to right, so a cursor makes that linear.

use std::cell::Cell;

use crate::diagnostics::{FileId, Span};
use crate::lexer::{count_chars, Token};

pub(crate) struct Locator<'a> {
    src: &'a str,
    file: FileId,
    start: usize,
    line: u32,
    column: u32,
    ascii: bool,
    /// Last position asked for and its column.
    cursor: Cell<(usize, u32)>,
}

impl<'a> Locator<'a> {
    pub(crate) fn new(src: &'a str, file: FileId, token: &Token) -> Self {
        Self {
            src,
            file,
            start: token.start,
            line: token.line,
            column: token.column,
            ascii: src.as_bytes()[token.start..token.end].is_ascii(),
            cursor: Cell::new((token.start, token.column)),
        }
    }

    fn column_of(&self, offset: usize) -> u32 {
        if self.ascii {
            return self.column + (offset - self.start) as u32;
        }
        let (mut pos, mut column) = self.cursor.get();
        if offset < pos {
            pos = self.start;
            column = self.column;
        }
        column += count_chars(&self.src.as_bytes()[pos..offset]) as u32;
        self.cursor.set((offset, column));
        column
    }

    /// The span of `start..end` (byte offsets into the source, inside this token).
    pub(crate) fn span(&self, start: usize, end: usize) -> Span {
        Span {
            offset: start as u32,
            len: end.saturating_sub(start) as u32,
            line: self.line,
            column: self.column_of(start.max(self.start)),
            file: self.file,
        }
    }
}
