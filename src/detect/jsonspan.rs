//! A small JSON reader that keeps where each string sits: the detectors need a value's place
//! in the file (to report it there), which a JSON library does not give. It builds a tree of
//! spans, decodes a string only when asked, and gives up (`None`) on anything that is not
//! JSON or nests deeper than `MAX_DEPTH`. It reads; it never writes JSON.

/// Nesting deeper than this is not a manifest; stopping also bounds the recursion.
const MAX_DEPTH: usize = 64;

#[derive(Debug)]
pub enum Node {
    /// Members in file order: (key, value).
    Object(Vec<(Str, Node)>),
    Array(Vec<Node>),
    Str(Str),
    /// A number, `true`, `false` or `null`.
    Scalar,
}

/// A string literal: the byte range of its contents, between the quotes, still escaped.
#[derive(Debug, Clone, Copy)]
pub struct Str {
    pub start: usize,
    pub end: usize,
}

impl Str {
    /// The string's value, escapes decoded.
    pub fn decode(&self, text: &str) -> String {
        let raw = &text[self.start..self.end];
        if !raw.contains('\\') {
            return raw.to_string();
        }
        let mut out = String::with_capacity(raw.len());
        let mut chars = raw.chars();
        while let Some(c) = chars.next() {
            if c != '\\' {
                out.push(c);
                continue;
            }
            match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some('r') => out.push('\r'),
                Some('b') => out.push('\u{8}'),
                Some('f') => out.push('\u{c}'),
                Some('u') => {
                    let hex: String = chars.by_ref().take(4).collect();
                    let code = u32::from_str_radix(&hex, 16).unwrap_or(0xfffd);
                    out.push(char::from_u32(code).unwrap_or('\u{fffd}'));
                }
                Some(other) => out.push(other),
                None => {}
            }
        }
        out
    }

    /// Whether the string is exactly `word` (keys and kinds are plain ASCII).
    pub fn is(&self, text: &str, word: &str) -> bool {
        &text[self.start..self.end] == word
    }
}

impl Node {
    /// The value of member `key` of an object.
    pub fn get(&self, text: &str, key: &str) -> Option<&Node> {
        match self {
            Node::Object(members) => members
                .iter()
                .find(|(k, _)| k.is(text, key))
                .map(|(_, v)| v),
            _ => None,
        }
    }
}

/// The tree of `text`, or `None` when it is not one JSON value.
pub fn parse(text: &str) -> Option<Node> {
    let mut reader = Reader {
        b: text.as_bytes(),
        at: 0,
    };
    let node = reader.value(0)?;
    reader.skip_space();
    (reader.at == reader.b.len()).then_some(node)
}

struct Reader<'a> {
    b: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn skip_space(&mut self) {
        while self.b.get(self.at).is_some_and(u8::is_ascii_whitespace) {
            self.at += 1;
        }
    }

    fn eat(&mut self, c: u8) -> bool {
        self.skip_space();
        let found = self.b.get(self.at) == Some(&c);
        if found {
            self.at += 1;
        }
        found
    }

    fn value(&mut self, depth: usize) -> Option<Node> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.skip_space();
        match *self.b.get(self.at)? {
            b'{' => self.object(depth),
            b'[' => self.array(depth),
            b'"' => self.string().map(Node::Str),
            c if c == b'-' || c.is_ascii_alphanumeric() => {
                while self
                    .b
                    .get(self.at)
                    .is_some_and(|c| c.is_ascii_alphanumeric() || b"+-.".contains(c))
                {
                    self.at += 1;
                }
                Some(Node::Scalar)
            }
            _ => None,
        }
    }

    fn object(&mut self, depth: usize) -> Option<Node> {
        self.at += 1;
        let mut members = Vec::new();
        if self.eat(b'}') {
            return Some(Node::Object(members));
        }
        loop {
            self.skip_space();
            let key = self.string()?;
            if !self.eat(b':') {
                return None;
            }
            members.push((key, self.value(depth + 1)?));
            if self.eat(b'}') {
                return Some(Node::Object(members));
            }
            if !self.eat(b',') {
                return None;
            }
        }
    }

    fn array(&mut self, depth: usize) -> Option<Node> {
        self.at += 1;
        let mut items = Vec::new();
        if self.eat(b']') {
            return Some(Node::Array(items));
        }
        loop {
            items.push(self.value(depth + 1)?);
            if self.eat(b']') {
                return Some(Node::Array(items));
            }
            if !self.eat(b',') {
                return None;
            }
        }
    }

    fn string(&mut self) -> Option<Str> {
        if self.b.get(self.at) != Some(&b'"') {
            return None;
        }
        let start = self.at + 1;
        let mut i = start;
        loop {
            match *self.b.get(i)? {
                b'"' => break,
                b'\\' => i += 2,
                b'\n' => return None,
                _ => i += 1,
            }
        }
        self.at = i + 1;
        Some(Str { start, end: i })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_keep_their_place_and_decode_on_demand() {
        let text = "{\"a\": [1, true, null, {\"b\": \"x\\/y\\u0041\"}], \"c\": -2.5e3}";
        let tree = parse(text).unwrap();
        let Some(Node::Array(items)) = tree.get(text, "a") else {
            panic!("{tree:?}");
        };
        let Some(Node::Str(b)) = items[3].get(text, "b") else {
            panic!("{items:?}");
        };
        assert_eq!(&text[b.start..b.end], "x\\/y\\u0041");
        assert_eq!(b.decode(text), "x/yA");
        assert!(matches!(tree.get(text, "c"), Some(Node::Scalar)));
    }

    #[test]
    fn what_is_not_json_gives_none() {
        for text in [
            "{\"a\": 1",
            "{\"a\" 1}",
            "{'a': 1}",
            "[1, 2,]x",
            "kind: Secret",
            "{\"a\": \"b\"} trailing",
        ] {
            assert!(parse(text).is_none(), "{text}");
        }
        let deep = "[".repeat(MAX_DEPTH + 2) + &"]".repeat(MAX_DEPTH + 2);
        assert!(parse(&deep).is_none());
    }
}
