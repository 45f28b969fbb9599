//! The AMI wire format: a message is an ordered list of `Key: value` header lines ended by a blank
//! line. Actions are encoded here, and an incremental [`MessageParser`] turns received bytes into
//! [`Message`]s, including the legacy `Response: Follows` command reply of Asterisk 13 and older,
//! whose raw CLI output runs until `--END COMMAND--`.

use std::fmt;

/// The largest message (or line) the parser buffers: 1 MiB. A peer that sends more without ending
/// the message gets [`ParseError::TooLarge`].
pub const MAX_MESSAGE_BYTES: usize = 1024 * 1024;

/// The line that ends the raw output of a legacy (`Response: Follows`) command reply.
const END_COMMAND: &[u8] = b"--END COMMAND--";

/// Header names whose values are replaced by `[redacted]` when a message is debug-printed.
const SENSITIVE_KEYS: &[&str] = &["Secret", "Key"];

/// One AMI message (an action, a response or an event): its headers in wire order, and for a legacy
/// `Response: Follows` command reply, the raw command output.
///
/// `Debug` redacts the value of `Secret` (and `Key`) headers, so a logged `Login` action does not
/// leak the password.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Message {
    headers: Vec<(String, String)>,
    command_output: Option<String>,
}

impl Message {
    /// An empty message.
    pub fn new() -> Message {
        Message::default()
    }

    /// An action: a message whose first header is `Action: <name>`.
    pub fn action(name: &str) -> Message {
        Message::new().with_header("Action", name)
    }

    /// Appends a header (builder style).
    #[must_use]
    pub fn with_header(mut self, key: impl Into<String>, value: impl Into<String>) -> Message {
        self.push_header(key, value);
        self
    }

    /// Appends a header. AMI allows a key to repeat (e.g. `Variable`, `Output`); order is kept.
    pub fn push_header(&mut self, key: impl Into<String>, value: impl Into<String>) {
        self.headers.push((key.into(), value.into()));
    }

    /// Every header, in wire order.
    pub fn headers(&self) -> &[(String, String)] {
        &self.headers
    }

    /// The value of the first header named `key` (compared case-insensitively, as Asterisk does).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v.as_str())
    }

    /// The values of every header named `key` (case-insensitive), in wire order.
    pub fn get_all<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers.iter().filter(move |(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v.as_str())
    }

    /// The raw output of a legacy `Response: Follows` command reply (everything between the headers
    /// and `--END COMMAND--`, verbatim); `None` for any other message.
    pub fn command_output(&self) -> Option<&str> {
        self.command_output.as_deref()
    }

    /// The `Response` header (`Success`, `Error`, `Follows`, `Goodbye`), if this is a response.
    pub fn response(&self) -> Option<&str> {
        self.get("Response")
    }

    /// The `Event` header, if this is an event.
    pub fn event(&self) -> Option<&str> {
        self.get("Event")
    }

    /// The `ActionID` header, which a response echoes from its action.
    pub fn action_id(&self) -> Option<&str> {
        self.get("ActionID")
    }

    /// Encodes the headers as an action on the wire: `Key: value\r\n` per header, then `\r\n`.
    ///
    /// Refuses a header whose key is empty or contains `:`, CR or LF, and a value containing CR or
    /// LF: either would let a value inject extra headers or a whole extra action. The error names the
    /// key only, never the value (it may be a secret). [`Message::command_output`] is not encoded.
    pub fn encode(&self) -> Result<Vec<u8>, EncodeError> {
        let mut out = Vec::with_capacity(self.headers.iter().map(|(k, v)| k.len() + v.len() + 4).sum::<usize>() + 2);
        for (key, value) in &self.headers {
            if key.is_empty() || key.trim() != key || key.contains([':', '\r', '\n']) {
                return Err(EncodeError::InvalidKey { key: key.clone() });
            }
            if value.contains(['\r', '\n']) {
                return Err(EncodeError::LineBreakInValue { key: key.clone() });
            }
            out.extend_from_slice(key.as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(value.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"\r\n");
        Ok(out)
    }
}

impl fmt::Debug for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Headers<'a>(&'a [(String, String)]);
        impl fmt::Debug for Headers<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_list()
                    .entries(self.0.iter().map(|(k, v)| {
                        let sensitive = SENSITIVE_KEYS.iter().any(|s| k.eq_ignore_ascii_case(s));
                        (k.as_str(), if sensitive { "[redacted]" } else { v.as_str() })
                    }))
                    .finish()
            }
        }
        f.debug_struct("Message")
            .field("headers", &Headers(&self.headers))
            .field("command_output", &self.command_output)
            .finish()
    }
}

/// Why a message cannot be encoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    /// The header name is empty, has surrounding spaces, or contains `:`, CR or LF.
    #[error("invalid header name {key:?}")]
    InvalidKey {
        /// The offending name.
        key: String,
    },
    /// The value contains CR or LF (header injection). The value itself is not kept.
    #[error("the value of header `{key}` contains a line break")]
    LineBreakInValue {
        /// The header whose value was refused.
        key: String,
    },
}

/// Why received bytes are not a valid AMI message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// More than the limit arrived without the message (or line) ending. Fatal for the stream.
    #[error("message exceeds {limit} bytes")]
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// A header line without a `Key: value` shape. The message was consumed; the stream can go on.
    #[error("malformed header line {line:?}")]
    MalformedLine {
        /// The line (cut to 80 characters).
        line: String,
    },
}

/// An incremental AMI parser: [`push`](MessageParser::push) bytes as they arrive, then take complete
/// messages with [`next_message`](MessageParser::next_message).
///
/// Lines may end in `\r\n` (what Asterisk sends) or a bare `\n`; a blank line ends a message; blank
/// lines between messages are skipped. A message whose first header is `Response: Follows` is a
/// legacy command reply: after its `Privilege`/`ActionID` headers, raw output (blank lines included)
/// runs until a line ending in `--END COMMAND--`, followed by a blank line.
#[derive(Debug, Clone)]
pub struct MessageParser {
    buf: Vec<u8>,
    /// Where to resume looking for the end of the message at the start of `buf`.
    scan_from: usize,
    limit: usize,
}

impl Default for MessageParser {
    fn default() -> Self {
        MessageParser::new()
    }
}

impl MessageParser {
    /// A parser with the default limit, [`MAX_MESSAGE_BYTES`].
    pub fn new() -> MessageParser {
        MessageParser::with_limit(MAX_MESSAGE_BYTES)
    }

    /// A parser refusing messages (and lines) longer than `limit` bytes.
    pub fn with_limit(limit: usize) -> MessageParser {
        MessageParser { buf: Vec::new(), scan_from: 0, limit }
    }

    /// Appends received bytes.
    pub fn push(&mut self, data: &[u8]) {
        self.buf.extend_from_slice(data);
    }

    /// Whether bytes other than blank lines are buffered (a message has begun but not ended).
    pub fn has_partial(&self) -> bool {
        self.buf.iter().any(|b| !matches!(b, b'\r' | b'\n'))
    }

    /// Takes one line (without its line ending), e.g. the `Asterisk Call Manager/5.0.1` banner that
    /// starts a session. `Ok(None)` until a whole line is buffered.
    pub fn next_line(&mut self) -> Result<Option<String>, ParseError> {
        let Some(nl) = self.buf.iter().position(|&b| b == b'\n') else {
            return self.incomplete();
        };
        if nl > self.limit {
            return Err(ParseError::TooLarge { limit: self.limit });
        }
        let line = String::from_utf8_lossy(strip_cr(&self.buf[..nl])).into_owned();
        self.consume(nl + 1);
        Ok(Some(line))
    }

    /// Takes the next complete message. `Ok(None)` until one is buffered.
    ///
    /// On [`ParseError::MalformedLine`] the bad message has been consumed and parsing can continue;
    /// after [`ParseError::TooLarge`] the stream cannot be resynchronised and should be dropped.
    pub fn next_message(&mut self) -> Result<Option<Message>, ParseError> {
        let padding = self.buf.iter().take_while(|&&b| matches!(b, b'\r' | b'\n')).count();
        if padding > 0 {
            self.consume(padding);
        }
        let Some(first_nl) = self.buf.iter().position(|&b| b == b'\n') else {
            return self.incomplete();
        };
        let first = split_header(strip_cr(&self.buf[..first_nl]));
        let legacy = matches!(first, Some((k, v)) if k.eq_ignore_ascii_case("Response") && v.trim().eq_ignore_ascii_case("Follows"));
        let frame = if legacy { self.find_legacy_end(first_nl + 1) } else { self.find_blank_line() };
        let Some(frame) = frame else {
            return self.incomplete();
        };
        if frame.consumed > self.limit {
            return Err(ParseError::TooLarge { limit: self.limit });
        }
        let result = self.parse_frame(&frame);
        self.consume(frame.consumed);
        result.map(Some)
    }

    fn incomplete<T>(&mut self) -> Result<Option<T>, ParseError> {
        if self.buf.len() > self.limit {
            return Err(ParseError::TooLarge { limit: self.limit });
        }
        Ok(None)
    }

    fn consume(&mut self, n: usize) {
        self.buf.drain(..n);
        self.scan_from = 0;
    }

    /// Finds the blank line ending a normal message: `\n` then optional `\r` then `\n`.
    fn find_blank_line(&mut self) -> Option<Frame> {
        let buf = &self.buf;
        let start = self.scan_from.saturating_sub(2);
        let found = (start..buf.len()).find_map(|i| {
            if buf[i] != b'\n' {
                return None;
            }
            match (buf.get(i + 1), buf.get(i + 2)) {
                (Some(b'\n'), _) => Some(Frame { headers_end: i + 1, output: None, consumed: i + 2 }),
                (Some(b'\r'), Some(b'\n')) => Some(Frame { headers_end: i + 1, output: None, consumed: i + 3 }),
                _ => None,
            }
        });
        if found.is_none() {
            self.scan_from = buf.len();
        }
        found
    }

    /// Finds the end of a legacy command reply whose first line ends at `body_start`: the header lines
    /// that follow, the raw output, `--END COMMAND--`, its line ending and the blank line after it.
    fn find_legacy_end(&mut self, body_start: usize) -> Option<Frame> {
        // Header lines of the legacy reply: `Privilege` and `ActionID` only; anything else is output
        // (CLI output may well look like `Key: value`).
        let mut headers_end = body_start;
        while let Some(len) = self.buf[headers_end..].iter().position(|&b| b == b'\n') {
            let is_header = split_header(strip_cr(&self.buf[headers_end..headers_end + len]))
                .is_some_and(|(k, _)| k.eq_ignore_ascii_case("Privilege") || k.eq_ignore_ascii_case("ActionID"));
            if !is_header {
                break;
            }
            headers_end += len + 1;
        }
        let buf = &self.buf;
        let mut from = self.scan_from.saturating_sub(END_COMMAND.len() + 4).max(headers_end);
        while let Some(rel) = find(&buf[from..], END_COMMAND) {
            let end_at = from + rel;
            let mut i = end_at + END_COMMAND.len();
            // The rest of the `--END COMMAND--` line.
            match (buf.get(i), buf.get(i + 1)) {
                (None, _) | (Some(b'\r'), None) => return self.legacy_incomplete(end_at),
                (Some(b'\n'), _) => i += 1,
                (Some(b'\r'), Some(b'\n')) => i += 2,
                _ => {
                    // Text continues after the marker: it is part of the output.
                    from = end_at + 1;
                    continue;
                }
            }
            // The blank line after it (always sent by Asterisk; tolerated if missing).
            match (buf.get(i), buf.get(i + 1)) {
                (None, _) | (Some(b'\r'), None) => return self.legacy_incomplete(end_at),
                (Some(b'\n'), _) => i += 1,
                (Some(b'\r'), Some(b'\n')) => i += 2,
                _ => {}
            }
            return Some(Frame { headers_end, output: Some((headers_end, end_at)), consumed: i });
        }
        self.scan_from = buf.len();
        None
    }

    fn legacy_incomplete(&mut self, end_at: usize) -> Option<Frame> {
        self.scan_from = end_at;
        None
    }

    fn parse_frame(&self, frame: &Frame) -> Result<Message, ParseError> {
        let mut message = Message::new();
        for raw in self.buf[..frame.headers_end].split(|&b| b == b'\n') {
            let line = strip_cr(raw);
            if line.is_empty() {
                continue;
            }
            let Some((key, value)) = split_header(line) else {
                let mut shown: String = String::from_utf8_lossy(line).chars().take(80).collect();
                if shown.len() < line.len() {
                    shown.push('…');
                }
                return Err(ParseError::MalformedLine { line: shown });
            };
            message.push_header(key, value);
        }
        if let Some((start, end)) = frame.output {
            message.command_output = Some(String::from_utf8_lossy(&self.buf[start..end]).into_owned());
        }
        Ok(message)
    }
}

/// Where a complete message lies in the buffer.
#[derive(Debug)]
struct Frame {
    /// End of the header lines (exclusive).
    headers_end: usize,
    /// Raw output range of a legacy command reply.
    output: Option<(usize, usize)>,
    /// Bytes the whole message takes, terminator included.
    consumed: usize,
}

fn strip_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Splits `Key: value` at the first colon; the key is trimmed, the value loses leading blanks (as
/// Asterisk's `astman_get_header` skips them). `None` when there is no colon or the key is empty.
fn split_header(line: &[u8]) -> Option<(String, String)> {
    let colon = line.iter().position(|&b| b == b':')?;
    let key = String::from_utf8_lossy(&line[..colon]).trim().to_string();
    if key.is_empty() {
        return None;
    }
    let value = String::from_utf8_lossy(&line[colon + 1..]).trim_start_matches([' ', '\t']).to_string();
    Some((key, value))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_all(input: &[u8]) -> Vec<Message> {
        let mut p = MessageParser::new();
        p.push(input);
        let mut out = Vec::new();
        while let Some(m) = p.next_message().expect("valid input") {
            out.push(m);
        }
        assert!(!p.has_partial(), "left over: {:?}", String::from_utf8_lossy(&p.buf));
        out
    }

    /// Feeds `input` one byte at a time; the result must equal parsing it at once.
    fn parse_bytewise(input: &[u8]) -> Vec<Message> {
        let mut p = MessageParser::new();
        let mut out = Vec::new();
        for b in input {
            p.push(std::slice::from_ref(b));
            while let Some(m) = p.next_message().expect("valid input") {
                out.push(m);
            }
        }
        out
    }

    #[test]
    fn encodes_an_action_with_crlf_and_a_blank_line() {
        let login = Message::action("Login").with_header("Username", "dialtone").with_header("Secret", "pw");
        assert_eq!(login.encode().expect("encodes"), b"Action: Login\r\nUsername: dialtone\r\nSecret: pw\r\n\r\n");
    }

    #[test]
    fn refuses_line_breaks_in_values_without_echoing_them() {
        for bad in ["x\r\nAction: Originate", "x\nEvents: on", "x\r"] {
            let m = Message::action("Login").with_header("Secret", bad);
            let err = m.encode().expect_err("refused");
            assert_eq!(err, EncodeError::LineBreakInValue { key: "Secret".into() });
            assert!(!err.to_string().contains("Originate") && !err.to_string().contains("Events"));
        }
    }

    #[test]
    fn refuses_invalid_header_names() {
        for bad in ["", "Com:mand", "A\r\nB", " Command"] {
            let m = Message::action("Command").with_header(bad, "v");
            assert!(matches!(m.encode(), Err(EncodeError::InvalidKey { .. })), "{bad:?}");
        }
    }

    #[test]
    fn debug_redacts_secrets() {
        let m = Message::action("Login").with_header("Username", "u").with_header("secret", "hunter2");
        let shown = format!("{m:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("[redacted]") && shown.contains("Username"), "{shown}");
    }

    #[test]
    fn parses_messages_with_case_insensitive_lookup() {
        let input = b"Response: Success\r\nActionID: 1\r\nMessage: Authentication accepted\r\n\r\n\
                      Event: FullyBooted\r\nPrivilege: system,all\r\nStatus: Fully Booted\r\n\r\n";
        let msgs = parse_all(input);
        assert_eq!(msgs.len(), 2);
        assert_eq!(msgs[0].response(), Some("Success"));
        assert_eq!(msgs[0].get("actionid"), Some("1"));
        assert_eq!(msgs[0].get("MESSAGE"), Some("Authentication accepted"));
        assert_eq!(msgs[1].event(), Some("FullyBooted"));
        assert_eq!(msgs[1].headers().len(), 3);
        assert_eq!(msgs[1].command_output(), None);
        assert_eq!(parse_bytewise(input), msgs);
    }

    #[test]
    fn keeps_repeated_headers_in_order_and_colons_in_values() {
        let msgs = parse_all(
            b"Response: Success\r\nMessage: Command output follows\r\nOutput: a: b\r\nOutput:\r\nOutput: c\r\n\r\n",
        );
        assert_eq!(msgs[0].get_all("output").collect::<Vec<_>>(), ["a: b", "", "c"]);
    }

    #[test]
    fn tolerates_bare_lf_and_padding_between_messages() {
        let input = b"\r\n\nEvent: One\nA: 1\n\n\r\n\nEvent: Two\r\nB: 2\n\r\n";
        let msgs = parse_all(input);
        assert_eq!(msgs.iter().map(|m| m.event().unwrap_or("")).collect::<Vec<_>>(), ["One", "Two"]);
        assert_eq!(msgs[1].get("b"), Some("2"));
        assert_eq!(parse_bytewise(input), msgs);
    }

    #[test]
    fn waits_for_the_blank_line() {
        let mut p = MessageParser::new();
        p.push(b"Response: Success\r\nActionID: 7\r\n");
        assert_eq!(p.next_message(), Ok(None));
        assert!(p.has_partial());
        p.push(b"\r");
        assert_eq!(p.next_message(), Ok(None));
        p.push(b"\n");
        assert_eq!(p.next_message().expect("ok").and_then(|m| m.action_id().map(String::from)), Some("7".into()));
    }

    #[test]
    fn legacy_command_reply_keeps_raw_output_with_blank_and_header_like_lines() {
        let input = b"Response: Follows\r\nPrivilege: Command\r\nActionID: 9\r\n\
                      Name/username  Host\nSystem uptime: 46 minutes\n\n2 sip peers\n--END COMMAND--\r\n\r\n\
                      Event: After\r\n\r\n";
        let msgs = parse_all(input);
        assert_eq!(msgs.len(), 2);
        assert_eq!(msgs[0].response(), Some("Follows"));
        assert_eq!(msgs[0].action_id(), Some("9"));
        assert_eq!(msgs[0].get("Privilege"), Some("Command"));
        assert_eq!(msgs[0].get("System uptime"), None, "output is not headers");
        assert_eq!(msgs[0].command_output(), Some("Name/username  Host\nSystem uptime: 46 minutes\n\n2 sip peers\n"));
        assert_eq!(msgs[1].event(), Some("After"));
        assert_eq!(parse_bytewise(input), msgs);
    }

    #[test]
    fn legacy_reply_with_empty_output_or_marker_glued_to_the_last_line() {
        let msgs = parse_all(b"Response: Follows\r\nPrivilege: Command\r\nActionID: 1\r\n--END COMMAND--\r\n\r\n");
        assert_eq!(msgs[0].command_output(), Some(""));
        let msgs = parse_all(b"Response: Follows\r\nPrivilege: Command\r\nno newline--END COMMAND--\r\n\r\n");
        assert_eq!(msgs[0].command_output(), Some("no newline"));
        assert_eq!(msgs[0].action_id(), None);
    }

    #[test]
    fn legacy_reply_waits_for_the_marker_line_and_blank_line() {
        let mut p = MessageParser::new();
        p.push(b"Response: Follows\r\nPrivilege: Command\r\nActionID: 3\r\nline\n\n--END COMMAND--");
        assert_eq!(p.next_message(), Ok(None));
        p.push(b"\r\n");
        assert_eq!(p.next_message(), Ok(None));
        p.push(b"\r\n");
        let m = p.next_message().expect("ok").expect("complete");
        assert_eq!(m.command_output(), Some("line\n\n"));
        assert!(!p.has_partial());
    }

    #[test]
    fn malformed_line_is_reported_and_skipped() {
        let mut p = MessageParser::new();
        p.push(b"Event: X\r\nno colon here\r\n\r\nEvent: Y\r\n\r\n");
        assert!(matches!(p.next_message(), Err(ParseError::MalformedLine { line }) if line == "no colon here"));
        assert_eq!(p.next_message().expect("ok").and_then(|m| m.event().map(String::from)), Some("Y".into()));
    }

    #[test]
    fn refuses_oversized_messages_and_lines() {
        let mut p = MessageParser::with_limit(64);
        p.push(b"Event: Big\r\nData: ");
        p.push(&[b'x'; 100]);
        assert_eq!(p.next_message(), Err(ParseError::TooLarge { limit: 64 }));
        let mut p = MessageParser::with_limit(64);
        p.push(&[b'y'; 65]);
        assert_eq!(p.next_line(), Err(ParseError::TooLarge { limit: 64 }));
        let mut p = MessageParser::with_limit(64);
        p.push(b"Response: Follows\r\n");
        p.push(&[b'z'; 80]);
        assert_eq!(p.next_message(), Err(ParseError::TooLarge { limit: 64 }));
    }

    #[test]
    fn complete_message_over_the_limit_is_refused_too() {
        let mut p = MessageParser::with_limit(16);
        p.push(b"Event: Abcdefghijklmnop\r\n\r\n");
        assert_eq!(p.next_message(), Err(ParseError::TooLarge { limit: 16 }));
    }

    #[test]
    fn banner_line_then_messages() {
        let mut p = MessageParser::new();
        p.push(b"Asterisk Call Manager/5.0.1\r\nResponse: Success\r\n\r\n");
        assert_eq!(p.next_line(), Ok(Some("Asterisk Call Manager/5.0.1".into())));
        assert_eq!(p.next_message().expect("ok").and_then(|m| m.response().map(String::from)), Some("Success".into()));
        assert_eq!(p.next_line(), Ok(None));
    }
}
