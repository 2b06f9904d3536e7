#!/usr/bin/env python3
"""Writes the hand-made part of the seed corpus (fuzz/corpus/<target>/). Fake secrets are
generated here from a fixed seed, never real ones; fuzz/corpus is allowlisted in the project's
own config. Re-running it rewrites the same files; files added from fuzz runs (crashes,
minimized inputs) live next to them under other names."""
import json, os, random, struct, hashlib, pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent
C = ROOT / "fuzz" / "corpus"
rnd = random.Random(6)

def put(target, name, data):
    d = C / target
    d.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    (d / name).write_bytes(data)

def fake(alphabet, n):
    return "".join(rnd.choice(alphabet) for _ in range(n))

AN = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

# scan_bytes: real corpus files, planted shapes, chunk-boundary shapes, garbage.
for rel in ["csharp/appsettings.json", "dev/doppler/.env", "json/claude-credentials.json",
            "yaml/datadog.yaml", "java/application.properties", "dev/terraform/.terraformrc"]:
    put("scan_bytes", "positive-" + rel.replace("/", "-"), (ROOT / "corpus/positives" / rel).read_bytes())
put("scan_bytes", "anthropic", "ANTHROPIC_API_KEY=sk-ant-api03-" + fake(AN + "-_", 93) + "AA\n")
put("scan_bytes", "github", "token: ghp_" + fake(AN, 36) + "\n")
put("scan_bytes", "aws", "aws_access_key_id = AKIA" + fake("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16) + "\n")
put("scan_bytes", "pem", "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(fake(AN + "+/", 64) for _ in range(6)) + "\n-----END RSA PRIVATE KEY-----\n")
put("scan_bytes", "jwt", "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0." + fake(AN + "-_", 43) + "\n")
put("scan_bytes", "inline-marker", "password = \"" + fake(AN, 24) + "\"  # pragma: allowlist secret\n")
put("scan_bytes", "crlf-nul-utf8", b"pass\x00word=\r\n\xff\xfe\xe2\x82\xac secret: " + fake(AN, 30).encode() + b"\r\n")
put("scan_bytes", "keyword-run", "password" * 500)
put("scan_bytes", "empty", b"")
put("scan_bytes", "garbage", bytes(rnd.randrange(256) for _ in range(512)))
put("scan_bytes", "base64-encoded", "data: " + __import__("base64").b64encode(("sk-ant-api03-" + fake(AN, 95)).encode()).decode() + "\n")

# config_parse: the project's own config, and every section.
put("config_parse", "project", (ROOT / ".amplihack-remote.toml").read_text())
put("config_parse", "full", '''baseline = "b.json"
disable_rules = ["generic-password-assignment"]

[allowlist]
paths = ["tests/**", "*.md", "a/[b-c]/{x,y}"]
secrets = ["^EXAMPLE", "(?i)dummy"]

[[rules]]
id = "acme-token"
name = "Acme token"
keywords = ["acme_"]
pattern = '\\bacme_(?P<secret>[A-Za-z0-9]{32})\\b'
confidence = "high"
examples = ["acme_0123456789abcdefABCDEF0123456789"]

[run]
provision_attempts = 2
retry_delay_seconds = 5
transfer_attempts = 3
max_result_bytes = 1000000
max_log_bytes = 10000

[run.templates]
auto = ["amplihack", "auto", "--", "{prompt}"]
''')
put("config_parse", "huge-regex", '[[rules]]\nid = "x"\nname = "x"\nkeywords = ["abcd"]\npattern = \'abcd\\w{1000}{1000}\'\n')
put("config_parse", "nested-regex", '[allowlist]\nsecrets = ["' + "(" * 300 + "a" + ")" * 300 + '"]\n')
put("config_parse", "bad-glob", '[allowlist]\npaths = ["a/[", "**/**/***"]\n')
put("config_parse", "unknown-key", 'nope = 1\n')
put("config_parse", "disable-all", 'disable_rules = ["does-not-exist"]\n')

# rule_file_parse: built-in rule files (small ones) and edge cases.
for f in ["stripe.toml", "jwt.toml", "dotenv.toml", "slack.toml"]:
    put("rule_file_parse", "builtin-" + f, (ROOT / "src/scan/rules/data" / f).read_text())
put("rule_file_parse", "context-paths", '''[[rules]]
id = "ctx"
name = "ctx"
keywords = ["tok_"]
pattern = 'tok_[a-z]{8,}'
paths = ["**/*.env"]
example_path = "a.env"
max_len = 100
min_entropy = 3.0
[rules.context]
patterns = ['(?i)secret']
lines = 2
''')
put("rule_file_parse", "empty-pattern", '[[rules]]\nid = "e"\nname = "e"\nkeywords = ["xyz"]\npattern = \'\'\n')
put("rule_file_parse", "dup", '[[rules]]\nid = "d"\nname = "d"\nkeywords = ["dup"]\npattern = "dup"\n[[rules]]\nid = "d"\nname = "d"\nkeywords = ["dup"]\npattern = "dup"\n')
put("rule_file_parse", "not-toml", b"[[rules]\n\xff\x00")

# baseline_parse
put("baseline_parse", "project", (ROOT / ".amplihack-remote-baseline.json").read_text())
put("baseline_parse", "empty", '{"version": 1, "entries": []}\n')
put("baseline_parse", "bad-version", '{"version": 2, "entries": []}\n')
put("baseline_parse", "upper-hex", '{"version": 1, "entries": [{"rule_id": "x", "secret_sha256": "' + "A" * 64 + '"}]}')
put("baseline_parse", "dup-entries", json.dumps({"version": 1, "entries": [{"rule_id": "r", "secret_sha256": "0" * 64}] * 3}))
put("baseline_parse", "garbage", b"{\"version\":1,\"entries\":[{\"rule_id\":\"\\ud800\"")

# azlin_parsers: both list shapes, show (plain and wrapped), status.
put("azlin_parsers", "list-2.7.3", json.dumps({"vms": [{"name": "amplihack-remote-1", "resource_group": "rg", "power_state": "Running", "ip": "10.0.0.4", "public_ip": None, "private_ip": "10.0.0.4", "location": "westus2", "vm_size": "Standard_D4s_v5", "os": "Ubuntu", "cpu": 4, "mem": "16 GB", "session": None, "tmux_sessions": []}], "filters": {"all": False, "tag": None, "vm_pattern": None, "resource_group": None}}, indent=2))
put("azlin_parsers", "list-bare-array", json.dumps([{"name": "vm-a", "power_state": "VM running", "vm_size": "Standard_E2as_v5"}, {"name": "vm-b", "power_state": "VM deallocated"}]))
put("azlin_parsers", "list-null", '{"vms": null}')
put("azlin_parsers", "list-no-name", '{"vms": [{"power_state": "Running"}]}')
put("azlin_parsers", "show", json.dumps({"name": "amplihack-remote-1", "tags": {"amplihack-remote": "1", "azlin-session": "s"}, "created_time": "2026-01-01T00:00:00Z", "power_state": "Running", "provisioning_state": "Succeeded", "vm_size": "Standard_D4s_v5", "location": "westus2"}, indent=2))
put("azlin_parsers", "show-wrapped", json.dumps({"vm": {"name": "x", "tags": {"a": 1}}}))
put("azlin_parsers", "status", '{"exit": 0, "timed_out": false, "bundle": true, "logs": true}\n')
put("azlin_parsers", "status-extra", '{"exit": -9, "timed_out": true, "bundle": false, "logs": false, "x": 1}')
put("azlin_parsers", "deep", "[" * 200 + "]" * 200)
put("azlin_parsers", "table", "│ Session / VM │ Status │\n│ vm │ Running │\n")

# manifest_parse / archive_verify_unpack: see also the real package (fuzz/seeds-package.sh).
def manifest(entries):
    return json.dumps({"format_version": 1, "tool": {"name": "amplihack-remote", "version": "0.1.0"},
        "created_from": {"head": "a" * 40, "head_ref": "refs/heads/main", "refs": {"refs/heads/main": "a" * 40},
                         "snapshot": {"ref": "refs/amplihack-remote/snapshot", "commit": "b" * 40}},
        "mtime": 1700000000, "entries": entries,
        "scan": {"rules_digest": "c" * 64, "rules": 400, "blobs_scanned": 3, "files_scanned": 1, "bytes_scanned": 10,
                 "findings": 0, "suppressed": 0, "scanner_fingerprint": "d" * 64, "known_clean": ["a" * 40]},
        "warnings": ["w"]}, indent=2) + "\n"
put("manifest_parse", "hand", manifest([{"path": "repo.bundle", "size": 3, "sha256": hashlib.sha256(b"abc").hexdigest(), "mode": 420}]))
put("manifest_parse", "version-2", manifest([]).replace('"format_version": 1', '"format_version": 2'))
put("manifest_parse", "unknown-field", manifest([]).replace('"mtime"', '"x": 1, "mtime"'))
put("manifest_parse", "garbage", b"\x00\xff{")

def entry(kind, name, content):
    name = name.encode() if isinstance(name, str) else name
    content = content.encode() if isinstance(content, str) else content
    return bytes([kind, len(name)]) + name + struct.pack("<H", len(content)) + content

# archive mode 2 (entry lists): good ones and every escape shape.
put("archive_verify_unpack", "entries-good", b"\x02" + entry(0, "repo.bundle", "bundle bytes") + entry(0, ".claude/settings.json", "{}") + entry(0x10, ".claude/hooks/run.sh", "#!/bin/sh\n"))
put("archive_verify_unpack", "entries-dotdot", b"\x02" + entry(0, ".claude/../../escape", "x"))
put("archive_verify_unpack", "entries-absolute", b"\x02" + entry(0, "/tmp/escape", "x"))
put("archive_verify_unpack", "entries-symlink", b"\x02" + entry(3, ".claude/link", "/etc/passwd") + entry(0, ".claude/link", "x"))
put("archive_verify_unpack", "entries-hardlink", b"\x02" + entry(4, ".claude/h", "../../x"))
put("archive_verify_unpack", "entries-device", b"\x02" + entry(5, ".claude/dev", ""))
put("archive_verify_unpack", "entries-dir", b"\x02" + entry(2, ".claude/d", "") + entry(0, ".claude/d/f", "y"))
put("archive_verify_unpack", "entries-duplicate", b"\x02" + entry(0, "repo.bundle", "a") + entry(0, "repo.bundle", "b"))
put("archive_verify_unpack", "entries-size-lie", b"\x02" + entry(0x80, ".claude/big", "0123456789"))
put("archive_verify_unpack", "entries-unlisted", b"\x02" + entry(0x40, ".claude/extra", "x"))
put("archive_verify_unpack", "entries-manifest-twice", b"\x02" + entry(0, "manifest.json", "{}"))
put("archive_verify_unpack", "entries-empty", b"\x02")
put("archive_verify_unpack", "sig-garbage", b"\x03{\"format\": 1}")
put("archive_verify_unpack", "raw-garbage", b"\x00(\xb5/\xfd\x00\x00garbage")
put("archive_verify_unpack", "raw-unsigned", b"\x05(\xb5/\xfd")
