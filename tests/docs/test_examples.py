#!/usr/bin/env python3
"""Every example command in README.md and the man pages runs, and every file they name exists.

The convention (README.md, "Examples in the documentation", says the same):
  - Commands are the lines of README.md's fenced code blocks without a language tag (a block
    tagged ```toml or similar is not commands), and the lines between .nf and .fi in the
    EXAMPLES section of harden(1) and harden-lint(1). Each runs with bash -o pipefail and must
    exit 0, in order, in a scratch directory holding copies of policies/ and examples/ (so the
    relative paths of the examples work), with the built harden first on PATH.
  - System paths are moved into the scratch directory: a word starting with /etc/ or
    /usr/local/sbin/ gets the scratch directory's root/ in front (its parent directories are
    made first).
  - A command that starts python3 -m http.server is a server: it runs in the background until
    it answers HTTP on 127.0.0.1, then its process group is killed. Port 8080 is replaced by a
    free port, in the commands and in the copied policies.
  - A command that cannot run in a test carries a marker with the reason, invisible in the
    rendered page: `<!-- not-run: REASON -->` on the line before a README code block (the
    whole block), `.\\" not-run: REASON` on the line before a man page command (that line).
  - harden.toml(5)'s EXAMPLE policy is examples/web.toml, byte for byte, and validates.
  - Every repository path the documents name (README's `code` spans, the man pages' words with
    a '/') exists in the source tree.
Host objects the examples create (nft tables, audit rules of the policies "http-server" and
"web") are removed with `harden down` afterwards, also on failure, under a lock shared with the
package test (the names are fixed by the shipped policies).

Usage: test_examples.py SOURCE_DIR HARDEN_BINARY
"""

import fcntl
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

failures = []


def fail(message):
    failures.append(message)
    print("FAIL: " + message, file=sys.stderr)


# ---- reading the documents ---------------------------------------------------------------------

def readme_commands(text):
    """(line number, command, not-run reason or None) for README's untagged code blocks."""
    commands, state, pending, reason = [], "out", None, None
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if state == "out":
            marker = re.match(r"^<!-- not-run: (.+?) -->$", stripped)
            if marker:
                pending = marker.group(1)
            elif stripped.startswith("```"):
                state = "commands" if stripped == "```" else "other"
                reason, pending = pending, None
            elif stripped:
                pending = None
            continue
        if stripped.startswith("```"):
            state = "out"
        elif state == "commands" and stripped and not stripped.startswith("#"):
            commands.append((number, line, reason))
    return commands


def roff_text(line):
    line = re.sub(r"\\f[BIRP]", "", line)
    return (line.replace("\\-", "-").replace("\\(aq", "'").replace("\\e", "\\")
            .replace("\\&", "").replace("\\\\", "\\"))


def man_example_lines(text, section):
    """(line number, text, not-run reason) of the .nf/.fi block in the named section."""
    out, in_section, in_block, reason = [], False, False, None
    for number, line in enumerate(text.splitlines(), 1):
        if line.startswith(".SH"):
            in_section = line[3:].strip().strip('"') == section
            continue
        if not in_section:
            continue
        if line.startswith(".nf"):
            in_block = True
        elif line.startswith(".fi"):
            in_block = False
        elif in_block:
            marker = re.match(r'^\.\\" not-run: (.+)$', line)
            if marker:
                reason = marker.group(1)
            elif line.startswith(".\\\""):
                continue
            else:
                out.append((number, roff_text(line), reason))
                reason = None
    return out


# ---- running ----------------------------------------------------------------------------------

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Scratch:
    def __init__(self, source, harden, port):
        self.dir = tempfile.mkdtemp(prefix="harden-docs-")
        self.port = port
        for tree in ["policies", "examples"]:
            shutil.copytree(os.path.join(source, tree), os.path.join(self.dir, tree))
        for directory, _, files in os.walk(self.dir):
            for name in files:
                if name.endswith(".toml"):
                    path = os.path.join(directory, name)
                    with open(path) as f:
                        text = f.read()
                    with open(path, "w") as f:
                        f.write(text.replace("8080", str(port)))
        os.mkdir(os.path.join(self.dir, ".bin"))
        os.symlink(harden, os.path.join(self.dir, ".bin", "harden"))
        self.env = dict(os.environ, PATH=os.path.join(self.dir, ".bin") + ":" + os.environ["PATH"])
        self.env.pop("HARDEN_POLICY_PATH", None)

    def rewrite(self, command):
        root = os.path.join(self.dir, "root")

        def move(match):
            path = root + match.group(2)
            os.makedirs(os.path.dirname(path.rstrip("/")), exist_ok=True)
            return match.group(1) + path
        command = re.sub(r"(^|[\s=>])(/(?:etc|usr/local/sbin)/\S*)", move, command)
        return command.replace("8080", str(self.port))

    def run(self, where, command):
        command = self.rewrite(command)
        if "http.server" in command:
            return self.serve(where, command)
        result = subprocess.run(["bash", "-o", "pipefail", "-c", command], cwd=self.dir,
                                env=self.env, stdin=subprocess.DEVNULL, capture_output=True,
                                text=True, timeout=120)
        if result.returncode != 0:
            fail(f"{where}: `{command}` exited {result.returncode}\n{result.stdout}{result.stderr}")
        return result

    def serve(self, where, command):
        log = tempfile.TemporaryFile(mode="w+")
        process = subprocess.Popen(["bash", "-c", command], cwd=self.dir, env=self.env,
                                   stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                   start_new_session=True)
        try:
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                if process.poll() is not None:
                    break
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/", timeout=2) as r:
                        if r.status == 200:
                            return None
                except OSError:
                    time.sleep(0.1)
            log.seek(0)
            fail(f"{where}: `{command}` did not serve HTTP on port {self.port} "
                 f"(exit {process.poll()}):\n{log.read()}")
        finally:
            for sig in (signal.SIGTERM, signal.SIGKILL):
                try:
                    os.killpg(process.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    process.wait(timeout=5)
                    break
                except subprocess.TimeoutExpired:
                    continue
            log.close()
        return None

    def remove(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def run_document(name, commands, source, harden):
    scratch = Scratch(source, harden, free_port())
    ran = skipped = 0
    try:
        for number, command, reason in commands:
            where = f"{name}:{number}"
            if reason:
                print(f"{where}: not run ({reason}): {command.strip()}")
                skipped += 1
                continue
            print(f"{where}: $ {command.strip()}")
            scratch.run(where, command)
            ran += 1
    finally:
        for policy in ["http-server", "web"]:  # the names the shipped examples use
            subprocess.run([harden, "down", policy], capture_output=True, env=scratch.env)
        scratch.remove()
    if ran == 0:
        fail(f"{name}: no example command found")
    print(f"{name}: {ran} commands ran, {skipped} marked not-run")


# ---- files the documents name -------------------------------------------------------------------

def tree_paths(source):
    paths = set()
    for directory, dirs, files in os.walk(source):
        dirs[:] = [d for d in dirs if d != ".git" and not d.startswith("build")]
        relative = os.path.relpath(directory, source)
        for name in dirs:
            paths.add(os.path.normpath(os.path.join(relative, name)) + "/")
        for name in files:
            paths.add(os.path.normpath(os.path.join(relative, name)))
    return paths


def named_exists(token, paths):
    """A repository path exists: from the root, or as the tail of a path (`unit/` in the
    README's table row about tests/, `steps.cpp` beside enforcer/)."""
    token = token.rstrip(".,;:")
    if token.startswith("./"):
        token = token[2:]
    if token in paths or token + "/" in paths:
        return True
    return any(p.endswith("/" + token) or p.endswith("/" + token + "/") for p in paths)


def check_named_files(source):
    paths = tree_paths(source)
    pathlike = re.compile(r"^[\w.-]*[\w-]/[\w./-]*$|^[\w-]+\.(toml|cpp|hpp|sh|md|yml|json|c)$")
    with open(os.path.join(source, "README.md")) as f:
        readme = f.read()
    tokens = [(f"README.md", t) for t in re.findall(r"`([^`\s]+)`", readme)]
    for page in ["harden.1", "harden-lint.1", "harden.toml.5"]:
        with open(os.path.join(source, "man", page)) as f:
            for line in f:
                if line.startswith(".\\\""):
                    continue
                for word in re.findall(r"(?<![\w/.~$-])[\w.-]+/[\w./-]*", roff_text(line)):
                    tokens.append((f"man/{page}", word))
    checked = 0
    for where, token in tokens:
        if token.startswith(("/", "@", "http", "build")) or not pathlike.match(token):
            continue
        top = token.split("/")[0]
        # Words of the policy language and of other tools ("rule/line", "text/json") are not
        # paths: only names under a top-level directory of the repository, or files, count.
        if "/" in token and not any(p.split("/")[0] == top for p in paths if "/" in p):
            if not token.endswith((".toml", ".cpp", ".hpp", ".sh", ".md", ".yml")):
                continue
        checked += 1
        if not named_exists(token, paths):
            fail(f"{where} names {token}, which does not exist in the source tree")
    print(f"checked {checked} file names in README.md and the man pages")


# ---- main ---------------------------------------------------------------------------------------

def main():
    source, harden = os.path.realpath(sys.argv[1]), os.path.realpath(sys.argv[2])
    check_named_files(source)

    with open(os.path.join(source, "man", "harden.toml.5")) as f:
        policy = "\n".join(line for _, line, _ in man_example_lines(f.read(), "EXAMPLE")) + "\n"
    with open(os.path.join(source, "examples", "web.toml")) as f:
        shipped = f.read()
    if not shipped.endswith(policy):
        fail("harden.toml(5)'s EXAMPLE is not the end of examples/web.toml (after its comment)")
    result = subprocess.run([harden, "validate", os.path.join(source, "examples", "web.toml")],
                            capture_output=True, text=True)
    if result.returncode != 0:
        fail(f"examples/web.toml does not validate:\n{result.stdout}{result.stderr}")

    if os.geteuid() != 0:
        print("SKIPPED: the example commands install firewall tables and need root",
              file=sys.stderr)
        return 1 if os.environ.get("HARDEN_TESTS_MUST_RUN") == "1" or failures else 77
    lock = open("/run/lock/harden-shipped-policies.lock", "w")
    fcntl.flock(lock, fcntl.LOCK_EX)

    with open(os.path.join(source, "README.md")) as f:
        run_document("README.md", readme_commands(f.read()), source, harden)
    for page in ["harden.1", "harden-lint.1"]:
        with open(os.path.join(source, "man", page)) as f:
            run_document(f"man/{page}", man_example_lines(f.read(), "EXAMPLES"), source, harden)
    if failures:
        print(f"{len(failures)} failure(s)", file=sys.stderr)
        return 1
    print("every example ran")
    return 0


if __name__ == "__main__":
    sys.exit(main())
