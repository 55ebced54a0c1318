//! `dockerfile-root-user`: the final stage of a Dockerfile runs as root, because it has no
//! `USER` (and does not build on an earlier stage that set one), or its last `USER` is `root`
//! or `0`. A base image that is non-root by convention (a `nonroot` tag, Chainguard images) is
//! trusted. Dockerfiles named for development (`Dockerfile.dev`) and dev containers are
//! skipped. A missing USER is reported at line 1; a root USER at its line.

use super::paths::{file_name, is_dockerfile, names_dev_variant};
use crate::detect::allow::is_allowed;
use crate::detect::catalog::check;
use crate::finding::Finding;

/// One stage: its alias, its base image or stage, and its last USER (line, text, user).
struct Stage {
    alias: Option<String>,
    base: String,
    user: Option<(u32, String, String)>,
}

pub fn check_dockerfile(path: &str, data: &[u8]) -> Option<Finding> {
    if !is_dockerfile(path) || is_dev_image(path) {
        return None;
    }
    let text = String::from_utf8_lossy(data);
    let stages = stages(&text);
    let last = stages.last()?;
    let finding = match effective_user(&stages, last) {
        Some((line, instr, user)) if is_root(user) => {
            check("dockerfile-root-user").finding(path, *line, 1, instr.as_bytes())
        }
        Some(_) => return None,
        None if is_nonroot_image(&last.base) => return None,
        None => check("dockerfile-root-user").finding(path, 1, 1, b"no USER instruction"),
    };
    let offset = line_offset(&text, finding.line);
    (!is_allowed(data, offset)).then_some(finding)
}

fn is_dev_image(path: &str) -> bool {
    path.split('/').any(|d| d == ".devcontainer") || names_dev_variant(file_name(path))
}

/// The stages in order, from FROM and USER instructions (continuations joined, comments
/// skipped).
fn stages(text: &str) -> Vec<Stage> {
    let mut stages: Vec<Stage> = Vec::new();
    for (line, instr) in instructions(text) {
        let mut words = instr.split_whitespace();
        let keyword = words.next().unwrap_or("").to_ascii_uppercase();
        let args: Vec<&str> = words.filter(|w| !w.starts_with("--")).collect();
        match keyword.as_str() {
            "FROM" => stages.push(Stage {
                base: args.first().unwrap_or(&"").to_string(),
                alias: match args.as_slice() {
                    [_, as_kw, name, ..] if as_kw.eq_ignore_ascii_case("as") => {
                        Some(name.to_ascii_lowercase())
                    }
                    _ => None,
                },
                user: None,
            }),
            "USER" => {
                if let (Some(stage), Some(user)) = (stages.last_mut(), args.first()) {
                    stage.user = Some((line, instr.clone(), user.to_string()));
                }
            }
            _ => {}
        }
    }
    stages
}

/// (first line, joined text) of each instruction.
fn instructions(text: &str) -> Vec<(u32, String)> {
    let mut out = Vec::new();
    let mut current: Option<(u32, String)> = None;
    for (i, raw) in text.lines().enumerate() {
        let trimmed = raw.trim();
        if trimmed.starts_with('#') || (trimmed.is_empty() && current.is_none()) {
            continue;
        }
        let (body, continued) = match trimmed.strip_suffix('\\') {
            Some(b) => (b, true),
            None => (trimmed, false),
        };
        let entry = current.get_or_insert_with(|| (i as u32 + 1, String::new()));
        entry.1.push_str(body.trim());
        entry.1.push(' ');
        if !continued {
            let (line, text) = current.take().unwrap();
            out.push((line, text.trim().to_string()));
        }
    }
    out
}

/// The stage's last USER, or the one inherited from the earlier stage it builds on.
fn effective_user<'s>(stages: &'s [Stage], stage: &'s Stage) -> Option<&'s (u32, String, String)> {
    let mut current = stage;
    for _ in 0..stages.len() {
        if current.user.is_some() {
            return current.user.as_ref();
        }
        let base = current.base.to_ascii_lowercase();
        current = stages
            .iter()
            .find(|s| s.alias.as_deref() == Some(base.as_str()))?;
    }
    None
}

fn is_root(user: &str) -> bool {
    let name = user.split(':').next().unwrap_or(user);
    name == "root" || name == "0"
}

fn is_nonroot_image(base: &str) -> bool {
    let base = base.to_ascii_lowercase();
    base.contains("nonroot") || base.starts_with("cgr.dev/chainguard/")
}

fn line_offset(text: &str, line: u32) -> usize {
    text.split_inclusive('\n')
        .take(line as usize - 1)
        .map(str::len)
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str) -> Option<(u32, String)> {
        check_dockerfile("Dockerfile", text.as_bytes()).map(|f| {
            (
                f.line,
                String::from_utf8_lossy(f.secret.expose()).into_owned(),
            )
        })
    }

    #[test]
    fn no_user_or_a_root_user_is_reported() {
        let no_user = "# syntax=docker/dockerfile:1\nFROM python:3.11-slim\nRUN pip install x\nCMD [\"gunicorn\"]\n";
        assert_eq!(run(no_user), Some((1, "no USER instruction".into())));
        let back_to_root = "FROM python:3.11\nUSER app\nRUN x\nUSER root\nCMD x\n";
        assert_eq!(run(back_to_root), Some((4, "USER root".into())));
        assert_eq!(run("FROM python:3.11\nUSER 0:0\n").map(|r| r.0), Some(2));
        let user_only_in_builder =
            "FROM python:3.11 AS build\nUSER app\nFROM python:3.11-slim\nCOPY --from=build /a /a\n";
        assert_eq!(run(user_only_in_builder).map(|r| r.0), Some(1));
    }

    #[test]
    fn a_non_root_final_user_is_quiet() {
        assert_eq!(
            run("FROM python:3.11-slim\nRUN useradd app\nUSER app\nCMD x\n"),
            None
        );
        assert_eq!(run("FROM python:3.11\nUSER 10001:10001\n"), None);
        let inherited = "FROM python:3.11 AS base\nUSER app\nFROM base AS final\nCMD x\n";
        assert_eq!(run(inherited), None);
        assert_eq!(run("FROM gcr.io/distroless/python3:nonroot\nCMD x\n"), None);
        assert_eq!(run("FROM python:3.11\nUSER root # keyward:allow\n"), None);
        assert_eq!(run("# no FROM here\n"), None);
    }

    #[test]
    fn development_images_are_skipped() {
        let text = b"FROM python:3.11\n";
        assert!(check_dockerfile("Dockerfile.dev", text).is_none());
        assert!(check_dockerfile(".devcontainer/Dockerfile", text).is_none());
        assert!(check_dockerfile("docker/api.Dockerfile", text).is_some());
    }
}
