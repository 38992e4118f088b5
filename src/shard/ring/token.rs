//! What a completion is about, packed into the 64-bit `user_data` of its SQE: a kind in the low
//! three bits and an index (or an 8-byte-aligned pointer, whose low bits are zero) above.

use super::super::io::Datagram;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Token {
    /// A multishot receive on socket `n`.
    Recv(u32),
    /// The send in slot `n`.
    Send(u32),
    /// A datagram another shard handed to us (its boxed `Datagram`).
    HandedIn(*mut Datagram),
    /// A hand-off of ours the kernel could not deliver (only failures post a completion).
    HandOffFailed(*mut Datagram),
    /// Anything else (cancellations at shutdown).
    Other,
}

const RECV: u64 = 1;
const SEND: u64 = 2;
const HANDED_IN: u64 = 3;
const HANDOFF_FAILED: u64 = 4;
const KIND: u64 = 0b111;

impl Token {
    pub fn encode(self) -> u64 {
        match self {
            Token::Recv(n) => (u64::from(n) << 3) | RECV,
            Token::Send(n) => (u64::from(n) << 3) | SEND,
            Token::HandedIn(p) => p as u64 | HANDED_IN,
            Token::HandOffFailed(p) => p as u64 | HANDOFF_FAILED,
            Token::Other => 0,
        }
    }

    pub fn decode(user_data: u64) -> Token {
        let rest = user_data & !KIND;
        match user_data & KIND {
            RECV => Token::Recv((rest >> 3) as u32),
            SEND => Token::Send((rest >> 3) as u32),
            HANDED_IN => Token::HandedIn(rest as *mut Datagram),
            HANDOFF_FAILED => Token::HandOffFailed(rest as *mut Datagram),
            _ => Token::Other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let boxed = Box::into_raw(Box::new(Datagram {
            data: bytes::Bytes::from_static(b"x"),
            from: "127.0.0.1:1".parse().unwrap(),
            local: 0,
        }));
        assert_eq!(boxed as u64 & KIND, 0, "a boxed Datagram is 8-byte aligned");
        for t in
            [Token::Recv(0), Token::Recv(4095), Token::Send(7), Token::HandedIn(boxed), Token::HandOffFailed(boxed)]
        {
            assert_eq!(Token::decode(t.encode()), t);
        }
        assert_eq!(Token::decode(0), Token::Other);
        // SAFETY: `boxed` came from Box::into_raw above and was not freed.
        drop(unsafe { Box::from_raw(boxed) });
    }
}
