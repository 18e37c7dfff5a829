"""Extensions, created unbound; create_app() binds them."""

from flask_jwt_extended import JWTManager
from flask_migrate import Migrate
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy

from app.db import Base

db = SQLAlchemy(model_class=Base)
api = Api()
migrate = Migrate()
jwt = JWTManager()
