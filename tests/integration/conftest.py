"""Pytest fixtures for the PostgreSQL tests: one real server per session, a fresh database per
test. Outside CI a machine without PostgreSQL skips these tests; in CI (CI=true) they fail, as the
bwrap tests do, because CI promises the server (.ci/run installs it). Chromium likewise, for the
explorer's browser tests: one headless browser per test module."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.support.browser import Browser, find_chromium
from tests.support.postgres import PostgresServer


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    server = PostgresServer()
    try:
        server.start()
    except Exception as exc:  # not installed, or it would not start
        server.stop()
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL could not start in CI: {exc}")
        pytest.skip(f"PostgreSQL is not available here: {exc}")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def pg_url(postgres_server: PostgresServer) -> str:
    return postgres_server.new_database()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if find_chromium() is None:
        message = "chromium is not installed (Debian: apt-get install chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    with Browser() as b:
        yield b
