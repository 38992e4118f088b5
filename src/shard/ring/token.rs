//! What a completion is about, packed into the 64-bit `user_data` of its SQE: a kind in the low
//! three bits and an index above.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Token {
    /// A multishot receive on socket `n`.
    Recv(u32),
    /// The send in slot `n`.
    Send(u32),
    /// Another shard queued datagrams for us (its doorbell).
    Doorbell,
    /// A multishot accept on listening socket `n`.
    Accept(u32),
    /// The multishot receive of the stream connection with this id (`Conns::id`).
    StreamRecv(u64),
    /// The one send in flight on the stream connection with this id.
    StreamSend(u64),
    /// Anything else (cancellations at shutdown, a doorbell that could not ring).
    Other,
}

const RECV: u64 = 1;
const SEND: u64 = 2;
const DOORBELL: u64 = 3;
const ACCEPT: u64 = 4;
const STREAM_RECV: u64 = 5;
const STREAM_SEND: u64 = 6;
const KIND: u64 = 0b111;

impl Token {
    pub fn encode(self) -> u64 {
        match self {
            Token::Recv(n) => (u64::from(n) << 3) | RECV,
            Token::Send(n) => (u64::from(n) << 3) | SEND,
            Token::Doorbell => DOORBELL,
            Token::Accept(n) => (u64::from(n) << 3) | ACCEPT,
            Token::StreamRecv(id) => (id << 3) | STREAM_RECV,
            Token::StreamSend(id) => (id << 3) | STREAM_SEND,
            Token::Other => 0,
        }
    }

    pub fn decode(user_data: u64) -> Token {
        let rest = user_data & !KIND;
        match user_data & KIND {
            RECV => Token::Recv((rest >> 3) as u32),
            SEND => Token::Send((rest >> 3) as u32),
            DOORBELL => Token::Doorbell,
            ACCEPT => Token::Accept((rest >> 3) as u32),
            STREAM_RECV => Token::StreamRecv(rest >> 3),
            STREAM_SEND => Token::StreamSend(rest >> 3),
            _ => Token::Other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let id = (0x0fff_ffff << 32) | 16_383;
        for t in [
            Token::Recv(0),
            Token::Recv(4095),
            Token::Send(7),
            Token::Send(u32::MAX),
            Token::Doorbell,
            Token::Accept(3),
            Token::StreamRecv(id),
            Token::StreamSend(id),
        ] {
            assert_eq!(Token::decode(t.encode()), t);
        }
        assert_eq!(Token::decode(0), Token::Other);
    }
}
