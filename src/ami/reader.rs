//! [`MessageReader`]: reads AMI lines and messages from any [`AsyncRead`] (a TCP read half in
//! production, an in-memory stream in tests). Reusable by a long-lived connection that follows
//! events as well as by the request/response session.

use tokio::io::{AsyncRead, AsyncReadExt};

use super::message::{Message, MessageParser, ParseError};

/// Bytes read from the socket per call.
const CHUNK: usize = 8 * 1024;

/// Why a read failed.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The underlying stream failed.
    #[error("read failed: {0}")]
    Io(#[from] std::io::Error),
    /// The peer sent something that is not AMI.
    #[error(transparent)]
    Parse(#[from] ParseError),
    /// The peer closed the connection in the middle of a message or line.
    #[error("connection closed in the middle of a message")]
    UnexpectedEof,
}

/// Reads AMI lines and messages from an [`AsyncRead`].
///
/// Both read methods are cancel-safe: bytes are moved into the parser only when a read completes,
/// so wrapping a call in `tokio::time::timeout` (or a `select!` branch) loses no data.
#[derive(Debug)]
pub struct MessageReader<R> {
    inner: R,
    parser: MessageParser,
}

impl<R: AsyncRead + Unpin> MessageReader<R> {
    /// A reader with the default message limit ([`super::message::MAX_MESSAGE_BYTES`]).
    pub fn new(inner: R) -> MessageReader<R> {
        MessageReader { inner, parser: MessageParser::new() }
    }

    /// A reader refusing messages longer than `limit` bytes.
    pub fn with_limit(inner: R, limit: usize) -> MessageReader<R> {
        MessageReader { inner, parser: MessageParser::with_limit(limit) }
    }

    /// Reads one line (e.g. the banner). `Ok(None)` when the peer closed before sending anything.
    pub async fn read_line(&mut self) -> Result<Option<String>, ReadError> {
        loop {
            if let Some(line) = self.parser.next_line()? {
                return Ok(Some(line));
            }
            if !self.fill().await? {
                return self.eof();
            }
        }
    }

    /// Reads the next message. `Ok(None)` when the peer closed the connection between messages.
    pub async fn read_message(&mut self) -> Result<Option<Message>, ReadError> {
        loop {
            if let Some(message) = self.parser.next_message()? {
                return Ok(Some(message));
            }
            if !self.fill().await? {
                return self.eof();
            }
        }
    }

    /// The underlying stream.
    pub fn get_ref(&self) -> &R {
        &self.inner
    }

    /// The underlying stream, mutably (reading from it directly desynchronises the parser).
    pub fn get_mut(&mut self) -> &mut R {
        &mut self.inner
    }

    /// The underlying stream; buffered bytes are dropped.
    pub fn into_inner(self) -> R {
        self.inner
    }

    /// Reads one chunk into the parser; `false` at end of stream.
    async fn fill(&mut self) -> Result<bool, ReadError> {
        let mut chunk = [0u8; CHUNK];
        let n = self.inner.read(&mut chunk).await?;
        self.parser.push(&chunk[..n]);
        Ok(n > 0)
    }

    fn eof<T>(&self) -> Result<Option<T>, ReadError> {
        if self.parser.has_partial() {
            Err(ReadError::UnexpectedEof)
        } else {
            Ok(None)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn reads_banner_and_messages_split_across_reads() {
        let (mut tx, rx) = tokio::io::duplex(16);
        let writer = tokio::spawn(async move {
            use tokio::io::AsyncWriteExt;
            tx.write_all(b"Asterisk Call Manager/2.10.6\r\nResponse: Success\r\nActionID: a\r\n\r\n")
                .await
                .expect("write");
            tx.write_all(b"Response: Follows\r\nPrivilege: Command\r\nActionID: b\r\nx\n--END COMMAND--\r\n\r\n")
                .await
                .expect("write");
        });
        let mut r = MessageReader::new(rx);
        assert_eq!(r.read_line().await.expect("line").as_deref(), Some("Asterisk Call Manager/2.10.6"));
        let first = r.read_message().await.expect("read").expect("message");
        assert_eq!(first.action_id(), Some("a"));
        let second = r.read_message().await.expect("read").expect("message");
        assert_eq!(second.command_output(), Some("x\n"));
        writer.await.expect("writer");
        assert!(r.read_message().await.expect("clean eof").is_none());
    }

    #[tokio::test]
    async fn eof_inside_a_message_is_an_error() {
        let mut r = MessageReader::new(&b"Response: Success\r\nActionID: 1\r\n"[..]);
        assert!(matches!(r.read_message().await, Err(ReadError::UnexpectedEof)));
    }

    #[tokio::test]
    async fn oversized_message_is_refused() {
        let big = format!("Event: Big\r\nData: {}\r\n\r\n", "x".repeat(300));
        let mut r = MessageReader::with_limit(big.as_bytes(), 256);
        assert!(matches!(r.read_message().await, Err(ReadError::Parse(ParseError::TooLarge { limit: 256 }))));
    }
}
