//! Answering a 401 or 407 to an INVITE we placed (RFC 3261 22.2, 22.3): the same INVITE
//! again with CSeq + 1, a new branch and the answer to the challenge, once per challenge.

use std::fmt;
use std::time::Instant;

use bytes::BytesMut;

use super::call::CallState;
use super::digest::{first_answerable, write_authorization, Answer, Challenge, Credentials};
use super::endpoint::Endpoint;
use super::uac::InviteParts;
use crate::sip::Message;
use crate::timer::Handle;

/// Challenges a call may answer: the first, and one more if it says the nonce we answered
/// was only stale (RFC 7616 3.3). Anything after that is a wrong password, not a loop.
const MAX_ANSWERS: usize = 2;

/// What a call placed with credentials keeps to send its INVITE again. Only such calls
/// have one (boxed in the call), since the first INVITE's transaction drops its request
/// when the 401 or 407 arrives.
pub(super) struct CallAuth {
    username: Box<[u8]>,
    password: Box<[u8]>,
    request_uri: Box<[u8]>,
    to: Box<[u8]>,
    from: Option<Box<[u8]>>,
    call_id: Box<[u8]>,
    /// The CSeq of our latest INVITE: the dialog counts on from it.
    pub cseq: u32,
    /// The nonces answered so far; none is ever answered twice.
    answered: Vec<Box<[u8]>>,
}

/// No password in logs.
impl fmt::Debug for CallAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallAuth").field("cseq", &self.cseq).field("answered", &self.answered.len()).finish()
    }
}

impl CallAuth {
    pub fn new(creds: Credentials<'_>, invite: &InviteParts<'_>) -> CallAuth {
        CallAuth {
            username: creds.username.into(),
            password: creds.password.into(),
            request_uri: invite.request_uri.into(),
            to: invite.to.into(),
            from: invite.from.map(Into::into),
            call_id: invite.call_id.into(),
            cseq: invite.cseq,
            answered: Vec::new(),
        }
    }

    fn may_answer(&self, ch: &Challenge<'_>) -> bool {
        let seen = self.answered.iter().any(|n| **n == *ch.nonce);
        !seen && (self.answered.is_empty() || (ch.stale && self.answered.len() < MAX_ANSWERS))
    }

    fn parts<'a>(&'a self, authorization: Option<(&'static [u8], &'a [u8])>) -> InviteParts<'a> {
        InviteParts {
            request_uri: &self.request_uri,
            to: &self.to,
            from: self.from.as_deref(),
            call_id: &self.call_id,
            cseq: self.cseq,
            authorization,
        }
    }
}

impl Endpoint {
    /// Sends the INVITE again answering the challenge in `resp` (a 401 or 407 to call `h`'s
    /// INVITE); false when the call cannot or may not answer it, and so ends.
    pub(super) fn answer_challenge(&mut self, h: Handle, resp: &Message, now: Instant) -> bool {
        let (asked, answer): (&[u8], &'static [u8]) = match resp.status() {
            Some(401) => (b"WWW-Authenticate", b"Authorization"),
            Some(407) => (b"Proxy-Authenticate", b"Proxy-Authorization"),
            _ => return false,
        };
        let Some(c) = self.calls.get_mut(h).filter(|c| !c.cancelled) else { return false };
        let Some(mut auth) = c.auth.take() else { return false };
        // RFC 7616 3.7: several challenges come in order of preference; take the first we can.
        let challenge = resp
            .headers()
            .filter(|(_, name, _)| name.eq_ignore_ascii_case(asked))
            .find_map(|(_, _, value)| first_answerable(value));
        let sent = challenge
            .filter(|ch| auth.may_answer(ch))
            .is_some_and(|ch| self.send_answer(h, &mut auth, &ch, answer, now));
        if let Some(c) = self.calls.get_mut(h) {
            c.auth = Some(auth);
        }
        sent
    }

    fn send_answer(
        &mut self,
        h: Handle,
        auth: &mut CallAuth,
        ch: &Challenge<'_>,
        header: &'static [u8],
        now: Instant,
    ) -> bool {
        let mut cnonce = BytesMut::with_capacity(32);
        self.ids.put_cnonce(&mut cnonce);
        let mut value = BytesMut::with_capacity(256);
        // A nonce is answered once, so its count is always 1.
        let a = Answer { method: b"INVITE", uri: &auth.request_uri, cnonce: &cnonce, nc: 1 };
        let creds = Credentials { username: &auth.username, password: &auth.password };
        if write_authorization(ch, creds, &a, &mut value).is_err() {
            return false;
        }
        auth.answered.push(ch.nonce.as_ref().into());
        auth.cseq = auth.cseq.wrapping_add(1);
        if let Some(c) = self.calls.get_mut(h) {
            // The final response ended the first INVITE's early dialogs (RFC 3261 12.3).
            c.state = CallState::Calling;
            c.early.clear();
        }
        self.send_invite(h, &auth.parts(Some((header, &value))), now).is_ok()
    }
}
