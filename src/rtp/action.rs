//! What callshard does with a call's media once it is answered: the media action of `serve`
//! (`--media`, and per route) and of an application's answer.

use std::fmt;
use std::str::FromStr;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum MediaAction {
    /// Receive and count, send nothing (the SDP still names a live port).
    #[default]
    None,
    /// Send back what arrives, payload untouched, as our own stream.
    Echo,
    /// Play a 440 Hz tone in the negotiated codec at the negotiated packet time.
    Tone,
    /// Send silence at the packet rate, as a phone with its microphone muted does.
    Silence,
}

impl MediaAction {
    /// Whether the action sends on a clock of its own (tone and silence) rather than in step
    /// with what arrives (echo) or not at all.
    pub fn is_paced(self) -> bool {
        matches!(self, MediaAction::Tone | MediaAction::Silence)
    }
}

impl MediaAction {
    /// The action a call with these parameters can carry out: tone and silence are written
    /// in G.711, so with another codec nothing is sent.
    pub fn for_params(self, params: &super::MediaParams) -> MediaAction {
        match (self.is_paced(), params.g711) {
            (true, false) => MediaAction::None,
            _ => self,
        }
    }
}

impl FromStr for MediaAction {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "none" => Ok(MediaAction::None),
            "echo" => Ok(MediaAction::Echo),
            "tone" => Ok(MediaAction::Tone),
            "silence" => Ok(MediaAction::Silence),
            other => Err(format!("unknown media action '{other}' (expected echo, tone, silence or none)")),
        }
    }
}

impl fmt::Display for MediaAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MediaAction::None => "none",
            MediaAction::Echo => "echo",
            MediaAction::Tone => "tone",
            MediaAction::Silence => "silence",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::MediaAction;

    #[test]
    fn names_round_trip_and_unknown_ones_say_what_is_expected() {
        for a in [MediaAction::None, MediaAction::Echo, MediaAction::Tone, MediaAction::Silence] {
            assert_eq!(a.to_string().parse::<MediaAction>(), Ok(a));
        }
        let e = "music".parse::<MediaAction>().unwrap_err();
        assert!(e.contains("'music'") && e.contains("echo, tone, silence or none"), "{e}");
        assert!(MediaAction::Tone.is_paced() && !MediaAction::Echo.is_paced());
    }
}
