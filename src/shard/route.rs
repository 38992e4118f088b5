//! The route table of `callshard serve`: which answer a call gets, by the user part of its
//! Request-URI. `PATTERN=ACTION[,media=MEDIA]`: a pattern is a user part, or a prefix ending
//! in `*` (`1*`), or `*` alone for any other user; the first route added that matches wins. A
//! route without `media=` uses the server's `--media`.

use std::fmt;

use crate::rtp::MediaAction;

/// What the server does with a new call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// 180, then 200 at once.
    Answer,
    /// 200 at once, no 180: the same datagrams as a stateless responder sends.
    Ok,
    /// 180, then 200 after this many milliseconds.
    Ring(u32),
    /// 180 and nothing more: the caller cancels or gives up.
    Ringing,
    /// 183 with SDP, then 200 after this many milliseconds.
    Early(u32),
    /// A final 3xx-6xx response.
    Reject(u16),
}

/// Why a `--route` value was refused: the one-line error of the command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RouteError(pub String);

impl fmt::Display for RouteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for Action {
    type Err = RouteError;

    fn from_str(s: &str) -> Result<Action, RouteError> {
        let number = |v: &str, what: &str| {
            v.parse::<u32>().map_err(|_| RouteError(format!("bad {what} in action `{s}`: `{v}` is not a number")))
        };
        match s.split_once(':') {
            None if s == "answer" => Ok(Action::Answer),
            None if s == "ok" => Ok(Action::Ok),
            None if s == "ringing" => Ok(Action::Ringing),
            Some(("ring", ms)) => Ok(Action::Ring(number(ms, "delay")?)),
            Some(("early", ms)) => Ok(Action::Early(number(ms, "delay")?)),
            Some(("reject", code)) => match number(code, "status code")? {
                code @ 300..=699 => Ok(Action::Reject(code as u16)),
                code => Err(RouteError(format!("reject code {code} is not a final failure (300-699)"))),
            },
            _ => Err(RouteError(format!("unknown action `{s}` (answer, ok, ring:MS, ringing, early:MS, reject:CODE)"))),
        }
    }
}

/// What a route says: the answer, and the media action if it names one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Route {
    pub action: Action,
    pub media: Option<MediaAction>,
}

impl From<Action> for Route {
    fn from(action: Action) -> Route {
        Route { action, media: None }
    }
}

/// Routes by exact user part, in order, with a catch-all.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Routes {
    /// Patterns in the order they were added: a user part, or a prefix ending in `*`.
    exact: Vec<(Vec<u8>, Route)>,
    default: Route,
}

impl Default for Routes {
    /// `*=answer`, `busy=reject:486`, `slow=ringing`, `early=early:1000`.
    fn default() -> Self {
        Routes {
            exact: vec![
                (b"busy".to_vec(), Action::Reject(486).into()),
                (b"slow".to_vec(), Action::Ringing.into()),
                (b"early".to_vec(), Action::Early(1000).into()),
            ],
            default: Action::Answer.into(),
        }
    }
}

impl Routes {
    /// Adds `PATTERN=ACTION[,media=MEDIA]`, replacing a built-in route with the same pattern.
    pub fn add(&mut self, spec: &str) -> Result<(), RouteError> {
        let (pattern, rest) =
            spec.split_once('=').ok_or_else(|| RouteError(format!("route `{spec}` is not PATTERN=ACTION")))?;
        let (action, media) = match rest.split_once(',') {
            None => (rest, None),
            Some((action, option)) => match option.split_once('=') {
                Some(("media", m)) => (action, Some(m.parse::<MediaAction>().map_err(RouteError)?)),
                _ => return Err(RouteError(format!("route `{spec}`: unknown option `{option}` (media=MEDIA)"))),
            },
        };
        let action = Route { action: action.parse()?, media };
        if pattern.is_empty() {
            return Err(RouteError(format!("route `{spec}` has an empty pattern")));
        }
        if pattern == "*" {
            self.default = action;
        } else {
            self.exact.retain(|(p, _)| p != pattern.as_bytes());
            self.exact.push((pattern.as_bytes().to_vec(), action));
        }
        Ok(())
    }

    /// The route for a Request-URI user part (`None`: no user part).
    pub fn route_for(&self, user: Option<&[u8]>) -> Route {
        let matches = |p: &[u8], u: &[u8]| match p.split_last() {
            Some((b'*', prefix)) => u.starts_with(prefix),
            _ => p == u,
        };
        user.and_then(|u| self.exact.iter().find(|(p, _)| matches(p, u))).map_or(self.default, |(_, r)| *r)
    }

    /// The answer for a Request-URI user part.
    pub fn action_for(&self, user: Option<&[u8]>) -> Action {
        self.route_for(user).action
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_ins_and_overrides() {
        let mut r = Routes::default();
        assert_eq!(r.action_for(Some(b"anyone")), Action::Answer);
        assert_eq!(r.action_for(Some(b"busy")), Action::Reject(486));
        assert_eq!(r.action_for(Some(b"slow")), Action::Ringing);
        assert_eq!(r.action_for(Some(b"early")), Action::Early(1000));
        assert_eq!(r.action_for(None), Action::Answer);
        r.add("busy=reject:600").unwrap();
        r.add("*=ring:250").unwrap();
        r.add("ivr=early:0").unwrap();
        r.add("fast=ok").unwrap();
        assert_eq!(r.action_for(Some(b"fast")), Action::Ok);
        assert_eq!(r.action_for(Some(b"busy")), Action::Reject(600));
        assert_eq!(r.action_for(Some(b"x")), Action::Ring(250));
        assert_eq!(r.action_for(Some(b"ivr")), Action::Early(0));
    }

    #[test]
    fn bad_routes_say_why() {
        let mut r = Routes::default();
        assert!(r.add("busy").unwrap_err().0.contains("PATTERN=ACTION"));
        assert!(r.add("x=reject:200").unwrap_err().0.contains("300-699"));
        assert!(r.add("x=ring:soon").unwrap_err().0.contains("not a number"));
        assert!(r.add("x=dance").unwrap_err().0.contains("unknown action"));
        assert!(r.add("=answer").unwrap_err().0.contains("empty pattern"));
        assert!(r.add("x=answer,media=music").unwrap_err().0.contains("unknown media action 'music'"));
        assert!(r.add("x=answer,codec=pcmu").unwrap_err().0.contains("unknown option `codec=pcmu`"));
    }

    #[test]
    fn a_route_may_name_its_media() {
        let mut r = Routes::default();
        r.add("1*=answer,media=tone").unwrap();
        r.add("*=ok,media=echo").unwrap();
        assert_eq!(r.route_for(Some(b"1234")), Route { action: Action::Answer, media: Some(MediaAction::Tone) });
        assert_eq!(r.route_for(Some(b"1")), Route { action: Action::Answer, media: Some(MediaAction::Tone) });
        assert_eq!(r.route_for(Some(b"x")), Route { action: Action::Ok, media: Some(MediaAction::Echo) });
        assert_eq!(r.route_for(Some(b"busy")).media, None);
    }
}
