//! `--format human`: one block per finding, coloured when the terminal allows (`--color`,
//! `NO_COLOR`), every piece of scanned text escaped.

use super::{shown_secret, ReportOptions, Summary};
use crate::finding::{Finding, Kind, Severity};
use crate::sanitize::escape;
use colored::{ColoredString, Colorize};
use std::io::{self, Write};

pub fn render(out: &mut dyn Write, summary: &Summary, opts: &ReportOptions) -> io::Result<()> {
    colored::control::set_override(opts.color);
    for f in &summary.findings {
        finding(out, f, opts)?;
    }
    if !opts.quiet {
        footer(out, summary)?;
    }
    Ok(())
}

fn finding(out: &mut dyn Write, f: &Finding, opts: &ReportOptions) -> io::Result<()> {
    writeln!(
        out,
        "{}:{}:{}  {}  {}  {}",
        escape(&f.path).bold(),
        f.line,
        f.column,
        severity(f.severity),
        f.rule.cyan(),
        escape(&f.title)
    )?;
    writeln!(
        out,
        "    {} {}   {} {}",
        // A hygiene finding's value is the offending text, redacted all the same (it can hold
        // a key: `SECRET_KEY = "…"`).
        match f.kind {
            Kind::Secret => "secret",
            Kind::Hygiene => "match",
        }
        .dimmed(),
        escape(&shown_secret(f, opts.show_secrets)),
        "fingerprint".dimmed(),
        &f.fingerprint[..16.min(f.fingerprint.len())]
    )?;
    if let Some(c) = &f.commit {
        writeln!(
            out,
            "    {} {} {} <{}> {}  {}",
            "commit".dimmed(),
            &c.id[..12.min(c.id.len())],
            escape(&c.author),
            escape(&c.email),
            c.date,
            escape(&c.summary)
        )?;
    }
    if opts.verbose {
        writeln!(out, "    {} {}", "fix".dimmed(), escape(&f.remediation))?;
    }
    writeln!(out)
}

fn severity(s: Severity) -> ColoredString {
    match s {
        Severity::Critical => "CRITICAL".red().bold(),
        Severity::High => "HIGH".red(),
        Severity::Medium => "MEDIUM".yellow(),
        Severity::Low => "LOW".normal(),
    }
}

fn footer(out: &mut dyn Write, summary: &Summary) -> io::Result<()> {
    let mut counts = [0usize; 4];
    for f in &summary.findings {
        counts[f.severity as usize] += 1;
    }
    let s = &summary.stats;
    let scope = if s.commits > 0 {
        format!("{} commits, {} blobs", s.commits, s.blobs)
    } else {
        format!("{} files", s.files)
    };
    let n = summary.findings.len();
    writeln!(
        out,
        "{n} finding{} ({} critical, {} high, {} medium, {} low) in {}, {} bytes, {} ms",
        if n == 1 { "" } else { "s" },
        counts[3],
        counts[2],
        counts[1],
        counts[0],
        scope,
        s.bytes,
        s.elapsed_ms
    )?;
    for (path, rule, more) in &summary.capped {
        writeln!(
            out,
            "{}: {rule}: and {} more",
            escape(path),
            thousands(*more)
        )?;
    }
    let errors = summary.problems.iter().filter(|p| p.error).count() as u64;
    if s.errors > 0 {
        writeln!(
            out,
            "{} input(s) could not be scanned (listed on stderr); the result is incomplete",
            s.errors.max(errors)
        )?;
    }
    for p in summary.problems.iter().filter(|p| !p.error) {
        writeln!(out, "note: {}: {}", escape(&p.path), escape(&p.message))?;
    }
    // `summary.notes` went to stderr when they were made (`messages::note`): not again here.
    Ok(())
}

/// `249990` → `249,990`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
