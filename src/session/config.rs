//! What an endpoint needs to know about itself, with every bound named.

use std::net::SocketAddr;

use crate::sdp::Codec;
use crate::sip::ParseLimits;
use crate::transaction::TxConfig;

/// One shard's endpoint configuration. Its `Debug` leaves the seed out: logged, it would
/// give away every identifier the endpoint draws.
#[derive(Clone)]
pub struct EndpointConfig {
    /// Our SIP addresses, one per socket (the `--listen` order): sent-by of our Via and host
    /// of our Contact for what goes through that socket. Never empty.
    pub locals: Vec<SocketAddr>,
    /// The transport of each `locals` entry (a missing entry is UDP): what our Via and
    /// Contact name for messages through that socket or its connections.
    pub transports: Vec<crate::transport::Transport>,
    /// The user part of our Contact and of the From of calls we place.
    pub user: Vec<u8>,
    /// Most calls alive at once; beyond it new INVITEs get 503 with Retry-After.
    pub max_calls: usize,
    /// Seconds a client is asked to wait in Retry-After when we are full.
    pub retry_after_secs: u32,
    /// RTP ports this endpoint may hand out, `low..=high`; even ports only (RTCP takes +1).
    pub rtp_ports: (u16, u16),
    /// Addresses media is offered on; each has the whole port range. Empty: the address of
    /// the socket the call's signalling goes through.
    pub media_addresses: Vec<std::net::IpAddr>,
    /// Our codecs, most preferred first.
    pub codecs: Vec<Codec>,
    pub tx: TxConfig,
    /// Message size and header count bounds.
    pub limits: ParseLimits,
    /// (this shard, shards): the Call-IDs of calls we place hash to this shard
    /// ([`super::owner_of`]), so their responses, whichever shard reads them, reach it.
    pub shard: (usize, usize),
    /// The seed of the endpoint's CSPRNG, which draws our tags, branches and Call-IDs (RFC
    /// 3261 19.3). [`EndpointConfig::new`] takes it from the operating system, so each
    /// endpoint made has its own; set it only to replay a run (tests, fuzzing).
    pub seed: [u8; 32],
}

impl std::fmt::Debug for EndpointConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EndpointConfig")
            .field("locals", &self.locals)
            .field("user", &String::from_utf8_lossy(&self.user))
            .field("max_calls", &self.max_calls)
            .field("retry_after_secs", &self.retry_after_secs)
            .field("rtp_ports", &self.rtp_ports)
            .field("media_addresses", &self.media_addresses)
            .field("codecs", &self.codecs)
            .field("tx", &self.tx)
            .field("limits", &self.limits)
            .field("shard", &self.shard)
            .finish_non_exhaustive()
    }
}

impl EndpointConfig {
    /// Defaults for an endpoint at `local`: 100 000 calls, ports 20000-39999, G.711 and G.722,
    /// a CSPRNG seed from the operating system.
    pub fn new(local: SocketAddr) -> EndpointConfig {
        EndpointConfig {
            locals: vec![local],
            transports: Vec::new(),
            user: b"callshard".to_vec(),
            max_calls: 100_000,
            retry_after_secs: 5,
            rtp_ports: (20_000, 39_999),
            media_addresses: Vec::new(),
            codecs: Codec::ALL.to_vec(),
            tx: TxConfig::default(),
            limits: ParseLimits::default(),
            shard: (0, 1),
            seed: super::ids::os_seed(),
        }
    }
}

/// Methods we implement, for Allow (RFC 3261 20.5).
pub const ALLOW: &[u8] = b"INVITE, ACK, CANCEL, BYE, OPTIONS, REFER, NOTIFY";
/// Bodies we read, for Accept (RFC 3261 20.1).
pub const ACCEPT: &[u8] = b"application/sdp";
/// Extensions we support: none yet, so any Require gets 420.
pub const SUPPORTED: &[u8] = b"";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configs_get_their_own_seed_and_debug_hides_it() {
        let (a, b) = (
            EndpointConfig::new("127.0.0.1:5060".parse().unwrap()),
            EndpointConfig::new("127.0.0.1:5060".parse().unwrap()),
        );
        assert_ne!(a.seed, b.seed, "each config draws its own seed from the OS");
        let shown = format!("{a:?}");
        assert!(shown.contains("max_calls") && !shown.contains("seed"), "{shown}");
    }
}
