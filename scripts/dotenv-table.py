#!/usr/bin/env python3
"""The differential table of env-file lines: what python-dotenv's `dotenv_values` reads.

Each case is a small env file (most are one line) and, for a few, variables set in the
process environment. The table records, for each case, the values python-dotenv gives, the
lines each key's binding spans, and the lines it skips with a warning. `cargo test` (the
`dotenv_table` tests) runs keyward-run on every case and asserts that the program gets the
same values, or that keyward names the line and column.

Usage:
    python3 scripts/dotenv-table.py            # write tests/data/dotenv-table.json
    python3 scripts/dotenv-table.py --check    # re-check the checked-in table; exit 1 on a difference

Needs python-dotenv (`pip install python-dotenv`). The cases come from python-dotenv's own
documentation (README: "Getting Started", "File format", "Multiline values", "Variable
without a value", "Variable expansion"), from keyward issue reports, and from the edges of
its grammar (parser.py).
"""

import io
import json
import logging
import os
import re
import sys
from pathlib import Path

from dotenv.main import dotenv_values
from dotenv.parser import parse_stream

TABLE = Path(__file__).resolve().parent.parent / "tests" / "data" / "dotenv-table.json"

# (name, env-file text, process environment)
CASES = [
    # python-dotenv README, "Getting Started"
    ("readme getting started", "# Development settings\nDOMAIN=example.org\nADMIN_EMAIL=admin@${DOMAIN}\nROOT_URL=${DOMAIN}/app\n", {}),
    ("readme bare $DOMAIN is not expanded", "DOMAIN=example.org\nURL=$DOMAIN/app\n", {}),
    ("readme stream example", "USER=foo\nEMAIL=foo@example.org", {}),
    # README "File format": keys unquoted or single-quoted
    ("unquoted key", "KEY=value\n", {}),
    ("single-quoted key", "'KEY'=value\n", {}),
    ("spaces around key and equals", "  KEY  =  value  \n", {}),
    ("spaces around equals", "KEY = value\n", {}),
    ("tab around equals", "KEY\t=\tvalue\n", {}),
    ("value with comment", "KEY=value # comment\n", {}),
    ("single-quoted value with comment", "KEY='value' # comment\n", {}),
    ("double-quoted value with comment", "KEY=\"value\" # comment\n", {}),
    ("export directive", "export KEY=value\n", {}),
    ("export with spaces", "export   KEY = value\n", {}),
    ("export as a key", "export=value\n", {}),
    ("escape \\\\ in single quotes", "KEY='a\\\\b'\n", {}),
    ("escape \\' in single quotes", "KEY='it\\'s'\n", {}),
    ("other escapes stay in single quotes", "KEY='a\\nb'\n", {}),
    ("escape \\\\ in double quotes", "KEY=\"a\\\\b\"\n", {}),
    ("escape \\' in double quotes", "KEY=\"it\\'s\"\n", {}),
    ("escape \\\" in double quotes", "KEY=\"say \\\"hi\\\"\"\n", {}),
    ("escape \\a in double quotes", "KEY=\"a\\ab\"\n", {}),
    ("escape \\b in double quotes", "KEY=\"a\\bb\"\n", {}),
    ("escape \\f in double quotes", "KEY=\"a\\fb\"\n", {}),
    ("escape \\n in double quotes", "KEY=\"a\\nb\"\n", {}),
    ("escape \\r in double quotes", "KEY=\"a\\rb\"\n", {}),
    ("escape \\t in double quotes", "KEY=\"a\\tb\"\n", {}),
    ("escape \\v in double quotes", "KEY=\"a\\vb\"\n", {}),
    ("unknown escape stays in double quotes", "KEY=\"a\\qb\"\n", {}),
    ("\\$ stays in double quotes", "KEY=\"cost \\$5\"\n", {}),
    # README "Multiline values"
    ("multiline double-quoted", "FOO=\"first line\nsecond line\"\n", {}),
    ("multiline with \\n", "FOO=\"first line\\nsecond line\"\n", {}),
    ("multiline single-quoted", "FOO='first line\nsecond line'\n", {}),
    ("multiline then next key", "FOO=\"a\nb\"\nBAR=c\n", {}),
    ("private key shape", "KEY=\"-----BEGIN FAKE KEY-----\nAAAA\n-----END FAKE KEY-----\"\n", {}),
    # README "Variable without a value"
    ("variable without a value", "FOO\n", {}),
    ("variable without a value then a value", "FOO\nBAR=1\n", {}),
    ("empty value", "FOO=\n", {}),
    ("empty value with spaces", "FOO=   \n", {}),
    ("empty value with comment", "FOO= # c\n", {}),
    ("empty double quotes", "FOO=\"\"\n", {}),
    ("empty single quotes", "FOO=''\n", {}),
    # README "Variable expansion"
    ("expansion of an earlier key", "A=1\nB=${A}\n", {}),
    ("expansion with default, unset", "B=${UNSET:-fallback}\n", {}),
    ("expansion with default, set in file", "A=x\nB=${A:-fallback}\n", {}),
    ("expansion with default, set in process", "B=${PROC:-fallback}\n", {"PROC": "from-process"}),
    ("expansion of the process environment", "B=${PROC}/x\n", {"PROC": "from-process"}),
    ("expansion of an unset variable", "B=${UNSET}\n", {}),
    ("expansion, file and process both set", "HOST=file-host\nURL=http://${HOST}/\n", {"HOST": "env-host"}),
    ("expansion in double quotes", "A=1\nB=\"${A} two\"\n", {}),
    ("expansion in single quotes", "BASE=/srv\nB='${BASE}'\n", {}),
    ("bare $VAR stays literal", "BASE=/srv\nB=$BASE/plain\n", {}),
    ("default empty", "B=${UNSET:-}\n", {}),
    ("default with spaces", "B=${UNSET:-a b}\n", {}),
    ("default set but empty", "A=\nB=${A:-d}\n", {}),
    ("PORT default self-reference", "PORT=${PORT:-8000}\n", {}),
    ("PORT default self-reference, process set", "PORT=${PORT:-8000}\n", {"PORT": "9000"}),
    ("issue a=${b:-d}", "a=${b:-d}\n", {}),
    ("dash default is a name to python-dotenv", "B=${UNSET-fallback}\n", {}),
    ("dash default, set", "A=x\nB=${A-fallback}\n", {}),
    ("two references", "A=1\nB=2\nC=${A}${B}\n", {}),
    ("reference to a later key", "B=${A}\nA=1\n", {}),
    ("redefined key used in between", "A=1\nB=${A}\nA=2\nC=${A}\n", {}),
    ("lone dollar", "A=$\n", {}),
    ("dollar brace unclosed", "A=${B\n", {}),
    ("dollar brace empty", "A=${}\n", {}),
    ("colon form other than :-", "A=${B:=x}\n", {}),
    ("nested default", "A=${B:-${C}}\n", {}),
    ("dollar dollar", "A=$$\n", {}),
    ("reference to a bare key", "A\nB=${A:-d}\n", {}),
    # keyward issue 18: lines python-dotenv accepts
    ("issue APP_NAME=My App", "APP_NAME=My App\n", {}),
    ("issue KEY = value", "KEY = value\n", {}),
    ("issue double-quoted tab", "KEY=\"a\\tb\"\n", {}),
    ("issue single-quoted it's", "KEY='it\\'s'\n", {}),
    ("issue bare KEY", "KEY\n", {}),
    ("issue MY-KEY=x", "MY-KEY=x\n", {}),
    ("issue unquoted a\\nb", "KEY=a\\nb\n", {}),
    # unquoted values
    ("unquoted with inner spaces", "KEY=a b c\n", {}),
    ("unquoted trailing spaces", "KEY=value   \n", {}),
    ("unquoted hash without space", "KEY=a#b\n", {}),
    ("unquoted hash after tab", "KEY=a\t#b\n", {}),
    ("unquoted hash first", "KEY=#notacomment\n", {}),
    ("unquoted equals inside", "KEY=a=b=c\n", {}),
    ("unquoted url with query", "URL=https://example.org/?a=1&b=2\n", {}),
    ("unquoted json", "J={\"a\": 1}\n", {}),
    ("unquoted inner quotes", "KEY=a\"b'c\n", {}),
    ("unquoted backslash", "KEY=C:\\path\\to\n", {}),
    ("unquoted backslash space", "KEY=a\\ b\n", {}),
    ("unquoted trailing backslash", "KEY=abc\\\n", {}),
    ("unquoted unicode", "KEY=héllo wörld\n", {}),
    ("unquoted percent", "KEY=100%\n", {}),
    ("dotted key", "a.b=1\n", {}),
    ("lower-case key", "key=value\n", {}),
    ("digit-first key", "1KEY=x\n", {}),
    # quoted values
    ("double-quoted with hash", "KEY=\"a # b\"\n", {}),
    ("single-quoted with hash", "KEY='a # b'\n", {}),
    ("double-quoted spaces kept", "KEY=\"  a  \"\n", {}),
    ("single-quoted spaces kept", "KEY='  a  '\n", {}),
    ("single quote inside double", "KEY=\"it's\"\n", {}),
    ("double quote inside single", "KEY='say \"hi\"'\n", {}),
    ("double-quoted then text", "KEY=\"a\" b\n", {}),
    ("single-quoted then text", "KEY='a' b\n", {}),
    ("unclosed double quote", "KEY=\"open\nNEXT=1\n", {}),
    ("unclosed single quote", "KEY='open\nNEXT=1\n", {}),
    ("quoted value then comment without space", "KEY=\"a\"# c\n", {}),
    ("double-quoted backslash before quote at end", "KEY=\"a\\\\\"\n", {}),
    ("single-quoted escaped quote at end", "KEY='a\\'\n", {}),
    # lines and whitespace
    ("comment line", "# just a comment\n", {}),
    ("indented comment", "   # indented\nKEY=1\n", {}),
    ("blank lines", "\n\nKEY=1\n\n", {}),
    ("CRLF line endings", "A=1\r\nB=2\r\n", {}),
    ("CR line endings", "A=1\rB=2\r", {}),
    ("no final newline", "KEY=value", {}),
    ("indented key", "    KEY=value\n", {}),
    ("later definition wins", "KEY=1\nKEY=2\n", {}),
    ("key then text without equals", "KEY value\n", {}),
    ("line starting with equals", "=value\n", {}),
    ("colon instead of equals", "KEY: value\n", {}),
    ("YAML-style line", "key: value\nOTHER=1\n", {}),
    ("mixed good and bad lines", "A=1\nnot a binding\nB=2\n", {}),
    # keyward issue 19 cases on the env-file path
    ("issue A=$", "A=$\n", {}),
    ("issue X=${VAULT_SECRET_ID}", "X=${VAULT_SECRET_ID}\n", {"VAULT_SECRET_ID": "s-id"}),
    ("issue X=${VAULT_TOKEN}", "X=${VAULT_TOKEN}\n", {"VAULT_TOKEN": "s.token"}),
    ("role id reference", "X=${VAULT_ROLE_ID}\n", {"VAULT_ROLE_ID": "role-1234"}),
]


def read(text, process):
    """What dotenv_values gives for `text` with only `process` in os.environ."""
    saved = dict(os.environ)
    skipped = []

    class Catch(logging.Handler):
        def emit(self, record):
            skipped.append(record.args[0] if record.args else record.getMessage())

    handler = Catch()
    logger = logging.getLogger("dotenv.main")
    logger.addHandler(handler)
    try:
        os.environ.clear()
        os.environ.update(process)
        values = dotenv_values(stream=io.StringIO(text))
    finally:
        logger.removeHandler(handler)
        os.environ.clear()
        os.environ.update(saved)
    lines = {}
    for binding in parse_stream(io.StringIO(text)):
        if binding.key is not None and not binding.error:
            body = binding.original.string.rstrip("\r\n")
            last = binding.original.line + len(re.findall(r"\r\n|\n|\r", body))
            lines[binding.key] = [binding.original.line, last]
    return values, lines, skipped


def table():
    cases = []
    for name, text, process in CASES:
        values, lines, skipped = read(text, process)
        cases.append(
            {
                "name": name,
                "text": text,
                "process": process,
                "values": values,
                "lines": lines,
                "skipped_lines": skipped,
            }
        )
    return {"python_dotenv": version(), "cases": cases}


def version():
    from importlib.metadata import version as v

    return v("python-dotenv")


def main():
    current = table()
    text = json.dumps(current, indent=1, ensure_ascii=False) + "\n"
    if "--check" in sys.argv[1:]:
        stored = json.loads(TABLE.read_text(encoding="utf-8"))
        bad = [
            new["name"]
            for old, new in zip(stored["cases"], current["cases"])
            if {k: old[k] for k in ("text", "process", "values", "lines", "skipped_lines")}
            != {k: new[k] for k in ("text", "process", "values", "lines", "skipped_lines")}
        ]
        if len(stored["cases"]) != len(current["cases"]):
            bad.append(f"{len(stored['cases'])} cases stored, {len(current['cases'])} in the script")
        if bad:
            print(f"python-dotenv {current['python_dotenv']} reads differently: " + "; ".join(bad))
            return 1
        print(f"{len(current['cases'])} cases agree with python-dotenv {current['python_dotenv']}")
        return 0
    TABLE.write_text(text, encoding="utf-8")
    print(f"wrote {len(current['cases'])} cases to {TABLE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
