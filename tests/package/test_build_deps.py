#!/usr/bin/env python3
"""One list of build dependencies, used everywhere, and complete.

.ci/build-deps.txt is the list. This test checks that
  - .ci/install-deps.sh installs exactly its packages (all, or those of the roles asked for),
    by running the script with a dpkg-query that reports nothing installed and an apt-get that
    records what it was asked to install;
  - examples/ci/github-actions.yml installs only `fetch` packages itself and the rest through
    `install-deps.sh build`, and so does action.yml (through .ci/action-build.sh);
  - the package records the `build` packages as its Build-Depends (README.Debian) and names the
    `embed` packages' sources in its description;
  - every header the build read (the compiler's .d files), every archive and library it linked
    or found, every pkg-config module and every CMake package it found belongs to a `build` package of the list (`test` for the tests), or
    to the toolchain build-essential brings: a library added to the build without its package
    in the list fails here.

Usage: test_build_deps.py SOURCE_DIR BUILD_DIR HARDEN_BINARY
"""

import os
import re
import stat
import subprocess
import sys
import tempfile

import yaml

ROLES = {"fetch", "build", "embed", "test", "fuzz"}
# Packages build-essential brings (the C and C++ toolchain and the kernel headers).
TOOLCHAIN = re.compile(r"^(libc6-dev|linux-libc-dev|libcrypt-dev|libstdc\+\+-\d+-dev|"
                       r"libgcc-\d+-dev|gcc-\d+|g\+\+-\d+|cpp-\d+|libc-dev-bin)$")

failures = []


def fail(message):
    failures.append(message)
    print("FAIL: " + message, file=sys.stderr)


def read_list(source):
    packages = {}
    with open(os.path.join(source, ".ci/build-deps.txt")) as f:
        for number, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            name, *roles = line.split()
            if name in packages:
                fail(f"build-deps.txt:{number}: {name} is listed twice")
            if not roles or not set(roles) <= ROLES:
                fail(f"build-deps.txt:{number}: {name} has roles {roles}, not among {ROLES}")
            if "embed" in roles and "build" not in roles:
                fail(f"build-deps.txt:{number}: {name} is embedded but not a build package")
            packages[name] = set(roles)
    return packages


def with_role(packages, *roles):
    return {name for name, have in packages.items() if have & set(roles)}


def install_deps_would_install(source, roles):
    """Runs install-deps.sh with nothing installed; returns the packages apt-get was given."""
    with tempfile.TemporaryDirectory() as tools:
        record = os.path.join(tools, "record")
        for name, body in {
            "dpkg-query": "exit 1\n",
            "apt-get": f'[ "$1" = install ] && printf "%s\\n" "$@" > {record}\nexit 0\n',
        }.items():
            path = os.path.join(tools, name)
            with open(path, "w") as f:
                f.write("#!/bin/sh\n" + body)
            os.chmod(path, stat.S_IRWXU)
        env = dict(os.environ, PATH=tools + ":" + os.environ["PATH"])
        result = subprocess.run(["bash", os.path.join(source, ".ci/install-deps.sh"), *roles],
                                env=env, capture_output=True, text=True)
        if result.returncode != 0:
            fail(f"install-deps.sh {' '.join(roles)} failed: {result.stderr}")
            return set()
        with open(record) as f:
            args = f.read().split()
        return {a for a in args if not a.startswith("-") and a != "install"}


def check_install_deps(source, packages):
    for roles, expected in [((), set(packages)), (("build",), with_role(packages, "build")),
                            (("test", "fuzz"), with_role(packages, "test", "fuzz"))]:
        got = install_deps_would_install(source, roles)
        if got != expected:
            fail(f"install-deps.sh {' '.join(roles) or '(all)'} installs {sorted(got)}, the list "
                 f"says {sorted(expected)}")
    bad = subprocess.run(["bash", os.path.join(source, ".ci/install-deps.sh"), "biuld"],
                         capture_output=True, text=True)
    if bad.returncode != 2 or "unknown role 'biuld'" not in bad.stderr:
        fail(f"install-deps.sh biuld: exit {bad.returncode}, {bad.stderr!r}")


def apt_installs(script):
    """The packages of every `apt-get install` in a shell script."""
    names = set()
    for match in re.finditer(r"apt-get install((?:[^\n]|\\\n)*)", script):
        for word in match.group(1).replace("\\\n", " ").split():
            if not word.startswith("-") and re.match(r"^[a-z0-9][a-z0-9.+-]+$", word):
                names.add(word)
    return names


def check_workflow(source, packages):
    with open(os.path.join(source, "examples/ci/github-actions.yml")) as f:
        workflow = yaml.safe_load(f)
    steps = workflow["jobs"]["lint"]["steps"]
    script = "\n".join(step.get("run", "") for step in steps)
    direct = apt_installs(script)
    if direct != with_role(packages, "fetch"):
        fail(f"the workflow installs {sorted(direct)} itself; the list's fetch packages are "
             f"{sorted(with_role(packages, 'fetch'))} (the rest through install-deps.sh build)")
    if not re.search(r"\.ci/install-deps\.sh build\b", script):
        fail("the workflow does not run .ci/install-deps.sh build")
    if "--target harden" not in script:
        fail("the workflow does not build the harden target")


def check_action(source):
    with open(os.path.join(source, "action.yml")) as f:
        action = yaml.safe_load(f)
    if action["runs"]["using"] != "composite":
        fail("action.yml is not a composite action")
    scripts = [step["run"] for step in action["runs"]["steps"]]
    for step in action["runs"]["steps"]:
        if step.get("shell") != "bash":
            fail(f"action.yml step {step.get('name')} has no shell: bash (composite needs one)")
    for script in scripts:
        for path in re.findall(r"\$GITHUB_ACTION_PATH/([\w./-]+)", script):
            if not os.path.isfile(os.path.join(source, path)):
                fail(f"action.yml runs {path}, which does not exist")
    with open(os.path.join(source, ".ci/action-build.sh")) as f:
        build = f.read()
    if "install-deps.sh\" build" not in build or apt_installs(build):
        fail(".ci/action-build.sh must install packages only through install-deps.sh build")
    for name in ["policies", "format", "output", "fail-on", "threshold", "harden"]:
        if name not in action["inputs"]:
            fail(f"action.yml has no input {name}")


def run_action_lint(source, harden, cwd, **inputs):
    env = dict(os.environ, HARDEN=harden)
    env.update({"INPUT_" + k.upper(): v for k, v in inputs.items()})
    return subprocess.run(["bash", os.path.join(source, ".ci/action-lint.sh")], cwd=cwd, env=env,
                          capture_output=True, text=True)


def check_action_runs(source, harden):
    """The action's lint step, run as the action runs it, against this repository."""
    import json
    result = run_action_lint(source, harden, source)  # the defaults: policies/, text
    if result.returncode != 0 or "policies/strict.toml" not in result.stdout:
        fail(f"the action's lint step on this repository's policies/: exit "
             f"{result.returncode}\n{result.stdout}{result.stderr}")
    with tempfile.TemporaryDirectory() as out:
        report = os.path.join(out, "harden-lint.sarif")
        # static-binary.toml has a finding (a SARIF result to check); strict.toml has none.
        result = run_action_lint(source, harden, source, format="sarif", output=report,
                                 policies="policies/static-binary.toml policies/strict.toml")
        try:
            with open(report) as f:
                sarif = json.load(f)
            uris = {loc["physicalLocation"]["artifactLocation"]["uri"]
                    for run in sarif["runs"] for result in run["results"]
                    for loc in result["locations"]}
        except (OSError, ValueError, KeyError) as e:
            fail(f"the action's SARIF report is not SARIF: {e}")
            sarif, uris = {}, set()
        if result.returncode != 0 or sarif.get("version") != "2.1.0":
            fail(f"the action's SARIF run: exit {result.returncode}, {result.stderr}")
        if not uris or not all(u.startswith("policies/") for u in uris):
            fail(f"SARIF artifact paths are not relative to the repository: {sorted(uris)}")
    bad = "tests/policies/lint/environment-inherited/bad.toml"
    result = run_action_lint(source, harden, source, policies=bad)
    if result.returncode != 1 or "environment-inherited" not in result.stdout:
        fail(f"the action passed a policy with findings: exit {result.returncode}\n"
             f"{result.stdout}{result.stderr}")
    result = run_action_lint(source, harden, source, policies=bad, **{"fail_on": "none",
                                                                        "threshold": "10"})
    if result.returncode != 0:
        fail(f"fail-on none, threshold 10 still failed: exit {result.returncode}")
    result = run_action_lint(source, harden, source, format="yaml")
    if result.returncode != 2:
        fail(f"an unknown format was not a usage error: exit {result.returncode}")


def check_package(build, packages):
    with open(os.path.join(build, "packaging/README.Debian")) as f:
        text = f.read()
    match = re.search(r"^Build-Depends: (.*)$", text, re.M)
    recorded = set(match.group(1).split(", ")) if match else set()
    if recorded != with_role(packages, "build"):
        fail(f"the package's Build-Depends {sorted(recorded)} differ from the list's build "
             f"packages {sorted(with_role(packages, 'build'))}")
    with open(os.path.join(build, "CPackConfig.cmake")) as f:
        config = f.read()
    description = re.search(r'set\(CPACK_DEBIAN_PACKAGE_DESCRIPTION "(.*?)"\)', config, re.S)
    for package in with_role(packages, "embed"):
        source = subprocess.run(["dpkg-query", "-W", "-f=${source:Package} ${source:Version}",
                                 package], capture_output=True, text=True).stdout
        if not description or source not in description.group(1):
            fail(f"the package description does not name the embedded {source or package}")


def owners(paths):
    """dpkg -S for many paths: path -> package (paths no package owns are left out)."""
    found = {}
    paths = sorted(paths)
    for start in range(0, len(paths), 200):
        chunk = paths[start:start + 200]
        result = subprocess.run(["dpkg-query", "-S", *chunk], capture_output=True, text=True)
        for line in result.stdout.splitlines():
            package, _, path = line.partition(": ")
            for name in package.split(", "):
                found.setdefault(path, name.split(":")[0])
    return found


def used_files(build):
    """(files the build of harden used, files only the tests used), outside the sources."""
    harden, tests = set(), set()
    for directory, _, files in os.walk(build):
        for name in files:
            if not name.endswith(".o.d"):
                continue
            with open(os.path.join(directory, name)) as f:
                words = f.read().replace("\\\n", " ").split()
            target = tests if "/tests/" in directory + "/" else harden
            target.update(os.path.realpath(w) for w in words[1:] if w.startswith("/usr/"))
    with open(os.path.join(build, "CMakeCache.txt")) as f:
        for line in f:
            module = re.match(r"^\w+_MODULE_NAME:INTERNAL=(\S+)$", line.strip())
            if module:  # a pkg_check_modules module: its .pc file
                pcdir = subprocess.run(["pkg-config", "--variable=pcfiledir", module.group(1)],
                                       capture_output=True, text=True).stdout.strip()
                if pcdir:
                    harden.add(os.path.realpath(os.path.join(pcdir, module.group(1) + ".pc")))
            match = re.match(r"^(\w+):(?:FILEPATH|PATH)=(/usr/\S+)$", line.strip())
            if match and (match.group(1).endswith(("_ARCHIVE", "_DIR")) or
                          match.group(1).startswith("pkgcfg_lib_")):
                path = match.group(2)
                if os.path.isdir(path):
                    config = [os.path.join(path, c) for c in os.listdir(path)
                              if c.endswith("Config.cmake") or c.endswith("-config.cmake")]
                    path = config[0] if config else path
                # The directory resolved, not the file: libx.so is the -dev package's link to
                # the runtime package's libx.so.N.
                (tests if match.group(1).startswith("Catch2") else harden).add(os.path.join(
                    os.path.realpath(os.path.dirname(path)), os.path.basename(path)))
    return harden, tests


def check_build_uses_listed(build, packages):
    harden, tests = used_files(build)
    if not harden:
        fail("no compiler dependency files (*.o.d) in the build directory: is it built?")
        return
    found = owners(harden | tests)
    allowed_build = with_role(packages, "build")
    allowed_tests = allowed_build | with_role(packages, "test")
    for files, allowed, what in [(harden, allowed_build, "build"), (tests, allowed_tests, "test")]:
        unlisted = {}
        for path in files:
            package = found.get(path)
            if package and package not in allowed and not TOOLCHAIN.match(package):
                unlisted.setdefault(package, path)
        for package, path in sorted(unlisted.items()):
            fail(f"the {what} uses {path} from {package}, which .ci/build-deps.txt does not list "
                 f"as a {what} package")
    print(f"checked {len(harden)} files the build used and {len(tests)} the tests used "
          f"against {len(allowed_tests)} listed packages")


def main():
    source, build, harden = sys.argv[1], sys.argv[2], os.path.realpath(sys.argv[3])
    packages = read_list(source)
    check_install_deps(source, packages)
    check_workflow(source, packages)
    check_action(source)
    check_action_runs(source, harden)
    check_package(build, packages)
    check_build_uses_listed(build, packages)
    if failures:
        print(f"{len(failures)} failure(s)", file=sys.stderr)
        return 1
    print("build dependencies agree")
    return 0


if __name__ == "__main__":
    sys.exit(main())
