//! RFC 7339 overload control, as it is written in the Via. A client that can hold back new
//! calls says so with a bare `oc` (and `oc-algo="loss"`) on its top Via; a server that wants
//! fewer answers on the same Via of its responses with `oc=` (the percentage of new calls
//! the client should not send), `oc-validity` (for how many milliseconds that holds) and
//! `oc-seq` (a time stamp, so that a late response cannot undo a newer word).
//!
//! Why this exists next to the 503: a server that refuses each excess INVITE still reads
//! the INVITE, writes the 503 and reads its ACK, three of a call's seven datagrams. At three
//! times its capacity that work alone leaves room for about half the calls it could carry.
//! A client that holds the excess back sends none of it. Only the loss algorithm (7339 5.10)
//! is spoken.

use bytes::{BufMut, BytesMut};

use super::lex::parse_decimal;
use super::params::Params;
use super::write::put_decimal;

/// What a client adds to the top Via of a new INVITE: it can hold calls back, by share.
pub const CLIENT_SUPPORT: &[u8] = b";oc;oc-algo=\"loss\"";

/// How long a word holds when the server gives no `oc-validity`.
pub const DEFAULT_VALIDITY_MS: u32 = 500;

/// Whether a request's top Via parameters ask for overload control with the loss algorithm
/// (`oc` present; an `oc-algo` list, when there is one, names `loss`).
pub fn asks_for_control(params: &Params<'_>) -> bool {
    params.contains(b"oc") && params.value(b"oc-algo").is_none_or(|list| names_loss(list, true))
}

/// Whether an `oc-algo` value (quoted or not) names `loss`: as one of a list when a client
/// offers, alone when a server chose.
fn names_loss(value: &[u8], list: bool) -> bool {
    let v = value.trim_ascii();
    let v = v.strip_prefix(b"\"").and_then(|v| v.strip_suffix(b"\"")).unwrap_or(v);
    let is_loss = |a: &[u8]| a.trim_ascii().eq_ignore_ascii_case(b"loss");
    match list {
        true => v.split(|&b| b == b',').any(is_loss),
        false => is_loss(v),
    }
}

/// A server's word to its clients.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Advice {
    /// Percentage (0-100) of new calls the client should not send.
    pub reduce_pct: u8,
    /// Milliseconds the word holds; 0 ends it at once.
    pub validity_ms: u32,
    /// The server's time when it decided, in milliseconds since the Unix epoch: a client
    /// keeps the newest word it heard.
    pub seq_ms: u64,
}

impl Advice {
    /// Appends the advice as Via parameters (`;oc=..;oc-algo="loss";oc-validity=..;oc-seq=..`).
    pub fn write(&self, out: &mut BytesMut) {
        out.put_slice(b";oc=");
        put_decimal(out, self.reduce_pct.into());
        out.put_slice(b";oc-algo=\"loss\";oc-validity=");
        put_decimal(out, self.validity_ms.into());
        out.put_slice(b";oc-seq=");
        put_decimal(out, self.seq_ms / 1000);
        let ms = self.seq_ms % 1000;
        out.put_slice(&[b'.', b'0' + (ms / 100) as u8, b'0' + (ms / 10 % 10) as u8, b'0' + (ms % 10) as u8]);
    }

    /// The advice on a response's top Via, if it carries a valid one for the loss algorithm.
    pub fn read(params: &Params<'_>) -> Option<Advice> {
        let reduce_pct = decimal(params.value(b"oc")?).filter(|&p| p <= 100)? as u8;
        if params.value(b"oc-algo").is_some_and(|a| !names_loss(a, false)) {
            return None;
        }
        let validity_ms = match params.value(b"oc-validity") {
            Some(v) => decimal(v)?.min(u64::from(u32::MAX)) as u32,
            None => DEFAULT_VALIDITY_MS,
        };
        let seq_ms = params.value(b"oc-seq").map_or(Some(0), seq_millis)?;
        Some(Advice { reduce_pct, validity_ms, seq_ms })
    }
}

/// A decimal of at most 12 digits.
fn decimal(text: &[u8]) -> Option<u64> {
    let text = text.trim_ascii();
    (text.len() <= 12).then(|| parse_decimal(text, u64::MAX)).flatten()
}

/// `1282321615.781` as milliseconds: seconds, and up to three digits of a fraction.
fn seq_millis(text: &[u8]) -> Option<u64> {
    let (secs, frac) = match memchr::memchr(b'.', text) {
        Some(dot) => (&text[..dot], &text[dot + 1..]),
        None => (text, &b""[..]),
    };
    let mut ms = 0;
    for i in 0..3 {
        let digit = match frac.get(i) {
            Some(d) if d.is_ascii_digit() => u64::from(d - b'0'),
            Some(_) => return None,
            None => 0,
        };
        ms = ms * 10 + digit;
    }
    Some(decimal(secs)? * 1000 + ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advice_written_is_advice_read() {
        let advice = Advice { reduce_pct: 67, validity_ms: 500, seq_ms: 1_282_321_615_081 };
        let mut out = BytesMut::new();
        advice.write(&mut out);
        assert_eq!(&out[..], b";oc=67;oc-algo=\"loss\";oc-validity=500;oc-seq=1282321615.081");
        assert_eq!(Advice::read(&Params(&out[1..])), Some(advice));
    }

    #[test]
    fn the_rfc_example_reads_and_bad_words_do_not() {
        let rfc = b"branch=z9hG4bK87a7;received=192.0.2.4;oc=0;oc-algo=\"loss\";oc-validity=0;oc-seq=1282321615.781";
        let want = Advice { reduce_pct: 0, validity_ms: 0, seq_ms: 1_282_321_615_781 };
        assert_eq!(Advice::read(&Params(rfc)), Some(want));
        let defaults = Advice::read(&Params(b"branch=z9hG4bK1;oc=20")).unwrap();
        assert_eq!((defaults.reduce_pct, defaults.validity_ms), (20, DEFAULT_VALIDITY_MS));
        for bad in [&b"oc=101"[..], b"oc=x", b"oc", b"oc=5;oc-algo=\"rate\"", b"oc=5;oc-seq=1.x", b"branch=z9hG4bK1"] {
            assert_eq!(Advice::read(&Params(bad)), None, "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn a_client_asks_with_a_bare_oc_naming_loss_or_no_algorithm() {
        assert!(asks_for_control(&Params(&CLIENT_SUPPORT[1..])));
        assert!(asks_for_control(&Params(b"branch=z9hG4bK1;oc")));
        assert!(asks_for_control(&Params(b"oc;oc-algo=\"rate,loss\"")));
        assert!(!asks_for_control(&Params(b"oc;oc-algo=\"rate\"")));
        assert!(!asks_for_control(&Params(b"branch=z9hG4bK1;rport")));
    }
}
