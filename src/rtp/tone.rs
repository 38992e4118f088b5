//! A sine tone as G.711 frames: ringback, a test tone, a "you are connected" beep.
//!
//! The oscillator is a 32-bit phase accumulator over a one-period sine table built at compile
//! time, with linear interpolation between entries. A frequency rarely divides the 8000 Hz
//! sample rate (8000/440 = 18.18 samples a period), so the phase lives in the generator and
//! carries over from one frame to the next: frames join without a click, and the tone drifts
//! by less than 1/2^32 of a period a sample. Integer arithmetic only, per sample.

use super::g711::Law;

/// G.711 is defined at 8000 samples a second (RFC 3551 4.5.14).
pub const SAMPLE_RATE: u32 = 8000;

/// The peak of a 0 dBm0 sine in 16-bit linear. G.711 puts the full-scale sine at +3.17 dBm0
/// (µ-law, peak 32636) and +3.14 dBm0 (A-law, peak 32768); 22 700 is within 0.03 dB of both.
const ZERO_DBM0_PEAK: f64 = 22_700.0;

const TABLE_BITS: u32 = 10;
const TABLE_LEN: usize = 1 << TABLE_BITS;
/// One period of sine, peak 32767.
static SINE: [i16; TABLE_LEN] = sine_table();

/// A tone generator for one stream. Clone it to start another stream at the same phase.
#[derive(Clone, Debug)]
pub struct ToneGenerator {
    law: Law,
    /// The phase, a full period being 2^32.
    phase: u32,
    /// The phase step per sample: frequency × 2^32 / 8000.
    increment: u32,
    /// The peak in 16-bit linear.
    amplitude: i32,
    /// Samples per frame.
    frame_len: usize,
}

impl ToneGenerator {
    /// A tone of `frequency_hz` at `level_dbm0` (e.g. -10.0) encoded with `law`, in frames of
    /// `ptime_ms`. Frequencies of 4000 Hz and above alias, as any 8 kHz signal would; levels
    /// above +3.1 dBm0 clip at full scale.
    pub fn new(frequency_hz: u32, level_dbm0: f64, law: Law, ptime_ms: u32) -> ToneGenerator {
        let increment = ((u64::from(frequency_hz) << 32) + u64::from(SAMPLE_RATE / 2)) / u64::from(SAMPLE_RATE);
        let peak = ZERO_DBM0_PEAK * 10f64.powf(level_dbm0 / 20.0);
        let frame_len = u64::from(ptime_ms) * u64::from(SAMPLE_RATE) / 1000;
        ToneGenerator {
            law,
            phase: 0,
            increment: increment as u32, // mod 2^32: a whole number of periods a sample is none
            amplitude: peak.clamp(0.0, 32767.0) as i32,
            frame_len: usize::try_from(frame_len).unwrap_or(usize::MAX),
        }
    }

    /// 440 Hz at -10 dBm0 in 20 ms frames: a dial-tone-like test tone (ITU-T E.180 puts
    /// call-progress tones between 400 and 450 Hz).
    pub fn a440(law: Law) -> ToneGenerator {
        ToneGenerator::new(440, -10.0, law, 20)
    }

    /// Samples (and so bytes) per frame: 160 at 20 ms.
    pub fn frame_len(&self) -> usize {
        self.frame_len
    }

    /// The law the frames are encoded with; its [`Law::payload_type`] goes in the RTP header.
    pub fn law(&self) -> Law {
        self.law
    }

    /// The next linear sample.
    #[inline]
    pub fn next_sample(&mut self) -> i16 {
        let index = (self.phase >> (32 - TABLE_BITS)) as usize;
        let fraction = i32::from((self.phase >> (16 - TABLE_BITS)) as u16); // the next 16 bits
        let here = i32::from(SINE[index]);
        let next = i32::from(SINE[(index + 1) % TABLE_LEN]);
        let sine = here + (((next - here) * fraction) >> 16);
        self.phase = self.phase.wrapping_add(self.increment);
        ((sine * self.amplitude) >> 15) as i16
    }

    /// Fill `samples` with the next linear samples.
    pub fn fill(&mut self, samples: &mut [i16]) {
        samples.iter_mut().for_each(|s| *s = self.next_sample());
    }

    /// Write the next frame, encoded, at the start of `out`; returns the bytes written: the
    /// frame length, or less if `out` is shorter (the phase then moves on by what was written).
    pub fn next_frame(&mut self, out: &mut [u8]) -> usize {
        let n = self.frame_len.min(out.len());
        let law = self.law;
        out[..n].iter_mut().for_each(|code| *code = law.encode(self.next_sample()));
        n
    }
}

/// sin(2πi/1024) × 32767 for one period, from a quarter wave by symmetry.
const fn sine_table() -> [i16; TABLE_LEN] {
    let quarter = TABLE_LEN / 4;
    let mut table = [0i16; TABLE_LEN];
    let mut i = 0;
    while i < TABLE_LEN {
        let in_half = i % (TABLE_LEN / 2);
        let folded = if in_half > quarter { TABLE_LEN / 2 - in_half } else { in_half };
        let x = folded as f64 * core::f64::consts::FRAC_PI_2 / quarter as f64;
        let value = (quarter_sine(x) * 32767.0 + 0.5) as i16;
        table[i] = if i >= TABLE_LEN / 2 { -value } else { value };
        i += 1;
    }
    table
}

/// sin(x) for x in [0, π/2] by its Taylor series to x^21: the error is below 1e-15.
const fn quarter_sine(x: f64) -> f64 {
    let mut term = x;
    let mut sum = x;
    let mut n = 1;
    while n <= 10 {
        term = -term * x * x / ((2 * n) * (2 * n + 1)) as f64;
        sum += term;
        n += 1;
    }
    sum
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rtp::g711::decode_into;
    use std::f64::consts::PI;

    /// The power of `frequency` in `samples` by the Goertzel recurrence, normalised so a
    /// sine of peak A gives about (A·N/2)².
    fn goertzel(samples: &[i16], frequency: f64) -> f64 {
        let coefficient = 2.0 * (2.0 * PI * frequency / f64::from(SAMPLE_RATE)).cos();
        let (mut s1, mut s2) = (0.0, 0.0);
        for &x in samples {
            let s0 = f64::from(x) + coefficient * s1 - s2;
            (s2, s1) = (s1, s0);
        }
        s1 * s1 + s2 * s2 - coefficient * s1 * s2
    }

    fn decoded(generator: &mut ToneGenerator, frames: usize) -> Vec<i16> {
        let mut samples = Vec::new();
        let mut frame = vec![0u8; generator.frame_len()];
        let mut linear = vec![0i16; generator.frame_len()];
        for _ in 0..frames {
            assert_eq!(generator.next_frame(&mut frame), 160);
            decode_into(generator.law(), &frame, &mut linear);
            samples.extend_from_slice(&linear);
        }
        samples
    }

    #[test]
    fn the_table_is_a_sine() {
        for (i, &value) in SINE.iter().enumerate() {
            let want = (2.0 * PI * i as f64 / TABLE_LEN as f64).sin() * 32767.0;
            assert!((f64::from(value) - want).abs() <= 0.5, "entry {i}: {value} vs {want}");
        }
    }

    #[test]
    fn frames_continue_the_phase_of_one_long_generation() {
        let mut framed = ToneGenerator::a440(Law::Mu);
        let mut frames = [0u8; 480];
        for chunk in frames.chunks_mut(160) {
            assert_eq!(framed.next_frame(chunk), 160);
        }
        let mut long = ToneGenerator::a440(Law::Mu);
        let mut samples = [0i16; 480];
        long.fill(&mut samples);
        let mut codes = [0u8; 480];
        crate::rtp::g711::encode_into(Law::Mu, &samples, &mut codes);
        assert_eq!(frames, codes);
        // And both are the sine itself, sample by sample, across the frame boundaries.
        for (n, &sample) in samples.iter().enumerate() {
            let want = 7178.0 * (2.0 * PI * 440.0 * n as f64 / 8000.0).sin();
            assert!((f64::from(sample) - want).abs() < 2.0, "sample {n}: {sample} vs {want:.1}");
        }
    }

    #[test]
    fn the_energy_is_at_440_hz() {
        for law in [Law::Mu, Law::A] {
            let samples = decoded(&mut ToneGenerator::a440(law), 50); // one second
            let at_440 = goertzel(&samples, 440.0);
            for other in [350.0, 400.0, 480.0, 880.0, 1000.0] {
                let ratio_db = 10.0 * (at_440 / goertzel(&samples, other)).log10();
                assert!(ratio_db > 30.0, "{law:?}: 440 Hz only {ratio_db:.1} dB above {other} Hz");
            }
            // Two zero crossings a period: 880 in one second.
            let crossings = samples.windows(2).filter(|w| (w[0] < 0) != (w[1] < 0)).count();
            assert!((878..=882).contains(&crossings), "{law:?}: {crossings} zero crossings");
        }
    }

    #[test]
    fn the_level_follows_dbm0() {
        let rms = |generator: &mut ToneGenerator| {
            let samples = decoded(generator, 50);
            (samples.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / samples.len() as f64).sqrt()
        };
        let at_minus_10 = rms(&mut ToneGenerator::a440(Law::A));
        assert!((at_minus_10 - 7178.0 / 2f64.sqrt()).abs() < 60.0, "rms {at_minus_10}");
        let at_minus_30 = rms(&mut ToneGenerator::new(440, -30.0, Law::A, 20));
        let difference_db = 20.0 * (at_minus_10 / at_minus_30).log10();
        assert!((difference_db - 20.0).abs() < 0.3, "{difference_db} dB");
    }

    #[test]
    fn short_buffers_and_odd_settings_do_not_panic() {
        let mut generator = ToneGenerator::new(12_000, 20.0, Law::Mu, 30);
        assert_eq!(generator.frame_len(), 240);
        assert_eq!(generator.next_frame(&mut [0u8; 100]), 100);
        let mut silent = ToneGenerator::new(0, -200.0, Law::A, u32::MAX);
        let mut frame = [0u8; 160];
        assert_eq!(silent.next_frame(&mut frame), 160);
        assert!(frame.iter().all(|&c| c == Law::A.silence()));
    }
}
