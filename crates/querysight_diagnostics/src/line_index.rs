//! Byte offset to line and column conversion.

/// The byte offsets at which the lines of a text start, for turning byte offsets into 1-based
/// lines and 1-based columns counted in chars (Unicode scalar values).
///
/// Line terminators are `\n`, `\r\n` and a lone `\r`, as in Python's universal newlines (and
/// Ruff's line index). A text that ends with a terminator has an empty last line after it; an
/// empty text has one (empty) line.
///
/// The index does not keep the text: pass the same text it was built from to
/// [`LineIndex::line_col`]. Given another text it still never panics, but the result is
/// meaningless.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineIndex {
    /// Byte offset of the first byte of each line; the first is always 0. Sorted, strictly
    /// increasing.
    line_starts: Vec<usize>,
    /// Length of the text in bytes.
    len: usize,
}

impl LineIndex {
    /// Indexes the line starts of `text`.
    pub fn new(text: &str) -> Self {
        let bytes = text.as_bytes();
        let mut line_starts = vec![0];
        for (i, &b) in bytes.iter().enumerate() {
            match b {
                b'\n' => line_starts.push(i + 1),
                b'\r' if bytes.get(i + 1) != Some(&b'\n') => line_starts.push(i + 1),
                _ => {}
            }
        }
        LineIndex {
            line_starts,
            len: text.len(),
        }
    }

    /// Number of lines, at least 1. A trailing line terminator starts one more (empty) line.
    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// Length in bytes of the text the index was built from.
    pub fn text_len(&self) -> usize {
        self.len
    }

    /// 1-based line of the byte `byte_offset`: the line whose start is the greatest one at or
    /// before it. Offsets past the end are clamped to the end of the text.
    pub fn line_of(&self, byte_offset: usize) -> u32 {
        let offset = byte_offset.min(self.len);
        // `partition_point` counts the line starts at or before `offset`; line_starts[0] is 0,
        // so the count is at least 1 and is the 1-based line number.
        let line = self.line_starts.partition_point(|&start| start <= offset);
        u32::try_from(line).unwrap_or(u32::MAX)
    }

    /// 1-based line and 1-based column of the byte `byte_offset` in `text`, the column counted in
    /// chars (Unicode scalar values) from the start of the line.
    ///
    /// An offset past the end of `text` is clamped to its end (the position just after the last
    /// char); an offset inside a multi-byte char is moved back to the start of that char. Never
    /// panics.
    pub fn line_col(&self, text: &str, byte_offset: usize) -> (u32, u32) {
        let offset = floor_char_boundary(text, byte_offset.min(text.len()));
        let line = self.line_of(offset);
        let start = self.line_start(line).min(offset);
        let chars = match text.get(start..offset) {
            Some(prefix) => prefix.chars().count(),
            // Only when `text` is not the text the index was built from.
            None => offset - start,
        };
        let column = u32::try_from(chars.saturating_add(1)).unwrap_or(u32::MAX);
        (line, column)
    }

    /// Byte offset at which the 1-based `line` starts. Line 0 is taken as line 1; a line past the
    /// last returns the length of the text in bytes.
    pub fn line_start(&self, line: u32) -> usize {
        let index = usize::try_from(line.max(1) - 1).unwrap_or(usize::MAX);
        self.line_starts.get(index).copied().unwrap_or(self.len)
    }

    /// Byte offset just past the end of the 1-based `line`, including its terminator (that is,
    /// where the next line starts, or the length of the text for the last line). Line 0 is taken
    /// as line 1; a line past the last returns the length of the text.
    pub fn line_end(&self, line: u32) -> usize {
        self.line_start(line.max(1).saturating_add(1))
    }
}

/// The greatest char boundary of `text` at or before `offset` (clamped to `text.len()`).
pub(crate) fn floor_char_boundary(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_text() {
        let index = LineIndex::new("");
        assert_eq!(index.line_count(), 1);
        assert_eq!(index.line_col("", 0), (1, 1));
        assert_eq!(index.line_col("", 10), (1, 1));
        assert_eq!(index.line_start(1), 0);
        assert_eq!(index.line_start(0), 0);
        assert_eq!(index.line_start(2), 0);
        assert_eq!(index.line_end(1), 0);
    }

    #[test]
    fn ascii_lines() {
        let text = "ab\ncd\n";
        let index = LineIndex::new(text);
        assert_eq!(index.line_count(), 3);
        assert_eq!(index.line_col(text, 0), (1, 1));
        assert_eq!(index.line_col(text, 1), (1, 2));
        assert_eq!(index.line_col(text, 2), (1, 3)); // the '\n'
        assert_eq!(index.line_col(text, 3), (2, 1));
        assert_eq!(index.line_col(text, 5), (2, 3));
        assert_eq!(index.line_col(text, 6), (3, 1)); // end of text
        assert_eq!(index.line_col(text, 1000), (3, 1)); // clamped
        assert_eq!(index.line_start(2), 3);
        assert_eq!(index.line_start(3), 6);
        assert_eq!(index.line_start(4), 6);
        assert_eq!(index.line_end(1), 3);
        assert_eq!(index.line_end(3), 6);
    }

    #[test]
    fn no_trailing_newline() {
        let text = "x = 1\ny";
        let index = LineIndex::new(text);
        assert_eq!(index.line_count(), 2);
        assert_eq!(index.line_col(text, 6), (2, 1));
        assert_eq!(index.line_col(text, 7), (2, 2));
    }

    #[test]
    fn crlf() {
        let text = "a\r\nbc\r\nd";
        let index = LineIndex::new(text);
        assert_eq!(index.line_count(), 3);
        assert_eq!(index.line_start(2), 3);
        assert_eq!(index.line_start(3), 7);
        assert_eq!(index.line_col(text, 1), (1, 2)); // the '\r'
        assert_eq!(index.line_col(text, 2), (1, 3)); // the '\n'
        assert_eq!(index.line_col(text, 3), (2, 1));
        assert_eq!(index.line_col(text, 4), (2, 2));
        assert_eq!(index.line_col(text, 7), (3, 1));
        assert_eq!(index.line_col(text, 8), (3, 2));
    }

    #[test]
    fn lone_carriage_return() {
        let text = "a\rb\n\rc";
        let index = LineIndex::new(text);
        assert_eq!(index.line_count(), 4);
        assert_eq!(index.line_col(text, 2), (2, 1));
        assert_eq!(index.line_col(text, 4), (3, 1));
        assert_eq!(index.line_col(text, 5), (4, 1));
    }

    #[test]
    fn non_ascii_columns_count_chars() {
        // 'é' is 2 bytes, '€' is 3 bytes, '😀' is 4 bytes.
        let text = "é€😀x\nß";
        let index = LineIndex::new(text);
        assert_eq!(index.line_col(text, 0), (1, 1));
        assert_eq!(index.line_col(text, 2), (1, 2));
        assert_eq!(index.line_col(text, 5), (1, 3));
        assert_eq!(index.line_col(text, 9), (1, 4));
        assert_eq!(index.line_col(text, 10), (1, 5));
        assert_eq!(index.line_col(text, 11), (2, 1));
        assert_eq!(index.line_col(text, 13), (2, 2));
    }

    #[test]
    fn offsets_inside_a_char_move_back() {
        let text = "a€b";
        let index = LineIndex::new(text);
        assert_eq!(index.line_col(text, 1), (1, 2));
        assert_eq!(index.line_col(text, 2), (1, 2));
        assert_eq!(index.line_col(text, 3), (1, 2));
        assert_eq!(index.line_col(text, 4), (1, 3));
    }

    #[test]
    fn every_offset_of_odd_texts_is_safe() {
        let texts = ["", "\n", "\r", "\r\n", "é\r\nü\n", "\n\n😀", "a\rb\r\n"];
        for text in texts {
            let index = LineIndex::new(text);
            for offset in 0..text.len() + 3 {
                let (line, column) = index.line_col(text, offset);
                assert!(line >= 1 && line as usize <= index.line_count());
                assert!(column >= 1);
            }
            for line in 0..index.line_count() as u32 + 2 {
                assert!(index.line_start(line) <= text.len());
                assert!(index.line_start(line) <= index.line_end(line));
            }
        }
    }

    #[test]
    fn mismatched_text_does_not_panic() {
        let index = LineIndex::new("aaaa\nbbbb\ncccc");
        assert_eq!(index.line_col("é", 2), (1, 2));
        let (line, _) = index.line_col("ééééééééé", 12);
        assert_eq!(line, 3);
    }
}
