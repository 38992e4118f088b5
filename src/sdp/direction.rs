//! Stream direction attributes (RFC 4566 6, RFC 3264 5.1 and 6.1).

/// `a=sendrecv`, `a=sendonly`, `a=recvonly` or `a=inactive`, always from the point of view of
/// the side that wrote the description. Absent everywhere, a stream is `sendrecv`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Direction {
    #[default]
    SendRecv,
    SendOnly,
    RecvOnly,
    Inactive,
}

impl Direction {
    /// The direction named by an attribute (names compared without regard to case).
    pub fn from_attribute(name: &[u8]) -> Option<Direction> {
        [Direction::SendRecv, Direction::SendOnly, Direction::RecvOnly, Direction::Inactive]
            .into_iter()
            .find(|d| d.as_bytes().eq_ignore_ascii_case(name))
    }

    /// The attribute name, as written after `a=`.
    pub fn as_bytes(self) -> &'static [u8] {
        match self {
            Direction::SendRecv => b"sendrecv",
            Direction::SendOnly => b"sendonly",
            Direction::RecvOnly => b"recvonly",
            Direction::Inactive => b"inactive",
        }
    }

    pub fn from_parts(sends: bool, receives: bool) -> Direction {
        match (sends, receives) {
            (true, true) => Direction::SendRecv,
            (true, false) => Direction::SendOnly,
            (false, true) => Direction::RecvOnly,
            (false, false) => Direction::Inactive,
        }
    }

    pub fn sends(self) -> bool {
        matches!(self, Direction::SendRecv | Direction::SendOnly)
    }

    pub fn receives(self) -> bool {
        matches!(self, Direction::SendRecv | Direction::RecvOnly)
    }

    /// The same stream seen from the other end: what one side sends, the other receives.
    pub fn reversed(self) -> Direction {
        Direction::from_parts(self.receives(), self.sends())
    }

    /// Only what both allow. An answer is the reversed offer narrowed by our own wish, which
    /// gives exactly the choices of RFC 3264 6.1 (sendonly -> recvonly or inactive, ...).
    pub fn intersect(self, other: Direction) -> Direction {
        Direction::from_parts(self.sends() && other.sends(), self.receives() && other.receives())
    }
}

#[cfg(test)]
mod tests {
    use super::Direction::{self, *};

    #[test]
    fn answers_follow_rfc3264_6_1() {
        for (offer, ours, answer) in [
            (SendOnly, SendRecv, RecvOnly),
            (RecvOnly, SendRecv, SendOnly),
            (Inactive, SendRecv, Inactive),
            (SendRecv, SendRecv, SendRecv),
            (SendRecv, SendOnly, SendOnly),
            (SendOnly, SendOnly, Inactive),
        ] {
            assert_eq!(offer.reversed().intersect(ours), answer, "{offer:?} with {ours:?}");
        }
    }

    #[test]
    fn attribute_names() {
        assert_eq!(Direction::from_attribute(b"SendOnly"), Some(SendOnly));
        assert_eq!(Direction::from_attribute(b"sendonlyx"), None);
        assert_eq!(Direction::default().as_bytes(), b"sendrecv");
    }
}
