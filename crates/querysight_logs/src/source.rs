//! Inputs (files, standard input, gzip) and their split into chunks of whole records.
//!
//! Memory is bounded by the chunk size times the chunks in flight, plus the longest record
//! (at most [`Limits::max_record`]); it does not grow with the input.

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::PathBuf;

use flate2::read::MultiGzDecoder;

use crate::readers::is_boundary;
use crate::Format;

/// One input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    /// Standard input (`-`).
    Stdin,
    /// A file; gzip is recognized by its magic bytes, whatever the name.
    Path(PathBuf),
}

impl Input {
    /// The name shown in reports (`-` for standard input).
    pub fn name(&self) -> String {
        match self {
            Input::Stdin => "-".to_string(),
            Input::Path(p) => p.display().to_string(),
        }
    }
}

/// Opening or reading an input failed.
#[derive(Debug, thiserror::Error)]
#[error("{name}: {source}")]
pub struct InputError {
    /// The input's name.
    pub name: String,
    /// The I/O error.
    #[source]
    pub source: io::Error,
}

/// Opens `input` for reading, decompressing gzip transparently (also concatenated members).
pub fn open(input: &Input) -> Result<Box<dyn Read + Send>, InputError> {
    let err = |source| InputError {
        name: input.name(),
        source,
    };
    let raw: Box<dyn Read + Send> = match input {
        Input::Stdin => Box::new(io::stdin()),
        Input::Path(p) => Box::new(File::open(p).map_err(err)?),
    };
    let mut reader = BufReader::with_capacity(1 << 20, raw);
    let head = io::BufRead::fill_buf(&mut reader).map_err(err)?;
    if head.starts_with(&[0x1f, 0x8b]) {
        Ok(Box::new(MultiGzDecoder::new(reader)))
    } else {
        Ok(Box::new(reader))
    }
}

/// Chunking limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Target chunk size in bytes (default 4 MiB).
    pub chunk: usize,
    /// A record longer than this is skipped (default 64 MiB).
    pub max_record: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            chunk: 4 << 20,
            max_record: 64 << 20,
        }
    }
}

/// A chunk of whole records.
#[derive(Debug)]
pub(crate) struct Chunk {
    pub data: Vec<u8>,
    /// 1-based line of the chunk's first line in its input.
    pub first_line: u64,
    /// Lines in the chunk (a last line without `\n` counts).
    pub lines: u64,
}

/// Splits a reader into chunks that start at record boundaries.
pub(crate) struct Chunker<R> {
    reader: R,
    format: Format,
    limits: Limits,
    carry: Vec<u8>,
    next_line: u64,
    eof: bool,
    /// Lines and start of an oversized record being discarded.
    oversized: Vec<(u64, u64)>,
    /// Buffers of consumed chunks, for reuse.
    spare: Vec<Vec<u8>>,
    pub bytes: u64,
}

impl<R: Read> Chunker<R> {
    pub fn new(reader: R, format: Format, limits: Limits) -> Self {
        Chunker {
            reader,
            format,
            limits,
            carry: Vec::new(),
            next_line: 1,
            eof: false,
            oversized: Vec::new(),
            spare: Vec::new(),
            bytes: 0,
        }
    }

    /// Records skipped because they were longer than the limit: `(line, bytes)`.
    pub fn take_oversized(&mut self) -> Vec<(u64, u64)> {
        std::mem::take(&mut self.oversized)
    }

    fn fill(&mut self, want: usize) -> io::Result<()> {
        while !self.eof && self.carry.len() < want {
            let start = self.carry.len();
            let grow = (want - start).max(64 << 10);
            self.carry.reserve(grow);
            // `read_to_end` fills spare capacity without zeroing it first.
            let n = (&mut self.reader)
                .take(grow as u64)
                .read_to_end(&mut self.carry)?;
            self.bytes += n as u64;
            if n == 0 {
                self.eof = true;
            }
        }
        Ok(())
    }

    /// Gives a consumed chunk's buffer back for reuse (fresh pages cost a kernel page clear).
    pub fn recycle(&mut self, mut buffer: Vec<u8>) {
        if self.spare.len() < 16 {
            buffer.clear();
            self.spare.push(buffer);
        }
    }

    /// The start of the last line of `buf` (after position 0) at which a record starts. The
    /// last, incomplete line is tested on what has been read of it (readers decide from a
    /// line's start), so that a huge record is not glued to the complete ones before it.
    fn last_boundary(&self, buf: &[u8]) -> Option<usize> {
        let mut end = buf.len();
        while let Some(nl) = memchr::memrchr(b'\n', &buf[..end]) {
            let line_start = nl + 1;
            let line = &buf[line_start..end];
            if is_boundary(self.format, strip_cr(line)) {
                return Some(line_start);
            }
            end = nl;
        }
        None
    }

    /// The next chunk, or `None` at the end of input.
    pub fn next_chunk(&mut self) -> io::Result<Option<Chunk>> {
        loop {
            let target = self.limits.chunk.max(1);
            self.fill(target)?;
            if self.carry.is_empty() {
                return Ok(None);
            }
            let split = if self.eof {
                Some(self.carry.len())
            } else {
                self.last_boundary(&self.carry)
            };
            if let Some(split) = split {
                let mut rest = self.spare.pop().unwrap_or_default();
                rest.extend_from_slice(&self.carry[split..]);
                self.carry.truncate(split);
                let data = std::mem::replace(&mut self.carry, rest);
                let first_line = self.next_line;
                let newlines = memchr::memchr_iter(b'\n', &data).count() as u64;
                self.next_line += newlines;
                let lines = newlines + u64::from(!data.ends_with(b"\n"));
                return Ok(Some(Chunk {
                    data,
                    first_line,
                    lines,
                }));
            }
            // No record starts after the first one: grow, up to the record limit.
            if self.carry.len() < self.limits.max_record {
                let want = (self.carry.len() * 2).min(self.limits.max_record);
                self.fill(want)?;
                if self.eof || self.carry.len() >= want {
                    continue;
                }
            }
            self.discard_oversized()?;
        }
    }

    /// Drops the record at the start of the buffer, which is longer than the limit, up to the
    /// next line where a record starts.
    fn discard_oversized(&mut self) -> io::Result<()> {
        let start_line = self.next_line;
        let mut dropped: u64 = 0;
        loop {
            // Keep the last (possibly incomplete) line; drop complete lines that do not start
            // a record.
            let mut pos = match memchr::memchr(b'\n', &self.carry) {
                Some(i) => i + 1,
                None => {
                    dropped += self.carry.len() as u64;
                    self.carry.clear();
                    if self.eof {
                        break;
                    }
                    self.fill(1 << 20)?;
                    continue;
                }
            };
            self.next_line += 1;
            let mut found = false;
            while let Some(nl) = memchr::memchr(b'\n', &self.carry[pos..]) {
                let line = &self.carry[pos..pos + nl];
                if is_boundary(self.format, strip_cr(line)) {
                    found = true;
                    break;
                }
                pos += nl + 1;
                self.next_line += 1;
            }
            if !found && self.eof && pos < self.carry.len() {
                // Last line without newline: part of the oversized record.
                pos = self.carry.len();
            }
            dropped += pos as u64;
            self.carry.drain(..pos);
            if found || self.eof {
                break;
            }
            self.fill(1 << 20)?;
        }
        self.oversized.push((start_line, dropped));
        Ok(())
    }
}

fn strip_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Reads up to `max` bytes from the start of `reader` for format detection, and gives them
/// back followed by the rest of the stream.
pub(crate) fn peek(
    mut reader: Box<dyn Read + Send>,
    max: usize,
) -> io::Result<(Vec<u8>, Box<dyn Read + Send>)> {
    let mut head = Vec::with_capacity(max);
    (&mut reader).take(max as u64).read_to_end(&mut head)?;
    let sample = head.clone();
    Ok((sample, Box::new(io::Cursor::new(head).chain(reader))))
}

/// Lines in `sample`'s complete lines only (for detection on a truncated sample).
pub(crate) fn complete_lines(sample: &[u8]) -> &[u8] {
    match memchr::memrchr(b'\n', sample) {
        Some(i) if i + 1 < sample.len() => &sample[..=i],
        _ => sample,
    }
}
