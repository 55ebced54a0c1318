//! The command line of `keyward-run`: clap's `Args` mirror it and do no I/O; `LaunchConfig` is
//! built from them (default `.env`, `KEYWARD_PROFILE`, parsed `--vault-path` arguments) and is
//! all the rest of `launch` sees.

use crate::env::refs::PathSpec;
use crate::env::vault::{parse_duration, VaultFlags, TIMEOUT_FORMS};
use anyhow::{bail, Result};
use clap::{Parser, ValueEnum};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Parser, Debug)]
#[command(
    name = "keyward-run",
    version,
    about = "Start a program with its secrets: env files and vault references, checked",
    override_usage = "keyward-run [OPTIONS] -- COMMAND [ARGS]...",
    after_help = "Exit codes: the program's own; 125 keyward-run failed or refused to start it; \
                  126 the program cannot be executed; 127 the program was not found."
)]
pub struct Args {
    /// Env file to load; repeatable, applied in order (a later file wins). Default: .env when present
    #[arg(short = 'e', long = "env-file", value_name = "FILE")]
    pub env_files: Vec<PathBuf>,
    /// File values replace variables already set in the environment (default: already set wins)
    #[arg(long = "override")]
    pub override_existing: bool,
    /// Expand ${VAR} between single quotes too, as python-dotenv does (default: literal)
    #[arg(long)]
    pub expand_single_quoted: bool,
    /// Refuse to start unless KEY is set and non-empty; repeatable
    #[arg(long, value_name = "KEY")]
    pub require: Vec<String>,
    /// An .env.example: every key in it is required unless a comment marks it optional
    #[arg(long, value_name = "FILE")]
    pub schema: Option<PathBuf>,
    /// production refuses to start on any safety problem [env: KEYWARD_PROFILE]
    #[arg(long, value_enum, value_name = "PROFILE")]
    pub profile: Option<Profile>,
    /// Pipe the program's stdout and stderr and replace every secret value with ****
    #[arg(long)]
    pub mask: bool,
    /// Print each variable, where its value comes from and a masked value; run nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Load every field of a Vault KV v2 secret as variables: PREFIX + FIELD upper-cased; repeatable
    #[arg(long, value_name = "[PREFIX=]MOUNT/PATH[?version=N]")]
    pub vault_path: Vec<String>,
    /// Give the program VAULT_TOKEN (the token the launcher used); withheld by default
    #[arg(long)]
    pub pass_vault_token: bool,
    /// Read the AppRole secret id from FILE (with VAULT_ROLE_ID) instead of VAULT_SECRET_ID
    #[arg(long, value_name = "FILE")]
    pub vault_secret_id_file: Option<PathBuf>,
    /// Log in with the Kubernetes auth method as ROLE [env: VAULT_K8S_ROLE]
    #[arg(long, value_name = "ROLE")]
    pub vault_k8s_role: Option<String>,
    /// The service-account token for the Kubernetes login [env: VAULT_K8S_TOKEN_FILE; default:
    /// /var/run/secrets/kubernetes.io/serviceaccount/token]
    #[arg(long, value_name = "FILE")]
    pub vault_k8s_token_file: Option<PathBuf>,
    /// Mount path of the auth method to log in with [env: VAULT_AUTH_PATH; default: approle or
    /// kubernetes]
    #[arg(long, value_name = "PATH")]
    pub vault_auth_path: Option<String>,
    /// Connect and read timeout for Vault: seconds, or 500ms, 10s, 1m [env: VAULT_CLIENT_TIMEOUT;
    /// default: 5s]
    #[arg(long, value_name = "DURATION", value_parser = timeout)]
    pub vault_timeout: Option<Duration>,
    /// Before starting, look for the secret values about to be injected in every commit of
    /// REPO (default: the current directory) with the keyward scanner; a leak refuses the
    /// start under --profile production
    #[arg(long, value_name = "REPO", num_args = 0..=1, default_missing_value = ".")]
    pub check_history: Option<PathBuf>,
    /// With --check-history: a leaked value is a warning, never a refusal
    #[arg(long, requires = "check_history")]
    pub allow_leaked: bool,
    /// The program and its arguments (after --)
    #[arg(trailing_var_arg = true, value_name = "COMMAND")]
    pub command: Vec<OsString>,
}

impl Args {
    /// The usual command lines, read without building clap's parser (which costs the launcher
    /// more instructions than loading and checking a `.env`): `-e FILE`, `--env-file FILE` or
    /// `--env-file=FILE` (repeatable), each flag without a value at most once, `--profile
    /// default|production` once, then `--` and the command. `None` for anything else (help, a
    /// value starting with `-`, a repeated flag, another option), which clap then reads and
    /// explains.
    pub fn parse_common(argv: &[OsString]) -> Option<Args> {
        let mut args = Args::none();
        let mut rest = argv.iter();
        loop {
            let arg = rest.next()?.to_str()?;
            let flag = match arg {
                "--" => break,
                "-e" | "--env-file" => {
                    args.env_files.push(plain_value(rest.next()?)?);
                    continue;
                }
                "--profile" if args.profile.is_none() => {
                    args.profile = Some(match rest.next()?.to_str()? {
                        "default" => Profile::Default,
                        "production" => Profile::Production,
                        _ => return None,
                    });
                    continue;
                }
                "--override" => &mut args.override_existing,
                "--expand-single-quoted" => &mut args.expand_single_quoted,
                "--mask" => &mut args.mask,
                "--dry-run" => &mut args.dry_run,
                "--pass-vault-token" => &mut args.pass_vault_token,
                _ => {
                    let file = arg.strip_prefix("--env-file=")?;
                    args.env_files.push(plain_value(&OsString::from(file))?);
                    continue;
                }
            };
            if std::mem::replace(flag, true) {
                return None;
            }
        }
        args.command = rest.cloned().collect();
        (!args.command.is_empty()).then_some(args)
    }

    /// Every option unset and no command.
    fn none() -> Args {
        Args {
            env_files: Vec::new(),
            override_existing: false,
            expand_single_quoted: false,
            require: Vec::new(),
            schema: None,
            profile: None,
            mask: false,
            dry_run: false,
            vault_path: Vec::new(),
            pass_vault_token: false,
            vault_secret_id_file: None,
            vault_k8s_role: None,
            vault_k8s_token_file: None,
            vault_auth_path: None,
            vault_timeout: None,
            check_history: None,
            allow_leaked: false,
            command: Vec::new(),
        }
    }
}

/// An option's value that no reading could take for an option: not empty, no leading `-`.
fn plain_value(value: &OsString) -> Option<PathBuf> {
    let bytes = value.as_encoded_bytes();
    (!bytes.is_empty() && bytes[0] != b'-').then(|| PathBuf::from(value))
}

fn timeout(text: &str) -> Result<Duration, String> {
    parse_duration(text).ok_or_else(|| format!("expected {TIMEOUT_FORMS}"))
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Profile {
    /// Safety problems are warnings
    Default,
    /// Safety problems refuse to start the program
    Production,
}

pub struct LaunchConfig {
    pub env_files: Vec<PathBuf>,
    pub override_existing: bool,
    pub expand_single_quoted: bool,
    pub require: Vec<String>,
    pub schema: Option<PathBuf>,
    pub profile: Profile,
    pub mask: bool,
    pub dry_run: bool,
    pub vault_paths: Vec<PathSpec>,
    pub pass_vault_token: bool,
    pub vault: VaultFlags,
    pub check_history: Option<PathBuf>,
    pub allow_leaked: bool,
    pub command: Vec<OsString>,
}

impl LaunchConfig {
    /// `profile_env` is `KEYWARD_PROFILE` from the process environment, if set.
    pub fn new(args: Args, profile_env: Option<&str>) -> Result<LaunchConfig> {
        if args.command.is_empty() && !args.dry_run {
            bail!("no program given; usage: keyward-run [OPTIONS] -- COMMAND [ARGS]...");
        }
        let profile = match (args.profile, profile_env) {
            (Some(profile), _) => profile,
            (None, None | Some("")) => Profile::Default,
            (None, Some(name)) => match Profile::from_str(name, true) {
                Ok(profile) => profile,
                Err(_) => {
                    bail!("KEYWARD_PROFILE={name} is not a profile; use default or production")
                }
            },
        };
        let vault_paths = args
            .vault_path
            .iter()
            .map(|text| PathSpec::parse(text))
            .collect::<Result<Vec<_>, String>>()
            .map_err(anyhow::Error::msg)?;
        let vault = VaultFlags {
            secret_id_file: args.vault_secret_id_file,
            k8s_role: args.vault_k8s_role,
            k8s_token_file: args.vault_k8s_token_file,
            auth_path: args.vault_auth_path,
            timeout: args.vault_timeout,
        };
        let mut env_files = args.env_files;
        if env_files.is_empty() && Path::new(".env").is_file() {
            env_files.push(PathBuf::from(".env"));
        }
        Ok(LaunchConfig {
            env_files,
            override_existing: args.override_existing,
            expand_single_quoted: args.expand_single_quoted,
            require: args.require,
            schema: args.schema,
            profile,
            mask: args.mask,
            dry_run: args.dry_run,
            vault_paths,
            pass_vault_token: args.pass_vault_token,
            vault,
            check_history: args.check_history,
            allow_leaked: args.allow_leaked,
            command: args.command,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(argv: &[&str]) -> Args {
        Args::try_parse_from(std::iter::once("keyward-run").chain(argv.iter().copied())).unwrap()
    }

    #[test]
    fn command_keeps_its_own_flags() {
        let parsed = args(&[
            "--mask", "-e", "a", "-e", "b", "--", "python", "-m", "app", "--mask",
        ]);
        assert!(parsed.mask);
        assert_eq!(parsed.env_files, [PathBuf::from("a"), PathBuf::from("b")]);
        assert_eq!(parsed.command, ["python", "-m", "app", "--mask"]);
        let parsed = args(&["gunicorn", "--workers", "2"]);
        assert_eq!(parsed.command, ["gunicorn", "--workers", "2"]);
    }

    /// What the reading without clap takes, it takes as clap does; the rest it leaves to clap.
    #[test]
    fn common_command_lines_read_as_clap_reads_them() {
        let taken: &[&[&str]] = &[
            &["--", "true"],
            &["-e", ".env", "--", "true"],
            &[
                "--env-file",
                "a b",
                "-e",
                "b",
                "--env-file=c",
                "--",
                "python",
                "-m",
                "app",
                "-e",
            ],
            &[
                "--mask",
                "--dry-run",
                "--override",
                "--expand-single-quoted",
                "--pass-vault-token",
                "--profile",
                "production",
                "--",
                "x",
            ],
            &["--profile", "default", "-e", "é.env", "--", "x", "--", "y"],
        ];
        for argv in taken {
            let argv: Vec<OsString> = argv.iter().map(OsString::from).collect();
            let fast = Args::parse_common(&argv).unwrap_or_else(|| panic!("{argv:?}"));
            let clap =
                Args::try_parse_from(std::iter::once("keyward-run".into()).chain(argv)).unwrap();
            assert_eq!(format!("{fast:?}"), format!("{clap:?}"));
        }
        let left: &[&[&str]] = &[
            &["--mask", "--mask", "--", "x"],
            &["--profile", "default", "--profile", "default", "--", "x"],
            &["--profile", "Production", "--", "x"],
            &["-e", "-x", "--", "true"],
            &["-e", "", "--", "true"],
            &["--env-file=", "--", "true"],
            &["--env-file=-", "--", "true"],
            &["-e.env", "--", "true"],
            &["-e"],
            &["--help"],
            &["--version"],
            &["true"],
            &["--"],
            &["--require", "A", "--", "true"],
            &["--vault-path", "secret/app", "--", "true"],
            &["--check-history", "--", "true"],
        ];
        for argv in left {
            let argv: Vec<OsString> = argv.iter().map(OsString::from).collect();
            assert!(Args::parse_common(&argv).is_none(), "{argv:?}");
        }
    }

    #[test]
    fn profile_from_flag_or_environment() {
        let config = LaunchConfig::new(args(&["--", "true"]), Some("production")).unwrap();
        assert_eq!(config.profile, Profile::Production);
        let config = LaunchConfig::new(
            args(&["--profile", "default", "--", "true"]),
            Some("production"),
        )
        .unwrap();
        assert_eq!(config.profile, Profile::Default);
        assert!(LaunchConfig::new(args(&["--", "true"]), Some("prod")).is_err());
        assert!(LaunchConfig::new(args(&[]), None).is_err());
        assert!(LaunchConfig::new(args(&["--dry-run"]), None).is_ok());
    }

    #[test]
    fn vault_options() {
        let argv = [
            "--vault-path",
            "APP_=secret/app",
            "--vault-path",
            "secret/b?version=2",
            "--vault-timeout",
            "1500ms",
            "--pass-vault-token",
            "--",
            "true",
        ];
        let config = LaunchConfig::new(args(&argv), None).unwrap();
        assert_eq!(config.vault_paths.len(), 2);
        assert_eq!(config.vault_paths[1].secret.version, Some(2));
        assert_eq!(config.vault.timeout, Some(Duration::from_millis(1500)));
        assert!(config.pass_vault_token);
        let bad = Args::try_parse_from(["keyward-run", "--vault-timeout", "soon", "--", "true"]);
        assert!(bad.is_err());
        assert!(LaunchConfig::new(args(&["--vault-path", "secret", "--", "true"]), None).is_err());
    }
}
