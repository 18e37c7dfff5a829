"""Extensions, created unbound; create_app() binds them."""

from typing import TYPE_CHECKING

from flask_migrate import Migrate
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy

from app.auth.verified_tokens import RememberingJWTManager
from app.db import Base

db = SQLAlchemy(model_class=Base)

# The declarative base every model subclasses: `db.Model` at run time (Flask-SQLAlchemy adds
# its query helpers and table naming), seen by type checkers as the typed `Base` it extends.
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model
api = Api()
migrate = Migrate()
jwt = RememberingJWTManager()

# Flask-Babel (app/i18n.py binds it with the locale selector).
from flask_babel import Babel  # noqa: E402

babel = Babel()
