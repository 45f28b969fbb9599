//! Asterisk extension patterns (placeholder until the carriers branch lands; replaced by its module).

/// A parsed extension pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DialPattern {
    text: String,
}

impl DialPattern {
    /// The pattern as written.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Whether `number` matches.
    pub fn matches(&self, number: &str) -> bool {
        let Some(p) = self.text.strip_prefix('_') else { return self.text == number };
        let (pc, nc): (Vec<char>, Vec<char>) = (p.chars().collect(), number.chars().collect());
        let (mut i, mut j) = (0, 0);
        while i < pc.len() {
            match pc[i] {
                '.' => return j < nc.len(),
                '!' => return true,
                c => {
                    let Some(&n) = nc.get(j) else { return false };
                    let ok = match c.to_ascii_uppercase() {
                        'X' => n.is_ascii_digit(),
                        'Z' => ('1'..='9').contains(&n),
                        'N' => ('2'..='9').contains(&n),
                        '[' => {
                            let Some(end) = pc[i..].iter().position(|&x| x == ']') else { return false };
                            let class = &pc[i + 1..i + end];
                            i += end;
                            let mut k = 0;
                            let mut hit = false;
                            while k < class.len() {
                                if k + 2 < class.len() && class[k + 1] == '-' {
                                    hit |= (class[k]..=class[k + 2]).contains(&n);
                                    k += 3;
                                } else {
                                    hit |= class[k] == n;
                                    k += 1;
                                }
                            }
                            hit
                        }
                        _ => c == n,
                    };
                    if !ok {
                        return false;
                    }
                    j += 1;
                }
            }
            i += 1;
        }
        j == nc.len()
    }
}

/// The extension patterns of `exten =>` lines, each once, with its line number (from 1).
pub fn exten_patterns(entry: &str) -> Vec<(usize, DialPattern)> {
    let mut out: Vec<(usize, DialPattern)> = Vec::new();
    for (n, line) in entry.lines().enumerate() {
        let line = line.split(';').next().unwrap_or("").trim();
        let Some(rest) = line.strip_prefix("exten") else { continue };
        let Some(rest) = rest.trim_start().strip_prefix("=>") else { continue };
        let text = rest.split(',').next().unwrap_or("").trim().to_string();
        if !text.is_empty() && !out.iter().any(|(_, p)| p.text == text) {
            out.push((n + 1, DialPattern { text }));
        }
    }
    out
}
