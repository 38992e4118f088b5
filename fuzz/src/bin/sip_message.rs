//! AFL++ entry point of the `sip_message` target; the body is `targets/sip_message.rs`.

#[path = "../../targets/sip_message.rs"]
mod target;

fn main() {
    afl::fuzz!(|data: &[u8]| target::run(data));
}
