"""Administration endpoints: regions, dealers, users, waves (admin only)."""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from ..extensions import db
from ..models import Dealer, Region, Wave
from ..services import admin
from ..services.auth import revoke_user_tokens
from ..services.users import create_user
from .auth import allow
from .error_docs import ErrorSchema
from .schemas import (
    DealerSchema,
    RegionSchema,
    RevokedTokensSchema,
    UserCreateSchema,
    UserSchema,
    UserUpdateSchema,
    WaveSchema,
)

blp = Blueprint("admin", __name__, url_prefix="/api/v1", description="Regions, dealers, users and waves.")


def _collection(path: str, model, schema, label: str) -> None:
    """List/create and read/update endpoints for a coded model: the same four operations each."""
    update_schema = type(f"{label}UpdateSchema", (schema,), {})

    @allow("admin")
    class Collection(MethodView):
        @blp.response(200, schema(many=True))
        def get(self):
            return admin.list_all(db.session(), model)

        @blp.arguments(schema)
        @blp.response(201, schema)
        @blp.alt_response(409, description=f"A {label.lower()} with this code exists already")
        def post(self, data):
            obj = admin.create(db.session(), model, data)
            return obj

    @allow("admin")
    class Item(MethodView):
        @blp.response(200, schema)
        def get(self, ident: int):
            return admin.get_or_404(db.session(), model, ident)

        @blp.arguments(update_schema(partial=True))
        @blp.response(200, schema)
        @blp.alt_response(409, description=f"A {label.lower()} with this code exists already")
        def patch(self, data, ident: int):
            obj = admin.update(db.session(), model, ident, data)
            return obj

    Collection.__name__, Item.__name__ = f"{label}s", label
    Collection.get.__doc__, Collection.post.__doc__ = f"List {label}s.", f"Create a {label}."
    Item.get.__doc__, Item.patch.__doc__ = f"Read a {label}.", f"Update a {label}."
    blp.route(path)(Collection)
    blp.route(f"{path}/<int:ident>")(Item)


_collection("/regions", Region, RegionSchema, "Region")
_collection("/dealers", Dealer, DealerSchema, "Dealer")
_collection("/waves", Wave, WaveSchema, "Wave")


@blp.route("/users")
@allow("admin")
class Users(MethodView):
    @blp.response(200, UserSchema(many=True))
    def get(self):
        """List users."""
        return admin.list_users(db.session())

    @blp.arguments(UserCreateSchema)
    @blp.response(201, UserSchema)
    @blp.alt_response(409, description="A user with this email exists already")
    def post(self, data):
        """Create a user with a role and its scope (dealer for dealer users, regions for managers)."""
        user = create_user(db.session(), **data)
        return user


@blp.route("/users/<int:user_id>")
@allow("admin")
class UserItem(MethodView):
    @blp.response(200, UserSchema)
    def get(self, user_id: int):
        """Read a user."""
        return admin.get_user(db.session(), user_id)

    @blp.arguments(UserUpdateSchema)
    @blp.response(200, UserSchema)
    @blp.alt_response(409, schema=ErrorSchema, description="The last active admin cannot be deactivated or demoted")
    def patch(self, data, user_id: int):
        """Update a user: password, name, role, active, scope.

        A new password or a deactivation revokes all the user's tokens; a new role drops the old scope."""
        user = admin.update_user(db.session(), user_id, data)
        return user


@blp.route("/users/<int:user_id>/tokens")
@allow("admin")
class UserTokens(MethodView):
    @blp.response(200, RevokedTokensSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No such user")
    def delete(self, user_id: int):
        """Log a user out everywhere: revoke all their tokens (a lost phone, a suspected leak)."""
        revoked = revoke_user_tokens(db.session(), admin.get_user(db.session(), user_id))
        return {"revoked": revoked}
