//! `--mask`: the program's stdout and stderr pass through the redactor. Secrets are values of
//! secret-named variables and resolved references, as written, base64- and URL-encoded, also
//! when the program writes them in pieces; output is not held back.

use super::{launcher, launcher_std, text, write};
use std::io::{BufRead, BufReader, Write};
use std::process::Stdio;
use std::sync::mpsc;
use std::time::Duration;

const SECRET: &str = "sk_live_51Hq-Mask/Me+42";

/// Runs a python3 program under `--mask` with `.env` holding `SECRET` as `STRIPE_SECRET_KEY`.
fn masked_python(program: &str) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        ".env",
        &format!("STRIPE_SECRET_KEY={SECRET}\nPORT=8000\n"),
    );
    launcher(dir.path())
        .args(["--mask", "--", "python3", "-c", program])
        .output()
        .unwrap()
}

#[test]
fn plain_values_are_masked_on_stdout_and_stderr() {
    let program = "import os, sys\nk = os.environ['STRIPE_SECRET_KEY']\n\
                   print('key=' + k + ' port=' + os.environ['PORT'])\nprint(k, file=sys.stderr)";
    let output = masked_python(program);
    assert!(output.status.success());
    assert_eq!(text(&output.stdout), "key=**** port=8000\n");
    assert_eq!(text(&output.stderr), "****\n");
}

#[test]
fn encoded_values_are_masked() {
    let program = "import base64, os, urllib.parse\nk = os.environ['STRIPE_SECRET_KEY'].encode()\n\
                   print(base64.b64encode(k).decode())\n\
                   for p in [b'', b'u', b'us', b'user:']:\n    print(base64.b64encode(p + k + b'!').decode())\n\
                   print(base64.urlsafe_b64encode(b'xy' + k).decode())\n\
                   print(urllib.parse.quote(k, safe=''))";
    let output = masked_python(program);
    let stdout = text(&output.stdout);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(stdout.lines().count(), 7, "{stdout}");
    for line in stdout.lines() {
        assert!(line.contains("****"), "not masked: {line}");
    }
    assert!(!stdout.contains("%2FMe%2B42"), "{stdout}");
}

#[test]
fn values_split_across_writes_are_masked() {
    let program = "import os, sys, time\nk = os.environ['STRIPE_SECRET_KEY']\n\
                   for out in (sys.stdout, sys.stderr):\n\
                   \x20   for i in range(len(k)):\n\
                   \x20       out.write(k[i]); out.flush(); time.sleep(0.002)\n\
                   \x20   out.write(' then ' + k[:5] + '\\n'); out.flush()";
    let output = masked_python(program);
    assert!(output.status.success(), "{}", text(&output.stderr));
    // A piece under 6 characters at a line's end is shown (6 or more would be masked).
    assert_eq!(text(&output.stdout), "**** then sk_li\n");
    assert_eq!(text(&output.stderr), "**** then sk_li\n");
}

#[test]
fn reference_values_and_url_passwords_are_masked_whatever_the_name() {
    let dir = tempfile::tempdir().unwrap();
    let secret_file = write(dir.path(), "db-pass", "from-a-secret-file\n");
    let env = format!(
        "DB_CONN=file://{}\nDATABASE_URL=postgres://app:Url-Pass-99@db/app\n",
        secret_file.display()
    );
    write(dir.path(), ".env", &env);
    let output = launcher(dir.path())
        .args([
            "--mask",
            "--",
            "sh",
            "-c",
            "echo \"$DB_CONN\"; echo \"$DATABASE_URL\"",
        ])
        .output()
        .unwrap();
    assert_eq!(text(&output.stdout), "****\npostgres://app:****@db/app\n");
}

#[test]
fn output_is_not_held_back() {
    // The program prints a prompt without a newline, then waits for input: the prompt must
    // reach us while the program is still running.
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), ".env", &format!("STRIPE_SECRET_KEY={SECRET}\n"));
    let program =
        "import sys\nprint('line one'); sys.stdout.write('ready> '); sys.stdout.flush()\n\
                   sys.stdin.readline(); print('bye')";
    let mut child = launcher_std(dir.path())
        .args(["--mask", "--", "python3", "-c", program])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        let mut prompt = [0u8; 7];
        std::io::Read::read_exact(&mut stdout, &mut prompt).unwrap();
        sender.send((line, prompt)).unwrap();
    });
    let got = receiver.recv_timeout(Duration::from_secs(30));
    child.stdin.take().unwrap().write_all(b"go\n").unwrap();
    let status = child.wait().unwrap();
    let (line, prompt) = got.expect("the prompt was held back while the program waited");
    assert_eq!(line, "line one\n");
    assert_eq!(&prompt, b"ready> ");
    assert!(status.success());
}

#[test]
fn binary_and_large_output_pass_through_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), ".env", &format!("STRIPE_SECRET_KEY={SECRET}\n"));
    let program = "import sys\ndata = bytes(range(256)) * 4096\nsys.stdout.buffer.write(data)";
    let output = launcher(dir.path())
        .args(["--mask", "--", "python3", "-c", program])
        .output()
        .unwrap();
    let expected: Vec<u8> = (0..=255u8).cycle().take(256 * 4096).collect();
    assert!(
        output.stdout == expected,
        "{} bytes differ",
        output.stdout.len()
    );
}

#[cfg(target_os = "linux")]
#[test]
fn launcher_cannot_dump_core_but_the_program_keeps_its_limit() {
    let dir = tempfile::tempdir().unwrap();
    let report = "grep 'Max core file size' /proc/\\$PPID/limits /proc/self/limits";
    let script = format!(
        "ulimit -S -c 4096 2>/dev/null || ulimit -c 4096 || exit 99; exec {:?} --mask -- sh -c \"{report}\"",
        bin()
    );
    let output = launcher(dir.path())
        .args(["--", "sh", "-c", &script])
        .output()
        .unwrap();
    let stdout = text(&output.stdout);
    assert!(output.status.success(), "{stdout}{}", text(&output.stderr));
    let soft = |line: &str| {
        line.split_whitespace()
            .nth(4)
            .unwrap_or_default()
            .to_string()
    };
    let mut lines = stdout.lines();
    assert_eq!(
        soft(lines.next().unwrap()),
        "0",
        "the launcher's own limit: {stdout}"
    );
    assert_ne!(
        soft(lines.next().unwrap()),
        "0",
        "the program's limit: {stdout}"
    );
}

fn bin() -> std::path::PathBuf {
    assert_cmd::cargo::cargo_bin("keyward-run")
}
