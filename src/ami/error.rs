//! [`AmiError`]: what went wrong talking to an Asterisk, naming the server (`host:port`) and the
//! [`Stage`] it happened in. No variant ever holds the login secret.

use std::fmt;
use std::time::Duration;

use super::message::EncodeError;

/// The step of a session an error happened in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stage {
    /// Opening the TCP connection.
    Connect,
    /// Reading the `Asterisk Call Manager/x.y.z` greeting.
    Banner,
    /// The `Login` action.
    Login,
    /// A `Command` action running this CLI command.
    Command(String),
    /// The `Logoff` action.
    Logoff,
    /// Another action (e.g. `SIPpeers`, `Ping`) sent on an event session.
    Action(String),
    /// Following the event stream of an event session.
    Events,
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Stage::Connect => f.write_str("connect"),
            Stage::Banner => f.write_str("banner"),
            Stage::Login => f.write_str("login"),
            Stage::Command(cli) => write!(f, "command `{cli}`"),
            Stage::Logoff => f.write_str("logoff"),
            Stage::Action(name) => write!(f, "action `{name}`"),
            Stage::Events => f.write_str("events"),
        }
    }
}

/// An AMI failure. `Display` reads like `AMI 10.0.0.5:5038: login rejected: Authentication failed`.
#[derive(Debug, thiserror::Error)]
pub enum AmiError {
    /// The TCP connection could not be opened (refused, unreachable, name not resolved).
    #[error("AMI {addr}: connect: {source}")]
    Connect {
        /// `host:port`.
        addr: String,
        /// The socket error.
        source: std::io::Error,
    },
    /// No answer within the configured timeout.
    #[error("AMI {addr}: {stage}: no answer within {after:?}")]
    Timeout {
        /// `host:port`.
        addr: String,
        /// Where it stalled.
        stage: Stage,
        /// The configured timeout.
        after: Duration,
    },
    /// Asterisk answered the `Login` with `Response: Error`.
    #[error("AMI {addr}: login rejected: {message}")]
    LoginRejected {
        /// `host:port`.
        addr: String,
        /// Asterisk's `Message` (e.g. `Authentication failed`).
        message: String,
    },
    /// The command was refused (`Response: Error`) or is unknown to Asterisk (`No such command ...`,
    /// e.g. `sip reload` without `chan_sip` loaded).
    #[error("AMI {addr}: command `{command}` failed: {message}")]
    CommandFailed {
        /// `host:port`.
        addr: String,
        /// The CLI command.
        command: String,
        /// Asterisk's message or the first line of its output.
        message: String,
    },
    /// The server closed the connection before answering.
    #[error("AMI {addr}: {stage}: connection closed by the server")]
    Closed {
        /// `host:port`.
        addr: String,
        /// What was awaited.
        stage: Stage,
    },
    /// Reading or writing the socket failed.
    #[error("AMI {addr}: {stage}: {source}")]
    Io {
        /// `host:port`.
        addr: String,
        /// What was under way.
        stage: Stage,
        /// The socket error.
        source: std::io::Error,
    },
    /// The server sent something that is not the expected AMI answer.
    #[error("AMI {addr}: {stage}: protocol error: {detail}")]
    Protocol {
        /// `host:port`.
        addr: String,
        /// What was under way.
        stage: Stage,
        /// What was wrong.
        detail: String,
    },
    /// An action could not be encoded (a value with a line break, i.e. header injection); nothing was
    /// sent.
    #[error("AMI {addr}: {stage}: refused to send: {source}")]
    InvalidAction {
        /// `host:port`.
        addr: String,
        /// The action refused.
        stage: Stage,
        /// Which header was refused.
        source: EncodeError,
    },
}

impl AmiError {
    /// The stage the error happened in.
    pub fn stage(&self) -> Stage {
        match self {
            AmiError::Connect { .. } => Stage::Connect,
            AmiError::LoginRejected { .. } => Stage::Login,
            AmiError::CommandFailed { command, .. } => Stage::Command(command.clone()),
            AmiError::Timeout { stage, .. }
            | AmiError::Closed { stage, .. }
            | AmiError::Io { stage, .. }
            | AmiError::Protocol { stage, .. }
            | AmiError::InvalidAction { stage, .. } => stage.clone(),
        }
    }

    /// The server's `host:port`.
    pub fn addr(&self) -> &str {
        match self {
            AmiError::Connect { addr, .. }
            | AmiError::Timeout { addr, .. }
            | AmiError::LoginRejected { addr, .. }
            | AmiError::CommandFailed { addr, .. }
            | AmiError::Closed { addr, .. }
            | AmiError::Io { addr, .. }
            | AmiError::Protocol { addr, .. }
            | AmiError::InvalidAction { addr, .. } => addr,
        }
    }

    /// Replaces `secret` wherever a server-supplied text holds it (a hostile or broken server could
    /// echo it back), so the error can be logged safely.
    pub(crate) fn redact(mut self, secret: &str) -> AmiError {
        if secret.is_empty() {
            return self;
        }
        match &mut self {
            AmiError::LoginRejected { message: text, .. }
            | AmiError::CommandFailed { message: text, .. }
            | AmiError::Protocol { detail: text, .. }
                if text.contains(secret) =>
            {
                *text = text.replace(secret, "[redacted]");
            }
            _ => {}
        }
        self
    }
}
