//! What an embedded application hears of a call's media, on real sockets: SIPp's built-in
//! `uac_pcap` plays a G.711 recording (236 packets) and one RFC 4733 key press (10 packets, its
//! end sent three times) into a call that a recording application answers with echo. The
//! application must hear the call arrive, its media agreed, the key press once (with its
//! duration), the answer, and the end with the call's own media figures.

use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use callshard::app::{Application, Calls, Event};
use callshard::rtp::MediaAction;
use callshard::session::{CallId, EndReason};
use callshard::shard::{IoChoice, Server};

/// Answers every call with echo and writes down everything it hears.
struct Recorder {
    heard: Arc<Mutex<Vec<Event>>>,
    incoming: Arc<Mutex<Vec<String>>>,
}

impl Application for Recorder {
    fn on_incoming(&mut self, calls: &mut Calls<'_>, call: CallId) {
        let caller = calls.incoming(call).and_then(|c| c.from()).map(|f| String::from_utf8_lossy(f.uri).into_owned());
        let offered = calls.incoming(call).and_then(|c| c.offer()).map_or(0, |o| o.media.len());
        let codecs = calls.incoming(call).map(|c| c.offered_codecs()).unwrap_or_default();
        let caller = caller.unwrap_or_default();
        self.incoming.lock().unwrap().push(format!("{caller} offers {offered} stream(s): {codecs:?}"));
        calls.ring(call).unwrap();
        calls.answer(call, MediaAction::Echo).unwrap();
    }

    fn on_event(&mut self, _calls: &mut Calls<'_>, event: Event) {
        self.heard.lock().unwrap().push(event);
    }
}

fn heard_by_an_application(io: IoChoice, port: u16, rtp: (u16, u16)) {
    assert!(
        Command::new("sipp").arg("-v").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok(),
        "SIPp is not installed: run scripts/test.sh, which installs the Debian package sip-tester"
    );
    let (heard, incoming) = (Arc::new(Mutex::new(Vec::new())), Arc::new(Mutex::new(Vec::new())));
    let (h, i) = (heard.clone(), incoming.clone());
    let server = Server::builder()
        .listen(format!("127.0.0.1:{port}").parse::<std::net::SocketAddr>().unwrap())
        .shards(2)
        .io(io)
        .rtp_ports(rtp.0, rtp.1)
        .drain(Duration::from_millis(500))
        .start(move |_| Recorder { heard: h.clone(), incoming: i.clone() })
        .unwrap();
    let dir = std::env::temp_dir().join(format!("callshard-app-events-{port}"));
    std::fs::create_dir_all(&dir).unwrap();
    let _ = std::os::unix::fs::symlink("/usr/share/sip-tester", dir.join("pcap"));
    let (target, local, media) = (format!("127.0.0.1:{port}"), (port + 1).to_string(), (port + 500).to_string());
    let out = Command::new("sipp")
        .current_dir(&dir)
        .args([&target, "-sn", "uac_pcap", "-i", "127.0.0.1", "-p", &local, "-mp", &media])
        .args(["-m", "1", "-timeout", "60s", "-timeout_error", "-nostdin"])
        .output()
        .unwrap();
    server.stop();
    let totals = server.join().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(out.status.code(), Some(0), "uac_pcap failed:\n{}", String::from_utf8_lossy(&out.stdout));
    assert_eq!(totals.calls.established, 1);

    let incoming = incoming.lock().unwrap().clone();
    assert_eq!(incoming.len(), 1, "{incoming:?}");
    // uac_pcap plays an A-law recording, and offers A-law alone (with telephone-event).
    assert!(
        incoming[0].starts_with("sip:sipp@") && incoming[0].ends_with("offers 1 stream(s): [Pcma]"),
        "{incoming:?}"
    );
    let heard = heard.lock().unwrap().clone();
    let kinds: Vec<&str> = heard
        .iter()
        .map(|e| match e {
            Event::MediaChanged { .. } => "media",
            Event::Answered { .. } => "answered",
            Event::Digit { .. } => "digit",
            Event::Ended { .. } => "ended",
            _ => "other",
        })
        .collect();
    assert_eq!(kinds.iter().filter(|k| **k == "digit").count(), 1, "one key press, reported once: {kinds:?}");
    assert_eq!(kinds.first(), Some(&"media"), "{kinds:?}");
    assert_eq!(kinds.last(), Some(&"ended"), "{kinds:?}");
    let digit = heard.iter().find_map(|e| {
        if let Event::Digit { digit, duration_ms, .. } = e {
            Some((*digit, *duration_ms))
        } else {
            None
        }
    });
    let (key, duration) = digit.unwrap();
    assert!(key.is_ascii_digit() || "*#ABCD".contains(key), "{key}");
    assert!(duration > 0, "a key press lasts: {duration} ms");
    let Some(Event::Ended { reason, media: Some(m), .. }) = heard.last() else {
        panic!("no media figures at the end: {heard:?}")
    };
    assert_eq!(*reason, EndReason::RemoteHangup);
    // Every packet echoed; every distinct one counted after each stream's first (RFC 3550 A.1).
    assert_eq!(m.packets_sent, 236 + 10, "{m:?}");
    assert_eq!(m.packets_received, (236 - 1) + (8 - 1), "{m:?}");
    assert_eq!((m.lost, m.digits), (0, 1), "{m:?}");
    assert!(m.mos.is_some_and(|v| v > 4.0) && m.jitter_ms >= 0.0, "{m:?}");
}

#[test]
fn an_application_hears_digits_and_the_media_figures_uring() {
    heard_by_an_application(IoChoice::Uring, 17_300, (43_600, 43_699));
}

#[test]
fn an_application_hears_digits_and_the_media_figures_poll() {
    heard_by_an_application(IoChoice::Poll, 17_310, (43_700, 43_799));
}
