"""The API's JSON parser: DRF's, plus the limits of core/json_input.py (lone surrogates, nesting depth).

Set as the JSON parser in REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"]; a view that names its parsers
names this one. Either refusal is DRF's `ParseError`: a 400 `{"detail": "JSON parse error - …"}`,
like any other body that is not JSON.
"""

from rest_framework import parsers
from rest_framework.exceptions import ParseError

from core import json_input


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(f"JSON parse error - nested deeper than {json_input.MAX_DEPTH} levels.") from None
        try:
            return json_input.check(data)
        except json_input.UnsafeJSON as error:
            raise ParseError(f"JSON parse error - {error}") from None
