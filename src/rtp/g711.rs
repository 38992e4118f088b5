//! G.711 companding, the PCMU (µ-law) and PCMA (A-law) payloads of RFC 3551 4.5.14.
//!
//! Linear samples are 16-bit, left-justified as in the ITU-T G.191 reference code (µ-law
//! values are 14-bit × 4, A-law values 13-bit × 8), so a decoded full-scale code is ±32124
//! (µ-law) or ±32256 (A-law). Decoding is one lookup in a table built at compile time;
//! encoding finds the segment from the position of the highest set bit, with no table and no
//! branch per segment. Negative samples are quantised through their ones' complement
//! (`!x`, as G.191 does), which makes the quantiser symmetric: `encode(!x) == encode(x) ^ 0x80`.

/// One of the two G.711 companding laws.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Law {
    /// µ-law (G.711 Tables 2a/2b), RTP payload type 0, `PCMU`.
    Mu,
    /// A-law (G.711 Tables 1a/1b), RTP payload type 8, `PCMA`.
    A,
}

impl Law {
    /// The static payload type of RFC 3551 table 4.
    pub fn payload_type(self) -> u8 {
        match self {
            Law::Mu => 0,
            Law::A => 8,
        }
    }

    /// The law a static payload type names, if it is PCMU or PCMA.
    pub fn from_payload_type(pt: u8) -> Option<Law> {
        match pt {
            0 => Some(Law::Mu),
            8 => Some(Law::A),
            _ => None,
        }
    }

    /// The code for a zero sample, what a silent frame is filled with. µ-law has two zeros;
    /// 0xFF (positive zero) is what an encoder produces. A-law has none: 0xD5 is the smallest
    /// positive step (+8), the code G.711 encoders emit for digital silence.
    pub fn silence(self) -> u8 {
        match self {
            Law::Mu => 0xFF,
            Law::A => 0xD5,
        }
    }

    /// Compress one linear sample.
    #[inline]
    pub fn encode(self, sample: i16) -> u8 {
        match self {
            Law::Mu => mu_law_encode(sample),
            Law::A => a_law_encode(sample),
        }
    }

    /// Expand one code to a linear sample.
    #[inline]
    pub fn decode(self, code: u8) -> i16 {
        match self {
            Law::Mu => mu_law_decode(code),
            Law::A => a_law_decode(code),
        }
    }
}

/// µ-law: the magnitude (14-bit, after the bias of 33 that puts segment ends on powers of
/// two) picks a segment by its highest bit; the code is sign + inverted (segment, step).
#[inline]
pub fn mu_law_encode(sample: i16) -> u8 {
    let (magnitude, sign) = if sample < 0 { (!sample, 0x00) } else { (sample, 0x80) };
    // G.711 Table 2a: decision values run to 8159; the bias of 33 moves them to 8192 = 2^13.
    let biased = ((i32::from(magnitude) >> 2) + 33).min(0x1FFF);
    let segment = 32 - ((biased >> 6) as u32).leading_zeros();
    let step = (biased >> (segment + 1)) & 0x0F;
    sign | (0x7F ^ ((segment << 4) as u8 | step as u8))
}

/// µ-law code to linear, from the table of G.711 Table 2b.
#[inline]
pub fn mu_law_decode(code: u8) -> i16 {
    MU_LAW_DECODE[usize::from(code)]
}

/// A-law: the 12-bit magnitude's highest bit picks the segment (segments 0 and 1 share the
/// finest step); the code is sign + (segment, step) with the even bits inverted (G.711 Table 1a).
#[inline]
pub fn a_law_encode(sample: i16) -> u8 {
    let (magnitude, sign) = if sample < 0 { (!sample, 0x00) } else { (sample, 0x80) };
    let scaled = (magnitude >> 4) as u16; // 0..=2047, in units of the finest step
    let code = if scaled < 16 {
        scaled as u8
    } else {
        let segment = 16 - scaled.leading_zeros() - 4; // 1..=7
        let step = (scaled >> (segment - 1)) & 0x0F;
        ((segment << 4) as u16 | step) as u8
    };
    (sign | code) ^ 0x55
}

/// A-law code to linear, from the table of G.711 Table 1b.
#[inline]
pub fn a_law_decode(code: u8) -> i16 {
    A_LAW_DECODE[usize::from(code)]
}

/// Decode `codes` into `samples`, as many as both hold; returns that count. A short output
/// is not an error: the caller sized it (one frame of ptime) and gets what fits.
pub fn decode_into(law: Law, codes: &[u8], samples: &mut [i16]) -> usize {
    let table = match law {
        Law::Mu => &MU_LAW_DECODE,
        Law::A => &A_LAW_DECODE,
    };
    let n = codes.len().min(samples.len());
    for (sample, &code) in samples[..n].iter_mut().zip(&codes[..n]) {
        *sample = table[usize::from(code)];
    }
    n
}

/// Encode `samples` into `codes`, as many as both hold; returns that count.
pub fn encode_into(law: Law, samples: &[i16], codes: &mut [u8]) -> usize {
    let n = samples.len().min(codes.len());
    let pairs = codes[..n].iter_mut().zip(&samples[..n]);
    match law {
        Law::Mu => pairs.for_each(|(code, &s)| *code = mu_law_encode(s)),
        Law::A => pairs.for_each(|(code, &s)| *code = a_law_encode(s)),
    }
    n
}

/// G.711 Table 2b as 16-bit linear: the middle of the code's quantisation interval.
static MU_LAW_DECODE: [i16; 256] = mu_law_table();
/// G.711 Table 1b as 16-bit linear.
static A_LAW_DECODE: [i16; 256] = a_law_table();

const fn mu_law_table() -> [i16; 256] {
    let mut table = [0i16; 256];
    let mut code = 0;
    while code < 256 {
        let inverted = !(code as u8);
        let segment = (inverted >> 4) & 0x07;
        // (2·step + 33) << segment is the biased interval middle; remove the bias of 33 (×4).
        let biased = ((((inverted & 0x0F) as i32) << 3) + 0x84) << segment;
        let magnitude = (biased - 0x84) as i16;
        table[code] = if inverted & 0x80 != 0 { -magnitude } else { magnitude };
        code += 1;
    }
    table
}

const fn a_law_table() -> [i16; 256] {
    let mut table = [0i16; 256];
    let mut code = 0;
    while code < 256 {
        let plain = (code as u8) ^ 0x55;
        let segment = (plain >> 4) & 0x07;
        let middle = (((plain & 0x0F) as i32) << 4) + 8; // ×8: step and a half step
        let magnitude = match segment {
            0 => middle,
            s => (middle + 0x100) << (s - 1),
        } as i16;
        table[code] = if plain & 0x80 != 0 { magnitude } else { -magnitude };
        code += 1;
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// G.711 Table 2a, µ-law, in its own units (full scale 8159): for each segment, the
    /// upper end of its range of decision values and the step between them. Segment 0's
    /// first interval is half wide (0..1, output 0), so counting back from the top works
    /// for every segment.
    const MU_SEGMENTS: [(i32, i32); 8] =
        [(31, 2), (95, 4), (223, 8), (479, 16), (991, 32), (2015, 64), (4063, 128), (8159, 256)];
    /// G.711 Table 1a, A-law (full scale 4096): segments 0 and 1 share the step of 2.
    const A_SEGMENTS: [(i32, i32); 8] =
        [(32, 2), (64, 2), (128, 4), (256, 8), (512, 16), (1024, 32), (2048, 64), (4096, 128)];

    /// Interval `step` (0..16) of a segment: its lower decision value and its decoder output
    /// (the middle of the interval), in the table's units.
    fn interval((upper, size): (i32, i32), step: i32) -> (i32, i32) {
        let lower = upper - (16 - step) * size;
        (lower, lower + size / 2)
    }

    /// The µ-law character: bit 8 is the sign (1 = positive), bits 7..1 the interval number
    /// counted from the top, i.e. inverted (G.711 Table 2a, "character signal").
    fn mu_expected(code: u8) -> i16 {
        let index = 127 - i32::from(code & 0x7F);
        let (_, output) = interval(MU_SEGMENTS[(index / 16) as usize], index % 16);
        let linear = (output * 4) as i16; // 14-bit left-justified in 16 (G.191)
        if code & 0x80 != 0 {
            linear
        } else {
            -linear
        }
    }

    /// The A-law character before even-bit inversion: sign (1 = positive), segment, step.
    fn a_expected(code: u8) -> i16 {
        let plain = code ^ 0x55;
        let index = i32::from(plain & 0x7F);
        let (_, output) = interval(A_SEGMENTS[(index / 16) as usize], index % 16);
        let linear = (output * 8) as i16; // 13-bit left-justified in 16 (G.191)
        if plain & 0x80 != 0 {
            linear
        } else {
            -linear
        }
    }

    #[test]
    fn decode_matches_the_itu_tables_for_every_code() {
        for code in 0..=255u8 {
            assert_eq!(mu_law_decode(code), mu_expected(code), "µ-law {code:#04x}");
            assert_eq!(a_law_decode(code), a_expected(code), "A-law {code:#04x}");
        }
    }

    #[test]
    fn decode_spot_values_from_g191() {
        let mu = [(0x00, -32124), (0x7F, 0), (0x80, 32124), (0xFF, 0), (0xFE, 8), (0x7E, -8)];
        for (code, linear) in mu {
            assert_eq!(mu_law_decode(code), linear, "µ-law {code:#04x}");
        }
        let a = [(0xD5, 8), (0x55, -8), (0x2A, -32256), (0xAA, 32256), (0xD4, 24)];
        for (code, linear) in a {
            assert_eq!(a_law_decode(code), linear, "A-law {code:#04x}");
        }
    }

    #[test]
    fn encode_inverts_decode_for_every_code() {
        for code in 0..=255u8 {
            let mu = if code == 0x7F { 0xFF } else { code }; // negative zero encodes as +0
            assert_eq!(mu_law_encode(mu_law_decode(code)), mu, "µ-law {code:#04x}");
            assert_eq!(a_law_encode(a_law_decode(code)), code, "A-law {code:#04x}");
        }
    }

    #[test]
    fn encode_is_monotonic_and_symmetric() {
        for law in [Law::Mu, Law::A] {
            let mut previous = i16::MIN;
            for x in i16::MIN..=i16::MAX {
                let level = law.decode(law.encode(x));
                assert!(level >= previous, "{law:?}: {x} went down to {level}");
                previous = level;
                assert_eq!(law.encode(!x), law.encode(x) ^ 0x80, "{law:?}: {x}");
            }
        }
    }

    /// Each decision value of Tables 1a/2a is the first input of the interval above it.
    #[test]
    fn encode_switches_interval_at_the_decision_values() {
        for index in 1..128i32 {
            let (lower, _) = interval(MU_SEGMENTS[(index / 16) as usize], index % 16);
            let at = (lower * 4) as i16;
            assert_eq!(127 - i32::from(mu_law_encode(at) & 0x7F), index, "µ-law at {at}");
            assert_eq!(127 - i32::from(mu_law_encode(at - 1) & 0x7F), index - 1, "µ-law below {at}");
            let (lower, _) = interval(A_SEGMENTS[(index / 16) as usize], index % 16);
            let at = (lower * 8) as i16;
            assert_eq!(i32::from((a_law_encode(at) ^ 0x55) & 0x7F), index, "A-law at {at}");
            assert_eq!(i32::from((a_law_encode(at - 1) ^ 0x55) & 0x7F), index - 1, "A-law below {at}");
        }
        assert_eq!(mu_law_encode(i16::MAX), 0x80);
        assert_eq!(mu_law_encode(i16::MIN), 0x00);
        assert_eq!(a_law_encode(i16::MAX), 0xAA);
        assert_eq!(a_law_encode(i16::MIN), 0x2A);
    }

    #[test]
    fn laws_name_their_payload_types_and_silence() {
        assert_eq!((Law::Mu.payload_type(), Law::A.payload_type()), (0, 8));
        assert_eq!(Law::from_payload_type(8), Some(Law::A));
        assert_eq!(Law::from_payload_type(9), None);
        assert_eq!(Law::Mu.decode(Law::Mu.silence()), 0);
        assert_eq!(Law::A.decode(Law::A.silence()), 8);
        assert_eq!(Law::Mu.encode(0), Law::Mu.silence());
        assert_eq!(Law::A.encode(0), Law::A.silence());
    }

    proptest! {
        #[test]
        fn buffers_round_trip(codes in proptest::collection::vec(any::<u8>(), 0..400), cap in 0usize..400) {
            for law in [Law::A, Law::Mu] {
                let mut samples = vec![0i16; cap];
                let n = decode_into(law, &codes, &mut samples);
                prop_assert_eq!(n, codes.len().min(cap));
                let mut back = vec![0u8; n];
                prop_assert_eq!(encode_into(law, &samples[..n], &mut back), n);
                for (&code, &again) in codes.iter().zip(&back) {
                    let want = if law == Law::Mu && code == 0x7F { 0xFF } else { code };
                    prop_assert_eq!(again, want);
                }
            }
        }

        #[test]
        fn requantising_is_idempotent(x in any::<i16>()) {
            for law in [Law::A, Law::Mu] {
                let once = law.decode(law.encode(x));
                prop_assert_eq!(law.decode(law.encode(once)), once);
            }
        }
    }
}
