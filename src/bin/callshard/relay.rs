//! `callshard relay`: two UDP sockets and a loop. What the client sends to --listen goes on
//! to --target from the --bind socket; what arrives at --bind goes to the client last heard
//! on --listen. Each direction passes its own `Impair` (drop, duplicate, reorder). One
//! thread, `poll` on both sockets; the counters go to stdout when it stops.

use std::io::ErrorKind;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
use std::os::fd::AsRawFd;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::relay_args::RelayArgs;
use super::relay_wire::{Counts, Impair};

/// The longest single wait, so a signal or the end of the run is seen promptly.
const MAX_WAIT: Duration = Duration::from_millis(100);

/// The largest UDP payload.
const MAX_DATAGRAM: usize = 65_535;

pub fn relay(args: RelayArgs) -> ExitCode {
    let any = match args.target.ip() {
        IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::LOCALHOST),
    };
    let bind = args.bind.unwrap_or(SocketAddr::new(any, 0));
    let sockets = (open(args.listen, "--listen"), open(bind, "--bind"));
    let (Ok(client_side), Ok(server_side)) = sockets else { return ExitCode::FAILURE };
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        if let Err(e) = signal_hook::flag::register(signal, stop.clone()) {
            eprintln!("error: cannot handle signal {signal}: {e}");
            return ExitCode::FAILURE;
        }
    }
    let hold = Duration::from_millis(args.hold_ms);
    let (d, u, r) = (args.drop, args.duplicate, args.reorder);
    let mut relay = Relay {
        up: Impair::new((d.to_server, u.to_server, r.to_server), hold, args.seed),
        // Another stream of choices for the other way, from the same seed.
        down: Impair::new((d.to_client, u.to_client, r.to_client), hold, args.seed ^ 0xD1B5_4A32_D192_ED03),
        client: None,
        unroutable: 0,
        send_errors: 0,
        target: args.target,
    };
    let shown = server_side.local_addr().map_or(bind, |a| a);
    eprintln!("callshard relay: {} -> {} from {shown}", args.listen, args.target);
    let end = Instant::now() + Duration::from_secs_f64(args.duration);
    let limit = args.datagrams.unwrap_or(u64::MAX);
    let mut buf = vec![0u8; MAX_DATAGRAM];
    while !stop.load(Ordering::Relaxed) && Instant::now() < end && relay.received() < limit {
        let now = Instant::now();
        let until = [Some(end), relay.up.next_deadline(), relay.down.next_deadline()].into_iter().flatten().min();
        let wait = until.map_or(MAX_WAIT, |t| t.saturating_duration_since(now).min(MAX_WAIT));
        wait_readable(&client_side, &server_side, wait);
        relay.pump(&client_side, &server_side, &mut buf, limit);
    }
    relay.finish(&client_side, &server_side);
    ExitCode::SUCCESS
}

struct Relay {
    up: Impair,
    down: Impair,
    /// Where what comes from the server goes: the last source heard on --listen.
    client: Option<SocketAddr>,
    /// Datagrams from the server before any client spoke (nowhere to send them).
    unroutable: u64,
    send_errors: u64,
    target: SocketAddr,
}

impl Relay {
    fn received(&self) -> u64 {
        self.up.counts.received + self.down.counts.received + self.unroutable
    }

    /// Reads what is waiting on both sockets and sends what the impairments let through,
    /// then releases held datagrams whose time is up.
    fn pump(&mut self, client_side: &UdpSocket, server_side: &UdpSocket, buf: &mut [u8], limit: u64) {
        let mut out = Vec::new();
        while self.received() < limit {
            let Ok((n, from)) = client_side.recv_from(buf) else { break };
            self.client = Some(from);
            self.up.on_datagram(&buf[..n], Instant::now(), &mut out);
            self.send(server_side, Some(self.target), &mut out);
        }
        while self.received() < limit {
            let Ok((n, _)) = server_side.recv_from(buf) else { break };
            match self.client {
                Some(_) => self.down.on_datagram(&buf[..n], Instant::now(), &mut out),
                None => self.unroutable += 1,
            }
            self.send(client_side, self.client, &mut out);
        }
        let now = Instant::now();
        self.up.on_timer(now, &mut out);
        self.send(server_side, Some(self.target), &mut out);
        self.down.on_timer(now, &mut out);
        self.send(client_side, self.client, &mut out);
    }

    fn send(&mut self, socket: &UdpSocket, to: Option<SocketAddr>, out: &mut Vec<Vec<u8>>) {
        for data in out.drain(..) {
            if let Some(to) = to {
                if socket.send_to(&data, to).is_err() {
                    self.send_errors += 1;
                }
            }
        }
    }

    /// Sends what is still held and prints the counters.
    fn finish(&mut self, client_side: &UdpSocket, server_side: &UdpSocket) {
        let mut out = Vec::new();
        self.up.flush(&mut out);
        self.send(server_side, Some(self.target), &mut out);
        self.down.flush(&mut out);
        self.send(client_side, self.client, &mut out);
        println!("relay to-server: {}", counts(&self.up.counts));
        println!(
            "relay to-client: {} unroutable={} send-errors={}",
            counts(&self.down.counts),
            self.unroutable,
            self.send_errors
        );
    }
}

fn counts(c: &Counts) -> String {
    format!(
        "received={} forwarded={} dropped={} duplicated={} reordered={}",
        c.received, c.forwarded, c.dropped, c.duplicated, c.reordered
    )
}

fn open(addr: SocketAddr, flag: &str) -> Result<UdpSocket, ()> {
    let socket = UdpSocket::bind(addr).and_then(|s| s.set_nonblocking(true).map(|_| s));
    socket.map_err(|e| eprintln!("error: {flag} {addr}: {e}"))
}

/// Waits until either socket has a datagram, or `wait` passes.
fn wait_readable(a: &UdpSocket, b: &UdpSocket, wait: Duration) {
    let mut fds = [a, b].map(|s| libc::pollfd { fd: s.as_raw_fd(), events: libc::POLLIN, revents: 0 });
    let ms = wait.as_millis().clamp(1, MAX_WAIT.as_millis()) as libc::c_int;
    // SAFETY: `fds` is a live array of two pollfd for the duration of the call.
    let r = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, ms) };
    if r < 0 && std::io::Error::last_os_error().kind() != ErrorKind::Interrupted {
        std::thread::sleep(Duration::from_millis(1));
    }
}
