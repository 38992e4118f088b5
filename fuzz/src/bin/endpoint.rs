//! AFL++ entry point of the `endpoint` target; the body is `targets/endpoint.rs`.

#[path = "../../targets/endpoint.rs"]
mod target;

fn main() {
    afl::fuzz!(|data: &[u8]| target::run(data));
}
