//! Asterisk Manager Interface (AMI) client.
//!
//! Owns the AMI wire format ([`message`]: encoding actions, parsing responses and events, including
//! the legacy `Response: Follows` command reply of Asterisk 13 and older), a reusable
//! [`MessageReader`] over any `AsyncRead`, [`AmiSession`]: a TCP connection that reads the banner,
//! logs in, runs actions such as `Command` (`dialplan reload`, `sip reload`) and logs off, each step
//! bounded by a timeout, or follows the event stream; and [`registration`]: the peer lists and
//! registration events parsed into plain structs.
//!
//! Depends on tokio and thiserror only: no storage, service, HTTP or UI code, and no other module
//! of this crate, so it can be used (and tested) on its own.

mod client;
mod error;
pub mod message;
pub mod reader;
pub mod registration;

pub use client::{run_commands, AmiConfig, AmiSession, BANNER_PREFIX};
pub use error::{AmiError, Stage};
pub use message::{EncodeError, Message, MessageParser, ParseError, MAX_MESSAGE_BYTES};
pub use reader::{MessageReader, ReadError};
