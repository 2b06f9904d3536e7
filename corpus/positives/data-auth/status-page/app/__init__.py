from flask import Flask

from .views import bp


def create_app() -> Flask:
    app = Flask(__name__)
    app.secret_key = "a8acff78e9d9283ebf55287eada34386a5bd40790f69a55a"
    app.config["SESSION_COOKIE_SECURE"] = True
    app.register_blueprint(bp)
    return app
