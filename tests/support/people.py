"""The test users' passwords (one constant each, so no test types its own), and a user made with one."""
PASSWORD = "correct horse battery"  # noqa: S105 (a test value)
NEW_PASSWORD = "a long new password"  # noqa: S105 (a test value)


def make_user(db, username="sam", role="call_handler", password=PASSWORD):
    """A stored user who signs in with ``password``."""
    from spoa.models import User

    user = User(username=username, role=role)
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    return user
