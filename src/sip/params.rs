//! `;name[=value]` parameter lists, shared by URIs, Via and name-addr headers.

use super::lex::{is_token_byte, quoted_string_end, skip_lws, skip_token, split_outside_quotes, trim, trim_start};
use super::swar::find_any;

/// A parameter list as written, without its leading `;`. Lookups walk the text each time:
/// lists are short, and nothing is allocated.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Params<'a>(pub &'a [u8]);

impl<'a> Params<'a> {
    /// Each parameter as `(name, value)`; `value` is `None` for a flag such as `;lr`.
    pub fn iter(&self) -> ParamIter<'a> {
        ParamIter(self.0)
    }

    /// The parameter with this name (case-insensitive, RFC 3261 7.3.1): `Some(None)` when it
    /// is present without a value.
    pub fn get(&self, name: &[u8]) -> Option<Option<&'a [u8]>> {
        // The usual case first: the list starts with `name=` (a Via's branch, a tag) and the
        // value holds no quote or bracket, so it runs to the first `;`.
        if let Some((head, value)) = self.0.split_at_checked(name.len() + 1) {
            if head[name.len()] == b'=' && head[..name.len()].eq_ignore_ascii_case(name) {
                match find_any(value, [b';', b'"', b'<']) {
                    None => return Some(Some(trim(value))),
                    Some(end) if value[end] == b';' => return Some(Some(trim(&value[..end]))),
                    Some(_) => {}
                }
            }
        }
        // What `iter().find(..)` would give, without splitting items that do not start with
        // the name: an item is `name`, or `name` then optional white space and `=value`.
        let mut rest = self.0;
        while !rest.is_empty() {
            let (item, next) = split_outside_quotes(rest, b';');
            let item = trim(item);
            if let Some(after) =
                item.get(..name.len()).filter(|n| n.eq_ignore_ascii_case(name)).map(|_| &item[name.len()..])
            {
                match trim_start(after) {
                    [] if !item.is_empty() => return Some(None),
                    [b'=', value @ ..] => return Some(Some(trim(value))),
                    _ => {}
                }
            }
            rest = next.unwrap_or(b"");
        }
        None
    }

    /// The value of a parameter that has one.
    pub fn value(&self, name: &[u8]) -> Option<&'a [u8]> {
        self.get(name).flatten()
    }

    pub fn contains(&self, name: &[u8]) -> bool {
        self.get(name).is_some()
    }

    pub fn as_bytes(&self) -> &'a [u8] {
        self.0
    }

    /// Checks every name is a token and every value a token, host or quoted string;
    /// `allow` lists extra bytes a value may hold (URIs allow `[]/:&+$`).
    pub fn is_well_formed(&self, allow: &[u8]) -> bool {
        self.read(allow, b"").is_some()
    }

    /// One pass over the list, `name [= value]` items separated by `;` with white space
    /// allowed around both: `None` when it is not well formed (see [`Params::is_well_formed`]),
    /// else the value of the parameter named `wanted`, as [`Params::value`] gives it (so a
    /// transaction key or a dialog tag costs no second walk).
    pub(super) fn read(&self, allow: &[u8], wanted: &[u8]) -> Option<Option<&'a [u8]>> {
        let (s, mut i) = (self.0, 0);
        let (mut found, mut value_of_wanted) = (wanted.is_empty(), None);
        while !s.is_empty() {
            i = skip_lws(s, i);
            let name = i;
            i = skip_token(s, i);
            if i == name {
                return None;
            }
            // `wanted` is a lower-case name; OR-ing 0x20 folds the case of a token's letters
            // and turns no other token byte into a letter.
            let matches =
                !found && i - name == wanted.len() && s[name..i].iter().zip(wanted).all(|(a, b)| a | 0x20 == *b);
            found |= matches;
            i = skip_lws(s, i);
            if s.get(i) == Some(&b'=') {
                i = skip_lws(s, i + 1);
                let value = i;
                match s.get(i) {
                    Some(b'"') => i += quoted_string_end(&s[i..]).unwrap_or(0),
                    _ => {
                        while i < s.len() && (is_token_byte(s[i]) || allow.contains(&s[i])) {
                            i += 1;
                        }
                    }
                }
                if i == value {
                    return None;
                }
                if matches {
                    value_of_wanted = Some(&s[value..i]);
                }
                i = skip_lws(s, i);
            }
            match s.get(i) {
                None => break,
                Some(b';') => i += 1,
                Some(_) => return None,
            }
        }
        Some(value_of_wanted)
    }
}

/// Iterator returned by [`Params::iter`].
pub struct ParamIter<'a>(&'a [u8]);

impl<'a> Iterator for ParamIter<'a> {
    type Item = (&'a [u8], Option<&'a [u8]>);

    fn next(&mut self) -> Option<Self::Item> {
        while !self.0.is_empty() {
            let (item, rest) = split_outside_quotes(self.0, b';');
            self.0 = rest.unwrap_or(b"");
            let item = trim(item);
            if item.is_empty() {
                continue;
            }
            return Some(match memchr::memchr(b'=', item) {
                Some(eq) => (trim(&item[..eq]), Some(trim(&item[eq + 1..]))),
                None => (item, None),
            });
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::Params;

    #[test]
    fn looks_up_case_insensitively() {
        let p = Params(b"branch=z9hG4bK77 ; RPORT;received=192.0.2.1;x=\"a;b\"");
        assert_eq!(p.value(b"Branch"), Some(&b"z9hG4bK77"[..]));
        assert_eq!(p.get(b"rport"), Some(None));
        assert_eq!(p.value(b"received"), Some(&b"192.0.2.1"[..]));
        assert_eq!(p.value(b"x"), Some(&b"\"a;b\""[..]));
        assert_eq!(p.get(b"maddr"), None);
        assert_eq!(p.iter().count(), 4);
        assert!(p.is_well_formed(b""));
        assert!(!Params(b"a=b c").is_well_formed(b""));
        assert!(!Params(b"a;;b").is_well_formed(b""));
        assert!(!Params(b"a;").is_well_formed(b""));
    }
}
