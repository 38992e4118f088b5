//! The Date header (RFC 3261 20.17): an RFC 1123 date that must be in GMT.

use super::lex::parse_decimal;

const DAYS: [&[u8]; 7] = [b"Mon", b"Tue", b"Wed", b"Thu", b"Fri", b"Sat", b"Sun"];
const MONTHS: [&[u8]; 12] =
    [b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec"];

/// True for `Www, DD Mon YYYY HH:MM:SS GMT`. Other zones are refused: RFC 3261 allows
/// only GMT (RFC 4475 3.1.2.12).
pub fn is_sip_date(s: &[u8]) -> bool {
    // ABNF literals are case-insensitive: `gmt` and `mon` are as good as `GMT` and `Mon`.
    let [d0, d1, d2, b',', b' ', day @ .., b' ', g, m, t] = s else { return false };
    let weekday = [*d0, *d1, *d2];
    if !DAYS.iter().any(|d| d.eq_ignore_ascii_case(&weekday))
        || day.len() != 20
        || !b"GMT".eq_ignore_ascii_case(&[*g, *m, *t])
    {
        return false;
    }
    let num = |range: std::ops::Range<usize>, max| parse_decimal(&day[range], max).is_some();
    day[2] == b' '
        && day[6] == b' '
        && day[11] == b' '
        && day[14] == b':'
        && day[17] == b':'
        && num(0..2, 31)
        && MONTHS.iter().any(|m| m.eq_ignore_ascii_case(&day[3..6]))
        && num(7..11, 9999)
        && num(12..14, 23)
        && num(15..17, 59)
        && num(18..20, 60)
}

#[cfg(test)]
mod tests {
    use super::is_sip_date;

    #[test]
    fn only_gmt_rfc1123_dates() {
        assert!(is_sip_date(b"Sat, 13 Nov 2010 23:29:00 GMT"));
        assert!(is_sip_date(b"sat, 13 nov 2010 23:29:00 gmt"));
        assert!(!is_sip_date(b"Fri, 01 Jan 2010 16:00:00 EST"));
        assert!(!is_sip_date(b"Sat, 13 Nov 2010 23:29:00 UTC"));
        assert!(!is_sip_date(b"Sat, 13 Foo 2010 23:29:00 GMT"));
        assert!(!is_sip_date(b"Sat, 1 Nov 2010 23:29:00 GMT"));
        assert!(!is_sip_date(b"Sat, 13 Nov 2010 24:29:00 GMT"));
    }
}
