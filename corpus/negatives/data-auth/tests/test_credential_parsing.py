"""Unit tests for the credential helpers; the values are documentation stand-ins."""
import pytest

from orders.credentials import parse_database_url, redact

SUPABASE_TOKEN_PREFIX = "sbp_"
TAILSCALE_PREFIXES = ("tskey-auth-", "tskey-api-", "tskey-client-")


@pytest.mark.parametrize(
    "url, expected",
    [
        ("postgres://user:password@localhost:5432/db", "postgres://user:***@localhost:5432/db"),
        ("mysql://root:root@127.0.0.1/app", "mysql://root:***@127.0.0.1/app"),
        ("redis://:secret@cache:6379/0", "redis://:***@cache:6379/0"),
        ("amqp://guest:guest@localhost:5672//", "amqp://guest:***@localhost:5672//"),
    ],
)
def test_redact(url, expected):
    assert redact(url) == expected


def test_parse_keeps_port():
    parsed = parse_database_url("postgresql://orders-db.internal:5432/orders")
    assert parsed.port == 5432


def test_cli_examples_are_not_secrets():
    assert "PGPASSWORD=postgres" in open("docs/local-dev.md").read()
    assert "mysql -uroot -proot" in open("docs/local-dev.md").read()
