"""The portal's non-browser tests: Flask's test client on the test database (each test rolled back),
objects from the factory fixtures, logging in through the real login form."""
from __future__ import annotations

import pytest
from fixtures.factories import PASSWORD
from fixtures.portal import client_login


@pytest.fixture
def portal_client(app, db_session):
    """A test client with no portal session."""
    return app.test_client()


@pytest.fixture
def portal_as(app, db_session):
    """`portal_as(user)` → a test client logged in as that user through the login form."""
    def make(user):
        client = app.test_client()
        response = client_login(client, user.email, PASSWORD)
        assert response.status_code == 303, response.data[:500]
        return client
    return make
