//! Line splitting (RFC 4566 5): `<type>=<value>` lines ending in CRLF, or in a bare LF,
//! which the RFC asks parsers to accept.

/// The lines of a body, each with the offset of its first byte and without its line end.
/// Empty lines are skipped: many stacks end a body with an extra CRLF.
#[derive(Clone, Debug)]
pub(crate) struct RawLines<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> RawLines<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> RawLines<'a> {
        RawLines { buf, pos: 0 }
    }
}

impl<'a> Iterator for RawLines<'a> {
    type Item = (usize, &'a [u8]);

    fn next(&mut self) -> Option<(usize, &'a [u8])> {
        loop {
            let start = self.pos;
            let rest = self.buf.get(start..).filter(|r| !r.is_empty())?;
            let len = memchr::memchr(b'\n', rest).unwrap_or(rest.len());
            self.pos = start + len + 1;
            let line = &rest[..len];
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if !line.is_empty() {
                return Some((start, line));
            }
        }
    }
}

/// `(type, value)` of a `<type>=<value>` line; `None` when the line has no such shape.
pub(crate) fn split_line(line: &[u8]) -> Option<(u8, &[u8])> {
    match line {
        [kind, b'=', value @ ..] if kind.is_ascii_alphabetic() => Some((*kind, value)),
        _ => None,
    }
}

/// The space-separated fields of a value. RFC 4566 asks for single spaces; runs of spaces and
/// tabs, and a stray CR, are tolerated so that they never end up inside a field.
pub(crate) fn fields(value: &[u8]) -> impl Iterator<Item = &[u8]> {
    value.split(|&b| matches!(b, b' ' | b'\t' | b'\r')).filter(|f| !f.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crlf_bare_lf_blank_lines_and_missing_final_newline() {
        let body = b"v=0\r\no=x\n\r\n\ns=-";
        let lines: Vec<_> = RawLines::new(body).collect();
        assert_eq!(lines, vec![(0, &b"v=0"[..]), (5, b"o=x"), (12, b"s=-")]);
    }

    #[test]
    fn type_value_shape_and_fields() {
        assert_eq!(split_line(b"a=sendonly"), Some((b'a', &b"sendonly"[..])));
        assert_eq!(split_line(b"m="), Some((b'm', &b""[..])));
        assert_eq!(split_line(b"=x"), None);
        assert_eq!(split_line(b"1=x"), None);
        assert_eq!(split_line(b"a"), None);
        let f: Vec<_> = fields(b" audio  6000\tRTP/AVP 0 \r").collect();
        assert_eq!(f, vec![&b"audio"[..], b"6000", b"RTP/AVP", b"0"]);
    }
}
