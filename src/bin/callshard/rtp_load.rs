//! `callshard rtp-load`: opens media streams on a server (SIP calls, a plain reflector's ports,
//! or rtpengine calls over ng), sends G.711 on all of them at a total rate, and reports loss,
//! round-trip time and, given the server's process id, its CPU time per packet that came back.

use std::net::{IpAddr, SocketAddrV4, UdpSocket};
use std::process::ExitCode;
use std::time::Duration;

use super::rtp_load_args::RtpLoadArgs;
use super::rtp_load_io::media_socket;
use super::rtp_load_ng::NgCalls;
use super::rtp_load_run::{run, Outcome, Plan, Stream};
use super::rtp_load_sip::{SipCall, SipCalls};

/// How the streams' server ports were obtained, kept to close them at the end.
enum Opened {
    Sip(SipCalls, Vec<SipCall>),
    Ng(NgCalls),
    Plain,
}

pub fn rtp_load(args: RtpLoadArgs) -> ExitCode {
    match load(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: rtp-load: {e}");
            ExitCode::FAILURE
        }
    }
}

fn load(args: &RtpLoadArgs) -> Result<(), String> {
    let IpAddr::V4(ip) = args.target.ip() else { return Err("--target: IPv4 only".into()) };
    if let Some((low, high)) = args.ports.filter(|_| args.no_sip) {
        if u32::from(high - low) + 1 < args.calls {
            return Err(format!("--ports {low}-{high}: fewer ports than --calls {}", args.calls));
        }
    }
    let sockets = args.sockets.min(args.calls) as usize;
    let socks: Vec<UdpSocket> =
        (0..sockets).map(|_| media_socket()).collect::<Result<_, _>>().map_err(|e| e.to_string())?;
    let local = |s: usize| socks[s].local_addr().map_or(0, |a| a.port());
    let mut streams = Vec::with_capacity(args.calls as usize);
    let mut opened = match (args.no_sip, args.ng) {
        (true, _) => Opened::Plain,
        (false, Some(ng)) => Opened::Ng(NgCalls::new(ng)?),
        (false, None) => Opened::Sip(SipCalls::new(args.target)?, Vec::new()),
    };
    for n in 0..args.calls {
        let sock = n as usize * sockets / args.calls as usize;
        let port = match &mut opened {
            Opened::Plain => args.ports.map_or(0, |p| p.0) + n as u16,
            Opened::Ng(ng) => ng.open(n, local(sock))?,
            Opened::Sip(sip, calls) => {
                calls.push(sip.place(n, local(sock))?);
                calls[n as usize].media_port
            }
        };
        streams.push(Stream { sock, to: SocketAddrV4::new(ip, port), seq: n as u16 * 1000, ts: n * 7919 });
    }
    let rate = u64::from(args.total_rate());
    let warmup = (rate as f64 * args.warmup) as u64;
    let total = warmup + ((rate as f64 * args.duration) as u64).max(1);
    let plan =
        Plan { rate, warmup, total, samples: 8 * args.ptime_ms, drain: Duration::from_millis(args.drain_ms.into()) };
    let (mut cpu_before, mut own_before) = (Ok(None), Ok(0));
    let out = run(&socks, &mut streams, &plan, || {
        cpu_before = args.server_pid.map(cpu_ns).transpose();
        own_before = cpu_ns(std::process::id());
    });
    // The tool's own CPU over the same window: near 100 % it, not the server, sets the pace.
    let own = cpu_ns(std::process::id())?.saturating_sub(own_before?);
    let cpu = match (args.server_pid, cpu_before?) {
        (Some(pid), Some(before)) => Some(cpu_ns(pid)?.saturating_sub(before)),
        _ => None,
    };
    let unconfirmed = match &opened {
        Opened::Sip(sip, calls) => sip.hang_up(calls),
        Opened::Ng(ng) => (0..args.calls).filter(|&n| !ng.close(n)).count(),
        Opened::Plain => 0,
    };
    report(args, rate, &out, cpu, own, unconfirmed);
    Ok(())
}

/// utime + stime of process `pid` (all its threads), in nanoseconds.
fn cpu_ns(pid: u32) -> Result<u64, String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).map_err(|e| format!("--server-pid {pid}: {e}"))?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat.rsplit_once(')').map_or(vec![], |(_, rest)| rest.split_whitespace().collect());
    let tick = |i: usize| fields.get(i).and_then(|f| f.parse::<u64>().ok()).ok_or("an unreadable /proc stat");
    let ticks = tick(11)? + tick(12)?; // utime and stime: fields 14 and 15 of proc(5)
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as u64;
    Ok(ticks * 1_000_000_000 / hz)
}

fn report(args: &RtpLoadArgs, rate: u64, out: &Outcome, cpu: Option<u64>, own: u64, unconfirmed: usize) {
    let lost = out.sent - out.received;
    let loss_pct = if out.sent == 0 { 0.0 } else { 100.0 * lost as f64 / out.sent as f64 };
    let achieved = if out.send_secs > 0.0 { out.sent as f64 / out.send_secs } else { 0.0 };
    let us = |q: f64| out.rtt_ns.value_at_quantile(q) as f64 / 1000.0;
    let (p50, p99, max) = (us(0.5), us(0.99), out.rtt_ns.max() as f64 / 1000.0);
    let own_pct = own as f64 / 1e7 / out.send_secs.max(1e-9);
    let per_packet = cpu.map(|c| if out.received == 0 { 0.0 } else { c as f64 / out.received as f64 });
    if args.json {
        let cpu_fields = match (cpu, per_packet) {
            (Some(c), Some(p)) => format!(",\"server_cpu_ms\":{:.1},\"server_ns_per_pkt\":{p:.0}", c as f64 / 1e6),
            _ => String::new(),
        };
        println!(
            "{{\"calls\":{},\"rate\":{rate},\"achieved_pps\":{achieved:.0},\"sent\":{},\"send_failed\":{},\
             \"received\":{},\"lost\":{lost},\"loss_pct\":{loss_pct:.4},\"duplicates\":{},\"other\":{},\
             \"rtt_us\":{{\"p50\":{p50:.1},\"p99\":{p99:.1},\"max\":{max:.1}}}{cpu_fields},\"load_cpu_pct\":{own_pct:.0},\
             \"unconfirmed_hangups\":{unconfirmed}}}",
            args.calls, out.sent, out.send_failed, out.received, out.duplicates, out.other
        );
        return;
    }
    println!(
        "rtp-load: {} streams, {rate} packets/s asked, {achieved:.0} sent/s over {:.2} s",
        args.calls, out.send_secs
    );
    println!(
        "  sent {} (failed {}), back {}, lost {lost} ({loss_pct:.3} %), duplicates {}, other {}",
        out.sent, out.send_failed, out.received, out.duplicates, out.other
    );
    println!("  round trip µs: p50 {p50:.1}  p99 {p99:.1}  max {max:.1}");
    if let (Some(c), Some(p)) = (cpu, per_packet) {
        println!("  server CPU {:.1} ms, {p:.0} ns per packet back", c as f64 / 1e6);
    }
    println!("  rtp-load's own CPU: {own_pct:.0} % of one core");
    if unconfirmed > 0 {
        println!("  {unconfirmed} hang-ups not confirmed");
    }
}
