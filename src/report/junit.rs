//! `--format junit`: JUnit XML for CI systems that show test reports (GitLab, Jenkins, Azure
//! Pipelines). One test suite; one failing test case per finding, its secret redacted; a clean
//! run is one passing test case, so the CI view shows that the gate ran.

use super::{shown_secret, ReportOptions, Summary};
use crate::finding::Finding;
use crate::sanitize::escape;
use std::io::{self, Write};

pub fn render(out: &mut dyn Write, summary: &Summary, opts: &ReportOptions) -> io::Result<()> {
    let failures = summary.findings.len();
    let errors = summary.problems.iter().filter(|p| p.error).count();
    let skipped = summary.problems.len() - errors;
    let tests = (failures + summary.problems.len()).max(1);
    let time = summary.stats.elapsed_ms as f64 / 1000.0;
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        out,
        r#"<testsuites name="keyward" tests="{tests}" failures="{failures}" errors="{errors}" time="{time:.3}">"#
    )?;
    writeln!(
        out,
        r#"  <testsuite name="keyward" tests="{tests}" failures="{failures}" errors="{errors}" skipped="{skipped}" time="{time:.3}">"#
    )?;
    // What the run could not see: an error test case each (a skipped test case for a large
    // file the user accepted to skip).
    for p in &summary.problems {
        let name = attr(&p.path);
        let message = attr(&p.message);
        let element = if p.error { "error" } else { "skipped" };
        writeln!(
            out,
            r#"    <testcase classname="keyward.input" name="{name}"><{element} message="{message}"/></testcase>"#
        )?;
    }
    if let Some(more) = capped_text(summary) {
        writeln!(out, "    <system-out>{}</system-out>", text(&more))?;
    }
    if summary.findings.is_empty() && summary.problems.is_empty() {
        writeln!(
            out,
            r#"    <testcase classname="keyward" name="no secrets found" time="{time:.3}"/>"#
        )?;
    }
    for f in &summary.findings {
        testcase(out, f, opts.show_secrets)?;
    }
    writeln!(out, "  </testsuite>")?;
    writeln!(out, "</testsuites>")
}

fn testcase(out: &mut dyn Write, f: &Finding, show_secrets: bool) -> io::Result<()> {
    let path = attr(&f.path);
    let name = format!("{path}:{}:{} {}", f.line, f.column, attr(&f.rule));
    let secret = shown_secret(f, show_secrets);
    writeln!(
        out,
        r#"    <testcase classname="keyward.{}" name="{name}" file="{path}" line="{}">"#,
        attr(&f.rule),
        f.line
    )?;
    writeln!(
        out,
        r#"      <failure type="{}" message="{} {}">{}</failure>"#,
        attr(&f.rule),
        attr(&f.title),
        attr(&secret),
        text(&details(f, &secret))
    )?;
    writeln!(out, "    </testcase>")
}

/// The "and N more" lines, when findings were capped.
fn capped_text(summary: &Summary) -> Option<String> {
    (!summary.capped.is_empty()).then(|| {
        summary
            .capped
            .iter()
            .map(|(path, rule, more)| {
                format!("{path}: {rule}: and {more} more findings not listed\n")
            })
            .collect()
    })
}

/// The failure body: what a person needs to act on the finding.
fn details(f: &Finding, secret: &str) -> String {
    let mut body = format!(
        "{}:{}:{}\nrule: {} ({}, {})\nsecret: {secret}\nfingerprint: {}\n",
        f.path,
        f.line,
        f.column,
        f.rule,
        f.kind.as_str(),
        f.severity,
        f.fingerprint
    );
    if let Some(c) = &f.commit {
        body.push_str(&format!(
            "commit: {} {} <{}> {} {}\n",
            c.id, c.author, c.email, c.date, c.summary
        ));
    }
    body.push_str(&format!("fix: {}\n", f.remediation));
    body
}

/// Text for an attribute: control characters (not allowed in XML 1.0) escaped as `\u{…}`,
/// then the XML specials.
fn attr(raw: &str) -> String {
    xml_escape(&escape(raw), true)
}

/// Element text: newlines and tabs kept, other control characters escaped.
fn text(raw: &str) -> String {
    let lines: Vec<String> = raw.split('\n').map(escape).collect();
    xml_escape(&lines.join("\n"), false)
}

fn xml_escape(s: &str, in_attribute: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if in_attribute => out.push_str("&quot;"),
            '\'' if in_attribute => out.push_str("&apos;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{attr, text};

    #[test]
    fn escapes_markup_and_control_characters() {
        assert_eq!(attr(r#"a<b>&"c'"#), "a&lt;b&gt;&amp;&quot;c&apos;");
        assert_eq!(attr("x\x1by"), "x\\u{1b}y");
        assert_eq!(text("a\nb\x07<"), "a\nb\\u{7}&lt;");
    }
}
