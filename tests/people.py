"""The test users' passwords: one constant each, so no test types its own."""
PASSWORD = "correct horse battery"  # noqa: S105 (a test value)
NEW_PASSWORD = "a long new password"  # noqa: S105 (a test value)
