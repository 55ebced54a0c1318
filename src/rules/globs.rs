//! A rule's `paths` globs as a matcher. The simple globs most rules use (literal text and `*`,
//! maybe after a leading `**/`) are matched here directly, with exactly the meaning globset
//! gives them (`*` crosses `/`; `**/` is any leading directories, or none); any other glob goes
//! to a globset, which compiles regexes and so is built only when a rule has such a glob. This
//! module only matches paths; which paths a rule sees is the rule's business.

use globset::{Glob, GlobSet, GlobSetBuilder};

/// A glob of literal text and single `*`s, maybe after a leading `**/`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Simple {
    any_directory: bool,
    /// The text between the `*`s (one more piece than there are `*`s).
    pieces: Vec<Vec<u8>>,
}

impl Simple {
    /// `None` unless `glob` is of the simple form.
    fn parse(glob: &str) -> Option<Simple> {
        let (any_directory, body) = match glob.strip_prefix("**/") {
            Some(body) => (true, body),
            None => (false, glob),
        };
        let special = |b: u8| matches!(b, b'?' | b'[' | b']' | b'{' | b'}' | b'\\' | b'!');
        if body.is_empty() || body.contains("**") || body.bytes().any(special) {
            return None;
        }
        let pieces = body.split('*').map(|p| p.as_bytes().to_vec()).collect();
        Some(Simple {
            any_directory,
            pieces,
        })
    }

    fn is_match(&self, path: &[u8]) -> bool {
        if !self.any_directory {
            return self.body_matches(path);
        }
        // `**/body`: the body matches the path after some `/`, or the whole path.
        if let [literal] = self.pieces.as_slice() {
            let Some(before) = path.len().checked_sub(literal.len()) else {
                return false;
            };
            return path.ends_with(literal) && (before == 0 || path[before - 1] == b'/');
        }
        let last = self.pieces.last().expect("at least one piece");
        path.ends_with(last)
            && (self.body_matches(path)
                || memchr::memchr_iter(b'/', path).any(|i| self.body_matches(&path[i + 1..])))
    }

    /// Whether the whole of `text` matches the pieces with anything between them.
    fn body_matches(&self, text: &[u8]) -> bool {
        let (first, rest) = self.pieces.split_first().expect("at least one piece");
        let Some((last, middle)) = rest.split_last() else {
            return text == first.as_slice();
        };
        if text.len() < first.len() + last.len()
            || !text.starts_with(first)
            || !text.ends_with(last)
        {
            return false;
        }
        let mut between = &text[first.len()..text.len() - last.len()];
        for piece in middle {
            match memchr::memmem::find(between, piece) {
                Some(at) => between = &between[at + piece.len()..],
                None => return false,
            }
        }
        true
    }
}

/// Whether `glob` is valid (a simple one always is; only others are parsed).
pub fn parses(glob: &str) -> bool {
    Simple::parse(glob).is_some() || Glob::new(glob).is_ok()
}

/// The globs of one rule.
#[derive(Debug)]
pub struct PathGlobs {
    simple: Vec<Simple>,
    /// The globs that are not simple, when there are any.
    set: Option<GlobSet>,
}

impl PathGlobs {
    /// Builds the matcher (`None` for no globs); an error names the glob that does not parse.
    pub fn new<S: AsRef<str>>(globs: &[S]) -> Result<Option<PathGlobs>, String> {
        if globs.is_empty() {
            return Ok(None);
        }
        let mut simple = Vec::new();
        let mut others = GlobSetBuilder::new();
        let mut any_other = false;
        for g in globs {
            let g = g.as_ref();
            match Simple::parse(g) {
                Some(s) => simple.push(s),
                None => {
                    others.add(Glob::new(g).map_err(|e| format!("bad path glob `{g}`: {e}"))?);
                    any_other = true;
                }
            }
        }
        let set = match any_other {
            true => Some(others.build().map_err(|e| e.to_string())?),
            false => None,
        };
        Ok(Some(PathGlobs { simple, set }))
    }

    /// False when no glob can match `path` or any suffix of it (its file name): every simple
    /// glob's match ends with the glob's last piece. One pass over the globs, with no
    /// matching, for the many files that a rule's `paths` leave out.
    pub fn may_match(&self, path: &str) -> bool {
        let bytes = normalized(path);
        // The last bytes compared first: most paths differ there, and `ends_with` is a call.
        let ends_with = |piece: &[u8]| match piece.last() {
            None => true,
            Some(last) => bytes.last() == Some(last) && bytes.ends_with(piece),
        };
        self.set.is_some()
            || (self.simple.iter()).any(|s| ends_with(s.pieces.last().expect("at least one piece")))
    }

    /// Whether any of the globs matches `path` (`/`-separated).
    pub fn is_match(&self, path: &str) -> bool {
        let bytes = normalized(path);
        self.simple.iter().any(|s| s.is_match(&bytes))
            || self.set.as_ref().is_some_and(|set| set.is_match(path))
    }
}

/// The path as globset sees it: on Unix as it is; elsewhere with every separator made `/`.
#[cfg(unix)]
fn normalized(path: &str) -> std::borrow::Cow<'_, [u8]> {
    std::borrow::Cow::Borrowed(path.as_bytes())
}

#[cfg(not(unix))]
fn normalized(path: &str) -> std::borrow::Cow<'_, [u8]> {
    let bytes = path.as_bytes();
    match bytes
        .iter()
        .any(|&b| b != b'/' && std::path::is_separator(char::from(b)))
    {
        false => std::borrow::Cow::Borrowed(bytes),
        true => std::borrow::Cow::Owned(
            bytes
                .iter()
                .map(|&b| match std::path::is_separator(char::from(b)) {
                    true => b'/',
                    false => b,
                })
                .collect(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// globset's answer for one glob.
    fn globset(glob: &str, path: &str) -> bool {
        Glob::new(glob).unwrap().compile_matcher().is_match(path)
    }

    const PATHS: &[&str] = &[
        "",
        "a",
        "/a",
        "a/",
        ".env",
        "app/.env",
        ".env.local",
        "config/.env.production",
        "x.env",
        "deploy/prod.env",
        "settings.py",
        "app/settings.py",
        "app/settings/base.py",
        "settings/base.py",
        "a/settings/b/c.py",
        "settings_local.py",
        "proj/dev_settings.py",
        "etc/shadow",
        "/etc/shadow-",
        "root/etc/shadow.bak",
        "shadow",
        "home/u/.aws/credentials",
        ".aws/credentials",
        ".docker/config.json",
        "x/.docker/config.json",
        "Dockerfile",
        "Dockerfile.prod",
        "svc/api.Dockerfile",
        "nb.ipynb",
        "a\nb.py",
        "é/.netrc",
    ];

    #[test]
    fn simple_globs_match_as_globset_matches_them() {
        let mut globs: Vec<String> = crate::rules::builtin::BUILTIN_RULES
            .iter()
            .flat_map(|r| r.paths.iter().map(|g| g.to_string()))
            .collect();
        for extra in [
            "*", "a*", "*a", "**/a*b", "a*b*c", "**/*", "**/a/*/b", "*.*",
        ] {
            globs.push(extra.to_string());
        }
        let mut simple = 0;
        for glob in &globs {
            let Some(parsed) = Simple::parse(glob) else {
                continue;
            };
            simple += 1;
            for path in PATHS {
                let want = globset(glob, path);
                assert_eq!(
                    parsed.is_match(path.as_bytes()),
                    want,
                    "{glob:?} on {path:?}"
                );
            }
        }
        assert!(
            simple * 10 >= globs.len() * 9,
            "most built-in globs are simple"
        );
    }

    #[test]
    fn may_match_never_rules_out_a_match_of_the_path_or_its_file_name() {
        let mut sets: Vec<Vec<String>> = crate::rules::builtin::BUILTIN_RULES
            .iter()
            .map(|r| r.paths.iter().map(|g| g.to_string()).collect())
            .filter(|g: &Vec<String>| !g.is_empty())
            .collect();
        sets.extend([vec!["**/a*b".into(), "x".into()], vec!["*.*".into()]]);
        let mut ruled_out = 0;
        for globs in &sets {
            let set = PathGlobs::new(globs).unwrap().unwrap();
            for path in PATHS {
                if set.may_match(path) {
                    continue;
                }
                ruled_out += 1;
                let name = path.rsplit('/').next().unwrap();
                assert!(
                    !set.is_match(path) && !set.is_match(name),
                    "{globs:?} on {path:?}"
                );
            }
        }
        assert!(ruled_out > 100);
    }

    /// Random globs and paths over a small alphabet, where the edge cases live.
    #[test]
    fn random_simple_globs_agree_with_globset() {
        const GLOB: &[u8] = b"ab./*";
        const PATH: &[u8] = b"ab./";
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = |n: usize| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x % n as u64) as usize
        };
        let mut compared = 0;
        for _ in 0..4000 {
            let len = next(6) + 1;
            let mut glob: String = (0..len).map(|_| GLOB[next(GLOB.len())] as char).collect();
            if next(3) == 0 {
                glob.insert_str(0, "**/");
            }
            let Some(parsed) = Simple::parse(&glob) else {
                continue;
            };
            let reference = Glob::new(&glob).unwrap().compile_matcher();
            for _ in 0..8 {
                let len = next(8);
                let path: String = (0..len).map(|_| PATH[next(PATH.len())] as char).collect();
                assert_eq!(
                    parsed.is_match(path.as_bytes()),
                    reference.is_match(&path),
                    "{glob:?} on {path:?}"
                );
                compared += 1;
            }
        }
        assert!(compared > 10_000);
    }

    #[test]
    fn other_globs_go_to_globset() {
        for glob in ["a?", "[ab]", "{a,b}", "a/**", "a/**/b", "\\*", "**", "**/"] {
            assert_eq!(Simple::parse(glob), None, "{glob}");
        }
        let both = PathGlobs::new(&["*.py", "conf/{a,b}.ini"])
            .unwrap()
            .unwrap();
        assert!(both.is_match("x/y.py"));
        assert!(both.is_match("conf/b.ini"));
        assert!(!both.is_match("conf/c.ini"));
        assert!(PathGlobs::new(&["a["]).is_err());
        assert!(PathGlobs::new::<&str>(&[]).unwrap().is_none());
    }
}
