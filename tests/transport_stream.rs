//! Stream framing under arbitrary cuts: however the bytes of a connection are split into
//! reads, the receiver yields the same messages and pings (`transport::StreamReceiver`).

use std::time::Instant;

use bytes::Bytes;
use callshard::transport::{Popped, StreamBounds, StreamReceiver};
use proptest::prelude::*;

const MESSAGES: [&[u8]; 3] = [
    b"INVITE sip:bob@b SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\nContent-Length: 5\r\n\r\nhello",
    b"SIP/2.0 200 OK\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\nl: 0\r\n\r\n",
    b"BYE sip:bob@b SIP/2.0\nVia: SIP/2.0/TCP h;branch=z9hG4bK2\nContent-Length: 3\n\n\r\n\r",
];

/// Feeds `stream` cut at `cuts` and collects what comes out.
fn feed(stream: &[u8], cuts: &[usize]) -> Vec<Popped> {
    let (now, bounds) = (Instant::now(), StreamBounds::default());
    let mut r = StreamReceiver::new(now);
    let mut out = Vec::new();
    let mut at = 0;
    let mut points: Vec<usize> = cuts.iter().map(|c| c % (stream.len() + 1)).collect();
    points.sort_unstable();
    points.push(stream.len());
    for p in points {
        r.push(&stream[at..p], now, &bounds).unwrap();
        at = p;
        while let Some(popped) = r.pop(now, &bounds).unwrap() {
            out.push(popped);
        }
    }
    assert_eq!(r.buffered(), 0);
    out
}

proptest! {
    #[test]
    fn any_split_gives_the_same_messages(
        picks in proptest::collection::vec((0usize..3, any::<bool>()), 1..12),
        cuts in proptest::collection::vec(any::<usize>(), 0..40),
    ) {
        let mut stream = Vec::new();
        let mut expected = Vec::new();
        for (i, ping) in picks {
            stream.extend_from_slice(MESSAGES[i]);
            expected.push(Popped::Message(Bytes::from_static(MESSAGES[i])));
            if ping {
                stream.extend_from_slice(b"\r\n\r\n");
                expected.push(Popped::Ping);
            }
        }
        prop_assert_eq!(feed(&stream, &[]), expected.clone());
        prop_assert_eq!(feed(&stream, &cuts), expected);
    }
}
