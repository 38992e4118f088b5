pub mod scratch;
pub mod server;
pub mod sipp_uas;
pub mod stream;
