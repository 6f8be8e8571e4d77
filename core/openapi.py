"""drf-spectacular extensions: what the schema generator cannot see by itself (registered in ClubConfig.ready)."""

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from drf_spectacular.extensions import OpenApiSerializerExtension


class BearerJWTScheme(SimpleJWTScheme):
    """The `jwtAuth` bearer scheme for simplejwt's authentication and our subclasses of it
    (drf-spectacular's own extension matches the exact class only)."""

    target_class = "rest_framework_simplejwt.authentication.JWTAuthentication"
    match_subclasses = True
    priority = 1


class StrictFieldsSchema(OpenApiSerializerExtension):
    """Request bodies of StrictFieldsMixin serializers allow no other properties, and the schema says so."""

    target_class = "core.serializers.StrictFieldsMixin"
    match_subclasses = True

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        if direction == "request":
            schema["additionalProperties"] = False
        return schema
