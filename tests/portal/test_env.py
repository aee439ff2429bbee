import pytest
from django.core.exceptions import ImproperlyConfigured

from portal.env import Env, parse_database_url


def test_postgres_url_uses_psycopg_with_the_pool():
    db = parse_database_url("postgres://wp:s%40cret@db.internal:6432/watchpost?pool_max_size=20")
    assert db["ENGINE"] == "django.db.backends.postgresql"
    assert (db["USER"], db["PASSWORD"], db["HOST"], db["PORT"], db["NAME"]) == (
        "wp",
        "s@cret",
        "db.internal",
        "6432",
        "watchpost",
    )
    assert db["OPTIONS"]["pool"]["max_size"] == 20
    assert db["CONN_MAX_AGE"] == 0


def test_sqlite_url():
    assert parse_database_url("sqlite:////tmp/x.sqlite3")["NAME"] == "/tmp/x.sqlite3"


def test_sqlite_transactions_wait_for_the_write_lock():
    for db in (parse_database_url("sqlite:////tmp/x.sqlite3"), Env({}).database("X", sqlite_default="x")):
        assert db["OPTIONS"] == {"transaction_mode": "IMMEDIATE", "timeout": 20}


@pytest.mark.parametrize(
    "value",
    [
        "mysql://u@h/db",
        "postgres://",
        "postgres://host-only",
        "postgres://u@h:notaport/db",
        "postgres://u@h/db?pool_max_size=lots",
        "not a url",
        "sqlite://",
    ],
)
def test_malformed_database_urls_name_the_variable(value):
    with pytest.raises(ImproperlyConfigured, match="^DATABASE_URL: "):
        Env({"DATABASE_URL": value}).database("DATABASE_URL", sqlite_default="x")


def test_a_password_is_not_echoed_in_the_error():
    with pytest.raises(ImproperlyConfigured) as caught:
        parse_database_url("mysql://u:hunter22@h/db")
    assert "hunter22" not in str(caught.value)


@pytest.mark.parametrize("value", ["http://h:6379", "redis://", "redis://h:port/0"])
def test_malformed_redis_urls_name_the_variable(value):
    with pytest.raises(ImproperlyConfigured, match="^REDIS_URL: "):
        Env({"REDIS_URL": value}).redis_url("REDIS_URL")


def test_typed_readers():
    env = Env({"A": "yes", "B": "0", "N": "12", "L": "a, b,,c", "BAD": "maybe", "NEG": "-1"})
    assert env.boolean("A") is True
    assert env.boolean("B") is False
    assert env.boolean("MISSING", default=True) is True
    assert env.integer("N", 1) == 12
    assert env.strings("L") == ["a", "b", "c"]
    with pytest.raises(ImproperlyConfigured, match="^BAD: "):
        env.boolean("BAD")
    with pytest.raises(ImproperlyConfigured, match="^NEG: "):
        env.integer("NEG", 1, minimum=0)
    with pytest.raises(ImproperlyConfigured, match="^L: "):
        env.integer("L", 1)


def test_a_key_unset_is_derived_from_the_secret_with_its_label_or_required():
    env = Env({})
    derived = env.key("AUDIT_KEY", required=False, derive_from="s" * 50, label="audit")
    assert derived == env.key("AUDIT_KEY", required=False, derive_from="s" * 50, label="audit")
    assert derived not in {
        "s" * 50,
        env.key("AUDIT_KEY", required=False, derive_from="s" * 50, label="other"),
    }
    with pytest.raises(ImproperlyConfigured, match="AUDIT_KEY: set a key of its own"):
        env.key("AUDIT_KEY", required=True, derive_from="s" * 50, label="audit")
    assert (
        Env({"AUDIT_KEY": "k" * 32}).key("AUDIT_KEY", required=True, derive_from="s" * 50, label="audit")
        == "k" * 32
    )
