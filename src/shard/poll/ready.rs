//! Which of a poll shard's sockets to read next, so that a turn costs what is ready, not what
//! is bound: a shard may hold thousands of media ports, most of them quiet. The SIP sockets
//! are in the `ppoll` set themselves; media sockets are in one epoll set (level-triggered)
//! whose descriptor the `ppoll` watches, and `epoll_wait` names the ready ones.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

/// Ready sockets taken from the epoll set per `epoll_wait`.
const EVENTS: usize = 256;

pub struct Ready {
    /// Per socket: in `list` (the last read was full or a poll said so).
    more: Vec<bool>,
    list: Vec<u32>,
    epoll: Option<OwnedFd>,
    events: Vec<libc::epoll_event>,
    /// The last `epoll_wait` filled its buffer: more media sockets may be ready.
    poll_again: bool,
}

impl Ready {
    /// `sockets` SIP sockets, all to be read on the first turn.
    pub fn new(sockets: usize) -> Ready {
        let list = (0..sockets as u32).collect();
        Ready { more: vec![true; sockets], list, epoll: None, events: Vec::new(), poll_again: false }
    }

    /// Socket `i` may hold datagrams: read it next turn.
    pub fn mark(&mut self, i: u32) {
        if let Some(m) = self.more.get_mut(i as usize).filter(|m| !**m) {
            *m = true;
            self.list.push(i);
        }
    }

    /// The sockets to read now; each is unmarked, and must be marked again if it has more.
    pub fn take(&mut self, into: &mut Vec<u32>) {
        if self.poll_again {
            self.poll_media();
        }
        into.clear();
        std::mem::swap(into, &mut self.list);
        for &i in into.iter() {
            self.more[i as usize] = false;
        }
    }

    /// Adds media socket `i` (descriptor `fd`) to the epoll set; returns the epoll set's
    /// descriptor when it was just created, for the caller to `ppoll` on.
    pub fn add(&mut self, i: u32, fd: RawFd) -> io::Result<Option<RawFd>> {
        let created = match &self.epoll {
            Some(_) => None,
            None => {
                // SAFETY: plain system call; a valid descriptor is owned from here on.
                let epfd = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
                if epfd < 0 {
                    return Err(io::Error::last_os_error());
                }
                // SAFETY: `epfd` was just returned by epoll_create1 and nothing else owns it.
                self.epoll = Some(unsafe { OwnedFd::from_raw_fd(epfd) });
                self.events = vec![libc::epoll_event { events: 0, u64: 0 }; EVENTS];
                Some(epfd)
            }
        };
        let epfd = self.epoll.as_ref().map_or(-1, |e| e.as_raw_fd());
        let mut event = libc::epoll_event { events: libc::EPOLLIN as u32, u64: u64::from(i) };
        // SAFETY: live descriptors and a live event; the kernel copies the event.
        if unsafe { libc::epoll_ctl(epfd, libc::EPOLL_CTL_ADD, fd, &mut event) } < 0 {
            return Err(io::Error::last_os_error());
        }
        if self.more.len() <= i as usize {
            self.more.resize(i as usize + 1, false);
        }
        // Read at once: datagrams may have come between the bind and now.
        self.mark(i);
        Ok(created)
    }

    /// Marks the media sockets the epoll set says are readable (without waiting). One
    /// `epoll_wait` per call: the set is level-triggered, so asking again before the ready
    /// sockets are read would name the same ones forever. When it came back full, the next
    /// [`Ready::take`] asks again for the rest.
    pub fn poll_media(&mut self) {
        let Some(epfd) = self.epoll.as_ref().map(|e| e.as_raw_fd()) else { return };
        // SAFETY: `events` is a live buffer of EVENTS entries the kernel writes into.
        let n = unsafe { libc::epoll_wait(epfd, self.events.as_mut_ptr(), EVENTS as i32, 0) };
        for k in 0..n.max(0) as usize {
            let i = self.events[k].u64 as u32;
            self.mark(i);
        }
        self.poll_again = n == EVENTS as i32;
    }
}
