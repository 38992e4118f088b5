//! What validation parsed, kept for the accessors. The transaction and dialog layers read
//! the top Via, From, To and CSeq of every message, often several times; validation has
//! parsed each of them already, so the message keeps the results as spans (it owns its
//! buffer, so it cannot hold borrowed views of it) and the accessors rebuild the views.

use std::net::{Ipv4Addr, Ipv6Addr};

use super::cseq::CSeq;
use super::host::Host;
use super::method::Method;
use super::name_addr::NameAddr;
use super::params::Params;
use super::span::Span;
use super::via::Via;

/// The parsed headers, each present once validation has read it without error.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Cache {
    pub via: Option<ViaSpans>,
    pub from: Option<AddrSpans>,
    pub to: Option<AddrSpans>,
    pub cseq: Option<CSeqSpans>,
    /// The Call-ID was checked and is well formed.
    pub call_id: bool,
}

/// The span of `sub` in `buf`. An empty view may be a static `b""` rather than a sub-slice
/// of `buf`; any empty span reads back as empty.
fn span(buf: &[u8], sub: &[u8]) -> Span {
    if sub.is_empty() {
        Span::default()
    } else {
        Span::within(buf, sub)
    }
}

/// A [`Host`] with its name as a span.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum HostSpan {
    Name(Span),
    Ipv4(Ipv4Addr),
    Ipv6(Ipv6Addr),
}

/// A [`Via`] as spans.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ViaSpans {
    version: Span,
    transport: Span,
    sent_by: Span,
    host: HostSpan,
    port: Option<u16>,
    params: Span,
    branch: Option<Span>,
}

/// A [`NameAddr`] as spans.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AddrSpans {
    display: Option<Span>,
    uri: Span,
    params: Span,
    tag: Option<Span>,
}

/// A [`CSeq`] with its method's spelling as a span.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CSeqSpans {
    seq: u32,
    method: Method,
    method_bytes: Span,
}

impl ViaSpans {
    /// `via` must borrow from `buf`.
    pub fn of(buf: &[u8], via: &Via<'_>) -> ViaSpans {
        let host = match via.host {
            Host::Name(name) => HostSpan::Name(span(buf, name)),
            Host::Ipv4(a) => HostSpan::Ipv4(a),
            Host::Ipv6(a) => HostSpan::Ipv6(a),
        };
        ViaSpans {
            version: span(buf, via.version),
            transport: span(buf, via.transport),
            sent_by: span(buf, via.sent_by),
            host,
            port: via.port,
            params: span(buf, via.params.as_bytes()),
            branch: via.branch.map(|b| span(buf, b)),
        }
    }

    pub fn view<'a>(&self, buf: &'a [u8]) -> Via<'a> {
        let host = match self.host {
            HostSpan::Name(name) => Host::Name(name.of(buf)),
            HostSpan::Ipv4(a) => Host::Ipv4(a),
            HostSpan::Ipv6(a) => Host::Ipv6(a),
        };
        Via {
            version: self.version.of(buf),
            transport: self.transport.of(buf),
            sent_by: self.sent_by.of(buf),
            host,
            port: self.port,
            params: Params(self.params.of(buf)),
            branch: self.branch.map(|b| b.of(buf)),
        }
    }
}

impl AddrSpans {
    /// `addr` must borrow from `buf`.
    pub fn of(buf: &[u8], addr: &NameAddr<'_>) -> AddrSpans {
        AddrSpans {
            display: addr.display.map(|d| span(buf, d)),
            uri: span(buf, addr.uri),
            params: span(buf, addr.params.as_bytes()),
            tag: addr.tag.map(|t| span(buf, t)),
        }
    }

    pub fn view<'a>(&self, buf: &'a [u8]) -> NameAddr<'a> {
        NameAddr {
            display: self.display.map(|d| d.of(buf)),
            uri: self.uri.of(buf),
            params: Params(self.params.of(buf)),
            tag: self.tag.map(|t| t.of(buf)),
        }
    }
}

impl CSeqSpans {
    /// `cseq` must borrow from `buf`.
    pub fn of(buf: &[u8], cseq: &CSeq<'_>) -> CSeqSpans {
        CSeqSpans { seq: cseq.seq, method: cseq.method, method_bytes: span(buf, cseq.method_bytes) }
    }

    pub fn view<'a>(&self, buf: &'a [u8]) -> CSeq<'a> {
        CSeq { seq: self.seq, method: self.method, method_bytes: self.method_bytes.of(buf) }
    }
}
