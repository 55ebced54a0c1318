//! Never half-configured, never a launcher credential handed on: default-value expansion,
//! references that add nothing, values no program can receive (a NUL byte from an env file,
//! a `file://` secret or Vault; over Linux's 128 KiB per variable), expansion bombs (in
//! `keyward-run` and `keyward scan --known-secrets`, which share the expansion), and
//! references to `VAULT_TOKEN` / `VAULT_SECRET_ID` in an env file.

use super::fakevault::{kv2, FakeVault, Reply, ROOT_TOKEN};
use super::{launcher, text, write};
use serde_json::json;
use std::collections::BTreeMap;
use std::path::Path;

fn child_env(output: &std::process::Output) -> BTreeMap<String, String> {
    assert!(output.status.success(), "{}", text(&output.stderr));
    output
        .stdout
        .split(|&b| b == 0)
        .filter_map(|entry| {
            let entry = String::from_utf8_lossy(entry);
            let (key, value) = entry.split_once('=')?;
            Some((key.to_string(), value.to_string()))
        })
        .collect()
}

fn run(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> std::process::Output {
    launcher(dir)
        .envs(env.iter().copied())
        .args(args)
        .output()
        .unwrap()
}

/// Runs `touch ran` (and a dry run): both refuse with 125, the program never runs, and the
/// message says `what`. Returns the refusal's stderr.
fn refused(dir: &Path, env: &[(&str, &str)], what: &str) -> String {
    let output = run(dir, env, &["--", "touch", "ran"]);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(125), "{stderr}");
    assert!(!dir.join("ran").exists(), "the program ran: {stderr}");
    assert!(stderr.contains(what), "{stderr}");
    let dry = run(dir, env, &["--dry-run"]);
    assert_eq!(dry.status.code(), Some(125), "{}", text(&dry.stderr));
    assert!(text(&dry.stderr).contains(what), "{}", text(&dry.stderr));
    stderr
}

// regression: `PORT=${PORT:-8000}` and `a=${b:-d}` gave the program an empty string, and
// `A=$` became empty, all in silence.
#[test]
fn default_values_expand_and_nothing_becomes_empty_in_silence() {
    let dir = tempfile::tempdir().unwrap();
    let text_ = "PORT=${PORT:-8000}\na=${b:-d}\nA=$\nHOST=${HOST-localhost}\nURL=${SCHEME}://x\n";
    write(dir.path(), ".env", text_);
    let output = run(dir.path(), &[], &["--", "env", "-0"]);
    let env = child_env(&output);
    assert_eq!(env["PORT"], "8000");
    assert_eq!(env["a"], "d");
    assert_eq!(env["A"], "$");
    assert_eq!(env["HOST"], "localhost");
    assert_eq!(env["URL"], "://x");
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains(".env:5:5: ${SCHEME} in URL is set nowhere"),
        "{stderr}"
    );
    // The process environment wins, as for the variable itself.
    let output = run(dir.path(), &[("PORT", "9000")], &["--", "env", "-0"]);
    assert_eq!(child_env(&output)["PORT"], "9000");
    // The dry run shows the expanded length, and production refuses the empty reference.
    let dry = run(dir.path(), &[], &["--dry-run"]);
    assert!(text(&dry.stdout).contains("…(4)"), "{}", text(&dry.stdout));
    let strict = run(dir.path(), &[], &["--profile", "production", "--", "true"]);
    assert_eq!(strict.status.code(), Some(125), "{}", text(&strict.stderr));
    // A set but empty variable before `:-` gives nothing, as in python-dotenv: said so.
    write(dir.path(), ".env", "B=\nC=${B:-fallback}\n");
    let output = run(dir.path(), &[], &["--", "env", "-0"]);
    assert_eq!(child_env(&output)["C"], "");
    assert!(
        text(&output.stderr).contains(".env:2:3: B is set but empty"),
        "{}",
        text(&output.stderr)
    );
}

// regression: a NUL byte failed at exec with 126 and a message blaming the program.
#[test]
fn a_nul_byte_from_any_source_is_refused_by_name_before_exec() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), ".env", "NOTE=\"nul-\u{0}-inside\"\n");
    let stderr = refused(dir.path(), &[], "NOTE (from .env:1) holds a NUL byte");
    assert!(!stderr.contains("nul-"), "{stderr}");

    let secret = write(dir.path(), "db_password", "file-\u{0}-secret\n");
    let env_text = format!("DB_PASSWORD=file://{}\n", secret.display());
    write(dir.path(), ".env", &env_text);
    let stderr = refused(dir.path(), &[], "NUL byte");
    assert!(stderr.contains("DB_PASSWORD"), "{stderr}");
    assert!(!stderr.contains("-secret"), "{stderr}");

    let vault = FakeVault::with(|request| match request.path.as_str() {
        "/v1/secret/data/app" => {
            Reply::Json(200, kv2(json!({"db": "vault-\u{0}-secret"}), 1, "", false))
        }
        _ => Reply::Json(404, "{\"errors\":[]}".into()),
    });
    write(dir.path(), ".env", "DB=vault://secret/app#db\n");
    let env = [
        ("VAULT_ADDR", vault.addr.as_str()),
        ("VAULT_TOKEN", ROOT_TOKEN),
    ];
    let stderr = refused(dir.path(), &env, "DB (from .env:1) holds a NUL byte");
    assert!(!stderr.contains("-secret"), "{stderr}");
}

// regression: a value over the kernel's 128 KiB per-string limit failed at exec with 126.
#[test]
#[cfg(target_os = "linux")]
fn a_value_over_128_kib_is_refused_by_name_and_one_that_fits_passes() {
    let dir = tempfile::tempdir().unwrap();
    // "BIG=" + value + NUL is exactly 128 KiB: the largest string Linux passes.
    let fits = "f".repeat(128 * 1024 - "BIG=".len() - 1);
    write(dir.path(), ".env", &format!("BIG={fits}\n"));
    let output = run(dir.path(), &[], &["--", "env", "-0"]);
    assert_eq!(child_env(&output)["BIG"].len(), fits.len());
    write(dir.path(), ".env", &format!("BIG={fits}g\n"));
    let stderr = refused(dir.path(), &[], "BIG (from .env:1) is 131072 bytes");
    assert!(stderr.contains("MAX_ARG_STRLEN"), "{stderr}");
    assert!(!stderr.contains("ffffffff"), "{stderr}");
}

/// `V_1=x`, `V_i=${V_(i-1)}${V_(i-1)}` up to `V_26`: 2^25 characters from a few hundred bytes.
fn bomb() -> String {
    let mut text = String::from("V_1=ab\n");
    for i in 2..=26 {
        text.push_str(&format!("V_{i}=${{V_{}}}${{V_{}}}\n", i - 1, i - 1));
    }
    text
}

// regression: the expansion bomb made keyward-run and `keyward scan --known-secrets`
// allocate until they aborted.
#[test]
fn an_expansion_bomb_is_refused_in_the_launcher_and_the_scanner() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), ".env", &bomb());
    let stderr = refused(dir.path(), &[], ".env:18:13: V_18 would be 256 KiB");
    assert!(stderr.contains("after expanding ${V_17}"), "{stderr}");
    let output = assert_cmd::Command::cargo_bin("keyward")
        .unwrap()
        .current_dir(dir.path())
        .args(["scan", ".", "--known-secrets", ".env"])
        .output()
        .unwrap();
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("failed to read the known secrets")
            && stderr.contains("an expansion bomb?"),
        "{stderr}"
    );
}

// regression: `X=${VAULT_SECRET_ID}` handed the launcher's own credential to the program.
#[test]
fn references_to_the_launchers_vault_credentials_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let env = [
        ("VAULT_TOKEN", "s.launcher-token-8c1d"),
        ("VAULT_SECRET_ID", "launcher-secret-id-55aa"),
        ("VAULT_ROLE_ID", "role-web"),
    ];
    for name in ["VAULT_SECRET_ID", "VAULT_TOKEN"] {
        write(
            dir.path(),
            ".env",
            &format!("OK=1\nX=\"id: ${{{name}}}\"\n"),
        );
        let stderr = refused(
            dir.path(),
            &env,
            &format!(".env:2:8: X refers to ${{{name}}}"),
        );
        assert!(!stderr.contains("launcher-"), "{stderr}");
        // Also behind a default, or with a shell-style default.
        write(
            dir.path(),
            ".env",
            &format!("X=${{{name}:-none}}\nY=${{{name}-none}}\n"),
        );
        refused(
            dir.path(),
            &env,
            &format!(".env:1:3: X refers to ${{{name}}}"),
        );
    }
    // The role id is not a secret on its own (Vault calls it the username half of AppRole)
    // and the program may already inherit it: referring to it is allowed.
    write(dir.path(), ".env", "ROLE=${VAULT_ROLE_ID}\n");
    let output = run(dir.path(), &env, &["--", "env", "-0"]);
    assert_eq!(child_env(&output)["ROLE"], "role-web");
}
