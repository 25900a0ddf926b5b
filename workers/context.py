"""The app a job runs in: made once per worker process, on first use (never at
import), or handed in by `flask spoa worker` so jobs share its configuration."""
_app = None


def use_app(app) -> None:
    global _app
    _app = app


def job_app():
    global _app
    if _app is None:
        from spoa import create_app

        _app = create_app()
    return _app
