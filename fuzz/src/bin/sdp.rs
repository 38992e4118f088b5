//! AFL++ entry point of the `sdp` target; the body is `targets/sdp.rs`.

#[path = "../../targets/sdp.rs"]
mod target;

fn main() {
    afl::fuzz!(|data: &[u8]| target::run(data));
}
