//! AFL++ entry point of the `rtp_rtcp` target; the body is `targets/rtp_rtcp.rs`.

#[path = "../../targets/rtp_rtcp.rs"]
mod target;

fn main() {
    afl::fuzz!(|data: &[u8]| target::run(data));
}
