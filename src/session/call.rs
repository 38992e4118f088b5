//! One call's state: role, progress, its dialog(s), its offer/answer session and timers.

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use smallvec::SmallVec;

use crate::dialog::Dialog;
use crate::sdp::SdpSession;
use crate::timer::{Handle, TimerId};
use crate::transaction::{ClientTxId, ServerTxId};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// We placed the call.
    Uac,
    /// We received it.
    Uas,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallState {
    /// UAS: INVITE received, no provisional with a tag sent yet.
    Received,
    /// UAS: 18x sent. UAC: 1xx received.
    Early,
    /// UAS: 2xx sent, waiting for the ACK.
    Answered,
    /// UAC: INVITE sent, nothing back yet.
    Calling,
    /// The dialog is confirmed.
    Confirmed,
}

/// Timers the call layer runs (the RFC's TU timers and the application's own).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallTimerKind {
    /// Retransmit our 2xx: T1, doubling up to T2 (RFC 3261 13.3.1.4).
    Retransmit2xx,
    /// 64*T1 without an ACK: the call is given up with a BYE.
    AckTimeout,
    /// Try a re-INVITE again after a 491 (RFC 3261 14.1).
    GlareRetry,
    /// An application timer.
    App(u32),
}

#[derive(Clone, Copy, Debug)]
pub struct CallTimer {
    pub call: Handle,
    pub kind: CallTimerKind,
}

/// A 2xx we retransmit until its ACK arrives.
#[derive(Debug)]
pub struct Pending2xx {
    pub data: Bytes,
    /// The CSeq number of the INVITE it answers: its ACK carries the same (RFC 3261 13.2.2.4).
    pub cseq: u32,
    pub to: SocketAddr,
    pub local: crate::transaction::Local,
    pub interval: Duration,
}

/// An outgoing re-INVITE and what it asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReInvite {
    pub direction: crate::sdp::Direction,
}

#[derive(Debug)]
pub struct Call {
    pub role: Role,
    pub state: CallState,
    /// The dialog (UAS: from our first tagged response; UAC: the confirmed one).
    pub dialog: Option<Dialog>,
    /// UAC: early dialogs from forked 1xx responses, by remote tag (RFC 3261 12.1.2).
    pub early: Vec<Dialog>,
    pub sdp: SdpSession,
    /// UAS: the INVITE or re-INVITE waiting for our final response.
    pub invite_tx: Option<ServerTxId>,
    /// UAC: our INVITE or re-INVITE in progress.
    pub client_invite: Option<ClientTxId>,
    pub pending_2xx: Option<Pending2xx>,
    pub reinvite: Option<ReInvite>,
    /// UAC: cancel as soon as a provisional response arrives (RFC 3261 9.1).
    pub cancel_pending: bool,
    /// We cancelled; the 487 ends the call as cancelled.
    pub cancelled: bool,
    /// UAS: hang up once the 2xx is ACKed (RFC 3261 15: no BYE before the ACK).
    pub bye_after_ack: bool,
    /// UAC: our ACK for the 2xx carries the SDP answer (late offer), so every repeat must too.
    pub ack_has_sdp: bool,
    /// UAC: the To tag of the fork whose provisional response answered our offer (early
    /// media), until the 2xx says which fork's answer the call keeps.
    pub early_answer: Option<Box<[u8]>>,
    /// UAC: the To tags of forks that answered after the call was confirmed and got their ACK
    /// and BYE (RFC 3261 13.2.2.4): a retransmission of their 2xx is only ACKed again.
    pub forks_ended: Vec<Box<[u8]>>,
    pub rtp_port: super::ports::MediaPort,
    /// The peer's address for the INVITE (its source, or where we sent ours).
    pub peer: SocketAddr,
    /// Our socket for the call's signalling: where its INVITE arrived, or where ours left.
    pub local: crate::transaction::Local,
    pub timers: SmallVec<[(CallTimerKind, TimerId); 2]>,
    /// UAC placed with credentials: what answering a challenge needs (RFC 3261 22.2).
    pub auth: Option<Box<super::uac_auth::CallAuth>>,
    /// The random part of our tag (RFC 3261 19.3): a tag naming this call's handle with other
    /// bits is not ours.
    pub tag_bits: u32,
}

impl Call {
    pub fn new(
        role: Role,
        sdp: SdpSession,
        rtp_port: super::ports::MediaPort,
        (peer, local): (SocketAddr, crate::transaction::Local),
        tag_bits: u32,
    ) -> Call {
        let state = if role == Role::Uas { CallState::Received } else { CallState::Calling };
        Call {
            role,
            state,
            dialog: None,
            early: Vec::new(),
            sdp,
            invite_tx: None,
            client_invite: None,
            pending_2xx: None,
            reinvite: None,
            cancel_pending: false,
            cancelled: false,
            bye_after_ack: false,
            ack_has_sdp: false,
            early_answer: None,
            forks_ended: Vec::new(),
            rtp_port,
            peer,
            local,
            timers: SmallVec::new(),
            auth: None,
            tag_bits,
        }
    }

    /// UAC: the CSeq of the INVITE that set the call up (higher after a challenge).
    pub fn invite_cseq(&self) -> u32 {
        self.auth.as_ref().map_or(super::uac::INITIAL_CSEQ, |a| a.cseq)
    }
}
