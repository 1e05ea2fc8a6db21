"""The review app: reviewers confirm or override the machine's draft scorecards in a browser.

``analyser review --db URL`` serves it; ``create_app(db)`` builds the Flask app (for tests
and for any WSGI server). Flask is imported only when the app is built, so the rest of the
command line starts fast.
"""


def create_app(*args, **kwargs):
    from .app import create_app as build

    return build(*args, **kwargs)


__all__ = ["create_app"]
