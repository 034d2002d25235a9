"""Secrets never reach a prompt: secret files by name, secret values by shape; harmless code that
merely looks like a secret passes unchanged, and redaction is stable per block (KV reuse)."""

from __future__ import annotations

import time

import pytest

from glm_lsp.ghost.secrets import (
    PLACEHOLDER,
    is_secret_file,
    redact,
    redact_window,
    secret_value,
    token_patterns,
)

# Built from pieces so that this file itself does not look like it leaks credentials.
OPENAI = "sk-" + "proj-" + "Xq7Lm2Pz9Rt4Vw8Yb1Nc6Hf0Jd5Sa3Eu"
GITHUB = "ghp" + "_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
GITHUB_FINE = "github_pat" + "_11ABCDEFG0" + "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJ"
GITHUB_OAUTH = "gho" + "_" + "Zz9Yy8Xx7Ww6Vv5Uu4Tt3Ss2Rr1Qq0Pp9Oo8"
GITLAB = "glpat" + "-" + "xY7zK2mN9pQ4rS6tV8wB"
SLACK = "xoxb" + "-123456789012-1234567890123-" + "AbCdEfGhIjKlMnOpQrStUvWx"
AWS = "AKIA" + "Z7QW3ERT5YUI2OPL"
GOOGLE = "AIza" + "SyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q"
STRIPE = "sk_live" + "_" + "51HxYzAbCdEfGhIjKlMnOpQrStUvWxYz0123456789aBcDeFgHiJkLmNoP"
HUGGINGFACE = "hf" + "_" + "aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789"
SENDGRID = "SG." + "aBcDeFgHiJkLmNoPqRsTuV" + "." + "wXyZ0123456789aBcDeFgHiJkLmNoPqRsTuVwXyZ01234"
JWT = (
    "eyJhbGciOiJIUzI1NiJ9"
    + ".eyJzdWIiOiIxMjM0NTY3ODkwIn0"
    + ".dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
)
# Shapes only detect-secrets' detectors know (the maintained part of the list):
MAILCHIMP = "3f9a7c2e1b4d6f8a0c2e4b6d8f0a1c3e" + "-us12"
TELEGRAM = "1234567890:" + "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0"
AZURE = (
    "AccountKey="
    + "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5bC7dE9fG1hJ3kL5m"
    + "N7pQ9rS1tU3vW5xY7zA9bC1dE3fG5hJ7kL9mN1pQ=="
)
RANDOM40 = "k3J9xQ2mLp8ZrT4vW7yB1nC6hF0dG5sA9eU2iO3q"
DJANGO = "django-insecure-" + "8h$k2@x!q9z#m4w7p^v1r&t6y0u3i5o(e)"
PEM_BODY = (
    "MIIEpAIBAAKCAQEA7bq98a3Tz1XkQ2pL5mN8oR4sV6wY9zB3cD5fG7hJ1kL3nP5r\n"
    "T7vX9zA2cE4gI6kM8oQ0sU2wY4aC6eG8iK0mO2qS4uW6yA8cE0gI2kM4oQ6sU8w\n"
    "AbCdEf=="
)

SECRETS = [
    ("dotenv line", f"OPENAI_API_KEY={OPENAI}\n", OPENAI),
    ("exported", f"export OPENAI_API_KEY='{OPENAI}'\n", OPENAI),
    ("bare openai token", f"client = OpenAI({OPENAI!r})\n", OPENAI),
    ("github classic", f'token = "{GITHUB}"\n', GITHUB),
    ("github fine-grained", f"GH = '{GITHUB_FINE}'\n", GITHUB_FINE),
    ("github oauth in a call", f"auth({GITHUB_OAUTH!r})\n", GITHUB_OAUTH),
    ("gitlab", f"headers['PRIVATE-TOKEN'] = '{GITLAB}'\n", GITLAB),
    ("slack", f"SLACK = {SLACK!r}\n", SLACK),
    ("aws access key id", f"aws_access_key_id = {AWS}\n", AWS),
    ("google api key", f"const key = `{GOOGLE}`;\n", GOOGLE),
    ("stripe, longer than the detector's head", f'stripe.api_key = "{STRIPE}"\n', STRIPE),
    ("hugging face", f"login(token={HUGGINGFACE!r})\n", HUGGINGFACE),
    ("sendgrid", f"SENDGRID = {SENDGRID!r}\n", SENDGRID),
    ("jwt", f"fetch(url, {{ jwt: '{JWT}' }})\n", JWT),
    ("mailchimp", f"MC = {MAILCHIMP!r}\n", MAILCHIMP),
    ("telegram bot", f"bot = Bot({TELEGRAM!r})\n", TELEGRAM.split(":")[1]),
    ("azure storage", f'CONN = "DefaultEndpointsProtocol=https;{AZURE};"\n', AZURE[12:]),
    ("bearer header", f'h = {{"Authorization": "Bearer {RANDOM40}"}}\n', RANDOM40),
    (
        "password in a url",
        "DB = 'postgres://app:Tr0ub4dor3x@db.internal:5432/app'\n",
        "Tr0ub4dor3x",
    ),
    ("django secret key", f"SECRET_KEY = '{DJANGO}'\n", DJANGO),
    ("random key", f'SECRET_KEY = "{RANDOM40}"\n', RANDOM40),
    ("annotated api key", f'api_key: str = "{RANDOM40}"\n', RANDOM40),
    ("camelCase client secret", f'const clientSecret = "{RANDOM40}";\n', RANDOM40),
    ("json", f'{{"auth_token": "{RANDOM40}"}}\n', RANDOM40),
    ("yaml", f"  private_key: {RANDOM40}\n", RANDOM40),
    ("go", f'apiKey := "{RANDOM40}"\n', RANDOM40),
    ("password literal", 'password = "hunter22"\n', "hunter22"),
    ("password kwarg", 'connect(user="app", passwd="letmein")\n', "letmein"),
    ("db pass", "DB_PASS='P@ssw0rd!'\n", "P@ssw0rd!"),
    ("comparison", 'if password == "s3cret-Value":\n', "s3cret-Value"),
    (
        "private key block",
        f"-----BEGIN RSA PRIVATE KEY-----\n{PEM_BODY}\n-----END RSA PRIVATE KEY-----\n",
        "MIIEpAIBAAKCAQEA7bq98a3Tz1XkQ2pL5mN8oR4sV6wY9zB3cD5fG7hJ1kL3nP5r",
    ),
    (
        "private key in a string with escapes",
        'KEY = "-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkqhkiG9w0B'
        '\\n-----END PRIVATE KEY-----"\n',
        "MIIEvQIBADANBgkqhkiG9w0B",
    ),
    (
        "a window cut after BEGIN",
        f"x = 1\nKEY = '''-----BEGIN OPENSSH PRIVATE KEY-----\n{PEM_BODY}",
        "AbCdEf==",
    ),
    (
        "a window starting inside the key",
        f"{PEM_BODY}\n-----END EC PRIVATE KEY-----\n'''\n",
        "AbCdEf==",
    ),
]

LOOKALIKES = [
    'SECRET_KEY = os.environ["SECRET_KEY"]\n',
    "api_key = settings.API_KEY\n",
    "api_key = self.settings.api_key_v2\n",
    'token = request.headers.get("X-Token")\n',
    'TOKEN_TYPE = "refresh_token"\n',
    'sort_key = "created_at"\n',
    'cache_key = f"user:{user_id}:profile"\n',
    'PRIMARY_KEY = "id"\n',
    'KEY_ESCAPE = "Escape"\n',
    'password = ""\n',
    "password = None\n",
    "password = password\n",
    "password = getpass.getpass()\n",
    'password = "<your password here>"\n',
    'DB_PASSWORD = "${DB_PASSWORD}"\n',
    'api_key = "{{ vault_api_key }}"\n',
    'API_KEY = "changeme"\n',
    'SECRET_KEY = "xxxxxxxxxxxxxxxxxxxxxxxx"\n',
    'password_field = "password"\n',
    'label = "Password"\n',
    'prompt = "Enter your password: "\n',
    'PASSWORD_RESET_URL = "/accounts/password/reset/"\n',
    'SECRET_NAME = "prod/db-credentials"\n',
    'KEY_FILE = "/etc/ssl/private/server.key"\n',
    'checksum = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"\n',
    'uuid = "123e4567-e89b-12d3-a456-426614174000"\n',
    'url = "https://example.com:8080/path@v2"\n',
    "ip = '8.8.8.8'\n",
    'service = "disk-usage-monitor-for-servers"\n',
    "import sklearn\nfrom tasks import sk\n",
    "def get_token(self) -> str:\n    return self._token\n",
    "# Set OPENAI_API_KEY in your environment (sk-... keys).\n",
    "const key = event.key === 'ArrowUp';\n",
    "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
    'ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"\n',
    "for key, token in pairs:\n    tokens[key] = token\n",
]


@pytest.mark.parametrize(("case", "text", "secret"), SECRETS, ids=[s[0] for s in SECRETS])
def test_secret_is_redacted(case: str, text: str, secret: str) -> None:
    out = redact(text)
    assert secret not in out, case
    assert PLACEHOLDER in out
    assert redact(out) == out  # idempotent: redacting a prompt twice changes nothing


def test_redaction_keeps_the_code_around_the_secret() -> None:
    assert (
        redact(f'SECRET_KEY = "{RANDOM40}"  # django\n') == 'SECRET_KEY = "<redacted>"  # django\n'
    )
    assert redact(f"OPENAI_API_KEY={OPENAI}\nDEBUG=1\n") == "OPENAI_API_KEY=<redacted>\nDEBUG=1\n"
    url = "DB = 'postgres://app:Tr0ub4dor3x@db:5432/app'"
    assert redact(url) == "DB = 'postgres://app:<redacted>@db:5432/app'"
    pem = f"-----BEGIN RSA PRIVATE KEY-----\n{PEM_BODY}\n-----END RSA PRIVATE KEY-----\nx = 1\n"
    assert redact(pem) == (
        "-----BEGIN RSA PRIVATE KEY-----\n<redacted>\n-----END RSA PRIVATE KEY-----\nx = 1\n"
    )
    tail = f"def f():\n    pass\n{PEM_BODY}\n-----END RSA PRIVATE KEY-----\n"
    assert redact(tail) == "def f():\n    pass\n<redacted>\n-----END RSA PRIVATE KEY-----\n"


@pytest.mark.parametrize("text", LOOKALIKES)
def test_lookalike_is_not_redacted(text: str) -> None:
    assert redact(text) == text


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("SECRET_KEY", RANDOM40, True),
        ("SECRET_KEY", "short1A", False),  # too short to be a key
        ("MAX_TOKENS", RANDOM40, False),  # not a secret name
        ("password", "hunter22", True),
        ("password", "Password", False),
        ("password", "secret", True),
        ("password", PLACEHOLDER, False),
        ("api_key", "my-api-key", False),
    ],
)
def test_secret_value(name: str, value: str, expected: bool) -> None:
    assert secret_value(name, value) is expected


SECRET_FILES = [
    ".env",
    ".env.local",
    ".env.production",
    "config/prod.env",
    ".envrc",
    "server.pem",
    "tls/private.key",
    "id_rsa",
    "/home/u/.ssh/id_ed25519",
    "id_ecdsa.pub",
    "credentials",
    "credentials.json",
    "aws_credentials.ini",
    ".netrc",
    ".npmrc",
    ".pypirc",
    ".pgpass",
    ".git-credentials",
    "store.p12",
    "cert.pfx",
    "vault.kdbx",
    "secrets.yaml",
    "config/secrets.json",
    "app.secrets",
    "terraform.tfvars",
    "service-account.json",
    "/home/u/.aws/config",
    "/home/u/.kube/config",
    "/home/u/.docker/config.json",
    "C:\\Users\\u\\.ssh\\config",
]
ORDINARY_FILES = [
    "main.py",
    "settings.py",
    "environment.py",
    "env.py",
    "src/envelope.ts",
    "id_utils.py",
    "keyboard.py",
    "monkey.rs",
    "tokens.py",
    "token_test.go",
    "passwords_ui.tsx",
    "README.md",
    "",
]


@pytest.mark.parametrize("path", SECRET_FILES)
def test_secret_file_names(path: str) -> None:
    assert is_secret_file(path)


@pytest.mark.parametrize("path", ORDINARY_FILES)
def test_ordinary_file_names(path: str) -> None:
    assert not is_secret_file(path)


def test_window_redaction_is_per_block_and_stable_while_typing() -> None:
    head = "".join(f"v{i} = compute({i})\n" for i in range(40))
    secret_line = f'API_TOKEN = "{RANDOM40}"\n'
    text = head + secret_line + "".join(f"w{i} = {i}\n" for i in range(40)) + "result = comp"
    out = redact_window(text, 32)
    assert RANDOM40 not in out and out.count(PLACEHOLDER) == 1
    assert out == redact(text)  # blocks split at line ends: the same answer as one piece
    typed = redact_window(text + "ute(", 32)
    assert typed.startswith(out)  # the head the KV cache holds does not move


def test_redaction_is_fast_enough_per_request() -> None:
    token_patterns()  # the one-time detect-secrets import is not a per-request cost
    text = "".join(f"line_{i} = compute(value_{i}, 'text {i}')  # note\n" for i in range(150))
    text += f'SECRET_KEY = "{RANDOM40}"\n'
    best = float("inf")
    for n in range(3):
        fresh = text + f"# {n}\n"  # a new block: no memo
        start = time.perf_counter()
        out = redact_window(fresh, 10_000)
        best = min(best, time.perf_counter() - start)
    assert RANDOM40 not in out
    assert best < 0.1  # ~8 KB, a whole prefix window; about 5 ms here
    start = time.perf_counter()
    for _ in range(100):
        redact_window(fresh, 32)
    assert (time.perf_counter() - start) / 100 < 0.005  # memoised per block
