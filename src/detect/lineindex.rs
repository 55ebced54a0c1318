//! Byte offset → (line, column) for one buffer, built only when a buffer has matches.

pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(data: &[u8]) -> Self {
        let mut starts = vec![0];
        starts.extend(memchr::memchr_iter(b'\n', data).map(|i| i + 1));
        LineIndex { starts }
    }

    /// 1-based line and 1-based column (in characters) of `offset`.
    pub fn locate(&self, data: &[u8], offset: usize) -> (u32, u32) {
        let line = self.starts.partition_point(|&s| s <= offset);
        let start = self.starts[line - 1];
        let prefix = &data[start..offset.min(data.len())];
        let column = String::from_utf8_lossy(prefix).chars().count() + 1;
        (line as u32, column as u32)
    }

    /// The byte range of 1-based `line`, without its newline.
    pub fn line_range(&self, data: &[u8], line: u32) -> (usize, usize) {
        let start = self.starts[line as usize - 1];
        let end = self
            .starts
            .get(line as usize)
            .map_or(data.len(), |&next| next - 1);
        (start, end)
    }
}

#[cfg(test)]
mod tests {
    use super::LineIndex;

    #[test]
    fn locates_lines_and_columns() {
        let data = "ab\ncdé f\n\nx".as_bytes();
        let idx = LineIndex::new(data);
        assert_eq!(idx.locate(data, 0), (1, 1));
        assert_eq!(idx.locate(data, 3), (2, 1));
        let f = data.iter().position(|&b| b == b'f').unwrap();
        assert_eq!(idx.locate(data, f), (2, 5));
        assert_eq!(idx.locate(data, data.len() - 1), (4, 1));
        assert_eq!(idx.line_range(data, 2), (3, 9));
    }
}
