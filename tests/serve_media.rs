//! `callshard serve --media echo` with real sockets: concurrent calls on both shards, each
//! with its own RTP socket, get their answer's SDP port from the owning shard's slice of
//! `--rtp-ports`; every stream comes back only to its own sender, in sequence, payload
//! intact, under the server's own SSRC; after BYE the port answers no more. On both backends.

mod common;

use std::net::UdpSocket;
use std::time::Duration;

use callshard::rtp::rtcp::{parse_compound, RtcpPacket};
use callshard::rtp::{is_rtcp, RtpHeader, RtpPacket};
use callshard::shard::owner_of;
use common::server::{final_line, stat, Server};

const SHARDS: usize = 2;
const CALLS: usize = 8;
const PACKETS: u16 = 20;

struct Leg {
    /// Offered `a=rtcp-mux` (RFC 5761): RTCP shares the RTP port both ways.
    mux: bool,
    sip: UdpSocket,
    rtp: UdpSocket,
    call_id: String,
    to_tag: String,
    server_rtp: u16,
}

fn socket() -> UdpSocket {
    let s = UdpSocket::bind("127.0.0.1:0").unwrap();
    s.set_read_timeout(Some(Duration::from_millis(500))).unwrap();
    s
}

fn request(method: &str, leg_port: u16, call_id: &str, to_tag: &str, cseq: u32, body: &str) -> Vec<u8> {
    let to_tag = if to_tag.is_empty() { String::new() } else { format!(";tag={to_tag}") };
    let ctype = if body.is_empty() { "" } else { "Content-Type: application/sdp\r\n" };
    // A branch is a token: no `@`.
    let branch: String = call_id.chars().filter(char::is_ascii_alphanumeric).collect();
    format!(
        "{method} sip:echo@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:{leg_port};branch=z9hG4bK{branch}{cseq}{method};rport\r\n\
         Max-Forwards: 70\r\nFrom: <sip:t@127.0.0.1>;tag=f{branch}\r\nTo: <sip:echo@127.0.0.1>{to_tag}\r\n\
         Call-ID: {call_id}\r\nCSeq: {cseq} {method}\r\nContact: <sip:t@127.0.0.1:{leg_port}>\r\n\
         {ctype}Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Reads SIP replies until one whose status line starts with `status`.
fn wait_for(sock: &UdpSocket, status: &str) -> String {
    let mut buf = [0u8; 65536];
    for _ in 0..10 {
        let (n, _) = sock.recv_from(&mut buf).expect("a SIP reply");
        let text = String::from_utf8_lossy(&buf[..n]).into_owned();
        if text.starts_with(status) {
            return text;
        }
        assert!(text.starts_with("SIP/2.0 1"), "{text}");
    }
    panic!("no {status}");
}

fn header<'a>(msg: &'a str, name: &str) -> &'a str {
    msg.lines().find_map(|l| l.strip_prefix(name)).unwrap_or_else(|| panic!("no {name} in {msg}")).trim()
}

/// Call-IDs that the server's hash puts half on each shard.
fn call_ids(prefix: &str) -> Vec<String> {
    let mut ids = Vec::new();
    let mut per_shard = [0; SHARDS];
    for n in 0.. {
        let id = format!("{prefix}-{n}@media.test");
        let shard = owner_of(id.as_bytes(), SHARDS);
        if per_shard[shard] < CALLS / SHARDS {
            per_shard[shard] += 1;
            ids.push(id);
        }
        if ids.len() == CALLS {
            return ids;
        }
    }
    unreachable!()
}

fn place(server_port: u16, call_id: String, mux: bool) -> Leg {
    let (sip, rtp) = (socket(), socket());
    let (sip_port, rtp_port) = (sip.local_addr().unwrap().port(), rtp.local_addr().unwrap().port());
    let sdp = format!(
        "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio {rtp_port} RTP/AVP 0 101\r\n\
         a=rtpmap:101 telephone-event/8000\r\n{}",
        if mux { "a=rtcp-mux\r\n" } else { "" }
    );
    sip.send_to(&request("INVITE", sip_port, &call_id, "", 1, &sdp), ("127.0.0.1", server_port)).unwrap();
    let ok = wait_for(&sip, "SIP/2.0 200");
    let to_tag = header(&ok, "To:").split(";tag=").nth(1).expect("a To tag").to_string();
    let media = ok.lines().find_map(|l| l.strip_prefix("m=audio ")).expect("an m= line");
    let server_rtp: u16 = media.split(' ').next().unwrap().parse().unwrap();
    assert_eq!(ok.contains("a=rtcp-mux"), mux, "the answer muxes exactly when the offer did: {ok}");
    sip.send_to(&request("ACK", sip_port, &call_id, &to_tag, 1, ""), ("127.0.0.1", server_port)).unwrap();
    Leg { mux, sip, rtp, call_id, to_tag, server_rtp }
}

fn payload(call: usize, seq: u16) -> Vec<u8> {
    (0..160u16).map(|i| (call as u16 * 31 + seq * 7 + i) as u8).collect()
}

fn echo_calls(io: &str, sip_port: u16, rtp: (u16, u16)) {
    let range = format!("{}-{}", rtp.0, rtp.1);
    let server = Server::start(sip_port, &["--shards", "2", "--io", io, "--media", "echo", "--rtp-ports", &range]);
    let legs: Vec<Leg> = call_ids(io).into_iter().enumerate().map(|(n, id)| place(sip_port, id, n % 2 == 1)).collect();
    // As ServeConfig::shard_ports cuts the range: equal slices, in shard order.
    let half = rtp.0 + (rtp.1 - rtp.0 + 1) / SHARDS as u16;
    for leg in &legs {
        let shard = owner_of(leg.call_id.as_bytes(), SHARDS);
        let slice = if shard == 0 { rtp.0..half } else { half..rtp.1 + 1 };
        assert!(
            slice.contains(&leg.server_rtp),
            "{}: port {} not in shard {shard}'s {slice:?}",
            leg.call_id,
            leg.server_rtp
        );
        assert_eq!(leg.server_rtp % 2, 0, "RTP on an even port");
    }
    // Every call sends at once, interleaved.
    for seq in 0..PACKETS {
        for (c, leg) in legs.iter().enumerate() {
            let mut p = Vec::new();
            RtpHeader {
                marker: seq == 0,
                payload_type: 0,
                sequence: 100 + seq,
                timestamp: 160 * u32::from(seq),
                ssrc: 0x1000 + c as u32,
            }
            .write(&payload(c, seq), &mut p);
            leg.rtp.send_to(&p, ("127.0.0.1", leg.server_rtp)).unwrap();
        }
    }
    let mut buf = [0u8; 2048];
    for (c, leg) in legs.iter().enumerate() {
        let mut last: Option<(u16, u32)> = None;
        let mut server_ssrc = None;
        for seq in 0..PACKETS {
            let mut n = 0;
            // A muxed call may get a regular RTCP report in between (the first is due 1-3 s in).
            while n == 0 || is_rtcp(&buf[..n]) {
                let (got, from) = leg.rtp.recv_from(&mut buf).unwrap_or_else(|e| panic!("call {c} packet {seq}: {e}"));
                assert_eq!(from.port(), leg.server_rtp, "from the call's own port");
                assert!(leg.mux || !is_rtcp(&buf[..got]), "call {c}: RTCP on the RTP port without mux");
                n = got;
            }
            let p = RtpPacket::parse(&buf[..n]).unwrap();
            assert_eq!(p.payload(), &payload(c, seq)[..], "call {c}: its own payload, in order");
            assert_ne!(p.ssrc(), 0x1000 + c as u32, "the server's own SSRC");
            assert_eq!(*server_ssrc.get_or_insert(p.ssrc()), p.ssrc());
            if let Some((s, t)) = last {
                assert_eq!((p.sequence(), p.timestamp()), (s.wrapping_add(1), t.wrapping_add(160)));
            }
            last = Some((p.sequence(), p.timestamp()));
        }
    }
    // Hang up; the port then stays silent.
    for leg in &legs {
        let port = leg.sip.local_addr().unwrap().port();
        leg.sip.send_to(&request("BYE", port, &leg.call_id, &leg.to_tag, 2, ""), ("127.0.0.1", sip_port)).unwrap();
        wait_for(&leg.sip, "SIP/2.0 200");
    }
    for (c, leg) in legs.iter().enumerate() {
        if leg.mux {
            // The closing report, with its RTCP BYE, on the RTP port (without mux: port + 1).
            let has_bye =
                |d: &[u8]| parse_compound(d).is_ok_and(|r| r.packets().any(|p| matches!(p, RtcpPacket::Bye(_))));
            let mut reports = 0;
            loop {
                let (n, _) = leg.rtp.recv_from(&mut buf).unwrap_or_else(|e| panic!("call {c}: no RTCP BYE: {e}"));
                assert!(is_rtcp(&buf[..n]), "call {c}: RTP after BYE");
                if has_bye(&buf[..n]) {
                    break;
                }
                reports += 1;
                assert!(reports < 5, "call {c}: regular reports but no BYE");
            }
        }
        let mut p = Vec::new();
        RtpHeader { marker: false, payload_type: 0, sequence: 1000, timestamp: 0, ssrc: 0x1000 + c as u32 }
            .write(&payload(c, 0), &mut p);
        leg.rtp.send_to(&p, ("127.0.0.1", leg.server_rtp)).unwrap();
        assert!(leg.rtp.recv_from(&mut buf).is_err(), "call {c}: the port still echoes after BYE");
    }
    let (code, stderr) = server.stop();
    assert_eq!(code, Some(0), "{stderr}");
    let line = final_line(&stderr);
    let media = line.split("| media ").nth(1).unwrap_or_else(|| panic!("no media figures: {line}"));
    // Each stream's first packet only ends RFC 3550 A.1's probation; the rest are counted.
    let (calls, packets) = (CALLS as u64, u64::from(PACKETS));
    assert_eq!(stat(media, "active"), 0, "{media}");
    assert_eq!(stat(media, "rx"), calls * (packets - 1), "{media}");
    assert_eq!(stat(media, "tx"), calls * packets, "{media}");
    assert_eq!(stat(media, "lost"), 0, "{media}");
    assert_eq!(stat(media, "stray"), calls, "the packets after BYE: {media}");
}

#[test]
fn echo_streams_come_back_to_their_own_senders_uring() {
    echo_calls("uring", 16_260, (42_000, 42_199));
}

#[test]
fn echo_streams_come_back_to_their_own_senders_poll() {
    echo_calls("poll", 16_360, (42_200, 42_399));
}

/// A route that names its media overrides `--media`: `echo=answer,media=tone` plays a tone to
/// the SDP address at once, paced at 20 ms, in consecutive sequence and timestamp.
#[test]
fn a_route_plays_a_tone_paced_by_the_shard_timers() {
    let port = 16_460;
    let server = Server::start(
        port,
        &["--shards", "1", "--media", "echo", "--route", "echo=answer,media=tone", "--rtp-ports", "42400-42499"],
    );
    let leg = place(port, "tone-1@media.test".to_string(), false);
    let mut buf = [0u8; 2048];
    let started = std::time::Instant::now();
    let mut previous: Option<(u16, u32)> = None;
    for n in 0..25 {
        let (len, from) = leg.rtp.recv_from(&mut buf).unwrap_or_else(|e| panic!("tone packet {n}: {e}"));
        assert_eq!(from.port(), leg.server_rtp);
        let p = RtpPacket::parse(&buf[..len]).unwrap();
        assert_eq!((p.payload_type(), p.payload().len()), (0, 160), "PCMU, 20 ms");
        assert!(p.payload().iter().any(|&b| b != 0xff), "a tone, not silence");
        if let Some((s, t)) = previous {
            assert_eq!((p.sequence(), p.timestamp()), (s.wrapping_add(1), t.wrapping_add(160)));
        }
        previous = Some((p.sequence(), p.timestamp()));
    }
    // 25 packets at 20 ms: about 480 ms, not a burst.
    assert!(started.elapsed() >= Duration::from_millis(300), "{:?}", started.elapsed());
    let sip_port = leg.sip.local_addr().unwrap().port();
    leg.sip.send_to(&request("BYE", sip_port, &leg.call_id, &leg.to_tag, 2, ""), ("127.0.0.1", port)).unwrap();
    wait_for(&leg.sip, "SIP/2.0 200");
    let (code, stderr) = server.stop();
    assert_eq!(code, Some(0), "{stderr}");
}

/// A call whose media goes silent for `--media-timeout` is hung up with a BYE.
#[test]
fn a_silent_call_is_hung_up_after_the_media_timeout() {
    let port = 16_470;
    let server = Server::start(
        port,
        &["--shards", "1", "--media", "echo", "--media-timeout", "1", "--rtp-ports", "42500-42599"],
    );
    let leg = place(port, "silent-1@media.test".to_string(), false);
    let started = std::time::Instant::now();
    let mut buf = [0u8; 65536];
    let bye = loop {
        assert!(started.elapsed() < Duration::from_secs(5), "no BYE");
        let Ok((n, _)) = leg.sip.recv_from(&mut buf) else { continue };
        let text = String::from_utf8_lossy(&buf[..n]).into_owned();
        if text.starts_with("BYE ") {
            break text;
        }
    };
    assert!(started.elapsed() >= Duration::from_millis(900), "hung up before the timeout: {:?}", started.elapsed());
    assert!(bye.contains(&leg.call_id));
    let (code, stderr) = server.stop();
    assert_eq!(code, Some(0), "{stderr}");
    let media = final_line(&stderr).split("| media ").nth(1).unwrap().to_string();
    assert_eq!(stat(&media, "silent"), 1, "{media}");
}

/// A burst of new calls in one turn may take every port bound ahead: the shard binds more
/// before each one rather than answer 503 while its range still has ports.
#[test]
fn a_burst_of_invites_in_one_turn_all_get_ports() {
    let port = 16_480;
    let server = Server::start(port, &["--shards", "1", "--media", "echo", "--rtp-ports", "42600-42999"]);
    let sip = socket();
    let sip_port = sip.local_addr().unwrap().port();
    let sdp = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 9000 RTP/AVP 0\r\n";
    const BURST: usize = 120;
    for n in 0..BURST {
        sip.send_to(&request("INVITE", sip_port, &format!("burst{n}"), "", 1, sdp), ("127.0.0.1", port)).unwrap();
    }
    let (mut ok, mut busy) = (0, 0);
    let mut buf = [0u8; 65536];
    while let Ok((n, _)) = sip.recv_from(&mut buf) {
        let text = &buf[..n];
        ok += usize::from(text.starts_with(b"SIP/2.0 200"));
        busy += usize::from(text.starts_with(b"SIP/2.0 503"));
        if ok + busy == BURST {
            break;
        }
    }
    assert_eq!((ok, busy), (BURST, 0));
    drop(server);
}
