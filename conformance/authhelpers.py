"""Shared setup for the auth suites: a CA and server certificate made with the openssl
CLI, a policy file with one user per role, and a Wharf started with `auth.openshift`
over TLS."""
import base64
import hashlib
import json
import os
import secrets
import subprocess
import tempfile
import urllib.parse

from harness import RegistryProcess, make_tls, wharf_bin

# user → (role, projects); None: no binding at all.
ROLES = {
    "viewer": ("registry-viewer", ["proj"]),
    "editor": ("registry-editor", ["proj"]),
    "builder": ("system:image-builder", ["proj"]),
    "projadmin": ("registry-admin", ["proj"]),
    "admin": ("registry-admin", ["*"]),
    "scraper": ("prometheus-scraper", None),
    "nobody": None,
}
PASSWORD_USER = "pwuser"
PASSWORD = "correct horse battery staple"


def hash_password(password):
    out = subprocess.run([wharf_bin(), "hash-password", "--cost", "4"], input=password + "\n",
                         capture_output=True, text=True, check=True, timeout=30)
    return out.stdout.strip()


def policy_yaml(tokens, password_hash):
    lines = ["users:"]
    for user, token in tokens.items():
        digest = hashlib.sha256(token.encode()).hexdigest()
        lines.append(f"  - name: {user}")
        lines.append(f'    tokens: ["sha256:{digest}"]')
    lines.append(f"  - name: {PASSWORD_USER}")
    lines.append(f'    password: "{password_hash}"')
    lines.append("    groups: [pwgroup]")
    lines.append("bindings:")
    for user, spec in ROLES.items():
        if spec is None:
            continue
        role, projects = spec
        lines.append(f"  - role: {role}")
        lines.append(f'    subjects: ["user:{user}"]')
        if projects is not None:
            lines.append("    projects: [" + ", ".join(json.dumps(p) for p in projects) + "]")
    lines.append("  - role: registry-editor")
    lines.append('    subjects: ["group:pwgroup"]')
    lines.append('    projects: ["proj"]')
    lines.append("  - role: registry-viewer")
    lines.append('    subjects: ["group:system:unauthenticated"]')
    lines.append('    projects: ["public"]')
    return "\n".join(lines) + "\n"


class AuthRegistry:
    """A Wharf over TLS with `auth.openshift` and a token per user in ROLES."""

    def __init__(self, extra_config=None, env=None):
        self.dir = tempfile.mkdtemp(prefix="wharf-auth-")
        self.ca, crt, key = make_tls(self.dir)
        self.tokens = {user: "wharf_" + secrets.token_urlsafe(32) for user in ROLES}
        self.policy_path = os.path.join(self.dir, "policy.yml")
        with open(self.policy_path, "w") as f:
            f.write(policy_yaml(self.tokens, hash_password(PASSWORD)))
        config = {"auth": {"openshift": {"realm": "wharf-test", "policy": self.policy_path}}}
        if extra_config:
            for k, v in extra_config.items():
                config["auth"]["openshift"][k] = v
        self.reg = RegistryProcess(config=config, tls=(crt, key), env=env)

    def start(self):
        self.reg.start()
        return self

    def cleanup(self):
        self.reg.cleanup()
        import shutil
        shutil.rmtree(self.dir, ignore_errors=True)

    def request(self, method, path, body=None, headers=None):
        return self.reg.request(method, path, body=body, headers=headers)

    @staticmethod
    def basic(user, secret):
        return {"Authorization": "Basic " + base64.b64encode(f"{user}:{secret}".encode()).decode()}

    def bearer_for(self, user, *scopes, password=None):
        """A JWT from the token endpoint for `user` (its API token, or `password`)."""
        headers = self.basic(user, password if password else self.tokens[user]) if user else {}
        query = urllib.parse.urlencode([("service", "wharf"), *[("scope", s) for s in scopes]])
        status, _, body = self.request("GET", "/openshift/token?" + query, headers=headers)
        assert status == 200, (status, body)
        return json.loads(body)["token"]
