//! Asterisk extension patterns (`_91NXXNXXXXXX`) and the `exten =>` lines of a carrier's dialplan
//! entry: parsing, matching a number, and choosing the pattern Asterisk would use.
//!
//! Pure: compiled for the browser and the server, no I/O, dependencies only `serde` and `thiserror`.
//! Must not depend on storage, services or the UI.
//!
//! The rules follow Asterisk itself, as checked in:
//! - the Asterisk documentation, "Pattern Matching" (`docs.asterisk.org/Configuration/Dialplan/Pattern-Matching`):
//!   a pattern starts with `_`; `X` is 0-9, `Z` 1-9, `N` 2-9 (either case); `[...]` is a set of single
//!   characters and ranges (`[1237-9]`); `.` matches one or more further characters, `!` zero or more.
//! - `main/pbx.c` of `asterisk/asterisk`: `_extension_match_core` (without a leading `_` an extension
//!   matches literally; letters other than X/Z/N and every character inside a set compare exactly, so
//!   case matters there; `-` is "eye candy" and ignored outside sets, in the pattern and in the number;
//!   a set runs to the first `]`, and a `-` is a range only with a character on both sides, so `[-5]` and
//!   `[5-]` hold a literal `-`; `.` and `!` end the match, "only allowed at the end of a pattern"), the
//!   comment "Special characters used in patterns" above it (`/` separates a caller ID match), and
//!   `ext_cmp` / `ext_cmp_pattern_pos`, the order in which Asterisk prefers one matching extension to
//!   another (literal extensions first, then position by position the smaller set).
//! - `pbx/pbx_config.c` `pbx_load_config`: `exten => extension,priority,application` is split at the
//!   first `,`; `same =>` continues the previous extension; a priority is a number, `n`/`next`, `s`/`same`
//!   or `hint`, with an optional `(label)` and `+offset`; `n` on the first line is an error; `include`,
//!   `switch`, `lswitch`, `eswitch` and `ignorepat` are the other directives of a context.
//! - `main/config.c`: `;` starts a comment to the end of the line unless written `\;` ("Escaped
//!   semicolons aren't comments"), and `;--` ... `--;` is a block comment, possibly over several lines
//!   (`;---` is not one); `[name]` starts a context, `#include` and `#exec` pull in other files.
//!
//! Dialtone is stricter than Asterisk where Asterisk accepts something that cannot do what it seems to:
//! an empty set `[]` (Asterisk skips it), a backwards range `[5-1]` (matches nothing), a stray `]`, a
//! wildcard before the end (the rest is ignored), and spaces, commas, semicolons, quotes and non-ASCII
//! characters in an extension are refused; `/` (caller ID matching) and `$` (variables) are refused
//! because no number alone can be checked against them.

use std::cmp::Ordering;
use std::fmt;

use serde::{Deserialize, Serialize};

/// The longest extension Dialtone accepts: Asterisk's `AST_MAX_EXTENSION` (80, `include/asterisk/channel.h`),
/// the size of a channel's extension.
pub const PATTERN_MAX: usize = 80;

/// One position of a pattern.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Element {
    /// A character compared exactly.
    Char(char),
    /// A digit from this one to 9: `X` (0), `Z` (1), `N` (2).
    DigitFrom(char),
    /// A set: inclusive ranges (a single character is a range of one), in the order written.
    Set(Vec<(char, char)>),
}

impl Element {
    fn matches(&self, c: char) -> bool {
        match self {
            Element::Char(p) => *p == c,
            Element::DigitFrom(low) => (*low..='9').contains(&c),
            Element::Set(ranges) => ranges.iter().any(|(from, to)| (*from..=*to).contains(&c)),
        }
    }

    /// Asterisk's sort key of this position (`ext_cmp_pattern_pos`): the set's size times 256 plus its
    /// smallest character, and the set as a bit map (most significant bit first).
    fn sort_key(&self) -> (u32, [u8; 16]) {
        let mut bits = [0u8; 16];
        let mut set = |c: char| {
            let n = c as usize;
            if n < 128 {
                bits[n / 8] |= 1 << (7 - n % 8);
            }
        };
        match self {
            Element::Char(c) => {
                set(*c);
                (0x100 | *c as u32, bits)
            }
            Element::DigitFrom(low) => {
                (*low..='9').for_each(&mut set);
                let count = '9' as u32 - *low as u32 + 1;
                ((count << 8) | *low as u32, bits)
            }
            Element::Set(ranges) => {
                ranges.iter().for_each(|(from, to)| (*from..=*to).for_each(&mut set));
                let count: u32 = bits.iter().map(|b| b.count_ones()).sum();
                let min = ranges.iter().map(|(from, _)| *from as u32).min().unwrap_or(0);
                ((count << 8) | min, bits)
            }
        }
    }
}

/// What a pattern accepts after its last position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Tail {
    /// Nothing: the number ends there.
    End,
    /// `.`: one or more further characters.
    OneOrMore,
    /// `!`: zero or more further characters.
    ZeroOrMore,
}

/// The parsed form of an extension.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Shape {
    /// No leading `_`: the extension itself, without its `-` separators.
    Literal(Vec<char>),
    /// A pattern.
    Pattern {
        /// One element per position (`-` separators dropped).
        elements: Vec<Element>,
        /// After the last position.
        tail: Tail,
    },
}

/// An Asterisk extension as written after `exten =>`: a pattern (leading `_`) or a literal extension.
/// Built only by [`DialPattern::parse`] (also when deserialised), so it is always valid.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DialPattern {
    text: String,
    shape: Shape,
}

/// The rule an extension pattern broke. Its `Display` completes "pattern "…" …".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PatternRule {
    /// Nothing was written.
    Empty,
    /// Longer than Asterisk stores.
    TooLong {
        /// The limit ([`PATTERN_MAX`]).
        max: usize,
        /// Characters given.
        actual: usize,
    },
    /// `_` and nothing (or only `-`) after it.
    NothingAfterUnderscore,
    /// A character an extension may not hold (whitespace, control, `,` `;` `"` `\`, non-ASCII).
    ForbiddenChar {
        /// The character.
        found: char,
        /// Its position, counting from 1.
        at: usize,
    },
    /// `/`: a caller ID match (`extension/callerid`).
    CallerIdMatch {
        /// Its position, counting from 1.
        at: usize,
    },
    /// `$`: a variable (`${PREFIX}`), replaced only when Asterisk loads the dialplan.
    Variable {
        /// Its position, counting from 1.
        at: usize,
    },
    /// A `[` with no `]` after it.
    UnclosedSet {
        /// The `[`'s position, counting from 1.
        at: usize,
    },
    /// `[]`.
    EmptySet {
        /// The `[`'s position, counting from 1.
        at: usize,
    },
    /// A range whose end comes before its start (`[5-1]`).
    BackwardsRange {
        /// The first character.
        from: char,
        /// The last character.
        to: char,
        /// The range's position, counting from 1.
        at: usize,
    },
    /// A `]` with no `[` before it.
    StrayBracket {
        /// Its position, counting from 1.
        at: usize,
    },
    /// `.` or `!` before the end.
    WildcardNotLast {
        /// `.` or `!`.
        wildcard: char,
        /// Its position, counting from 1.
        at: usize,
    },
}

impl fmt::Display for PatternRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PatternRule::Empty => f.write_str("is empty: write the extension or pattern before the first comma"),
            PatternRule::TooLong { max, actual } => {
                write!(f, "is {actual} characters long; Asterisk keeps at most {max}")
            }
            PatternRule::NothingAfterUnderscore => {
                f.write_str("has nothing after its leading _ (e.g. _X. matches any number)")
            }
            PatternRule::ForbiddenChar { found, at } => {
                write!(f, "may not contain {} (character {at})", describe_char(*found))
            }
            PatternRule::CallerIdMatch { at } => write!(
                f,
                "has / at character {at}: matching on the caller ID (extension/callerid) cannot be checked here"
            ),
            PatternRule::Variable { at } => {
                write!(f, "has $ at character {at}: a variable in the extension cannot be checked here")
            }
            PatternRule::UnclosedSet { at } => write!(f, "opens [ at character {at} but never closes it with ]"),
            PatternRule::EmptySet { at } => write!(f, "has an empty set [] at character {at}"),
            PatternRule::BackwardsRange { from, to, at } => write!(
                f,
                "has the range {from}-{to} at character {at}, which ends before it starts (write {to}-{from})"
            ),
            PatternRule::StrayBracket { at } => write!(f, "has ] at character {at} without a [ before it"),
            PatternRule::WildcardNotLast { wildcard, at } => {
                write!(f, "has {wildcard} at character {at}, but . and ! may only be the last character of a pattern")
            }
        }
    }
}

/// How a refused character is named in a message (never echoed raw when invisible).
fn describe_char(c: char) -> String {
    match c {
        ' ' => "a space".into(),
        '\t' => "a tab".into(),
        ',' => "a comma (it ends the extension)".into(),
        ';' => "a semicolon (it starts a comment)".into(),
        '"' => "a double quote".into(),
        '\\' => "a backslash".into(),
        c if c.is_control() || c.is_whitespace() => format!("the invisible character U+{:04X}", c as u32),
        c => format!("the non-ASCII character {c}"),
    }
}

/// An extension that is not a valid Asterisk extension or pattern: the text and the rule it broke.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("pattern \"{}\" {rule}", .pattern.escape_debug())]
pub struct InvalidPattern {
    /// The text as given.
    pub pattern: String,
    /// The rule it broke.
    pub rule: PatternRule,
}

impl DialPattern {
    /// Parses an extension as written after `exten =>` (without surrounding blanks). See the module
    /// documentation for the rules and where they come from.
    pub fn parse(text: &str) -> Result<DialPattern, InvalidPattern> {
        let refuse = |rule| Err(InvalidPattern { pattern: text.to_string(), rule });
        if text.is_empty() {
            return refuse(PatternRule::Empty);
        }
        let actual = text.chars().count();
        if actual > PATTERN_MAX {
            return refuse(PatternRule::TooLong { max: PATTERN_MAX, actual });
        }
        for (i, c) in text.chars().enumerate() {
            let at = i + 1;
            match c {
                '/' => return refuse(PatternRule::CallerIdMatch { at }),
                '$' => return refuse(PatternRule::Variable { at }),
                ',' | ';' | '"' | '\\' => return refuse(PatternRule::ForbiddenChar { found: c, at }),
                c if !c.is_ascii_graphic() => return refuse(PatternRule::ForbiddenChar { found: c, at }),
                _ => {}
            }
        }
        let Some(body) = text.strip_prefix('_') else {
            let chars: Vec<char> = text.chars().filter(|c| *c != '-').collect();
            if chars.is_empty() {
                return refuse(PatternRule::Empty);
            }
            return Ok(DialPattern { text: text.to_string(), shape: Shape::Literal(chars) });
        };
        let chars: Vec<char> = body.chars().collect();
        let mut elements = Vec::new();
        let mut tail = Tail::End;
        let mut i = 0;
        while i < chars.len() {
            // Positions count from 1 over the whole text, the leading `_` being 1.
            let at = i + 2;
            match chars[i] {
                '-' => {}
                'X' | 'x' => elements.push(Element::DigitFrom('0')),
                'Z' | 'z' => elements.push(Element::DigitFrom('1')),
                'N' | 'n' => elements.push(Element::DigitFrom('2')),
                wildcard @ ('.' | '!') => {
                    if i + 1 < chars.len() {
                        return refuse(PatternRule::WildcardNotLast { wildcard, at });
                    }
                    tail = if wildcard == '.' { Tail::OneOrMore } else { Tail::ZeroOrMore };
                }
                '[' => {
                    let Some(len) = chars[i + 1..].iter().position(|c| *c == ']') else {
                        return refuse(PatternRule::UnclosedSet { at });
                    };
                    let inner = &chars[i + 1..i + 1 + len];
                    if inner.is_empty() {
                        return refuse(PatternRule::EmptySet { at });
                    }
                    let mut ranges = Vec::new();
                    let mut j = 0;
                    while j < inner.len() {
                        // As pbx.c: a range needs a character on both sides of its `-`.
                        if j + 2 < inner.len() && inner[j + 1] == '-' {
                            let (from, to) = (inner[j], inner[j + 2]);
                            if from > to {
                                return refuse(PatternRule::BackwardsRange { from, to, at: at + 1 + j });
                            }
                            ranges.push((from, to));
                            j += 3;
                        } else {
                            ranges.push((inner[j], inner[j]));
                            j += 1;
                        }
                    }
                    elements.push(Element::Set(ranges));
                    i += len + 1;
                }
                ']' => return refuse(PatternRule::StrayBracket { at }),
                c => elements.push(Element::Char(c)),
            }
            i += 1;
        }
        if elements.is_empty() && tail == Tail::End {
            return refuse(PatternRule::NothingAfterUnderscore);
        }
        Ok(DialPattern { text: text.to_string(), shape: Shape::Pattern { elements, tail } })
    }

    /// The extension as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether it is a pattern (leading `_`) rather than a literal extension.
    pub fn is_pattern(&self) -> bool {
        matches!(self.shape, Shape::Pattern { .. })
    }

    /// Whether Asterisk would run this extension for `number` (its `ast_extension_match`): `-` in the
    /// number is ignored, as Asterisk does.
    pub fn matches(&self, number: &str) -> bool {
        let number: Vec<char> = number.chars().filter(|c| *c != '-').collect();
        match &self.shape {
            Shape::Literal(chars) => *chars == number,
            Shape::Pattern { elements, tail } => {
                if number.len() < elements.len() || !elements.iter().zip(&number).all(|(e, c)| e.matches(*c)) {
                    return false;
                }
                let rest = number.len() - elements.len();
                match tail {
                    Tail::End => rest == 0,
                    Tail::OneOrMore => rest >= 1,
                    Tail::ZeroOrMore => true,
                }
            }
        }
    }

    /// The lengths of the numbers it matches, in words (`12 characters`, `5 or more characters`).
    pub fn describe_length(&self) -> String {
        let plural = |n: usize| if n == 1 { "" } else { "s" };
        match &self.shape {
            Shape::Literal(chars) => format!("exactly this number ({} character{})", chars.len(), plural(chars.len())),
            Shape::Pattern { elements, tail } => {
                let n = elements.len();
                match tail {
                    Tail::End => format!("{n} character{}", plural(n)),
                    Tail::OneOrMore => format!("{} or more characters", n + 1),
                    Tail::ZeroOrMore => format!("{n} or more characters"),
                }
            }
        }
    }

    /// Asterisk's preference between two extensions that both match a number (`ext_cmp` in pbx.c):
    /// `Less` when `self` is preferred. Literal extensions come first; patterns compare position by
    /// position, the smaller set first (a digit before `N`, `N` before `X`), then `.`, then `!`, then the
    /// end of the pattern.
    pub fn preference(&self, other: &DialPattern) -> Ordering {
        match (&self.shape, &other.shape) {
            (Shape::Literal(a), Shape::Literal(b)) => a.cmp(b),
            (Shape::Literal(_), Shape::Pattern { .. }) => Ordering::Less,
            (Shape::Pattern { .. }, Shape::Literal(_)) => Ordering::Greater,
            (Shape::Pattern { elements: a, tail: ta }, Shape::Pattern { elements: b, tail: tb }) => {
                let (ka, kb) = (pattern_keys(a, *ta), pattern_keys(b, *tb));
                for (x, y) in ka.iter().zip(&kb) {
                    // The same score: the set holding the lower characters first (pbx.c swaps the
                    // operands of its memcmp for this).
                    let order = x.0.cmp(&y.0).then_with(|| y.1.cmp(&x.1));
                    if order != Ordering::Equal {
                        return order;
                    }
                }
                ka.len().cmp(&kb.len())
            }
        }
    }
}

/// The positions' sort keys, then the wildcard's, then the end's (pbx.c's 0x18000, 0x28000, 0x30000).
fn pattern_keys(elements: &[Element], tail: Tail) -> Vec<(u32, [u8; 16])> {
    let mut keys: Vec<(u32, [u8; 16])> = elements.iter().map(Element::sort_key).collect();
    match tail {
        Tail::OneOrMore => keys.push((0x18000, [0; 16])),
        Tail::ZeroOrMore => keys.push((0x28000, [0; 16])),
        Tail::End => {}
    }
    keys.push((0x30000, [0; 16]));
    keys
}

impl fmt::Debug for DialPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DialPattern({:?})", self.text)
    }
}

impl fmt::Display for DialPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::str::FromStr for DialPattern {
    type Err = InvalidPattern;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DialPattern::parse(s)
    }
}

impl TryFrom<String> for DialPattern {
    type Error = InvalidPattern;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        DialPattern::parse(&value)
    }
}

impl From<DialPattern> for String {
    fn from(p: DialPattern) -> String {
        p.text
    }
}

impl AsRef<DialPattern> for DialPattern {
    fn as_ref(&self) -> &DialPattern {
        self
    }
}

/// The extension Asterisk would run for `number` among `candidates` (all in one context): the
/// matching one it prefers ([`DialPattern::preference`]), the first written on a tie. `None` when
/// none matches.
pub fn best_match<'a, T: AsRef<DialPattern> + 'a>(
    candidates: impl IntoIterator<Item = &'a T>,
    number: &str,
) -> Option<&'a T> {
    candidates.into_iter().filter(|c| c.as_ref().matches(number)).min_by(|a, b| a.as_ref().preference(b.as_ref()))
}

// ---- The lines of a dialplan entry ----

/// An extension of a dialplan entry and the line it is first written on (counting from 1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PatternLine {
    /// The line number.
    pub line: usize,
    /// The extension.
    pub pattern: DialPattern,
}

impl AsRef<DialPattern> for PatternLine {
    fn as_ref(&self) -> &DialPattern {
        &self.pattern
    }
}

/// What is wrong with one line of a dialplan entry. Its `Display` completes "line N …".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum LineProblem {
    /// `[name]`: a context header.
    ContextHeader,
    /// `#include`, `#exec` ...: pulls in another file or program.
    FileDirective(String),
    /// `include =>`, `switch =>`, `ignorepat =>` ...: another directive of a context.
    OtherDirective(String),
    /// Not `name => value` with a known name.
    NotExtenLine,
    /// `same =>` with no `exten =>` line before it.
    SameWithoutExten,
    /// No priority after the extension.
    MissingPriority,
    /// A priority that is not a number from 1, `n`, `next`, `s`, `same` or `hint`.
    BadPriority(String),
    /// `n`/`s` on the first line, where there is no previous priority.
    RelativeFirstPriority(String),
    /// No application after the priority.
    MissingApplication,
    /// A control character other than a tab.
    ControlChar(char),
    /// `;--` never closed with `--;` (everything after it would be ignored).
    UnclosedComment,
    /// The extension is not a valid extension or pattern.
    Pattern(InvalidPattern),
    /// An extension whose lines never give priority 1: Asterisk never starts it.
    NoPriorityOne(String),
}

impl fmt::Display for LineProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LineProblem::ContextHeader => f.write_str(
                "is a [context] header; a carrier's lines go into VICIdial's own context, so write only exten => and same => lines",
            ),
            LineProblem::FileDirective(d) => write!(f, "is a {d} directive, which may not be used in a carrier"),
            LineProblem::OtherDirective(d) => {
                write!(f, "is an {d} => line; only exten => and same => lines are allowed")
            }
            LineProblem::NotExtenLine => {
                f.write_str("is not an exten => or same => line (e.g. exten => _91NXXNXXXXXX,1,Dial(SIP/trunk/${EXTEN:1}))")
            }
            LineProblem::SameWithoutExten => f.write_str("is a same => line with no exten => line before it"),
            LineProblem::MissingPriority => {
                f.write_str("has no priority: write exten => pattern,priority,application (e.g. ,1,)")
            }
            LineProblem::BadPriority(p) => write!(
                f,
                "has the priority \"{}\": use a number from 1, n, next, s, same or hint, optionally with (label) or +offset",
                p.escape_debug()
            ),
            LineProblem::RelativeFirstPriority(p) => {
                write!(f, "uses the priority {p} on the first line, where there is no priority before it: use 1")
            }
            LineProblem::MissingApplication => f.write_str("has no application after the priority"),
            LineProblem::ControlChar(c) => write!(f, "contains the control character U+{:04X}", *c as u32),
            LineProblem::UnclosedComment => f.write_str("opens a ;-- block comment that is never closed with --;"),
            LineProblem::Pattern(e) => write!(f, "{e}"),
            LineProblem::NoPriorityOne(p) => write!(
                f,
                "starts extension {p}, but none of its lines has priority 1, so Asterisk never runs it"
            ),
        }
    }
}

/// A line of a dialplan entry that is not allowed, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("line {line} {problem}")]
pub struct LineError {
    /// The line number, counting from 1.
    pub line: usize,
    /// What is wrong.
    pub problem: LineProblem,
}

/// A dialplan entry read line by line.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DialplanEntry {
    /// Each distinct extension once, on the first line it appears, in the order written. Two spellings
    /// of the same pattern (`_91NXX` and `_91nxx`, `_9-1NXX`) count as one, as in Asterisk.
    pub patterns: Vec<PatternLine>,
    /// How many `exten =>` lines there are.
    pub exten_lines: usize,
    /// Every line that is not allowed, in line order. The patterns of the valid lines are read anyway.
    pub problems: Vec<LineError>,
}

impl DialplanEntry {
    /// The extension Asterisk would run for `number` among these ([`best_match`]).
    pub fn best_match(&self, number: &str) -> Option<&PatternLine> {
        best_match(&self.patterns, number)
    }
}

/// The text of a line without its comments, and the block-comment depth after it (`main/config.c`:
/// `;` to the end of the line unless escaped as `\;`, which stands for `;`; `;--` … `--;` nests, but
/// `;---` is a line comment).
fn strip_comments(line: &str, depth: &mut usize) -> String {
    let chars: Vec<char> = line.chars().collect();
    let at = |i: usize, s: &str| s.chars().enumerate().all(|(k, c)| chars.get(i + k) == Some(&c));
    let block_start = |i: usize| at(i, ";--") && chars.get(i + 3) != Some(&'-');
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        if *depth > 0 {
            if at(i, "--;") {
                *depth -= 1;
                i += 3;
            } else if block_start(i) {
                *depth += 1;
                i += 3;
            } else {
                i += 1;
            }
            continue;
        }
        match chars[i] {
            '\\' if chars.get(i + 1) == Some(&';') => {
                out.push(';');
                i += 2;
            }
            ';' if block_start(i) => {
                *depth += 1;
                i += 3;
            }
            ';' => break,
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

/// Whether `p` is a priority `pbx_config.c` accepts: a number from 1, `n`/`next`, `s`/`same` or `hint`
/// (exact case), then optionally `(label)` and `+offset`. Returns the base word.
fn parse_priority(p: &str) -> Option<(&str, i64)> {
    let (base, label) = match p.split_once('(') {
        Some((base, rest)) => (base, Some(rest)),
        None => (p, None),
    };
    if let Some(label) = label {
        let name = label.strip_suffix(')')?;
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
            return None;
        }
    }
    let (base, offset) = match base.split_once('+') {
        Some((b, o)) if !o.is_empty() && o.len() <= 6 && o.bytes().all(|b| b.is_ascii_digit()) => {
            (b, o.parse::<i64>().ok()?)
        }
        Some(_) => return None,
        None => (base, 0),
    };
    let ok = matches!(base, "n" | "next" | "s" | "same" | "hint")
        || (!base.is_empty()
            && base.len() <= 6
            && base.bytes().all(|b| b.is_ascii_digit())
            && base.parse::<i64>().is_ok_and(|n| n >= 1));
    ok.then_some((base, offset))
}

/// Reads a carrier's dialplan entry (`vicidial_server_carriers.dialplan_entry`): the extensions of its
/// `exten =>` lines, each distinct one once with its first line, and every line that is not an
/// `exten =>` or `same =>` line with a valid extension, priority and application. Blank lines and
/// comments are skipped; a line may end with `\r` (text from a browser form).
pub fn parse_dialplan_entry(text: &str) -> DialplanEntry {
    let mut entry = DialplanEntry::default();
    let mut depth = 0usize;
    let mut comment_opened = 0usize;
    // The previous line's extension and priority (`same =>`, `n`, `s`), and which extensions have a
    // priority 1 (by their parsed form, as Asterisk groups them).
    let mut last: Option<(usize, i64)> = None;
    let mut has_one: Vec<bool> = Vec::new();
    for (index, raw) in text.split('\n').enumerate() {
        let line = index + 1;
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        let mut problem = |problem| entry.problems.push(LineError { line, problem });
        if let Some(c) = raw.chars().find(|c| c.is_control() && *c != '\t') {
            problem(LineProblem::ControlChar(c));
            continue;
        }
        let was_open = depth > 0;
        let code = strip_comments(raw, &mut depth);
        if !was_open && depth > 0 {
            comment_opened = line;
        }
        let code = code.trim_matches([' ', '\t']);
        if code.is_empty() {
            continue;
        }
        if code.starts_with('[') {
            problem(LineProblem::ContextHeader);
            continue;
        }
        if code.starts_with('#') {
            let word: String = code.chars().take_while(|c| !c.is_whitespace()).collect();
            problem(LineProblem::FileDirective(word));
            continue;
        }
        let Some((name, value)) = code.split_once('=') else {
            problem(LineProblem::NotExtenLine);
            continue;
        };
        let value = value.strip_prefix('>').unwrap_or(value);
        let name = name.trim_matches([' ', '\t']).to_ascii_lowercase();
        let (extension, rest) = match name.as_str() {
            "exten" => match value.split_once(',') {
                Some((ext, rest)) => (Some(ext.trim_matches([' ', '\t'])), rest),
                None => {
                    entry.exten_lines += 1;
                    match DialPattern::parse(value.trim_matches([' ', '\t'])) {
                        Err(e) => problem(LineProblem::Pattern(e)),
                        Ok(_) => problem(LineProblem::MissingPriority),
                    }
                    continue;
                }
            },
            "same" => (None, value),
            "include" | "switch" | "lswitch" | "eswitch" | "ignorepat" => {
                problem(LineProblem::OtherDirective(name));
                continue;
            }
            _ => {
                problem(LineProblem::NotExtenLine);
                continue;
            }
        };
        let pattern = match extension.map(DialPattern::parse) {
            Some(Err(e)) => {
                entry.exten_lines += 1;
                problem(LineProblem::Pattern(e));
                continue;
            }
            Some(Ok(p)) => {
                entry.exten_lines += 1;
                Some(p)
            }
            None if last.is_none() => {
                problem(LineProblem::SameWithoutExten);
                continue;
            }
            None => None,
        };
        let (priority, application) = match rest.split_once(',') {
            Some((p, a)) => (p.trim_matches([' ', '\t']), a.trim_matches([' ', '\t'])),
            None => (rest.trim_matches([' ', '\t']), ""),
        };
        if priority.is_empty() {
            problem(LineProblem::MissingPriority);
            continue;
        }
        let Some((base, offset)) = parse_priority(priority) else {
            problem(LineProblem::BadPriority(priority.to_string()));
            continue;
        };
        // pbx_config.c: `n` is the previous line's priority plus one, `s` the same; a hint is -1.
        let number = match (base, last) {
            ("hint", _) => -1,
            ("n" | "next" | "s" | "same", None) => {
                problem(LineProblem::RelativeFirstPriority(base.to_string()));
                continue;
            }
            ("n" | "next", Some((_, previous))) => previous + 1 + offset,
            ("s" | "same", Some((_, previous))) => previous + offset,
            (digits, _) => digits.parse::<i64>().map_or(0, |n| n + offset),
        };
        if number == 0 || number < -1 {
            // What Asterisk drops without running it (`n` after a hint gives 0).
            problem(LineProblem::BadPriority(priority.to_string()));
            continue;
        }
        if application.is_empty() {
            problem(LineProblem::MissingApplication);
            continue;
        }
        let slot = match (pattern, last) {
            (Some(pattern), _) => match entry.patterns.iter().position(|p| p.pattern.shape == pattern.shape) {
                Some(slot) => slot,
                None => {
                    entry.patterns.push(PatternLine { line, pattern });
                    has_one.push(false);
                    entry.patterns.len() - 1
                }
            },
            (None, Some((slot, _))) => slot,
            (None, None) => continue,
        };
        if number == 1 {
            has_one[slot] = true;
        }
        last = Some((slot, number));
    }
    if depth > 0 {
        entry.problems.push(LineError { line: comment_opened, problem: LineProblem::UnclosedComment });
    }
    for (p, one) in entry.patterns.iter().zip(&has_one) {
        if !one {
            let problem = LineProblem::NoPriorityOne(p.pattern.as_str().to_string());
            entry.problems.push(LineError { line: p.line, problem });
        }
    }
    entry.problems.sort_by_key(|e| e.line);
    entry
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> DialPattern {
        DialPattern::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    fn rule(text: &str) -> PatternRule {
        match DialPattern::parse(text) {
            Ok(p) => panic!("{text} parsed as {p:?}"),
            Err(e) => e.rule,
        }
    }

    fn check(pattern: &str, yes: &[&str], no: &[&str]) {
        let pat = p(pattern);
        for n in yes {
            assert!(pat.matches(n), "{pattern} should match {n}");
        }
        for n in no {
            assert!(!pat.matches(n), "{pattern} should not match {n}");
        }
    }

    #[test]
    fn x_z_n_are_digit_ranges_in_either_case() {
        check("_X", &["0", "5", "9"], &["", "a", "X", "10", "*"]);
        check("_Z", &["1", "9"], &["0", "a"]);
        check("_N", &["2", "9"], &["0", "1"]);
        check("_xzn", &["012", "999"], &["002", "011", "01"]);
        check("_XXX", &["000", "999"], &["99", "9999"]);
    }

    #[test]
    fn other_characters_compare_exactly() {
        check("_*98#", &["*98#"], &["98#", "*98", "*99#"]);
        check("_+1NXX", &["+1212"], &["1212", "+1112"]);
        check("_9a", &["9a"], &["9A"]);
        check("_91_X", &["91_5"], &["9155"]);
    }

    #[test]
    fn sets_hold_single_characters_and_ranges() {
        check("_[1-5]", &["1", "3", "5"], &["0", "6", "-"]);
        check("_[13-5]", &["1", "3", "4", "5"], &["2", "6"]);
        check("_[a-z]X", &["a1", "q0", "z9"], &["A1", "11"]);
        check("_[*#]X", &["*1", "#2"], &["11"]);
        // A `-` without a character on both sides is the character itself (pbx.c).
        let dash_first = p("_[-5]");
        assert!(dash_first.matches("5"));
        let dash_last = p("_[5-]");
        assert!(dash_last.matches("5"));
        check("_[1-5-9]", &["1", "5", "9"], &["6", "8"]);
        check("_[.!]", &["."], &["1"]);
        check("_[[]", &["["], &["]"]);
    }

    #[test]
    fn dot_is_one_or_more_and_bang_zero_or_more() {
        check("_9011.", &["90111", "9011441234567890", "9011*"], &["9011", "901", "8011123"]);
        check("_9011!", &["9011", "90111", "9011441234567890"], &["901", "8011"]);
        check("_X.", &["12", "5551234", "9*"], &["", "1", "a1"]);
        check("_!", &["", "1", "anything"], &[]);
    }

    #[test]
    fn dashes_are_ignored_outside_sets_in_patterns_and_numbers() {
        check("_NXX-XXXX", &["5551234", "555-1234"], &["555123"]);
        check("_9-1-NXX", &["91212"], &["9121"]);
        check("8300", &["8300", "83-00"], &["830", "83000"]);
        check("83-00", &["8300"], &["83-0"]);
    }

    #[test]
    fn without_underscore_an_extension_matches_only_itself() {
        check("8300", &["8300"], &["8301", "830", "83000"]);
        check("X1", &["X1"], &["51"]);
        check("9011.", &["9011."], &["90111"]);
        check("s", &["s"], &["S", "1"]);
        assert!(!p("8300").is_pattern() && p("_8300").is_pattern());
    }

    #[test]
    fn vicidial_patterns() {
        check(
            "_91NXXNXXXXXX",
            &["913125551234", "912125550000"],
            &["3125551234", "13125551234", "911125551234", "913121551234", "9131255512345", "91312555123"],
        );
        check("_9011.", &["901144207946000"], &["9011"]);
        check("_1NXXNXXXXXX", &["13125551234"], &["913125551234", "10125551234"]);
        check("_X.", &["913125551234", "101"], &["7"]);
        check("_NXXXXXX", &["5551234"], &["1551234", "55512345", "555123"]);
        check("_8XXX", &["8300", "8999"], &["830", "9300", "83001"]);
    }

    #[test]
    fn malformed_patterns_name_the_rule() {
        assert_eq!(rule(""), PatternRule::Empty);
        assert_eq!(rule("-"), PatternRule::Empty);
        assert_eq!(rule("_"), PatternRule::NothingAfterUnderscore);
        assert_eq!(rule("_--"), PatternRule::NothingAfterUnderscore);
        assert_eq!(rule("_9[1-5"), PatternRule::UnclosedSet { at: 3 });
        assert_eq!(rule("_9[]X"), PatternRule::EmptySet { at: 3 });
        assert_eq!(rule("_9[5-1]"), PatternRule::BackwardsRange { from: '5', to: '1', at: 4 });
        assert_eq!(rule("_91]"), PatternRule::StrayBracket { at: 4 });
        assert_eq!(rule("_9.1"), PatternRule::WildcardNotLast { wildcard: '.', at: 3 });
        assert_eq!(rule("_9!X"), PatternRule::WildcardNotLast { wildcard: '!', at: 3 });
        assert_eq!(rule("_9.-"), PatternRule::WildcardNotLast { wildcard: '.', at: 3 });
        assert_eq!(rule("_91 NXX"), PatternRule::ForbiddenChar { found: ' ', at: 4 });
        assert_eq!(rule("_91\tNXX"), PatternRule::ForbiddenChar { found: '\t', at: 4 });
        assert_eq!(rule("_91;x"), PatternRule::ForbiddenChar { found: ';', at: 4 });
        assert_eq!(rule("_9,1"), PatternRule::ForbiddenChar { found: ',', at: 3 });
        assert_eq!(rule("_9é"), PatternRule::ForbiddenChar { found: 'é', at: 3 });
        assert_eq!(rule("_9\u{7}"), PatternRule::ForbiddenChar { found: '\u{7}', at: 3 });
        assert_eq!(rule("_X./5551234"), PatternRule::CallerIdMatch { at: 4 });
        assert_eq!(rule("_${PREFIX}X."), PatternRule::Variable { at: 2 });
        assert_eq!(rule(&"9".repeat(81)), PatternRule::TooLong { max: 80, actual: 81 });
        assert!(DialPattern::parse(&format!("_{}", "X".repeat(79))).is_ok());
    }

    #[test]
    fn messages_name_the_pattern_and_the_rule() {
        let e = DialPattern::parse("_9[1-5").expect_err("unclosed");
        assert_eq!(e.to_string(), "pattern \"_9[1-5\" opens [ at character 3 but never closes it with ]");
        let e = DialPattern::parse("_9.1").expect_err("dot");
        assert_eq!(
            e.to_string(),
            "pattern \"_9.1\" has . at character 3, but . and ! may only be the last character of a pattern"
        );
        let e = DialPattern::parse("_9\u{7}").expect_err("control");
        assert_eq!(e.to_string(), "pattern \"_9\\u{7}\" may not contain the invisible character U+0007 (character 3)");
    }

    #[test]
    fn serde_reparses_and_refuses_invalid_text() {
        let pat = p("_91NXXNXXXXXX");
        let json = serde_json_like(&pat);
        assert_eq!(json, "_91NXXNXXXXXX");
        assert!(DialPattern::try_from("_9[".to_string()).is_err());
        assert_eq!("_X.".parse::<DialPattern>().map(|p| p.to_string()).as_deref(), Ok("_X."));
    }

    /// The serialised form without a JSON dependency: `Into<String>` is what serde writes.
    fn serde_json_like(p: &DialPattern) -> String {
        String::from(p.clone())
    }

    #[test]
    fn lengths_in_words() {
        assert_eq!(p("_91NXXNXXXXXX").describe_length(), "12 characters");
        assert_eq!(p("_9011.").describe_length(), "5 or more characters");
        assert_eq!(p("_9011!").describe_length(), "4 or more characters");
        assert_eq!(p("83-00").describe_length(), "exactly this number (4 characters)");
        assert_eq!(p("_X").describe_length(), "1 character");
    }

    #[test]
    fn asterisk_prefers_literals_then_smaller_sets() {
        let pats: Vec<DialPattern> =
            ["_X.", "_9X.", "_91NXXNXXXXXX", "_91XXXXXXXXXX", "913125551234"].iter().map(|t| p(t)).collect();
        let best = |n: &str| best_match(&pats, n).map(|p| p.as_str().to_string());
        assert_eq!(best("913125551234").as_deref(), Some("913125551234"));
        assert_eq!(best("913125551235").as_deref(), Some("_91NXXNXXXXXX"));
        assert_eq!(best("911125551235").as_deref(), Some("_91XXXXXXXXXX"));
        assert_eq!(best("9011").as_deref(), Some("_9X."));
        assert_eq!(best("8300").as_deref(), Some("_X."));
        assert_eq!(best("8").as_deref(), None);
        // `.` is preferred to `!` at the same position; N (8 digits) to X (10); a digit to N.
        assert_eq!(p("_9.").preference(&p("_9!")), Ordering::Less);
        assert_eq!(p("_N").preference(&p("_X")), Ordering::Less);
        assert_eq!(p("_5").preference(&p("_N")), Ordering::Less);
        assert_eq!(p("_[2-9]").preference(&p("_N")), Ordering::Equal);
        // Same size: the set with the lower characters first.
        assert_eq!(p("_[12]").preference(&p("_[13]")), Ordering::Less);
        // A tie keeps the first written.
        let tie = [p("_9[12]X"), p("_9[12]x")];
        assert_eq!(best_match(&tie, "915").map(|p| p.as_str()), Some("_9[12]X"));
    }

    const VICI: &str = "exten => _91NXXNXXXXXX,1,AGI(agi://127.0.0.1:4577/call_log)\n\
                        exten => _91NXXNXXXXXX,n,Dial(SIP/mytrunk/${EXTEN:1},,tTo)\n\
                        exten => _91NXXNXXXXXX,n,Hangup()\n";

    #[test]
    fn a_vicidial_dialplan_entry_gives_each_pattern_once() {
        let entry = parse_dialplan_entry(VICI);
        assert_eq!(entry.problems, vec![]);
        assert_eq!(entry.exten_lines, 3);
        assert_eq!(entry.patterns, vec![PatternLine { line: 1, pattern: p("_91NXXNXXXXXX") }]);
        let text = "; outbound through mytrunk\r\n\
                    \r\n\
                    exten => _9011.,1,AGI(agi://127.0.0.1:4577/call_log) ; log it\r\n\
                    same => n,Dial(SIP/mytrunk/${EXTEN:1},,tTo)\r\n\
                    \tsame=>n,Hangup()\r\n\
                    exten = _1NXXNXXXXXX,1,Dial(IAX2/other/${EXTEN})\r\n\
                    EXTEN => _1nxxnxxxxxx,2,Hangup\r\n\
                    exten => 8300 , 1 , Hangup()";
        let entry = parse_dialplan_entry(text);
        assert_eq!(entry.problems, vec![]);
        let found: Vec<(usize, &str)> = entry.patterns.iter().map(|p| (p.line, p.pattern.as_str())).collect();
        assert_eq!(found, vec![(3, "_9011."), (6, "_1NXXNXXXXXX"), (8, "8300")]);
        assert_eq!(entry.best_match("13125551234").map(|p| p.line), Some(6));
        assert_eq!(entry.best_match("8300").map(|p| p.line), Some(8));
        assert_eq!(entry.best_match("3125551234"), None);
    }

    #[test]
    fn comments_blank_lines_and_escapes() {
        let text = ";-- a block comment\nexten => _X.,1,Hangup()\nstill comment --;\n\
                    exten => _8XXX,1,Dial(SIP/x\\;y) ;-- inline --; ; and a line comment\n\
                    ; exten => _7XXX,1,Hangup()\n   \n";
        let entry = parse_dialplan_entry(text);
        assert_eq!(entry.problems, vec![]);
        let found: Vec<&str> = entry.patterns.iter().map(|p| p.pattern.as_str()).collect();
        assert_eq!(found, vec!["_8XXX"]);
        // The `;` always ends the extension: it cannot be part of a pattern.
        let entry = parse_dialplan_entry("exten => _91;NXX,1,Hangup()");
        assert_eq!(entry.problems, vec![LineError { line: 1, problem: LineProblem::MissingPriority }]);
        let entry = parse_dialplan_entry("exten => _91\\;NXX,1,Hangup()");
        assert!(
            matches!(&entry.problems[0].problem, LineProblem::Pattern(e) if e.rule == PatternRule::ForbiddenChar { found: ';', at: 4 })
        );
        let entry = parse_dialplan_entry(";--- a line comment, not a block ---\nexten => _7XXX,1,Hangup()");
        assert_eq!((entry.problems.len(), entry.patterns.len()), (0, 1));
        let entry = parse_dialplan_entry("exten => _X.,1,Hangup()\n;-- never closed\nexten => _9X.,1,Hangup()");
        assert_eq!(entry.problems, vec![LineError { line: 2, problem: LineProblem::UnclosedComment }]);
    }

    fn problems(text: &str) -> Vec<(usize, LineProblem)> {
        parse_dialplan_entry(text).problems.into_iter().map(|e| (e.line, e.problem)).collect()
    }

    #[test]
    fn only_exten_and_same_lines_are_allowed() {
        assert_eq!(problems("[trunk-out]\nexten => _X.,1,Hangup()"), vec![(1, LineProblem::ContextHeader)]);
        assert_eq!(
            problems("#include extra.conf\n#exec /bin/x"),
            vec![(1, LineProblem::FileDirective("#include".into())), (2, LineProblem::FileDirective("#exec".into()))]
        );
        for d in ["include", "switch", "lswitch", "eswitch", "ignorepat"] {
            assert_eq!(problems(&format!("{d} => other")), vec![(1, LineProblem::OtherDirective(d.into()))], "{d}");
        }
        assert_eq!(problems("Dial(SIP/x)"), vec![(1, LineProblem::NotExtenLine)]);
        assert_eq!(problems("register => a:b@c"), vec![(1, LineProblem::NotExtenLine)]);
        assert_eq!(problems("same => n,Hangup()"), vec![(1, LineProblem::SameWithoutExten)]);
        assert_eq!(problems("exten => _X."), vec![(1, LineProblem::MissingPriority)]);
        assert_eq!(problems("exten => _X.,,Hangup()"), vec![(1, LineProblem::MissingPriority)]);
        assert_eq!(problems("exten => _X.,1"), vec![(1, LineProblem::MissingApplication)]);
        assert_eq!(problems("exten => _X.,1,  "), vec![(1, LineProblem::MissingApplication)]);
        assert_eq!(problems("exten => _X.,0,Hangup()"), vec![(1, LineProblem::BadPriority("0".into()))]);
        assert_eq!(problems("exten => _X.,N,Hangup()"), vec![(1, LineProblem::BadPriority("N".into()))]);
        assert_eq!(problems("exten => _X.,1(start,Hangup()"), vec![(1, LineProblem::BadPriority("1(start".into()))]);
        assert_eq!(problems("exten => _X.,n,Hangup()"), vec![(1, LineProblem::RelativeFirstPriority("n".into()))]);
        assert_eq!(problems("exten => _X.,1,Ok\u{1b}"), vec![(1, LineProblem::ControlChar('\u{1b}'))]);
        let bad = problems("exten => _9[1-,1,Hangup()");
        assert!(matches!(&bad[0], (1, LineProblem::Pattern(e)) if e.rule == PatternRule::UnclosedSet { at: 3 }));
    }

    #[test]
    fn priorities_follow_pbx_config() {
        let ok = "exten => _X.,1(start),NoOp()\nsame => n+1,Hangup()\nsame => s,Wait(1)\n\
                  exten => _8XXX,hint,SIP/8000\nexten => _8XXX,1,Dial(${HINT})\nexten => _7XXX,1,Hangup()\n\
                  exten => _7XXX,next(end),Hangup()";
        assert_eq!(problems(ok), vec![]);
        // Priority 2 only: Asterisk would never start the extension.
        assert_eq!(
            problems("exten => _X.,1,NoOp()\nexten => _9XXX,n,Dial(SIP/t/${EXTEN})"),
            vec![(2, LineProblem::NoPriorityOne("_9XXX".into()))]
        );
        assert_eq!(problems("exten => _9XXX,2,Dial(x)"), vec![(1, LineProblem::NoPriorityOne("_9XXX".into()))]);
    }

    #[test]
    fn valid_lines_still_give_their_patterns() {
        let entry = parse_dialplan_entry("exten => _9[,1,Hangup()\nexten => _9XXX,1,Dial(x)\n[ctx]");
        let found: Vec<&str> = entry.patterns.iter().map(|p| p.pattern.as_str()).collect();
        assert_eq!(found, vec!["_9XXX"]);
        assert_eq!(entry.problems.len(), 2);
        assert_eq!(entry.exten_lines, 2);
    }

    #[test]
    fn an_empty_entry_has_nothing() {
        assert_eq!(parse_dialplan_entry(""), DialplanEntry::default());
        assert_eq!(parse_dialplan_entry("; only a comment\n\n").patterns, vec![]);
    }
}
