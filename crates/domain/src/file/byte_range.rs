//! `ByteRange`: an inclusive range of a stored file's bytes.

/// A byte range of a stored file, already checked against its size: `start..=end`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ByteRange {
    pub start: u64,
    pub end: u64,
}

impl ByteRange {
    /// How many bytes: never zero, since `end` is inclusive.
    pub fn length(&self) -> u64 {
        self.end - self.start + 1
    }
}
