//! Request parameters as PHP sees them: the query string and, for POST, the form body; a name in the
//! query string wins over the body (VICIdial reads `$_GET` first), and a repeated name keeps its last
//! value (PHP). Values that are not valid UTF-8 after percent-decoding are an error, never replaced.

use std::collections::HashMap;

use percent_encoding::percent_decode;

/// The decoded parameters.
#[derive(Debug, Default, Clone)]
pub struct Params {
    values: HashMap<String, String>,
    order: Vec<String>,
}

/// A parameter that could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadEncoding {
    /// The parameter's name, or `(name)` when the name itself is broken.
    pub name: String,
}

fn decode(raw: &str) -> Result<String, ()> {
    let plus = raw.replace('+', " ");
    String::from_utf8(percent_decode(plus.as_bytes()).collect()).map_err(|_| ())
}

impl Params {
    /// Parses the query string and the (urlencoded) body.
    pub fn parse(query: Option<&str>, body: Option<&str>) -> Result<Params, BadEncoding> {
        let mut params = Params::default();
        // Body first, query second: later inserts win, so the query string overrides the body.
        for source in [body, query].into_iter().flatten() {
            let mut seen_here: HashMap<String, String> = HashMap::new();
            for pair in source.split('&').filter(|p| !p.is_empty()) {
                let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                let name = decode(k).map_err(|_| BadEncoding { name: "(name)".into() })?;
                let value = decode(v).map_err(|_| BadEncoding { name: name.clone() })?;
                seen_here.insert(name, value);
            }
            for (k, v) in seen_here {
                if !params.values.contains_key(&k) {
                    params.order.push(k.clone());
                }
                params.values.insert(k, v);
            }
        }
        Ok(params)
    }

    /// The value of `name`, empty when absent.
    pub fn get(&self, name: &str) -> &str {
        self.values.get(name).map_or("", String::as_str)
    }

    /// Whether `name` was sent with a non-empty value.
    pub fn has(&self, name: &str) -> bool {
        !self.get(name).is_empty()
    }

    /// The names sent, in the order first sent (for the call log: names only, never values).
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.order.iter().map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_wins_and_last_repeat_wins() {
        let p = Params::parse(Some("a=1&a=2&b=q"), Some("b=body&c=3")).expect("parse");
        assert_eq!(p.get("a"), "2");
        assert_eq!(p.get("b"), "q");
        assert_eq!(p.get("c"), "3");
        assert_eq!(p.get("missing"), "");
    }

    #[test]
    fn decoding() {
        let p = Params::parse(Some("n=Agent+101&e=a%40b.com&u=Jos%C3%A9"), None).expect("parse");
        assert_eq!(p.get("n"), "Agent 101");
        assert_eq!(p.get("e"), "a@b.com");
        assert_eq!(p.get("u"), "José");
        assert_eq!(Params::parse(Some("x=%FF"), None).map(|_| ()), Err(BadEncoding { name: "x".into() }));
    }
}
