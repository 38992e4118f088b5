//! The kernel's count of UDP datagrams dropped for a full socket receive buffer, read from
//! `/proc/net/snmp` (IPv4) and `/proc/net/snmp6` (IPv6) at scrape time. Machine-wide: the
//! kernel does not count per socket there, so other processes' drops are in it too.

/// `RcvbufErrors` of UDP over IPv4 plus `Udp6RcvbufErrors`; `None` when neither file reads.
pub fn udp_rcvbuf_errors() -> Option<u64> {
    let v4 = std::fs::read_to_string("/proc/net/snmp").ok().and_then(|t| snmp_field(&t, "Udp:", "RcvbufErrors"));
    let v6 = std::fs::read_to_string("/proc/net/snmp6").ok().and_then(|t| snmp6_field(&t, "Udp6RcvbufErrors"));
    match (v4, v6) {
        (None, None) => None,
        (a, b) => Some(a.unwrap_or(0) + b.unwrap_or(0)),
    }
}

/// In `/proc/net/snmp`, a protocol has two lines with the same prefix: names, then values.
pub fn snmp_field(text: &str, prefix: &str, name: &str) -> Option<u64> {
    let mut lines = text.lines().filter(|l| l.starts_with(prefix));
    let (names, values) = (lines.next()?, lines.next()?);
    let at = names.split_whitespace().position(|n| n == name)?;
    values.split_whitespace().nth(at)?.parse().ok()
}

/// In `/proc/net/snmp6`, one `Name value` pair a line.
pub fn snmp6_field(text: &str, name: &str) -> Option<u64> {
    text.lines().find_map(|l| {
        let mut parts = l.split_whitespace();
        (parts.next()? == name).then(|| parts.next()?.parse().ok()).flatten()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_udp_lines() {
        let snmp = "Ip: Forwarding DefaultTTL\nIp: 1 64\nUdp: InDatagrams NoPorts InErrors OutDatagrams \
                    RcvbufErrors SndbufErrors\nUdp: 10 2 7 9 5 0\nUdpLite: InDatagrams RcvbufErrors\nUdpLite: 0 0\n";
        assert_eq!(snmp_field(snmp, "Udp:", "RcvbufErrors"), Some(5));
        assert_eq!(snmp6_field("Udp6InDatagrams 4\nUdp6RcvbufErrors 3\n", "Udp6RcvbufErrors"), Some(3));
        assert_eq!(snmp6_field("Udp6InDatagrams 4\n", "Udp6RcvbufErrors"), None);
    }
}
