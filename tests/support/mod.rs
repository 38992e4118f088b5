//! An in-memory network of endpoints with a virtual clock: datagrams take 1 ms, any one of
//! them can be dropped or duplicated, and each endpoint has an application policy that reacts
//! to its call events. Tests run whole calls in microseconds, deterministically.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use callshard::session::{CallEvent, Endpoint, EndpointConfig, Output};
use callshard::transaction::TxConfig;

pub type Policy = Box<dyn FnMut(&mut Endpoint, &CallEvent, Instant)>;
/// Decides the fate of the n-th datagram sent.
pub type Filter = Box<dyn FnMut(usize, &Bytes) -> Fate>;

pub struct Node {
    pub addr: SocketAddr,
    pub ep: Endpoint,
    pub events: Vec<(Duration, CallEvent)>,
    policy: Policy,
}

/// What the filter does with the n-th datagram sent on the network.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fate {
    Deliver,
    Drop,
    Duplicate,
}

pub struct Net {
    pub t0: Instant,
    pub now: Instant,
    pub nodes: Vec<Node>,
    in_flight: VecDeque<(Instant, SocketAddr, SocketAddr, Bytes)>,
    /// Every datagram sent: time, from, to, bytes.
    pub log: Vec<(Duration, SocketAddr, SocketAddr, Bytes)>,
    pub filter: Filter,
    sent: usize,
}

pub fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

pub fn addr(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

impl Net {
    pub fn new() -> Net {
        let t0 = Instant::now();
        Net {
            t0,
            now: t0,
            nodes: Vec::new(),
            in_flight: VecDeque::new(),
            log: Vec::new(),
            filter: Box::new(|_, _| Fate::Deliver),
            sent: 0,
        }
    }

    /// Adds an endpoint at 127.0.0.1:`port` with a policy; returns its index.
    pub fn add(&mut self, port: u16, policy: Policy) -> usize {
        let mut cfg = EndpointConfig::new(addr(port));
        cfg.tx = TxConfig { trying_delay: Some(ms(200)), ..TxConfig::default() };
        cfg.rtp_ports = (port * 4, port * 4 + 100);
        self.add_with(cfg, policy)
    }

    pub fn add_with(&mut self, cfg: EndpointConfig, policy: Policy) -> usize {
        let addr = cfg.locals[0];
        self.nodes.push(Node { addr, ep: Endpoint::new(cfg, self.now), events: Vec::new(), policy });
        self.nodes.len() - 1
    }

    pub fn ep(&mut self, node: usize) -> &mut Endpoint {
        &mut self.nodes[node].ep
    }

    /// Runs a command on a node's endpoint now, then routes what it produced.
    pub fn act<R>(&mut self, node: usize, f: impl FnOnce(&mut Endpoint, Instant) -> R) -> R {
        let now = self.now;
        let r = f(&mut self.nodes[node].ep, now);
        self.flush(node);
        r
    }

    /// Drains a node's outputs: datagrams go on the wire, events to the log and the policy
    /// (whose commands may produce more outputs).
    fn flush(&mut self, node: usize) {
        loop {
            let outputs: Vec<Output> = self.nodes[node].ep.drain_outputs().collect();
            if outputs.is_empty() {
                return;
            }
            for o in outputs {
                match o {
                    Output::Transmit { to, data, .. } => self.send(node, to, data),
                    Output::Event(e) => {
                        let n = &mut self.nodes[node];
                        n.events.push((self.now - self.t0, e.clone()));
                        (n.policy)(&mut n.ep, &e, self.now);
                    }
                }
            }
        }
    }

    /// Puts a datagram from outside (a test's hand-written message) on the wire.
    pub fn inject(&mut self, from: SocketAddr, to: SocketAddr, data: Bytes) {
        self.in_flight.push_back((self.now + ms(1), from, to, data));
    }

    fn send(&mut self, node: usize, to: SocketAddr, data: Bytes) {
        let from = self.nodes[node].addr;
        let n = self.sent;
        self.sent += 1;
        self.log.push((self.now - self.t0, from, to, data.clone()));
        match (self.filter)(n, &data) {
            Fate::Drop => {}
            Fate::Deliver => self.in_flight.push_back((self.now + ms(1), from, to, data)),
            Fate::Duplicate => {
                self.in_flight.push_back((self.now + ms(1), from, to, data.clone()));
                self.in_flight.push_back((self.now + ms(2), from, to, data));
            }
        }
    }

    /// Advances the clock by `d`, delivering datagrams and firing timers in time order.
    pub fn run_for(&mut self, d: Duration) {
        let end = self.now + d;
        loop {
            let next_delivery = self.in_flight.iter().map(|f| f.0).min();
            let next_timer = self.nodes.iter().filter_map(|n| n.ep.next_deadline()).min();
            let next = [next_delivery, next_timer].into_iter().flatten().min();
            match next {
                Some(t) if t <= end => self.now = self.now.max(t),
                _ => break,
            }
            while let Some(pos) = self.in_flight.iter().position(|f| f.0 <= self.now) {
                let (_, from, to, data) = self.in_flight.remove(pos).unwrap();
                if let Some(i) = self.nodes.iter().position(|n| n.addr == to) {
                    self.nodes[i].ep.on_datagram(data, from, self.now);
                    self.flush(i);
                }
            }
            for i in 0..self.nodes.len() {
                if self.nodes[i].ep.next_deadline().is_some_and(|t| t <= self.now) {
                    self.nodes[i].ep.on_timer(self.now);
                    self.flush(i);
                }
            }
        }
        self.now = end;
    }

    /// The events of a node, without times.
    pub fn events(&self, node: usize) -> Vec<CallEvent> {
        self.nodes[node].events.iter().map(|(_, e)| e.clone()).collect()
    }

    /// First lines of every datagram sent, in order: a readable call-flow transcript.
    pub fn transcript(&self) -> Vec<String> {
        self.log
            .iter()
            .map(|(_, from, to, d)| {
                let line = d.split(|&b| b == b'\r').next().unwrap_or_default();
                format!("{}->{} {}", from.port(), to.port(), String::from_utf8_lossy(line))
            })
            .collect()
    }
}

/// A policy that does nothing.
pub fn idle() -> Policy {
    Box::new(|_, _, _| {})
}
