//! Hostile inputs (issue "keyward-run under attack"): foreign text that echoes credentials,
//! Vault servers that trickle, special files behind `file://`, oversized answers, and what the
//! launcher's messages say about them. Each test failed before its fix.

use super::fakevault::*;
use super::{launcher, text, write};
use std::time::Duration;

/// Runs `touch ran` under `.env` holding `env_file`, with these variables; expects the
/// refusal (125) and gives stderr.
fn refused_with(env_file: &str, vars: &[(&str, &str)], args: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), ".env", env_file);
    let output = launcher(dir.path())
        .envs(vars.iter().copied())
        .args(args)
        .args(["--", "touch", "ran"])
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap();
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(125), "{stderr}");
    assert!(!dir.path().join("ran").exists(), "the program ran");
    stderr
}

// regression: a Vault error body that echoed the token was printed verbatim.
#[test]
fn vault_errors_that_echo_credentials_are_redacted() {
    let vault = FakeVault::with(|request| match request.path.as_str() {
        "/v1/auth/approle/login" => {
            let echoed = format!("invalid secret id {SECRET_ID} for role web");
            Reply::Json(400, errors(&[&echoed]))
        }
        _ => {
            let echoed = format!("permission denied: token {ROOT_TOKEN} lacks read");
            Reply::Json(403, errors(&[&echoed]))
        }
    });
    let env_file = "DB_PASSWORD=vault://secret/app#db_password\n";
    let stderr = refused_with(
        env_file,
        &[("VAULT_ADDR", &vault.addr), ("VAULT_TOKEN", ROOT_TOKEN)],
        &[],
    );
    assert!(!stderr.contains(ROOT_TOKEN), "{stderr}");
    assert!(
        stderr.contains("permission denied: token **** lacks read"),
        "{stderr}"
    );
    let stderr = refused_with(
        env_file,
        &[
            ("VAULT_ADDR", &vault.addr),
            ("VAULT_ROLE_ID", "web"),
            ("VAULT_SECRET_ID", SECRET_ID),
        ],
        &[],
    );
    assert!(!stderr.contains(SECRET_ID), "{stderr}");
    assert!(
        stderr.contains("invalid secret id **** for role"),
        "{stderr}"
    );
}

// regression: `VAULT_ADDR=http://admin:P@host` was printed in every connection error.
#[test]
fn vault_addr_userinfo_is_redacted() {
    let addr = closed_port_addr().replace("http://", "http://admin:Addr-Pass-77@");
    let stderr = refused_with(
        "DB_PASSWORD=vault://secret/app#db_password\n",
        &[("VAULT_ADDR", &addr), ("VAULT_TOKEN", ROOT_TOKEN)],
        &["--vault-timeout", "2"],
    );
    assert!(
        stderr.contains("cannot connect to Vault at http://****@127.0.0.1"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("Addr-Pass-77") && !stderr.contains("admin"),
        "{stderr}"
    );
}

/// A stand-in Vault that reads a request, then sends `head` and `body` one byte every half
/// second, on every connection, until the client hangs up.
fn trickling(head: &'static str, body: &'static str) -> String {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let mut reader = BufReader::new(&stream);
                let mut line = String::new();
                while reader.read_line(&mut line).is_ok_and(|n| n > 0) && line != "\r\n" {
                    line.clear();
                }
                for byte in head.bytes().chain(body.bytes()) {
                    if (&stream).write_all(&[byte]).is_err() {
                        return;
                    }
                    std::thread::sleep(Duration::from_millis(500));
                }
            });
        }
    });
    addr
}

/// Runs a one-reference start against `addr` with `--vault-timeout 2` and gives stderr; the
/// launcher must give up on its own (the 120 s kill is only a backstop).
fn gives_up_on(addr: &str) -> String {
    let started = std::time::Instant::now();
    let stderr = refused_with(
        "DB_PASSWORD=vault://secret/app#db_password\n",
        &[("VAULT_ADDR", addr), ("VAULT_TOKEN", ROOT_TOKEN)],
        &["--vault-timeout", "2"],
    );
    // Generous: the deadline is 4 x 2 s; before, each byte restarted a 2 s read timeout.
    assert!(started.elapsed() < Duration::from_secs(60), "{stderr}");
    stderr
}

// regression: a Vault that trickled one byte every 0.5 s kept the launcher waiting for ever
// (the timeout was per read).
#[test]
fn a_trickling_vault_is_given_up_on() {
    let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 400\r\n\r\n";
    let body = "{\"data\":{\"data\":{\"db_password\":\"x\"},\"metadata\":{\"version\":1}}}";
    let stderr = gives_up_on(&trickling(head, body));
    assert!(
        stderr.contains("timed out") || stderr.contains("gave up on Vault"),
        "{stderr}"
    );
    assert!(stderr.contains("DB_PASSWORD"), "{stderr}");
}

// regression: slow header lines, likewise.
#[test]
fn slow_header_lines_are_given_up_on() {
    let head = "HTTP/1.1 200 OK\r\nX-Slow-1: aaaaaaaaaaaaaaaaaaaa\r\nX-Slow-2: bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\r\nX-Slow-3: cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc\r\n\r\n";
    let stderr = gives_up_on(&trickling(head, ""));
    assert!(
        stderr.contains("timed out") || stderr.contains("gave up on Vault"),
        "{stderr}"
    );
}

// regression: `--vault-timeout 18446744073709551615` panicked (an Instant overflow).
#[test]
fn huge_timeouts_are_refused_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    for value in ["18446744073709551615", "18446744073709551615m", "2h"] {
        let output = launcher(dir.path())
            .args(["--vault-timeout", value, "--", "true"])
            .output()
            .unwrap();
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(125), "{value}: {stderr}");
        assert!(stderr.contains("from 1ms to 1h"), "{value}: {stderr}");
    }
    let vault = FakeVault::start();
    let output = launcher(dir.path())
        .env("VAULT_ADDR", &vault.addr)
        .env("VAULT_TOKEN", ROOT_TOKEN)
        .env("VAULT_CLIENT_TIMEOUT", "18446744073709551615")
        .env("DB_PASSWORD", "vault://secret/app#db_password")
        .args(["--", "true"])
        .output()
        .unwrap();
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(125), "{stderr}");
    assert!(
        stderr.contains("VAULT_CLIENT_TIMEOUT=18446744073709551615 is not valid"),
        "{stderr}"
    );
}

// regression: `file://` to a FIFO blocked for ever, `/dev/zero` was read until memory ran out,
// and a file of any size was read whole.
#[test]
fn secret_files_must_be_small_regular_files() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo");
    let c_path = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
    let big = dir.path().join("big");
    std::fs::write(&big, vec![b'x'; 2 * 1024 * 1024]).unwrap();
    super::set_mode(&big, 0o600);
    for (path, why) in [
        (fifo.to_str().unwrap(), "not a regular file (a named pipe)"),
        ("/dev/zero", "not a regular file (a device)"),
        (big.to_str().unwrap(), "larger than 1 MiB"),
    ] {
        let stderr = refused_with(&format!("DB_PASSWORD=file://{path}\n"), &[], &[]);
        assert!(stderr.contains("cannot resolve DB_PASSWORD"), "{stderr}");
        assert!(stderr.contains(why), "{path}: {stderr}");
    }
}

/// Runs `program` (sh) under `--mask` with `.env` holding `env_file`, inside `sh -c 'ulimit
/// ...; exec keyward-run ...'` so that a blow-up ends in a failure rather than a stuck machine.
fn masked_within(dir: &std::path::Path, ulimit: &str, program: &str) -> std::process::Output {
    let run = assert_cmd::cargo::cargo_bin("keyward-run");
    let script = format!("ulimit {ulimit}; exec \"$0\" --mask -- sh -c \"$1\"");
    std::process::Command::new("sh")
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap())
        .args(["-c", &script])
        .arg(run)
        .arg(program)
        .output()
        .unwrap()
}

// regression: five 100 KB file:// secrets made --mask take 3.2 GB (a DFA over every spelling).
#[test]
fn large_secrets_mask_in_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let mut env_file = String::new();
    for i in 0..5 {
        // 100 KB of base64-like text, different for each file.
        let value: String = (0..100_000u32)
            .map(|n| {
                let x = n.wrapping_mul(2_654_435_761).rotate_left(i + 7) ^ n;
                b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
                    [(x % 64) as usize] as char
            })
            .collect();
        let path = write(dir.path(), &format!("s{i}"), &value);
        env_file.push_str(&format!("SECRET_{i}=file://{}\n", path.display()));
    }
    write(dir.path(), ".env", &env_file);
    // 1 GB of address space: the old mask needed three times that and aborted.
    let output = masked_within(dir.path(), "-v 1000000", "printf 'k=%s\\n' \"$SECRET_3\"");
    assert_eq!(text(&output.stdout), "k=****\n", "{}", text(&output.stderr));
    assert!(output.status.success(), "{}", text(&output.stderr));
}

// regression: a secret of 5000 spaces made --mask spend 11 s building its automaton.
#[test]
fn low_variety_secrets_mask_without_a_quadratic_build() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        ".env",
        &format!("BLANK_SECRET=\"{}\"\n", " ".repeat(5000)),
    );
    // 5 s of CPU, a generous bound for what takes well under one.
    let output = masked_within(dir.path(), "-t 5", "printf '<%s>\\n' \"$BLANK_SECRET\"");
    assert_eq!(text(&output.stdout), "<****>\n", "{}", text(&output.stderr));
    assert!(output.status.success(), "{}", text(&output.stderr));
}

/// A stand-in Vault whose `secret/app` is `body` (status 200); the rest as usual.
fn vault_with_app(body: String) -> FakeVault {
    FakeVault::with(move |request| match request.path.as_str() {
        "/v1/secret/data/app" => Reply::Json(200, body.clone()),
        _ => vault_api(request),
    })
}

fn refused_reading(vault: &FakeVault, field: &str) -> String {
    refused_with(
        &format!("DB_PASSWORD=vault://secret/app#{field}\n"),
        &[("VAULT_ADDR", &vault.addr), ("VAULT_TOKEN", ROOT_TOKEN)],
        &[],
    )
}

// regression: a null field was reported as "has no field password (it has password)".
#[test]
fn a_null_field_is_called_null() {
    let vault = vault_with_app(kv2(serde_json::json!({"password": null}), 1, "", false));
    let stderr = refused_reading(&vault, "password");
    assert!(
        stderr.contains("field password of the secret at secret/data/app is null"),
        "{stderr}"
    );
    assert!(!stderr.contains("has no field"), "{stderr}");
}

// regression: a secret with 100 000 fields made a 700 KB message.
#[test]
fn field_lists_are_capped() {
    let fields: serde_json::Map<String, serde_json::Value> = (0..100_000)
        .map(|i| (format!("field_{i:06}"), serde_json::Value::from("v")))
        .collect();
    let vault = vault_with_app(kv2(serde_json::Value::Object(fields), 1, "", false));
    let stderr = refused_reading(&vault, "password");
    assert!(
        stderr.contains("has no field password (it has field_000000, "),
        "{stderr}"
    );
    assert!(stderr.contains("and 99980 more)"), "{stderr}");
    assert!(stderr.len() < 4096, "{} bytes", stderr.len());
}

// regression: a body over 10 MB said "cannot connect… check VAULT_ADDR" after connecting.
#[test]
fn an_oversized_answer_says_so() {
    let vault = vault_with_app(format!("{{\"pad\":\"{}\"}}", "x".repeat(11 << 20)));
    let stderr = refused_reading(&vault, "password");
    assert!(stderr.contains("with a body larger than 10 MB"), "{stderr}");
    assert!(!stderr.contains("cannot connect"), "{stderr}");
}

// regression: a script whose `#!` interpreter is missing was "command not found".
#[test]
fn a_missing_interpreter_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let script = write(
        dir.path(),
        "serve",
        "#!/nonexistent/bin/python3 -u\nprint('hi')\n",
    );
    super::set_mode(&script, 0o755);
    for mask in [&[][..], &["--mask"][..]] {
        // Another test's fork may still hold the script open for writing ("Text file busy").
        let mut output = launcher(dir.path())
            .args(mask)
            .args(["--", "./serve"])
            .output();
        for _ in 0..50 {
            match &output {
                Ok(out) if text(&out.stderr).contains("Text file busy") => {
                    std::thread::sleep(Duration::from_millis(100));
                    output = launcher(dir.path())
                        .args(mask)
                        .args(["--", "./serve"])
                        .output();
                }
                _ => break,
            }
        }
        let output = output.unwrap();
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(127), "{stderr}");
        assert!(
            stderr.contains(
                "./serve: cannot run it: /nonexistent/bin/python3 (named by its first line"
            ),
            "{stderr}"
        );
        assert!(!stderr.contains("command not found"), "{stderr}");
    }
}

const PEM: &str = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\nVJTUt9Us8cKjMzEfYyjiWA4R4ss9Zk3bRmQxlqZ1QdT8ZR5HRk2f\n-----END PRIVATE KEY-----";

// regression: values of variables whose names do not look secret were shown by --mask and
// --dry-run: a PEM key in PRIVATE, `Bearer …` in AUTH_HEADER, `Password=` in CONN_STR.
#[test]
fn secrets_are_told_by_value_as_well_as_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let env_file = format!(
        "PRIVATE=\"{PEM}\"\nAUTH_HEADER=Bearer hdr-Tok3n-8841\n\
         CONN_STR=Server=db;User Id=app;Password=Conn-Pass-5521;\nPORT=8000\n"
    );
    write(dir.path(), ".env", &env_file);
    let program = "printf '%s\\n' \"$PRIVATE\" \"$AUTH_HEADER\" \"$CONN_STR\" \"$PORT\"; \
                   echo \"token only: ${AUTH_HEADER#Bearer }\"; \
                   echo \"password only: ${CONN_STR##*Password=}\"";
    let output = launcher(dir.path())
        .args(["--mask", "--", "sh", "-c", program])
        .output()
        .unwrap();
    let stdout = text(&output.stdout);
    assert!(output.status.success(), "{}", text(&output.stderr));
    for leaked in [
        "MIIEvQIBADAN",
        "VJTUt9Us8",
        "hdr-Tok3n-8841",
        "Conn-Pass-5521",
    ] {
        assert!(!stdout.contains(leaked), "{leaked} shown: {stdout}");
    }
    assert!(stdout.contains("8000\n"), "{stdout}");
    let dry = launcher(dir.path()).arg("--dry-run").output().unwrap();
    let dry = text(&dry.stdout);
    for name in ["PRIVATE", "AUTH_HEADER", "CONN_STR"] {
        let row = dry.lines().find(|l| l.starts_with(name)).unwrap();
        assert!(row.contains("****("), "{row}");
    }
}

// regression: base64 wrapped at 76 columns (Python's `base64.encodebytes`) or 64 (PEM) was
// shown: only whole-line encodings were masked.
#[test]
fn wrapped_base64_is_masked() {
    let dir = tempfile::tempdir().unwrap();
    let secret: String = (0..120u32)
        .map(|i| char::from(b'0' + ((i * 37 + 11) % 75) as u8))
        .filter(|c| !"\"'\\$`#=".contains(*c))
        .collect();
    write(dir.path(), ".env", &format!("API_SECRET='{secret}'\n"));
    let program = "import base64, os, textwrap\nk = os.environ['API_SECRET'].encode()\n\
                   for p in [b'', b'u', b'us', b'user:']:\n\
                   \x20   print(base64.encodebytes(p + k + b'!').decode(), end='')\n    print('--')\n\
                   \x20   print('\\n'.join(textwrap.wrap(base64.b64encode(p + k).decode(), 64)))\n\
                   \x20   print('--')";
    let output = launcher(dir.path())
        .args(["--mask", "--", "python3", "-c", program])
        .output()
        .unwrap();
    let stdout = text(&output.stdout);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let blocks: Vec<&str> = stdout.split("--\n").filter(|b| !b.is_empty()).collect();
    assert_eq!(blocks.len(), 8, "{stdout}");
    for block in blocks {
        // What is left is the encoding of the prefix and the edges that depend on it.
        let left: String = block.replace("****", "").split_whitespace().collect();
        assert!(left.len() <= 12, "{left:?} left of:\n{block}");
        assert!(block.lines().count() >= 2, "not wrapped: {block}");
    }
}

// regression: a value written half to stdout and half to stderr showed both halves. Each
// stream is masked on its own: a piece is masked where it ends or starts its line.
#[test]
fn a_value_split_between_stdout_and_stderr_shows_neither_half() {
    let dir = tempfile::tempdir().unwrap();
    let secret = "sk_live_51Hq-Split/Me+42";
    write(dir.path(), ".env", &format!("STRIPE_SECRET_KEY={secret}\n"));
    let program = "import os, sys\nk = os.environ['STRIPE_SECRET_KEY']\n\
                   sys.stdout.write('key: ' + k[:11]); sys.stdout.flush()\n\
                   sys.stderr.write(k[11:] + ' (from stderr)\\n'); sys.stderr.flush()\n\
                   print()\n\
                   print(k[:14]); print(k[14:] + ' (next line)')";
    let output = launcher(dir.path())
        .args(["--mask", "--", "python3", "-c", program])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(text(&output.stdout), "key: ****\n****\n**** (next line)\n");
    assert_eq!(text(&output.stderr), "**** (from stderr)\n");
}
