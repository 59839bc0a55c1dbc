"""The CLI as an operator meets it (issue 21): `wharf hash-password` prompts without echo on
a terminal and still reads piped stdin; `wharf version` says which commit it is, and the
commit stamp a release build writes is what it prints."""
import os
import pty
import select
import shutil
import subprocess
import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import crypt  # glibc's libcrypt: verifies bcrypt ($2b$) hashes

import pytest

from harness import wharf_bin

pytestmark = pytest.mark.wharf_only

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def on_terminal(args, answers):
    """Runs wharf on a pseudo-terminal, typing each answer after its prompt; returns (output, exit status)."""
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(wharf_bin(), [wharf_bin()] + args)
    out = b""

    def read(timeout=30):
        # Never block for ever: a prompt that does not come fails the test instead of hanging CI.
        if not select.select([fd], [], [], timeout)[0]:
            os.kill(pid, 9)
            raise AssertionError(f"no output within {timeout} s after {out!r}")
        return os.read(fd, 1024)

    def read_until(text):
        nonlocal out
        while text not in out:
            chunk = read()
            if not chunk:
                raise AssertionError(f"no {text!r} in {out!r}")
            out += chunk

    for prompt, answer in answers:
        read_until(prompt)
        os.write(fd, answer + b"\n")
    try:
        while True:
            chunk = read()
            if not chunk:
                break
            out += chunk
    except OSError:  # EIO: the child closed the terminal
        pass
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return out.decode(), os.waitstatus_to_exitcode(status)


def test_hash_password_on_a_terminal_prompts_twice_without_echo():
    out, code = on_terminal(["hash-password", "--cost", "4"], [(b"Password: ", b"tty-secret-42"), (b"Again: ", b"tty-secret-42")])
    assert code == 0, out
    assert "tty-secret-42" not in out
    digest = out.strip().splitlines()[-1].strip()
    assert digest.startswith("$2b$04$")
    assert crypt.crypt("tty-secret-42", digest) == digest


def test_hash_password_on_a_terminal_refuses_two_different_entries():
    out, code = on_terminal(["hash-password", "--cost", "4"], [(b"Password: ", b"one"), (b"Again: ", b"two")])
    assert code == 2
    assert "the passwords differ" in out and "$2b$" not in out


def test_hash_password_reads_piped_stdin_without_prompting():
    r = subprocess.run([wharf_bin(), "hash-password", "--cost", "4"], input="piped-secret\n",
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    digest = r.stdout.strip()
    assert crypt.crypt("piped-secret", digest) == digest


def test_version_names_the_commit_or_says_it_is_not_stamped():
    r = subprocess.run([wharf_bin(), "version"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0
    assert r.stdout.startswith("wharf ")
    words = r.stdout.split()
    assert len(words) >= 3
    assert words[2] == "(commit" or all(c in "0123456789abcdef" for c in words[2]), r.stdout


def test_stamp_commit_writes_the_commit_and_refuses_what_is_not_one(tmp_path):
    (tmp_path / ".ci").mkdir()
    (tmp_path / "Sources" / "WharfConfig").mkdir(parents=True)
    shutil.copy(os.path.join(ROOT, ".ci", "stamp-commit.sh"), tmp_path / ".ci")
    stamped = tmp_path / "Sources" / "WharfConfig" / "BuildInfo+Commit.swift"
    script = str(tmp_path / ".ci" / "stamp-commit.sh")
    assert subprocess.run(["sh", script, "0123abcd"], timeout=30).returncode == 0
    assert 'static let stampedCommit: String? = "0123abcd"' in stamped.read_text()
    bad = subprocess.run(["sh", script, 'x"; evil()'], capture_output=True, text=True, timeout=30)
    assert bad.returncode == 2 and "not a hex commit id" in bad.stderr
    assert '"0123abcd"' in stamped.read_text()
