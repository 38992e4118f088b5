//! The client side of RFC 7339 overload control: what each server we place calls with has
//! asked on the Via of its responses, and which new calls are therefore not sent. Its loss
//! algorithm holds back a share of new calls; the share is spread evenly (every call adds
//! the share to a credit, and a call that brings the credit to 100 is held back) rather than
//! drawn at random, so a short run holds back exactly what was asked.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::sip::overload_control::Advice;
use crate::sip::Message;

/// One server's word.
#[derive(Clone, Copy, Debug)]
struct Word {
    peer: SocketAddr,
    advice: Advice,
    /// The word ends here (`oc-validity` after it was heard).
    until: Instant,
    credit: u32,
}

/// The words of the servers that gave one; few, so a list.
#[derive(Debug, Default)]
pub struct Throttles {
    words: Vec<Word>,
}

impl Throttles {
    /// A response from `peer` carried `advice`: kept unless an earlier word (by `oc-seq`)
    /// came after a later one; a word of 0 % or of no validity ends the throttle.
    pub fn heard(&mut self, peer: SocketAddr, advice: Advice, now: Instant) {
        let until = now + Duration::from_millis(advice.validity_ms.into());
        let i = self.words.iter().position(|w| w.peer == peer);
        if i.is_some_and(|i| advice.seq_ms < self.words[i].advice.seq_ms) {
            return;
        }
        match (i, advice.reduce_pct == 0 || advice.validity_ms == 0) {
            (Some(i), true) => drop(self.words.swap_remove(i)),
            (Some(i), false) => (self.words[i].advice, self.words[i].until) = (advice, until),
            (None, false) => self.words.push(Word { peer, advice, until, credit: 0 }),
            (None, true) => {}
        }
    }

    /// A response from `peer` to one of our INVITEs: its top Via may carry a word.
    pub fn on_response(&mut self, peer: SocketAddr, resp: &Message, now: Instant) {
        if let Some(advice) = resp.top_via().ok().and_then(|via| Advice::read(&via.params)) {
            self.heard(peer, advice, now);
        }
    }

    /// Whether a new call to `peer` is held back.
    pub fn holds_back(&mut self, peer: SocketAddr, now: Instant) -> bool {
        let Some(i) = self.words.iter().position(|w| w.peer == peer) else { return false };
        let w = &mut self.words[i];
        if now >= w.until {
            self.words.swap_remove(i);
            return false;
        }
        w.credit += u32::from(w.advice.reduce_pct);
        let held = w.credit >= 100;
        if held {
            w.credit -= 100;
        }
        held
    }

    /// The share asked of calls to `peer` now, in percent.
    #[cfg(test)]
    pub fn share(&self, peer: SocketAddr, now: Instant) -> u8 {
        let word = self.words.iter().find(|w| w.peer == peer && now < w.until);
        word.map_or(0, |w| w.advice.reduce_pct)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn advice(reduce_pct: u8, seq_ms: u64) -> Advice {
        Advice { reduce_pct, validity_ms: 500, seq_ms }
    }

    #[test]
    fn the_share_asked_is_held_back_evenly_until_the_word_expires() {
        let (t0, peer) = (Instant::now(), "127.0.0.1:5060".parse().unwrap());
        let mut t = Throttles::default();
        assert!(!t.holds_back(peer, t0), "nobody asked");
        t.heard(peer, advice(30, 1), t0);
        let held = (0..100).filter(|_| t.holds_back(peer, t0)).count();
        assert_eq!(held, 30);
        let other: SocketAddr = "127.0.0.2:5060".parse().unwrap();
        assert!(!(0..10).any(|_| t.holds_back(other, t0)), "another server asked nothing");
        assert!(!(0..10).any(|_| t.holds_back(peer, t0 + Duration::from_millis(500))), "expired");
        assert_eq!(t.share(peer, t0), 0);
    }

    #[test]
    fn an_older_word_does_not_undo_a_newer_one_and_zero_ends_it() {
        let (t0, peer) = (Instant::now(), "127.0.0.1:5060".parse().unwrap());
        let mut t = Throttles::default();
        t.heard(peer, advice(100, 10), t0);
        t.heard(peer, advice(0, 9), t0);
        assert!(t.holds_back(peer, t0), "the late 0 % came before the 100 %");
        t.heard(peer, advice(0, 11), t0);
        assert!(!t.holds_back(peer, t0));
        t.heard(peer, Advice { validity_ms: 0, ..advice(50, 12) }, t0);
        assert_eq!(t.share(peer, t0), 0, "no validity: no word");
    }
}
