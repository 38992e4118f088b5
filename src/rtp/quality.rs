//! A listening-quality estimate for a call's end report: the E-model of ITU-T G.107 reduced
//! to what a media end point measures (one-way delay, packet loss; G.711's equipment
//! impairment is zero), mapped to a MOS. It ranks calls; it is not a listening test.

/// G.107's default rating with no impairment (R0 - Is with the default parameters).
const R_DEFAULT: f64 = 93.2;

/// Packet-loss robustness `Bpl` of G.711 with packet loss concealment (G.113 Appendix I).
pub const G711_PLC_ROBUSTNESS: f64 = 25.1;
/// `Bpl` of G.711 without concealment: every lost frame is silence.
pub const G711_NO_PLC_ROBUSTNESS: f64 = 4.3;

/// The transmission rating R for a one-way mouth-to-ear delay and a share of packets lost
/// at random (`loss` in 0..=1), for a codec of equipment impairment `ie` and robustness `bpl`.
pub fn rating(one_way_delay_ms: f64, loss: f64, ie: f64, bpl: f64) -> f64 {
    let d = one_way_delay_ms.max(0.0);
    // Delay impairment Id: G.107's curve as commonly approximated (Cole and Rosenbluth,
    // 2001): flat slope, steeper past 177.3 ms where conversation starts to suffer.
    let id = 0.024 * d + if d > 177.3 { 0.11 * (d - 177.3) } else { 0.0 };
    // G.107 7.2: effective equipment impairment under random loss (BurstR = 1), Ppl in %.
    let ppl = loss.clamp(0.0, 1.0) * 100.0;
    let ie_eff = ie + (95.0 - ie) * ppl / (ppl + bpl);
    R_DEFAULT - id - ie_eff
}

/// G.107 Annex B: the MOS (conversational quality, 1 to 4.5) for a rating R.
pub fn mos_from_rating(r: f64) -> f64 {
    if r <= 0.0 {
        1.0
    } else if r >= 100.0 {
        4.5
    } else {
        1.0 + 0.035 * r + r * (r - 60.0) * (100.0 - r) * 7.0e-6
    }
}

/// The MOS estimate of a G.711 call with concealment, from what the call's statistics hold.
pub fn g711_mos(one_way_delay_ms: f64, loss: f64) -> f64 {
    mos_from_rating(rating(one_way_delay_ms, loss, 0.0, G711_PLC_ROBUSTNESS))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_perfect_g711_call_rates_4_41() {
        // G.107's default R of 93.2 maps to the well-known 4.41.
        assert!((g711_mos(0.0, 0.0) - 4.41).abs() < 0.005, "{}", g711_mos(0.0, 0.0));
    }

    #[test]
    fn loss_and_delay_lower_the_score_monotonically() {
        let mut last = g711_mos(0.0, 0.0);
        for loss in [0.01, 0.02, 0.05, 0.1, 0.2] {
            let m = g711_mos(20.0, loss);
            assert!(m < last, "{loss}: {m} !< {last}");
            last = m;
        }
        assert!(g711_mos(400.0, 0.0) < g711_mos(150.0, 0.0));
        // G.113: 5 % random loss with concealment costs G.711 about 15 R points.
        let r = rating(0.0, 0.05, 0.0, G711_PLC_ROBUSTNESS);
        assert!((r - (93.2 - 95.0 * 5.0 / 30.1)).abs() < 1e-9);
    }

    #[test]
    fn the_scale_is_bounded() {
        assert_eq!(mos_from_rating(-5.0), 1.0);
        assert_eq!(mos_from_rating(120.0), 4.5);
        assert!(g711_mos(10_000.0, 1.0) >= 1.0);
    }
}
